"""`eeesync models suggest [PLAN] [--dry-run] [--refresh]`: propose Hub repos for the plan's
`missing_hf_model` ids and append them, commented out, to the alias file for review.

Wiring only: the compute is eeesync/suggest.py, the rendering eeesync/views/suggest_view.py.
PLAN defaults to the newest plan in the plan folder. Exit codes: 0 done, 1 no plan / bad plan.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from eeesync.cache import ObjectCache
from eeesync.cli.common import open_hub
from eeesync.errors import UserError
from eeesync.hub.client import hub_failures
from eeesync.plan.file import read_plan
from eeesync.suggest import raw_names_from_objects, suggest, write_proposals
from eeesync.views.suggest_view import render_suggestions

if TYPE_CHECKING:
    from eeesync.cli.main import App
    from eeesync.config import Config
    from eeesync.plan.model import Plan

HELP = "model identity: propose Hub repos for missing models (written commented out for review)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare this command's flags."""
    sub = parser.add_subparsers(dest="models_command", metavar="SUBCOMMAND")
    sub.required = True
    suggest_parser = sub.add_parser(
        "suggest",
        help="propose a Hub repo for each missing_hf_model id of a plan",
        description="Search the Hub once per missing model (cached) and append the proposals, "
        "commented out, to the alias file ([aliases] file). Nothing is published to a proposal "
        "until a person uncomments it.",
    )
    suggest_parser.add_argument(
        "plan", metavar="PLAN", type=Path, nargs="?", help="plan file (default: the newest one)"
    )
    suggest_parser.add_argument(
        "--dry-run", action="store_true", help="show the proposals, write nothing"
    )
    suggest_parser.add_argument(
        "--refresh", action="store_true", help="search again instead of using cached answers"
    )


def _newest_plan(config: Config) -> Path:
    plans = sorted(config.plan_dir.glob("*.plan.json"), key=lambda p: p.stat().st_mtime)
    if not plans:
        raise UserError(
            f"no plan in {config.plan_dir}",
            hint="Run `eeesync plan` first, or name a plan file.",
        )
    return plans[-1]


def _raw_names(plan: Plan, config: Config) -> dict[str, tuple[str, ...]]:
    """Raw display names from the records: the object cache, or the datastore folder."""
    cache = ObjectCache(config.cache_dir)
    wanted = {
        e.desired.provenance.sha256
        for r in plan.repos
        for e in r.entries
        if e.desired.provenance is not None
    }
    read = {sha: data for sha in wanted if (data := cache.get_object(sha)) is not None}
    folder = config.resolve_path(plan.inputs.datastore_input)
    return raw_names_from_objects(plan, read, folder=folder if folder.is_dir() else None)


def run(args: argparse.Namespace, app: App) -> int:
    config = app.config()
    path: Path = args.plan or _newest_plan(config)
    plan = read_plan(path if path.is_absolute() else app.cwd / path)
    with hub_failures(config.endpoint_input), open_hub(config) as hub:
        report = suggest(
            plan,
            hub=hub,
            cache_dir=config.cache_dir,
            raw_names=_raw_names(plan, config),
            force=args.refresh,
        )
    alias_file = config.resolve_path(config.alias_file)
    written = 0 if args.dry_run else write_proposals(alias_file, report.suggestions)
    shown = (
        str(alias_file.relative_to(config.base_dir))
        if alias_file.is_relative_to(config.base_dir)
        else str(alias_file)
    )
    report = attrs.evolve(report, written=written, alias_file="" if args.dry_run else shown)
    render_suggestions(report, app.console)
    return 0
