"""hub/client.py: read retries honour Retry-After; a definitive "not found" is not retried;
a missing repo is told apart from a gated, unauthorised or throttled one."""

from __future__ import annotations

import httpx2
import pytest
from huggingface_hub.errors import HfHubHTTPError

from eeesync.hub.client import (
    Hub,
    RetryPolicy,
    call_with_retry,
    is_missing_entry,
    is_missing_repo,
    is_retryable,
    retry_after_seconds,
)
from eeesync.localhub import FaultConfig, LocalHub


def _error(hub: Hub, fn: object, *args: object, **kwargs: object) -> BaseException:
    with pytest.raises(Exception) as info:
        fn(*args, **kwargs)  # type: ignore[operator]
    return info.value


def test_missing_repo_is_missing_and_not_retried(localhub: LocalHub, hub: Hub) -> None:
    exc = _error(hub, hub.api.model_info, "nobody/nothing")
    assert is_missing_repo(exc) and not is_retryable(exc)
    localhub.reset_counters()
    with pytest.raises(HfHubHTTPError):
        hub.call(hub.api.model_info, "nobody/nothing")
    assert localhub.counters()["repo_info"] == 1 and hub.retries == 0


def test_gated_repo_is_not_missing(localhub: LocalHub, hub: Hub) -> None:
    localhub.storage.create_repo("acme/gated")
    localhub.storage.commit("acme/gated", {"a.txt": b"x"}, message="a")
    localhub.storage.set_gated("acme/gated")
    url = f"{localhub.url}/acme/gated/resolve/main/a.txt"
    from huggingface_hub.utils._http import get_session, hf_raise_for_status

    exc = _error(hub, lambda: hf_raise_for_status(get_session().get(url)))
    assert not is_missing_repo(exc) and not is_retryable(exc)


def test_missing_folder_is_a_missing_entry(localhub: LocalHub, hub: Hub) -> None:
    localhub.storage.create_repo("acme/empty")
    exc = _error(hub, lambda: list(hub.api.list_repo_tree("acme/empty", path_in_repo="nope")))
    assert is_missing_entry(exc) and not is_missing_repo(exc)


def test_throttled_and_failing_reads_are_retried_until_they_succeed(
    localhub: LocalHub, hub: Hub
) -> None:
    localhub.storage.create_repo("acme/model")
    localhub.set_faults(FaultConfig(rate_429=1.0, retry_after_s=0, max_faults=2))
    info = hub.call(hub.api.model_info, "acme/model")  # model_info itself never retries a 429
    assert info.id == "acme/model" and hub.retries == 2
    localhub.set_faults(FaultConfig(rate_5xx=1.0, max_faults=3))
    assert hub.call(hub.api.model_info, "acme/model").id == "acme/model"
    assert hub.retries == 5


def test_a_persistent_server_error_is_raised_after_the_attempts(
    localhub: LocalHub, hub: Hub
) -> None:
    localhub.storage.create_repo("acme/model")
    localhub.set_faults(FaultConfig(rate_5xx=1.0))
    localhub.reset_counters()
    exc = _error(hub, hub.call, hub.api.model_info, "acme/model")
    assert isinstance(exc, HfHubHTTPError) and not is_missing_repo(exc)
    assert localhub.counters()["repo_info"] == hub.retry.attempts


def test_retry_after_is_honoured() -> None:
    request = httpx2.Request("GET", "http://127.0.0.1/api/models/a/b")
    response = httpx2.Response(429, headers={"Retry-After": "7"}, request=request)
    exc = HfHubHTTPError("slow down", response=response)
    assert retry_after_seconds(exc) == 7.0
    waits: list[float] = []
    calls = iter([exc, exc])

    def flaky() -> str:
        error = next(calls, None)
        if error is not None:
            raise error
        return "ok"

    policy = RetryPolicy(attempts=3, max_hinted_wait=60)
    assert call_with_retry(flaky, policy=policy, sleep=waits.append) == "ok"
    assert len(waits) == 2 and all(7.0 <= w <= 7.05 * 1.1 for w in waits)


def test_connection_refused_gives_up_quickly() -> None:
    calls = 0

    def refused() -> None:
        nonlocal calls
        calls += 1
        raise httpx2.ConnectError("refused")

    with pytest.raises(httpx2.ConnectError):
        call_with_retry(refused, policy=RetryPolicy(connect_attempts=2), sleep=lambda _: None)
    assert calls == 2
