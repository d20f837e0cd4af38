"""`eeesync init`: not built yet (placeholder filled by its issue)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from eeesync.cli.main import App

HELP = "init (not built yet)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare this command's flags."""


def run(args: argparse.Namespace, app: App) -> int:
    app.err_console.print("not built yet")
    return 1
