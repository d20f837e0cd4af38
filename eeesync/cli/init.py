"""`eeesync init`: write a commented starter `eeesync.toml` for the real Hub and datastore.

The newcomer's first command after the demo. Values are written with tomli-w (so quoting is
always valid TOML) and taken from `config.py`'s defaults (so the starter file never drifts from
what eeesync does without one); the comments explain each key. An existing file is never
overwritten without `--force`.
"""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

import tomli_w

from eeesync.config import CONFIG_NAME, Config
from eeesync.errors import ConfigError, UserError
from eeesync.registry import load_registry

if TYPE_CHECKING:
    from eeesync.cli.main import App

HELP = "write a commented starter eeesync.toml (real Hub, public datastore)"

#: A benchmark added without code, shown commented out in the starter file.
EXAMPLE_BENCHMARK = """[benchmarks.ifeval]
name = "IFEval"
dataset_id = "google/IFEval"
task_id = "ifeval"
file_name = "ifeval.yaml"
hf_repos = ["google/IFEval"]"""


def _built_in_names() -> str:
    """`MMLU-Pro, GPQA, … and LEXam`: every benchmark of the built-in registry, by name."""
    names = [b.name for b in load_registry().benchmarks]
    return ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else "".join(names)


def _comment(text: str, width: int = 92) -> list[str]:
    """`text` as `# ` comment lines of at most `width` characters."""
    lines = textwrap.wrap(text, width - 2, break_on_hyphens=False, break_long_words=False)
    return [f"# {line}" for line in lines]


#: Shown commented out: a folder datastore's commit, for when the folder cannot tell.
LINK_REVISION_EXAMPLE = '"<40-hex commit sha of link_repo>"'


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare this command's flags."""
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        help=f"where to write (default: --config, else ./{CONFIG_NAME})",
    )
    parser.add_argument(
        "--datastore",
        metavar="LOCATOR",
        help="datastore to plan from: OWNER/NAME[@REVISION] or a folder "
        f"(default: {Config().datastore_input})",
    )
    parser.add_argument(
        "--collection",
        dest="collections",
        action="append",
        default=[],
        metavar="NAME",
        help="a collection to plan by default (repeat for several)",
    )
    parser.add_argument("--force", action="store_true", help="overwrite an existing file")


def run(args: argparse.Namespace, app: App) -> int:
    target: Path = args.output or app.config_path or Path(CONFIG_NAME)
    if not target.is_absolute():
        target = app.cwd / target
    if target.exists() and not args.force:
        raise UserError(
            f"{target} already exists; eeesync init does not overwrite it",
            hint="Edit it, or run `eeesync init --force` to replace it with a fresh starter.",
        )
    if target.is_dir():
        raise UserError(f"{target} is a folder; give a file path with -o")
    text = render_starter_config(
        datastore=args.datastore or Config().datastore_input,
        collections=tuple(args.collections),
    )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"cannot write the config file: {exc.strerror or exc}", path=str(target)
        ) from exc
    next_step = "eeesync plan" if args.collections else "eeesync plan COLLECTION (or --all)"
    for line in (
        f"Wrote {target}.",
        f"Next: review it, then run `{next_step}`.",
        "Nothing is written to the Hub before `eeesync apply` and your typed confirmation.",
    ):
        app.console.print(line, markup=False, highlight=False)
    return 0


def _value(key: str, value: Any) -> str:
    """One `key = value` line, quoted by tomli-w."""
    return tomli_w.dumps({key: value}).strip()


def render_starter_config(*, datastore: str, collections: tuple[str, ...] = ()) -> str:
    """The starter file's text: every setting with its default and a comment saying what it does.

    Example:
        >>> "endpoint = \\"https://huggingface.co\\"" in render_starter_config(datastore="a/b")
        True
    """
    d = Config()
    lines = [
        "# eeesync configuration (written by `eeesync init`).",
        "# eeesync looks for this file in the working directory and its parents; pass --config",
        "# to use another. Environment variables override it: EEESYNC_DATASTORE,",
        "# EEESYNC_COLLECTIONS (comma-separated), EEESYNC_ENDPOINT / HF_ENDPOINT,",
        "# EEESYNC_PARALLELISM, EEESYNC_PLAN_DIR, EEESYNC_CACHE_DIR.",
        "# Command-line flags override both.",
        "",
        "[datastore]",
        "# The Every Eval Ever datastore: a Hub dataset repo OWNER/NAME[@REVISION] (a branch,",
        "# tag or open datastore PR refs/pr/N is resolved to a commit sha before anything is",
        "# read), or a local folder (./path).",
        _value("locator", datastore),
        '# Its layout: "flat" (indexes + objects, as on the datastore\'s main), "submission"',
        "# (data/<collection>/<developer>/<model>/<uuid>.json: your adapter's output, a",
        '# datastore PR), or "auto" (flat when the indexes exist; data/ for @refs/pr/N).',
        _value("layout", d.datastore_layout),
        "# Collections `eeesync plan` reads when none are named on the command line",
        "# (flat/indexes/by_collection/<name>.jsonl, or the folders under data/),",
        '# e.g. ["hfopenllm_v2", "MMLU-Pro"].',
        "# `eeesync plan --all` reads every collection.",
        _value("collections", list(collections)),
        "# Folder datastores only: the Hub dataset repo that source.url backlinks point at.",
        _value("link_repo", d.datastore_link_repo),
        "# Folder datastores: the commit of link_repo the folder copies, if it cannot tell.",
        f"# link_revision = {LINK_REVISION_EXAMPLE}",
        "",
        "[hub]",
        '# The Hub to read and open PRs on. "local:.eeesync/localhub" is an offline local Hub',
        "# for rehearsals (`eeesync localhub serve` runs it as a server).",
        _value("endpoint", d.endpoint_input),
        "# Your token is never stored here: eeesync uses HF_TOKEN, or the login saved by",
        "# `hf auth login`. Reading public repos needs no token; `eeesync apply` needs one with",
        "# write access (PRs are opened as you).",
        "# Model repos audited at once (1-64; `--parallelism` overrides it), and the timeout",
        "# per request in seconds.",
        _value("parallelism", d.parallelism),
        _value("timeout", d.timeout),
        "# Datastore objects downloaded at once (1-64; `--download-parallelism` overrides it):",
        "# downloads count in the Hub's larger resolver quota, and are paced to stay inside it.",
        _value("download_parallelism", d.download_parallelism),
        "",
        "[sync]",
        "# Two scores are the same when they differ by at most this many points on the 0-100",
        "# scale (the Hub's value is normalised first: 0.412 on main equals 41.2).",
        _value("tolerance", d.tolerance),
        '# Records that disagree on one score: "conflict" lists them as source_conflict and opens',
        '# nothing for them; "latest" publishes the newest.',
        _value("duplicates", d.duplicates),
        "# Models served only through an API are never published; these providers (model id or",
        "# developer prefix) count as API-only when a record does not say so itself.",
        _value("api_only_providers", list(d.api_only_providers)),
        "# Check every task id against the benchmark dataset's eval.yaml on the Hub.",
        _value("check_tasks", d.check_tasks),
        "",
        "[paths]",
        "# Plans are written here (commit them: with their apply journals they are the audit",
        "# trail). The cache holds downloaded records and Hub audits; it is safe to delete.",
        _value("plans", d.plan_dir.as_posix()),
        _value("cache", d.cache_dir.as_posix()),
        "",
        "[aliases]",
        "# Reviewed aliases of EEE model ids to Hub repos (`eeesync models suggest` proposes).",
        _value("file", d.alias_file.as_posix()),
        '# Providers whose hosted deployment ids may alias to the open repo, e.g. ["together"].',
        _value("allow_deployments", list(d.allow_deployments)),
        "",
        "[policy]",
        "# Reviewed lists, relative to this file: repos or authors that get no PR (globs), and",
        "# declined PRs (repo + PR number) to propose again. A closed PR is never reopened else.",
        _value("opt_out_file", d.opt_out_file.as_posix()),
        _value("reconsider_file", d.reconsider_file.as_posix()),
        "# Propose PRs that update entries on main from the datastore when it changed since.",
        _value("update_main", d.update_main),
        "",
        "[apply]",
        '# Who runs the sync, said in every PR description, e.g. "the EEE maintainers (@name)".',
        _value("contact", d.apply_contact),
        "",
        *_comment(
            f"Benchmarks: {_built_in_names()} are built in (`eeesync benchmarks` lists them). "
            "Change one, or add your own without code; the dataset's eval.yaml must define the "
            "task id (`eeesync benchmarks --check`). For example:"
        ),
        "#",
        *(f"# {line}" for line in EXAMPLE_BENCHMARK.splitlines()),
        "",
    ]
    return "\n".join(lines)
