"""Test-wide safety: no test may reach huggingface.co or the developer's HF cache/token."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from huggingface_hub import HfApi

from eeesync.localhub import LocalHub


@pytest.fixture(autouse=True)
def isolated_hf_env(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Temporary HF_HOME, no token, no telemetry, and no connection anywhere but loopback."""
    home = tmp_path_factory.mktemp("hf_home")
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.setenv("HF_HUB_CACHE", str(home / "hub"))
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.setenv("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    monkeypatch.setenv("HF_HUB_DISABLE_IMPLICIT_TOKEN", "1")
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_ENDPOINT", "NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    for name in [n for n in __import__("os").environ if n.startswith("EEESYNC_")]:
        monkeypatch.delenv(name, raising=False)

    real_connect = socket.socket.connect

    def loopback_only(self: socket.socket, address: object) -> object:
        host = address[0] if isinstance(address, tuple) else None
        if host is not None and not (str(host).startswith("127.") or host in ("localhost", "::1")):
            raise AssertionError(f"test tried to reach {address!r}: only loopback is allowed")
        return real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", loopback_only)
    yield


# --- Local Hub fixtures (eeesync.localhub) -------------------------------------------------------


@pytest.fixture(autouse=True)
def isolated_hf_constants(isolated_hf_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point huggingface_hub's constants at the temporary HF_HOME as well.

    huggingface_hub reads HF_HOME, HF_HUB_CACHE, the token path and the telemetry flag once, at
    import time (before any fixture runs), so the environment alone does not isolate the
    download cache: without this, `hf_hub_download` writes to ~/.cache/huggingface and returns
    stale files cached by other tests for the same repo id.
    """
    from huggingface_hub import constants

    home = os.environ["HF_HOME"]
    for name, value in {
        "HF_HOME": home,
        "HF_HUB_CACHE": os.path.join(home, "hub"),
        "HUGGINGFACE_HUB_CACHE": os.path.join(home, "hub"),
        "HF_ASSETS_CACHE": os.path.join(home, "assets"),
        "HF_XET_CACHE": os.path.join(home, "xet"),
        "HF_TOKEN_PATH": os.path.join(home, "token"),
        "HF_STORED_TOKENS_PATH": os.path.join(home, "stored_tokens"),
        "HF_HUB_DISABLE_TELEMETRY": True,
        "HF_HUB_DISABLE_IMPLICIT_TOKEN": True,
        "HF_HUB_DISABLE_PROGRESS_BARS": True,
    }.items():
        monkeypatch.setattr(constants, name, value)


@pytest.fixture
def localhub(tmp_path: Path) -> Iterator[LocalHub]:
    """A running `LocalHub` on an ephemeral 127.0.0.1 port, state in `tmp_path/localhub`."""
    hub = LocalHub(tmp_path / "localhub")
    hub.start()
    try:
        yield hub
    finally:
        hub.stop()


@pytest.fixture
def hub_api(localhub: LocalHub) -> HfApi:
    """An `HfApi` pointed at the `localhub` fixture (the local Hub accepts any token)."""
    return HfApi(endpoint=localhub.url, token="test-token")


@pytest.fixture
def no_client_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """huggingface_hub waits 1→8 s between its own download retries (~23 s for a persistent
    5xx): for tests about what such a failure *means*, skip the waiting, not the retries."""
    from types import SimpleNamespace

    from huggingface_hub.utils import _http

    monkeypatch.setattr(_http, "time", SimpleNamespace(sleep=lambda seconds: None))
