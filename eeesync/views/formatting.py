"""Numbers as people read them, shared by every view (markdown building blocks, short shas and
counted nouns are in `eeesync/text.py`, which apply's PR descriptions use too).

One module so the plan views (`terminal.py`, `markdown.py`) and the model view format a score
the same way (one rule for NaN and None: `?`).
"""

from __future__ import annotations

import math


def format_value(value: float | None) -> str:
    """A score as people read it: up to 6 significant digits, no trailing zeros; `?` if unknown.

    NaN is unknown too (`?`), never the string "nan": a reader compares these numbers.
    """
    if value is None or math.isnan(value):
        return "?"
    return f"{value:.6g}"
