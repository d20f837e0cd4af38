"""The `.eeesync/` cache: content that never changes, kept on disk so a re-plan is nearly free.

DESIGN.md §7. Sections:

* **Objects** — datastore aggregate objects by sha256 (`objects/ab/<sha256>`), and index files
  by (dataset repo, commit sha, path) (`indexes/<repo>/<sha>/<path>`). Both are immutable: an
  object's name is its hash, and a commit never changes. Only verified bytes are stored, so an
  error is never cached.
* **Audits** — Hub audit results keyed by repo + main sha + PR heads (added by the plan issue).

`--force` is the callers' business: they skip `get` and overwrite with `put`.
Writes are atomic (temp file + rename) so a crash or a concurrent run never leaves a torn file.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

import attrs

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9._-]+$")


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --- Objects ------------------------------------------------------------------------------------


@attrs.define
class ObjectCache:
    """Immutable datastore content under `root` (normally `<cache_dir>`)."""

    root: Path
    #: Counters for reports and tests: objects served from disk / stored.
    hits: int = 0
    stores: int = 0

    @property
    def objects_dir(self) -> Path:
        return self.root / "objects"

    def object_path(self, sha256: str) -> Path:
        sha = sha256.lower()
        if not _HEX64.match(sha):
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        return self.objects_dir / sha[:2] / sha

    def get_object(self, sha256: str) -> bytes | None:
        """The stored bytes, only if they still hash to `sha256` (a damaged file is a miss)."""
        path = self.object_path(sha256)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        if hashlib.sha256(data).hexdigest() != sha256.lower():
            path.unlink(missing_ok=True)
            return None
        self.hits += 1
        return data

    def put_object(self, sha256: str, data: bytes) -> None:
        """Store verified bytes; refuses bytes that do not hash to `sha256`."""
        if hashlib.sha256(data).hexdigest() != sha256.lower():
            raise ValueError("refusing to cache bytes that do not match their sha256")
        _atomic_write(self.object_path(sha256), data)
        self.stores += 1

    def index_path(self, repo_id: str, commit: str, path_in_repo: str) -> Path:
        segments = [*repo_id.split("/"), commit, *path_in_repo.split("/")]
        if not all(_SAFE_SEGMENT.match(s) and s not in (".", "..") for s in segments):
            raise ValueError(f"unsafe cache key {repo_id!r} {commit!r} {path_in_repo!r}")
        return self.root.joinpath("indexes", *segments)

    def get_index(self, repo_id: str, commit: str, path_in_repo: str) -> bytes | None:
        """An index file as read at `commit` (commits are immutable, so it never goes stale)."""
        try:
            data = self.index_path(repo_id, commit, path_in_repo).read_bytes()
        except (OSError, ValueError):
            return None
        self.hits += 1
        return data

    def put_index(self, repo_id: str, commit: str, path_in_repo: str, data: bytes) -> None:
        try:
            target = self.index_path(repo_id, commit, path_in_repo)
        except ValueError:
            return  # a name we cannot store safely is simply not cached
        _atomic_write(target, data)
        self.stores += 1
