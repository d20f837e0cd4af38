"""`eeesync/views/progress_bars.py`: the rich adapter of the progress protocol."""

from __future__ import annotations

import io

from rich.console import Console

from eeesync.progress import NO_PROGRESS
from eeesync.views.progress_bars import RichProgress, progress_display


def test_disabled_display_shows_nothing() -> None:
    out = io.StringIO()
    with progress_display(Console(file=out), enabled=False) as progress:
        progress.task("Reading", total=3).advance()
    assert progress is NO_PROGRESS and out.getvalue() == ""


def test_bars_count_steps_and_complete() -> None:
    out = io.StringIO()
    with progress_display(Console(file=out, width=80), enabled=True) as progress:
        assert isinstance(progress, RichProgress)
        task = progress.task("Auditing model repos", total=4)
        task.advance(2)
        (bar,) = progress.bars.tasks
        assert bar.completed == 2 and bar.total == 4
        task.complete()
        assert bar.completed == 4
