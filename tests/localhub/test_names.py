"""Name checks (`eeesync/localhub/names.py`): what may reach storage."""

from __future__ import annotations

import pytest

from eeesync.errors import LocalHubError
from eeesync.localhub.names import (
    check_file_path,
    check_folder_path,
    check_repo_id,
    check_repo_type,
)


@pytest.mark.parametrize(
    "path", ["a.txt", ".eval_results/hle.yaml", "a/b/c", ".gitattributes", "dir.with.dots/x"]
)
def test_good_file_paths(path: str) -> None:
    assert check_file_path(path) == path


@pytest.mark.parametrize(
    "path",
    [
        "",
        "/etc/passwd",
        "../x",
        "a/../b",
        "a/./b",
        "a//b",
        "a/",
        ".git/config",
        "a\\b",
        "nul\0",
        "x" * 1001,
        "..",
        ".",
    ],
)
def test_bad_file_paths(path: str) -> None:
    with pytest.raises(LocalHubError) as err:
        check_file_path(path)
    assert err.value.status == 400


def test_folder_paths() -> None:
    assert check_folder_path("") == "" and check_folder_path("a/b/") == "a/b"
    with pytest.raises(LocalHubError):
        check_folder_path("../a")


@pytest.mark.parametrize("repo_id", ["a/b", "Org-1/model.v2", "x_y/z-9", "gpt2", "bert.base"])
def test_good_repo_ids(repo_id: str) -> None:
    assert check_repo_id(repo_id) == repo_id


@pytest.mark.parametrize(
    "repo_id",
    ["a/b/c", "../b", "a/..", "a--b/c", "-a/b", "a/b.", "a b/c", "a/" + "x" * 97, "a/b%2F", ".."],
)
def test_bad_repo_ids(repo_id: str) -> None:
    with pytest.raises(LocalHubError) as err:
        check_repo_id(repo_id)
    assert err.value.status == 400


def test_one_segment_ids_are_refused_where_a_namespace_is_needed() -> None:
    assert check_repo_id("a/b", namespaced=True) == "a/b"
    with pytest.raises(LocalHubError, match="'namespace/name'"):
        check_repo_id("gpt2", namespaced=True)


def test_repo_types() -> None:
    assert check_repo_type(None) == "model" and check_repo_type("dataset") == "dataset"
    with pytest.raises(LocalHubError, match="model and dataset"):
        check_repo_type("space")
