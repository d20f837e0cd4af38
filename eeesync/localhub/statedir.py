"""File I/O of the state folder: reading and writing `hub.json` and the per-repo JSON documents
(atomic replaces). No state is held here.

The layout is drawn in `storage.py`; blob files are `blobs.py`'s. Paths are built only from
validated repo ids, so nothing outside the state folder is ever read or written.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from eeesync.errors import LocalHubError
from eeesync.localhub import names
from eeesync.localhub.repodata import (
    FORMAT_VERSION,
    REPO_TYPES,
    Repo,
    repo_from_json,
    repo_to_json,
)


def write_atomic(path: Path, data: bytes, *, tmp: Path | None = None) -> None:
    """Replace `path` by `data` in one step (temp file + `os.replace`).

    The temp file defaults to `NAME.tmp`: callers holding the storage lock need no other name.
    """
    tmp = tmp or path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def load_nonce(root: Path) -> str:
    """The state folder's nonce from `hub.json`, written on first use; refuses other formats."""
    path = root / "hub.json"
    if path.exists():
        try:
            meta = json.loads(path.read_text("utf-8"))
            if meta.get("format") != FORMAT_VERSION:
                raise ValueError(f"unknown format {meta.get('format')!r}")
            return str(meta["nonce"])
        except (ValueError, KeyError, OSError) as exc:
            raise LocalHubError(f"{path}: unusable local Hub state ({exc})", status=500) from exc
    nonce = secrets.token_hex(16)
    write_atomic(path, json.dumps({"format": FORMAT_VERSION, "nonce": nonce}).encode())
    return nonce


def repo_path(root: Path, repo: Repo) -> Path:
    """`STATE/repos/{type}s/NS/NAME.json`."""
    namespace, name = repo.id.split("/")
    return root / "repos" / f"{repo.type}s" / namespace / f"{name}.json"


def load_repos(root: Path) -> Iterator[Repo]:
    """Every repo document, by type then path; a damaged or misplaced one is a 500."""
    for repo_type in REPO_TYPES:
        folder = root / "repos" / f"{repo_type}s"
        for path in sorted(folder.glob("*/*.json")):
            try:
                repo = repo_from_json(json.loads(path.read_bytes()))
                names.check_repo_id(repo.id, namespaced=True)
                for alias in repo.aliases:
                    names.check_repo_id(alias)
                if repo.type != repo_type or repo_path(root, repo) != path:
                    raise ValueError("file name does not match the repo inside")
            except (ValueError, KeyError, TypeError, LocalHubError) as exc:
                raise LocalHubError(f"{path}: unreadable repo state ({exc})", status=500) from exc
            yield repo


def save_repo(root: Path, repo: Repo) -> None:
    """Write the repo's document (see `repodata.repo_to_json`)."""
    path = repo_path(root, repo)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(repo_to_json(repo), separators=(",", ":")).encode())
