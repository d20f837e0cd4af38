"""A conflict's difference in a researcher's words. Pure.

deepdiff finds what differs between the Hub's entry and ours (the engine); this module says it
the way a person would: "Hub 46.2 vs ours 44.35; source link added", never deepdiff's
"Type of root['date'] changed from NoneType to str".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from deepdiff import DeepDiff
from deepdiff.helper import notpresent

#: The order fields are told in (the score first), and their names for people.
_FIELDS = {
    "value": "score",
    "dataset.id": "dataset id",
    "dataset.task_id": "task id",
    "notes": "notes",
    "date": "date",
    "source": "source link",
}
_LONG = 60


def describe_difference(
    theirs: Mapping[str, Any], ours: Mapping[str, Any], *, hub_value: str
) -> str:
    """What differs, field by field, "; "-joined ("" when nothing does).

    `hub_value` is the Hub's score as people should read it (as written, with its 0–100 reading
    when the file uses the 0–1 scale).

    Example:
        >>> theirs = {"value": 46.2, "date": None}
        >>> describe_difference(theirs, {"value": 44.35, "date": "2025-01-15"}, hub_value="46.2")
        'Hub 46.2 vs ours 44.35; date added (2025-01-15)'
    """
    diff = DeepDiff(dict(theirs), dict(ours), view="tree")
    changed: dict[str, tuple[Any, Any]] = {}
    for levels in diff.values():
        for level in levels:
            key = ".".join(str(step) for step in level.path(output_format="list"))
            changed[key] = (_present(level.t1), _present(level.t2))
    phrases = []
    for key in sorted(changed, key=lambda k: list(_FIELDS).index(k) if k in _FIELDS else 99):
        old, new = changed[key]
        phrases.append(_phrase(key, old, new, hub_value))
    return "; ".join(phrases)


def _present(value: Any) -> Any:
    return None if value is notpresent else value


def _shown(value: Any) -> str:
    text = str(value)
    return text if len(text) <= _LONG else text[: _LONG - 1] + "…"


def _phrase(key: str, hub: Any, ours: Any, hub_value: str) -> str:
    if key == "value":
        ours_text = f"{ours:g}" if isinstance(ours, float) else _shown(ours)
        return f"Hub {hub_value} vs ours {ours_text}"
    name = _FIELDS.get(key, key)
    quoted = key == "notes"

    def show(value: Any) -> str:
        return repr(_shown(value)) if quoted else _shown(value)

    if hub is None:
        return f"{name} added" if key == "source" else f"{name} added ({show(ours)})"
    if ours is None:
        return f"{name} {show(hub)} on the Hub, none in ours"
    if key == "source":
        return f"{name} differs ({show(hub)} on the Hub)"
    return f"{name} {show(hub)} on the Hub vs ours {show(ours)}"
