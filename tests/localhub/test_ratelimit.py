"""Fixed-window rate limits (`eeesync/localhub/ratelimit.py`) and the headers the client parses."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError
from huggingface_hub.utils import get_session, parse_ratelimit_headers

from eeesync.localhub import LocalHub, RateLimitConfig
from eeesync.localhub.ratelimit import RateLimiter

REPO = "acme/model-a"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_fixed_window_counts_and_resets() -> None:
    clock = FakeClock()
    limiter = RateLimiter(
        RateLimitConfig(api_quota=2, resolvers_quota=1, window_s=300), clock=clock
    )
    first = limiter.check("api")
    assert first.allowed
    info = parse_ratelimit_headers(dict(first.headers))
    assert info is not None
    assert (
        info.resource_type,
        info.remaining,
        info.reset_in_seconds,
        info.limit,
        info.window_seconds,
    ) == ("api", 1, 300, 2, 300)
    clock.now += 100
    assert limiter.check("api").allowed
    denied = limiter.check("api")
    assert not denied.allowed and dict(denied.headers)["Retry-After"] == "200"
    info = parse_ratelimit_headers(dict(denied.headers))
    assert info is not None and info.remaining == 0 and info.reset_in_seconds == 200
    assert limiter.check("resolvers").allowed  # buckets are separate
    assert not limiter.check("resolvers").allowed
    clock.now += 200
    assert limiter.check("api").allowed  # a new window


def test_defaults_are_the_hubs_free_tier() -> None:
    config = RateLimitConfig()
    assert (config.api_quota, config.resolvers_quota, config.window_s) == (1000, 5000, 300)
    with pytest.raises(ValueError):
        RateLimitConfig(window_s=0)


@pytest.mark.slow
def test_off_unless_enabled(localhub: LocalHub) -> None:
    localhub.storage.create_repo(REPO)
    for _ in range(1100):  # more than the default api quota
        resp = get_session().get(f"{localhub.url}/api/models/{REPO}")
        assert resp.status_code == 200 and "RateLimit" not in resp.headers
    assert localhub.rate_limits is None
    assert not any(k.startswith("ratelimited") for k in localhub.counters())


def test_api_bucket_surfaces_429_with_parsed_headers(tmp_path: Path) -> None:
    with LocalHub(tmp_path / "h", rate_limits=RateLimitConfig(api_quota=2, window_s=60)) as hub:
        hub.storage.create_repo(REPO)
        hub.storage.commit(REPO, {"a.txt": b"a"}, message="a")
        api = HfApi(endpoint=hub.url, token="t")
        api.model_info(REPO)
        api.model_info(REPO)
        with pytest.raises(HfHubHTTPError) as err:
            api.model_info(REPO)
        assert err.value.response.status_code == 429
        assert "'api' rate limit" in str(err.value)
        info = parse_ratelimit_headers(err.value.response.headers)
        assert info is not None and info.resource_type == "api" and info.remaining == 0
        assert info.limit == 2 and info.window_seconds == 60 and 0 < info.reset_in_seconds <= 60
        assert err.value.response.headers["RateLimit-Policy"] == '"fixed window";"api";q=2;w=60'
        # Downloads use the other bucket and still work.
        assert Path(api.hf_hub_download(REPO, "a.txt")).read_text() == "a"
        assert hub.counters()["ratelimited.api"] == 1


def test_retrying_calls_wait_for_the_window(tmp_path: Path) -> None:
    limits = RateLimitConfig(api_quota=1, resolvers_quota=1, window_s=1)
    with LocalHub(tmp_path / "h", rate_limits=limits) as hub:
        hub.storage.create_repo(REPO)
        api = HfApi(endpoint=hub.url, token="t")
        api.list_repo_files(REPO)
        started = time.monotonic()
        assert api.list_repo_files(REPO) == [".gitattributes"]  # waited t+1 s, then succeeded
        assert time.monotonic() - started >= 1
        assert hub.counters()["ratelimited.api"] >= 1


def test_limits_change_at_run_time(localhub: LocalHub, hub_api: HfApi) -> None:
    localhub.storage.create_repo(REPO)
    localhub.set_rate_limits(RateLimitConfig(api_quota=0, window_s=60))
    with pytest.raises(HfHubHTTPError):
        hub_api.model_info(REPO)
    localhub.set_rate_limits(None)
    assert hub_api.model_info(REPO).id == REPO


def test_writes_have_a_quota_of_their_own(tmp_path: Path) -> None:
    """Commits, PRs and comments beyond `writes_quota` get 429 + Retry-After (the client does
    not retry them); reads go on."""
    limits = RateLimitConfig(writes_quota=2, writes_window_s=60)
    with LocalHub(tmp_path / "hub", rate_limits=limits) as hub:
        hub.storage.create_repo(REPO)
        api = HfApi(endpoint=hub.url, token="t")
        api.upload_file(path_or_fileobj=b"a", path_in_repo="a.txt", repo_id=REPO)
        api.create_discussion(REPO, title="Question")
        with pytest.raises(HfHubHTTPError) as refused:
            api.comment_discussion(REPO, 1, "more")
        response = refused.value.response
        assert response.status_code == 429 and 55 <= int(response.headers["Retry-After"]) <= 60
        assert "RateLimit" not in response.headers or "writes" not in response.headers["RateLimit"]
        assert api.list_repo_files(REPO) == [".gitattributes", "a.txt"]  # reads are not writes
        assert hub.counters()["ratelimited.writes"] == 1
