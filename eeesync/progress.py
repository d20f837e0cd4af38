"""How long-running stages report progress: one small protocol, no rendering.

The datastore scan and the Hub audit tick a `ProgressTask`, and say what a log must keep with
`note` (bars vanish from a CI log; a note does not); the CLI hands them a rich adapter
(`views/progress_bars.py`), tests and library callers the no-op `NO_PROGRESS`. Keeping rich out of
the stages keeps them importable and testable without a console.
"""

from __future__ import annotations

from typing import Protocol


class ProgressTask(Protocol):
    """One bar: `total` steps announced when it was started."""

    def advance(self, steps: int = 1) -> None:
        """Count `steps` more steps done (may be called from worker threads)."""

    def complete(self) -> None:
        """Mark every step done (a stage that skipped some still ends at 100%)."""


class Progress(Protocol):
    """Something that can show several bars."""

    def task(self, description: str, total: int) -> ProgressTask:
        """Start a bar named `description` with `total` steps."""
        ...

    def note(self, message: str) -> None:
        """One line that stays, at a terminal and in a CI log alike (e.g. a resumed run)."""


class _NoTask:
    def advance(self, steps: int = 1) -> None:
        pass

    def complete(self) -> None:
        pass


class NoProgress:
    """Shows nothing: the default when no one is watching."""

    def task(self, description: str, total: int) -> ProgressTask:
        return NO_TASK

    def note(self, message: str) -> None:
        pass


NO_TASK: ProgressTask = _NoTask()
NO_PROGRESS: Progress = NoProgress()
