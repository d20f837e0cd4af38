"""The object part of the `.eeesync/` cache (eeesync/cache.py)."""

from __future__ import annotations

import hashlib
import itertools
import os
import shutil
import stat
import threading
from pathlib import Path

import pytest

from eeesync import fsutil
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


def test_a_cache_cleared_during_a_run_is_written_again(tmp_path: Path) -> None:
    """Object folders are remembered (no mkdir per write): one that goes away is made again."""
    cache = ObjectCache(tmp_path)
    first, second = b"one", b"two"
    cache.put_object(hashlib.sha256(first).hexdigest(), first)
    shutil.rmtree(tmp_path / "objects")
    for data in (first, second):
        sha = hashlib.sha256(data).hexdigest()
        cache.put_object(sha, data)
        assert cache.get_object(sha) == data


def test_atomic_writes_are_owner_only_and_step_over_a_stale_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "f.json"
    # A crashed process with this pid left the temp file the next write would use.
    monkeypatch.setattr(fsutil, "_TEMP_NUMBERS", itertools.count(7))
    stale = tmp_path / f".f.json.{os.getpid()}-{threading.get_ident()}-7.tmp"
    stale.write_bytes(b"stale")
    fsutil.write_atomic(target, b"new" * 100_000)
    assert target.read_bytes() == b"new" * 100_000
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([stale.name, "f.json"])
