"""Records as EEE's current adapters (schema 0.3) write them → entries (issue 10).

`tests/fixtures/adapter-shapes/<adapter>/` holds one or more records per adapter in the shapes those
adapters write (tests/fixtures/adapter-shapes/README.md). Every result of an official benchmark
either maps (dataset, task, 0–100 value, notes) or is skipped with a reason a user can act on; two
setups of one model are two entries, never a `source_conflict`.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from eeesync.datastore.records import Record
from eeesync.mapping import REASONS, MappingResult
from eeesync.registry import TaskCheck, TaskStatus, load_registry
from tests.test_mapping import make_record, run

SHAPES = Path(__file__).parent / "fixtures" / "adapter-shapes"

#: (model id, dataset id, task id, value, notes) for each entry an adapter's records give
Entry = tuple[str, str, str, float, str | None]
EXPECTED: dict[str, set[Entry]] = {
    "hfopenllm_v2": {
        # The Open LLM Leaderboard runs MMLU-Pro 5-shot without CoT (registry source_setups)
        ("Qwen/Qwen2.5-72B-Instruct", "TIGER-Lab/MMLU-Pro", "mmlu_pro", 56.26, "5-shot"),
    },
    "mmlu_pro": {
        # the leaderboard's default setup (5-shot CoT, TIGER-Lab) has no notes
        ("qwen/qwen2.5-72b-instruct", "TIGER-Lab/MMLU-Pro", "mmlu_pro", 71.59, None),
        ("qwen/qwen2.5-72b-instruct", "TIGER-Lab/MMLU-Pro", "mmlu_pro", 72.1, "Self-Reported"),
    },
    "hle": {("deepseek-ai/deepseek-r1", "cais/hle", "hle", 8.5, None)},
    "swe_bench_verified": {
        (
            "Qwen/Qwen2.5-Coder-32B-Instruct",
            "SWE-bench/SWE-bench_Verified",
            "swe_bench_verified",
            30.4,
            "agent: OpenHands + Qwen2.5-Coder-32B-Instruct",
        ),
        (
            "Qwen/Qwen2.5-Coder-32B-Instruct",
            "SWE-bench/SWE-bench_Verified",
            "swe_bench_verified",
            24.8,
            "agent: SWE-agent + Qwen2.5-Coder-32B-Instruct",
        ),
    },
    "terminal_bench_2": {
        (
            "moonshot-ai/kimi-k2-instruct",
            "harborframework/terminal-bench-2.0",
            "terminal_bench_2",
            27.8,
            "agent: Terminus 2",
        ),
        (
            "moonshot-ai/kimi-k2-instruct",
            "harborframework/terminal-bench-2.0",
            "terminal_bench_2",
            25.0,
            "agent: OpenHands",
        ),
    },
    "helm": {
        ("allenai/olmo-2-1124-13b-instruct", "TIGER-Lab/MMLU-Pro", "mmlu_pro", 31.0, "0-shot CoT"),
        # GPQA's default setup is 0-shot CoT: only the variant is noted
        ("allenai/olmo-2-1124-13b-instruct", "Idavidrein/gpqa", "gpqa_main", 31.6, "GPQA Main"),
        ("meta/llama-3.1-8b-instruct-turbo", "openai/gsm8k", "gsm8k", 79.8, None),
    },
    "llm_stats": {
        ("qwen/qwen3-235b-a22b", "Idavidrein/gpqa", "gpqa_diamond", 71.1, "GPQA Diamond"),
        ("qwen/qwen3-235b-a22b", "TIGER-Lab/MMLU-Pro", "mmlu_pro", 83.0, None),
        ("qwen/qwen3-235b-a22b", "cais/hle", "hle", 11.8, None),
    },
    "artificial_analysis": {
        ("meta/llama-3-1-instruct-405b", "TIGER-Lab/MMLU-Pro", "mmlu_pro", 73.2, None),
        ("meta/llama-3-1-instruct-405b", "Idavidrein/gpqa", "gpqa_diamond", 51.5, "GPQA Diamond"),
        ("meta/llama-3-1-instruct-405b", "cais/hle", "hle", 4.2, None),
    },
    "vals_ai": {("openai/gpt-oss-120b", "TIGER-Lab/MMLU-Pro", "mmlu_pro", 79.8, "high reasoning")},
    "lexam": {
        ("Qwen/Qwen3-32B", "LEXam-Benchmark/LEXam", "open_question", 40.0, None),
        ("Qwen/Qwen3-32B", "LEXam-Benchmark/LEXam", "mcq_4_choices", 45.3, None),
        # one model, two API modes: two setups, not a conflict
        ("deepseek-ai/DeepSeek-V3.2", "LEXam-Benchmark/LEXam", "open_question", 45.1, None),
        ("deepseek-ai/DeepSeek-V3.2", "LEXam-Benchmark/LEXam", "mcq_4_choices", 50.2, None),
        ("deepseek-ai/DeepSeek-V3.2", "LEXam-Benchmark/LEXam", "open_question", 49.3, "reasoning"),
        ("deepseek-ai/DeepSeek-V3.2", "LEXam-Benchmark/LEXam", "mcq_4_choices", 55.1, "reasoning"),
        # availability and deployment "unknown" say nothing: the model is not API-only
        ("swiss-ai-initiative/apertus-70b", "LEXam-Benchmark/LEXam", "open_question", 30.2, None),
        ("swiss-ai-initiative/apertus-70b", "LEXam-Benchmark/LEXam", "mcq_4_choices", 41.0, None),
    },
}

#: (model id, reason) of each skip; the message must name the benchmark's problem
SKIPS: dict[str, Counter[tuple[str, str]]] = {
    "hfopenllm_v2": Counter({("Qwen/Qwen2.5-72B-Instruct", "variant_unknown"): 1}),
    "mmlu_pro": Counter({("openai/gpt-4o-2024-05-13", "api_only_model"): 1}),
    "hle": Counter({("google/gemini-3.1-pro-preview-thinking-high", "api_only_model"): 1}),
    "swe_bench_verified": Counter({("anthropic/claude-3-7-sonnet-20250219", "api_only_model"): 1}),
    "terminal_bench_2": Counter(),
    "helm": Counter(),
    "llm_stats": Counter({("qwen/qwen3-235b-a22b", "variant_unknown"): 1}),  # "GPQA" alone
    "artificial_analysis": Counter(),
    "vals_ai": Counter({("alibaba/qwen3-32b", "sub_score_only"): 1}),
    "lexam": Counter(
        {
            ("anthropic/claude-sonnet-4.5", "api_only_model"): 1,
            ("openai/o3-mini", "api_only_model"): 1,
        }
    ),
}

ALL_TASKS = TaskCheck(
    statuses=tuple(
        TaskStatus(b.key, b.dataset_id, defined=b.task_ids()) for b in load_registry().benchmarks
    )
)


def records(adapter: str) -> list[Record]:
    paths = sorted((SHAPES / adapter).glob("*.json"))
    assert paths, f"no fixtures for {adapter}"
    return [
        make_record(json.loads(p.read_text(encoding="utf-8")), line=n, collection=adapter)
        for n, p in enumerate(paths, start=1)
    ]


def entries(result: MappingResult) -> set[Entry]:
    return {
        (d.repo_id, d.entry.dataset_id, d.entry.task_id, d.entry.value, d.entry.notes)
        for d in result.desired
    }


@pytest.mark.parametrize("adapter", sorted(EXPECTED))
def test_each_adapter_shape_maps_or_is_skipped_with_a_reason(adapter: str) -> None:
    result = run(*records(adapter), tasks=ALL_TASKS)
    assert entries(result) == EXPECTED[adapter]
    assert result.conflicts == ()  # setups never collapse into a source_conflict
    assert Counter((s.model_id, s.reason) for s in result.skipped) == SKIPS[adapter]
    for skip in result.skipped:
        assert skip.reason in REASONS and skip.benchmark and skip.object_path in skip.message
    for desired in result.desired:
        assert 0.0 <= desired.entry.value <= 100.0


def test_all_shapes_together_have_no_false_source_conflict() -> None:
    """One datastore with every adapter: same model, several setups, still no conflict."""
    everything = [r for adapter in sorted(EXPECTED) for r in records(adapter)]
    result = run(*everything, tasks=ALL_TASKS)
    assert result.conflicts == ()
    assert entries(result) == set().union(*EXPECTED.values())


def test_same_setup_disagreement_is_still_a_source_conflict_and_latest_resolves_it() -> None:
    raw = json.loads((SHAPES / "terminal_bench_2" / "kimi-k2-instruct-terminus-2.json").read_text())
    rerun = json.loads(json.dumps(raw))
    rerun["evaluation_results"][0]["score_details"]["score"] = 30.0
    rerun["evaluation_results"][0]["evaluation_timestamp"] = "2025-12-01"
    first, second = make_record(raw, line=1), make_record(rerun, line=2)
    conflict = run(first, second, tasks=ALL_TASKS)
    assert [[d.entry.value for d in g] for g in conflict.conflicts] == [[27.8, 30.0]]
    assert {d.entry.notes for g in conflict.conflicts for d in g} == {"agent: Terminus 2"}
    latest = run(first, second, tasks=ALL_TASKS, duplicates="latest")
    assert latest.conflicts == () and [d.entry.value for d in latest.desired] == [30.0]


def test_a_sub_score_is_never_the_overall_task() -> None:
    """The MMLU-Pro leaderboard without its overall result: 14 subjects, nothing published."""
    raw: dict[str, Any] = json.loads(
        (SHAPES / "mmlu_pro" / "qwen2.5-72b-instruct-tiger-lab.json").read_text()
    )
    raw["evaluation_results"] = raw["evaluation_results"][1:]
    result = run(make_record(raw), tasks=ALL_TASKS)
    assert result.desired == ()
    assert [s.reason for s in result.skipped] == ["sub_score_only"]
    assert "mmlu_pro/biology" in result.skipped[0].message


def test_lower_is_better_alone_is_refused() -> None:
    raw = json.loads((SHAPES / "hle" / "deepseek-r1.json").read_text())
    raw["evaluation_results"] = raw["evaluation_results"][1:]  # calibration error only
    result = run(make_record(raw), tasks=ALL_TASKS)
    assert result.desired == () and [s.reason for s in result.skipped] == ["lower_is_better"]


def test_terminal_bench_alias_dataset_is_recognised_and_matched_as_the_same_dataset() -> None:
    registry = load_registry()
    tb = registry.get("terminal_bench_2")
    assert tb.dataset_aliases == ("terminal-bench/terminal-bench-2.0",)
    item = {"source_data": {"hf_repo": "terminal-bench/terminal-bench-2.0"}}
    assert [b.key for b in registry.find_benchmarks(item)] == ["terminal_bench_2"]
    result = run(*records("terminal_bench_2"), tasks=ALL_TASKS)
    assert {d.dataset_aliases for d in result.desired} == {("terminal-bench/terminal-bench-2.0",)}


def test_unmatched_results_are_counted_per_collection_and_name() -> None:
    result = run(*records("hfopenllm_v2"), *records("helm"), *records("vals_ai"), tasks=ALL_TASKS)
    groups = {(g.collection, g.evaluation_name): g.results for g in result.unmatched}
    assert groups == {
        ("hfopenllm_v2", "IFEval"): 1,
        ("hfopenllm_v2", "BBH"): 1,
        ("hfopenllm_v2", "MATH Level 5"): 1,
        ("hfopenllm_v2", "MUSR"): 1,
        ("helm", "Mean score"): 1,
        ("helm", "IFEval"): 1,
        ("helm", "MMLU"): 1,
    }  # recognised sub-scores (Vals subjects) and benchmarks are not "unmatched"
    assert [g.results for g in result.unmatched] == sorted(
        (g.results for g in result.unmatched), reverse=True
    )
    # a benchmark filter leaves the other benchmarks' results recognised, not unmatched
    only_gpqa = run(*records("helm"), tasks=ALL_TASKS, benchmark_filter=("gpqa",))
    assert {g.evaluation_name for g in only_gpqa.unmatched} == {"Mean score", "IFEval", "MMLU"}
