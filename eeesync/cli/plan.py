"""`eeesync plan`: compute the desired state, audit the Hub, write a reviewable plan file.

Wiring only (the pipeline is `pipeline.py`, rendering is `eeesync.views`): load the config with
the flags last, run the pipeline with progress bars on stderr, write the plan to `plans/` (or
`-o`), render it, and end with where it was written and the exact `eeesync apply` command.

Exit codes: 0 (also "nothing to open" with --detailed-exitcode), 1 an error the user can fix,
2 with --detailed-exitcode when the plan opens PRs (Terraform's `-detailed-exitcode`).
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from eeesync.apply.journal import journal_path
from eeesync.cli.common import (
    add_collection_arguments,
    chosen_collections,
    open_hub,
    setting_flag,
)
from eeesync.datastore.scan import check_folder_collections
from eeesync.errors import EeesyncError, PlanFileError, UserError
from eeesync.hub.client import classify, hub_failures
from eeesync.pipeline import PlanRequest, build_plan, list_all_collections
from eeesync.plan.file import (
    check_plan_folder,
    check_plan_target,
    default_plan_name,
    serialize_plan,
    write_plan,
)
from eeesync.stages import configured_registry
from eeesync.views import render_plan
from eeesync.views.progress_bars import progress_display

if TYPE_CHECKING:
    from eeesync.cli.main import App
    from eeesync.config import Config
    from eeesync.hub.client import Hub

HELP = "audit the Hub against the datastore and write a reviewable plan file"
FORMATS = ("text", "markdown", "json")  # `--format`/`--json`, added by cli/main

EXIT_NO_CHANGES, EXIT_CHANGES = 0, 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare this command's flags."""
    add_collection_arguments(parser, verb="plan")
    parser.add_argument(
        "--datastore", metavar="LOCATOR", help="OWNER/NAME[@REVISION] or a folder path"
    )
    parser.add_argument(
        "-o", "--out", type=Path, metavar="PLANFILE", help="where to write the plan"
    )
    parser.add_argument(
        "--model", default="", metavar="GLOB", help="only model ids matching this glob"
    )
    parser.add_argument(
        "--benchmark",
        action="append",
        default=[],
        metavar="KEY",
        help="only this benchmark (repeatable; see `eeesync benchmarks`)",
    )
    parser.add_argument("--force", action="store_true", help="ignore every cache")
    parser.add_argument(
        "--shard",
        type=_shard,
        default=(1, 1),
        metavar="K/N",
        help="plan only shard K of N (models split by id hash): N CI jobs share one datastore",
    )
    parser.add_argument(
        "--detailed-exitcode",
        action="store_true",
        help="exit 0 when there is nothing to open, 2 when PRs would be opened, 1 on error",
    )
    parser.add_argument(
        "--parallelism",
        type=setting_flag("parallelism"),
        metavar="N",
        help="model repos audited at once, 1-64 (default: [hub] parallelism, 8)",
    )
    parser.add_argument(
        "--download-parallelism",
        type=setting_flag("download_parallelism"),
        metavar="N",
        help="datastore objects downloaded at once, 1-64 (default: [hub] download_parallelism, 32)",
    )


def run(args: argparse.Namespace, app: App) -> int:
    # huggingface_hub logs each 429 it waits out ("Rate limited. Waiting…"): under a quota that
    # is hundreds of lines across the progress bars. Retries are expected and handled here.
    logging.getLogger("huggingface_hub").setLevel(logging.ERROR)
    config = app.config(
        datastore_input=args.datastore,
        parallelism=args.parallelism,
        download_parallelism=args.download_parallelism,
    )
    collections = chosen_collections(args, config)
    request = PlanRequest(
        collections=collections,
        all_collections=bool(args.all),
        model_filter=args.model or "",
        benchmark_filter=tuple(dict.fromkeys(args.benchmark)),
        force=bool(args.force),
        shard=args.shard,
    )
    _check_benchmarks(request.benchmark_filter, config)
    # A failed plan leaves nothing behind: what can be checked before the Hub (and, for
    # `local:`, its state folder) is opened is checked here, and plans/ is made only to write.
    check_folder_collections(
        config.datastore_input, config.base_dir, collections, layout=config.datastore_layout
    )
    # Where the plan goes is checked before the audit: a long run must not end in "cannot write".
    chosen = checked_target(args.out, app.cwd, config.plan_dir)
    show_progress = args.format == "text" or app.err_console.is_terminal
    with (
        hub_failures(config.endpoint_input, request="a request the plan needs"),
        open_hub(config) as hub,
    ):
        if not collections and not args.all:
            raise _no_collection(config, hub)
        with progress_display(app.err_console, enabled=show_progress) as progress:
            result = build_plan(config, request, hub=hub, progress=progress)
    plan = result.plan

    notes: list[str] = []
    if chosen is None:
        name = default_plan_name(
            plan.inputs.collections,
            plan.inputs.datastore_revision,
            all_collections=bool(args.all),
            model_filter=request.model_filter,
            benchmark_filter=request.benchmark_filter,
            shard=plan.inputs.shard,
        )
        path = unapplied(config.plan_dir / name, notes, app.cwd)
    else:
        path = chosen
        if not path.parent.exists():
            notes.append(f"Created the folder {_shown_path(path.parent, app.cwd)}")
    write_plan(plan, path)

    if args.format == "json":
        # The same bytes as the file: the plan has one JSON schema, not two.
        app.console.print(
            serialize_plan(plan), markup=False, highlight=False, soft_wrap=True, end=""
        )
    else:
        shown = _shown_path(path, app.cwd)
        render_plan(plan, app.console, args.format, plan_ref=shown)
        if plan.has_changes:
            last = f"To open these PRs, run: eeesync apply {shlex.quote(shown)}"
        else:
            last = "Nothing to open: no apply needed."
        # Markdown is pasted whole (a PR description): these lines go to stderr then.
        console = app.console if args.format == "text" else app.err_console
        for line in (*notes, f"Plan written to {shown}", last):
            # Never wrapped: these lines are copied and pasted.
            console.print(line, markup=False, highlight=False, soft_wrap=True)
    if args.detailed_exitcode:
        return EXIT_CHANGES if plan.has_changes else EXIT_NO_CHANGES
    return 0


def _check_benchmarks(keys: tuple[str, ...], config: Config) -> None:
    """An unknown `--benchmark` key (a typo) would plan nothing and exit 0: refuse it."""
    if not keys:
        return
    known = configured_registry(config).keys()
    unknown = [k for k in keys if k not in known]
    if unknown:
        raise UserError(
            f"unknown benchmark {unknown[0]!r}; the registry has: {', '.join(known)}",
            hint="See `eeesync benchmarks` for each key's dataset and task.",
        )


def checked_target(out: Path | None, cwd: Path, plan_dir: Path) -> Path | None:
    """`-o` against the working folder, checked (a writable place, no applied plan there), or
    None with the plans folder checked: before the run, which must not end in "cannot write"."""
    if out is None:
        check_plan_folder(plan_dir)
        return None
    chosen = out if out.is_absolute() else cwd / out
    check_plan_target(chosen)
    refuse_applied(chosen)
    return chosen


def refuse_applied(path: Path) -> None:
    """A plan with an apply journal is a record of what was done: it is never replaced."""
    journal = journal_path(path)
    if journal.exists():
        raise PlanFileError(
            f"{path} has an apply journal ({journal.name}): it was applied, and a new plan "
            "there would leave that journal beside another plan",
            hint="Write the new plan elsewhere (-o OTHER.plan.json), or omit -o for a new name.",
        )


def unapplied(path: Path, notes: list[str], cwd: Path) -> Path:
    """`path`, or the first `<name>.N.plan.json` free of a journal when `path` was applied."""
    candidate, number = path, 1
    while journal_path(candidate).exists():
        number += 1
        candidate = path.with_name(path.name.replace(".plan.json", f".{number}.plan.json"))
    if candidate != path:
        notes.append(
            f"{_shown_path(path, cwd)} has an apply journal (it was applied): "
            f"not replaced; this plan is {candidate.name}"
        )
    return candidate


def _shard(text: str) -> tuple[int, int]:
    """`K/N` with 1 <= K <= N <= 1000 (a usage error otherwise)."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if match is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not K/N (e.g. 1/2)")
    shard, count = int(match.group(1)), int(match.group(2))
    if not 1 <= shard <= count <= 1000:
        raise argparse.ArgumentTypeError(f"{text!r}: K/N needs 1 <= K <= N <= 1000")
    return shard, count


def _shown_path(path: Path, cwd: Path) -> str:
    """Relative to the working directory when the plan is under it (what people type)."""
    try:
        return str(path.resolve().relative_to(cwd.resolve()))
    except ValueError:
        return str(path)


def _no_collection(config: Config, hub: Hub) -> UserError:
    hint = (
        "Name one (`eeesync plan COLLECTION`), set `collections = [...]` under [datastore] in "
        "eeesync.toml, or plan them all with `eeesync plan --all`."
    )
    try:
        names = list_all_collections(config, hub=hub)
    except Exception as exc:  # the names only help the hint: any known failure goes unlisted
        if not isinstance(exc, (EeesyncError, OSError)) and classify(exc) is None:
            raise
        names = []
    if names:
        shown = ", ".join(names[:12]) + (
            f" (and {len(names) - 12} more)" if len(names) > 12 else ""
        )
        hint += f"{os.linesep}Collections in {config.datastore_input}: {shown}"
    return UserError("no collection to plan", hint=hint)
