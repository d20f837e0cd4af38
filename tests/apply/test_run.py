"""End-to-end tests of `eeesync.apply` against the local Hub with the real client."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from huggingface_hub import CommitOperationAdd, HfApi

from eeesync.apply import (
    ApplyOptions,
    ApplyReport,
    Marker,
    Outcome,
    Preview,
    apply_plan,
    check_endpoint,
    content_hash,
    parse_markers,
    pr_description,
    prepare_apply,
    refresh_command,
)
from eeesync.apply.journal import (
    Event,
    JournalRecord,
    JournalWriter,
    RunEnd,
    journal_path,
    progress,
    read_journal,
)
from eeesync.errors import PlanFileError
from eeesync.hub.client import Hub
from eeesync.localhub import FaultConfig, LocalHub
from eeesync.plan.file import read_plan
from eeesync.registry import load_registry
from tests.apply.conftest import (
    EXISTING_YAML,
    TARGET,
    open_prs,
    plan_for,
    seed_repo,
    write,
)
from tests.apply.crash_hook import CrashPoint, install

REPOS = ("acme/alpha", "acme/beta", "acme/gamma")


def _apply(hub: Hub, plan_path: Path, **options: Any) -> tuple[Preview, ApplyReport]:
    plan = read_plan(plan_path)
    preview = prepare_apply(hub, plan, plan_path, registry=load_registry())
    report = apply_plan(hub, preview, ApplyOptions(message="Add eval results", **options))
    return preview, report


@pytest.fixture
def seeded(localhub: LocalHub, hub_api: HfApi, tmp_path: Path) -> Path:
    seed_repo(localhub, REPOS[0], existing=EXISTING_YAML)
    for repo in REPOS[1:]:
        seed_repo(localhub, repo)
    return write(plan_for(hub_api, localhub.url, REPOS), tmp_path)


def test_clean_apply_opens_exactly_the_planned_prs_with_the_planned_bytes(
    hub: Hub, hub_api: HfApi, seeded: Path
) -> None:
    plan = read_plan(seeded)
    preview, report = _apply(hub, seeded)
    assert [c.state for c in preview.checks] == [Outcome.PENDING] * 3
    assert [r.state for r in report.results] == [Outcome.OPENED] * 3
    for repo in plan.repos:
        assert open_prs(hub_api, repo.repo_id) == [1]
        pr_file = hub_api.hf_hub_download(repo.repo_id, TARGET, revision="refs/pr/1")
        assert Path(pr_file).read_bytes() == repo.files[0].content.encode()
        details = hub_api.get_discussion_details(repo.repo_id, 1)
        assert details.title == "Add eval results"
        body = details.events[0].content  # type: ignore[attr-defined]
        assert parse_markers(body) == [Marker(plan.digest, repo.action_id, content_hash(repo))]
        assert repo.entries[0].desired.entry.source_url in body
    # The existing entry on main survives in the PR's file: a PR never deletes a score.
    alpha = Path(hub_api.hf_hub_download(REPOS[0], TARGET, revision="refs/pr/1")).read_text()
    assert alpha.startswith(EXISTING_YAML)
    assert "TIGER-Lab/MMLU-Pro" in alpha
    # Main itself is untouched.
    main = Path(hub_api.hf_hub_download(REPOS[0], TARGET, revision="main")).read_text()
    assert main == EXISTING_YAML
    records = read_journal(journal_path(seeded))
    assert [r.event for r in records].count(Event.INTENT) == 3
    assert [r.outcome for r in records if r.event is Event.RESULT] == [Outcome.OPENED] * 3
    assert set(progress(seeded, plan).values()) == {Outcome.OPENED}


def test_rerun_after_success_opens_nothing(
    hub: Hub, hub_api: HfApi, localhub: LocalHub, seeded: Path
) -> None:
    _apply(hub, seeded)
    lines = journal_path(seeded).read_text().splitlines()
    localhub.reset_counters()
    preview, report = _apply(hub, seeded)
    assert [c.state for c in preview.checks] == [Outcome.ALREADY_DONE] * 3
    assert [r.state for r in report.results] == [Outcome.ALREADY_DONE] * 3
    assert all(open_prs(hub_api, r) == [1] for r in REPOS)
    counters = localhub.counters()
    assert not any("commit" in key for key in counters), counters
    # Only the run and end lines are added: no intent, no result.
    new = read_journal(journal_path(seeded))[len(lines) :]
    assert [r.event for r in new] == [Event.RUN, Event.END]
    assert (new[-1].end, new[-1].left) == (RunEnd.FINISHED, 0)


def test_stale_repos_are_skipped_and_named_while_the_rest_proceeds(
    hub: Hub, hub_api: HfApi, localhub: LocalHub, seeded: Path
) -> None:
    plan = read_plan(seeded)
    assert plan.repos[1].preconditions is not None
    old_main = plan.repos[1].preconditions.main_sha
    new_main = localhub.storage.commit(REPOS[1], {"README.md": b"hi\n"}, message="docs").oid
    localhub.storage.open_pr(REPOS[2], {"other.txt": b"x"}, title="someone else's PR")
    _, report = _apply(hub, seeded)
    states = {r.repo_id: r for r in report.results}
    assert states[REPOS[0]].state is Outcome.OPENED
    assert states[REPOS[1]].state is Outcome.STALE
    assert states[REPOS[1]].changes == (f"main moved {old_main[:7]} → {new_main[:7]}",)
    assert states[REPOS[2]].state is Outcome.STALE
    assert states[REPOS[2]].changes == ("PR #1 opened",)
    assert open_prs(hub_api, REPOS[1]) == []
    assert open_prs(hub_api, REPOS[2]) == [1]  # only the other person's PR
    assert progress(seeded, plan) == {
        plan.repos[0].action_id: "opened",
        plan.repos[1].action_id: "stale",
        plan.repos[2].action_id: "stale",
    }
    assert refresh_command(plan) == "eeesync plan mmlu_pro"


def test_changed_target_file_and_closed_pr_are_named(
    hub: Hub, hub_api: HfApi, localhub: LocalHub, tmp_path: Path
) -> None:
    seed_repo(localhub, "acme/delta")
    num = localhub.storage.open_pr("acme/delta", {"x.txt": b"1"}, title="existing")
    plan = plan_for(hub_api, localhub.url, ["acme/delta"])
    path = write(plan, tmp_path)
    localhub.storage.commit("acme/delta", {TARGET: b"[]\n"}, message="someone adds the file")
    localhub.storage.set_discussion_status("acme/delta", num, "closed")
    _, report = _apply(hub, path)
    (result,) = report.results
    assert result.state is Outcome.STALE
    assert result.changes[0].startswith("main moved ")
    assert f"PR #{num} closed" in result.changes
    assert any(c.startswith(f"{TARGET} created on main") for c in result.changes)


def test_max_prs_caps_this_run_and_a_rerun_finishes(hub: Hub, hub_api: HfApi, seeded: Path) -> None:
    _, report = _apply(hub, seeded, max_prs=1, parallelism=1)
    assert [r.state for r in report.results] == [
        Outcome.OPENED,
        Outcome.PENDING,
        Outcome.PENDING,
    ]
    assert sum(len(open_prs(hub_api, r)) for r in REPOS) == 1
    plan = read_plan(seeded)
    assert sorted(progress(seeded, plan).values()) == ["opened", "pending", "pending"]
    _, report = _apply(hub, seeded)
    assert [r.state for r in report.results] == [
        Outcome.ALREADY_DONE,
        Outcome.OPENED,
        Outcome.OPENED,
    ]
    assert all(open_prs(hub_api, r) == [1] for r in REPOS)


def test_interrupted_action_is_adopted_by_its_marker_not_opened_twice(
    hub: Hub, hub_api: HfApi, seeded: Path
) -> None:
    """An intent without a result whose PR reached the Hub: the rerun finds and records it."""
    plan = read_plan(seeded)
    repo = plan.repos[0]
    with JournalWriter(journal_path(seeded)) as journal:
        journal.append(
            JournalRecord(
                event=Event.INTENT,
                plan_digest=plan.digest,
                ts="2026-08-01T12:00:00Z",
                actor="t",
                action_id=repo.action_id,
                repo_id=repo.repo_id,
            )
        )
    # The POST that the crashed run sent: same bytes, same description (with the marker).
    hub_api.create_commit(
        repo.repo_id,
        [CommitOperationAdd(TARGET, repo.files[0].content.encode())],
        commit_message="Add eval results",
        commit_description=pr_description(plan, repo),
        create_pr=True,
    )
    preview, report = _apply(hub, seeded)
    assert preview.checks[0].state is Outcome.ADOPTED
    assert report.results[0].state is Outcome.ADOPTED
    assert report.results[0].pr_num == 1
    assert all(open_prs(hub_api, r) == [1] for r in REPOS)
    assert progress(seeded, plan)[repo.action_id] is Outcome.ADOPTED


def test_a_failed_post_is_reconciled_then_retried_once(
    hub: Hub, hub_api: HfApi, localhub: LocalHub, seeded: Path
) -> None:
    localhub.set_faults(FaultConfig(rate_5xx=1.0, routes=frozenset({"commit"}), max_faults=1))
    _, report = _apply(hub, seeded, parallelism=1)
    assert [r.state for r in report.results] == [Outcome.OPENED] * 3
    assert all(open_prs(hub_api, r) == [1] for r in REPOS)
    first = [r for r in read_journal(journal_path(seeded)) if r.repo_id == REPOS[0]]
    assert [(r.event, r.outcome, r.attempt) for r in first] == [
        (Event.INTENT, None, 1),
        (Event.RESULT, Outcome.FAILED, 1),
        (Event.INTENT, None, 2),
        (Event.RESULT, Outcome.OPENED, 2),
    ]
    assert first[1].error.startswith("HTTP 50")


def test_a_non_retryable_failure_is_journaled_and_the_rerun_opens_it(
    hub: Hub, hub_api: HfApi, localhub: LocalHub, seeded: Path
) -> None:
    localhub.set_faults(FaultConfig(rate_5xx=1.0, routes=frozenset({"commit"})))
    _, report = _apply(hub, seeded, parallelism=1, post_attempts=1)
    assert [r.state for r in report.results] == [Outcome.FAILED] * 3
    assert not report.ok
    localhub.set_faults(None)
    assert set(progress(seeded, read_plan(seeded)).values()) == {"failed"}
    _, report = _apply(hub, seeded)
    assert [r.state for r in report.results] == [Outcome.OPENED] * 3
    assert all(open_prs(hub_api, r) == [1] for r in REPOS)


def test_a_commit_the_hub_answers_as_noop_is_recorded_as_noop(
    hub: Hub, hub_api: HfApi, localhub: LocalHub, tmp_path: Path
) -> None:
    # A plan whose content main already holds cannot pass apply's own checks any more, so the
    # Hub's no-op answer is reached the way it happens for real: main gets exactly our file
    # after the (still fresh) check and before the POST.
    seed_repo(localhub, "acme/same")
    plan = plan_for(hub_api, localhub.url, ["acme/same"])
    repo = plan.repos[0]
    path = write(plan, tmp_path)
    preview = prepare_apply(hub, plan, path, registry=load_registry())
    assert preview.checks[0].state is Outcome.PENDING
    localhub.storage.commit(
        "acme/same", {TARGET: repo.files[0].content.encode()}, message="same file"
    )
    report = apply_plan(hub, preview, ApplyOptions(message="Add eval results"))
    assert report.results[0].state is Outcome.NOOP
    assert not report.ok
    assert open_prs(hub_api, "acme/same") == []
    assert progress(path, plan)[repo.action_id] == "noop"
    _, again = _apply(hub, path)
    assert again.results[0].state is Outcome.NOOP


@pytest.fixture
def ctrl_c_enabled() -> Iterator[None]:
    """Python ignores SIGINT when started as a shell's background job: make Ctrl-C reach us."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_ctrl_c_finishes_the_in_flight_call_and_journals_it(
    hub: Hub, hub_api: HfApi, seeded: Path, ctrl_c_enabled: None
) -> None:
    install(CrashPoint("after_intent", 0, signal.SIGINT))
    try:
        _, report = _apply(hub, seeded, parallelism=1)
    finally:
        install(None)
    assert report.interrupted
    assert [r.state for r in report.results] == [
        Outcome.OPENED,
        Outcome.PENDING,
        Outcome.PENDING,
    ]
    records = read_journal(journal_path(seeded))
    assert [r.event for r in records] == [Event.RUN, Event.INTENT, Event.RESULT, Event.END]
    assert (records[-1].end, records[-1].left) == (RunEnd.PENDING, 2)
    assert open_prs(hub_api, REPOS[1]) == []


def test_plan_for_another_endpoint_is_refused(seeded: Path) -> None:
    plan = read_plan(seeded)
    with pytest.raises(PlanFileError, match="was made for the Hub at http://127"):
        check_endpoint(plan, "https://huggingface.co")
    check_endpoint(plan, plan.inputs.endpoint + "/")


def test_empty_message_is_refused(hub: Hub, seeded: Path) -> None:
    plan = read_plan(seeded)
    preview = prepare_apply(hub, plan, seeded, registry=load_registry())
    with pytest.raises(ValueError):
        apply_plan(hub, preview, ApplyOptions(message="  "))
    assert not journal_path(seeded).exists()


def test_crash_point_parsing() -> None:
    assert CrashPoint.parse("after_post:3") == CrashPoint("after_post", 3, None)
    assert CrashPoint.parse("before_intent:0:int").signum == signal.SIGINT
    for bad in ("after_post", "nowhere:1", "after_post:x"):
        with pytest.raises(ValueError):
            CrashPoint.parse(bad)


def test_a_check_older_than_recheck_after_is_redone_before_writing(
    hub: Hub, hub_api: HfApi, localhub: LocalHub, seeded: Path
) -> None:
    """The user sat at the prompt while main moved: the write-time re-check catches it."""
    plan = read_plan(seeded)
    preview = prepare_apply(hub, plan, seeded, registry=load_registry())
    assert [c.state for c in preview.checks] == [Outcome.PENDING] * 3
    localhub.storage.commit(REPOS[0], {"README.md": b"moved"}, message="moved meanwhile")
    report = apply_plan(hub, preview, ApplyOptions(message="m", recheck_after=0.0))
    assert [r.state for r in report.results] == [
        Outcome.STALE,
        Outcome.OPENED,
        Outcome.OPENED,
    ]
    assert open_prs(hub_api, REPOS[0]) == []
