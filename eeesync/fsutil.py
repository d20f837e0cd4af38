"""Atomic file replacement, shared by the modules that write files (plan file, `.eeesync/` cache),
bounded reads of files named by others (plan files, datastore objects), and the kernel file lock
of this platform (apply's lock, the local Hub's state folder).

A reader, a crash or a concurrent run never sees half a file: bytes go to a temp file in the
target's folder, then `os.replace` swaps it in (atomic on POSIX within one filesystem).
A path given to eeesync may be a FIFO (a read blocks forever) or `/dev/zero` (never ends):
`read_regular` reads regular files only, and never more than a stated size.
"""

from __future__ import annotations

import errno
import importlib
import itertools
import os
import stat
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from types import ModuleType


def write_atomic(path: Path, data: bytes, *, fsync: bool = False, make_folder: bool = True) -> None:
    """Replace `path` with `data` in one step, creating its folder if needed (`make_folder`
    False: the caller knows it exists, and saves the calls that check).

    `fsync` flushes the bytes to disk before the rename, for files whose loss after a power cut
    would matter (the plan); caches skip it, since a lost entry only costs a re-download.
    The temp file is created owner-only, so the result is readable by its owner only.
    """
    if make_folder:
        path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _create_temp(str(path.parent), path.name)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


_TEMP_FLAGS = (
    os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
)
_TEMP_NUMBERS = itertools.count()


def _create_temp(folder: str, name: str) -> tuple[int, str]:
    """A new owner-only file beside `name`, named by process, thread and a counter: unique
    without `mkstemp`'s random names and buffered file object (a cold plan writes thousands of
    cache objects a second from many threads: benchmarks/bench_plan.py)."""
    while True:
        tmp = os.path.join(
            folder, f".{name}.{os.getpid()}-{threading.get_ident()}-{next(_TEMP_NUMBERS)}.tmp"
        )
        try:
            return os.open(tmp, _TEMP_FLAGS, 0o600), tmp
        except FileExistsError:  # left by a crashed process that had the same pid
            continue


class NotReadable(OSError):
    """Not a regular file, or larger than the caller allows (`strerror` says which)."""

    def __str__(self) -> str:
        return str(self.strerror)


#: O_NONBLOCK: opening a FIFO must not wait for a writer (regular files ignore the flag).
_READ_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_BINARY", 0)


def make_writable_folder(folder: Path) -> None:
    """Create `folder` if needed and prove a new file can be made in it (a file in the way,
    `/proc` or a read-only place raises `OSError` here, before any work is done)."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, probe = tempfile.mkstemp(dir=folder, prefix=".probe-")
    os.close(fd)
    os.unlink(probe)


def check_creatable_folder(folder: Path) -> None:
    """Raise `OSError` unless a new file could be made in `folder`, now or once it and its
    missing parents are made inside their nearest existing folder. Creates nothing that stays:
    a run that fails later leaves no folder behind."""
    existing = folder
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if not existing.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "not a folder", str(existing))
    fd, probe = tempfile.mkstemp(dir=existing, prefix=".probe-")
    os.close(fd)
    os.unlink(probe)


def open_regular(path: str | Path) -> tuple[int, int]:
    """`(fd, size)` of a regular file (symlinks followed); `NotReadable` for anything else."""
    fd = os.open(path, _READ_FLAGS)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotReadable(0, "not a regular file")
    except BaseException:
        os.close(fd)
        raise
    return fd, info.st_size


def read_fd_bounded(fd: int, max_bytes: int, *, first: int | None = None) -> bytes:
    """Every byte of an open file, up to `max_bytes` (`NotReadable` beyond). `first`: the
    expected size, read in one call when right."""
    chunk = 1 << 20
    data = os.read(fd, min(max_bytes, first if first is not None else chunk) + 1)
    while len(data) <= max_bytes and (more := os.read(fd, chunk)):
        data += more
    if len(data) > max_bytes:
        raise NotReadable(0, f"larger than {max_bytes} bytes")
    return data


def read_regular(path: str | Path, *, max_bytes: int) -> bytes:
    """A regular file's bytes, checked before reading and never more than `max_bytes`."""
    fd, size = open_regular(path)
    try:
        if size > max_bytes:
            raise NotReadable(0, f"{size} bytes, larger than {max_bytes}")
        return read_fd_bounded(fd, max_bytes, first=size)
    finally:
        os.close(fd)


# --- Kernel file locks (released by the kernel when the holder dies) ------------------------

#: Try to take an exclusive, non-blocking kernel lock on an open file: False when it is held.
TryLock = Callable[[int], bool]
_HELD_ERRNOS = (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES, getattr(errno, "EDEADLOCK", -1))


def _optional_module(name: str) -> ModuleType | None:
    # Imported by name: `fcntl` is POSIX-only and `msvcrt` Windows-only, and the CLI must import
    # (and lock) on both.
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _platform_try_lock() -> TryLock | None:
    fcntl = _optional_module("fcntl")
    if fcntl is not None:
        flock, flags = fcntl.flock, fcntl.LOCK_EX | fcntl.LOCK_NB

        def try_flock(fd: int) -> bool:
            try:
                flock(fd, flags)
            except OSError as exc:
                if exc.errno not in _HELD_ERRNOS:
                    raise
                return False
            return True

        return try_flock
    msvcrt = _optional_module("msvcrt")
    if msvcrt is not None:  # pragma: no cover - Windows only
        locking, mode = msvcrt.locking, msvcrt.LK_NBLCK

        def try_locking(fd: int) -> bool:
            os.lseek(fd, 0, os.SEEK_SET)
            try:
                locking(fd, mode, 1)  # the first byte stands for the whole file
            except OSError as exc:
                if exc.errno not in _HELD_ERRNOS:
                    raise
                return False
            return True

        return try_locking
    return None


#: The kernel lock of this platform; None: exclusion falls back to creating the file O_EXCL.
KERNEL_LOCK: TryLock | None = _platform_try_lock()


def same_file(path: Path, fd: int) -> bool:
    """Whether `path` still names the file open as `fd` (a released lock file is unlinked)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return False
    own = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (own.st_dev, own.st_ino)
