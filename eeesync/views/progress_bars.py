"""The rich adapter for `eeesync.progress`: progress bars on the CLI's stderr console."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import attrs
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.progress import Progress as RichBars

from eeesync.progress import NO_TASK, Progress, ProgressTask


@attrs.frozen
class RichTask:
    bars: RichBars
    task_id: TaskID
    total: int

    def advance(self, steps: int = 1) -> None:
        self.bars.advance(self.task_id, steps)

    def complete(self) -> None:
        self.bars.update(self.task_id, completed=self.total)


@attrs.frozen
class RichProgress:
    """`eeesync.progress.Progress` drawn with rich's bars."""

    bars: RichBars

    def task(self, description: str, total: int) -> ProgressTask:
        return RichTask(self.bars, self.bars.add_task(description, total=total), total)

    def note(self, message: str) -> None:
        self.bars.console.print(message, markup=False, highlight=False)


@attrs.frozen
class NotesOnly:
    """No bars, but the notes: what a disabled display still owes a log."""

    console: Console

    def task(self, description: str, total: int) -> ProgressTask:
        return NO_TASK

    def note(self, message: str) -> None:
        self.console.print(message, markup=False, highlight=False)


@contextmanager
def progress_display(console: Console, *, enabled: bool = True) -> Iterator[Progress]:
    """Progress bars on `console` (stderr in the CLI, so `--json` stdout stays clean); when
    not `enabled`, only the notes."""
    if not enabled:
        yield NotesOnly(console)
        return
    bars = RichBars(
        TextColumn("{task.description}"),
        BarColumn(bar_width=24),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=not console.is_terminal,
    )
    with bars:
        yield RichProgress(bars)
