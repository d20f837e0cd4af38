"""Verification and tolerant parsing of aggregate objects (eeesync/datastore/records.py)."""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import math
from typing import Any

import pytest

from eeesync.datastore import records
from eeesync.datastore.index import IndexRow
from eeesync.datastore.records import Record, parse_record, verify_object
from eeesync.plan.model import SkippedItem
from tests.helpers import AETHER_BF16, MMLU_PRO_022, fixture_bytes, load_fixture, mmlu_record


def row_for(data: bytes, **changes: Any) -> IndexRow:
    fields: dict[str, Any] = {
        "collection": "c",
        "line": 7,
        "object_path": "flat/objects/ab/cd/abcd.json",
        "sha256": hashlib.sha256(data).hexdigest(),
        "size_bytes": len(data),
    }
    fields.update(changes)
    return IndexRow(**fields)


def parse(data: bytes) -> Record | SkippedItem:
    return parse_record(row_for(data), data)


def dumps(record: dict[str, Any]) -> bytes:
    return json.dumps(record).encode()


def test_verify_checks_size_then_sha256() -> None:
    data = b'{"a": 1}'
    assert verify_object(row_for(data), data) is None
    assert verify_object(row_for(data, size_bytes=None), data) is None  # size is optional
    wrong_size = verify_object(row_for(data, size_bytes=3, sha256="0" * 64), data)
    assert wrong_size is not None and wrong_size.reason == "size_mismatch"
    wrong_hash = verify_object(row_for(data, sha256="0" * 64), data)
    assert wrong_hash is not None and wrong_hash.reason == "sha256_mismatch"
    assert wrong_hash.line == 7 and wrong_hash.object_path == "flat/objects/ab/cd/abcd.json"
    assert "flat/indexes/by_collection/c.jsonl:7" in wrong_hash.message


def test_schema_020_record() -> None:
    record = parse(fixture_bytes(AETHER_BF16))
    assert isinstance(record, Record)
    assert record.schema_version == "0.2.0"
    assert record.evaluation_id == "hfopenllm_v2/Daemontatox_AetherTOT/1770682486.623709"
    assert record.model.id == "Daemontatox/AetherTOT"
    assert record.model.developer == "Daemontatox"
    assert record.source.name == "HF Open LLM v2"
    assert record.source.evaluator_relationship == "third_party"
    assert record.source.retrieved_timestamp == "1770682486.623709"
    assert record.timestamp is None
    gpqa = record.results[3]
    assert (gpqa.index, gpqa.evaluation_name, gpqa.hf_repo) == (3, "GPQA", "Idavidrein/gpqa")
    assert gpqa.result_id == "" and gpqa.metric_unit == "" and gpqa.max_score == 1.0
    assert gpqa.score == 0.3238 and gpqa.lower_is_better is False


def test_schema_022_record() -> None:
    record = parse(fixture_bytes(MMLU_PRO_022))
    assert isinstance(record, Record)
    assert record.schema_version == "0.2.2"
    assert record.model.id == "01-ai/yi-1.5-34b-chat"
    assert record.source.eval_library == "MMLU-Pro leaderboard (TIGER-Lab)"
    assert record.source.eval_library_version == "unknown"
    assert record.source.organization == "TIGER-Lab"
    overall = record.results[0]
    assert overall.result_id == "mmlu_pro/overall" and overall.metric_id == "mmlu_pro/overall"
    assert overall.metric_unit == "proportion" and overall.score == 0.5229
    assert overall.benchmark_hf_repo == "TIGER-Lab/MMLU-Pro"
    assert overall.hf_repo == "TIGER-Lab/mmlu_pro_leaderboard_submission"
    assert len(record.results) == 15


def test_unknown_keys_and_newer_minor_versions_are_read() -> None:
    record = mmlu_record(schema_version="0.3.7")
    record["a_future_key"] = {"anything": [1, 2]}
    record["model_info"]["additional_details"] = {
        "model_availability": "Open_Weights",
        "deployment_type": "Local",
    }
    record["evaluation_results"][0]["future_result_key"] = True
    record["eval_library"] = {"name": "lm-eval-harness", "version": "0.4.9"}
    record["generation_config"] = {"temperature": 0.0}
    parsed = parse(dumps(record))
    assert isinstance(parsed, Record)
    assert parsed.model.availability == "open_weights"
    assert parsed.model.deployment_type == "local"
    assert parsed.source.eval_library_version == "0.4.9"
    assert parsed.source.generation_config == {"temperature": 0.0}
    assert parsed.timestamp == "2024-07-16T00:00:00Z"
    assert parse(dumps(mmlu_record(schema_version="0.4.0"))).__class__ is Record


def test_numeric_timestamps_keep_their_text() -> None:
    parsed = parse(dumps(mmlu_record(timestamp=1721088000.5)))
    assert isinstance(parsed, Record) and parsed.timestamp == "1721088000.5"


def edit(path: tuple[Any, ...], value: Any) -> bytes:
    record: Any = mmlu_record()
    target = record
    for key in path[:-1]:
        target = target[key]
    if value is ...:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return dumps(record)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\xff\xfe{}", "not_utf8"),
        ('{"schema_version": "0.2.0", "x": "caf\xe9"}'.encode("latin-1"), "not_utf8"),
        (b"{", "bad_json"),
        (b"", "bad_json"),
        (b"[" * 100000 + b"]" * 100000, "bad_json"),
        (b"[1, 2]", "not_an_object"),
        (b"null", "not_an_object"),
        (edit(("schema_version",), ...), "unsupported_schema_version"),
        (edit(("schema_version",), "1.0.0"), "unsupported_schema_version"),
        (edit(("schema_version",), "0.1.0"), "unsupported_schema_version"),
        (edit(("schema_version",), 2), "unsupported_schema_version"),
        (edit(("evaluation_id",), ...), "schema_error"),
        (edit(("model_info",), "google/gemma"), "schema_error"),
        (edit(("model_info", "id"), ...), "schema_error"),
        (edit(("model_info", "id"), 42), "schema_error"),
        (edit(("evaluation_results",), {"a": 1}), "schema_error"),
        (edit(("evaluation_results", 0), "not an object"), "schema_error"),
    ],
)
def test_unusable_objects_are_skipped_with_reason(data: bytes, reason: str) -> None:
    skipped = parse(data)
    assert isinstance(skipped, SkippedItem)
    assert skipped.reason == reason
    assert (skipped.collection, skipped.line) == ("c", 7)
    assert skipped.object_path in skipped.message


def test_missing_result_parts_are_tolerated() -> None:
    record = mmlu_record()
    record["evaluation_results"].append({"evaluation_name": "bare"})
    parsed = parse(dumps(record))
    assert isinstance(parsed, Record)
    bare = parsed.results[1]
    assert bare.score is None and bare.source_type == "" and bare.label == "bare"
    load_fixture(MMLU_PRO_022)  # fixtures stay readable (copied into tests/fixtures)


# --- The optional fast decoder (eeesync/datastore/bulk.py) ----------------------------------------

#: Objects where orjson and json disagree or fail differently: each must read as `json` reads it.
DECODER_CASES = [
    dumps(mmlu_record()),
    dumps(mmlu_record(score=math.nan)),  # json writes NaN, which orjson refuses
    dumps(mmlu_record(score=math.inf)),  # Infinity
    dumps(mmlu_record(model_id="a/\ud800")),  # a lone surrogate (escaped)
    dumps(mmlu_record(score=10**400)),  # beyond a double: json keeps the int
    b'{"schema_version": "0.2.0", "x": 1e400}',
    b"\xef\xbb\xbf" + dumps(mmlu_record()),  # a byte order mark
    b"\xff\xfe{}",
    b"[" * 100000 + b"]" * 100000,
    b'{"a": 1} trailing',
]


def _failing_decoder(data: bytes) -> Any:
    raise ValueError("the fast decoder refuses everything")


def _outcome(parsed: Record | SkippedItem) -> Any:
    if isinstance(parsed, SkippedItem):
        return parsed
    return (parsed, parsed.model, json.dumps(parsed.raw, sort_keys=True))


@pytest.mark.parametrize("data", DECODER_CASES)
def test_fast_decoder_reads_what_json_reads(data: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(records, "FAST_LOADS", None)
    expected = _outcome(parse(data))
    decoders = [_failing_decoder]
    if importlib.util.find_spec("orjson") is not None:
        decoders.append(importlib.import_module("orjson").loads)
    for decoder in decoders:
        monkeypatch.setattr(records, "FAST_LOADS", decoder)
        assert _outcome(parse(data)) == expected
