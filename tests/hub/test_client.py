"""hub/client.py: read retries honour Retry-After; a definitive "not found" is not retried;
`classify` tells a missing repo, revision or file apart from a gated, unauthorised, throttled,
failing or unreachable Hub, from the real client's own exceptions."""

from __future__ import annotations

import socket

import httpx2
import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError
from huggingface_hub.utils._http import get_session, hf_raise_for_status

from eeesync.errors import HubUnavailableError
from eeesync.hub.client import (
    Hub,
    HubFailure,
    RetryPolicy,
    call_with_retry,
    classify,
    describe,
    http_status,
    hub_failures,
    is_retryable,
    retry_after_seconds,
)
from eeesync.localhub import FaultConfig, LocalHub


def _error(fn: object, *args: object, **kwargs: object) -> BaseException:
    """The exception the real client raises for this call."""
    with pytest.raises(Exception) as info:
        fn(*args, **kwargs)  # type: ignore[operator]
    return info.value


def test_missing_repo_is_missing_and_not_retried(localhub: LocalHub, hub: Hub) -> None:
    exc = _error(hub.api.model_info, "nobody/nothing")
    assert classify(exc) is HubFailure.MISSING_REPO and not is_retryable(exc)
    localhub.reset_counters()
    with pytest.raises(HfHubHTTPError):
        hub.call(hub.api.model_info, "nobody/nothing")
    assert localhub.counters()["repo_info"] == 1 and hub.retries == 0


def test_gated_repo_is_not_missing(localhub: LocalHub, hub: Hub) -> None:
    localhub.storage.create_repo("acme/gated")
    localhub.storage.commit("acme/gated", {"a.txt": b"x"}, message="a")
    localhub.storage.set_gated("acme/gated")
    url = f"{localhub.url}/acme/gated/resolve/main/a.txt"

    exc = _error(lambda: hf_raise_for_status(get_session().get(url)))
    # GatedRepoError subclasses RepositoryNotFoundError: classify must look at it first.
    assert classify(exc) is HubFailure.GATED and not is_retryable(exc)
    assert not HubFailure.GATED.missing
    assert describe(exc) == "HTTP 403: the repo is gated and this token has no access"


def test_missing_folder_is_a_missing_entry(localhub: LocalHub, hub: Hub) -> None:
    localhub.storage.create_repo("acme/empty")
    exc = _error(lambda: list(hub.api.list_repo_tree("acme/empty", path_in_repo="nope")))
    assert classify(exc) is HubFailure.MISSING_ENTRY and HubFailure.MISSING_ENTRY.missing


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
    exc = _error(hub.call, hub.api.model_info, "acme/model")
    assert isinstance(exc, HfHubHTTPError) and classify(exc) is HubFailure.TRANSIENT
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


# --- classify: what a failure means ---------------------------------------------------------------


def test_a_missing_revision_and_a_missing_file_are_missing(localhub: LocalHub, hub: Hub) -> None:
    localhub.storage.create_repo("acme/model")
    localhub.storage.commit("acme/model", {"a.txt": b"x"}, message="a")
    revision = _error(hub.api.model_info, "acme/model", revision="nope")
    assert classify(revision) is HubFailure.MISSING_REVISION and HubFailure.MISSING_REVISION.missing
    url = f"{localhub.url}/acme/model/resolve/main/b.txt"
    file = _error(lambda: hf_raise_for_status(get_session().get(url)))
    assert classify(file) is HubFailure.MISSING_ENTRY and not is_retryable(file)
    download = _error(hub.api.hf_hub_download, "acme/model", "b.txt")
    assert classify(download) is HubFailure.MISSING_ENTRY


def test_a_private_repo_asked_anonymously_is_the_hubs_not_found(
    localhub: LocalHub, hub: Hub
) -> None:
    """The Hub answers 401 + `RepoNotFound` to an anonymous caller: its definitive answer."""
    localhub.storage.create_repo("acme/secret")
    localhub.storage.set_private("acme/secret")
    exc = _error(hub.api.model_info, "acme/secret")
    assert http_status(exc) == 401 and classify(exc) is HubFailure.MISSING_REPO


@pytest.mark.parametrize("status", [401, 403])
def test_an_auth_refusal_without_an_error_code_is_never_missing(status: int) -> None:
    """A 401 or 403 without `RepoNotFound` is an auth problem, even though huggingface_hub turns
    a bare 401 on a repo URL into `RepositoryNotFoundError`."""
    request = httpx2.Request("GET", "https://hub.example/api/models/acme/model")
    exc = _error(hf_raise_for_status, httpx2.Response(status, request=request))
    assert classify(exc) is HubFailure.TRANSIENT and is_retryable(exc)
    assert describe(exc).startswith(f"HTTP {status}")


@pytest.mark.parametrize(
    "faults",
    [
        FaultConfig(rate_429=1.0, retry_after_s=0, routes=frozenset({"repo_info"})),
        FaultConfig(rate_5xx=1.0, routes=frozenset({"repo_info"})),
    ],
    ids=["429", "5xx"],
)
def test_throttled_and_failing_answers_are_transient(
    localhub: LocalHub, hub: Hub, faults: FaultConfig
) -> None:
    localhub.storage.create_repo("acme/model")
    localhub.set_faults(faults)
    exc = _error(hub.api.model_info, "acme/model")  # the client's own call: no retries
    status = http_status(exc)
    assert status in (429, 500, 503)
    assert classify(exc) is HubFailure.TRANSIENT and is_retryable(exc)
    assert describe(exc).startswith(f"HTTP {status}")


def test_a_download_failing_on_the_server_is_transient_not_a_missing_file(
    localhub: LocalHub, hub: Hub, no_client_backoff: None
) -> None:
    """`hf_hub_download` hides a 5xx behind `LocalEntryNotFoundError`, an `EntryNotFoundError`."""
    localhub.storage.create_repo("acme/model")
    localhub.storage.commit("acme/model", {"a.txt": b"x"}, message="a")
    localhub.set_faults(FaultConfig(rate_5xx=1.0, routes=frozenset({"resolve_head"})))
    exc = _error(hub.api.hf_hub_download, "acme/model", "a.txt")
    assert classify(exc) is HubFailure.TRANSIENT and http_status(exc) in (500, 503)


def test_a_dropped_connection_is_unreachable(localhub: LocalHub, hub: Hub) -> None:
    localhub.storage.create_repo("acme/model")
    localhub.storage.commit("acme/model", {"a.txt": b"x"}, message="a")
    localhub.set_faults(FaultConfig(drop_rate=1.0))
    exc = _error(hub.api.model_info, "acme/model")
    assert classify(exc) is HubFailure.UNREACHABLE and is_retryable(exc)
    download = _error(hub.api.hf_hub_download, "acme/model", "a.txt")
    assert classify(download) is HubFailure.UNREACHABLE


def test_a_hub_nobody_listens_on_is_unreachable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    api = HfApi(endpoint=f"http://127.0.0.1:{port}", token=False)
    exc = _error(api.model_info, "acme/model")
    assert classify(exc) is HubFailure.UNREACHABLE
    assert describe(exc) == type(exc).__name__
    with (
        pytest.raises(HubUnavailableError, match="cannot reach the Hub at local:x"),
        hub_failures("local:x"),
    ):
        raise exc


def test_other_refusals_are_neither_missing_nor_transient(localhub: LocalHub, hub: Hub) -> None:
    localhub.storage.create_repo("acme/model")
    url = f"{localhub.url}/api/models/acme/model/tree/main"
    exc = _error(lambda: hf_raise_for_status(get_session().post(url)))  # 405
    assert classify(exc) is HubFailure.OTHER and not is_retryable(exc)
    with (
        pytest.raises(HubUnavailableError, match=r"refused a request \(HTTP 405\)"),
        hub_failures("local:x"),
    ):
        raise exc


@pytest.mark.parametrize("exc", [ValueError("bug"), KeyError("x"), OSError("disk full")])
def test_what_is_not_a_hub_failure_is_not_classified(exc: BaseException) -> None:
    assert classify(exc) is None and not is_retryable(exc)
    with pytest.raises(type(exc)), hub_failures("local:x"):
        raise exc


def test_describe_in_detail_names_the_server_message_or_the_error() -> None:
    request = httpx2.Request("POST", "https://hub.example/api/models/acme/model/commit/main")
    response = httpx2.Response(
        500, headers={"X-Error-Message": "busy"}, request=request, json={"error": "busy"}
    )
    exc = _error(hf_raise_for_status, response)
    assert describe(exc, detail=True) == "HTTP 500: busy"
    assert describe(ValueError("bad value\nsecond line"), detail=True) == "ValueError: bad value"
    assert describe(KeyError(), detail=True) == "KeyError"
