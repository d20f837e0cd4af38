"""Issue 14 §1: one bad file on the Hub never stops a run. Each hostile file is put on a model's
main and in an open PR of another model, with the ordinary huggingface_hub client; `eeesync
plan` (the real CLI) finishes, blocks only those models' entries with a one-line reason, plans
the healthy model as usual, and the plan file and its render stay small."""

from __future__ import annotations

from pathlib import Path

import pytest
from huggingface_hub import CommitOperationAdd, HfApi

from eeesync.cli.main import main
from eeesync.localhub import LocalHub
from eeesync.plan.file import read_plan
from eeesync.plan.model import Status
from tests.helpers import MMLU_FILE, mmlu_overall_record, write_datastore, write_project_toml
from tests.hostile import BOUNDARY_FILES, HOSTILE_FILES


def seed(api: HfApi, files: dict[str, bytes]) -> list[str]:
    """`hostile/main-NAME` holds the file on main, `hostile/pr-NAME` in an open PR."""
    models = ["acme/fresh"]
    api.create_repo("acme/fresh")
    for name, data in files.items():
        on_main, in_pr = f"hostile/main-{name}", f"hostile/pr-{name}"
        for repo in (on_main, in_pr):
            api.create_repo(repo)
        api.create_commit(on_main, [CommitOperationAdd(MMLU_FILE, data)], commit_message="r")
        api.create_commit(
            in_pr, [CommitOperationAdd(MMLU_FILE, data)], commit_message="r", create_pr=True
        )
        models += [on_main, in_pr]
    return models


@pytest.fixture
def hostile_project(tmp_path: Path, localhub: LocalHub, monkeypatch: pytest.MonkeyPatch) -> Path:
    models = seed(HfApi(endpoint=localhub.url, token="x"), {**HOSTILE_FILES, **BOUNDARY_FILES})
    write_datastore(tmp_path / "ds", {"mmlu": [mmlu_overall_record(m, 0.61) for m in models]})
    write_project_toml(tmp_path, localhub.url)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_every_hostile_file_blocks_only_its_repo_with_a_one_line_reason(
    hostile_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plan", "-o", "p.json"], env={"COLUMNS": "100"}) == 0
    out = capsys.readouterr().out
    plan = read_plan(hostile_project / "p.json")
    statuses = {
        e.desired.repo_id: (e.status, e.reason) for repo in plan.repos for e in repo.entries
    }
    assert statuses["acme/fresh"][0] is Status.READY
    for name in HOSTILE_FILES:
        for place in ("main", "pr"):
            status, reason = statuses[f"hostile/{place}-{name}"]
            assert status is Status.AUDIT_ERROR, (name, place, reason)
            assert "\n" not in reason and MMLU_FILE in reason and len(reason) < 600, reason
    expected = {
        "huge-valid": "over the 1048576-byte limit",
        "bad-date": "!!timestamp value '2024-02-30' is invalid",
        "bomb-notes": "more than 32 aliases",
        "deep": "nest",
        "float-tag": "!!float value 'abc' is invalid",
        "int-tag": "!!int value 'abc' is invalid",
        "timestamp-tag": "!!timestamp value 'foo' is invalid",
        "bool-tag": "!!bool value 'maybe' is invalid",
        "hour-25": "!!timestamp value '2024-01-01 25:00:00' is invalid",
    }
    for name, words in expected.items():
        for place in ("main", "pr"):
            assert words in statuses[f"hostile/{place}-{name}"][1], (name, place)
    assert "more than 1000 entries" in statuses["hostile/main-over-entry-cap"][1]
    # 1,000 conflicting entries: a conflict, told briefly.
    status, reason = statuses["hostile/main-conflicts-at-cap"]
    assert status is Status.SCORE_CONFLICT and len(reason) < 600
    # Bounded plan file and render: far from the 215 MB of the issue.
    assert (hostile_project / "p.json").stat().st_size < 400_000
    assert len(out) < 200_000
