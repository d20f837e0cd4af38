"""Continuous sync on other people's repos (issue 20 §1–2), night after night on a local Hub with
two accounts: the repos' `owner` and the `evaluator` the sync runs as.

What an author decided stands (a closed PR is `declined`, a merged entry they deleted is
`removed_by_author`: neither is proposed again), our open PR stays current (`update_pr` commits
to it, `withdraw` removes what the datastore dropped or closes it), and the checked-in lists say
who gets nothing (`opted_out`) and where the Hub takes no PR (`prs_disabled`, once).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from huggingface_hub.community import DiscussionComment
from rich.console import Console

from eeesync.apply.journal import journal_path
from eeesync.apply.outcome import Outcome as ResultState
from eeesync.hub.pr_record import parse_entry_list
from eeesync.localhub import LocalHub
from eeesync.plan.model import Status
from eeesync.views import render_plan
from eeesync.views.common import ViewOptions
from eeesync.views.markdown import render_markdown
from tests.lifecycle_world import ACCOUNTS, EVALUATOR_TOKEN, OWNER_TOKEN, World


@pytest.fixture
def two_accounts(tmp_path: Path) -> Iterator[LocalHub]:
    with LocalHub(tmp_path / "hub", accounts=ACCOUNTS) as hub:
        yield hub


def world(tmp_path: Path, hub: LocalHub, *models: str, **config: object) -> World:
    scores = {m: 0.40 + i / 100 for i, m in enumerate(models)}
    w = World(tmp_path / "project", hub, scores, **config)
    w.create_repos()
    return w


def only_pr(w: World, repo: str) -> int:
    (num,) = w.open_prs(repo)
    return num


def description(w: World, repo: str, num: int) -> str:
    details = w.owner.get_discussion_details(repo, num)
    first = next(e for e in details.events if isinstance(e, DiscussionComment))
    return first.content


def test_the_pr_lists_its_entries_says_what_choices_do_and_who_runs_the_sync(
    tmp_path: Path, two_accounts: LocalHub
) -> None:
    w = world(tmp_path, two_accounts, "owner/a", apply_contact="the EEE maintainers (@eee)")
    w.night()
    body = description(w, "owner/a", only_pr(w, "owner/a"))
    (listed,) = parse_entry_list(body) or ()
    assert (listed.dataset_id, listed.task_id, listed.value) == (
        "TIGER-Lab/MMLU-Pro",
        "mmlu_pro",
        40,
    )
    assert listed.collection == "c" and listed.source_url and listed.benchmark == "mmlu_pro"
    assert "Closing it declines them for good" in body and "merging this PR publishes" in body
    assert "This sync is run by the EEE maintainers (@eee)." in body


def test_a_closed_pr_is_declined_and_never_proposed_again(
    tmp_path: Path, two_accounts: LocalHub
) -> None:
    w = world(tmp_path, two_accounts, "owner/a", "owner/b")
    w.night()
    num = only_pr(w, "owner/a")
    w.close("owner/a", num)
    second = w.night()
    assert second.status("owner/a") == [Status.DECLINED]
    (entry,) = second.plan.repo("owner/a").entries  # type: ignore[union-attr]
    assert f"PR #{num}" in entry.reason and "closed by owner" in entry.reason
    assert entry.existing[0].pr_num == num
    assert second.status("owner/b") == [Status.PENDING_PR]
    assert not second.plan.has_changes and w.open_prs("owner/a") == []


def test_a_reviewed_reconsider_line_proposes_a_declined_entry_again(
    tmp_path: Path, two_accounts: LocalHub
) -> None:
    w = world(tmp_path, two_accounts, "owner/a")
    w.night()
    num = only_pr(w, "owner/a")
    w.close("owner/a", num)
    (w.folder / "reconsider.toml").write_text(
        f'[[reconsider]]\nrepo = "owner/a"\npr = {num}\nnote = "asked to re-open"\n'
    )
    assert w.night().status("owner/a") == [Status.READY]
    assert len(w.open_prs("owner/a")) == 1


def test_anyone_elses_closed_pr_with_the_entry_is_a_decline_too(
    tmp_path: Path, two_accounts: LocalHub
) -> None:
    w = world(tmp_path, two_accounts, "owner/a")
    first = w.night(apply=False)
    change = first.plan.repos[0].files[0]
    stranger = w.seed.create_commit(
        "owner/a",
        [_add(change.path, change.content.encode())],
        commit_message="someone's PR",
        create_pr=True,
    )
    assert stranger.pr_num is not None
    w.close("owner/a", stranger.pr_num)
    # Another closed PR that holds no wanted entry: who closed it is never asked.
    unrelated = w.seed.create_commit(
        "owner/a", [_add("README.md", b"# hi\n")], commit_message="docs", create_pr=True
    )
    assert unrelated.pr_num is not None
    w.close("owner/a", unrelated.pr_num)
    before = two_accounts.counters().get("discussion_details", 0)
    second = w.night(apply=False)
    assert second.status("owner/a") == [Status.DECLINED]
    (entry,) = second.plan.repo("owner/a").entries  # type: ignore[union-attr]
    today = datetime.now(UTC).date().isoformat()
    assert f"PR #{stranger.pr_num} ({entry.existing[0].pr_url})" in entry.reason
    assert f"closed by owner on {today}" in entry.reason
    # One request for the one closed PR that decides an entry.
    assert two_accounts.counters().get("discussion_details", 0) - before == 1


def test_a_merged_entry_the_author_removed_is_never_proposed_again(
    tmp_path: Path, two_accounts: LocalHub
) -> None:
    w = world(tmp_path, two_accounts, "owner/a")
    w.night()
    w.merge("owner/a", only_pr(w, "owner/a"))
    w.delete_entry_on_main("owner/a")
    second = w.night()
    assert second.status("owner/a") == [Status.REMOVED_BY_AUTHOR]
    assert not second.plan.has_changes


def test_a_corrected_record_updates_our_open_pr_in_place(
    tmp_path: Path, two_accounts: LocalHub
) -> None:
    w = world(tmp_path, two_accounts, "owner/a")
    w.night()
    num = only_pr(w, "owner/a")
    w.scores["owner/a"] = 0.47
    second = w.night()
    assert second.status("owner/a") == [Status.UPDATE_PR]
    assert second.plan.repos[0].update_pr == num
    # Every view says the action goes to our open PR, not to a new one.
    console = Console(record=True, width=120, file=io.StringIO())
    render_plan(second.plan, console, "text")
    markdown = render_markdown(second.plan, ViewOptions())
    for text in (console.export_text(), markdown):
        assert re.search(rf"one commit to our open PR \\?#{num}", text) and "update_pr" in text
        assert "1 pull request to open or update (1 of ours to update or close)" in text
    assert second.report is not None
    (result,) = second.report.results
    assert (result.state, result.pr_num) == (ResultState.UPDATED, num)
    assert w.open_prs("owner/a") == [num]  # one open eeesync PR, always current
    assert "value: 47.0" in w.file_at("owner/a", f"refs/pr/{num}")
    (listed,) = parse_entry_list(description(w, "owner/a", num)) or ()
    assert listed.value == 47.0
    third = w.night()
    assert third.status("owner/a") == [Status.PENDING_PR] and not third.plan.has_changes


def test_a_removed_record_is_withdrawn_by_closing_our_pr_with_a_comment(
    tmp_path: Path, two_accounts: LocalHub
) -> None:
    w = world(tmp_path, two_accounts, "owner/a", "owner/b")
    w.night()
    num = only_pr(w, "owner/a")
    del w.scores["owner/a"]  # nothing wants owner/a any more: the trail says we opened a PR
    second = w.night()
    assert second.status("owner/a") == [Status.WITHDRAW]
    assert second.plan.repo("owner/a").close_pr  # type: ignore[union-attr]
    assert w.open_prs("owner/a") == []
    details = w.owner.get_discussion_details("owner/a", num)
    assert details.status == "closed"
    assert "no longer gives the results" in details.events[-2].content  # type: ignore[attr-defined]
    third = w.night()
    assert third.plan.repo("owner/a") is None or not third.plan.has_changes
    assert third.status("owner/b") == [Status.PENDING_PR]


def test_an_entry_updated_on_main_from_the_datastore_is_outdated_on_main(
    tmp_path: Path, two_accounts: LocalHub
) -> None:
    w = world(tmp_path, two_accounts, "owner/a")
    w.night()
    w.merge("owner/a", only_pr(w, "owner/a"))
    w.scores["owner/a"] = 0.47
    second = w.night()
    assert second.status("owner/a") == [Status.OUTDATED_ON_MAIN]
    assert "47" in second.plan.repos[0].entries[0].reason
    assert not second.plan.has_changes


def test_opted_out_repos_and_authors_are_not_audited(
    tmp_path: Path, two_accounts: LocalHub
) -> None:
    w = world(tmp_path, two_accounts, "owner/a", "owner/b", "other/c")
    (w.folder / "opt-out.toml").write_text(
        '[[opt_out]]\nrepo = "OWNER/a"\nnote = "asked"\n[[opt_out]]\nauthor = "oth*"\n'
    )
    night = w.night()
    assert night.status("owner/a") == [Status.OPTED_OUT]
    assert night.status("other/c") == [Status.OPTED_OUT]
    assert night.status("owner/b") == [Status.READY]
    assert night.plan.inputs.policy_digest.startswith("sha256:")
    assert w.open_prs("owner/a") == [] and len(w.open_prs("owner/b")) == 1


def test_a_repo_that_takes_no_prs_is_reported_once_then_not_retried(
    tmp_path: Path, two_accounts: LocalHub
) -> None:
    w = world(tmp_path, two_accounts, "owner/a")
    two_accounts.storage.set_discussions_disabled("owner/a")
    first = w.night()
    assert first.report is not None
    (result,) = first.report.results
    assert result.state is ResultState.PRS_DISABLED and first.report.ok
    second = w.night()
    assert second.status("owner/a") == [Status.PRS_DISABLED]
    assert not second.plan.has_changes


def test_a_plan_without_a_token_says_so_and_apply_checks_our_pr_before_writing(
    tmp_path: Path, two_accounts: LocalHub
) -> None:
    w = world(tmp_path, two_accounts, "owner/a")
    w.night()
    num = only_pr(w, "owner/a")
    w.scores["owner/a"] = 0.47
    w.token = None
    tokenless = w.night(apply=False)
    assert tokenless.plan.inputs.prs_unknown
    # Without knowing which PR is ours, the corrected value is a conflict with an open PR.
    assert tokenless.status("owner/a") == [Status.SCORE_CONFLICT]
    w.token = EVALUATOR_TOKEN
    update = w.night(apply=False)
    assert not update.plan.inputs.prs_unknown and update.status("owner/a") == [Status.UPDATE_PR]
    # Apply re-checks who opened the PR: another account's token may not push to it.
    hijack = w.hub("owner-token")
    from eeesync.apply import prepare_apply
    from eeesync.registry import load_registry

    (check,) = prepare_apply(hijack, update.plan, update.plan_path, registry=load_registry()).checks
    assert check.state.value == "refused" and f"PR #{num} was opened by evaluator" in check.error


def _add(path: str, data: bytes) -> object:
    from huggingface_hub import CommitOperationAdd

    return CommitOperationAdd(path, data)


def test_detailed_exitcode_is_2_for_an_update_and_0_for_a_decline(
    tmp_path: Path, two_accounts: LocalHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    from eeesync.cli.main import main

    w = world(tmp_path, two_accounts, "owner/a", "owner/b")
    w.night()
    w.close("owner/a", only_pr(w, "owner/a"))
    (w.folder / "eeesync.toml").write_text(
        '[datastore]\nlocator = "ds"\ncollections = ["c"]\n'
        f'[hub]\nendpoint = "{two_accounts.url}"\n[sync]\ncheck_tasks = false\n'
    )
    monkeypatch.chdir(w.folder)
    env = {"COLUMNS": "100", "HF_TOKEN": EVALUATOR_TOKEN}
    w.write_datastore()
    assert main(["plan", "--detailed-exitcode", "-o", "p1.plan.json"], env=env) == 0
    w.scores["owner/b"] = 0.61
    w.write_datastore()
    assert main(["plan", "--detailed-exitcode", "-o", "p2.plan.json"], env=env) == 2


def test_a_tokenless_plan_cannot_bring_back_a_removed_entry(
    tmp_path: Path, two_accounts: LocalHub
) -> None:
    w = world(tmp_path, two_accounts, "owner/a")
    w.night()
    w.merge("owner/a", only_pr(w, "owner/a"))
    w.delete_entry_on_main("owner/a")
    w.token = None
    tokenless = w.night()  # applied with the evaluator's token
    assert tokenless.status("owner/a") == [Status.READY]  # it cannot know the PR was ours
    assert tokenless.report is not None
    (result,) = tokenless.report.results
    assert result.state is ResultState.REFUSED
    assert "was merged (the author removed it since)" in result.error
    assert w.open_prs("owner/a") == []


def test_update_main_proposes_a_pr_changing_exactly_the_outdated_entry(
    tmp_path: Path, two_accounts: LocalHub
) -> None:
    w = world(tmp_path, two_accounts, "owner/a", "owner/b", update_main=True)
    w.night()
    for repo in ("owner/a", "owner/b"):
        w.merge(repo, only_pr(w, repo))
    # The owner adds a comment line and an entry of their own around ours: kept byte for byte.
    before = w.file_at("owner/a", "main")
    edited = "# our results\n" + before + "- dataset: {id: cais/hle, task_id: hle}\n  value: 9.1\n"
    w.owner.create_commit(
        "owner/a", [_add(".eval_results/mmlu_pro.yaml", edited.encode())], commit_message="x"
    )
    w.scores["owner/a"] = w.scores["owner/b"] = 0.47
    second = w.night()
    assert second.status("owner/a") == [Status.OUTDATED_ON_MAIN]
    assert second.plan.repo("owner/a").fixes_main  # type: ignore[union-attr]
    assert second.report is not None and all(
        r.state is ResultState.OPENED for r in second.report.results
    )
    fix = only_pr(w, "owner/a")
    proposed = w.file_at("owner/a", f"refs/pr/{fix}")
    assert proposed == edited.replace("value: 40.0", "value: 47.0").replace(
        _link_of(edited), _link_of(proposed)
    )
    w.merge("owner/a", fix)
    w.close("owner/b", only_pr(w, "owner/b"))
    third = w.night()
    assert third.status("owner/a") == [Status.ALREADY_PRESENT]
    assert third.status("owner/b") == [Status.DECLINED] and not third.plan.has_changes


def _link_of(text: str) -> str:
    return next(line for line in text.splitlines() if "url:" in line)


def test_our_open_pr_gets_a_new_entry_and_loses_a_withdrawn_one_in_place(
    tmp_path: Path, two_accounts: LocalHub
) -> None:
    w = world(tmp_path, two_accounts, "owner/a")
    w.night()
    num = only_pr(w, "owner/a")
    w.self_reported["owner/a"] = 0.52  # the repo now needs a second entry: our PR lacks it
    second = w.night()
    assert sorted(second.status("owner/a")) == [Status.PENDING_PR, Status.UPDATE_PR]
    assert w.open_prs("owner/a") == [num]
    text = w.file_at("owner/a", f"refs/pr/{num}")
    assert "value: 40.0" in text and "value: 52.0" in text and "Self-Reported" in text
    listed = parse_entry_list(description(w, "owner/a", num)) or ()
    assert sorted(e.notes or "" for e in listed) == ["", "Self-Reported"]
    del w.scores["owner/a"]  # one record removed: the other stays in the PR
    third = w.night()
    assert sorted(third.status("owner/a")) == [Status.PENDING_PR, Status.WITHDRAW]
    assert w.open_prs("owner/a") == [num]
    text = w.file_at("owner/a", f"refs/pr/{num}")
    assert "value: 40.0" not in text and "value: 52.0" in text
    assert not w.night().plan.has_changes


def test_a_pr_we_closed_ourselves_is_not_a_decline(tmp_path: Path, two_accounts: LocalHub) -> None:
    w = world(tmp_path, two_accounts, "owner/a")
    w.night()
    num = only_pr(w, "owner/a")
    evaluator = w.hub(EVALUATOR_TOKEN)
    evaluator.close_pull_request("owner/a", num, comment="Closing as a duplicate of #0.")
    assert w.night().status("owner/a") == [Status.READY]
    assert len(w.open_prs("owner/a")) == 1


@pytest.mark.parametrize("recorded", ["committed", "adopted"])
def test_an_entry_we_committed_to_main_that_the_owner_deleted_is_never_proposed_again(
    tmp_path: Path, two_accounts: LocalHub, recorded: str
) -> None:
    """direct-when-owner: night 1 commits to main (the journal under plans/ records it, or a
    rerun after an interrupted commit records it adopted); the owner deletes the entry; night 2
    knows from the trail that we added it: removed_by_author."""
    w = world(tmp_path, two_accounts, "owner/a", token=OWNER_TOKEN, apply_mode="direct-when-owner")
    first = w.night(apply_token=OWNER_TOKEN)
    assert first.report is not None
    assert [r.state for r in first.report.results] == [ResultState.COMMITTED]
    journal = journal_path(first.plan_path)
    lines = [json.loads(line) for line in journal.read_text().splitlines()]
    for line in lines:
        if line.get("outcome") == "committed":
            line["outcome"] = recorded
    journal.write_text("".join(json.dumps(line) + "\n" for line in lines))
    w.delete_entry_on_main("owner/a")
    second = w.night(apply_token=OWNER_TOKEN)
    assert second.status("owner/a") == [Status.REMOVED_BY_AUTHOR]
    (entry,) = second.plan.repo("owner/a").entries  # type: ignore[union-attr]
    assert "night-1.plan.json" in entry.reason and "committed it to main" in entry.reason
    assert not second.plan.has_changes and w.prs("owner/a", author=None) == []
