"""Issue 14 §2: one open PR per repo and content, whoever runs apply and from wherever.

Two runners share nothing but the Hub: the same plan copied into two working copies (own
journal, own cache and lock folder, like two CI runners), or two overlapping plans (the whole
collection and a `--model` subset) on one machine. They start together, with random offsets
and a local Hub that adds latency and jitter, many times over; every round must end with
exactly one open PR per repo holding the planned bytes, and both runs must say what they did
(one opened it, the other recorded it), never two "opened".
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import attrs
import pytest
from huggingface_hub import HfApi

from eeesync.apply import ApplyOptions, ApplyReport, Outcome, apply_plan, prepare_apply
from eeesync.apply.journal import journal_path
from eeesync.localhub import FaultConfig, LocalHub
from eeesync.plan.file import read_plan, seal
from eeesync.plan.model import Plan
from eeesync.registry import load_registry
from tests.apply.conftest import EXISTING_YAML, TARGET, eeesync_hub, open_prs, plan_for, seed_repo
from tests.apply.conftest import write as write_plan

ROUNDS = 20
REPOS_PER_ROUND = 3


def _apply(localhub: LocalHub, plan_path: Path, lock_dir: Path, delay: float) -> ApplyReport:
    """One runner: its own client, its own plan file, journal and lock folder."""
    time.sleep(delay)
    hub = eeesync_hub(localhub)
    plan = read_plan(plan_path)
    preview = prepare_apply(hub, plan, plan_path, registry=load_registry(), parallelism=2)
    options = ApplyOptions(message="Add eval results", parallelism=2, lock_dir=lock_dir)
    return apply_plan(hub, preview, options)


def _together(
    localhub: LocalHub, runs: Sequence[tuple[Path, Path]], rng: random.Random
) -> list[ApplyReport]:
    with ThreadPoolExecutor(max_workers=len(runs)) as pool:
        futures = [
            pool.submit(_apply, localhub, plan_path, lock_dir, rng.uniform(0, 0.04))
            for plan_path, lock_dir in runs
        ]
        return [f.result() for f in futures]


def _assert_one_pr_each(hub_api: HfApi, plan: Plan, reports: Sequence[ApplyReport]) -> None:
    """Exactly one open PR per repo, with the planned bytes; exactly one run says it opened
    it, every other run that touched the repo recorded that same PR."""
    for repo in plan.repos:
        prs = open_prs(hub_api, repo.repo_id)
        assert len(prs) == 1, (repo.repo_id, prs)
        data = hub_api.hf_hub_download(repo.repo_id, TARGET, revision=f"refs/pr/{prs[0]}")
        assert Path(data).read_bytes() == repo.files[0].content.encode()
        results = [r for report in reports for r in report.results if r.repo_id == repo.repo_id]
        opened = [r for r in results if r.state is Outcome.OPENED]
        assert len(opened) == 1 and opened[0].pr_num == prs[0], results
        for other in results:
            if other is not opened[0]:
                assert other.state in (Outcome.ADOPTED, Outcome.IN_PR), other
                assert other.pr_num == prs[0], other
    for report in reports:
        assert report.ok, report.results


def _round_plan(localhub: LocalHub, hub_api: HfApi, tag: str, count: int) -> Plan:
    repos = [f"{tag}/model-{j}" for j in range(count)]
    for j, repo in enumerate(repos):
        seed_repo(localhub, repo, existing=EXISTING_YAML if j % 2 == 0 else None)
    return plan_for(hub_api, localhub.url, repos)


@pytest.mark.slow
def test_same_plan_from_two_working_copies_started_together_opens_each_pr_once(
    localhub: LocalHub, hub_api: HfApi, tmp_path: Path
) -> None:
    rng = random.Random(14)
    for round_ in range(ROUNDS):
        localhub.set_faults(FaultConfig(latency_ms=2, jitter_ms=12, seed=round_))
        plan = _round_plan(localhub, hub_api, f"copies-{round_}", REPOS_PER_ROUND)
        runs = []
        for checkout in ("runner-a", "runner-b"):
            folder = tmp_path / f"{checkout}-{round_}"
            (folder / "plans").mkdir(parents=True)
            path = write_plan(plan, folder / "plans")
            runs.append((path, folder / "cache" / "repo-locks"))
        assert runs[0][0].read_bytes() == runs[1][0].read_bytes()
        reports = _together(localhub, runs, rng)
        localhub.set_faults(None)
        _assert_one_pr_each(hub_api, plan, reports)


@pytest.mark.slow
def test_overlapping_plans_on_one_machine_started_together_open_each_pr_once(
    localhub: LocalHub, hub_api: HfApi, tmp_path: Path
) -> None:
    rng = random.Random(41)
    lock_dir = tmp_path / "cache" / "repo-locks"  # one machine: one cache
    for round_ in range(ROUNDS):
        localhub.set_faults(FaultConfig(latency_ms=2, jitter_ms=12, seed=round_))
        whole = _round_plan(localhub, hub_api, f"overlap-{round_}", REPOS_PER_ROUND)
        subset = seal(
            attrs.evolve(
                whole,
                repos=whole.repos[:2],
                inputs=attrs.evolve(whole.inputs, model_filter=f"overlap-{round_}/model-[01]"),
            )
        )
        assert subset.digest != whole.digest
        folder = tmp_path / f"plans-{round_}"
        runs = [
            (write_plan(whole, folder, "whole.plan.json"), lock_dir),
            (write_plan(subset, folder, "subset.plan.json"), lock_dir),
        ]
        rng.shuffle(runs)
        reports = _together(localhub, runs, rng)
        localhub.set_faults(None)
        _assert_one_pr_each(hub_api, whole, reports)


def test_two_posts_in_flight_at_once_converge_on_the_lower_numbered_pr(
    localhub: LocalHub, hub_api: HfApi, tmp_path: Path
) -> None:
    """Both runners pass the pre-POST listing (the commit is slow); after its POST, the one
    holding the higher number closes its own PR with a comment naming the other."""
    plan = _round_plan(localhub, hub_api, "race", 1)
    runs = []
    for checkout in ("a", "b"):
        (tmp_path / checkout).mkdir()
        runs.append((write_plan(plan, tmp_path / checkout), tmp_path / checkout / "locks"))
    localhub.set_faults(FaultConfig(latency_ms=400, routes=frozenset({"commit"})))
    reports = _together(localhub, runs, random.Random(0))
    localhub.set_faults(None)
    _assert_one_pr_each(hub_api, plan, reports)
    repo_id = plan.repos[0].repo_id
    closed = [
        d
        for d in hub_api.get_repo_discussions(repo_id, discussion_type="pull_request")
        if d.status == "closed"
    ]
    assert [d.num for d in closed] == [2]
    comments = [
        getattr(e, "content", "") for e in hub_api.get_discussion_details(repo_id, 2).events
    ]
    assert any("duplicate of #1" in c for c in comments)
    (loser,) = [r for rep in reports for r in rep.results if r.state is Outcome.IN_PR]
    assert loser.pr_num == 1
    assert loser.changes == ("opened PR #2 and closed it: PR #1 holds the same files",)
    # Its journal names the PR that holds the entries, so a rerun opens nothing.
    folder = next(p for p, _ in runs if "closed it" in journal_path(p).read_text())
    rerun = _apply(localhub, folder, tmp_path / "rerun-locks", 0)
    assert [r.state for r in rerun.results] == [Outcome.ALREADY_DONE]
    assert rerun.results[0].pr_num == 1


def test_a_pr_opened_by_another_plan_with_the_same_entries_is_recorded_not_duplicated(
    localhub: LocalHub, hub_api: HfApi, tmp_path: Path
) -> None:
    """The subset plan runs after the whole one: its check finds the entries in that PR."""
    whole = _round_plan(localhub, hub_api, "after", 2)
    subset = seal(attrs.evolve(whole, repos=whole.repos[:1]))
    subset = seal(attrs.evolve(subset, inputs=attrs.evolve(subset.inputs, model_filter="x")))
    first = _apply(localhub, write_plan(whole, tmp_path, "whole.plan.json"), tmp_path / "l", 0)
    assert [r.state for r in first.results] == [Outcome.OPENED] * 2
    second = _apply(localhub, write_plan(subset, tmp_path, "sub.plan.json"), tmp_path / "l", 0)
    (result,) = second.results
    assert result.state is Outcome.IN_PR and result.pr_num == 1
    assert second.ok
    assert open_prs(hub_api, whole.repos[0].repo_id) == [1]


def test_a_retried_post_under_the_repo_lock_does_not_wait_for_itself(
    localhub: LocalHub, hub_api: HfApi, tmp_path: Path
) -> None:
    """A failed POST is reconciled and retried while this run still holds the repo's lock."""
    plan = _round_plan(localhub, hub_api, "retry", 1)
    path = write_plan(plan, tmp_path)
    localhub.set_faults(FaultConfig(rate_5xx=1.0, routes=frozenset({"commit"}), max_faults=1))
    hub = eeesync_hub(localhub)
    preview = prepare_apply(hub, plan, path, registry=load_registry())
    options = ApplyOptions(message="m", lock_dir=tmp_path / "locks", repo_lock_timeout=2.0)
    started = time.monotonic()
    report = apply_plan(hub, preview, options)
    assert [r.state for r in report.results] == [Outcome.OPENED]
    assert time.monotonic() - started < 2.0
    assert open_prs(hub_api, plan.repos[0].repo_id) == [1]
