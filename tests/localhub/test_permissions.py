"""Write access per declared account, as on the Hub, through the real huggingface_hub client:
owners (the account's namespace, organisations where it is admin/write) commit to branches,
merge and change settings; a PR's author or an owner closes, renames or pushes to it; everyone
else only opens PRs and discussions and comments (403 `HfHubHTTPError`). Undeclared tokens may
do anything."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError

from eeesync.errors import LocalHubError
from eeesync.localhub import LocalHub
from tests.localhub.helpers import GOOD_YAML, OTHER_YAML, add

OWNER, MEMBER, READER, EVE = "tok-owner", "tok-member", "tok-reader", "tok-eve"
ACCOUNTS = {OWNER: "owner", MEMBER: "member", READER: "reader", EVE: "eve"}
ORGS = {"acme": {"member": "write", "reader": "read"}}
MINE, ORG_REPO = "owner/model", "acme/model"


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[LocalHub]:
    with LocalHub(tmp_path / "hub", accounts=ACCOUNTS, orgs=ORGS) as running:
        running.storage.create_repo(MINE)
        running.storage.create_repo(ORG_REPO)
        yield running


def _api(hub: LocalHub, token: str) -> HfApi:
    return HfApi(endpoint=hub.url, token=token)


def _refused(call: Callable[[], Any]) -> str:
    with pytest.raises(HfHubHTTPError) as raised:
        call()
    assert raised.value.response.status_code == 403
    return str(raised.value)


def _open_pr(api: HfApi, repo: str, path: str = "a.txt") -> int:
    info = api.create_commit(repo, [add(path, GOOD_YAML)], commit_message="PR", create_pr=True)
    assert info.pr_num is not None
    return info.pr_num


def test_a_stranger_opens_prs_and_comments_but_never_writes_main_merges_or_closes(
    hub: LocalHub,
) -> None:
    owner, eve = _api(hub, OWNER), _api(hub, EVE)
    main_before = owner.model_info(MINE).sha
    theirs = _open_pr(owner, MINE)

    message = _refused(
        lambda: eve.create_commit(MINE, [add("x.txt", "x")], commit_message="direct")
    )
    assert "eve" in message and MINE in message and EVE not in message  # no token echoed
    _refused(lambda: eve.merge_pull_request(MINE, theirs))
    _refused(lambda: eve.change_discussion_status(MINE, theirs, "closed"))
    _refused(lambda: eve.rename_discussion(MINE, theirs, "mine now"))
    _refused(
        lambda: eve.create_commit(
            MINE, [add("y.txt", "y")], commit_message="push", revision=f"refs/pr/{theirs}"
        )
    )
    _refused(lambda: eve.create_repo("owner/another"))
    _refused(lambda: eve.delete_repo(MINE))
    _refused(lambda: eve.update_repo_settings(MINE, private=True))
    assert owner.model_info(MINE).sha == main_before
    assert owner.get_discussion_details(MINE, theirs).status == "open"

    # What anyone may do: open a PR and a discussion, comment, and manage their own PR.
    own = _open_pr(eve, MINE, "b.txt")
    eve.create_discussion(MINE, title="A question")
    eve.comment_discussion(MINE, theirs, "Looks right")
    eve.create_commit(MINE, [add("c.txt", "c")], commit_message="more", revision=f"refs/pr/{own}")
    eve.rename_discussion(MINE, own, "Add HLE")
    eve.change_discussion_status(MINE, own, "closed")
    assert owner.get_discussion_details(MINE, own).status == "closed"
    eve.create_repo("eve/scratch")  # her own namespace


def test_owners_commit_merge_and_close_anyones_pr(hub: LocalHub) -> None:
    owner, eve = _api(hub, OWNER), _api(hub, EVE)
    owner.create_commit(MINE, [add("README.md", "hi")], commit_message="direct")
    merged, closed = _open_pr(eve, MINE, "m.txt"), _open_pr(eve, MINE, "n.txt")
    owner.merge_pull_request(MINE, merged)
    owner.change_discussion_status(MINE, closed, "closed", comment="No, thanks")
    statuses = {d.num: d.status for d in owner.get_repo_discussions(MINE)}
    assert statuses == {merged: "merged", closed: "closed"}
    assert "m.txt" in owner.list_repo_files(MINE)


def test_organisation_members_with_write_role_own_its_repos_readers_do_not(
    hub: LocalHub,
) -> None:
    member, reader = _api(hub, MEMBER), _api(hub, READER)
    member.create_commit(ORG_REPO, [add("README.md", "hi")], commit_message="direct")
    num = _open_pr(reader, ORG_REPO)
    _refused(lambda: reader.merge_pull_request(ORG_REPO, num))
    _refused(lambda: reader.create_commit(ORG_REPO, [add("r.txt", "r")], commit_message="d"))
    member.merge_pull_request(ORG_REPO, num)
    _refused(lambda: member.create_commit(MINE, [add("r.txt", "r")], commit_message="d"))

    orgs = {o["name"]: o["roleInOrg"] for o in member.whoami()["orgs"]}
    assert orgs == {"acme": "write"}
    assert _api(hub, EVE).whoami()["orgs"] == []


def test_an_undeclared_token_may_do_anything(hub: LocalHub) -> None:
    """Seeding stays easy: a token that is no declared account writes anywhere."""
    seeder = _api(hub, "hf_seed_token")
    seeder.create_repo("anyone/else")
    seeder.create_commit(MINE, [add("x.yaml", OTHER_YAML)], commit_message="seed")
    num = _open_pr(_api(hub, EVE), MINE)
    seeder.merge_pull_request(MINE, num)
    assert seeder.whoami()["name"] == "local-user"


@pytest.mark.parametrize(
    "orgs",
    [{"acme": {"alice": "owner"}}, {"acme": ["alice"]}, {"bad/org": {"alice": "write"}}],
)
def test_invalid_organisations_are_refused(tmp_path: Path, orgs: Any) -> None:
    with pytest.raises(LocalHubError):
        LocalHub(tmp_path / "hub", orgs=orgs)
