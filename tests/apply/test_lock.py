"""The apply lock: one apply per plan, holder named, dead holders taken over, force-unlock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from eeesync.apply import lock as lock_module
from eeesync.apply.lock import acquire_lock, find_lock, force_unlock, lock_path
from eeesync.errors import LockError

DIGEST = "sha256:" + "12" * 32


@pytest.fixture(autouse=True, params=["kernel", "o_excl"])
def lock_kind(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test runs with the kernel lock and with the O_EXCL fallback (no fcntl/msvcrt)."""
    if request.param == "o_excl":
        monkeypatch.setattr(lock_module, "KERNEL_LOCK", None)
    else:
        assert lock_module.KERNEL_LOCK is not None  # POSIX: flock
    return str(request.param)


def test_a_second_apply_of_the_same_plan_is_refused_with_the_holder_named(tmp_path: Path) -> None:
    with acquire_lock(tmp_path, DIGEST) as held:
        assert held.info.pid == os.getpid()
        with pytest.raises(LockError) as refused:
            acquire_lock(tmp_path, DIGEST)
        message = str(refused.value)
        assert held.info.who in message and f"pid {os.getpid()}" in message
        assert held.info.id in message
        assert held.info.id in (refused.value.hint or "")
        # Another plan is not blocked.
        with acquire_lock(tmp_path, "sha256:" + "34" * 32):
            pass
    assert not lock_path(tmp_path, DIGEST).exists()
    with acquire_lock(tmp_path, DIGEST) as again:
        assert again.taken_over is None


def test_lock_timeout_waits_for_the_holder(tmp_path: Path) -> None:
    held = acquire_lock(tmp_path, DIGEST)
    timer = threading.Timer(0.3, held.release)
    timer.start()
    started = time.monotonic()
    with acquire_lock(tmp_path, DIGEST, timeout=5, poll=0.05):
        assert time.monotonic() - started >= 0.25
    timer.join()


def test_lock_timeout_expires(tmp_path: Path) -> None:
    with acquire_lock(tmp_path, DIGEST), pytest.raises(LockError):
        acquire_lock(tmp_path, DIGEST, timeout=0.2, poll=0.05)


@pytest.mark.slow
def test_the_lock_of_a_killed_process_is_taken_over_and_reported(tmp_path: Path) -> None:
    script = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from eeesync.apply.lock import acquire_lock\n"
        f"acquire_lock(Path({str(tmp_path)!r}), {DIGEST!r})\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    child = subprocess.run([sys.executable, "-c", script], timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert lock_path(tmp_path, DIGEST).exists()
    with acquire_lock(tmp_path, DIGEST) as lock:
        assert lock.taken_over is not None
        assert lock.taken_over.pid != os.getpid()
        assert lock.taken_over.pid_alive_here() is False


def test_force_unlock_removes_the_lock_with_that_id(tmp_path: Path) -> None:
    held = acquire_lock(tmp_path, DIGEST)
    found = find_lock(tmp_path, held.info.id)
    assert found is not None and found[1] == held.info
    with pytest.raises(LockError, match="no apply lock with id nope"):
        force_unlock(tmp_path, "nope")
    info = force_unlock(tmp_path, held.info.id)
    assert info.id == held.info.id
    assert not lock_path(tmp_path, DIGEST).exists()
    with acquire_lock(tmp_path, DIGEST):
        held.release()  # the old holder's release must not remove the new lock
        assert lock_path(tmp_path, DIGEST).exists()
