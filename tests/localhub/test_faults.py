"""Fault injection (`eeesync/localhub/faults.py`) as the real client experiences it."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2
import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError
from huggingface_hub.utils import get_session

from eeesync.localhub import FaultConfig, LocalHub
from eeesync.localhub.faults import Fault, FaultInjector

REPO = "acme/model-a"


@pytest.fixture
def repo(localhub: LocalHub) -> str:
    localhub.storage.create_repo(REPO)
    localhub.storage.commit(REPO, {"README.md": b"hi", "a/b.txt": b"b"}, message="seed")
    localhub.storage.open_pr(REPO, {"c.txt": b"c"}, title="pr")
    localhub.reset_counters()
    return REPO


# --- the injector alone --------------------------------------------------------------------------


def test_same_seed_same_sequence() -> None:
    config = FaultConfig(rate_429=0.3, rate_5xx=0.3, drop_rate=0.1, seed=7)
    first = [FaultInjector(config).decide("tree", "api") for _ in range(1)]
    a, b = FaultInjector(config), FaultInjector(config)
    seq_a = [a.decide("tree", "api") for _ in range(200)]
    seq_b = [b.decide("tree", "api") for _ in range(200)]
    assert seq_a == seq_b and seq_a[0] == first[0]
    kinds = {d.fault for d in seq_a}
    assert kinds == set(Fault)
    assert {d.status for d in seq_a if d.fault is Fault.SERVER_ERROR} == {500, 503}
    other = FaultInjector(FaultConfig(rate_429=0.3, rate_5xx=0.3, drop_rate=0.1, seed=8))
    assert [other.decide("tree", "api") for _ in range(200)] != seq_a


def test_max_faults_and_route_filter() -> None:
    injector = FaultInjector(FaultConfig(rate_429=1.0, max_faults=2, routes=frozenset({"tree"})))
    assert injector.decide("repo_info", "api").fault is Fault.NONE
    faults = [injector.decide("tree", "api").fault for _ in range(4)]
    assert faults == [Fault.TOO_MANY_REQUESTS] * 2 + [Fault.NONE] * 2
    by_bucket = FaultInjector(FaultConfig(rate_5xx=1.0, routes=frozenset({"resolvers"})))
    assert by_bucket.decide("resolve_get", "resolvers").fault is Fault.SERVER_ERROR
    assert by_bucket.decide("tree", "api").fault is Fault.NONE


def test_config_is_validated() -> None:
    with pytest.raises(ValueError):
        FaultConfig(rate_429=1.5)
    with pytest.raises(ValueError):
        FaultConfig(rate_429=0.6, rate_5xx=0.6)
    with pytest.raises(ValueError):
        FaultConfig(latency_ms=-1)
    assert FaultConfig(routes={"tree"}).routes == frozenset({"tree"})  # type: ignore[arg-type]


# --- through the client --------------------------------------------------------------------------


def test_429_then_success_for_calls_the_client_retries(
    localhub: LocalHub, hub_api: HfApi, repo: str
) -> None:
    localhub.set_faults(
        FaultConfig(rate_429=1.0, retry_after_s=0, max_faults=1, routes=frozenset({"tree"}))
    )
    assert "a/b.txt" in hub_api.list_repo_files(repo)
    assert len(list(hub_api.list_repo_tree(repo, revision="refs/pr/1"))) == 4
    counts = localhub.counters()
    assert counts["faults.429"] == 1 and counts["tree"] == 3


def test_download_recovers_from_429_on_head_and_get(
    localhub: LocalHub, hub_api: HfApi, repo: str
) -> None:
    localhub.set_faults(
        FaultConfig(rate_429=1.0, retry_after_s=0, max_faults=1, routes=frozenset({"resolve_head"}))
    )
    assert Path(hub_api.hf_hub_download(repo, "README.md")).read_text() == "hi"
    localhub.set_faults(
        FaultConfig(rate_429=1.0, retry_after_s=0, max_faults=1, routes=frozenset({"resolve_get"}))
    )
    assert Path(hub_api.hf_hub_download(repo, "a/b.txt")).read_text() == "b"
    counts = localhub.counters()
    assert counts["faults.429"] == 2 and counts["resolve_get"] == 3


def test_surfaced_429_for_calls_the_client_does_not_retry(
    localhub: LocalHub, hub_api: HfApi, repo: str
) -> None:
    localhub.set_faults(FaultConfig(rate_429=1.0, retry_after_s=1))
    started = time.monotonic()
    with pytest.raises(HfHubHTTPError) as info:
        hub_api.model_info(repo)
    assert info.value.response.status_code == 429
    assert info.value.response.headers["Retry-After"] == "1"
    with pytest.raises(HfHubHTTPError) as discussions:
        list(hub_api.get_repo_discussions(repo))
    assert discussions.value.response.status_code == 429
    with pytest.raises(HfHubHTTPError):
        hub_api.get_discussion_details(repo, 1)
    with pytest.raises(HfHubHTTPError):
        hub_api.list_repo_refs(repo)
    assert time.monotonic() - started < 1  # no waiting: surfaced at once
    assert localhub.counters()["faults.429"] == 4


def test_5xx_is_retried_by_backoff_calls(localhub: LocalHub, hub_api: HfApi, repo: str) -> None:
    localhub.set_faults(FaultConfig(rate_5xx=1.0, max_faults=1, routes=frozenset({"tree"})))
    assert hub_api.list_repo_files(repo)
    assert localhub.counters()["faults.5xx"] == 1
    localhub.set_faults(FaultConfig(rate_5xx=1.0))
    with pytest.raises(HfHubHTTPError) as err:
        hub_api.model_info(repo)
    assert err.value.response.status_code in (500, 503)


def test_dropped_connections(localhub: LocalHub, hub_api: HfApi, repo: str) -> None:
    localhub.set_faults(FaultConfig(drop_rate=1.0, max_faults=1, routes=frozenset({"tree"})))
    assert hub_api.list_repo_files(repo)  # retried after the network error
    assert localhub.counters()["faults.drop"] == 1
    localhub.set_faults(FaultConfig(drop_rate=1.0, routes=frozenset({"repo_info"})))
    with pytest.raises(httpx2.TransportError):
        hub_api.model_info(repo)
    localhub.set_faults(None)
    assert hub_api.model_info(repo).id == REPO  # the server itself is fine


def test_latency(localhub: LocalHub, hub_api: HfApi, repo: str) -> None:
    localhub.set_faults(FaultConfig(latency_ms=150, routes=frozenset({"repo_info"})))
    started = time.monotonic()
    hub_api.model_info(repo)
    assert time.monotonic() - started >= 0.15
    assert localhub.faults.latency_ms == 150


def test_latency_does_not_serialize_concurrent_requests(
    localhub: LocalHub, hub_api: HfApi, repo: str
) -> None:
    """Each connection has its own thread and sleeps its latency there: 32 clients at once wait
    about one latency, not 32 (a benchmark must measure the client, not the local Hub)."""
    localhub.set_faults(FaultConfig(latency_ms=400, routes=frozenset({"resolve_get"})))
    url = f"{localhub.url}/{repo}/resolve/main/README.md"
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=32) as pool:
        answers = list(pool.map(lambda _: get_session().get(url).content, range(32)))
    elapsed = time.monotonic() - started
    assert answers == [b"hi"] * 32
    assert elapsed < 32 * 0.4 / 4  # one by one: 12.8 s
    assert 16 <= localhub.peak_in_flight()["resolvers"] <= 32
    localhub.reset_counters()
    assert localhub.peak_in_flight() == {}


def test_faults_given_at_start(tmp_path: Path) -> None:
    with LocalHub(tmp_path / "h", faults=FaultConfig(rate_5xx=1.0)) as hub:
        assert get_session().get(f"{hub.url}/api/whoami-v2").status_code in (500, 503)


def test_counters_by_route_and_bucket(localhub: LocalHub, hub_api: HfApi, repo: str) -> None:
    hub_api.model_info(repo)
    hub_api.model_info(repo)
    hub_api.hf_hub_download(repo, "README.md")
    get_session().get(f"{localhub.url}/nowhere")
    assert localhub.counters() == {
        "repo_info": 2,
        "api": 2,
        "resolve_head": 1,
        "resolve_get": 1,
        "resolvers": 2,
        "unknown": 1,
        "other": 1,
    }
    localhub.reset_counters()
    assert localhub.counters() == {}
