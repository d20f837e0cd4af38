"""`eeesync import`: Community Evals scores that EEE lacks → an import plan of new EEE records.

Wiring only (the work is `eeesync/imports/build.py`, rendering `views/import_view.py`): read
each registry benchmark's Hub leaderboard (or `--benchmark KEY`), decide per score, write the
import plan to `plans/` (or `-o`), render it, and end with the `eeesync apply` command that
opens the datastore PR. `--records DIR` also writes the new records under DIR in the
submission layout, without any PR. Exit codes as `plan`: 0, 1 (an error the user can fix), and
with `--detailed-exitcode` 2 when there are records to write.
"""

from __future__ import annotations

import argparse
import logging
import re
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from eeesync.cli.common import open_hub, setting_flag
from eeesync.cli.plan import checked_target, unapplied
from eeesync.errors import UserError
from eeesync.fsutil import write_atomic
from eeesync.hub.client import hub_failures
from eeesync.imports.build import ImportRequest, build_import_plan
from eeesync.plan.import_file import write_import_plan
from eeesync.plan.import_model import DEFAULT_COLLECTION, ImportPlan
from eeesync.stages import configured_registry
from eeesync.text import plural
from eeesync.views.import_view import render_import_plan
from eeesync.views.progress_bars import progress_display

if TYPE_CHECKING:
    from eeesync.cli.main import App

HELP = "turn Community Evals scores that EEE lacks into new EEE records (an import plan)"
FORMATS = ("text", "markdown", "json")
EXIT_NO_CHANGES, EXIT_CHANGES = 0, 2
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")


def _collection(text: str) -> str:
    if not _NAME.match(text) or text == "data" or text.endswith("."):
        raise argparse.ArgumentTypeError(f"{text!r} is not a portable folder name")
    return text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--benchmark",
        action="append",
        default=[],
        metavar="KEY",
        help="only this benchmark's leaderboard (repeatable; default: every registry benchmark)",
    )
    parser.add_argument("--model", default="", metavar="GLOB", help="only model ids matching")
    parser.add_argument(
        "--include-prs",
        action="store_true",
        help="also import community scores that are only in an open PR (status pr_only)",
    )
    parser.add_argument(
        "--collection",
        type=_collection,
        default=DEFAULT_COLLECTION,
        help=f"the datastore collection the records go to (default {DEFAULT_COLLECTION})",
    )
    parser.add_argument(
        "--records",
        type=Path,
        metavar="DIR",
        help="also write the new records under DIR (data/<collection>/…), without any PR",
    )
    parser.add_argument(
        "--datastore", metavar="LOCATOR", help="OWNER/NAME[@REVISION] or a folder path"
    )
    parser.add_argument("-o", "--out", type=Path, metavar="PLANFILE", help="where to write it")
    parser.add_argument(
        "--detailed-exitcode",
        action="store_true",
        help="exit 0 when there is nothing to import, 2 when records would be written",
    )
    parser.add_argument(
        "--parallelism",
        type=setting_flag("parallelism"),
        metavar="N",
        help="eval files read at once, 1-64 (default: [hub] parallelism, 8)",
    )


def run(args: argparse.Namespace, app: App) -> int:
    logging.getLogger("huggingface_hub").setLevel(logging.ERROR)
    config = app.config(datastore_input=args.datastore, parallelism=args.parallelism)
    keys = tuple(dict.fromkeys(args.benchmark))
    known = configured_registry(config).keys()
    unknown = [k for k in keys if k not in known]
    if unknown:
        raise UserError(
            f"unknown benchmark {unknown[0]!r}; the registry has: {', '.join(known)}",
            hint="See `eeesync benchmarks` for each key's dataset and task.",
        )
    out = checked_target(args.out, app.cwd, config.plan_dir)
    records_dir = None if args.records is None else app.cwd / args.records
    request = ImportRequest(
        benchmarks=keys,
        model_filter=args.model,
        include_prs=bool(args.include_prs),
        collection=args.collection,
        records_dir=records_dir,
    )
    show_progress = args.format == "text" or app.err_console.is_terminal
    with (
        hub_failures(config.endpoint_input, request="a request the import needs"),
        open_hub(config) as hub,
        progress_display(app.err_console, enabled=show_progress) as progress,
    ):
        plan = build_import_plan(config, request, hub=hub, progress=progress).plan
    notes: list[str] = []
    path = out or unapplied(config.plan_dir / _default_name(plan, keys), notes, app.cwd)
    write_import_plan(plan, path)
    written = write_records(plan, records_dir) if records_dir is not None else 0
    render_import_plan(plan, app.console, args.format)
    if args.format != "json":
        shown = _shown(path, app.cwd)
        console = app.console if args.format == "text" else app.err_console
        lines = [*notes, f"Plan written to {shown}"]
        if records_dir is not None:
            where = _shown(records_dir, app.cwd)
            lines.append(f"{plural(written, 'record')} written under {where}")
        if plan.has_changes:
            lines.append(f"To open the datastore PR, run: eeesync apply {shlex.quote(shown)}")
        else:
            lines.append("Nothing to import: no apply needed.")
        for line in lines:
            console.print(line, markup=False, highlight=False, soft_wrap=True)
    if args.detailed_exitcode:
        return EXIT_CHANGES if plan.has_changes else EXIT_NO_CHANGES
    return 0


def write_records(plan: ImportPlan, folder: Path) -> int:
    """Each new record at `folder/<its path>`; an existing file is never replaced."""
    for record in plan.records:
        target = folder / record.path
        if target.exists():
            raise UserError(f"{target} already exists: not replaced")
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, record.content.encode("utf-8"), fsync=True)
    return len(plan.records)


def _default_name(plan: ImportPlan, keys: tuple[str, ...]) -> str:
    """`import-<collection>-<sha7>[-bench-<keys>].plan.json` (a filtered plan never takes the
    place of the whole one)."""
    short = re.sub(r"[^A-Za-z0-9]", "", plan.inputs.datastore_revision.split("-")[-1])[:7]
    bench = (
        "-bench-" + re.sub(r"[^A-Za-z0-9._+-]", "_", "+".join(sorted(keys)))[:40] if keys else ""
    )
    return f"import-{plan.inputs.collection}-{short or 'local'}{bench}.plan.json"


def _shown(path: Path, cwd: Path) -> str:
    try:
        return str(path.resolve().relative_to(cwd.resolve()))
    except ValueError:
        return str(path)
