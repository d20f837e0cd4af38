"""The apply journal: append-only fsynced lines, tolerant of a torn tail, folded for `show`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eeesync.apply.journal import (
    Event,
    JournalRecord,
    JournalWriter,
    journal_path,
    progress,
    read_journal,
    redact,
    summarize,
)
from eeesync.apply.outcome import Outcome
from eeesync.errors import PlanFileError
from tests import plan_factory as pf

DIGEST = "sha256:" + "ab" * 32


def rec(
    event: Event, action: str = "a1", outcome: Outcome | None = None, **kw: object
) -> JournalRecord:
    return JournalRecord(
        event=event,
        plan_digest=kw.pop("plan_digest", DIGEST),  # type: ignore[arg-type]
        ts="2026-08-01T12:00:00Z",
        actor="tester",
        action_id=action,
        outcome=outcome,
        **kw,  # type: ignore[arg-type]
    )


def test_journal_path_sits_beside_the_plan() -> None:
    assert journal_path(Path("plans/x.plan.json")) == Path("plans/x.plan.apply.jsonl")
    assert journal_path(Path("p")) == Path("p.apply.jsonl")


def test_records_round_trip_through_the_plan_converter(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    records = [
        rec(Event.RUN, action="", message="Add evals", tool_version="0.1.0"),
        rec(Event.INTENT, attempt=1, content_sha256="c" * 64, parent_commit="d" * 40),
        rec(Event.RESULT, outcome=Outcome.OPENED, pr_num=3, pr_url="http://h/x/discussions/3"),
        rec(Event.SKIP, "a2", Outcome.STALE, changes=("main moved abc1234 → def5678",)),
    ]
    with JournalWriter(path) as journal:
        for record in records:
            journal.append(record)
    assert read_journal(path) == records
    assert path.read_text().count("\n") == 4
    assert read_journal(tmp_path / "missing.jsonl") == []


def test_a_torn_last_line_is_ignored_and_repaired_before_appending(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    with JournalWriter(path) as journal:
        journal.append(rec(Event.INTENT))
    with path.open("a") as handle:
        handle.write('{"event":"result","plan_dig')  # a crash in the middle of a write
    assert [r.event for r in read_journal(path)] == [Event.INTENT]
    with JournalWriter(path) as journal:
        journal.append(rec(Event.RESULT, outcome=Outcome.OPENED, pr_num=1))
    assert [r.event for r in read_journal(path)] == [Event.INTENT, Event.RESULT]


def test_a_bad_line_in_the_middle_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    path.write_text('{"v":1}\n{"event":"run"}\n')
    with pytest.raises(PlanFileError, match=r"j\.jsonl:1: not a valid apply journal line"):
        read_journal(path)
    path.write_text('{"v":9,"event":"run"}\n')
    with pytest.raises(PlanFileError, match="unknown journal line version 9"):
        read_journal(path)


def test_unknown_keys_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    with JournalWriter(path) as journal:
        journal.append(rec(Event.INTENT))
    text = path.read_text().replace('"v":1', '"v":1,"token":"x"')
    path.write_text(text)
    with pytest.raises(PlanFileError, match="token"):
        read_journal(path)


def test_tokens_never_reach_the_journal(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    secret = "hf_" + "A1b2C3d4" * 4
    error = f"HTTP 401: bad token {secret} (Authorization: Bearer {secret}) ?token={secret}"
    with JournalWriter(path) as journal:
        journal.append(rec(Event.RESULT, outcome=Outcome.FAILED, error=error))
    assert secret not in path.read_text()
    assert "***" in read_journal(path)[0].error


@given(st.text())
def test_redact_removes_hub_tokens_from_any_text(text: str) -> None:
    secret = "hf_" + "Zq9" * 10
    assert secret not in redact(f"{text}{secret} {text}")


def test_fold_states() -> None:
    records = [
        rec(Event.INTENT, "done"),
        rec(Event.RESULT, "done", Outcome.OPENED, pr_num=1),
        rec(Event.INTENT, "interrupted"),
        rec(Event.SKIP, "stale", Outcome.STALE),
        rec(Event.INTENT, "failed"),
        rec(Event.RESULT, "failed", Outcome.FAILED, error="HTTP 500"),
        rec(Event.INTENT, "noop"),
        rec(Event.RESULT, "noop", Outcome.NOOP),
        rec(Event.RESULT, "adopted", Outcome.ADOPTED, pr_num=4),
        rec(Event.RESULT, "other-plan", Outcome.OPENED, plan_digest="sha256:" + "cd" * 32),
    ]
    summaries = summarize(records, DIGEST)
    assert {k: v.state for k, v in summaries.items()} == {
        "done": Outcome.OPENED,
        "interrupted": Outcome.PENDING,
        "stale": Outcome.STALE,
        "failed": Outcome.FAILED,
        "noop": Outcome.NOOP,
        "adopted": Outcome.ADOPTED,
    }
    assert summaries["interrupted"].interrupted and summaries["interrupted"].attempted
    assert summaries["failed"].attempted and not summaries["failed"].interrupted
    assert not summaries["stale"].attempted


_EVENTS = st.sampled_from(
    [
        (Event.INTENT, None),
        (Event.RESULT, Outcome.FAILED),
        (Event.SKIP, Outcome.STALE),
        (Event.SKIP, Outcome.FAILED),
        (Event.RESULT, Outcome.OPENED),
        (Event.RESULT, Outcome.ADOPTED),
    ]
)


@given(st.lists(_EVENTS, min_size=1, max_size=12))
def test_once_a_pr_is_recorded_the_action_stays_done(
    events: list[tuple[Event, Outcome | None]],
) -> None:
    records = [
        rec(event, outcome=outcome, pr_num=1 if outcome else None) for event, outcome in events
    ]
    state = summarize(records, DIGEST)["a1"].state
    recorded = any(o in (Outcome.OPENED, Outcome.ADOPTED) for _, o in events)
    assert state.info.final == recorded
    if not recorded and events[-1][0] is Event.INTENT:
        assert state is Outcome.PENDING


def test_progress_covers_every_pr_action_of_the_plan(tmp_path: Path) -> None:
    plan = pf.make_plan()
    plan_path = tmp_path / "x.plan.json"
    actions = [r.action_id for r in plan.repos if r.opens_pr]
    assert len(actions) >= 2
    assert progress(plan_path, plan) == dict.fromkeys(actions, "pending")
    with JournalWriter(journal_path(plan_path)) as journal:
        journal.append(rec(Event.RESULT, actions[0], Outcome.OPENED, plan_digest=plan.digest))
        journal.append(rec(Event.SKIP, actions[1], Outcome.STALE, plan_digest=plan.digest))
    got = progress(plan_path, plan)
    assert got[actions[0]] is Outcome.OPENED and got[actions[1]] is Outcome.STALE
    assert set(got) == set(actions)


def test_the_journal_spells_each_outcome_as_it_always_did(tmp_path: Path) -> None:
    """The journal is a committed format: `opened` stays `done` on its lines, and an outcome
    that is never journaled (already done, pending) cannot be written by mistake."""
    words = {o: o.info.journal for o in Outcome if o.info.journal}
    assert words == {
        Outcome.OPENED: "done",
        Outcome.UPDATED: "updated",  # issue 20: our open PR kept current
        Outcome.CLOSED: "closed",
        Outcome.PRS_DISABLED: "prs_disabled",
        Outcome.COMMITTED: "committed",  # direct mode (issue 20)
        Outcome.ADOPTED: "adopted",
        Outcome.IN_PR: "in_pr",
        Outcome.NOOP: "noop",
        Outcome.STALE: "stale",
        Outcome.FAILED: "failed",
        Outcome.REFUSED: "refused",
    }
    path = tmp_path / "j.jsonl"
    with JournalWriter(path) as journal:
        journal.append(rec(Event.RESULT, outcome=Outcome.OPENED, pr_num=1))
        with pytest.raises(ValueError, match="never journaled"):
            journal.append(rec(Event.RESULT, outcome=Outcome.PENDING))
    assert json.loads(path.read_text())["outcome"] == "done"
    assert read_journal(path)[0].outcome is Outcome.OPENED
