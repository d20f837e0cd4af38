"""Apply under injected trouble: 20% 429s and 5% 5xx answers on every route, 200 repos.

Every PR must exist exactly once at the end; failures are allowed only when journaled, and a
rerun must finish them without duplicates.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from huggingface_hub import HfApi

from eeesync.apply import ApplyOptions, Outcome, apply_plan, prepare_apply
from eeesync.apply.journal import Event, journal_path, read_journal
from eeesync.hub.client import Hub
from eeesync.localhub import FaultConfig, LocalHub
from eeesync.plan.file import read_plan
from eeesync.registry import load_registry
from tests.apply.conftest import open_prs, plan_for, seed_repo, write

REPO_COUNT = 200


def count_prs(api: HfApi, repo_ids: list[str]) -> dict[str, int]:
    return {r: len(open_prs(api, r)) for r in repo_ids}


@pytest.mark.slow
def test_200_repos_under_429s_and_5xx_end_with_200_prs_and_no_duplicates(
    localhub: LocalHub, hub_api: HfApi, hub: Hub, tmp_path: Path
) -> None:
    repos = [f"fault-org/model-{i:03d}" for i in range(REPO_COUNT)]
    with localhub.storage.bulk():
        for repo in repos:
            seed_repo(localhub, repo)
    plan_path = write(plan_for(hub_api, localhub.url, repos), tmp_path)
    plan = read_plan(plan_path)
    localhub.set_faults(FaultConfig(rate_429=0.2, rate_5xx=0.05, retry_after_s=0, seed=7))

    started = time.monotonic()
    preview = prepare_apply(hub, plan, plan_path, registry=load_registry(), parallelism=8)
    # Parallelism 8 (default 4) halves the wall time: it is mostly huggingface_hub's fixed 1 s
    # waits before retrying a 429'd preupload. benchmarks/bench_apply.py runs the default.
    report = apply_plan(hub, preview, ApplyOptions(message="Add evals", parallelism=8))
    elapsed = time.monotonic() - started
    faults = localhub.counters()
    failed = report.of(Outcome.FAILED)
    # Every failure is journaled with its error.
    journal = read_journal(journal_path(plan_path))
    for result in failed:
        assert any(
            r.action_id == result.action_id and r.error and r.event in (Event.RESULT, Event.SKIP)
            for r in journal
        )
    localhub.set_faults(None)
    counts = count_prs(hub_api, repos)
    assert all(n <= 1 for n in counts.values()), "duplicate PRs"
    assert sum(counts.values()) == len(report.of(Outcome.OPENED)) + len(report.of(Outcome.ADOPTED))
    if failed:  # a rerun finishes the journaled failures
        rerun = apply_plan(
            hub,
            prepare_apply(hub, plan, plan_path, registry=load_registry()),
            ApplyOptions(message="m"),
        )
        assert not rerun.of(Outcome.FAILED)
        counts = count_prs(hub_api, repos)
    assert counts == dict.fromkeys(repos, 1)
    print(
        f"\n{REPO_COUNT} repos under faults: {elapsed:.1f}s, {len(failed)} journaled failures "
        f"before the rerun, {hub.retries} read retries, 0 duplicates; server counters: "
        f"{ {k: v for k, v in faults.items() if k.startswith('faults.')} }"
    )
