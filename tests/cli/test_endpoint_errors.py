"""Issue 14 §5 (c, d): endpoints that cannot work are clean errors before any work, never a
traceback, and credentials in an endpoint URL never reach a plan file."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from eeesync.cli.main import main
from eeesync.localhub import LocalHub
from tests.helpers import mmlu_overall_record, write_datastore, write_project_toml


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_datastore(tmp_path / "ds", {"mmlu": [mmlu_overall_record("acme/m", 0.5)]})
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def plan_with(folder: Path, endpoint: str, capsys: pytest.CaptureFixture[str]) -> str:
    write_project_toml(folder, endpoint)
    assert main(["plan", "-o", "p.json"], env={}) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.startswith("Error: ")
    assert not (folder / "p.json").exists()
    return err


@pytest.mark.parametrize(
    "endpoint",
    ["http://user:secret@127.0.0.1:9", "https://hf_token@huggingface.co", "http://:pw@host"],
)
def test_credentials_in_the_endpoint_are_refused_and_never_shown(
    folder: Path, endpoint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    err = plan_with(folder, endpoint, capsys)
    assert "must not hold a user name or password" in err and "HF_TOKEN" in err
    assert "secret" not in err and "hf_token" not in err


def test_credentials_in_hf_endpoint_are_refused(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (folder / "eeesync.toml").write_text(
        '[datastore]\nlocator = "ds"\ncollections = ["mmlu"]\n[sync]\ncheck_tasks = false\n',
        encoding="utf-8",
    )
    assert main(["plan", "-o", "p.json"], env={"HF_ENDPOINT": "http://u:secret@h"}) == 1
    err = capsys.readouterr().err
    assert "HF_ENDPOINT" in err and "user name or password" in err and "secret" not in err


@pytest.mark.parametrize(
    ("endpoint", "words"),
    [
        ("http://[::1", "endpoint"),
        ("http://host:99999", "endpoint"),
        ("local:a-file", "is not a folder"),
        ("local:/proc", "cannot be used"),
    ],
)
def test_unusable_endpoints_are_clean_errors(
    folder: Path, endpoint: str, words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert words in plan_with(folder, endpoint, capsys)


def test_a_refused_token_fails_fast_without_showing_it(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The Hub's 401 to `whoami` is its final word on the token: one request, a clear error
    at once (not the reads' retries for a minute), and the token is never printed."""
    token = "hf_revokedTOKENvalue123"
    with LocalHub(folder / "hub", revoked_tokens={token}) as hub:
        write_project_toml(folder, hub.url)
        started = time.monotonic()
        assert main(["plan", "-o", "p.json"], env={"HF_TOKEN": token}) == 1
        elapsed = time.monotonic() - started
        whoami_requests = hub.counters().get("whoami", 0)
    out, err = capsys.readouterr()
    assert "refused the token (HTTP 401)" in err and "HF_TOKEN" in err
    assert token not in out + err and "Traceback" not in err
    assert whoami_requests == 1 and elapsed < 5
    assert not (folder / "p.json").exists()
