"""Issue 14 §3: a marker is not proof. A PR is adopted as this action's only when the applying
token's account opened it, its description carries this plan's marker for this action, and the
file at `refs/pr/N` is byte-identical to the planned content; anything else is ignored and
mentioned. The markers here are copied from the committed plan, as anyone could.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from huggingface_hub import CommitOperationAdd, HfApi

from eeesync.apply import (
    ApplyOptions,
    Outcome,
    apply_plan,
    pr_description,
    prepare_apply,
)
from eeesync.apply.journal import (
    Event,
    JournalRecord,
    JournalWriter,
    journal_path,
    progress,
)
from eeesync.hub.client import Hub
from eeesync.localhub import LocalHub
from eeesync.plan.file import read_plan
from eeesync.plan.model import Plan, RepoPlan
from eeesync.registry import load_registry
from tests.apply.conftest import TARGET, eeesync_hub, open_prs, plan_for, seed_repo, write

REPO = "acme/target"


@pytest.fixture
def plan_path(localhub: LocalHub, hub_api: HfApi, tmp_path: Path) -> Path:
    seed_repo(localhub, REPO)
    return write(plan_for(hub_api, localhub.url, [REPO]), tmp_path)


def _open_pr(api: HfApi, content: bytes, description: str) -> int:
    info = api.create_commit(
        REPO,
        [CommitOperationAdd(TARGET, content)],
        commit_message="Add eval results",
        commit_description=description,
        create_pr=True,
    )
    assert info.pr_num is not None
    return info.pr_num


def _repo(plan: Plan) -> RepoPlan:
    return plan.repos[0]


def test_a_marker_in_a_comment_is_not_adopted(hub: Hub, hub_api: HfApi, plan_path: Path) -> None:
    plan = read_plan(plan_path)
    num = _open_pr(hub_api, b"- other: file\n", "An unrelated PR.")
    hub_api.comment_discussion(REPO, num, pr_description(plan, _repo(plan)))
    preview = prepare_apply(hub, plan, plan_path, registry=load_registry())
    (check,) = preview.checks
    assert check.state is Outcome.STALE  # someone else's PR opened since the plan
    assert check.changes == (f"PR #{num} opened",)
    assert check.notes == (f"a comment on PR #{num} carries this plan's marker: ignored",)


def test_a_pr_with_the_marker_but_other_bytes_is_not_adopted(
    hub: Hub, hub_api: HfApi, plan_path: Path
) -> None:
    plan = read_plan(plan_path)
    num = _open_pr(
        hub_api, b"- dataset: {id: x, task_id: y}\n  value: 1\n", pr_description(plan, _repo(plan))
    )
    (check,) = prepare_apply(hub, plan, plan_path, registry=load_registry()).checks
    assert check.state is Outcome.STALE
    assert check.notes == (
        f"PR #{num} carries this plan's marker but its files are not the planned bytes: ignored",
    )


def test_a_pr_with_another_plans_marker_holding_our_entries_is_in_pr_not_adopted(
    hub: Hub, hub_api: HfApi, plan_path: Path
) -> None:
    """Same bytes, same action, but the marker names another plan: the entries are pending in
    that PR (nothing to open), yet it is not recorded as this plan's own PR."""
    plan = read_plan(plan_path)
    repo = _repo(plan)
    text = pr_description(plan, repo).replace(plan.digest, "sha256:" + "0" * 64)
    num = _open_pr(hub_api, repo.files[0].content.encode(), text)
    preview = prepare_apply(hub, plan, plan_path, registry=load_registry())
    (check,) = preview.checks
    assert check.state is Outcome.IN_PR and check.found is not None
    assert check.found.num == num
    report = apply_plan(hub, preview, ApplyOptions(message="m"))
    assert report.results[0].state is Outcome.IN_PR
    assert open_prs(hub_api, REPO) == [num]
    assert progress(plan_path, plan)[repo.action_id] is Outcome.IN_PR


def test_our_own_pr_found_without_a_journal_is_adopted_and_not_called_interrupted(
    hub: Hub, hub_api: HfApi, plan_path: Path
) -> None:
    """Another checkout of the plan opened it with the same token: provably ours."""
    plan = read_plan(plan_path)
    repo = _repo(plan)
    num = _open_pr(hub_api, repo.files[0].content.encode(), pr_description(plan, repo))
    (check,) = prepare_apply(hub, plan, plan_path, registry=load_registry()).checks
    assert check.state is Outcome.ADOPTED and check.found is not None
    assert check.found.num == num
    assert check.journal is None or not check.journal.interrupted


def test_an_interrupted_run_is_named_only_when_the_journal_has_the_intent(
    hub: Hub, hub_api: HfApi, plan_path: Path
) -> None:
    plan = read_plan(plan_path)
    repo = _repo(plan)
    with JournalWriter(journal_path(plan_path)) as journal:
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
    _open_pr(hub_api, repo.files[0].content.encode(), pr_description(plan, repo))
    (check,) = prepare_apply(hub, plan, plan_path, registry=load_registry()).checks
    assert check.state is Outcome.ADOPTED
    assert check.journal is not None and check.journal.interrupted


# --- Two accounts on the local Hub ----------------------------------------------------------------

ME, EVE = "me-token", "eve-token"


@pytest.fixture
def two_accounts(tmp_path: Path) -> Iterator[LocalHub]:
    """A local Hub where `ME` acts as account `me` and `EVE` as `eve`."""
    server = LocalHub(tmp_path / "hub2", accounts={ME: "me", EVE: "eve"})
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _as(server: LocalHub, token: str) -> HfApi:
    return HfApi(endpoint=server.url, token=token)


def _my_hub(server: LocalHub) -> Hub:
    hub = eeesync_hub(server)
    hub.api.token = ME
    return hub


def _stranger_setup(server: LocalHub, tmp_path: Path) -> tuple[Plan, Path, HfApi]:
    seed_repo(server, REPO)
    path = write(plan_for(_as(server, ME), server.url, [REPO]), tmp_path)
    return read_plan(path), path, _as(server, EVE)


def test_a_strangers_pr_with_a_copied_marker_and_our_bytes_is_not_adopted(
    two_accounts: LocalHub, tmp_path: Path
) -> None:
    """eve copies the marker and the content from the committed plan: her PR is not ours.
    It does hold the entries, so nothing is opened, but it is reported as hers."""
    plan, path, eve = _stranger_setup(two_accounts, tmp_path)
    repo = _repo(plan)
    num = _open_pr(eve, repo.files[0].content.encode(), pr_description(plan, repo))
    hub = _my_hub(two_accounts)
    preview = prepare_apply(hub, plan, path, registry=load_registry())
    (check,) = preview.checks
    assert check.state is Outcome.IN_PR and check.found is not None
    assert (check.found.num, check.found.author) == (num, "eve")
    assert check.notes == (
        f"PR #{num} carries this plan's marker but was opened by eve, not me: ignored",
    )
    report = apply_plan(hub, preview, ApplyOptions(message="m"))
    assert report.results[0].state is Outcome.IN_PR  # not ADOPTED: not ours


def test_a_strangers_closed_pr_with_a_copied_marker_does_not_stop_the_real_pr(
    two_accounts: LocalHub, tmp_path: Path
) -> None:
    """After an interrupted attempt apply also looks at closed PRs for its own: eve's closed
    PR carrying our marker (and our bytes) is not it, so the real PR is opened."""
    plan, path, eve = _stranger_setup(two_accounts, tmp_path)
    repo = _repo(plan)
    with JournalWriter(journal_path(path)) as journal:
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
    num = _open_pr(eve, repo.files[0].content.encode(), pr_description(plan, repo))
    eve.change_discussion_status(REPO, num, "closed")
    hub = _my_hub(two_accounts)
    preview = prepare_apply(hub, plan, path, registry=load_registry())
    (check,) = preview.checks
    assert check.state is Outcome.PENDING
    assert check.notes == (
        f"PR #{num} carries this plan's marker but was opened by eve, not me: ignored",
    )
    report = apply_plan(hub, preview, ApplyOptions(message="Add eval results"))
    (result,) = report.results
    assert result.state is Outcome.OPENED and result.pr_num == num + 1
    details = _as(two_accounts, ME).get_discussion_details(REPO, num + 1)
    assert details.author == "me"
    assert open_prs(_as(two_accounts, ME), REPO) == [num + 1]
