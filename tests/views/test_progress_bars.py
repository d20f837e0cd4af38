"""`eeesync/views/progress_bars.py`: the rich adapter of the progress protocol."""

from __future__ import annotations

import io

from rich.console import Console

from eeesync.views.progress_bars import RichProgress, progress_display


def test_disabled_display_shows_no_bars_but_the_notes() -> None:
    out = io.StringIO()
    with progress_display(Console(file=out), enabled=False) as progress:
        progress.task("Reading", total=3).advance()
        assert out.getvalue() == ""
        progress.note("Resuming an interrupted plan: 3 repos already audited")
    assert out.getvalue() == "Resuming an interrupted plan: 3 repos already audited\n"


def test_notes_reach_a_log_that_is_not_a_terminal() -> None:
    out = io.StringIO()
    console = Console(file=out, width=80)
    assert not console.is_terminal  # a CI log: the bars are transient and leave nothing
    with progress_display(console, enabled=True) as progress:
        progress.task("Auditing model repos", total=2).complete()
        progress.note("Resuming an interrupted plan: 2 repos already audited")
    assert "Resuming an interrupted plan: 2 repos already audited" in out.getvalue()
    assert "Auditing" not in out.getvalue()


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
