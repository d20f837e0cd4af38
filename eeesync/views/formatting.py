"""Formatting shared by every view: numbers as people read them and markdown building blocks.

One module so the plan views (`terminal.py`, `markdown.py`) and the model view format a score,
escape text and build a table the same way (one rule for NaN and None: `?`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence


def format_value(value: float | None) -> str:
    """A score as people read it: up to 6 significant digits, no trailing zeros; `?` if unknown.

    NaN is unknown too (`?`), never the string "nan": a reader compares these numbers.
    """
    if value is None or math.isnan(value):
        return "?"
    return f"{value:.6g}"


# --- Markdown (GitHub-flavoured) ---------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~])")


def md_escape(text: str) -> str:
    """Plain text safe inside markdown and table cells (newlines become `<br>`)."""
    return _MD_SPECIAL.sub(r"\\\1", text).replace("\r", "").replace("\n", "<br>")


def md_code(text: str) -> str:
    """An inline code span that survives backticks and table pipes in `text`."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    escaped = text.replace("|", "\\|")  # GFM splits table cells on `|` even in code spans
    return f"{fence}{pad}{escaped}{pad}{fence}"


def md_link(label: str, url: str | None) -> str:
    """A link whose target survives spaces and `>`; just the escaped label without a url."""
    if not url:
        return md_escape(label)
    return f"[{md_escape(label)}](<{url.replace('>', '%3E').replace(' ', '%20')}>)"


def md_table(headers: Sequence[str], rows: Iterable[Sequence[str]], align: str = "") -> list[str]:
    """A GFM table; `align` holds one of l/r per column (default left)."""
    marks = {"l": "---", "r": "---:"}
    aligns = align.ljust(len(headers), "l")
    lines = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join(marks[a] for a in aligns) + "|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines
