"""Fixtures for the view tests: the every-status plan and console helpers."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from eeesync.plan.model import Plan
from tests.plan_factory import make_plan

#: SGR sequences that set a colour (foreground/background, 16/256/truecolor).
COLOUR_SGR = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-9]|4[0-9]|9[0-7]|10[0-7])(?:;[0-9;]*)?m")


@pytest.fixture(scope="session")
def plan() -> Plan:
    return make_plan()


def recording_console(width: int = 80) -> Console:
    """A plain console that records what is printed (like a non-TTY pipe)."""
    return Console(width=width, record=True, file=io.StringIO(), color_system=None)


def terminal_console(*, no_color: bool = False, width: int = 100) -> tuple[Console, io.StringIO]:
    """A console that believes it is a colour terminal; returns it and its output buffer."""
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width,
        force_terminal=True,
        color_system="truecolor",
        no_color=no_color,
    )
    return console, buffer
