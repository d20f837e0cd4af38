"""The `.eeesync/` cache: content that never changes, kept on disk so a re-plan is nearly free.

What `--force` bypasses: docs/architecture.md, *Where each concern lives*. Sections:

* **Objects** — datastore aggregate objects by sha256 (`objects/ab/<sha256>`), and index files
  by (dataset repo, commit sha, path) (`indexes/<repo>/<sha>/<path>`). Both are immutable: an
  object's name is its hash, and a commit never changes. Only verified bytes are stored, so an
  error is never cached.
* **Runs** — `AuditJournal`: what an unfinished `plan` run audited, so the next run with the
  same inputs resumes it; deleted when the run completes.
* **Audits** — what the Hub audit (`hub/audit.py`) downloaded, under `audit/`: a repo's eval
  files on main keyed by (repo, main sha), the files a PR changes by (repo, main sha, PR head
  sha). The audit re-learns the shas from the Hub on every run, so a changed Hub always misses
  the cache: it is never hidden.

`--force` is the callers' business: they skip `get` and overwrite with `put`.
Writes are atomic (temp file + rename) so a crash or a concurrent run never leaves a torn file.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from pathlib import Path
from typing import Any

import attrs
import cattrs

from eeesync.fsutil import write_atomic
from eeesync.hub.state import EvalFile, RepoState

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9._-]+$")


# --- Objects ------------------------------------------------------------------------------------


@attrs.define
class ObjectCache:
    """Immutable datastore content under `root` (normally `<cache_dir>`)."""

    root: Path
    #: Counters for reports and tests: objects served from disk / stored.
    hits: int = 0
    stores: int = 0
    #: Object folders (`objects/ab`) known to exist: not checked again on every write.
    _folders: set[str] = attrs.field(factory=set, repr=False, eq=False)

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
        path = self.object_path(sha256)
        folder = path.parent.name
        try:
            write_atomic(path, data, make_folder=folder not in self._folders)
        except FileNotFoundError:  # the folder went away (the cache was cleared): again
            write_atomic(path, data)
        self._folders.add(folder)
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
        write_atomic(target, data)
        self.stores += 1


# --- Audits -------------------------------------------------------------------------------------

#: Bump when `EvalFile` changes shape or parsing changes: older entries are then ignored.
AUDIT_CACHE_VERSION = 2  # 2: bounded YAML loader (issue 14): older parses are not reused

_audit_converter = cattrs.Converter(forbid_extra_keys=True)


class AuditCache:
    """Downloaded eval files by Hub state under `root` (normally `<cache_dir>/audit`).

    Thread-safe; one JSON file per key. Only complete reads are stored: a download that failed
    is never written, so a cached error is never reused. (A malformed file *is* stored: its
    content, and so its parse, is fixed by its sha.) `--force` constructs the cache with
    `read=False`: nothing is read, fresh results are written.
    """

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
        text = json.dumps([AUDIT_CACHE_VERSION, *key], separators=(",", ":"))
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
            files = _audit_converter.structure(data["files"], tuple[EvalFile, ...])
        except (OSError, ValueError, KeyError, TypeError, cattrs.BaseValidationError):
            # Missing, unreadable or from another version: a miss, and the next put replaces it.
            self._count(hit=False)
            return None
        self._count(hit=True)
        return files

    def _put(self, key: tuple[str, ...], files: tuple[EvalFile, ...]) -> None:
        path, text = self._path(key)
        payload: dict[str, Any] = {"key": text, "files": _audit_converter.unstructure(files)}
        data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        try:
            write_atomic(path, data)
        except OSError:
            # A cache that cannot be written only costs speed next time; the plan is unaffected.
            return

    def _count(self, *, hit: bool) -> None:
        with self._lock:
            if hit:
                self.hits += 1
            else:
                self.misses += 1


# --- An interrupted plan's audits ---------------------------------------------------------------

_journal_converter = cattrs.Converter(forbid_extra_keys=True)


def clean_state(state: RepoState) -> bool:
    """A state worth keeping for a resumed run: nothing in it failed to read (a failure is
    retried by the next run, never replayed)."""
    if state.error or state.pr_error or any(f.unreadable for f in state.main_files):
        return False
    return not any(pr.error or any(f.unreadable for f in pr.files) for pr in state.prs)


class AuditJournal:
    """The repos a `plan` run has audited so far, one JSON line each, so that a run that is
    interrupted (quota, CI timeout, Ctrl-C, a kill) is resumed by the next run with the same
    inputs instead of started over (`<cache_dir>/runs/<run id>.jsonl`).

    Each line is a repo's lower-cased id and its `RepoState` — its main sha and, when they were
    listed, its PRs — as the interrupted run saw it. The run that completes deletes the file: a
    journal never outlives the plan it belongs to, and the next plan audits afresh. A torn last
    line (the kill came mid-write) is ignored. `read=False` (`--force`) ignores what is there.
    """

    VERSION = 1

    def __init__(self, path: Path, *, read: bool = True) -> None:
        self.path = path
        self._lock = threading.Lock()
        self.states: dict[str, RepoState] = {}
        if read:
            self._load()
        elif path.exists():
            path.unlink()
        self._handle: Any = None

    def _load(self) -> None:
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except OSError:
            return
        for line in lines:
            try:
                version, key, raw = json.loads(line)
                if version != self.VERSION:
                    continue
                self.states[key] = _journal_converter.structure(raw, RepoState)
            except (ValueError, TypeError, cattrs.BaseValidationError):
                continue  # a torn or foreign line: that repo is audited again

    def get(self, key: str) -> RepoState | None:
        return self.states.get(key)

    def put(self, key: str, state: RepoState) -> None:
        if not clean_state(state):
            return
        line = json.dumps(
            [self.VERSION, key, _journal_converter.unstructure(state)],
            ensure_ascii=False,
            separators=(",", ":"),
        )
        with self._lock:
            self.states[key] = state
            try:
                if self._handle is None:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    torn = self.path.exists() and not self.path.read_bytes().endswith(b"\n")
                    self._handle = self.path.open("a", encoding="utf-8")
                    if torn and self.path.stat().st_size:
                        self._handle.write("\n")  # end the torn line: it stays unreadable
                self._handle.write(line + "\n")
                self._handle.flush()  # a killed process loses at most the line being written
            except OSError:
                return  # resuming is a saving, never a reason to fail the plan

    def close(self, *, completed: bool) -> None:
        """Stop writing; a completed run removes the journal."""
        with self._lock:
            if self._handle is not None:
                self._handle.close()
                self._handle = None
            if completed:
                self.path.unlink(missing_ok=True)
