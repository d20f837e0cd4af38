"""An interrupted `plan` resumes (cache.AuditJournal + hub/streaming.py): the repos the first
run audited are not asked again, the resumption is shown, and the plan is the one an
uninterrupted run makes."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import attrs
import pytest

from eeesync.cache import AuditJournal
from eeesync.hub.state import RepoState
from eeesync.localhub import LocalHub
from eeesync.pipeline import PlanRequest, build_plan
from eeesync.progress import NO_TASK, ProgressTask
from tests.hub.conftest import make_hub
from tests.hub.test_audit import RecordingProgress
from tests.test_overlap import _world

FIXED = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


class _Interrupt:
    """Ctrl-C when the scan ends, once the audits started during the scan have settled."""

    def __init__(self, localhub: LocalHub) -> None:
        self.localhub = localhub

    def note(self, message: str) -> None:
        pass

    def task(self, description: str, total: int) -> ProgressTask:
        if not description.startswith("Reading"):
            return NO_TASK
        localhub = self.localhub

        class _Scan:
            def advance(self, steps: int = 1) -> None:
                pass

            def complete(self) -> None:
                last, still = -1, 0
                while still < 5:
                    now = sum(localhub.counters().get(b, 0) for b in ("api", "resolvers"))
                    still = still + 1 if now == last else 0
                    last = now
                    time.sleep(0.05)
                raise KeyboardInterrupt

        return _Scan()


def _requests(localhub: LocalHub) -> int:
    counts = localhub.counters()
    return counts.get("api", 0) + counts.get("resolvers", 0)


def test_an_interrupted_plan_resumes(tmp_path: Path, localhub: LocalHub) -> None:
    config = _world(tmp_path, localhub)
    hub = make_hub(localhub)
    localhub.reset_counters()
    whole = build_plan(config, PlanRequest(force=True), hub=hub, now=lambda: FIXED)
    uninterrupted = _requests(localhub)
    runs = config.cache_dir / "runs"
    assert not any(runs.glob("*.jsonl"))  # a completed run leaves no journal

    fresh = tmp_path / "fresh-cache"  # a second cache: nothing from the run above
    config = attrs.evolve(config, cache_dir=fresh)
    localhub.reset_counters()
    with pytest.raises(KeyboardInterrupt):
        build_plan(config, PlanRequest(), hub=hub, progress=_Interrupt(localhub))
    first = _requests(localhub)
    (journal_file,) = (fresh / "runs").glob("*.jsonl")
    kept = AuditJournal(journal_file).states
    assert kept and first > 0

    localhub.reset_counters()
    progress = RecordingProgress()
    resumed = build_plan(config, PlanRequest(), hub=hub, now=lambda: FIXED, progress=progress)
    second = _requests(localhub)
    assert resumed.plan.digest == whole.plan.digest
    assert resumed.stats.resumed > 0
    noted = f"note Resuming an interrupted plan: {len(kept)} repos already audited"
    assert noted in progress.ticks  # a note: CI logs keep it, where a bar leaves nothing
    shown = [t for t in progress.ticks if t.startswith("start Resuming")]
    assert any(" of " in t and "repos already audited" in t for t in shown)
    assert first + second <= uninterrupted + 2  # (+ the probe of the second run)
    assert not any((fresh / "runs").glob("*.jsonl"))


def test_failed_reads_are_never_replayed(tmp_path: Path) -> None:
    journal = AuditJournal(tmp_path / "j.jsonl")
    journal.put("a/x", RepoState(("a/x",), "a/x", error="HTTP 503"))
    journal.put("a/y", RepoState(("a/y",), "a/y", main_sha="abc", prs_checked=True))
    journal.close(completed=False)
    with (tmp_path / "j.jsonl").open("a") as handle:
        handle.write('[1,"a/z",{"requested_ids":')  # the kill came mid-line
    again = AuditJournal(tmp_path / "j.jsonl")
    assert set(again.states) == {"a/y"}
    again.put("a/w", RepoState(("a/w",), "a/w", exists=False))
    again.close(completed=False)
    assert set(AuditJournal(tmp_path / "j.jsonl").states) == {"a/y", "a/w"}
    assert AuditJournal(tmp_path / "j.jsonl", read=False).states == {}
