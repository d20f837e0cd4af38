"""The audit cache in `.eeesync/audit/`: what the audit downloaded, keyed by Hub state.

Part of `plan`'s audit step (`hub/audit.py`). A repo's eval files on main are stored under
(repo, main sha); the files a PR changes under (repo, main sha, PR head sha). Together that is
the repo's audit keyed by repo + main sha + PR heads (DESIGN.md §7). The audit re-learns the
shas from the Hub on every run, so a changed Hub always misses the cache: it is never hidden.

Only complete reads are stored: a download that failed is never written, so a cached error is
never reused. (A malformed file *is* stored: its content, and so its parse, is fixed by its sha.)
`--force` constructs the cache with `read=False`: nothing is read, fresh results are written.

(Kept apart from the datastore object cache in `eeesync/cache.py`, which is another engineer's
module: the two share only the `.eeesync/` root.)
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

import cattrs

from eeesync.hub.audit import EvalFile

#: Bump when `EvalFile` changes shape: older entries are then ignored (and overwritten).
CACHE_VERSION = 1

_converter = cattrs.Converter(forbid_extra_keys=True)


class AuditCache:
    """Downloaded eval files by Hub state. Thread-safe; one JSON file per key."""

    def __init__(self, root: Path, *, read: bool = True) -> None:
        self.root = root
        self.read = read
        self.hits = 0
        self.misses = 0
        self._lock = threading.Lock()

    # main: (repo, main sha) -------------------------------------------------------------------

    def get_main(self, repo_id: str, main_sha: str) -> tuple[EvalFile, ...] | None:
        return self._get(("main", repo_id.lower(), main_sha))

    def put_main(self, repo_id: str, main_sha: str, files: tuple[EvalFile, ...]) -> None:
        self._put(("main", repo_id.lower(), main_sha), files)

    # a PR: (repo, main sha, PR head sha) — what it changes is relative to main ---------------

    def get_pr(self, repo_id: str, main_sha: str, head_sha: str) -> tuple[EvalFile, ...] | None:
        return self._get(("pr", repo_id.lower(), main_sha, head_sha))

    def put_pr(
        self, repo_id: str, main_sha: str, head_sha: str, files: tuple[EvalFile, ...]
    ) -> None:
        self._put(("pr", repo_id.lower(), main_sha, head_sha), files)

    # storage ----------------------------------------------------------------------------------

    def _path(self, key: tuple[str, ...]) -> tuple[Path, str]:
        text = json.dumps([CACHE_VERSION, *key], separators=(",", ":"))
        digest = hashlib.sha256(text.encode()).hexdigest()
        return self.root / digest[:2] / f"{digest}.json", text

    def _get(self, key: tuple[str, ...]) -> tuple[EvalFile, ...] | None:
        if not self.read:
            self._count(hit=False)
            return None
        path, text = self._path(key)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("key") != text:  # a hash collision or an older layout: not ours
                raise ValueError("key mismatch")
            files = _converter.structure(data["files"], tuple[EvalFile, ...])
        except (OSError, ValueError, KeyError, TypeError, cattrs.BaseValidationError):
            # Missing, unreadable or from another version: a miss, and the next put replaces it.
            self._count(hit=False)
            return None
        self._count(hit=True)
        return files

    def _put(self, key: tuple[str, ...], files: tuple[EvalFile, ...]) -> None:
        path, text = self._path(key)
        payload: dict[str, Any] = {"key": text, "files": _converter.unstructure(files)}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(payload, handle, ensure_ascii=False, separators=(",", ":"))
            os.replace(tmp, path)
        except OSError:
            # A cache that cannot be written only costs speed next time; the plan is unaffected.
            return

    def _count(self, *, hit: bool) -> None:
        with self._lock:
            if hit:
                self.hits += 1
            else:
                self.misses += 1
