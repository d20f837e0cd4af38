"""The direct seeding API and persistence of `eeesync/localhub/storage.py` (no HTTP)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from huggingface_hub.utils.sha import git_hash

from eeesync.errors import LocalHubError
from eeesync.localhub import Storage

REPO = "acme/model-a"


@pytest.fixture
def storage(tmp_path: Path) -> Storage:
    s = Storage(tmp_path / "state")
    s.create_repo(REPO)
    return s


def test_blob_ids_are_git_blob_sha1s(storage: Storage) -> None:
    storage.commit(REPO, {"a.txt": b"hello\n"}, message="a")
    blob = storage.repo(REPO).head.tree["a.txt"]
    assert blob.oid == git_hash(b"hello\n") and blob.size == 6
    assert storage.read_blob(blob.oid) == b"hello\n"
    assert (storage.root / "objects" / blob.oid[:2] / blob.oid[2:]).read_bytes() == b"hello\n"


def test_commit_ids_are_unique_across_state_folders(tmp_path: Path) -> None:
    shas = []
    for name in ("one", "two"):
        s = Storage(tmp_path / name)
        s.create_repo(REPO)
        shas.append(s.commit(REPO, {"a": b"a"}, message="same").oid)
    assert shas[0] != shas[1] and all(len(sha) == 40 for sha in shas)


def test_commit_ids_are_stable_across_restart(tmp_path: Path) -> None:
    s = Storage(tmp_path / "s")
    s.create_repo(REPO)
    oid = s.commit(REPO, {"a": b"a"}, message="a").oid
    again = Storage(tmp_path / "s")
    assert again.repo(REPO).head.oid == oid and again.nonce == s.nonce


def test_case_insensitive_lookup_and_canonical_id(storage: Storage) -> None:
    assert storage.repo("ACME/MODEL-A").id == REPO
    assert storage.create_repo("Acme/Model-A", exist_ok=True) == REPO
    with pytest.raises(LocalHubError) as err:
        storage.create_repo("ACME/model-a")
    assert err.value.status == 409


def test_errors_carry_status_and_code(storage: Storage) -> None:
    with pytest.raises(LocalHubError) as repo:
        storage.repo("acme/missing")
    assert (repo.value.status, repo.value.code) == (404, "RepoNotFound")
    with pytest.raises(LocalHubError) as rev:
        storage.commit(REPO, {"a": b"a"}, revision="nope")
    assert (rev.value.status, rev.value.code) == (404, "RevisionNotFound")
    with pytest.raises(LocalHubError) as entry:
        storage.commit(REPO, {"missing": None})
    assert (entry.value.status, entry.value.code) == (404, "EntryNotFound")
    with pytest.raises(LocalHubError) as stale:
        storage.commit(REPO, {"a": b"a"}, parent_commit="0" * 40)
    assert stale.value.status == 412
    with pytest.raises(LocalHubError) as bad:
        storage.create_repo("../evil")
    assert bad.value.status == 400
    with pytest.raises(LocalHubError):
        storage.commit(REPO, {"a": b"a"}, message="  ")


def test_file_and_folder_of_the_same_name_are_refused(storage: Storage) -> None:
    storage.commit(REPO, {"a/b": b"x"}, message="m")
    with pytest.raises(LocalHubError):
        storage.commit(REPO, {"a": b"file over folder"}, message="m")
    with pytest.raises(LocalHubError):
        storage.commit(REPO, {"a/b/c": b"folder over file"}, message="m")


def test_open_pr_merge_and_conflicts(storage: Storage) -> None:
    storage.commit(REPO, {"keep.txt": b"k", "gone.txt": b"g"}, message="base")
    num = storage.open_pr(REPO, {"new.txt": b"n", "gone.txt": None}, title="t", description="d")
    repo = storage.repo(REPO)
    pr = repo.discussions[num]
    assert pr.status == "open" and pr.ref == "refs/pr/1" and pr.base_branch == "main"
    assert pr.events[0]["data"]["latest"]["raw"] == "d"
    storage.commit(REPO, {"other.txt": b"o"}, message="main moves on")
    assert storage.conflicts(repo, pr) == []
    merge = storage.merge_pr(REPO, num)
    head = storage.repo(REPO).head
    assert head.oid == merge and len(head.parents) == 2
    assert sorted(head.tree) == [".gitattributes", "keep.txt", "new.txt", "other.txt"]
    assert pr.status == "merged" and pr.merge_commit == merge

    conflicting = storage.open_pr(REPO, {"keep.txt": b"pr"}, title="c")
    storage.commit(REPO, {"keep.txt": b"main"}, message="edit")
    assert storage.conflicts(repo, repo.discussions[conflicting]) == ["keep.txt"]
    with pytest.raises(LocalHubError) as err:
        storage.merge_pr(REPO, conflicting)
    assert err.value.status == 409


def test_draft_and_plain_discussions_share_numbers(storage: Storage) -> None:
    assert storage.create_discussion(REPO, title="q") == 1
    assert storage.open_pr(REPO, {}, title="empty draft", draft=True) == 2
    assert storage.create_discussion(REPO, title="pr", pull_request=True) == 3
    repo = storage.repo(REPO)
    assert [(d.is_pr, d.status) for d in repo.discussions.values()] == [
        (False, "open"),
        (True, "draft"),
        (True, "draft"),
    ]
    assert repo.pr_heads[2] == repo.head.oid  # an empty PR starts at the branch head
    with pytest.raises(LocalHubError):
        storage.set_discussion_status(REPO, 1, "draft")  # only PRs are drafts


def test_push_to_closed_or_merged_pr_is_refused(storage: Storage) -> None:
    num = storage.open_pr(REPO, {"a": b"a"}, title="t")
    storage.set_discussion_status(REPO, num, "closed")
    with pytest.raises(LocalHubError):
        storage.commit(REPO, {"b": b"b"}, revision=f"refs/pr/{num}")


def test_bulk_defers_writes(storage: Storage) -> None:
    path = storage.root / "repos" / "models" / "acme" / "bulk.json"
    with storage.bulk():
        storage.create_repo("acme/bulk")
        storage.commit("acme/bulk", {"a": b"a"}, message="a")
        assert not path.exists()
    assert json.loads(path.read_text())["id"] == "acme/bulk"
    assert Storage(storage.root).repo("acme/bulk").head.tree["a"].oid == git_hash(b"a")


def test_list_repos_sorted_with_filters_and_cursor(storage: Storage) -> None:
    for name in ("b/two", "B/one", "c/three-special"):
        storage.create_repo(name)
    repos, more = storage.list_repos("model", limit=2)
    assert [r.id for r in repos] == [REPO, "B/one"] and more
    repos, more = storage.list_repos("model", after="b/one", limit=2)
    assert [r.id for r in repos] == ["b/two", "c/three-special"] and not more
    assert [r.id for r in storage.list_repos("model", author="b")[0]] == ["B/one", "b/two"]
    assert [r.id for r in storage.list_repos("model", search="SPECIAL")[0]] == ["c/three-special"]


def test_delete_repo(storage: Storage) -> None:
    storage.delete_repo(REPO)
    with pytest.raises(LocalHubError):
        storage.repo(REPO)
    assert Storage(storage.root).list_repos("model") == ([], False)


def test_damaged_state_is_refused_with_the_file_name(storage: Storage) -> None:
    path = storage.root / "repos" / "models" / "acme" / "model-a.json"
    path.write_text("{broken")
    with pytest.raises(LocalHubError, match=r"model-a\.json"):
        Storage(storage.root)
    (storage.root / "hub.json").write_text('{"format": 99}')
    with pytest.raises(LocalHubError, match=r"hub\.json"):
        Storage(storage.root)
