"""What the audit trail says eeesync did: the apply journals checked in beside the plans.

A nightly CI job starts without `.eeesync/`, so the journals under the plan folder (committed
with their plans, `examples/ci`) are the sync's memory of its own writes:

- repos where an apply opened (or adopted) a PR: the next plan audits their PRs even when no
  datastore entry wants them any more, so an entry the datastore dropped is withdrawn from our
  open PR (`withdraw`);
- repos where the Hub refused to open a PR (`prs_disabled`, the latest outcome for that repo):
  reported as such, never retried as a failure every night.

Journals are read tolerantly and bounded: a line that is not a journal record is ignored (the
journal's own reader, `apply/journal.py`, is the strict one).
"""

from __future__ import annotations

import json
from pathlib import Path

import attrs

#: Lines longer than this are not journal records of ours.
MAX_LINE_BYTES = 1_000_000
_OPENED = frozenset({"done", "adopted", "updated"})
PRS_DISABLED_OUTCOME = "prs_disabled"


@attrs.frozen
class Trail:
    opened: frozenset[str] = frozenset()  # repo ids (lower-cased) where we opened a PR
    prs_disabled: frozenset[str] = frozenset()  # the Hub refused our last PR there


def read_trail(plan_dir: Path) -> Trail:
    """The trail of every `*.apply.jsonl` under `plan_dir` (none: an empty trail)."""
    opened: set[str] = set()
    latest: dict[str, tuple[str, str]] = {}  # repo → (ts, outcome) of its last write outcome
    try:
        journals = sorted(plan_dir.rglob("*.apply.jsonl"))
    except OSError:
        return Trail()
    for path in journals:
        try:
            with path.open("rb") as handle:
                for raw in handle:
                    _read_line(raw, opened, latest)
        except OSError:
            continue
    disabled = {repo for repo, (_, outcome) in latest.items() if outcome == PRS_DISABLED_OUTCOME}
    return Trail(frozenset(opened), frozenset(disabled))


def _read_line(raw: bytes, opened: set[str], latest: dict[str, tuple[str, str]]) -> None:
    if len(raw) > MAX_LINE_BYTES:
        return
    try:
        record = json.loads(raw)
    except ValueError:
        return
    if not isinstance(record, dict) or record.get("event") not in ("result", "skip"):
        return
    repo, outcome, ts = record.get("repo_id"), record.get("outcome"), record.get("ts")
    if not (isinstance(repo, str) and isinstance(outcome, str) and isinstance(ts, str)):
        return
    key = repo.lower()
    if outcome in _OPENED and record.get("pr_num"):
        opened.add(key)
    if outcome in (*_OPENED, PRS_DISABLED_OUTCOME) and ts >= latest.get(key, ("", ""))[0]:
        latest[key] = (ts, outcome)
