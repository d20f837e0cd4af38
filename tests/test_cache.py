"""The object part of the `.eeesync/` cache (eeesync/cache.py)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from eeesync.cache import ObjectCache


def test_objects_round_trip_by_sha256(tmp_path: Path) -> None:
    cache = ObjectCache(tmp_path)
    data = b'{"schema_version": "0.2.2"}'
    sha = hashlib.sha256(data).hexdigest()
    assert cache.get_object(sha) is None
    cache.put_object(sha, data)
    assert cache.object_path(sha) == tmp_path / "objects" / sha[:2] / sha
    assert cache.get_object(sha.upper()) == data
    assert (cache.hits, cache.stores) == (1, 1)
    assert not list(tmp_path.rglob("*.tmp"))  # atomic writes leave no temp files


def test_damaged_objects_are_misses_and_removed(tmp_path: Path) -> None:
    cache = ObjectCache(tmp_path)
    data = b"original"
    sha = hashlib.sha256(data).hexdigest()
    cache.put_object(sha, data)
    cache.object_path(sha).write_bytes(b"bit rot")
    assert cache.get_object(sha) is None
    assert not cache.object_path(sha).exists()


def test_only_verified_bytes_are_stored(tmp_path: Path) -> None:
    cache = ObjectCache(tmp_path)
    with pytest.raises(ValueError, match="do not match"):
        cache.put_object("0" * 64, b"something else")
    with pytest.raises(ValueError, match="not a sha256"):
        cache.object_path("../../etc/passwd")


def test_indexes_by_repo_commit_and_path(tmp_path: Path) -> None:
    cache = ObjectCache(tmp_path)
    commit = "a" * 40
    path = "flat/indexes/by_collection/MMLU-Pro.jsonl"
    assert cache.get_index("evaleval/EEE_datastore", commit, path) is None
    cache.put_index("evaleval/EEE_datastore", commit, path, b"{}\n")
    assert cache.get_index("evaleval/EEE_datastore", commit, path) == b"{}\n"
    assert cache.get_index("evaleval/EEE_datastore", "b" * 40, path) is None
    # Names that cannot be stored safely are simply not cached.
    cache.put_index("evaleval/EEE_datastore", commit, "flat/../../escape.jsonl", b"x")
    assert not (tmp_path.parent / "escape.jsonl").exists()
    assert cache.get_index("evaleval/EEE_datastore", commit, "flat/../../escape.jsonl") is None
