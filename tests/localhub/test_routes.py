"""Every route of `eeesync/localhub/routes.py`, driven through the real huggingface_hub client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from huggingface_hub import (
    CommitOperationAdd,
    CommitOperationDelete,
    HfApi,
    RepoFolder,
    get_hf_file_metadata,
    hf_hub_url,
)
from huggingface_hub.community import DiscussionComment
from huggingface_hub.errors import (
    BadRequestError,
    EntryNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.utils import get_session
from huggingface_hub.utils.sha import git_hash

from eeesync.localhub import LocalHub
from eeesync.localhub.commits import resolve
from eeesync.localhub.repodata import Blob
from tests.localhub.helpers import GOOD_YAML, OTHER_YAML, add

REPO = "acme/model-a"


@pytest.fixture
def repo(hub_api: HfApi) -> str:
    hub_api.create_repo(REPO)
    hub_api.create_commit(
        REPO,
        [add(".eval_results/hle.yaml", GOOD_YAML), add("README.md", "hi")],
        commit_message="seed",
    )
    return REPO


# --- repos and info ------------------------------------------------------------------------------


def test_create_repo_and_info_for_models_and_datasets(hub_api: HfApi, localhub: LocalHub) -> None:
    url = hub_api.create_repo("acme/bench", repo_type="dataset")
    assert url == f"{localhub.url}/datasets/acme/bench"
    assert hub_api.create_repo(REPO) == f"{localhub.url}/{REPO}"
    assert hub_api.repo_exists(REPO) and hub_api.repo_exists("acme/bench", repo_type="dataset")
    assert not hub_api.repo_exists("acme/bench")  # types are separate namespaces
    assert not hub_api.repo_exists("acme/nope")

    info = hub_api.model_info(REPO)
    assert info.id == REPO and len(info.sha) == 40 and info.private is False
    assert info.gated is False and info.last_modified is not None
    assert [s.rfilename for s in info.siblings] == [".gitattributes"]  # as the Hub's first commit
    dataset = hub_api.dataset_info("acme/bench")
    assert dataset.id == "acme/bench" and dataset.sha != info.sha
    assert hub_api.repo_info("acme/bench", repo_type="dataset").sha == dataset.sha


def test_create_repo_conflict_and_exist_ok(hub_api: HfApi) -> None:
    hub_api.create_repo(REPO)
    hub_api.create_repo("ACME/Model-A", exist_ok=True)
    with pytest.raises(HfHubHTTPError) as err:
        hub_api.create_repo("Acme/MODEL-A")
    assert err.value.response.status_code == 409


def test_create_repo_without_namespace_uses_the_local_user(hub_api: HfApi) -> None:
    url = hub_api.create_repo("solo")
    assert url.repo_id == "local-user/solo"
    assert hub_api.whoami()["name"] == "local-user"


def test_lookup_is_case_insensitive_and_answers_the_canonical_id(hub_api: HfApi, repo: str) -> None:
    info = hub_api.model_info("ACME/Model-A")
    assert info.id == REPO
    assert hub_api.list_repo_files("Acme/MODEL-A") == sorted(hub_api.list_repo_files(REPO))
    path = hub_api.hf_hub_download("acme/MODEL-a", "README.md")
    assert Path(path).read_text() == "hi"
    result = hub_api.create_commit("ACME/model-A", [add("x.txt", "x")], commit_message="x")
    assert hub_api.model_info(REPO).sha == result.oid


def test_revision_route_and_revision_exists(hub_api: HfApi, repo: str) -> None:
    first = hub_api.list_repo_commits(repo)[-1].commit_id
    assert hub_api.model_info(repo, revision=first).sha == first
    assert [s.rfilename for s in hub_api.model_info(repo, revision=first).siblings] == [
        ".gitattributes"
    ]
    assert hub_api.model_info(repo, revision=first[:10]).sha == first  # short sha
    assert hub_api.revision_exists(repo, "main")
    assert hub_api.revision_exists(repo, first)
    assert not hub_api.revision_exists(repo, "nope")
    assert not hub_api.revision_exists("acme/missing", "main")
    with pytest.raises(RevisionNotFoundError):
        hub_api.model_info(repo, revision="refs/pr/9")


def test_files_metadata_gives_git_blob_ids(hub_api: HfApi, repo: str) -> None:
    siblings = {s.rfilename: s for s in hub_api.model_info(repo, files_metadata=True).siblings}
    assert siblings["README.md"].blob_id == git_hash(b"hi")
    assert siblings["README.md"].size == 2


def test_expand_returns_only_what_was_asked(hub_api: HfApi, repo: str) -> None:
    info = hub_api.model_info(repo, expand=["sha"])
    assert info.sha and info.siblings is None and info.last_modified is None
    info = hub_api.model_info(repo, expand=["siblings", "lastModified", "private", "gated"])
    assert info.sha is None and info.siblings and info.last_modified and info.private is False
    with pytest.raises(BadRequestError):
        hub_api.model_info(repo, expand=["safetensors"])


def test_eval_results_expand_parses_main_server_side(
    hub_api: HfApi, localhub: LocalHub, repo: str
) -> None:
    hub_api.create_commit(
        repo,
        [
            add(".eval_results/gpqa.yaml", OTHER_YAML),
            add(".eval_results/bad.yaml", "- dataset: {id: x/y}\n  value: 1\n"),  # no task_id
            add(".eval_results/notalist.yaml", "dataset: {id: x/y, task_id: t}\n"),
            add(
                ".eval_results/dated.yaml",
                "- dataset: {id: a/b, task_id: t}\n  value: 2\n  date: 2025-01-15\n",
            ),
        ],
        commit_message="more",
    )
    info = hub_api.model_info(repo, expand=["evalResults", "sha"])
    assert info.sha
    assert sorted((e.dataset_id, e.task_id, e.value) for e in info.eval_results) == [
        ("Idavidrein/gpqa", "gpqa_diamond", 0.41),
        ("a/b", "t", 2),
        ("cais/hle", "hle", 20.9),
    ]
    assert {e.date for e in info.eval_results} == {None, "2025-01-15"}

    raw = (
        get_session()
        .get(f"{localhub.url}/api/models/{repo}", params={"expand": "evalResults"})
        .json()["evalResults"]
    )
    errors = {item["filename"]: item["error"] for item in raw if "error" in item}
    assert set(errors) == {".eval_results/bad.yaml", ".eval_results/notalist.yaml"}
    assert "task_id" in errors[".eval_results/bad.yaml"]
    assert {
        "filename": ".eval_results/hle.yaml",
        "data": {"dataset": {"id": "cais/hle", "task_id": "hle"}, "value": 20.9},
    } in raw
    # Only main counts, and evalResults is not part of the default answer.
    assert hub_api.model_info(repo).eval_results is None


def test_delete_repo(hub_api: HfApi, repo: str) -> None:
    hub_api.delete_repo(repo)
    assert not hub_api.repo_exists(repo)
    with pytest.raises(RepositoryNotFoundError):
        hub_api.delete_repo(repo)
    hub_api.delete_repo(repo, missing_ok=True)


def test_whoami(hub_api: HfApi) -> None:
    me = hub_api.whoami()
    assert me["name"] == "local-user" and me["type"] == "user"


# --- errors and access ---------------------------------------------------------------------------


def test_each_error_type(hub_api: HfApi, repo: str) -> None:
    with pytest.raises(RepositoryNotFoundError):
        hub_api.model_info("acme/missing")
    with pytest.raises(RevisionNotFoundError):
        hub_api.hf_hub_download(repo, "README.md", revision="no-such-branch")
    with pytest.raises(RemoteEntryNotFoundError) as entry:
        hub_api.hf_hub_download(repo, "missing.txt")
    assert isinstance(entry.value, EntryNotFoundError)
    assert entry.value.response.headers["X-Repo-Commit"] == hub_api.model_info(repo).sha
    with pytest.raises(HfHubHTTPError) as conflict:
        hub_api.create_repo(repo)
    assert conflict.value.response.status_code == 409
    assert "already created" in conflict.value.server_message


def test_gated_repo(hub_api: HfApi, localhub: LocalHub, repo: str) -> None:
    localhub.storage.set_gated(repo)
    assert hub_api.repo_exists(repo)  # the client counts a gated repo as existing
    assert hub_api.model_info(repo).gated == "manual"
    with pytest.raises(GatedRepoError):
        hub_api.hf_hub_download(repo, "README.md")
    with pytest.raises(GatedRepoError):
        hub_api.file_exists(repo, "README.md")
    hub_api.update_repo_settings(repo, gated=False)
    assert hub_api.file_exists(repo, "README.md")
    hub_api.update_repo_settings(repo, gated="auto")
    assert hub_api.model_info(repo).gated == "auto"
    with pytest.raises(GatedRepoError):
        hub_api.hf_hub_download(repo, "README.md")


def test_private_repo_is_hidden_from_requests_without_a_token(
    hub_api: HfApi, localhub: LocalHub, repo: str
) -> None:
    hub_api.update_repo_settings(repo, private=True)
    anonymous = HfApi(endpoint=localhub.url, token=False)
    assert hub_api.model_info(repo).private is True
    assert not anonymous.repo_exists(repo)
    with pytest.raises(RepositoryNotFoundError):
        anonymous.list_repo_files(repo)
    assert [m.id for m in anonymous.list_models(author="acme")] == []
    assert [m.id for m in hub_api.list_models(author="acme")] == [repo]


# --- files ---------------------------------------------------------------------------------------


def test_list_repo_files_and_tree(hub_api: HfApi, repo: str) -> None:
    hub_api.create_commit(repo, [add("a/b/c.txt", "c"), add("a/d.txt", "d")], commit_message="m")
    assert hub_api.list_repo_files(repo) == [
        ".eval_results/hle.yaml",
        ".gitattributes",
        "README.md",
        "a/b/c.txt",
        "a/d.txt",
    ]
    top = {(e.path, type(e).__name__) for e in hub_api.list_repo_tree(repo)}
    assert top == {
        (".eval_results", "RepoFolder"),
        (".gitattributes", "RepoFile"),
        ("README.md", "RepoFile"),
        ("a", "RepoFolder"),
    }
    under = [e.path for e in hub_api.list_repo_tree(repo, path_in_repo="a")]
    assert under == ["a/b", "a/d.txt"]
    deep = [e.path for e in hub_api.list_repo_tree(repo, path_in_repo="a", recursive=True)]
    assert deep == ["a/b", "a/b/c.txt", "a/d.txt"]
    files = [e for e in hub_api.list_repo_tree(repo, ".eval_results") if e.path.endswith("yaml")]
    assert files[0].blob_id == git_hash(GOOD_YAML.encode()) and files[0].size == len(GOOD_YAML)


def test_missing_folder_is_entry_not_found_on_iteration(hub_api: HfApi, repo: str) -> None:
    listing = hub_api.list_repo_tree(repo, path_in_repo="nope", recursive=True)  # lazy
    with pytest.raises(EntryNotFoundError):
        list(listing)
    with pytest.raises(RemoteEntryNotFoundError):
        list(hub_api.list_repo_tree(repo, path_in_repo="README.md"))


def test_tree_pagination_follows_link_header(hub_api: HfApi, localhub: LocalHub, repo: str) -> None:
    hub_api.create_commit(
        repo, [add(f"f/{i:02}.txt", str(i)) for i in range(10)], commit_message="many"
    )
    localhub.app.router.files.tree_page_size = 3
    localhub.reset_counters()
    files = hub_api.list_repo_files(repo)
    assert len(files) == 13 and files == sorted(files)
    assert localhub.counters()["tree"] == 5  # 14 entries (with folder f/) in pages of 3


class _CountedTree(dict[str, Blob]):
    """A commit's files that count the passes made over them."""

    passes = 0

    def __iter__(self) -> Iterator[str]:
        self.passes += 1
        return super().__iter__()


def test_a_large_recursive_listing_hashes_every_folder_in_one_pass(
    hub_api: HfApi, localhub: LocalHub, repo: str
) -> None:
    """A folder's oid covers every file under it and changes only with them; all of a
    listing's folders are hashed in one pass over the files (a scan of the files per folder
    made listing a collection of 3,000 model folders take seconds per page). The work is
    counted, not timed: passes over the commit's files per page of the listing."""
    localhub.storage.commit(
        repo, {f"data/c/dev{i % 30}/m{i}/r.json": b"{}" for i in range(3000)}, message="many"
    )
    head = resolve(localhub.storage.repo(repo), "main")
    head.tree = files = _CountedTree(head.tree)
    localhub.reset_counters()
    listed = list(hub_api.list_repo_tree(repo, "data", recursive=True))
    assert len(listed) == 1 + 30 + 3000 + 3000
    # A page lists (one pass) and hashes its folders (one more); a scan per folder made 3,000+
    assert files.passes <= 2 * localhub.counters()["tree"]
    before = {e.path: e.tree_id for e in listed if isinstance(e, RepoFolder)}
    localhub.storage.commit(repo, {"data/c/dev1/m1/r.json": b"[]"}, message="one")
    after = {
        e.path: e.tree_id
        for e in hub_api.list_repo_tree(repo, "data", recursive=True)
        if isinstance(e, RepoFolder)
    }
    assert {p for p in before if before[p] != after[p]} == {
        "data/c",
        "data/c/dev1",
        "data/c/dev1/m1",
    }
    (info,) = hub_api.get_paths_info(repo, ["data/c/dev1"])
    assert isinstance(info, RepoFolder) and info.tree_id == after["data/c/dev1"]


def test_download_at_main_sha_and_pr_ref(hub_api: HfApi, localhub: LocalHub, repo: str) -> None:
    old = hub_api.model_info(repo).sha
    hub_api.create_commit(repo, [add("README.md", "v2")], commit_message="v2")
    pr = hub_api.create_commit(repo, [add("README.md", "pr")], commit_message="p", create_pr=True)
    assert Path(hub_api.hf_hub_download(repo, "README.md")).read_text() == "v2"
    assert Path(hub_api.hf_hub_download(repo, "README.md", revision=old)).read_text() == "hi"
    assert (
        Path(hub_api.hf_hub_download(repo, "README.md", revision=pr.pr_revision)).read_text()
        == "pr"
    )
    meta = get_hf_file_metadata(
        hf_hub_url(repo, "README.md", revision="refs/pr/1", endpoint=localhub.url)
    )
    assert (
        meta.commit_hash
        == hub_api.list_repo_refs(repo, include_pull_requests=True).pull_requests[0].target_commit
    )
    assert meta.etag == git_hash(b"pr") and meta.size == 2


def test_dataset_download_and_tree(hub_api: HfApi) -> None:
    hub_api.create_repo("acme/bench", repo_type="dataset")
    hub_api.create_commit(
        "acme/bench",
        [add("eval.yaml", "name: Bench\n")],
        repo_type="dataset",
        commit_message="eval",
    )
    path = hub_api.hf_hub_download("acme/bench", "eval.yaml", repo_type="dataset")
    assert Path(path).read_text() == "name: Bench\n"
    assert "eval.yaml" in hub_api.list_repo_files("acme/bench", repo_type="dataset")


def test_range_requests(localhub: LocalHub, hub_api: HfApi, repo: str) -> None:
    url = hf_hub_url(repo, "README.md", endpoint=localhub.url)
    resp = get_session().get(url, headers={"Range": "bytes=1-"})
    assert resp.status_code == 206 and resp.content == b"i"
    assert resp.headers["Content-Range"] == "bytes 1-1/2"


def test_paths_info(hub_api: HfApi, repo: str) -> None:
    found = hub_api.get_paths_info(repo, ["README.md", ".eval_results", "missing"])
    assert sorted((type(e).__name__, e.path) for e in found) == [
        ("RepoFile", "README.md"),
        ("RepoFolder", ".eval_results"),
    ]


# --- listing repos -------------------------------------------------------------------------------


def test_list_models_filters_expand_and_cursor_pagination(
    hub_api: HfApi, localhub: LocalHub
) -> None:
    for i in range(12):
        localhub.storage.create_repo(f"org{i % 2}/model-{i:02}")
    localhub.storage.create_repo("other/special-model")
    localhub.storage.create_repo("org0/a-dataset", repo_type="dataset")
    localhub.app.router.repos.list_page_size = 5
    localhub.reset_counters()
    everything = list(hub_api.list_models(expand=["sha", "siblings", "lastModified"]))
    assert len(everything) == 13 and localhub.counters()["list_repos"] == 3
    heads = {m.id: m.sha for m in everything}
    assert heads["org1/model-03"] == localhub.storage.repo("org1/model-03").head.oid
    assert all(m.siblings and m.last_modified for m in everything)
    assert [m.id for m in hub_api.list_models(author="ORG1")] == [
        f"org1/model-{i:02}" for i in range(1, 12, 2)
    ]
    assert [m.id for m in hub_api.list_models(search="special")] == ["other/special-model"]
    assert len(list(hub_api.list_models(limit=7))) == 7
    plain = next(iter(hub_api.list_models(limit=1)))
    assert plain.sha is None and plain.siblings is None  # expand decides what comes back
    assert [d.id for d in hub_api.list_datasets(author="org0", expand=["sha"])] == [
        "org0/a-dataset"
    ]
    with pytest.raises(BadRequestError):
        list(hub_api.list_models(filter="text-generation"))


# --- refs and commits ----------------------------------------------------------------------------


def test_list_repo_refs_and_commits(hub_api: HfApi, repo: str) -> None:
    pr = hub_api.create_commit(repo, [add("x", "1")], commit_message="pr", create_pr=True)
    refs = hub_api.list_repo_refs(repo, include_pull_requests=True)
    assert [b.name for b in refs.branches] == ["main"]
    assert refs.branches[0].target_commit == hub_api.model_info(repo).sha
    assert [(p.ref, p.target_commit) for p in refs.pull_requests] == [("refs/pr/1", pr.oid)]
    assert hub_api.list_repo_refs(repo).pull_requests is None
    commits = hub_api.list_repo_commits(repo)
    assert [c.title for c in commits] == ["seed", "initial commit"]
    pr_commits = hub_api.list_repo_commits(repo, revision="refs/pr/1")
    assert [c.commit_id for c in pr_commits][:2] == [pr.oid, commits[0].commit_id]


def test_list_repo_commits_paginates(hub_api: HfApi, localhub: LocalHub, repo: str) -> None:
    for i in range(4):
        localhub.storage.commit(repo, {"n.txt": str(i).encode()}, message=f"c{i}")
    localhub.app.router.commits.commits_page_size = 2
    assert [c.title for c in hub_api.list_repo_commits(repo)] == [
        "c3",
        "c2",
        "c1",
        "c0",
        "seed",
        "initial commit",
    ]


# --- commits -------------------------------------------------------------------------------------


def test_commit_with_parent_commit_and_stale_parent(hub_api: HfApi, repo: str) -> None:
    head = hub_api.model_info(repo).sha
    ok = hub_api.create_commit(repo, [add("a.txt", "a")], commit_message="a", parent_commit=head)
    with pytest.raises(HfHubHTTPError) as stale:
        hub_api.create_commit(repo, [add("b.txt", "b")], commit_message="b", parent_commit=head)
    assert stale.value.response.status_code == 412
    assert hub_api.model_info(repo).sha == ok.oid  # main did not move
    assert "b.txt" not in hub_api.list_repo_files(repo)


def test_create_pr_from_an_older_parent_commit(hub_api: HfApi, repo: str) -> None:
    base = hub_api.model_info(repo).sha
    hub_api.create_commit(repo, [add("main.txt", "m")], commit_message="main moves")
    pr = hub_api.create_commit(
        repo, [add("pr.txt", "p")], commit_message="from base", create_pr=True, parent_commit=base
    )
    assert pr.pr_num == 1 and pr.pr_revision == "refs/pr/1"
    assert pr.pr_url.endswith("/acme/model-a/discussions/1")
    assert hub_api.list_repo_commits(repo, revision="refs/pr/1")[1].commit_id == base
    assert "main.txt" not in hub_api.list_repo_files(repo, revision="refs/pr/1")
    assert "pr.txt" not in hub_api.list_repo_files(repo)  # main unchanged


def test_identical_commit_is_a_no_op(hub_api: HfApi, localhub: LocalHub, repo: str) -> None:
    head = hub_api.model_info(repo).sha
    localhub.reset_counters()
    info = hub_api.create_commit(
        repo, [add(".eval_results/hle.yaml", GOOD_YAML)], commit_message="again", create_pr=True
    )
    assert info.pr_url is None and info.oid == head
    assert "commit" not in localhub.counters()  # the client never sent the commit
    assert list(hub_api.get_repo_discussions(repo)) == []
    pr = hub_api.create_commit(repo, [add("n.txt", "n")], commit_message="pr", create_pr=True)
    again = hub_api.create_commit(
        repo, [add("n.txt", "n")], commit_message="same", revision=pr.pr_revision
    )
    assert again.oid == pr.oid  # identical to the PR head: nothing new on the PR


def test_commit_to_pr_ref_updates_the_pr(hub_api: HfApi, repo: str) -> None:
    pr = hub_api.create_commit(repo, [add("a.txt", "1")], commit_message="open", create_pr=True)
    update = hub_api.create_commit(
        repo, [add("a.txt", "2")], commit_message="update", revision=pr.pr_revision
    )
    assert (
        hub_api.list_repo_refs(repo, include_pull_requests=True).pull_requests[0].target_commit
        == update.oid
    )
    details = hub_api.get_discussion_details(repo, pr.pr_num)
    assert [e.summary for e in details.events if e.type == "commit"] == ["open", "update"]
    assert "+2" in details.diff


def test_deletions(hub_api: HfApi, repo: str) -> None:
    hub_api.create_commit(repo, [add("d/x", "x"), add("d/y", "y")], commit_message="d")
    hub_api.create_commit(
        repo,
        [CommitOperationDelete("README.md"), CommitOperationDelete("d/", is_folder=True)],
        commit_message="delete",
    )
    assert hub_api.list_repo_files(repo) == [".eval_results/hle.yaml", ".gitattributes"]
    with pytest.raises(RemoteEntryNotFoundError):
        hub_api.create_commit(repo, [CommitOperationDelete("gone.txt")], commit_message="x")


def test_create_pr_against_a_commit_sha_is_refused(hub_api: HfApi, repo: str) -> None:
    sha = hub_api.model_info(repo).sha
    with pytest.raises(RevisionNotFoundError):
        hub_api.create_commit(
            repo, [add("a", "a")], commit_message="x", revision=sha, create_pr=True
        )


def test_readme_commit_validates_yaml(hub_api: HfApi, repo: str) -> None:
    hub_api.create_commit(
        repo, [add("README.md", "---\nlicense: mit\n---\nhi")], commit_message="card"
    )
    with pytest.raises(ValueError, match="invalid YAML metadata"):
        hub_api.create_commit(
            repo, [add("README.md", "---\nlicense: [\n---\n")], commit_message="bad card"
        )


# --- discussions and pull requests ---------------------------------------------------------------


def test_discussions_pagination_past_50(hub_api: HfApi, localhub: LocalHub, repo: str) -> None:
    for i in range(60):
        localhub.storage.open_pr(repo, {f"f{i}.txt": b"x"}, title=f"PR {i}")
    localhub.storage.create_discussion(repo, title="a question")
    localhub.reset_counters()
    prs = list(hub_api.get_repo_discussions(repo, discussion_type="pull_request"))
    assert len(prs) == 60 and localhub.counters()["discussions"] == 2
    assert [d.num for d in prs] == list(range(60, 0, -1))  # newest first
    assert all(d.is_pull_request and d.git_reference == f"refs/pr/{d.num}" for d in prs)
    everything = list(hub_api.get_repo_discussions(repo))
    assert len(everything) == 61 and everything[0].title == "a question"
    assert [d.num for d in hub_api.get_repo_discussions(repo, discussion_type="discussion")] == [61]


def test_discussion_status_filters_and_author(
    hub_api: HfApi, localhub: LocalHub, repo: str
) -> None:
    s = localhub.storage
    open_pr = s.open_pr(repo, {"a": b"a"}, title="open")
    draft = s.open_pr(repo, {"b": b"b"}, title="draft", draft=True)
    closed = s.open_pr(repo, {"c": b"c"}, title="closed")
    merged = s.open_pr(repo, {"d": b"d"}, title="merged")
    s.set_discussion_status(repo, closed, "closed")
    s.merge_pr(repo, merged)

    def nums(**kw: str) -> list[int]:
        return sorted(d.num for d in hub_api.get_repo_discussions(repo, **kw))

    assert nums(discussion_status="open") == [open_pr, draft]
    assert nums(discussion_status="closed") == [closed, merged]
    assert nums(discussion_status="all") == [open_pr, draft, closed, merged]
    statuses = {d.num: d.status for d in hub_api.get_repo_discussions(repo)}
    assert statuses == {open_pr: "open", draft: "draft", closed: "closed", merged: "merged"}
    assert nums(author="local-user") == [open_pr, draft, closed, merged]
    assert nums(author="someone-else") == []


def test_discussion_details(hub_api: HfApi, repo: str) -> None:
    pr = hub_api.create_commit(
        repo,
        [add(".eval_results/gpqa.yaml", OTHER_YAML), add("README.md", "changed")],
        commit_message="Add GPQA",
        commit_description="<!-- eeesync:1 -->",
        create_pr=True,
    )
    details = hub_api.get_discussion_details(repo, pr.pr_num)
    assert details.title == "Add GPQA" and details.status == "open" and details.is_pull_request
    assert details.target_branch == "refs/heads/main"
    assert details.conflicting_files == [] and details.merge_commit_oid is None
    assert details.events[0].type == "comment"
    assert details.events[0].content == "<!-- eeesync:1 -->"  # the PR description
    assert details.events[1].type == "commit" and details.events[1].oid == pr.oid
    assert "diff --git a/.eval_results/gpqa.yaml b/.eval_results/gpqa.yaml" in details.diff
    assert "new file mode 100644" in details.diff
    assert "-hi\n\\ No newline at end of file\n+changed" in details.diff
    with pytest.raises(HfHubHTTPError) as missing:
        hub_api.get_discussion_details(repo, 99)
    assert missing.value.response.status_code == 404


def test_conflicting_files(hub_api: HfApi, repo: str) -> None:
    pr = hub_api.create_commit(
        repo, [add("README.md", "from pr")], commit_message="pr", create_pr=True
    )
    hub_api.create_commit(repo, [add("README.md", "from main")], commit_message="main")
    assert hub_api.get_discussion_details(repo, pr.pr_num).conflicting_files == ["README.md"]
    with pytest.raises(HfHubHTTPError) as conflict:
        hub_api.merge_pull_request(repo, pr.pr_num)
    assert conflict.value.response.status_code == 409


def test_change_status_and_merge(hub_api: HfApi, repo: str) -> None:
    pr = hub_api.create_commit(repo, [add("new.txt", "n")], commit_message="pr", create_pr=True)
    event = hub_api.change_discussion_status(repo, pr.pr_num, "closed", comment="no thanks")
    assert event.new_status == "closed"
    assert hub_api.get_discussion_details(repo, pr.pr_num).status == "closed"
    with pytest.raises(HfHubHTTPError):
        hub_api.merge_pull_request(repo, pr.pr_num)  # closed PRs cannot be merged
    hub_api.change_discussion_status(repo, pr.pr_num, "open")
    hub_api.merge_pull_request(repo, pr.pr_num, comment="thanks")
    details = hub_api.get_discussion_details(repo, pr.pr_num)
    assert details.status == "merged"
    assert details.merge_commit_oid == hub_api.model_info(repo).sha
    assert "new.txt" in hub_api.list_repo_files(repo)
    assert [e.type for e in details.events] == [
        "comment",
        "commit",
        "comment",
        "status-change",
        "status-change",
        "comment",
        "status-change",
    ]
    with pytest.raises(HfHubHTTPError):
        hub_api.change_discussion_status(repo, pr.pr_num, "open")


def test_draft_pr_comment_rename_and_update(hub_api: HfApi, repo: str) -> None:
    draft = hub_api.create_pull_request(repo, "Draft", description="<!-- marker -->")
    assert draft.status == "draft" and draft.is_pull_request and draft.num == 1
    assert draft.events[0].content == "<!-- marker -->"
    assert hub_api.list_repo_files(repo, revision=draft.git_reference) == hub_api.list_repo_files(
        repo
    )
    hub_api.create_commit(
        repo, [add("d.txt", "d")], commit_message="fill", revision=draft.git_reference
    )
    assert "d.txt" in hub_api.list_repo_files(repo, revision="refs/pr/1")
    discussion = hub_api.create_discussion(repo, "A question", description="why?")
    assert discussion.num == 2 and not discussion.is_pull_request  # numbers are shared
    comment = hub_api.comment_discussion(repo, 2, "because")
    assert comment.content == "because"
    renamed = hub_api.rename_discussion(repo, 2, "Better title")
    assert (renamed.old_title, renamed.new_title) == ("A question", "Better title")
    assert hub_api.get_discussion_details(repo, 2).title == "Better title"


def test_edit_discussion_comment_replaces_the_description_for_its_author_only(
    tmp_path: Path,
) -> None:
    with LocalHub(tmp_path / "hub", accounts={"a": "alice", "b": "bob"}) as accounts:
        repo = HfApi(endpoint=accounts.url, token="seed").create_repo("edit-org/model").repo_id
        alice = HfApi(endpoint=accounts.url, token="a")
        bob = HfApi(endpoint=accounts.url, token="b")
        pr = alice.create_commit(
            repo,
            operations=[CommitOperationAdd("f.txt", b"x")],
            commit_message="add f",
            commit_description="first text",
            create_pr=True,
        )
        first = alice.get_discussion_details(repo, pr.pr_num).events[0]
        edited = alice.edit_discussion_comment(repo, pr.pr_num, first.id, "second text")
        assert isinstance(edited, DiscussionComment) and edited.content == "second text"
        assert edited.edited
        details = bob.get_discussion_details(repo, pr.pr_num)
        assert [e.content for e in details.events if isinstance(e, DiscussionComment)] == [
            "second text"
        ]
        with pytest.raises(HfHubHTTPError) as refused:
            bob.edit_discussion_comment(repo, pr.pr_num, first.id, "not yours")
        assert refused.value.response.status_code == 403
