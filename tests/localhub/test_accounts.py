"""Accounts per token: commits, PRs and comments are attributed to the token's account, and
`whoami` answers per token (`LocalHub(accounts=...)`), through the real huggingface_hub client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from huggingface_hub import HfApi

from eeesync.errors import LocalHubError
from eeesync.localhub import LocalHub
from tests.localhub.helpers import GOOD_YAML, add

ACCOUNTS = {"hf_tokA": "alice", "hf_tokB": "bob"}
ORGS = {"acme": {"bob": "write"}}  # bob may commit to acme's main and merge there


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[LocalHub]:
    with LocalHub(tmp_path / "hub", accounts=ACCOUNTS, orgs=ORGS) as running:
        running.storage.create_repo("acme/model-a")
        yield running


def _api(hub: LocalHub, token: str | None) -> HfApi:
    return HfApi(endpoint=hub.url, token=token if token is not None else False)


def test_whoami_answers_per_token(hub: LocalHub) -> None:
    assert _api(hub, "hf_tokA").whoami()["name"] == "alice"
    assert _api(hub, "hf_tokB").whoami()["name"] == "bob"
    # Unknown tokens keep acting as the stable default account.
    assert _api(hub, "hf_other").whoami()["name"] == "local-user"


def test_commits_prs_and_comments_carry_the_token_account(hub: LocalHub) -> None:
    alice, bob = _api(hub, "hf_tokA"), _api(hub, "hf_tokB")
    pr = alice.create_commit(
        "acme/model-a",
        [add(".eval_results/hle.yaml", GOOD_YAML)],
        commit_message="Add HLE",
        create_pr=True,
    )
    assert pr.pr_num is not None
    bob.comment_discussion("acme/model-a", pr.pr_num, "looks good")
    bob.create_commit("acme/model-a", [add("README.md", "hi")], commit_message="readme")
    alice.create_discussion("acme/model-a", title="Question")

    details = bob.get_discussion_details("acme/model-a", pr.pr_num)
    assert details.author == "alice"
    assert [(e.type, e.author) for e in details.events] == [
        ("comment", "alice"),  # the description
        ("commit", "alice"),
        ("comment", "bob"),
    ]
    listed = {d.num: d.author for d in bob.get_repo_discussions("acme/model-a")}
    assert listed == {pr.pr_num: "alice", pr.pr_num + 1: "alice"}
    assert [d.num for d in bob.get_repo_discussions("acme/model-a", author="bob")] == []
    mine = bob.get_repo_discussions("acme/model-a", author="alice", discussion_type="pull_request")
    assert [d.num for d in mine] == [pr.pr_num]
    history = bob.list_repo_commits("acme/model-a")
    assert [c.authors for c in history][:1] == [["bob"]]
    pr_history = bob.list_repo_commits("acme/model-a", revision=f"refs/pr/{pr.pr_num}")
    assert pr_history[0].authors == ["alice"]


def test_status_title_and_merge_events_name_the_acting_account(hub: LocalHub) -> None:
    alice, bob = _api(hub, "hf_tokA"), _api(hub, "hf_tokB")
    num = alice.create_commit(
        "acme/model-a", [add("a.txt", "a")], commit_message="a", create_pr=True
    ).pr_num
    assert num is not None
    bob.rename_discussion("acme/model-a", num, "Better title")
    bob.merge_pull_request("acme/model-a", num)
    events = alice.get_discussion_details("acme/model-a", num).events
    assert [(e.type, e.author) for e in events][-2:] == [
        ("title-change", "bob"),
        ("status-change", "bob"),
    ]
    assert alice.list_repo_commits("acme/model-a")[0].authors == ["bob"]  # the merge commit


def test_create_repo_without_namespace_goes_to_the_token_account(hub: LocalHub) -> None:
    url = _api(hub, "hf_tokB").create_repo("scratch")
    assert url.repo_id == "bob/scratch"
    assert _api(hub, None).list_repo_commits("bob/scratch")[0].authors == ["bob"]


def test_requests_without_a_token_act_as_the_default_account(localhub: LocalHub) -> None:
    localhub.storage.create_repo("acme/model-a")
    api = HfApi(endpoint=localhub.url, token=False)
    num = api.create_discussion("acme/model-a", title="Hi").num
    assert api.get_discussion_details("acme/model-a", num).author == "local-user"


@pytest.mark.parametrize(
    "accounts",
    [
        {"": "alice"},
        {" hf_secret": "alice"},
        {"hf_secret": "not/valid"},
        {"hf_secret": "-bad"},
        {"hf_secret": 3},
    ],
)
def test_invalid_account_maps_are_refused(tmp_path: Path, accounts: dict[str, object]) -> None:
    with pytest.raises(LocalHubError) as raised:
        LocalHub(tmp_path / "hub", accounts=accounts)  # type: ignore[arg-type]
    assert "hf_secret" not in str(raised.value)  # a token is never echoed
