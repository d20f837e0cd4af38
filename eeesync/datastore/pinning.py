"""Which Hub commit a datastore folder is a copy of, so its backlinks can name that commit.

A folder's own content digest (`folder-<hex>`) is no revision on the Hub: a link naming it is
dead. A folder knows its commit when it is one of (checked in this order):

* `config`    — `[datastore] link_revision = "<40 hex>"` says so explicitly;
* `snapshot`  — a huggingface_hub cache snapshot, `…/snapshots/<sha>/` (the folder's own name);
* `local-dir` — `hf download … --local-dir DIR`: huggingface_hub writes one
  `.cache/huggingface/download/<path>.metadata` per file, whose first line is the commit and
  third line the time it was written (huggingface_hub `_local_folder.py`). The key files'
  metadata decide (a flat datastore's indexes, which pin every object by sha256; a submission
  folder's records); they must agree and be newer than the file;
* `git`       — a git checkout of the dataset repo: `.git/HEAD` (a sha, or `ref: refs/…`
  looked up in `refs/` then `packed-refs`); a `.git` *file* (`gitdir: …`, worktrees) is followed.

No git binary and no network: only files are read. Anything else is `None` (unpinned).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import attrs

from eeesync.errors import DatastoreError

SHA_RE = re.compile(r"^[0-9a-f]{40}$")
#: Where `hf download --local-dir` keeps its per-file metadata (huggingface_hub `_local_folder`).
LOCAL_DIR_METADATA = Path(".cache") / "huggingface" / "download"


@attrs.frozen
class FolderPin:
    """A folder's Hub commit and how it was found."""

    sha: str
    source: str  # "config", "snapshot", "local-dir", "git"
    detail: str = ""  # for people: the file that said so


def pin_folder(
    folder: Path, key_files: Sequence[Path], *, link_revision: str | None = None
) -> FolderPin | None:
    """The commit `folder` is a copy of, or None. Raises `DatastoreError` for a bad
    `link_revision` (the user's explicit word must be a commit sha)."""
    if link_revision:
        sha = link_revision.strip().lower()
        if not SHA_RE.match(sha):
            raise DatastoreError(
                f"[datastore] link_revision {link_revision!r} is not a 40-hex commit sha",
                hint="Write the full commit sha of the dataset repo this folder was copied from "
                "(a branch or tag moves; a backlink must not).",
            )
        return FolderPin(sha, "config", "[datastore] link_revision")
    return _snapshot(folder) or _local_dir(folder, key_files) or _git(folder)


def _snapshot(folder: Path) -> FolderPin | None:
    name = folder.name.lower()
    if folder.parent.name == "snapshots" and SHA_RE.match(name):
        return FolderPin(name, "snapshot", str(folder))
    return None


def _local_dir(folder: Path, key_files: Sequence[Path]) -> FolderPin | None:
    meta_root = folder / LOCAL_DIR_METADATA
    if not meta_root.is_dir():
        return None
    shas: set[str] = set()
    for key in key_files:
        relative = key.relative_to(folder)
        meta = meta_root / relative.parent / (relative.name + ".metadata")
        sha = _metadata_commit(meta, key)
        if sha is None:
            return None  # a file not downloaded by `hf download` (or edited since): unknown
        shas.add(sha)
    if len(shas) != 1:
        return None  # no key file, or files from different commits
    (sha,) = shas
    return FolderPin(sha, "local-dir", str(meta_root))


def _metadata_commit(meta: Path, file: Path) -> str | None:
    """The commit a `.metadata` file names, if it is well formed and not older than the file."""
    try:
        lines = meta.read_text(encoding="utf-8").splitlines()
        sha, written = lines[0].strip().lower(), float(lines[2].strip())
        modified = file.stat().st_mtime
    except (OSError, UnicodeDecodeError, IndexError, ValueError):
        return None
    # huggingface_hub allows 1 s of clock slack the same way: a later edit makes it stale.
    if not SHA_RE.match(sha) or modified - 1 > written:
        return None
    return sha


def _git(folder: Path) -> FolderPin | None:
    git_dir = _git_dir(folder / ".git")
    if git_dir is None:
        return None
    head = _read_line(git_dir / "HEAD")
    if head is None:
        return None
    if SHA_RE.match(head.lower()):
        return FolderPin(head.lower(), "git", str(git_dir / "HEAD"))
    if not head.startswith("ref:"):
        return None
    ref = head[len("ref:") :].strip()
    common = _common_dir(git_dir)
    for base in dict.fromkeys((git_dir, common)):
        loose = _read_line(base / ref)
        if loose is not None and SHA_RE.match(loose.lower()):
            return FolderPin(loose.lower(), "git", f"{base / ref}")
        packed = _packed_ref(base / "packed-refs", ref)
        if packed is not None:
            return FolderPin(packed, "git", f"{base / 'packed-refs'} ({ref})")
    return None


def _git_dir(dot_git: Path) -> Path | None:
    if dot_git.is_dir():
        return dot_git
    line = _read_line(dot_git) if dot_git.is_file() else None
    if line is None or not line.startswith("gitdir:"):
        return None
    target = Path(line[len("gitdir:") :].strip())
    target = target if target.is_absolute() else (dot_git.parent / target)
    return target if target.is_dir() else None


def _common_dir(git_dir: Path) -> Path:
    """A worktree's shared git folder (`commondir`), where its branches live."""
    line = _read_line(git_dir / "commondir")
    if line is None:
        return git_dir
    common = Path(line)
    return common if common.is_absolute() else (git_dir / common)


def _packed_ref(path: Path, ref: str) -> str | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    for line in text.splitlines():
        sha, _, name = line.strip().partition(" ")
        if name == ref and SHA_RE.match(sha.lower()):
            return sha.lower()
    return None


def _read_line(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    first = text.splitlines()[0].strip() if text.strip() else ""
    return first or None
