"""Where a key is set in a TOML file: tomllib parses valid documents without positions, so
error messages find the line of `a.b.c` here (one lookup for the config and registry overrides).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_HEADER = re.compile(r"^\[\[?\s*([^\]]+?)\s*\]\]?")
_PART = r"""("[^"]*"|'[^']*'|[A-Za-z0-9_-]+)"""
_KEY = re.compile(rf"^{_PART}(\s*\.\s*{_PART})*\s*=")


def _split(dotted: str) -> tuple[str, ...]:
    parts = re.findall(r"""\s*("[^"]*"|'[^']*'|[^.\s]+)\s*(?:\.|$)""", dotted)
    return tuple(p[1:-1] if p[:1] in "\"'" else p for p in parts)


def line_of(text: str, path: Sequence[str]) -> int | None:
    """1-based line where the key `path` (e.g. `("hub", "timeout")`) is set, else the line of
    the nearest enclosing table header (`[benchmarks.gsm8k]` for a key inside it), else None."""
    wanted = tuple(str(p) for p in path)
    best: tuple[int, int] | None = None  # (matched depth, line)
    table: tuple[str, ...] = ()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        header = _HEADER.match(line)
        if header:
            table = _split(header.group(1))
            found = table
        elif _KEY.match(line):
            found = table + _split(line.split("=", 1)[0])
        else:
            continue
        depth = 0
        while depth < min(len(found), len(wanted)) and found[depth] == wanted[depth]:
            depth += 1
        if depth in (len(found), len(wanted)) and depth and (best is None or depth > best[0]):
            best = (depth, number)
            if depth == len(wanted):
                break
    return best[1] if best else None
