"""Crash safety: SIGKILL `eeesync apply` at 20 points, rerun, and find every PR exactly once.

Each kill point gets its own five repos and plan on one local Hub. The apply runs in a child
process (`python -m tests.apply.crash_hook PHASE:INDEX apply … --confirm "OPEN PRS"`: the
ordinary CLI with the test's checkpoint hook installed) that kills itself before the intent
line, between the intent and the POST, after the POST before the result line, and after the
result line.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from huggingface_hub import HfApi

from eeesync.apply import Marker, content_hash, parse_markers
from eeesync.apply.journal import Event, journal_path, progress, read_journal, summarize
from eeesync.apply.outcome import Outcome
from eeesync.apply.run import CHECKPOINTS
from eeesync.localhub import LocalHub
from eeesync.plan.file import read_plan
from tests.apply.conftest import EXISTING_YAML, open_prs, plan_for, seed_repo, write

ROOT = Path(__file__).resolve().parents[2]
REPOS_PER_PLAN = 5
KILL_POINTS = [(phase, index) for phase in CHECKPOINTS for index in range(REPOS_PER_PLAN)]

#: Outcomes that record a PR for the action (opened here, or found after a crash).
RECORDED = {Outcome.OPENED, Outcome.ADOPTED, Outcome.IN_PR}


def _eeesync(
    folder: Path, *args: str, crash: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EEESYNC_")}
    env["PYTHONPATH"] = str(ROOT)  # this checkout's eeesync and tests, whatever the cwd
    entry = ["eeesync"] if crash is None else ["tests.apply.crash_hook", crash]
    return subprocess.run(
        [sys.executable, "-m", *entry, "--config", str(folder / "eeesync.toml"), *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        # A shell's background job inherits an ignored SIGINT; the child must see Ctrl-C.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def _prepare(localhub: LocalHub, hub_api: HfApi, root: Path, phase: str, index: int) -> Path:
    folder = root / f"{phase}-{index}"
    folder.mkdir()
    (folder / "eeesync.toml").write_text(
        f'[hub]\nendpoint = "{localhub.url}"\n\n[paths]\ncache = "cache"\n', encoding="utf-8"
    )
    repos = [f"kill-{phase.replace('_', '-')}-{index}/model-{j}" for j in range(REPOS_PER_PLAN)]
    for j, repo in enumerate(repos):
        seed_repo(localhub, repo, existing=EXISTING_YAML if j % 2 == 0 else None)
    return write(plan_for(hub_api, localhub.url, repos), folder)


def _kill_and_rerun(folder: Path, plan_path: Path, phase: str, index: int) -> list[str]:
    """Kill the apply at the point, then rerun it; returns problems found (empty: fine)."""
    parallelism = "1" if index % 2 else "4"
    flags = ["apply", str(plan_path), "--confirm", "OPEN PRS", "--message", "Add evals"]
    flags += ["--parallelism", parallelism]
    killed = _eeesync(folder, *flags, crash=f"{phase}:{index}")
    problems = []
    if killed.returncode != -signal.SIGKILL:
        problems.append(f"{phase}:{index} was not killed: {killed.returncode} {killed.stderr}")
    rerun = _eeesync(folder, *flags)
    if rerun.returncode != 0:
        problems.append(f"{phase}:{index} rerun exited {rerun.returncode}: {rerun.stderr}")
    return problems


@pytest.mark.slow
def test_sigkill_at_20_points_then_rerun_leaves_every_pr_exactly_once(
    localhub: LocalHub, hub_api: HfApi, tmp_path: Path
) -> None:
    plans = {point: _prepare(localhub, hub_api, tmp_path, *point) for point in KILL_POINTS}
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [
            pool.submit(_kill_and_rerun, path.parent, path, phase, index)
            for (phase, index), path in plans.items()
        ]
        problems = [p for f in futures for p in f.result()]
    assert problems == []

    duplicates = 0
    for (phase, index), path in plans.items():
        plan = read_plan(path)
        for repo in plan.repos:
            prs = [
                d
                for d in hub_api.get_repo_discussions(repo.repo_id, discussion_type="pull_request")
            ]
            duplicates += max(0, len(prs) - 1)
            assert len(prs) == 1, f"{phase}:{index} {repo.repo_id}: {len(prs)} PRs"
            body = hub_api.get_discussion_details(repo.repo_id, prs[0].num).events[0]
            expected = Marker(plan.digest, repo.action_id, content_hash(repo))
            assert parse_markers(body.content) == [expected]  # type: ignore[attr-defined]
        # The journal is complete: every action has a recorded PR, none is left mid-write.
        assert set(progress(path, plan).values()) <= RECORDED, (phase, index)
        summaries = summarize(read_journal(journal_path(path)), plan.digest)
        assert all(not s.interrupted for s in summaries.values())
        recorded = {
            r.action_id: r.pr_num
            for r in read_journal(journal_path(path))
            if r.event is Event.RESULT and r.pr_num is not None
        }
        assert recorded == {repo.action_id: 1 for repo in plan.repos}
        # The killed run's lock was taken over and released by the rerun.
        assert list((path.parent / "cache" / "locks").glob("*.json")) == []
    assert duplicates == 0


@pytest.mark.slow
def test_ctrl_c_exits_130_with_the_journal_written_and_the_lock_released(
    localhub: LocalHub, hub_api: HfApi, tmp_path: Path
) -> None:
    path = _prepare(localhub, hub_api, tmp_path, "interrupt", 0)
    flags = ["apply", str(path), "--confirm", "OPEN PRS", "--message", "m", "--parallelism", "1"]
    interrupted = _eeesync(path.parent, *flags, crash="after_intent:1:int")
    assert interrupted.returncode == 130, interrupted.stderr
    assert "Apply interrupted: 2 opened" in interrupted.stdout
    plan = read_plan(path)
    states = progress(path, plan)
    assert sorted(states.values()) == ["opened", "opened", "pending", "pending", "pending"]
    assert all(
        not s.interrupted for s in summarize(read_journal(journal_path(path)), plan.digest).values()
    )
    assert list((path.parent / "cache" / "locks").glob("*.json")) == []
    rerun = _eeesync(path.parent, *flags)
    assert rerun.returncode == 0, rerun.stderr
    assert set(progress(path, plan).values()) == {Outcome.OPENED}
    assert all(len(open_prs(hub_api, r.repo_id)) == 1 for r in plan.repos)
