"""What a PR of eeesync's says about itself in its description: the marker and the entry list.

Apply writes both (`apply/pull_request.py`); the audit reads them back to learn what a PR of
ours held, even after the PR was closed and `refs/pr/N` is gone. Descriptions are untrusted
text (anyone can copy a marker), so parsing is bounded and never raises; whether a PR is ours
is decided by who opened it, not by what it says (`hub/audit.py`).

The entry list is one HTML comment (invisible on the Hub) holding JSON:
`<!-- eeesync:entries {"v":1,"entries":[{"file":…,"dataset":…,"task":…,"notes":…,"value":…,
"date":…,"source":…,"collection":…,"benchmark":…}, …]} -->`. `<` and `>` are escaped inside
the JSON, so no value can end the comment early.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, unquote

import attrs

from eeesync.hub.state import ListedEntry

_MARKER_RE = re.compile(
    r"<!-- eeesync:marker plan=(?P<plan>\S+) action=(?P<action>\S+) content=(?P<content>\S+) -->"
)
_ENTRIES_RE = re.compile(r"<!-- eeesync:entries (?P<json>\{.*?\}) -->", re.DOTALL)
#: Bounds on what the audit reads from one description (an entry list of ours is far smaller).
MAX_DESCRIPTION_CHARS = 1_000_000
MAX_LISTED_ENTRIES = 2_000
MAX_FIELD_CHARS = 2_000
LIST_VERSION = 1


@attrs.frozen
class Marker:
    """The machine marker in a PR description: which plan, action and content opened it."""

    plan: str
    action: str
    content: str

    def render(self) -> str:
        # Quoted so an action id can never break the one-line comment or the regex.
        action = quote(self.action, safe="/:@._-+=")
        return f"<!-- eeesync:marker plan={self.plan} action={action} content={self.content} -->"


def parse_markers(text: str) -> list[Marker]:
    """Every eeesync marker in a PR description.

    Example:
        >>> parse_markers("text\\n<!-- eeesync:marker plan=sha256:ab action=pr:1 content=cd -->")
        [Marker(plan='sha256:ab', action='pr:1', content='cd')]
    """
    return [
        Marker(m.group("plan"), unquote(m.group("action")), m.group("content"))
        for m in _MARKER_RE.finditer(text[:MAX_DESCRIPTION_CHARS])
    ]


def render_entry_list(entries: Iterable[ListedEntry]) -> str:
    """The entry-list comment for a PR description (sorted, so equal lists render equally)."""
    items = [
        {
            "file": e.file_path,
            "dataset": e.dataset_id,
            "task": e.task_id,
            "notes": e.notes,
            "value": e.value,
            "date": e.date,
            "source": e.source_url,
            "collection": e.collection,
            "benchmark": e.benchmark,
        }
        for e in sorted(entries, key=_order)
    ]
    if len(items) > MAX_LISTED_ENTRIES:
        raise ValueError(f"a PR lists at most {MAX_LISTED_ENTRIES} entries, not {len(items)}")
    text = json.dumps({"v": LIST_VERSION, "entries": items}, sort_keys=True, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e")
    return f"<!-- eeesync:entries {text} -->"


def parse_entry_list(text: str) -> tuple[ListedEntry, ...] | None:
    """The entries a description lists (None: it has no readable entry list)."""
    match = _ENTRIES_RE.search(text[:MAX_DESCRIPTION_CHARS])
    if match is None:
        return None
    try:
        data = json.loads(match.group("json"))
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("v") != LIST_VERSION:
        return None
    items = data.get("entries")
    if not isinstance(items, list) or len(items) > MAX_LISTED_ENTRIES:
        return None
    out = []
    for item in items:
        entry = _listed(item)
        if entry is None:
            return None  # a list we cannot read whole tells nothing reliable
        out.append(entry)
    return tuple(sorted(out, key=_order))


def _listed(item: Any) -> ListedEntry | None:
    if not isinstance(item, dict):
        return None
    value = item.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    required = [item.get(k) for k in ("file", "dataset", "task")]
    optional = [item.get(k) for k in ("notes", "date", "source")]
    labels = [item.get(k, "") for k in ("collection", "benchmark")]
    if not all(isinstance(v, str) and 0 < len(v) <= MAX_FIELD_CHARS for v in required):
        return None
    if not all(v is None or (isinstance(v, str) and len(v) <= MAX_FIELD_CHARS) for v in optional):
        return None
    if not all(isinstance(v, str) and len(v) <= MAX_FIELD_CHARS for v in labels):
        return None
    file_path, dataset, task = (str(v) for v in required)
    notes, date, source = (v if isinstance(v, str) else None for v in optional)
    return ListedEntry(
        file_path=file_path,
        dataset_id=dataset,
        task_id=task,
        value=float(value),
        notes=notes,
        date=date,
        source_url=source,
        collection=str(labels[0]),
        benchmark=str(labels[1]),
    )


def _order(e: ListedEntry) -> tuple[str, str, str, str]:
    return (e.file_path, e.dataset_id.lower(), e.task_id, e.notes or "")
