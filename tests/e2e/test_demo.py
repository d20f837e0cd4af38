"""The README's demo, run as a newcomer would: a fresh copy of the repo, `python -m eeesync`.

The copy holds what a clone holds (git's tracked and not-ignored files of this test's own
repository, never a hard-coded path), so the demo must work from `eeesync.toml`, `examples/`
and the package alone: offline, without a token, on an empty local Hub seeded on first use.
Subprocesses get a clean environment whose proxy settings send anything but loopback to a dead
port, so a demo that needed the internet would fail here.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from eeesync.plan.model import Status

#: End-to-end: skipped by the inner loop (`pytest -m "not slow"`), run in CI.
pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[2]
#: Never part of a fresh clone: local state, user plans, caches and build output.
NOT_IN_A_CLONE = (".git", ".eeesync", "plans", "__pycache__", ".pytest_cache", ".ruff_cache")


def _clone_files() -> list[str]:
    """Files a clone would have: tracked ones plus new, not-ignored ones (not yet committed)."""
    git = shutil.which("git")
    if git is not None and (REPO_ROOT / ".git").exists():
        listed = subprocess.run(
            [git, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=REPO_ROOT,
            capture_output=True,
            check=True,
        ).stdout.decode()
        files = [f for f in listed.split("\0") if f]
    else:  # a source tree without git (an sdist): take everything
        files = [str(p.relative_to(REPO_ROOT)) for p in REPO_ROOT.rglob("*") if p.is_file()]
    return [
        f
        for f in files
        if not set(Path(f).parts) & set(NOT_IN_A_CLONE)
        and not f.endswith((".pyc", ".egg-info"))
        and ".egg-info/" not in f
        and (REPO_ROOT / f).is_file()
    ]


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("demo") / "eeesync"
    for name in _clone_files():
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_ROOT / name, destination)
    return target


def eeesync(clone: Path, *args: str) -> subprocess.CompletedProcess[str]:
    home = clone.parent / "home"
    home.mkdir(exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "HF_HOME": str(home / "hf"),
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "NO_COLOR": "1",
        "COLUMNS": "100",
        "PYTHONDONTWRITEBYTECODE": "1",
        # Offline guard: every proxied request goes nowhere; only loopback is direct.
        "HTTP_PROXY": "http://127.0.0.1:9",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "ALL_PROXY": "http://127.0.0.1:9",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    return subprocess.run(
        [sys.executable, "-m", "eeesync", *args],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _plan_path(output: str) -> str:
    match = re.search(r"^Plan written to (\S+)$", output, flags=re.M)
    assert match, output
    return match.group(1)


def test_the_demo_data_is_reproducible(clone: Path) -> None:
    """The index files (with their sha256s) are what examples/build_examples.py makes."""
    checked = subprocess.run(
        [sys.executable, "examples/build_examples.py", "--check"],
        cwd=clone,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stderr


def test_readme_demo_plan_show_apply_model_rerun(clone: Path) -> None:
    assert not (clone / ".eeesync").exists()  # a fresh clone: the local Hub is seeded on use

    planned = eeesync(clone, "plan")
    assert planned.returncode == 0, planned.stderr
    for status in Status:
        assert status.value in planned.stdout, f"{status.value} missing from the plan output"
    assert "recorded as 01-ai/yi-1.5-34b-chat" in planned.stdout  # the miscased id resolved
    plan = _plan_path(planned.stdout)
    assert plan.startswith("plans/") and (clone / plan).is_file()
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert f"Plan written to {plan}\n" in readme  # the walkthrough shows the name you get
    assert f"eeesync apply {plan}" in planned.stdout

    shown = eeesync(clone, "show", plan)
    assert shown.returncode == 0, shown.stderr
    for status in Status:
        assert status.value in shown.stdout

    applied = eeesync(
        clone, "apply", plan, "--confirm", "OPEN PRS", "--message", "Add EvalEval results"
    )
    assert applied.returncode == 0, applied.stdout + applied.stderr
    opened = re.findall(r"opened PR #\d+", applied.stdout)
    # Yi-1.5-34B-Chat and marin-8b-instruct; Llama-3.1-8B's author closed a PR with the entry.
    assert len(opened) == 2, applied.stdout
    # PRs opened on the local Hub are shown with its address, never as huggingface.co pages.
    links = re.findall(r"opened PR #\d+\s+(\S+)", applied.stdout)
    assert len(links) == 2 and all(
        re.fullmatch(r"local:\.eeesync/localhub/[^ ]+/discussions/\d+", link) for link in links
    ), links
    assert "huggingface.co/01-ai" not in applied.stdout

    model = eeesync(clone, "model", "01-ai/yi-1.5-34b-chat")
    assert model.returncode == 0, model.stderr
    assert "Model 01-ai/Yi-1.5-34B-Chat" in model.stdout
    assert "in open PR #1" in model.stdout  # the PR apply just opened
    for benchmark in ("MMLU-Pro", "GPQA", "GSM8K", "Humanity's Last Exam"):
        assert benchmark in model.stdout

    unknown = eeesync(clone, "model", "nobody/nothing")
    assert unknown.returncode == 1
    assert "unknown model nobody/nothing" in unknown.stderr
    assert "Traceback" not in unknown.stderr

    again = eeesync(clone, "plan", "--detailed-exitcode")
    assert again.returncode == 0, again.stdout + again.stderr  # nothing left to open
    assert "Nothing to open" in again.stdout
