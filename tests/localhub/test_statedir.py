"""One local Hub per state folder (`localhub/statedir.lock_state`): a second server on the same
folder, in this process or another, is refused with the holder's pid instead of silently
overwriting the first one's writes; a holder that died leaves no lock behind."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from huggingface_hub import HfApi

from eeesync.cli.main import main
from eeesync.errors import LocalHubInUseError
from eeesync.localhub import LocalHub, statedir
from tests.localhub.test_cli import DRIVER


def test_a_second_hub_on_one_folder_is_refused_until_the_first_stops(tmp_path: Path) -> None:
    first = LocalHub(tmp_path / "hub")
    with pytest.raises(LocalHubInUseError, match=f"in use by process {os.getpid()} "):
        LocalHub(tmp_path / "hub")
    first.start()
    first.stop()
    with LocalHub(tmp_path / "hub") as second:  # released by stop()
        HfApi(endpoint=second.url, token="t").create_repo("acme/after")
        with pytest.raises(LocalHubInUseError):
            first.start()  # a stopped hub must take the lock again to serve
    assert not (tmp_path / "hub" / statedir.LOCK_FILE).exists()


def test_a_command_on_a_served_folder_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "eeesync.toml").write_text(
        '[datastore]\nlocator = "./ds"\ncollections = ["c"]\n\n[hub]\nendpoint = "local:hub"\n',
        encoding="utf-8",
    )
    with LocalHub(tmp_path / "hub"):
        code = main(["--config", str(tmp_path / "eeesync.toml"), "plan"], env={})
    err = capsys.readouterr().err
    assert code == 1, err
    assert "in use by process" in err and "lose each other's writes" in err
    assert "Traceback" not in err


def test_another_process_holds_the_folder_until_it_is_killed(tmp_path: Path) -> None:
    state = tmp_path / "hub"
    serve = [sys.executable, "-c", DRIVER, "serve", str(state), "--port", "0"]
    proc = subprocess.Popen(serve, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url = re.search(r"http://127\.0\.0\.1:\d+", proc.stdout.readline())
        assert url
        with pytest.raises(LocalHubInUseError, match=f"in use by process {proc.pid} ") as err:
            LocalHub(state)
        assert f'endpoint = "{url.group(0)}"' in (err.value.hint or "")  # where to go instead
    finally:
        proc.send_signal(signal.SIGKILL)  # no chance to release: the kernel drops its lock
        proc.communicate(timeout=30)
    with LocalHub(state) as hub:
        assert hub.storage.root == state.resolve()


def test_without_a_kernel_lock_a_dead_holder_is_taken_over_and_a_live_one_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(statedir, "KERNEL_LOCK", None)  # the O_EXCL fallback
    lock_file = tmp_path / statedir.LOCK_FILE
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    lock_file.write_text(f"{ended.stdout.strip()} {socket.gethostname()}\n", encoding="utf-8")
    held = statedir.lock_state(tmp_path)  # its process has ended: a stale lock
    with pytest.raises(LocalHubInUseError, match=f"in use by process {os.getpid()} "):
        statedir.lock_state(tmp_path)
    held.release()
    assert not lock_file.exists()
    statedir.lock_state(tmp_path).release()
