"""Fixtures for the hub tests: an eeesync `Hub` on the local Hub with fast retries."""

from __future__ import annotations

import pytest
from huggingface_hub import HfApi

from eeesync.hub.client import Hub, RetryPolicy
from eeesync.localhub import LocalHub

WEB = "https://huggingface.co"
#: Real retry logic, test-sized waits (the local Hub sends `Retry-After: 0`).
FAST_RETRY = RetryPolicy(attempts=6, base_wait=0.01, max_wait=0.05, max_hinted_wait=0.05)


def make_hub(localhub: LocalHub, *, token: str | bool = False) -> Hub:
    api = HfApi(endpoint=localhub.url, token=token, library_name="eeesync")
    return Hub(api, localhub.url, localhub.url, WEB, FAST_RETRY, timeout=5.0)


@pytest.fixture
def hub(localhub: LocalHub) -> Hub:
    return make_hub(localhub)
