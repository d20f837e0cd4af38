"""`eeesync force-unlock ID`: remove an apply lock whose holder is hung or gone.

Locks live under the cache folder (`<cache>/locks/`); the id printed by the apply that found the
lock held is the only way to name one, so a lock is never removed by guesswork.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from rich.markup import escape

from eeesync.apply.lock import force_unlock

if TYPE_CHECKING:
    from eeesync.cli.main import App

HELP = "remove the apply lock with this id (when its holder is hung or gone)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare this command's flags."""
    parser.add_argument("lock_id", metavar="ID", help="the lock id printed by `eeesync apply`")


def run(args: argparse.Namespace, app: App) -> int:
    config = app.config()
    info = force_unlock(config.cache_dir, args.lock_id)
    app.console.print(
        f"Removed the apply lock {escape(info.id)} held by {escape(info.describe())}."
    )
    if info.pid_alive_here():
        app.console.print(
            f"[yellow]Warning:[/] process {info.pid} is still running: if it is still applying, "
            "two applies of this plan can now run at once."
        )
    return 0
