"""Issue 14 §5 (b, d): a re-plan never overwrites an applied plan, its default name says which
filters made it, an unknown `--benchmark` is an error, and an output that cannot be written is
refused before the audit (no Hub request made)."""

from __future__ import annotations

from pathlib import Path

import pytest
from huggingface_hub import HfApi

from eeesync.apply.journal import journal_path
from eeesync.cli.main import main
from eeesync.localhub import LocalHub
from eeesync.plan.file import read_plan
from tests.helpers import scenario_records, seed_scenario_hub, write_datastore, write_project_toml


@pytest.fixture
def project(tmp_path: Path, localhub: LocalHub, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_datastore(tmp_path / "ds", {"mmlu": scenario_records()})
    seed_scenario_hub(HfApi(endpoint=localhub.url, token="seed-token"))
    write_project_toml(tmp_path, localhub.url)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def plan(*args: str) -> int:
    return main(["plan", *args], env={"COLUMNS": "200"})


def written(project: Path) -> set[str]:
    return {p.name for p in (project / "plans").glob("*.plan.json")}


def test_filters_name_the_plan_and_an_applied_plan_is_never_overwritten(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert plan() == 0
    (first,) = written(project)
    applied = project / "plans" / first
    journal_path(applied).write_text('{"event": "run"}\n', encoding="utf-8")
    before = applied.read_bytes()
    capsys.readouterr()

    assert plan("--model", "acme/fresh") == 0
    assert plan("--benchmark", "gpqa") == 0
    names = written(project) - {first}
    assert any("model-acme" in n for n in names) and any("bench-gpqa" in n for n in names)

    assert plan() == 0  # same inputs as the applied plan: a new file, not an overwrite
    out = capsys.readouterr().out
    assert applied.read_bytes() == before
    (fresh,) = written(project) - {first} - names
    assert f"{first} has an apply journal" in out and fresh in out
    assert read_plan(project / "plans" / fresh).inputs.model_filter == ""


def test_o_onto_an_applied_plan_is_refused_before_the_audit(
    project: Path, localhub: LocalHub, capsys: pytest.CaptureFixture[str]
) -> None:
    assert plan("-o", "p.json") == 0
    journal_path(project / "p.json").write_text("{}\n", encoding="utf-8")
    before = (project / "p.json").read_bytes()
    localhub.reset_counters()
    assert plan("-o", "p.json", "--model", "nomatch/*") == 1
    err = capsys.readouterr().err
    assert "p.json has an apply journal" in err and "Traceback" not in err
    assert (project / "p.json").read_bytes() == before
    assert localhub.counters().get("api", 0) == 0


def test_an_unknown_benchmark_key_is_an_error_naming_the_known_ones(
    project: Path, localhub: LocalHub, capsys: pytest.CaptureFixture[str]
) -> None:
    localhub.reset_counters()
    assert plan("--benchmark", "mmlu", "-o", "p.json") == 1
    err = capsys.readouterr().err
    assert "unknown benchmark 'mmlu'" in err and "mmlu_pro" in err and "gpqa" in err
    assert not (project / "p.json").exists() and localhub.counters().get("api", 0) == 0


@pytest.mark.parametrize("target", ["-o a-folder", "-o a-file/p.json", "[paths] plans = a-file"])
def test_an_unwritable_output_is_refused_before_the_audit(
    project: Path, localhub: LocalHub, target: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "a-folder").mkdir()
    (project / "a-file").write_text("x", encoding="utf-8")
    if target.startswith("[paths]"):
        with (project / "eeesync.toml").open("a", encoding="utf-8") as f:
            f.write('[paths]\nplans = "a-file"\n')
        args: list[str] = []
    else:
        args = target.split()
    localhub.reset_counters()
    assert plan(*args) == 1
    err = capsys.readouterr().err
    assert "cannot write the plan" in err and "Traceback" not in err
    assert localhub.counters().get("api", 0) == 0


def test_a_failed_plan_leaves_no_plan_folder_and_no_local_hub_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_datastore(tmp_path / "ds", {"mmlu": scenario_records()})
    write_project_toml(tmp_path, "local:.eeesync/localhub")
    monkeypatch.chdir(tmp_path)
    assert plan("mmlu-pro") == 1  # a typo of a collection name
    err = capsys.readouterr().err
    assert "unknown collection 'mmlu-pro' (nearest: mmlu)" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds", "eeesync.toml"]


def test_o_makes_one_missing_folder_and_says_so_never_a_whole_path(
    project: Path, localhub: LocalHub, capsys: pytest.CaptureFixture[str]
) -> None:
    localhub.reset_counters()
    assert plan("-o", "deep/er/p.json") == 1
    err = capsys.readouterr().err
    assert "the folder" in err and "deep does not exist" in err and "mkdir -p" in err
    assert not (project / "deep").exists() and localhub.counters().get("api", 0) == 0

    assert plan("-o", "out/p.json") == 0
    assert "Created the folder out" in capsys.readouterr().out
    assert (project / "out" / "p.json").is_file()
