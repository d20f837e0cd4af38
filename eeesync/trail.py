"""What the audit trail says eeesync did: the apply journals checked in beside the plans.

A nightly CI job starts without `.eeesync/`, so the journals under the plan folder (committed
with their plans, `examples/ci`) are the sync's memory of its own writes:

- repos where an apply opened (or adopted) a PR: the next plan audits their PRs even when no
  datastore entry wants them any more, so an entry the datastore dropped is withdrawn from our
  open PR (`withdraw`);
- repos where the Hub refused to open a PR (`prs_disabled`, the latest outcome for that repo):
  reported as such, never retried as a failure every night;
- the entries an apply committed directly to main (`[apply] mode = "direct-when-owner"`, outcome
  `committed`, or `adopted` without a PR: an interrupted run's commit found on main), read from
  the plan beside that journal: one the owner later deletes from main
  is `removed_by_author`, as an entry of a merged PR of ours is.

Journals are read tolerantly and bounded: a line that is not a journal record is ignored (the
journal's own reader, `apply/journal.py`, is the strict one).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import attrs

from eeesync.apply.pull_request import listed
from eeesync.errors import PlanFileError
from eeesync.hub.state import ListedEntry
from eeesync.plan.file import read_plan

#: Lines longer than this are not journal records of ours.
MAX_LINE_BYTES = 1_000_000
_OPENED = frozenset({"done", "adopted", "updated"})
PRS_DISABLED_OUTCOME = "prs_disabled"
COMMITTED_OUTCOME = "committed"  # a direct commit to main


@attrs.frozen
class Trail:
    opened: frozenset[str] = frozenset()  # repo ids (lower-cased) where we opened a PR
    prs_disabled: frozenset[str] = frozenset()  # the Hub refused our last PR there
    #: repo id (lower-cased) → the entries we committed directly to main, with where it says so
    #: (the plan file beside the journal).
    committed: Mapping[str, tuple[tuple[ListedEntry, str], ...]] = attrs.field(factory=dict)


def read_trail(plan_dir: Path) -> Trail:
    """The trail of every `*.apply.jsonl` under `plan_dir` (none: an empty trail)."""
    opened: set[str] = set()
    latest: dict[str, tuple[str, str]] = {}  # repo → (ts, outcome) of its last write outcome
    committed: dict[str, list[tuple[ListedEntry, str]]] = {}
    try:
        journals = sorted(plan_dir.rglob("*.apply.jsonl"))
    except OSError:
        return Trail()
    for path in journals:
        direct: set[str] = set()  # action ids this journal says were committed to main
        try:
            with path.open("rb") as handle:
                for raw in handle:
                    _read_line(raw, opened, latest, direct)
        except OSError:
            continue
        if direct:
            _committed_entries(path, direct, committed)
    disabled = {repo for repo, (_, outcome) in latest.items() if outcome == PRS_DISABLED_OUTCOME}
    return Trail(
        frozenset(opened),
        frozenset(disabled),
        {repo: tuple(entries) for repo, entries in committed.items()},
    )


def _committed_entries(
    journal: Path, actions: set[str], committed: dict[str, list[tuple[ListedEntry, str]]]
) -> None:
    """The entries of `actions` in the plan beside `journal` (an unreadable plan: none)."""
    plan_path = journal.with_name(journal.name.removesuffix(".apply.jsonl") + ".json")
    try:
        plan = read_plan(plan_path)
    except PlanFileError:
        return
    where = plan_path.name
    for repo in plan.repos:
        if repo.action_id in actions:
            written = [(listed(e), where) for e in repo.entries if e.status.opens_write]
            committed.setdefault(repo.repo_id.lower(), []).extend(written)


def _read_line(
    raw: bytes, opened: set[str], latest: dict[str, tuple[str, str]], direct: set[str]
) -> None:
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
    found_on_main = outcome == "adopted" and not record.get("pr_num")
    if (outcome == COMMITTED_OUTCOME or found_on_main) and isinstance(
        action := record.get("action_id"), str
    ):
        direct.add(action)
    if outcome in _OPENED and record.get("pr_num"):
        opened.add(key)
    if outcome in (*_OPENED, PRS_DISABLED_OUTCOME) and ts >= latest.get(key, ("", ""))[0]:
        latest[key] = (ts, outcome)
