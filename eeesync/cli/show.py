"""`eeesync show PLAN [--format text|markdown|json] [--status S ...] [--max-bytes N]`: re-render
a saved plan.

Reads the plan through `plan/file.py` (a tampered or unknown-version plan is refused there with
a `PlanFileError`, printed by `cli/main.py` as one clean error) and hands it to the views. It
never contacts the Hub: a plan file is the whole truth about what it plans.

`--max-bytes N` (markdown) fits a PR description: GitHub takes 65,536 characters, so
`--max-bytes 65536` is always accepted there (a character is at least one byte).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from eeesync.apply.journal import journal_path, progress
from eeesync.errors import UserError
from eeesync.plan.import_file import read_any_plan
from eeesync.plan.import_model import ImportPlan
from eeesync.plan.model import STATUS_ORDER, Status
from eeesync.views import FORMATS as VIEW_FORMATS
from eeesync.views import render_plan
from eeesync.views.import_view import render_import_plan

if TYPE_CHECKING:
    from eeesync.cli.main import App

HELP = "re-render a saved plan as text, markdown (for a PR description) or JSON"
#: text, markdown (paste as a PR description) or json (the plan file); `--format`, see cli/main.
FORMATS = VIEW_FORMATS

#: Not an entry status: `--status unmatched` lists the results no benchmark recognised.
UNMATCHED = "unmatched"
_STATUS_NAMES = ", ".join([*(s.value for s in STATUS_ORDER), UNMATCHED])


def _statuses(text: str) -> list[Status | str]:
    """`--status ready,score_conflict` (repeatable): each name must be a known status, or
    `unmatched`."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"empty status; choose from {_STATUS_NAMES}")
    statuses: list[Status | str] = []
    for name in names:
        if name == UNMATCHED:
            statuses.append(UNMATCHED)
            continue
        try:
            statuses.append(Status(name.replace("-", "_")))
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"unknown status {name!r}; choose from {_STATUS_NAMES}"
            ) from None
    return statuses


def _max_bytes(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare this command's flags."""
    parser.add_argument("plan", metavar="PLAN", type=Path, help="plan file written by `plan`")
    parser.add_argument(
        "--status",
        dest="statuses",
        type=_statuses,
        action="append",
        metavar="S",
        help=f"show only these statuses (repeat or comma-separate): {_STATUS_NAMES}",
    )
    parser.add_argument(
        "--max-bytes",
        type=_max_bytes,
        metavar="N",
        help="markdown only: fit in N bytes (UTF-8) by leaving out per-file contents, largest "
        "first, with a note; a minimal body when even the tables do not fit",
    )
    parser.add_argument(
        "--plan-url",
        metavar="URL",
        help="link to the full plan in the note about what --max-bytes left out",
    )


def run(args: argparse.Namespace, app: App) -> int:
    if args.max_bytes is not None and args.format != "markdown":
        raise UserError("--max-bytes applies to --format markdown only")
    path: Path = args.plan if args.plan.is_absolute() else app.cwd / args.plan
    plan = read_any_plan(path)
    if isinstance(plan, ImportPlan):
        if args.statuses is not None or args.max_bytes is not None:
            raise UserError("--status and --max-bytes apply to sync plans, not import plans")
        render_import_plan(plan, app.console, args.format)
        return 0
    names = None if args.statuses is None else {s for group in args.statuses for s in group}
    selected = None if names is None else {s for s in names if isinstance(s, Status)}
    render_plan(
        plan,
        app.console,
        args.format,
        statuses=selected,
        progress=progress(path, plan) if journal_path(path).exists() else None,
        plan_ref=str(args.plan),
        max_bytes=args.max_bytes,
        plan_url=args.plan_url,
        show_unmatched=names is not None and UNMATCHED in names,
    )
    return 0
