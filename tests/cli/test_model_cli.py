"""`eeesync model`: the command end to end (config file, local Hub, real client, all formats)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eeesync.cli.main import main
from eeesync.localhub import LocalHub
from tests.helpers import AETHER_BF16, AETHER_FP16, MMLU_PRO_022, build_datastore, fixture


@pytest.fixture
def project(tmp_path: Path, localhub: LocalHub, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder: eeesync.toml, a folder datastore and a seeded local Hub."""
    build_datastore(
        tmp_path / "ds",
        {
            "MMLU-Pro": [fixture(MMLU_PRO_022)],
            "hfopenllm_v2": [fixture(AETHER_BF16), fixture(AETHER_FP16)],
        },
    )
    localhub.storage.create_repo("01-ai/Yi-1.5-34B-Chat")
    (tmp_path / "eeesync.toml").write_text(
        f"""
[datastore]
locator = "./ds"
collections = ["MMLU-Pro"]

[hub]
endpoint = "{localhub.url}"

[sync]
check_tasks = false
""",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv, env={"COLUMNS": "80"})
    out, err = capsys.readouterr()
    return code, out, err


def test_text_view_of_a_miscased_id(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["model", "01-ai/yi-1.5-34b-chat"], capsys)
    assert code == 0, err
    assert "Model 01-ai/Yi-1.5-34B-Chat" in out
    assert "recorded as 01-ai/yi-1.5-34b-chat" in out
    assert "absent: plan opens a PR" in out
    assert max(len(line) for line in out.splitlines()) <= 80


def test_json_format(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["model", "01-AI/YI-1.5-34B-CHAT", "--format", "json"], capsys)
    assert code == 0
    data = json.loads(out)
    assert data["model_id"] == "01-ai/Yi-1.5-34B-Chat"
    (group,) = [g for g in data["groups"] if g["benchmark"] == "MMLU-Pro"]
    published = [r for r in group["rows"] if r["hub"] is not None]
    assert [(r["value"], r["hub"]["status"]) for r in published] == [(52.29, "ready")]
    assert len(group["rows"]) == 15  # the overall score and 14 subject scores, all listed


def test_markdown_format_and_named_collections(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        ["model", "daemontatox/aethertot", "hfopenllm_v2", "--format", "markdown"], capsys
    )
    assert code == 0
    assert out.startswith("## Daemontatox/AetherTOT")  # no repo on this Hub: no link
    assert "datastore side only" in out
    assert "- spread mmlu\\_pro: 2 results, 37.78–38.04 (spread 0.26)" in out


def test_all_collections(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["model", "Daemontatox/AetherTOT", "--all", "--format", "json"], capsys)
    assert code == 0
    assert json.loads(out)["collections"] == ["hfopenllm_v2", "MMLU-Pro"]


def test_unknown_id_exits_1_with_a_clear_message(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["model", "nobody/nothing"], capsys)
    assert code == 1
    assert out == ""
    assert "unknown model nobody/nothing" in err
    assert "--all" in err
    assert "Traceback" not in err


def test_unknown_collection_names_the_nearest(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["model", "01-ai/Yi-1.5-34B-Chat", "hfopenllm"], capsys)
    assert code == 1
    assert "hfopenllm_v2" in err


def test_collections_and_all_together_are_refused(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["model", "a/b", "MMLU-Pro", "--all"], capsys)
    assert code == 1 and "not both" in err


def test_no_collection_anywhere(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = project / "eeesync.toml"
    config.write_text(config.read_text().replace('collections = ["MMLU-Pro"]', ""))
    code, _, err = run(["model", "a/b"], capsys)
    assert code == 1 and "no collection to search" in err and "--all" in err
