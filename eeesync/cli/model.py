"""`eeesync model MODEL_ID [COLLECTION ...] [--all] [--all-metrics] [--format text|markdown|json]`.

Every EEE result for one model, grouped by benchmark with the spread, and what the Hub shows
today for each published result (what `plan` would do) with the badge the model page gives
each Hub entry; then the Hub entries no result maps to and the repo's eval files that could not
be read. A run's sub-scores are folded into one line unless `--all-metrics`. Wiring only:
the compute is `eeesync/model_report.py`, the rendering `eeesync/views/model_view.py`.
Read-only: it writes no plan and opens nothing.

Exit codes: 0 shown, 1 an unknown model id (neither in the datastore nor on the Hub) or another
error the user can fix.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from eeesync.cli.common import add_collection_arguments, chosen_collections, open_hub
from eeesync.errors import UserError
from eeesync.hub.client import hub_failures
from eeesync.model_report import gather_model_report
from eeesync.stages import Stages
from eeesync.views.model_view import FORMATS as VIEW_FORMATS
from eeesync.views.model_view import render_model_report
from eeesync.views.progress_bars import progress_display

if TYPE_CHECKING:
    from eeesync.cli.main import App

HELP = "every EEE result for one model, by benchmark, and what the Hub shows for each"
FORMATS = VIEW_FORMATS  # `--format`/`--json`, added by cli/main


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare this command's flags."""
    parser.add_argument("model_id", metavar="MODEL_ID", help="model repo id, any letter case")
    add_collection_arguments(parser, verb="search")
    parser.add_argument(
        "--datastore", metavar="LOCATOR", help="OWNER/NAME[@REVISION] or a folder path"
    )
    parser.add_argument(
        "--all-metrics",
        action="store_true",
        help="list every sub-score of a run (default: folded into one line under its headline)",
    )


def run(args: argparse.Namespace, app: App) -> int:
    config = app.config(datastore_input=args.datastore)
    collections = chosen_collections(args, config)
    if not collections and not args.all:
        raise UserError(
            "no collection to search",
            hint="Name one (`eeesync model ID COLLECTION`), set `collections = [...]` under "
            "[datastore] in eeesync.toml, or search them all with `--all`.",
        )
    # Progress goes to stderr; only a terminal gets it, so piped markdown/JSON stays clean.
    show_progress = app.err_console.is_terminal
    with (
        hub_failures(config.endpoint_input),
        open_hub(config) as hub,
        progress_display(app.err_console, enabled=show_progress) as progress,
    ):
        view = gather_model_report(
            args.model_id,
            stages=Stages.build(config, hub=hub),
            collections=None if args.all else collections,
            progress=progress,
        )
    render_model_report(view, app.console, args.format, all_metrics=args.all_metrics)
    return 0
