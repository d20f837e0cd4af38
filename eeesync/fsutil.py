"""Atomic file replacement, shared by the modules that write files (plan file, `.eeesync/` cache).

A reader, a crash or a concurrent run never sees half a file: bytes go to a temp file in the
target's folder, then `os.replace` swaps it in (atomic on POSIX within one filesystem).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: bytes, *, fsync: bool = False) -> None:
    """Replace `path` with `data` in one step, creating its folder if needed.

    `fsync` flushes the bytes to disk before the rename, for files whose loss after a power cut
    would matter (the plan); caches skip it, since a lost entry only costs a re-download.
    The temp file is created by `mkstemp`, so the result is readable by its owner only.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if fsync:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
