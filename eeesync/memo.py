"""One memo wrapper for per-run verdicts: `Memo(rule)[key]` is `rule(key)`, computed once per
distinct key.

The mapping and the registry's result lookup judge millions of results that repeat a few
facts (a metric config, an `hf_repo`, a model id). Each such rule is a plain function of a
hashable key of facts; the memo only remembers its answers. Whoever builds the key is
responsible for one thing: two keys equal as dict keys must mean the same to the rule (`True`,
`1` and `1.0` are one dict key: a rule that tells them apart needs their classes in the key).

A dict subclass so that a hit is a C-level subscript (`memo[key]`), not a Python call: the
registry's lookup runs ~1.8 million times on the full datastore.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

#: Entries a memo holds before it starts over: keys come from the records, and a datastore
#: whose every result has its own id must not grow one without bound.
MEMO_LIMIT = 50_000

_K = TypeVar("_K")
_V = TypeVar("_V")


class Memo(dict[_K, _V]):
    """`memo[key]` → `rule(key)`, remembered. An unhashable key raises TypeError, as for any
    dict: `judge` answers those (without remembering them)."""

    __slots__ = ("rule",)

    def __init__(self, rule: Callable[[_K], _V]) -> None:
        super().__init__()
        self.rule = rule

    def __missing__(self, key: _K) -> _V:
        if len(self) >= MEMO_LIMIT:
            self.clear()
        value = self[key] = self.rule(key)
        return value

    def judge(self, key: _K) -> _V:
        """`self[key]`, or `rule(key)` when the key cannot be hashed (a list among the facts)."""
        try:
            return self[key]
        except TypeError:
            return self.rule(key)

    def __reduce__(self) -> tuple[Any, ...]:
        """A memo crosses to a worker process empty (its answers are per process)."""
        return (Memo, (self.rule,))
