"""One-segment repo ids like `gpt2`: on the Hub they are old names that redirect to a namespaced
repo (`openai-community/gpt2`). Info, files, downloads, commits and PRs by such an id, through
the real huggingface_hub client."""

from __future__ import annotations

from pathlib import Path

import pytest
from huggingface_hub import HfApi, hf_hub_download
from huggingface_hub.errors import RepositoryNotFoundError

from eeesync.errors import LocalHubError
from eeesync.localhub import HubState, LocalHub
from tests.localhub.helpers import GOOD_YAML, add

CANONICAL = "openai-community/gpt2"


@pytest.fixture
def gpt2(localhub: LocalHub) -> str:
    localhub.storage.create_repo(CANONICAL)
    localhub.storage.commit(CANONICAL, {"config.json": b"{}"}, message="config")
    localhub.storage.add_alias("gpt2", CANONICAL)
    return "gpt2"


def test_info_files_and_downloads(gpt2: str, hub_api: HfApi, localhub: LocalHub) -> None:
    info = hub_api.model_info(gpt2)
    assert info.id == CANONICAL and info.author == "openai-community"  # as the Hub answers
    assert hub_api.model_info("GPT2").id == CANONICAL  # case-insensitive too
    assert hub_api.repo_exists(gpt2)
    assert hub_api.list_repo_files(gpt2) == [".gitattributes", "config.json"]
    assert hub_api.file_exists(gpt2, "config.json") and not hub_api.file_exists(gpt2, "nope")
    path = hf_hub_download(gpt2, "config.json", endpoint=localhub.url, token="t")
    assert Path(path).read_bytes() == b"{}"
    assert hub_api.revision_exists(gpt2, "main")
    assert [b.name for b in hub_api.list_repo_refs(gpt2).branches] == ["main"]


def test_commits_and_pull_requests(gpt2: str, hub_api: HfApi) -> None:
    pr = hub_api.create_commit(
        gpt2, [add(".eval_results/hle.yaml", GOOD_YAML)], commit_message="Add HLE", create_pr=True
    )
    assert pr.pr_num == 1 and pr.repo_url.repo_id == CANONICAL
    assert ".eval_results/hle.yaml" in hub_api.list_repo_files(gpt2, revision="refs/pr/1")
    listed = list(hub_api.get_repo_discussions(gpt2, discussion_type="pull_request"))
    assert [(d.num, d.status) for d in listed] == [(1, "open")]
    hub_api.comment_discussion(gpt2, 1, "thanks")
    hub_api.merge_pull_request(gpt2, 1)
    assert ".eval_results/hle.yaml" in hub_api.list_repo_files(CANONICAL)
    assert hub_api.list_repo_commits(gpt2)[0].title == "Add HLE"
    assert hub_api.create_discussion(gpt2, title="Question").num == 2


def test_create_repo_with_one_segment(localhub: LocalHub, hub_api: HfApi) -> None:
    # The client sends no namespace: the Hub creates the repo in the caller's account.
    assert hub_api.create_repo("scratch").repo_id == "local-user/scratch"
    with pytest.raises(LocalHubError, match="add_alias"):
        localhub.storage.create_repo("gpt2")


def test_datasets_and_aliases_that_are_refused(localhub: LocalHub, hub_api: HfApi) -> None:
    s = localhub.storage
    s.create_repo("rajpurkar/squad", repo_type="dataset")
    s.add_alias("squad", "rajpurkar/squad", repo_type="dataset")
    s.add_alias("squad", "rajpurkar/squad", repo_type="dataset")  # again: no change
    assert hub_api.dataset_info("squad").id == "rajpurkar/squad"
    assert not hub_api.repo_exists("squad")  # a model of that name does not exist
    s.create_repo("other/squad", repo_type="dataset")
    with pytest.raises(LocalHubError) as taken:
        s.add_alias("SQuAD", "other/squad", repo_type="dataset")
    assert taken.value.status == 409
    with pytest.raises(LocalHubError, match="one-segment"):
        s.add_alias("a/b", "other/squad", repo_type="dataset")
    with pytest.raises(RepositoryNotFoundError):
        hub_api.model_info("nobody")


def test_aliases_survive_a_restart_and_go_with_their_repo(gpt2: str, localhub: LocalHub) -> None:
    again = HubState(localhub.storage.root)
    assert again.repo("gpt2").id == CANONICAL
    assert [r.id for r in again.list_repos("model")[0]] == [CANONICAL]  # listed once
    again.delete_repo(CANONICAL)
    with pytest.raises(LocalHubError) as missing:
        again.repo("gpt2")
    assert missing.value.status == 404


def test_ambiguous_paths_go_to_the_repo_that_exists(localhub: LocalHub, hub_api: HfApi) -> None:
    # `/api/models/acme/refs` is the refs of `acme` or the info of `acme/refs`.
    s = localhub.storage
    s.create_repo("acme-org/acme")
    s.add_alias("acme", "acme-org/acme")
    assert [b.name for b in hub_api.list_repo_refs("acme").branches] == ["main"]
    s.create_repo("acme/refs")
    assert hub_api.model_info("acme/refs").id == "acme/refs"
    s.delete_repo("acme-org/acme")
    assert hub_api.model_info("acme/refs").id == "acme/refs"
