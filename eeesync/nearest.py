"""The names closest to one a user typed: the hint after "no such model" or "matched nothing".

Case-insensitive (model ids are); a glob is compared by what it spells before its first
wildcard, against the same length of each name (`meta-lama/*` is near `meta-llama/…`, whatever
follows the slash).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

_WILDCARD = re.compile(r"[*?\[]")


def nearest(typed: str, names: Iterable[str], *, limit: int = 3, cutoff: float = 0.6) -> list[str]:
    """Up to `limit` of `names` closest to `typed`, closest first (ties: alphabetical)."""
    wildcard = _WILDCARD.search(typed)
    stem = (typed[: wildcard.start()] if wildcard else typed).lower()
    if not stem:
        return []
    by_key: dict[str, list[str]] = {}
    for name in sorted(set(names)):
        key = name.lower()[: len(stem)] if wildcard else name.lower()
        by_key.setdefault(key, []).append(name)
    matcher = difflib.SequenceMatcher(b=stem)
    scored = []
    for key in by_key:
        matcher.set_seq1(key)
        if matcher.real_quick_ratio() >= cutoff and matcher.quick_ratio() >= cutoff:
            score = matcher.ratio()
            if score >= cutoff:
                scored.append((-score, key))
    found = [name for _, key in sorted(scored) for name in by_key[key]]
    return found[:limit]
