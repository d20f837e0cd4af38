"""hub/pace.py: the workers of one Hub share a budget per quota bucket, learnt from the Hub's
`RateLimit` / `RateLimit-Policy` headers, and wait for the window to reset instead of being
refused; a 429 that still comes is handled; an unlimited Hub is never paced."""

from __future__ import annotations

import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2
from huggingface_hub.utils._http import RateLimitInfo

from eeesync.hub.client import Hub
from eeesync.hub.pace import Budget, bucket_of, pacer_for
from eeesync.localhub import LocalHub, RateLimitConfig
from tests.hub.conftest import make_hub

REPO = "acme/model-a"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _info(remaining: int, reset: int, *, limit: int = 10, window: int = 60) -> RateLimitInfo:
    return RateLimitInfo(
        resource_type="api",
        remaining=remaining,
        reset_in_seconds=reset,
        limit=limit,
        window_seconds=window,
    )


def test_buckets_follow_the_hub() -> None:
    assert bucket_of("/api/models/acme/x") == "api"
    assert bucket_of("/acme/x/resolve/abc/.eval_results/a.yaml") == "resolvers"
    assert bucket_of("/datasets/o/d/resolve/abc/flat/x.json") == "resolvers"
    assert bucket_of("/acme/x") is None


def test_budget_counts_down_from_the_headers_and_rolls_over() -> None:
    clock = Clock()
    budget = Budget("api", clock=clock)
    budget.acquire()  # nothing known yet: the first request goes
    budget.observe(_info(remaining=3, reset=30), status=200)
    view = budget.view()
    assert (view.quota, view.window_s, view.remaining) == (10, 60, 3)
    for _ in range(3):
        budget.acquire()
    assert budget.view().remaining == 0
    # Answers for those three: the Hub's figure is never trusted above the local count.
    for left in (2, 1, 0):
        budget.observe(_info(remaining=left, reset=29), status=200)
    assert budget.view().remaining == 0
    clock.now += 31  # the window has reset: the quota is back, and acquire does not wait
    budget.acquire()
    view = budget.view()
    assert view.remaining == 9 and view.windows == 2 and view.waits == 0
    # A late answer from the old window (reset ≈ now) does not empty the new one.
    budget.observe(_info(remaining=0, reset=0), status=200)
    assert budget.view().remaining == 9


def test_in_flight_requests_are_reserved_from_the_hubs_figure() -> None:
    budget = Budget("api", clock=Clock())
    budget.acquire()
    budget.observe(_info(remaining=9, reset=30), status=200)
    for _ in range(4):
        budget.acquire()
    # One answer comes back while three are still in flight: they may not be counted yet.
    budget.observe(_info(remaining=8, reset=30), status=200)
    assert budget.view().remaining == 5


def test_a_zero_quota_never_hangs_a_worker() -> None:
    clock = Clock()
    budget = Budget("api", clock=clock)
    budget.acquire()
    budget.observe(_info(remaining=0, reset=5, limit=0), status=429)
    clock.now += 6  # reset: the quota is still 0, and no answer says when the next one is
    started = time.monotonic()
    budget.acquire()  # goes: the Hub's 429 (retried by the caller) will say how long to wait
    assert time.monotonic() - started < 1


def test_workers_beyond_a_new_windows_quota_wait_for_its_answers() -> None:
    """Right after a window resets, no answer has said when the new one ends: the workers
    beyond its quota wait for one (they used to go, and a pool wider than the quota got 429s)."""
    clock = Clock()
    budget = Budget("resolvers", clock=clock)
    budget.acquire()
    budget.observe(_info(remaining=0, reset=5, limit=2, window=5), status=200)
    clock.now += 6  # the window has reset: 2 requests, and no answer from the new one yet
    budget.acquire()
    budget.acquire()
    third = threading.Thread(target=budget.acquire)
    third.start()
    third.join(0.3)
    assert third.is_alive()  # spent, and the reset is not known yet: it waits for an answer
    budget.observe(_info(remaining=0, reset=5, limit=2, window=5), status=200)
    third.join(0.3)
    assert third.is_alive()  # now it is known: it waits for the reset
    clock.now += 6
    budget.release()  # any news wakes it: the window has reset
    third.join(5)
    assert not third.is_alive()
    view = budget.view()
    assert view.sent == 4 and view.windows == 3 and view.remaining == 1


def test_a_429_empties_the_budget() -> None:
    budget = Budget("api", clock=Clock())
    budget.acquire()
    budget.observe(_info(remaining=5, reset=30), status=429)
    view = budget.view()
    assert view.remaining == 0 and view.refused == 1


def _hammer(hub: Hub, calls: int, workers: int) -> None:
    with ThreadPoolExecutor(workers) as pool:
        for info in pool.map(lambda _: hub.api.model_info(REPO), range(calls)):
            assert info.id == REPO


def test_workers_wait_for_the_window_instead_of_being_refused(tmp_path: Path) -> None:
    limits = RateLimitConfig(api_quota=5, resolvers_quota=5, window_s=1)
    with LocalHub(tmp_path / "h", rate_limits=limits) as local:
        local.storage.create_repo(REPO)
        hub = make_hub(local)
        started = time.monotonic()
        # model_info raises on the first 429 (no retry): any refusal fails this test.
        _hammer(hub, calls=17, workers=4)
        elapsed = time.monotonic() - started
        assert not any(k.startswith("ratelimited") for k in local.counters())
        api = next(v for v in hub.pacer.views() if v.bucket == "api")
        assert api.quota == 5 and api.window_s == 1 and api.sent == 17
        assert api.windows <= math.ceil(17 / 5) + 1 and api.waits >= 1 and api.refused == 0
        assert elapsed >= 2.0  # 17 requests at 5 per window need at least 4 windows


def test_an_unlimited_hub_is_never_paced(localhub: LocalHub, hub: Hub) -> None:
    localhub.storage.create_repo(REPO)
    _hammer(hub, calls=20, workers=4)
    api = next(v for v in hub.pacer.views() if v.bucket == "api")
    assert api.quota is None and api.waits == 0 and api.sent == 20


def test_hubs_for_one_url_share_one_budget(localhub: LocalHub) -> None:
    assert make_hub(localhub).pacer is make_hub(localhub).pacer is pacer_for(localhub.url)


def test_a_429_from_another_client_is_still_handled(tmp_path: Path) -> None:
    limits = RateLimitConfig(api_quota=2, resolvers_quota=2, window_s=1)
    with LocalHub(tmp_path / "h", rate_limits=limits) as local:
        local.storage.create_repo(REPO)
        hub = make_hub(local)
        hub.call(hub.api.model_info, REPO)  # the budget knows: 1 left
        with httpx2.Client() as other:  # another client (not paced) spends it
            assert other.get(f"{local.url}/api/models/{REPO}").status_code == 200
        assert hub.call(hub.api.model_info, REPO).id == REPO  # refused once, retried
        assert local.counters().get("ratelimited.api", 0) >= 1
        api = next(v for v in hub.pacer.views() if v.bucket == "api")
        assert api.refused >= 1


def test_the_audit_shows_the_budget_and_the_windows_it_expects(tmp_path: Path) -> None:
    from eeesync.hub.audit import audit_repos
    from tests.hub.test_audit import RecordingProgress

    limits = RateLimitConfig(api_quota=4, resolvers_quota=50, window_s=2)
    with LocalHub(tmp_path / "h", rate_limits=limits) as local:
        wanted = {f"acme/m{i}": [f"acme/m{i}"] for i in range(6)}
        for repo in wanted:
            local.storage.create_repo(repo)
        progress = RecordingProgress()
        hub = make_hub(local)
        audit_repos(
            hub, wanted, decided_by_main=lambda k, s: False, concurrency=3, progress=progress
        )
        shown = [t for t in progress.ticks if t.startswith("start Hub quota")]
        # After the heads (one listing: 3 left in the window), 6 PR listings: 3 now, 3 next.
        assert shown == [
            "start Hub quota api: 4 requests per 2 s window; ≈1 more window(s) for 6 repos 6"
        ]
        assert "Hub done" in progress.ticks
        assert not any(k.startswith("ratelimited") for k in local.counters())
