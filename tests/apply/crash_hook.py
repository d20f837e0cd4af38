"""Test-only crash points: kill (or interrupt) an apply at one of `run.CHECKPOINTS`.

The shipped code calls `eeesync.apply.run.checkpoint(phase, index)`, a no-op; `install` replaces
it in this process. For a real child process (SIGKILL tests), run
`python -m tests.apply.crash_hook PHASE:INDEX[:int] <eeesync arguments…>`: it installs the hook
and runs the ordinary CLI entry point.
"""

from __future__ import annotations

import os
import signal
import sys
import time

import attrs

from eeesync.apply import run


@attrs.frozen
class CrashPoint:
    """Kill this process at `phase` of the action with plan index `index`."""

    phase: str
    index: int
    signum: int | None = None  # None: SIGKILL, looked up when used (Windows has none)

    @classmethod
    def parse(cls, text: str) -> CrashPoint:
        """`"after_intent:3"` (SIGKILL) or `"after_intent:3:int"` (SIGINT, a Ctrl-C)."""
        parts = text.split(":")
        if len(parts) not in (2, 3) or parts[0] not in run.CHECKPOINTS or not parts[1].isdigit():
            raise ValueError(f"bad crash point {text!r}: want PHASE:INDEX[:int]")
        signum = signal.SIGINT if len(parts) == 3 and parts[2] == "int" else None
        return cls(parts[0], int(parts[1]), signum)

    def __call__(self, phase: str, index: int) -> None:
        if (phase, index) != (self.phase, self.index):
            return
        os.kill(os.getpid(), self.signum if self.signum is not None else signal.SIGKILL)
        if self.signum is None:
            time.sleep(60)  # SIGKILL does not return


def install(point: CrashPoint | None) -> None:
    """Make `point` the apply's checkpoint hook (None: back to the no-op)."""
    run.checkpoint = point if point is not None else run._no_checkpoint


if __name__ == "__main__":
    from eeesync.cli.main import main

    install(CrashPoint.parse(sys.argv[1]))
    sys.exit(main(sys.argv[2:]))
