"""`eeesync benchmarks [--check] [--json]` (eeesync/cli/benchmarks.py) against the local Hub."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from eeesync.cli.main import main
from eeesync.localhub import LocalHub
from tests.helpers import build_datastore
from tests.test_registry import EVAL_YAML, seed_eval_yaml


def write_config(folder: Path, endpoint: str, extra: str = "") -> Path:
    config = folder / "eeesync.toml"
    config.write_text(f'[hub]\nendpoint = "{endpoint}"\n{extra}')
    return config


def test_lists_the_registry_at_80_columns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, "http://127.0.0.1:9")
    code = main(["--config", str(config), "benchmarks"], env={"COLUMNS": "80"})
    out = capsys.readouterr().out
    assert code == 0
    assert max(len(line) for line in out.splitlines()) <= 80
    for text in ("mmlu_pro", "TIGER-Lab/MMLU-Pro", "gpqa_diamond", "cais/hle", "openai/gsm8k"):
        assert text in out


@pytest.mark.parametrize("default", [False, True])
def test_the_variant_legend_explains_only_marks_that_are_shown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], default: bool
) -> None:
    """`*` is explained when a benchmark's default variant carries it, never otherwise."""
    extra = '[benchmarks.gpqa]\ndefault_variant = "diamond"\n' if default else ""
    config = write_config(tmp_path, "http://127.0.0.1:9", extra)
    assert main(["--config", str(config), "benchmarks"], env={"COLUMNS": "200"}) == 0
    out = capsys.readouterr().out
    table, _, legend = out.partition("Variants:")
    assert ("diamond *" in table) == default
    assert ("* marks the default" in legend) == default
    assert "naming no variant is skipped (variant_unknown)" in legend


def test_json_includes_overrides(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    extra = '\n[benchmarks.gsm8k]\ntask_id = "default"\ntask_aliases = ["gsm8k"]\n'
    config = write_config(tmp_path, "http://127.0.0.1:9", extra)
    assert main(["--config", str(config), "benchmarks", "--json"], env={}) == 0
    data = json.loads(capsys.readouterr().out)
    gsm8k = next(b for b in data["benchmarks"] if b["key"] == "gsm8k")
    assert gsm8k["task_id"] == "default" and data["registry_digest"].startswith("sha256:")


def test_bad_override_is_a_clean_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, "http://127.0.0.1:9", '\n[benchmarks.gsm8k]\nscale = "odd"\n')
    assert main(["--config", str(config), "benchmarks"], env={"COLUMNS": "200"}) == 1
    err = capsys.readouterr().err
    assert "benchmarks.gsm8k.scale" in err and ":5" in err


def test_check_passes_when_eval_yaml_defines_every_task(
    tmp_path: Path, localhub: LocalHub, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_eval_yaml(localhub, EVAL_YAML)
    config = write_config(tmp_path, localhub.url)
    code = main(["--config", str(config), "benchmarks", "--check"], env={"COLUMNS": "100"})
    out = capsys.readouterr().out
    assert code == 0, out
    assert "All task ids are defined" in out


def test_check_reports_missing_tasks_and_exits_1(
    tmp_path: Path, localhub: LocalHub, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_eval_yaml(localhub, {**EVAL_YAML, "openai/gsm8k": "tasks:\n  - id: main\n"})
    config = write_config(tmp_path, localhub.url)
    code = main(["--config", str(config), "benchmarks", "--check"], env={"COLUMNS": "120"})
    out = capsys.readouterr().out
    assert code == 1
    assert "missing gsm8k/default" in out
    assert main(["--config", str(config), "benchmarks", "--check", "--json"], env={}) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["check"]["missing"] == [
        {"benchmark": "gsm8k", "variant": "", "task_ids": ["gsm8k", "default"]}
    ]


def test_check_against_an_unreachable_hub_never_reads_another_hubs_downloads(
    tmp_path: Path, localhub: LocalHub, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 14 §5a: eval.yaml files read from one Hub (the demo's local one) must not answer
    for another endpoint: the shared HF cache is keyed by repo id, not by endpoint."""
    seed_eval_yaml(localhub, EVAL_YAML)
    local = write_config(tmp_path, localhub.url)
    assert main(["--config", str(local), "benchmarks", "--check"], env={"COLUMNS": "100"}) == 0
    capsys.readouterr()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    (tmp_path / "away").mkdir()
    away = write_config(tmp_path / "away", f"http://127.0.0.1:{port}")
    code = main(["--config", str(away), "benchmarks", "--check"], env={"COLUMNS": "200"})
    out = capsys.readouterr().out
    assert code == 1 and "All task ids are defined" not in out
    assert f"cannot reach http://127.0.0.1:{port}" in out


SHAPES = Path(__file__).parents[1] / "fixtures" / "adapter-shapes"
OFFICIAL = {
    **EVAL_YAML,
    # listed under its other id: the registry's alias covers it
    "terminal-bench/terminal-bench-2.0": "tasks:\n  - id: terminal_bench_2\n",
    "allenai/olmOCR-bench": "tasks:\n  - id: overall\n  - id: arxiv_math\n",
}
NOT_LISTED = ("openai/gsm8k", "harborframework/terminal-bench-2.0")  # on the Hub, not official


def seed_official(localhub: LocalHub) -> None:
    seed_eval_yaml(localhub, OFFICIAL)
    for repo_id in OFFICIAL:
        if repo_id not in NOT_LISTED:
            localhub.storage.set_official_benchmark(repo_id, repo_type="dataset")


def test_discover_lists_official_benchmarks_against_the_registry(
    tmp_path: Path, localhub: LocalHub, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_official(localhub)
    build_datastore(
        tmp_path / "ds",
        {
            adapter: [json.loads(p.read_text()) for p in sorted((SHAPES / adapter).glob("*.json"))]
            for adapter in ("terminal_bench_2", "hle", "hfopenllm_v2")
        },
    )
    config = write_config(tmp_path, localhub.url, '[datastore]\nlocator = "./ds"\n')
    argv = ["--config", str(config), "benchmarks", "--discover"]
    assert main([*argv, "--json"], env={}) == 0
    data = json.loads(capsys.readouterr().out)
    listed = {b["dataset_id"]: b for b in data["official"]}
    assert set(listed) == set(OFFICIAL) - set(NOT_LISTED)
    assert listed["allenai/olmOCR-bench"]["covered_by"] == []
    assert listed["allenai/olmOCR-bench"]["task_ids"] == ["overall", "arxiv_math"]
    assert listed["terminal-bench/terminal-bench-2.0"]["covered_by"] == ["terminal_bench_2"]
    assert listed["LEXam-Benchmark/LEXam"]["task_ids"] == ["open_question", "mcq_4_choices"]
    assert all(b["coverage"] is None for b in data["official"])
    assert data["not_official"] == [["gsm8k", "openai/gsm8k"]]

    # given collections: what each benchmark could map
    assert main([*argv, "terminal_bench_2", "hle", "hfopenllm_v2", "--json"], env={}) == 0
    data = json.loads(capsys.readouterr().out)
    coverage = {b["dataset_id"]: b["coverage"] for b in data["official"]}
    assert coverage["terminal-bench/terminal-bench-2.0"] == {"mapped": 2, "skipped": 0}
    assert coverage["cais/hle"] == {"mapped": 1, "skipped": 1}  # one API-only model
    assert coverage["TIGER-Lab/MMLU-Pro"] == {"mapped": 1, "skipped": 0}
    assert coverage["Idavidrein/gpqa"] == {"mapped": 0, "skipped": 1}  # no subset
    assert data["unmatched_results"] == 4 and data["records_seen"] == 5

    assert main([*argv, "hle"], env={"COLUMNS": "120"}) == 0
    out = capsys.readouterr().out
    assert "allenai/olmOCR-bench" in out and "not covered" in out
    assert "Registry entry gsm8k (openai/gsm8k) is not an official benchmark" in out
