"""The apply lock: no two applies of one plan at a time (Terraform's state lock, locally).

A lock is a JSON file `<cache_dir>/locks/<plan digest>.lock.json` recording who holds it (user,
host, pid), the plan digest, when, and a random id for `eeesync force-unlock ID`. Exclusion is
a kernel lock on that file (`flock` on POSIX, `msvcrt.locking` on Windows), so the kernel
releases it when the holder dies (even on SIGKILL): a lock left behind by a dead process is
taken over and reported, never a reason to refuse. Where neither exists, the file is created
with O_EXCL and a holder whose process is gone (on this host) is taken over.
A held lock names its holder in the error; `--lock-timeout` waits for it instead.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import attrs

from eeesync.apply.journal import now_iso
from eeesync.errors import LockError, UserError
from eeesync.fsutil import KERNEL_LOCK, TryLock, same_file

LOCK_SUFFIX = ".lock.json"


@attrs.frozen
class LockInfo:
    """Who holds (or held) a lock."""

    id: str
    who: str
    host: str
    pid: int
    plan_digest: str
    created: str
    operation: str = "apply"

    def describe(self) -> str:
        return f"{self.who}@{self.host} (pid {self.pid}) since {self.created}, lock id {self.id}"

    def pid_alive_here(self) -> bool | None:
        """Whether the holder's process runs (None: it is on another host, cannot tell)."""
        if self.host != socket.gethostname():
            return None
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # exists, owned by someone else
            return True
        return True


def lock_dir(cache_dir: Path) -> Path:
    return cache_dir / "locks"


def lock_path(cache_dir: Path, plan_digest: str) -> Path:
    name = plan_digest.removeprefix("sha256:")[:32] or "plan"
    return lock_dir(cache_dir) / f"{name}{LOCK_SUFFIX}"


def _read_info(path: Path) -> LockInfo | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return LockInfo(**data)
    except (OSError, ValueError, TypeError):
        return None


class ApplyLock:
    """A held lock; release it with `release()` or by leaving the `with` block."""

    def __init__(self, path: Path, fd: int, info: LockInfo, previous: LockInfo | None) -> None:
        self.path = path
        self.info = info
        #: The record of a holder that died without releasing (reported to the user).
        self.taken_over: LockInfo | None = previous
        self._fd: int | None = fd

    def release(self) -> None:
        if self._fd is None:
            return
        # Unlink before unlocking: a waiter that then gets the flock on the old inode sees
        # that the path no longer points at it and starts over (see `acquire_lock`).
        try:
            if same_file(self.path, self._fd):
                self.path.unlink()
        except FileNotFoundError:  # force-unlocked meanwhile
            pass
        except PermissionError:  # pragma: no cover - Windows cannot unlink an open file
            pass  # the next holder locks the same file (its path still points at it)
        finally:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> ApplyLock:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def acquire_lock(
    cache_dir: Path,
    plan_digest: str,
    *,
    timeout: float = 0.0,
    poll: float = 0.2,
    sleep: Callable[[float], None] = time.sleep,
) -> ApplyLock:
    """Take the lock for this plan, waiting up to `timeout` seconds for a holder to finish.

    Raises `LockError` naming the holder (and its lock id) when it is still held.
    """
    path = lock_path(cache_dir, plan_digest)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create the lock folder {path.parent}: {exc}") from exc
    deadline = time.monotonic() + max(0.0, timeout)
    while True:
        taken = _take(path, KERNEL_LOCK)
        if taken is None:
            if time.monotonic() >= deadline:
                holder = _read_info(path)
                who = holder.describe() if holder else "another process"
                raise LockError(
                    f"plan {plan_digest[:19]}… is being applied by {who}",
                    hint=(
                        "Wait for it to finish (or pass --lock-timeout SECONDS to wait). If that "
                        "process is hung, stop it; `eeesync force-unlock "
                        f"{holder.id if holder else 'ID'}` removes its lock."
                    ),
                ) from None
            sleep(poll)
            continue
        fd, previous = taken
        info = LockInfo(
            id=uuid.uuid4().hex[:12],
            who=_local_user(),
            host=socket.gethostname(),
            pid=os.getpid(),
            plan_digest=plan_digest,
            created=now_iso(),
        )
        data = json.dumps(attrs.asdict(info), indent=2, sort_keys=True).encode() + b"\n"
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)  # not pwrite: Windows has none
        os.write(fd, data)
        os.fsync(fd)
        return ApplyLock(path, fd, info, previous)


def _take(path: Path, try_lock: TryLock | None) -> tuple[int, LockInfo | None] | None:
    """An open, exclusively held lock file and the record of a dead holder; None when held."""
    if try_lock is None:
        return _take_exclusive(path)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        if not try_lock(fd):
            os.close(fd)
            return None
        if same_file(path, fd):
            return fd, _read_info(path)
        # The previous holder released (unlinked) between our open and our lock.
        os.close(fd)


def _take_exclusive(path: Path) -> tuple[int, LockInfo | None] | None:
    """No kernel lock: whoever creates the file holds it; a dead holder's file is removed."""
    previous: LockInfo | None = None
    while True:
        try:
            return os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644), previous
        except FileExistsError:
            holder = _read_info(path)
            # Only a holder known dead is taken over (an empty file: one being written now).
            if holder is None or holder.pid_alive_here() is not False or previous is not None:
                return None
            previous = holder
            path.unlink(missing_ok=True)


def find_lock(cache_dir: Path, lock_id: str) -> tuple[Path, LockInfo] | None:
    """The lock file whose id is `lock_id`, if any."""
    folder = lock_dir(cache_dir)
    if not folder.is_dir():
        return None
    for path in sorted(folder.glob(f"*{LOCK_SUFFIX}")):
        info = _read_info(path)
        if info is not None and info.id == lock_id:
            return path, info
    return None


def force_unlock(cache_dir: Path, lock_id: str) -> LockInfo:
    """Remove the lock with id `lock_id` (the id acts as a nonce: no guessing which lock).

    Raises `LockError` when no lock has that id.
    """
    found = find_lock(cache_dir, lock_id)
    if found is None:
        raise LockError(
            f"no apply lock with id {lock_id} under {lock_dir(cache_dir)}",
            hint="The id is printed in the error of the apply that found the lock held.",
        )
    path, info = found
    path.unlink(missing_ok=True)
    return info


def _local_user() -> str:
    """Who holds a lock on this machine (lock files never leave it, unlike journals)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):  # no login name (no passwd entry; Windows: no pwd)
        return "unknown"
