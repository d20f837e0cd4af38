"""datastore/pinning.py: each kind of datastore folder gives the Hub commit it is a copy of."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from huggingface_hub import HfApi, snapshot_download

from eeesync.config import Config, load_config
from eeesync.datastore.locator import resolve_locator
from eeesync.errors import ConfigError, DatastoreError
from eeesync.localhub import LocalHub
from tests.helpers import mmlu_overall_record, upload_datastore, write_datastore

REPO = "evaleval/EEE_datastore"
SHA = "0123456789abcdef0123456789abcdef01234567"
OTHER = "fedcba9876543210fedcba9876543210fedcba98"


def _locate(folder: Path, link_revision: str | None = None) -> tuple[str, str, bool]:
    locator = resolve_locator(
        str(folder), hub=None, base_dir=folder.parent, link_repo=REPO, link_revision=link_revision
    )
    return locator.revision, locator.pinned_by, locator.pinned


def _datastore(root: Path) -> Path:
    return write_datastore(root, {"c": [mmlu_overall_record("org/m", 0.5)]})


def test_an_unknown_folder_is_unpinned(tmp_path: Path) -> None:
    revision, by, pinned = _locate(_datastore(tmp_path / "ds"))
    assert revision.startswith("folder-") and by == "" and not pinned


def test_a_hub_cache_snapshot_names_its_commit(tmp_path: Path) -> None:
    folder = _datastore(tmp_path / "datasets--evaleval--EEE_datastore" / "snapshots" / SHA)
    assert _locate(folder) == (SHA, "snapshot", True)


def test_a_real_local_dir_download_names_its_commit(tmp_path: Path, localhub: LocalHub) -> None:
    """`hf download --local-dir` as huggingface_hub itself writes it, from the local Hub."""
    api = HfApi(endpoint=localhub.url, token="x")
    sha = upload_datastore(api, _datastore(tmp_path / "src"), REPO)
    target = tmp_path / "download"
    snapshot_download(REPO, repo_type="dataset", local_dir=target, endpoint=localhub.url, token="x")
    assert (target / ".cache" / "huggingface" / "download").is_dir()
    assert _locate(target) == (sha, "local-dir", True)


def _local_dir(tmp_path: Path, shas: list[str]) -> Path:
    folder = _datastore(tmp_path / "dl")
    indexes = sorted((folder / "flat/indexes/by_collection").glob("*.jsonl"))
    extra = indexes[0].with_name("d.jsonl")
    extra.write_bytes(indexes[0].read_bytes())
    for index, sha in zip([*indexes, extra], shas, strict=True):
        rel = index.relative_to(folder)
        meta = folder / ".cache/huggingface/download" / rel.parent / (rel.name + ".metadata")
        meta.parent.mkdir(parents=True, exist_ok=True)
        meta.write_text(f"{sha}\n{'e' * 40}\n{time.time() + 5}\n")
    return folder


def test_local_dir_indexes_from_two_commits_are_not_trusted(tmp_path: Path) -> None:
    assert _locate(_local_dir(tmp_path, [SHA, SHA]))[1] == "local-dir"
    assert _locate(_local_dir(tmp_path / "b", [SHA, OTHER]))[1] == ""


def test_a_local_dir_index_edited_after_download_is_not_trusted(tmp_path: Path) -> None:
    folder = _local_dir(tmp_path, [SHA, SHA])
    index = folder / "flat/indexes/by_collection/d.jsonl"
    later = time.time() + 60
    os.utime(index, (later, later))
    assert _locate(folder)[1] == ""


def _git(folder: Path, head: str, files: dict[str, str]) -> None:
    git = folder / ".git"
    git.mkdir()
    (git / "HEAD").write_text(head + "\n")
    for name, text in files.items():
        (git / name).parent.mkdir(parents=True, exist_ok=True)
        (git / name).write_text(text)


def test_a_git_checkout_names_its_head(tmp_path: Path) -> None:
    loose = _datastore(tmp_path / "loose")
    _git(loose, "ref: refs/heads/main", {"refs/heads/main": SHA + "\n"})
    assert _locate(loose) == (SHA, "git", True)
    packed = _datastore(tmp_path / "packed")
    _git(
        packed,
        "ref: refs/heads/main",
        {"packed-refs": f"# pack-refs\n{OTHER} refs/heads/dev\n{SHA} refs/heads/main\n"},
    )
    assert _locate(packed) == (SHA, "git", True)
    detached = _datastore(tmp_path / "detached")
    _git(detached, OTHER, {})
    assert _locate(detached) == (OTHER, "git", True)
    unborn = _datastore(tmp_path / "unborn")
    _git(unborn, "ref: refs/heads/main", {})
    assert _locate(unborn)[1] == ""


def test_a_git_worktree_follows_its_gitdir_to_the_shared_refs(tmp_path: Path) -> None:
    common = tmp_path / "repo.git"
    (common / "refs/heads").mkdir(parents=True)
    (common / "refs/heads/feature").write_text(SHA + "\n")
    private = common / "worktrees" / "wt"
    private.mkdir(parents=True)
    (private / "HEAD").write_text("ref: refs/heads/feature\n")
    (private / "commondir").write_text("../..\n")
    folder = _datastore(tmp_path / "wt")
    (folder / ".git").write_text(f"gitdir: {private}\n")
    assert _locate(folder) == (SHA, "git", True)


def test_an_explicit_link_revision_wins(tmp_path: Path) -> None:
    folder = _datastore(tmp_path / "datasets--x--y" / "snapshots" / SHA)
    assert _locate(folder, OTHER.upper()) == (OTHER, "config", True)
    with pytest.raises(DatastoreError, match="40-hex"):
        _locate(folder, "main")


def test_link_revision_in_the_config_file_is_checked(tmp_path: Path) -> None:
    path = tmp_path / "eeesync.toml"
    path.write_text(f'[datastore]\nlocator = "./ds"\nlink_revision = "{SHA}"\n')
    config = load_config(path, env={}, cwd=tmp_path)
    assert config.datastore_link_revision == SHA
    assert config.digest() != Config(datastore_input="./ds", base_dir=tmp_path).digest()
    path.write_text('[datastore]\nlocator = "./ds"\n\nlink_revision = "v1.0"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={}, cwd=tmp_path)
    assert "eeesync.toml:4: datastore.link_revision: must be a full 40-hex" in str(caught.value)
