"""The benchmark registry: built-ins, overrides, recognition, eval.yaml checks
(eeesync/registry.py)."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import pytest
from huggingface_hub import HfApi

from eeesync.errors import RegistryError
from eeesync.hub.client import Hub, RetryPolicy
from eeesync.hub.eval_yaml import read_task_ids
from eeesync.localhub import FaultConfig, LocalHub
from eeesync.registry import (
    TaskCheck,
    TaskStatus,
    check_tasks,
    load_registry,
    parse_eval_yaml,
)
from tests.helpers import HELM_CAPABILITIES_MARIN, HELM_LITE_J2, MMLU_PRO_022, load_fixture


def test_builtin_benchmarks() -> None:
    registry = load_registry()
    assert registry.keys() == (
        "mmlu_pro",
        "gpqa",
        "hle",
        "gsm8k",
        "swe_bench_verified",
        "terminal_bench_2",
        "lexam",
    )
    mmlu, gpqa, hle, gsm8k = registry.benchmarks[:4]
    assert (mmlu.dataset_id, mmlu.task_id, mmlu.task_aliases, mmlu.file_path) == (
        "TIGER-Lab/MMLU-Pro",
        "mmlu_pro",
        (),
        ".eval_results/mmlu_pro.yaml",
    )
    assert (hle.dataset_id, hle.task_id, hle.task_aliases) == ("cais/hle", "hle", ("default",))
    assert (gsm8k.dataset_id, gsm8k.task_id, gsm8k.task_aliases) == (
        "openai/gsm8k",
        "gsm8k",
        ("default",),
    )
    # GPQA: HF's convention (gpqa.yaml, gpqa_diamond); upstream's ids are aliases.
    assert (gpqa.dataset_id, gpqa.file_name, gpqa.default_variant) == (
        "Idavidrein/gpqa",
        "gpqa.yaml",
        None,
    )
    diamond, main = gpqa.variant("diamond"), gpqa.variant("main")
    assert diamond is not None and main is not None
    assert (diamond.task_id, diamond.task_aliases) == ("gpqa_diamond", ("diamond",))
    assert (main.task_id, main.task_aliases) == ("gpqa_main", ("main",))
    assert "gpqa_diamond" in gpqa.task_ids() and "main" in gpqa.task_ids()


def result(**source: Any) -> dict[str, Any]:
    return {"evaluation_name": "x", "source_data": source, "metric_config": {}}


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (result(source_type="hf_dataset", hf_repo="tiger-lab/mmlu-pro"), "mmlu_pro"),
        (result(source_type="hf_dataset", hf_repo="Idavidrein/gpqa"), "gpqa"),
        (result(source_type="hf_dataset", hf_repo="reasoningMIA/gpqa_diamond"), "gpqa"),
        (result(source_type="hf_dataset", hf_repo="cais/hle"), "hle"),
        (result(source_type="hf_dataset", hf_repo="gsm8k"), "gsm8k"),
        (
            result(
                source_type="hf_dataset",
                hf_repo="TIGER-Lab/mmlu_pro_leaderboard_submission",
                additional_details={"benchmark_hf_repo": "TIGER-Lab/MMLU-Pro"},
            ),
            "mmlu_pro",
        ),
        # A named dataset that is not ours is not ours, whatever its name says.
        (
            result(source_type="hf_dataset", hf_repo="someone/gsm8k-copy", dataset_name="GSM8K"),
            None,
        ),
        # Fixed upstream oddity: dataset_name is compared with names, not with the task id.
        (result(source_type="hf_dataset", dataset_name="Humanity's Last Exam"), "hle"),
        (result(source_type="hf_dataset", dataset_name="default"), None),
        (result(source_type="other", dataset_name="MMLU-PRO"), "mmlu_pro"),
        # url sources: the /datasets/<id> URL, or the dataset name (HELM), never a crash.
        (result(source_type="url", url=["https://huggingface.co/datasets/openai/gsm8k/"]), "gsm8k"),
        (result(source_type="url", dataset_name="GPQA", url=["https://helm/x.json"]), "gpqa"),
        (
            result(source_type="url", url="https://www.kaggle.com/x", dataset_name="global-mmlu"),
            None,
        ),
        (
            {"evaluation_result_id": "hle/accuracy", "source_data": {"dataset_name": "default"}},
            "hle",
        ),
        ({"evaluation_name": "no source"}, None),
    ],
)
def test_recognisers(item: dict[str, Any], expected: str | None) -> None:
    found = load_registry().find_benchmarks(item)
    assert [b.key for b in found] == ([expected] if expected else [])


def test_real_records_are_recognised() -> None:
    registry = load_registry()
    mmlu = load_fixture(MMLU_PRO_022)["evaluation_results"]
    assert {b.key for r in mmlu for b in registry.find_benchmarks(r)} == {"mmlu_pro"}
    helm = load_fixture(HELM_CAPABILITIES_MARIN)["evaluation_results"]
    assert [b.key for r in helm for b in registry.find_benchmarks(r)] == ["mmlu_pro", "gpqa"]
    lite = load_fixture(HELM_LITE_J2)["evaluation_results"]
    assert [b.key for r in lite for b in registry.find_benchmarks(r)] == ["gsm8k"]


def test_overrides_change_add_and_remove_benchmarks() -> None:
    base = load_registry()
    registry = load_registry(
        {
            "gsm8k": {"task_id": "default", "task_aliases": ["gsm8k"]},
            "gpqa": {"default_variant": "diamond", "variants": {"main": {"notes": "main set"}}},
            "hle": {"enabled": False},
            "ifeval": {
                "name": "IFEval",
                "dataset_id": "google/IFEval",
                "task_id": "ifeval",
                "hf_repos": ["google/IFEval"],
                "scale": "proportion",
            },
        }
    )
    assert registry.keys() == (
        "mmlu_pro",
        "gpqa",
        "gsm8k",
        "swe_bench_verified",
        "terminal_bench_2",
        "lexam",
        "ifeval",
    )
    assert registry.get("gsm8k").task_id == "default"
    gpqa = registry.get("gpqa")
    assert gpqa.default_variant == "diamond"
    main = gpqa.variant("main")
    assert main is not None and (main.notes, main.task_id) == ("main set", "gpqa_main")
    assert registry.get("ifeval").file_name == "ifeval.yaml"
    assert registry.digest() != base.digest() and base.digest() == load_registry().digest()
    with pytest.raises(KeyError):
        registry.get("hle")


def test_an_override_that_makes_an_alias_the_task_id_drops_it_from_the_aliases() -> None:
    gsm8k = load_registry({"gsm8k": {"task_id": "default"}}).get("gsm8k")
    assert gsm8k is not None
    assert (gsm8k.task_id, gsm8k.task_aliases) == ("default", ())


@pytest.mark.parametrize(
    ("table", "key", "message"),
    [
        ({"gsm8k": {"task_idd": "x"}}, "benchmarks.gsm8k.task_idd", "unknown key"),
        ({"gsm8k": {"task_aliases": "default"}}, "benchmarks.gsm8k.task_aliases", "must be a list"),
        ({"gsm8k": {"hf_repos": [""]}}, "benchmarks.gsm8k.hf_repos", "non-empty strings"),
        ({"gsm8k": {"name": True}}, "benchmarks.gsm8k.name", "not a boolean"),
        ({"gsm8k": {"dataset_id": "../../x"}}, "benchmarks.gsm8k.dataset_id", "not a valid"),
        ({"gsm8k": {"file_name": "../x.yaml"}}, "benchmarks.gsm8k.file_name", "plain"),
        ({"gsm8k": {"scale": "logit"}}, "benchmarks.gsm8k.scale", "must be one of"),
        ({"gsm8k": {"task_id": "two words"}}, "benchmarks.gsm8k.task_id", "whitespace"),
        ({"gpqa": {"default_variant": "huge"}}, "benchmarks.gpqa.default_variant", "not one of"),
        (
            {"hle": {"setup": ["agent", "mood"]}},
            "benchmarks.hle.setup",
            "unknown setup fact 'mood'",
        ),
        ({"hle": {"setup": "agent"}}, "benchmarks.hle.setup", "must be a list"),
        ({"hle": {"dataset_aliases": ["../x"]}}, "benchmarks.hle.dataset_aliases", "not a valid"),
        ({"hle": {"sub_scores": [""]}}, "benchmarks.hle.sub_scores", "non-empty strings"),
        (
            {"mmlu_pro": {"source_setups": {"X": 5}}},
            "benchmarks.mmlu_pro.source_setups.X",
            "string",
        ),
        ({"mmlu_pro": {"source_setups": {"X": " "}}}, "benchmarks.mmlu_pro.source_setups", "texts"),
        (
            {"gpqa": {"variants": {"x": {"notes": "n"}}}},
            "benchmarks.gpqa.variants.x.task_id",
            "required",
        ),
        (
            {"gpqa": {"source_variants": {"Open LLM": "nope"}}},
            "benchmarks.gpqa.source_variants",
            "not one",
        ),
        (
            {"new": {"name": "New", "dataset_id": "a/b", "task_id": "t"}},
            "benchmarks.new",
            "recogniser",
        ),
        (
            {"new": {"name": "New", "task_id": "t", "hf_repos": ["a/b"]}},
            "benchmarks.new.dataset_id",
            "required",
        ),
        ({"Bad Key": {"name": "x"}}, "benchmarks.Bad Key", "lower-case"),
        ({"gsm8k": "not a table"}, "benchmarks.gsm8k", "must be a table"),
    ],
)
def test_bad_tables_name_the_key(table: dict[str, Any], key: str, message: str) -> None:
    with pytest.raises(RegistryError, match=message) as caught:
        load_registry(table)
    assert caught.value.key is not None and caught.value.key.startswith(key)


def test_errors_name_the_config_file_and_line(tmp_path: Path) -> None:
    config = tmp_path / "eeesync.toml"
    config.write_text('[hub]\nendpoint = "local:x"\n\n[benchmarks.gsm8k]\nscale = "odd"\n')
    with pytest.raises(RegistryError) as caught:
        load_registry({"gsm8k": {"scale": "odd"}}, source_path=config)
    assert caught.value.line == 5 and str(config) in str(caught.value)


def test_task_check_resolution() -> None:
    check = TaskCheck(
        statuses=(
            TaskStatus("gsm8k", "openai/gsm8k", defined=("default",)),
            TaskStatus("gpqa", "Idavidrein/gpqa", defined=("gpqa_diamond", "gpqa_main")),
            TaskStatus("hle", "cais/hle", error="no eval.yaml"),
            TaskStatus("mmlu_pro", "TIGER-Lab/MMLU-Pro", defined=("other",)),
        )
    )
    assert check.resolve("gsm8k", "gsm8k", ("default",)) == "default"
    assert check.resolve("gpqa", "gpqa_diamond", ("diamond",)) == "gpqa_diamond"
    assert check.resolve("hle", "hle", ("default",)) is None
    assert check.resolve("unknown", "x", ()) is None
    missing = check.missing(load_registry())
    assert ("gpqa", "extended", ("gpqa_extended", "extended")) in missing
    assert ("mmlu_pro", "", ("mmlu_pro",)) in missing
    assert [s.key for s in check.errors()] == ["hle"]


def test_parse_eval_yaml() -> None:
    text = (
        "name: GPQA\ndescription: d\nevaluation_framework: inspect-ai\n"
        "tasks:\n  - id: gpqa_diamond\n    config: gpqa_diamond\n"
    )
    assert parse_eval_yaml(text) == ("gpqa_diamond",)
    for bad, message in [
        ("tasks: [", "not valid YAML"),
        ("- a\n- b\n", "no `tasks:` list"),
        ("tasks:\n  - config: x\n", r"tasks\[0\] has no string `id`"),
    ]:
        with pytest.raises(ValueError, match=message):
            parse_eval_yaml(bad)


EVAL_YAML = {
    "TIGER-Lab/MMLU-Pro": "tasks:\n  - id: mmlu_pro\n",
    "Idavidrein/gpqa": "tasks:\n  - id: gpqa_diamond\n  - id: gpqa_main\n  - id: gpqa_extended\n",
    "cais/hle": "tasks:\n  - id: hle\n",
    "openai/gsm8k": "tasks:\n  - id: default\n",
    "SWE-bench/SWE-bench_Verified": "tasks:\n  - id: swe_bench_verified\n",
    "harborframework/terminal-bench-2.0": "tasks:\n  - id: terminal_bench_2\n",
    "LEXam-Benchmark/LEXam": "tasks:\n  - id: open_question\n  - id: mcq_4_choices\n",
}


def seed_eval_yaml(localhub: LocalHub, files: dict[str, str | None]) -> None:
    """Dataset repos holding eval.yaml (None: the repo exists without one)."""
    for repo_id, text in files.items():
        localhub.storage.create_repo(repo_id, repo_type="dataset")
        if text is not None:
            localhub.storage.commit(repo_id, {"eval.yaml": text.encode()}, repo_type="dataset")


def test_check_tasks_against_the_local_hub(localhub: LocalHub, hub_api: HfApi) -> None:
    seed_eval_yaml(localhub, EVAL_YAML)
    hub = Hub(hub_api, localhub.url, localhub.url, localhub.url, RetryPolicy(2, 0.01))
    check = check_tasks(load_registry(), read=partial(read_task_ids, hub))
    assert check.errors() == [] and check.missing(load_registry()) == []
    assert check.resolve("gsm8k", "gsm8k", ("default",)) == "default"
    assert check.resolve("hle", "hle", ("default",)) == "hle"


def test_check_tasks_reports_problems_as_data(localhub: LocalHub, hub_api: HfApi) -> None:
    seed_eval_yaml(
        localhub,
        {
            "TIGER-Lab/MMLU-Pro": "tasks:\n  - id: mmlu-pro\n",
            "Idavidrein/gpqa": None,
            "cais/hle": "tasks: [oops",
        },
    )
    hub = Hub(hub_api, localhub.url, localhub.url, localhub.url, RetryPolicy(2, 0.01))
    registry = load_registry()
    check = check_tasks(registry, read=partial(read_task_ids, hub))
    errors = {s.key: s.error for s in check.errors()}
    assert "has no eval.yaml" in errors["gpqa"]
    assert "not valid YAML" in errors["hle"]
    assert "was not found" in errors["gsm8k"]
    assert check.missing(registry) == [("mmlu_pro", "", ("mmlu_pro",))]


def test_an_eval_yaml_the_hub_fails_to_serve_is_not_a_missing_one(
    localhub: LocalHub, hub_api: HfApi, no_client_backoff: None
) -> None:
    """A 5xx on the eval.yaml GET is a Hub failure, never "not a Community Evals benchmark"."""
    seed_eval_yaml(localhub, EVAL_YAML)
    localhub.set_faults(FaultConfig(rate_5xx=1.0, routes=frozenset({"resolve_get"})))
    hub = Hub(hub_api, localhub.url, localhub.url, localhub.url, RetryPolicy(2, 0.01))
    errors = {
        s.key: s.error
        for s in check_tasks(load_registry(), read=partial(read_task_ids, hub)).errors()
    }
    assert set(errors) == set(load_registry().keys())
    for error in errors.values():
        assert "cannot read eval.yaml of" in error and "HTTP 50" in error
        assert "has no eval.yaml" not in error
