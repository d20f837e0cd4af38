"""EEE records → desired `.eval_results` entries (eeesync/mapping/)."""

from __future__ import annotations

import hashlib
import json
import math
import random
from pathlib import Path
from typing import Any

import attrs
import pytest
import yaml
from huggingface_hub import HfApi, eval_result_entries_to_yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from eeesync.datastore import open_datastore, read_datastore, resolve_locator
from eeesync.datastore.index import IndexRow
from eeesync.datastore.locator import Locator
from eeesync.datastore.records import Record, record_from_json
from eeesync.hub.client import Hub, RetryPolicy
from eeesync.localhub import LocalHub
from eeesync.mapping import (
    REASONS,
    MappingOptions,
    MappingResult,
    map_records,
)
from eeesync.plan.merge import to_hub_entry
from eeesync.plan.model import EvalEntry
from eeesync.registry import TaskCheck, TaskStatus, load_registry
from tests.helpers import (
    AETHER_BF16,
    AETHER_FP16,
    FIXTURES,
    HELM_CAPABILITIES_MARIN,
    HELM_LITE_J2,
    MMLU_PRO_022,
    build_datastore,
    fixture,
    load_fixture,
    mmlu_record,
    upload_datastore,
)

SHA = "abc123" + "0" * 34
LOCATOR = Locator(
    input="evaleval/EEE_datastore", kind="hub", repo_id="evaleval/EEE_datastore", revision=SHA
)
REGISTRY = load_registry()
UUID_022 = "676f4465-ce78-411a-9f5a-c97b3d2eac4f"


def make_record(
    data: dict[str, Any],
    *,
    line: int = 1,
    subset: str | None = None,
    collection: str = "c",
    uuid: str | None = None,
) -> Record:
    content = json.dumps(data).encode()
    uuid = uuid or hashlib.sha256(content + str(line).encode()).hexdigest()[:32]
    row = IndexRow(
        collection=collection,
        line=line,
        object_path=f"flat/objects/{uuid[:2]}/{uuid[2:4]}/{uuid}.json",
        sha256=hashlib.sha256(content).hexdigest(),
        size_bytes=len(content),
        subset=subset,
    )
    record = record_from_json(row, data)
    assert isinstance(record, Record), record
    return record


def run(*records: Record, tasks: TaskCheck | None = None, **options: Any) -> MappingResult:
    return map_records(records, REGISTRY, LOCATOR, options=MappingOptions(**options), tasks=tasks)


def one_entry(result: MappingResult) -> Any:
    assert result.skipped == () and result.conflicts == ()
    (entry,) = result.desired
    return entry


def yaml_text(result: MappingResult) -> str:
    entries = [to_hub_entry(d.entry) for d in result.desired]
    return yaml.safe_dump(eval_result_entries_to_yaml(entries), sort_keys=False)


# --- The upstream worked examples ---------------------------------------------------------------


def test_worked_example_1_committed_fixture(tmp_path: Path) -> None:
    """The EEE converter's first worked example: same entry, pinned to the resolved sha."""
    built = build_datastore(tmp_path / "ds", {"MMLU-Pro": [fixture(MMLU_PRO_022)]})
    read = read_datastore(
        resolve_locator(str(built.root), hub=None, base_dir=tmp_path, link_repo="x/y"),
        None,
        hub=None,
        cache=None,
    )
    result = run(*read.records)
    entry = one_entry(result)
    assert entry.repo_id == "01-ai/yi-1.5-34b-chat" and entry.benchmark == "mmlu_pro"
    assert entry.file_path == ".eval_results/mmlu_pro.yaml"
    assert entry.provenance.result_id == "mmlu_pro/overall"
    assert entry.raw_value == 0.5229 and entry.metric == "mmlu_pro/overall"
    url = f"https://huggingface.co/datasets/evaleval/EEE_datastore/blob/{SHA}/flat/objects/67/6f/{UUID_022}.json"
    assert entry.entry == EvalEntry(
        dataset_id="TIGER-Lab/MMLU-Pro",
        task_id="mmlu_pro",
        value=52.29,
        date=None,
        source_url=url,
        source_name="EvalEval",
        notes=None,
    )
    assert yaml_text(result) == (
        "- dataset:\n    id: TIGER-Lab/MMLU-Pro\n    task_id: mmlu_pro\n  value: 52.29\n"
        f"  source:\n    url: {url}\n    name: EvalEval\n"
    )


def test_worked_example_1_through_the_local_hub(
    tmp_path: Path, localhub: LocalHub, hub_api: HfApi
) -> None:
    built = build_datastore(tmp_path / "ds", {"MMLU-Pro": [fixture(MMLU_PRO_022)]})
    sha = upload_datastore(hub_api, built.root, "evaleval/EEE_datastore")
    hub = Hub(hub_api, localhub.url, localhub.url, "https://huggingface.co", RetryPolicy(2, 0.01))
    locator = resolve_locator("evaleval/EEE_datastore", hub=hub, base_dir=tmp_path, link_repo="x/y")
    read = read_datastore(locator, ["MMLU-Pro"], hub=hub, cache=None)
    result = map_records(read.records, REGISTRY, locator, options=MappingOptions())
    entry = one_entry(result)
    assert entry.entry.value == 52.29
    assert entry.entry.source_url == (
        f"https://huggingface.co/datasets/evaleval/EEE_datastore/blob/{sha}/flat/objects/67/6f/{UUID_022}.json"
    )


def example_2() -> dict[str, Any]:
    record = mmlu_record(timestamp="1721088000.5")
    record["evaluation_results"] += [
        {
            "evaluation_name": "GPQA",
            "source_data": {
                "source_type": "hf_dataset",
                "hf_repo": "Idavidrein/gpqa",
                "dataset_name": "GPQA Diamond",
            },
            "metric_config": {"metric_unit": "percent"},
            "score_details": {"score": 41},
        },
        {
            "evaluation_result_id": "hle/accuracy",
            "evaluation_name": "HLE",
            "evaluation_timestamp": "2025-03-01T12:00:00Z",
            "source_data": {"source_type": "hf_dataset", "dataset_name": "default"},
            "metric_config": {"max_score": 1},
            "score_details": {"score": 0.0523},
        },
    ]
    return record


def test_worked_example_2_dates_and_gpqa_notes() -> None:
    """The EEE converter's second worked example (dates, GPQA notes) with our task ids (gpqa_diamond
    in gpqa.yaml, hle)."""
    result = run(make_record(example_2()))
    assert result.skipped == ()
    by_benchmark = {d.benchmark: d for d in result.desired}
    gpqa, hle, mmlu = by_benchmark["gpqa"], by_benchmark["hle"], by_benchmark["mmlu_pro"]
    assert gpqa.file_path == ".eval_results/gpqa.yaml"
    assert (gpqa.entry.dataset_id, gpqa.entry.task_id, gpqa.entry.notes) == (
        "Idavidrein/gpqa",
        "gpqa_diamond",
        "GPQA Diamond",
    )
    assert (gpqa.entry.value, gpqa.entry.date) == (41.0, "2024-07-16")
    assert gpqa.task_aliases == ("diamond",)
    assert (hle.entry.task_id, hle.entry.value, hle.entry.date) == ("hle", 5.23, "2025-03-01")
    assert (mmlu.entry.value, mmlu.entry.date) == (64.1, "2024-07-16")
    text = yaml_text(run(make_record(example_2()), benchmark_filter=("gpqa",)))
    assert "date: '2024-07-16'" in text and "notes: GPQA Diamond" in text  # quoted date string
    assert "task_id: gpqa_diamond" in text


# --- Each built-in benchmark on real record shapes ------------------------------------------------


def test_gpqa_variant_from_row_subset_and_helm_subset() -> None:
    open_llm = load_fixture(AETHER_BF16)
    diamond = run(make_record(open_llm, subset="diamond"), benchmark_filter=("gpqa",))
    entry = one_entry(diamond)
    assert (entry.entry.task_id, entry.entry.notes, entry.entry.value) == (
        "gpqa_diamond",
        "GPQA Diamond",
        32.38,
    )
    main = one_entry(run(make_record(open_llm, subset="main"), benchmark_filter=("gpqa",)))
    assert (main.entry.task_id, main.task_aliases) == ("gpqa_main", ("main",))
    helm = run(make_record(load_fixture(HELM_CAPABILITIES_MARIN)))
    gpqa = next(d for d in helm.desired if d.benchmark == "gpqa")
    assert (gpqa.entry.task_id, gpqa.entry.value) == ("gpqa_main", 16.8)  # subset gpqa_main
    mmlu = next(d for d in helm.desired if d.benchmark == "mmlu_pro")
    assert mmlu.entry.value == 18.8


def test_gsm8k_from_a_helm_url_source_and_hle_by_repo() -> None:
    gsm8k = one_entry(run(make_record(load_fixture(HELM_LITE_J2))))
    assert (gsm8k.repo_id, gsm8k.entry.dataset_id, gsm8k.entry.task_id, gsm8k.entry.value) == (
        "ai21/j2-jumbo",
        "openai/gsm8k",
        "gsm8k",
        23.9,
    )
    assert gsm8k.file_path == ".eval_results/gsm8k.yaml"
    record = mmlu_record()
    record["evaluation_results"][0]["source_data"] = {
        "source_type": "hf_dataset",
        "hf_repo": "cais/hle",
    }
    record["evaluation_results"][0]["evaluation_result_id"] = "hle/accuracy"
    hle = one_entry(run(make_record(record)))
    assert (hle.entry.dataset_id, hle.entry.task_id, hle.file_path) == (
        "cais/hle",
        "hle",
        ".eval_results/hle.yaml",
    )


def test_task_ids_follow_eval_yaml() -> None:
    check = TaskCheck(
        statuses=(
            TaskStatus("gsm8k", "openai/gsm8k", defined=("default",)),
            TaskStatus("mmlu_pro", "TIGER-Lab/MMLU-Pro", defined=("mmlu-pro",)),
            TaskStatus("gpqa", "Idavidrein/gpqa", error="dataset Idavidrein/gpqa has no eval.yaml"),
        )
    )
    gsm8k = one_entry(run(make_record(load_fixture(HELM_LITE_J2)), tasks=check))
    assert (gsm8k.entry.task_id, gsm8k.task_aliases) == ("default", ("gsm8k",))
    mmlu = run(make_record(mmlu_record()), tasks=check)
    assert [s.reason for s in mmlu.skipped] == ["unknown_task"] and mmlu.desired == ()
    gpqa = run(
        make_record(load_fixture(AETHER_BF16), subset="diamond"),
        tasks=check,
        benchmark_filter=("gpqa",),
    )
    assert [s.reason for s in gpqa.skipped] == ["task_check_failed"]
    assert "has no eval.yaml" in gpqa.skipped[0].message


# --- Skip reasons ---------------------------------------------------------------------------------


def with_result(**changes: Any) -> dict[str, Any]:
    record = mmlu_record()
    result = record["evaluation_results"][0]
    for dotted, value in changes.items():
        target = result
        *path, last = dotted.split("__")
        for key in path:
            target = target[key]
        if value is ...:
            target.pop(last, None)
        else:
            target[last] = value
    return record


def with_model(model_id: str, **details: Any) -> dict[str, Any]:
    record = mmlu_record(model_id=model_id)
    if details:
        record["model_info"]["additional_details"] = details
    return record


def second_mmlu(record: dict[str, Any], result_id: str) -> dict[str, Any]:
    extra = json.loads(json.dumps(record["evaluation_results"][0]))
    extra["evaluation_result_id"] = result_id
    extra["metric_config"]["metric_id"] = result_id
    record["evaluation_results"].append(extra)
    return record


SKIPS: list[tuple[str, dict[str, Any]]] = [
    ("invalid_model_id", with_model("../../x")),
    ("invalid_model_id", with_model("a/b/c")),
    ("invalid_model_id", with_model("evil\n/name")),
    ("api_only_model", with_model("openai/gpt-4o")),
    ("api_only_model", with_model("anthropic/claude-3-5-haiku-20241022")),
    ("api_only_model", with_model("google/gemini-1.5-pro")),
    ("api_only_model", with_model("acme/model", model_availability="closed_api")),
    ("api_only_model", with_model("acme/model", deployment_type="api_only")),
    # schema 0.3: closed_weights is API-only (the word "weights" must not read as open)
    ("api_only_model", with_model("acme/model", model_availability="closed_weights")),
    (
        "api_only_model",
        with_model(
            "acme/model", model_availability="closed_weights", deployment_type="self_deployed"
        ),
    ),
    # externally_managed / unknown say nothing: the provider list still decides
    ("api_only_model", with_model("openai/o3-mini", deployment_type="externally_managed")),
    ("api_only_model", with_model("anthropic/claude-x", deployment_type="unknown")),
    ("ambiguous_result", second_mmlu(mmlu_record(result_id="mmlu_pro/biology"), "mmlu_pro/law")),
    ("ambiguous_result", second_mmlu(mmlu_record(), "mmlu-pro::chain-of-thought-correctness")),
    ("missing_score", with_result(score_details={})),
    ("non_numeric_score", with_result(score_details={"score": "0.5"})),
    ("non_numeric_score", with_result(score_details={"score": True})),
    ("non_finite_score", with_result(score_details={"score": math.nan})),
    ("non_finite_score", with_result(score_details={"score": math.inf})),
    ("score_out_of_range", with_result(score_details={"score": 1.5})),
    ("score_out_of_range", with_result(score_details={"score": -0.01})),
    ("score_out_of_range", with_result(score_details={"score": 10**400})),
    ("score_out_of_range", with_result(score_details={"score": 1e308})),
    ("unknown_scale", with_result(metric_config__metric_unit=..., metric_config__max_score=...)),
    ("unknown_scale", with_result(metric_config__metric_unit="points")),
    ("unknown_scale", with_result(metric_config__max_score=100)),
    ("unknown_scale", with_result(metric_config__metric_unit=..., metric_config__max_score=10)),
    ("unknown_scale", with_result(metric_config__min_score=-1)),
    ("lower_is_better", with_result(metric_config__lower_is_better=True)),
    ("invalid_timestamp", mmlu_record(timestamp="yesterday")),
    ("invalid_timestamp", mmlu_record(timestamp="99999999999999")),
    ("invalid_timestamp", with_result(evaluation_timestamp="2024-13-45")),
]


@pytest.mark.parametrize(
    ("reason", "record"), SKIPS, ids=[f"{r}-{i}" for i, (r, _) in enumerate(SKIPS)]
)
def test_skip_reasons(reason: str, record: dict[str, Any]) -> None:
    parsed = make_record(record, line=9, collection="coll")
    result = run(parsed)
    assert result.desired == () and result.conflicts == ()
    (skip,) = result.skipped
    assert skip.reason == reason and reason in REASONS
    assert (skip.collection, skip.line, skip.object_path) == ("coll", 9, parsed.row.object_path)
    assert skip.benchmark == "mmlu_pro" and skip.model_id
    assert f"flat/indexes/by_collection/coll.jsonl:9: {parsed.row.object_path}" in skip.message


def test_variant_reasons() -> None:
    unknown = run(make_record(load_fixture(AETHER_BF16)), benchmark_filter=("gpqa",))
    assert [s.reason for s in unknown.skipped] == ["variant_unknown"]
    conflict = run(
        make_record(load_fixture(AETHER_BF16), subset="main"), benchmark_filter=("gpqa",)
    )
    assert conflict.desired != ()
    record = load_fixture(AETHER_BF16)
    record["evaluation_results"][3]["source_data"]["dataset_name"] = "GPQA Diamond"
    both = run(make_record(record, subset="main"), benchmark_filter=("gpqa",))
    assert [s.reason for s in both.skipped] == ["variant_conflict"]


def test_variant_defaults_from_registry() -> None:
    registry = load_registry({"gpqa": {"source_variants": {"HF Open LLM v2": "main"}}})
    result = map_records(
        [make_record(load_fixture(AETHER_BF16))],
        registry,
        LOCATOR,
        options=MappingOptions(benchmark_filter=("gpqa",)),
    )
    assert one_entry(result).entry.task_id == "gpqa_main"
    registry = load_registry({"gpqa": {"default_variant": "diamond"}})
    result = map_records(
        [make_record(load_fixture(AETHER_BF16))],
        registry,
        LOCATOR,
        options=MappingOptions(benchmark_filter=("gpqa",)),
    )
    assert one_entry(result).entry.task_id == "gpqa_diamond"


def test_open_weights_are_not_api_only() -> None:
    for record in (
        with_model("openai/gpt-oss-20b"),
        with_model("openai/some-model", model_availability="open_weights"),
        with_model("mistralai/Mistral-7B-v0.1"),
        with_model("google/gemma-2b-it"),
        # schema 0.3: the evaluator ran the weights itself, so they exist
        with_model("mistral/open-model", deployment_type="self_deployed"),
        with_model(
            "acme/model", model_availability="open_weights", deployment_type="externally_managed"
        ),
        with_model("acme/model", deployment_type="externally_managed"),
        with_model("acme/model", model_availability="unknown", deployment_type="unknown"),
    ):
        assert len(run(make_record(record)).desired) == 1
    custom = run(make_record(with_model("acme/model")), api_only_providers=("acme",))
    assert [s.reason for s in custom.skipped] == ["api_only_model"]


def test_preferred_metric_picks_one_result() -> None:
    record = second_mmlu(mmlu_record(result_id="mmlu_pro/biology", score=0.9), "mmlu_pro/overall")
    record["evaluation_results"][1]["score_details"]["score"] = 0.5
    entry = one_entry(run(make_record(record)))
    assert entry.entry.value == 50.0 and entry.provenance.result_id == "mmlu_pro/overall"
    real = one_entry(run(make_record(load_fixture(MMLU_PRO_022))))
    assert real.provenance.result_id == "mmlu_pro/overall"


def test_lower_is_better_result_is_ignored_next_to_a_usable_one() -> None:
    record = second_mmlu(mmlu_record(), "mmlu_pro/error_rate")
    record["evaluation_results"][1]["metric_config"]["lower_is_better"] = True
    assert one_entry(run(make_record(record))).entry.value == 64.1


@pytest.mark.parametrize("flag", [True, "true", "True", " TRUE ", 1, 1.0, "1", "yes"])
def test_a_lower_is_better_preferred_metric_is_passed_over_however_it_is_spelt(
    flag: Any,
) -> None:
    """The best-ranked preferred metric is lower-is-better: it cannot be published, so the
    other preferred metric is (docs/mapping-rules.md). Every spelling of "true" decides alike."""
    record = second_mmlu(mmlu_record(), "mmlu_pro/overall")
    overall = record["evaluation_results"][1]
    overall["metric_config"]["lower_is_better"] = flag
    overall["score_details"]["score"] = 0.2
    entry = one_entry(run(make_record(record)))
    assert entry.entry.value == 64.1
    assert entry.provenance.result_id == "mmlu-pro::chain-of-thought-correctness"


# --- Dates, scale ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("timestamp", "date"),
    [
        ("2024-07-16T23:59:59-02:00", "2024-07-17"),
        ("2024-07-16", "2024-07-16"),
        ("1721088000", "2024-07-16"),
        (1721088000.5, "2024-07-16"),
        (None, None),
    ],
)
def test_dates(timestamp: Any, date: str | None) -> None:
    assert one_entry(run(make_record(mmlu_record(timestamp=timestamp)))).entry.date == date


def test_result_timestamp_wins_over_record() -> None:
    record = with_result(evaluation_timestamp="2023-01-02T00:00:00Z")
    assert one_entry(run(make_record(record))).entry.date == "2023-01-02"


@settings(max_examples=200, deadline=None)
@given(
    score=st.floats(min_value=0, max_value=1, allow_nan=False),
    unit=st.sampled_from(["proportion", None]),
)
def test_proportions_scale_to_0_100(score: float, unit: str | None) -> None:
    record = mmlu_record(score=score, unit=unit, max_score=1.0 if unit is None else None)
    value = one_entry(run(make_record(record))).entry.value
    assert 0 <= value <= 100 and math.isclose(value, score * 100, abs_tol=1e-8)


@settings(max_examples=200, deadline=None)
@given(
    score=st.one_of(st.integers(0, 100), st.floats(0, 100, allow_nan=False)), by_unit=st.booleans()
)
def test_percentages_are_kept(score: float, by_unit: bool) -> None:
    record = mmlu_record(
        score=score, unit="percent" if by_unit else None, max_score=None if by_unit else 100
    )
    value = one_entry(run(make_record(record))).entry.value
    assert math.isclose(value, float(score), abs_tol=1e-8) and isinstance(value, float)


@settings(max_examples=200, deadline=None)
@given(score=st.one_of(st.floats(), st.integers(), st.booleans(), st.text(max_size=5), st.none()))
def test_any_score_gives_a_valid_entry_or_a_reason(score: Any) -> None:
    result = run(make_record(mmlu_record(score=score)))
    if result.desired:
        assert 0 <= result.desired[0].entry.value <= 100
    else:
        assert result.skipped[0].reason in REASONS


# --- Duplicates -----------------------------------------------------------------------------------


def test_records_that_disagree_are_a_source_conflict() -> None:
    bf16, fp16 = (
        make_record(load_fixture(AETHER_BF16), line=1),
        make_record(load_fixture(AETHER_FP16), line=2),
    )
    result = run(bf16, fp16, benchmark_filter=("mmlu_pro",))
    assert result.desired == () and len(result.conflicts) == 1
    assert [d.entry.value for d in result.conflicts[0]] == [37.78, 38.04]
    # Same timestamps: "latest" has no honest winner, so the conflict stays.
    latest = run(bf16, fp16, benchmark_filter=("mmlu_pro",), duplicates="latest")
    assert latest.desired == () and len(latest.conflicts) == 1


def test_latest_policy_and_same_value_collapse() -> None:
    old = make_record(mmlu_record(score=0.5, timestamp="2024-01-01"), line=1)
    new = make_record(mmlu_record(score=0.6, timestamp="2024-06-01"), line=2)
    same = make_record(
        mmlu_record(score=0.6, timestamp="2023-01-01", model_id="GOOGLE/Gemma-2b-it"), line=3
    )
    conflict = run(old, new)
    assert conflict.desired == () and [d.provenance.line for d in conflict.conflicts[0]] == [1, 2]
    latest = run(old, new, duplicates="latest")
    assert one_entry(latest).entry.value == 60.0 and latest.desired[0].provenance.line == 2
    collapsed = run(new, same)
    assert len(collapsed.desired) == 1 and collapsed.duplicates_collapsed == 1
    assert collapsed.desired[0].provenance.line == 2  # the newest record is the one linked


def test_filters_and_counters() -> None:
    records = [
        make_record(mmlu_record(model_id="google/gemma-2b-it"), line=1),
        make_record(mmlu_record(model_id="meta-llama/Llama-3-8B"), line=2),
        make_record(load_fixture(HELM_LITE_J2), line=3),
        make_record(
            load_fixture(
                "global-mmlu-lite/anthropic/claude-3-5-haiku-20241022/402c8833-1827-46fc-a497-46b40a6794ff.json"
            ),
            line=4,
        ),
    ]
    everything = run(*records)
    assert (everything.records_seen, everything.unmatched_records) == (4, 1)
    only_google = run(*records, model_filter="GOOGLE/*")
    assert [d.repo_id for d in only_google.desired] == ["google/gemma-2b-it"]
    assert only_google.filtered_out == 2
    only_gsm8k = run(*records, benchmark_filter=("gsm8k",))
    assert [d.benchmark for d in only_gsm8k.desired] == [
        "gsm8k"
    ] and only_gsm8k.unmatched_records == 3


@pytest.mark.parametrize(
    "options",
    [
        MappingOptions(),
        MappingOptions(benchmark_filter=("gpqa", "gsm8k")),
        MappingOptions(model_filter="0*", duplicates="latest"),
    ],
)
def test_a_streamed_scan_maps_like_records_held_in_memory(
    tmp_path: Path, options: MappingOptions
) -> None:
    """`plan` streams `open_datastore(...).records()` into the mapping (flat memory)."""
    records = [json.loads(path.read_bytes()) for path in sorted(FIXTURES.rglob("*.json"))]
    records += [record for _, record in SKIPS]
    built = build_datastore(tmp_path / "ds", {"all": records})
    locator = resolve_locator(str(built.root), hub=None, base_dir=tmp_path, link_repo="x/y")
    whole = read_datastore(locator, None, hub=None, cache=None)
    expected = map_records(whole.records, REGISTRY, locator, options=options)
    assert expected.desired  # the test is about something
    scan = open_datastore(locator, None, hub=None)
    streamed = map_records(scan.records(), REGISTRY, locator, options=options)
    assert streamed == expected
    assert sorted(scan.skipped, key=str) == sorted(whole.skipped, key=str)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**16))
def test_result_does_not_depend_on_record_order(seed: int) -> None:
    records = [
        make_record(load_fixture(AETHER_BF16), line=1),
        make_record(load_fixture(AETHER_FP16), line=2),
        make_record(load_fixture(MMLU_PRO_022), line=3),
        make_record(example_2(), line=4),
        make_record(mmlu_record(model_id="z/z", score=0.1), line=5),
        make_record(mmlu_record(model_id="z/z", score=0.1), line=6),
    ]
    shuffled = records[:]
    random.Random(seed).shuffle(shuffled)
    assert run(*shuffled) == run(*records)


# --- EvalResultEntry helpers ----------------------------------------------------------------------


@given(
    value=st.floats(0, 100, allow_nan=False),
    date=st.one_of(st.none(), st.dates().map(lambda d: d.isoformat())),
    notes=st.one_of(st.none(), st.text(min_size=1, max_size=10)),
)
def test_entry_conversion_keeps_every_field(
    value: float, date: str | None, notes: str | None
) -> None:
    ours = EvalEntry("cais/hle", "hle", value, date, "https://x/y", "EvalEval", notes)
    hub = to_hub_entry(ours)
    fields = (hub.dataset_id, hub.task_id, hub.value, hub.date, hub.source_url, hub.source_name)
    assert (*fields, hub.notes) == attrs.astuple(ours)
