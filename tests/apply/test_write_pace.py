"""Writes at a pace the Hub accepts: the local Hub's write quota answers 429 + Retry-After to
commits beyond it (huggingface_hub does not retry them), apply holds every writer for the
Retry-After and resumes; `max_writes_per_hour` spaces writes, and a run stopped while waiting
leaves the rest pending in the journal for the next run."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from huggingface_hub import HfApi

from eeesync.apply import ApplyOptions, apply_plan, prepare_apply
from eeesync.apply import run as apply_run
from eeesync.apply.journal import journal_path, progress
from eeesync.apply.outcome import Outcome
from eeesync.hub.client import Hub
from eeesync.hub.writes import RESUME_SPACING_S, WritePace
from eeesync.localhub import LocalHub, RateLimitConfig
from eeesync.plan.file import read_plan
from eeesync.registry import load_registry
from tests.apply.conftest import open_prs, plan_for, seed_repo, write

REPOS = ("acme/alpha", "acme/beta", "acme/gamma")


def _seeded(
    localhub: LocalHub, hub_api: HfApi, tmp_path: Path, repos: tuple[str, ...] = REPOS
) -> Path:
    for repo in repos:
        seed_repo(localhub, repo)
    return write(plan_for(hub_api, localhub.url, repos), tmp_path)


def test_a_429_on_writes_holds_every_writer_and_the_apply_resumes(
    hub: Hub, hub_api: HfApi, localhub: LocalHub, tmp_path: Path
) -> None:
    path = _seeded(localhub, hub_api, tmp_path)
    plan = read_plan(path)
    preview = prepare_apply(hub, plan, path, registry=load_registry())
    # One write per second: three PRs at once meet two 429s with Retry-After: 1.
    localhub.set_rate_limits(
        RateLimitConfig(api_quota=10**6, resolvers_quota=10**6, writes_quota=1, writes_window_s=1)
    )
    started = time.monotonic()
    report = apply_plan(hub, preview, ApplyOptions(message="Add results", parallelism=3))
    elapsed = time.monotonic() - started
    assert [r.state for r in report.results] == [Outcome.OPENED] * 3
    assert localhub.counters().get("ratelimited.writes", 0) >= 2
    assert elapsed >= 1.0  # the Retry-After was waited out, not ignored
    for repo in REPOS:
        assert open_prs(hub_api, repo) == [1]  # resumed, never twice


def test_after_a_hold_the_writers_resume_one_at_a_time(
    hub: Hub, hub_api: HfApi, localhub: LocalHub, tmp_path: Path
) -> None:
    """Five PRs at once against two writes a second: three are refused and held; after the
    hold they go one a second, so none meets the limit again (all at once, two of three
    would: a second round of 429s)."""
    repos = tuple(f"acme/model-{i}" for i in range(5))
    path = _seeded(localhub, hub_api, tmp_path, repos)
    preview = prepare_apply(hub, read_plan(path), path, registry=load_registry())
    localhub.set_rate_limits(
        RateLimitConfig(api_quota=10**6, resolvers_quota=10**6, writes_quota=2, writes_window_s=1)
    )
    report = apply_plan(hub, preview, ApplyOptions(message="Add results", parallelism=5))
    assert [r.state for r in report.results] == [Outcome.OPENED] * 5
    assert 1 <= localhub.counters().get("ratelimited.writes", 0) <= 3  # the first burst only


def test_max_writes_per_hour_spaces_writes(
    hub: Hub, hub_api: HfApi, localhub: LocalHub, tmp_path: Path
) -> None:
    path = _seeded(localhub, hub_api, tmp_path)
    preview = prepare_apply(hub, read_plan(path), path, registry=load_registry())
    started = time.monotonic()
    options = ApplyOptions(message="Add results", parallelism=3, max_writes_per_hour=9000)
    report = apply_plan(hub, preview, options)
    assert [r.state for r in report.results] == [Outcome.OPENED] * 3
    assert time.monotonic() - started >= 2 * 3600 / 9000  # 0.4 s between writes


def test_a_stop_while_waiting_for_a_turn_leaves_the_rest_pending(
    hub: Hub, hub_api: HfApi, localhub: LocalHub, tmp_path: Path
) -> None:
    """A long-paced apply stopped (Ctrl-C, a CI time limit) after its first PR: the others stay
    pending in the journal and the next run opens them."""
    path = _seeded(localhub, hub_api, tmp_path)
    plan = read_plan(path)
    stop = threading.Event()

    def stop_after_first(phase: str, index: int) -> None:
        if phase == "after_result":
            stop.set()

    apply_run.checkpoint = stop_after_first
    try:
        preview = prepare_apply(hub, plan, path, registry=load_registry())
        options = ApplyOptions(message="Add results", parallelism=1, max_writes_per_hour=1)
        report = apply_plan(hub, preview, options, stop=stop)
    finally:
        apply_run.checkpoint = apply_run._no_checkpoint
    states = [r.state for r in report.results]
    assert states.count(Outcome.OPENED) == 1 and states.count(Outcome.PENDING) == 2
    assert sorted(progress(path, plan).values()) == ["opened", "pending", "pending"]
    assert journal_path(path).exists()

    rerun = apply_plan(
        hub,
        prepare_apply(hub, plan, path, registry=load_registry()),
        ApplyOptions(message="Add results"),
    )
    assert sorted(r.state for r in rerun.results) == sorted(
        [Outcome.ALREADY_DONE, Outcome.OPENED, Outcome.OPENED]
    )
    for repo in REPOS:
        assert open_prs(hub_api, repo) == [1]


def test_the_pace_spaces_turns_and_holds_after_a_refusal() -> None:
    pace, stop = WritePace(36_000), threading.Event()  # a turn every 0.1 s
    started = time.monotonic()
    for _ in range(3):
        assert pace.turn(stop)
    assert time.monotonic() - started >= 0.2
    pace = WritePace()
    held = pace.hold(0.3)
    started = time.monotonic()
    assert pace.turn(stop) and time.monotonic() - started >= 0.3 and held >= 0.3
    started = time.monotonic()
    assert pace.turn(stop) and time.monotonic() - started >= RESUME_SPACING_S - 0.01
    started = time.monotonic()  # the one that waited through the hold has gone: no spacing
    assert pace.turn(stop) and pace.turn(stop) and time.monotonic() - started < 0.5
    pace.hold(60)
    stop.set()
    assert not pace.turn(stop)  # stopped while held: the write is not sent
