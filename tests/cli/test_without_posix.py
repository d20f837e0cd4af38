"""The CLI on a platform without `fcntl` or `signal.SIGKILL` (Windows): it imports and runs.

Each command runs in a subprocess whose import system refuses `fcntl` (and Linux has no
`msvcrt`, so the lock falls back to its O_EXCL file) and whose `signal` module has no SIGKILL,
as on Windows.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

_NO_POSIX = """
import runpy, signal, sys

class _Refuse:
    def find_spec(self, name, path=None, target=None):
        if name == "fcntl":
            raise ModuleNotFoundError(f"No module named {name!r} (blocked by the test)")
        return None

sys.modules.pop("fcntl", None)
sys.meta_path.insert(0, _Refuse())
del signal.SIGKILL
sys.argv = ["eeesync", *sys.argv[1:]]
runpy.run_module("eeesync", run_name="__main__", alter_sys=True)
"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("nofcntl")
    shutil.copy2(REPO_ROOT / "eeesync.toml", target / "eeesync.toml")
    shutil.copytree(REPO_ROOT / "examples", target / "examples")
    return target


def _eeesync(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(cwd),
        "HF_HOME": str(cwd / "hf"),
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "NO_COLOR": "1",
        "COLUMNS": "100",
        "PYTHONPATH": str(REPO_ROOT),  # this checkout's eeesync, not an installed one
        "NO_PROXY": "127.0.0.1,localhost",
    }
    return subprocess.run(
        [sys.executable, "-c", _NO_POSIX, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.mark.slow
def test_the_blocker_really_blocks(demo: Path) -> None:
    probe = _eeesync(demo, "--version")
    assert probe.returncode == 0, probe.stderr
    check = subprocess.run(
        [sys.executable, "-c", _NO_POSIX.replace("runpy.run_module", "import fcntl #")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode != 0 and "blocked by the test" in check.stderr


@pytest.mark.slow
def test_help_plan_show_apply_without_fcntl_or_sigkill(demo: Path) -> None:
    helped = _eeesync(demo, "--help")
    assert helped.returncode == 0, helped.stderr
    assert "plan" in helped.stdout

    planned = _eeesync(demo, "plan")
    assert planned.returncode == 0, planned.stderr
    match = re.search(r"^Plan written to (\S+)$", planned.stdout, flags=re.M)
    assert match, planned.stdout
    plan = match.group(1)

    shown = _eeesync(demo, "show", plan)
    assert shown.returncode == 0, shown.stderr
    assert "Traceback" not in shown.stderr

    # apply takes the lock: without a kernel lock it is the O_EXCL file, released at the end.
    applied = _eeesync(demo, "apply", plan, "--confirm", "OPEN PRS", "--message", "Add results")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert not list((demo / ".eeesync" / "locks").glob("*.lock.json"))
