"""File I/O of the state folder: reading and writing `hub.json` and the per-repo JSON documents
(atomic replaces). No state is held here.

The layout is drawn in `storage.py`; blob files are `blobs.py`'s. Paths are built only from
validated repo ids, so nothing outside the state folder is ever read or written.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from eeesync.errors import LocalHubError, LocalHubInUseError
from eeesync.fsutil import KERNEL_LOCK, same_file
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


# --- One server per state folder ----------------------------------------------------------------

#: `STATE/serving.lock`: "PID HOST [URL]" of the local Hub holding the folder. Each server holds the
#: whole state in memory and writes it through, so a second one on the same folder would
#: overwrite the first one's writes (a PR the first opened would vanish from disk).
LOCK_FILE = "serving.lock"


class StateLock:
    """The held lock of a state folder; `release()` it when the server stops."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    @property
    def held(self) -> bool:
        return self._fd is not None

    def name_url(self, url: str) -> None:
        """Add the server's URL, once it serves: a refused second user is told where to go."""
        if self._fd is not None:
            _write_holder(self._fd, url)

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            if same_file(self.path, self._fd):
                self.path.unlink()  # before unlocking: a waiter then sees a new file
        except OSError:  # pragma: no cover - Windows cannot unlink an open file
            pass
        finally:
            os.close(self._fd)
            self._fd = None


def lock_state(root: Path) -> StateLock:
    """Take the folder's lock or raise `LocalHubInUseError` naming the holder's pid.

    A kernel lock (flock / msvcrt) is released when its holder dies, even on SIGKILL; without
    one, the file is created O_EXCL and a holder whose process is gone (on this host) is
    taken over.
    """
    path = root / LOCK_FILE
    while True:
        if KERNEL_LOCK is None:
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                holder = _holder(path)
                if holder is None or not _gone(holder.pid, holder.host):
                    raise _in_use(root, holder) from None
                path.unlink(missing_ok=True)  # a stale lock: its process has ended
                continue
        else:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            if not KERNEL_LOCK(fd):
                os.close(fd)
                raise _in_use(root, _holder(path))
            if not same_file(path, fd):  # released (unlinked) between our open and lock
                os.close(fd)
                continue
        _write_holder(fd)
        return StateLock(path, fd)


def _write_holder(fd: int, url: str = "") -> None:
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, " ".join(filter(None, (str(os.getpid()), socket.gethostname(), url))).encode())


class _Holder(NamedTuple):
    pid: int
    host: str
    url: str


def _holder(path: Path) -> _Holder | None:
    try:
        pid, host, *url = path.read_text("utf-8").split()
        return _Holder(int(pid), host, url[0] if url else "")
    except (OSError, ValueError):
        return None  # being written, or unreadable: treat as held


def _gone(pid: int, host: str) -> bool:
    """Whether the holder's process has ended (only knowable on this host)."""
    if host != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # it runs, as another user
        return False
    return False


def _in_use(root: Path, holder: _Holder | None) -> LocalHubInUseError:
    who = f"process {holder.pid} on {holder.host}" if holder else "another process"
    url = holder.url if holder and holder.url else "http://127.0.0.1:PORT"
    return LocalHubInUseError(
        f"the local Hub state folder {root} is in use by {who}: two servers on one folder "
        "would lose each other's writes",
        hint=f'Stop that server, or use it (`[hub] endpoint = "{url}"`), or another folder.',
    )
