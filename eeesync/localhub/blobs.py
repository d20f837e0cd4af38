"""File contents by git blob sha1 in `STATE/objects/ab/cdef…`, shared by all repos of a Hub.

Blob ids are what `huggingface_hub.utils.sha.git_hash` computes, so the client's own checks of
downloaded files hold.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

from huggingface_hub.utils.sha import git_hash

from eeesync.errors import LocalHubError
from eeesync.localhub.repodata import Blob
from eeesync.localhub.statedir import write_atomic

_OID = re.compile(r"[0-9a-f]{40}")
# Small blobs are kept in memory after the first read: downloads dominate benchmark traffic.
_CACHE_MAX_BYTES = 64 * 1024 * 1024
_CACHE_MAX_ITEM = 1024 * 1024


class BlobStore:
    """The objects folder plus an in-memory cache of small blobs (guarded by the storage lock)."""

    def __init__(self, folder: Path, lock: threading.RLock) -> None:
        self.folder = folder
        self._lock = lock
        self._cache: dict[str, bytes] = {}
        self._cache_bytes = 0
        folder.mkdir(exist_ok=True)

    def _path(self, oid: str) -> Path:
        # Only a hex oid becomes a path: nothing outside the objects folder can be named.
        if not _OID.fullmatch(oid):
            raise LocalHubError(f"invalid blob id {oid!r}", status=400)
        return self.folder / oid[:2] / oid[2:]

    def write(self, data: bytes) -> Blob:
        """Store `data` (once per content) and return its git blob id and size."""
        oid = git_hash(data)
        path = self._path(oid)
        if not path.exists():
            path.parent.mkdir(exist_ok=True)
            # Blobs may be written without the storage lock: one temp name per thread.
            write_atomic(path, data, tmp=path.with_name(f"{path.name}.{threading.get_ident()}.tmp"))
        return Blob(oid, len(data))

    def read(self, oid: str) -> bytes:
        """The content of a blob (cached in memory when small)."""
        cached = self._cache.get(oid)
        if cached is not None:
            return cached
        try:
            data = self._path(oid).read_bytes()
        except FileNotFoundError as exc:
            raise LocalHubError(f"blob {oid} is missing from the state folder", status=500) from exc
        if len(data) <= _CACHE_MAX_ITEM:
            with self._lock:
                if self._cache_bytes + len(data) > _CACHE_MAX_BYTES:
                    self._cache.clear()
                    self._cache_bytes = 0
                self._cache[oid] = data
                self._cache_bytes += len(data)
        return data
