"""registry.build_prefilter: a record the prefilter rejects has no result any benchmark
recognises, whatever its spelling (case, punctuation, escapes, non-ASCII), and a scan with the
prefilter maps exactly what a scan without it maps."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eeesync.datastore import open_datastore, resolve_locator
from eeesync.mapping import MappingOptions, map_records
from eeesync.registry import load_registry
from tests.helpers import mmlu_overall_record, write_datastore

REGISTRY = load_registry()
FIND = REGISTRY.find_benchmarks
COULD_MATCH = REGISTRY.prefilter
KNOWN = sorted(
    {
        s
        for b in REGISTRY.benchmarks
        for s in (
            *b.hf_repos,
            *b.benchmark_hf_repos,
            *b.dataset_names,
            *b.preferred_metrics,
            *(r for v in b.variants for r in v.hf_repos),
            *(g.replace("*", "x") for g in (*b.dataset_urls, *b.sub_scores)),
        )
    }
)


@st.composite
def spelled(draw: st.DrawFn) -> str:
    """A recogniser's string respelled (case, punctuation, padding) or any text at all."""
    if draw(st.booleans()):
        return draw(st.text(max_size=30))
    base = draw(st.sampled_from(KNOWN))
    chars = []
    for char in base:
        chars.append(char.upper() if draw(st.booleans()) else char)
        if draw(st.integers(0, 9)) == 0:
            chars.append(draw(st.sampled_from([" ", "-", "_", ".", "/", "K", "é", "\n"])))
    pad = draw(st.sampled_from(["", " ", "https://huggingface.co/datasets/", "x"]))
    return pad + "".join(chars) + draw(st.sampled_from(["", " ", "/", "!"]))


@st.composite
def results(draw: st.DrawFn) -> dict[str, Any]:
    source: dict[str, Any] = {}
    for key in ("hf_repo", "dataset_name", "url"):
        if draw(st.booleans()):
            source[key] = draw(spelled())
    if draw(st.booleans()):
        source["additional_details"] = {"benchmark_hf_repo": draw(spelled())}
    result: dict[str, Any] = {"source_data": source}
    if draw(st.booleans()):
        result["evaluation_result_id"] = draw(spelled())
    if draw(st.booleans()):
        result["metric_config"] = {"metric_id": draw(spelled())}
    return result


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(results(), min_size=1, max_size=4), st.booleans(), st.booleans())
def test_a_rejected_object_has_no_matching_result(
    items: list[dict[str, Any]], ascii_only: bool, indent: bool
) -> None:
    data = json.dumps(
        {"evaluation_results": items}, ensure_ascii=ascii_only, indent=2 if indent else None
    ).encode("utf-8")
    if not COULD_MATCH(data):
        assert not any(FIND(item) for item in items)


def test_the_prefilter_rejects_what_names_no_benchmark() -> None:
    assert not COULD_MATCH(json.dumps({"source_data": {"hf_repo": "allenai/ai2_arc"}}).encode())
    assert COULD_MATCH(json.dumps({"source_data": {"hf_repo": "TIGER-Lab/MMLU-Pro"}}).encode())
    assert COULD_MATCH(b'{"dataset_name": "mmlu\\u002dpro"}')  # escaped: never judged


def _map(root: Path, *, prefilter: bool) -> tuple[Any, ...]:
    locator = resolve_locator(str(root), hub=None, base_dir=root, link_repo="o/d")
    scan = open_datastore(locator, None, hub=None)
    records = scan.records(prefilter=REGISTRY.prefilter if prefilter else None)
    mapped = map_records(records, REGISTRY, locator, options=MappingOptions())
    skipped = sorted({*scan.skipped, *mapped.skipped}, key=repr)
    seen = mapped.records_seen
    coverage = (mapped.unmatched, mapped.unmatched_records)
    return mapped.desired, mapped.conflicts, tuple(skipped), (seen, coverage), scan.rejected


def _neutral(n: int, items: list[Any]) -> dict[str, Any]:
    """A record that names no benchmark outside its results."""
    return {
        "schema_version": "0.2.2",
        "evaluation_id": f"run/{n}",
        "model_info": {"id": f"acme/m{n % 4}", "name": f"m{n % 4}"},
        "evaluation_results": items,
    }


def _write(root: Path, objects: list[tuple[dict[str, Any], int]]) -> None:
    mmlu = json.loads(mmlu_overall_record("acme/m0", 0.5))
    records = []
    for n, (result, shape) in enumerate(objects):
        if shape == 0:
            record = json.loads(mmlu_overall_record(f"acme/m{n % 4}", 0.5))
            record["evaluation_results"].append(result)
        elif shape == 1:
            record = _neutral(n, [result])
        elif shape == 2:
            record = _neutral(n, [result])
            del record["model_info"]  # broken: a schema_error either way
        elif shape == 3:
            record = _neutral(n, [result, 7])  # broken too
        else:
            record = _neutral(n, [result, *mmlu["evaluation_results"]])
        records.append(json.dumps(record).encode())
    records.append(b"[1, 2]")  # not an object
    write_datastore(root, {"c": records})


@settings(max_examples=20, deadline=None)
@given(st.lists(st.tuples(results(), st.integers(0, 4)), min_size=1, max_size=10))
def test_scans_with_and_without_the_prefilter_map_the_same(
    tmp_path_factory: Any, objects: list[tuple[dict[str, Any], int]]
) -> None:
    root = tmp_path_factory.mktemp("ds")
    _write(root, objects)
    assert _map(root, prefilter=True)[:4] == _map(root, prefilter=False)[:4]


def test_the_scan_skips_building_what_cannot_match(tmp_path: Path) -> None:
    plain = {"source_data": {"hf_repo": "allenai/ai2_arc"}}
    broken = {"source_data": {"dataset_name": "ARC"}}
    _write(tmp_path, [(plain, 1), (plain, 4), (broken, 2), (plain, 0)])
    with_filter, without = _map(tmp_path, prefilter=True), _map(tmp_path, prefilter=False)
    assert with_filter[:4] == without[:4]
    assert with_filter[4] == 1 and without[4] == 0  # one record rejected, never built
    assert len(with_filter[0]) == 2  # the two with an MMLU-Pro result are mapped
