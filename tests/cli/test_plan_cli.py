"""`eeesync plan` flags and output contract: where the plan goes, the last lines, --json,
--detailed-exitcode, --parallelism, and clear errors for what the user must fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from huggingface_hub import HfApi

from eeesync.cli.main import main
from eeesync.localhub import LocalHub
from eeesync.plan.file import parse_plan, read_plan
from tests.e2e.test_plan_e2e import write_config
from tests.helpers import mmlu_overall_record, write_datastore


@pytest.fixture
def project(tmp_path: Path, localhub: LocalHub, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_datastore(
        tmp_path / "ds",
        {
            "mmlu": [mmlu_overall_record("acme/a", 0.5), mmlu_overall_record("acme/b", 0.25)],
            "other": [mmlu_overall_record("acme/c", 0.7)],
        },
    )
    api = HfApi(endpoint=localhub.url, token="x")
    for repo in ("acme/a", "acme/b", "acme/c"):
        api.create_repo(repo)
    write_config(tmp_path, localhub.url)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str) -> int:
    return main(["plan", *args], env={"COLUMNS": "80"})


def test_default_path_summary_and_the_apply_command_last(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run() == 0
    out = capsys.readouterr().out
    (written,) = (project / "plans").glob("*.plan.json")
    assert written.name.startswith("mmlu-")
    relative = f"plans/{written.name}"
    last = out.rstrip("\n").splitlines()[-2:]
    assert last == [
        f"Plan written to {relative}",
        f"To open these PRs, run: eeesync apply {relative}",
    ]
    assert "ready" in out
    assert read_plan(written).counts.prs_to_open == 2


def test_json_prints_exactly_the_plan_file(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("--json", "-o", "out/p.json") == 0
    captured = capsys.readouterr()
    assert captured.out == (project / "out/p.json").read_text()
    assert parse_plan(captured.out).counts.prs_to_open == 2
    json.loads(captured.out)


def test_collections_from_arguments_and_all(project: Path) -> None:
    assert run("other", "-o", "one.json") == 0
    assert read_plan(project / "one.json").inputs.collections == ("other",)
    assert run("--all", "-o", "all.json") == 0
    both = read_plan(project / "all.json")
    assert both.inputs.collections == ("mmlu", "other") and both.counts.prs_to_open == 3


def test_model_and_benchmark_filters_are_recorded(project: Path) -> None:
    assert run("--model", "acme/a*", "--benchmark", "mmlu_pro", "-o", "f.json") == 0
    result = read_plan(project / "f.json")
    assert [r.repo_id for r in result.repos] == ["acme/a"]
    assert result.inputs.model_filter == "acme/a*"
    assert result.inputs.benchmark_filter == ("mmlu_pro",)


def test_detailed_exitcode_and_nothing_to_open(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("--detailed-exitcode", "-o", "a.json") == 2
    assert run("--detailed-exitcode", "--benchmark", "gpqa", "-o", "b.json") == 0
    assert capsys.readouterr().out.rstrip().endswith("Nothing to open: no apply needed.")


def test_a_model_filter_that_matches_no_model_names_the_nearest_ids(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("--detailed-exitcode", "--model", "acme-labs/*", "-o", "typo.json") == 1
    err = capsys.readouterr().err
    assert "--model 'acme-labs/*' matched no model id of the 2 records" in err
    assert "Nearest model ids: acme/a, acme/b." in err
    assert not (project / "typo.json").exists()


def test_no_collection_is_a_clear_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "eeesync.toml").write_text(
        (project / "eeesync.toml").read_text().replace('collections = ["mmlu"]\n', "")
    )
    assert run() == 1
    err = capsys.readouterr().err
    assert "no collection to plan" in err and "--all" in err
    assert "mmlu, other" in err  # names what there is to choose from


def test_unknown_collection_and_bad_flags(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("nope") == 1
    assert "nope" in capsys.readouterr().err
    assert run("mmlu", "--all") == 1
    assert "not both" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        run("--parallelism", "0")
    assert exit_info.value.code == 1


def test_parallelism_and_datastore_flags_override_the_config(project: Path, tmp_path: Path) -> None:
    (project / "ds").rename(project / "elsewhere")
    assert run("--datastore", "elsewhere", "--parallelism", "1", "-o", "p.json") == 0
    result = read_plan(project / "p.json")
    assert result.inputs.datastore_input == "elsewhere"
    assert str(tmp_path) not in (project / "p.json").read_text()  # no absolute local paths
