"""One answer to "is this a local endpoint", for links, pinning and apply's token check."""

from __future__ import annotations

from pathlib import Path

import pytest

from eeesync.cli.apply import _require_token
from eeesync.config import Config
from eeesync.errors import UserError
from eeesync.hub.client import is_rehearsal_endpoint

LOCAL = [
    "local:.eeesync/localhub",
    "http://127.0.0.1:8000",
    "http://127.0.0.1:8000/",  # a trailing slash: apply used to ask for a token here
    "http://127.5.6.7",
    "http://localhost:9/",
    "http://LOCALHOST:9",
    "http://[::1]:9",
    "http://0.0.0.0:8000",  # this machine: apply used to ask for a token here too
]
REMOTE = [
    "https://huggingface.co",
    "https://huggingface.co/",
    "https://127.0.0.1.example.com",  # only looks local: it used to count as local
    "http://localhost.example.com:9",
    "ftp://127.0.0.1",
    "not a url",
]


@pytest.mark.parametrize("endpoint", LOCAL)
def test_local_endpoints(endpoint: str) -> None:
    assert is_rehearsal_endpoint(endpoint)


@pytest.mark.parametrize("endpoint", REMOTE)
def test_remote_endpoints(endpoint: str) -> None:
    assert not is_rehearsal_endpoint(endpoint)


@pytest.mark.parametrize("endpoint", LOCAL)
def test_apply_needs_no_token_for_a_local_endpoint(endpoint: str, tmp_path: Path) -> None:
    _require_token(Config(endpoint_input=endpoint, base_dir=tmp_path))


@pytest.mark.parametrize("endpoint", REMOTE[:3])
def test_apply_needs_a_token_for_any_other(endpoint: str, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="needs a Hugging Face token"):
        _require_token(Config(endpoint_input=endpoint, base_dir=tmp_path))
