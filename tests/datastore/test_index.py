"""Collection index parsing and collection names (eeesync/datastore/index.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eeesync.datastore import index
from eeesync.datastore.index import (
    IndexRow,
    check_collection_name,
    nearest_names,
    read_index,
    unknown_collection_error,
)
from eeesync.errors import DatastoreError

SHA = "ab" * 32
PATH = "flat/objects/67/6f/676f4465-ce78-411a-9f5a-c97b3d2eac4f.json"


def row(**fields: object) -> bytes:
    data: dict[str, object] = {"record_type": "aggregate", "object_path": PATH, "sha256": SHA}
    data.update(fields)
    return json.dumps({k: v for k, v in data.items() if v is not ...}).encode()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "empty"),
        ("  ", "empty"),
        (" MMLU-Pro", "surrounding whitespace"),
        ("MMLU-Pro\t", "surrounding whitespace"),
        ("MMLU-Pro.jsonl", "without the .jsonl suffix"),
        ("MMLU-Pro/records", "single file stem"),
        ("..", "single file stem"),
        ("../secrets", "single file stem"),
        ("a\\b", "single file stem"),
    ],
)
def test_bad_collection_names_are_refused(name: str, message: str) -> None:
    with pytest.raises(DatastoreError, match=message):
        check_collection_name(name)


def test_internal_spaces_are_fine() -> None:
    assert check_collection_name("MMLU Pro") == "MMLU Pro"


def test_nearest_names() -> None:
    available = ["fibble_arena", "MMLU-Pro", "hfopenllm_v2", "helm_lite"]
    assert nearest_names("fibbl_arena", available) == ["fibble_arena"]
    assert nearest_names("mmlu_pro", available)[0] == "MMLU-Pro"
    assert nearest_names("zzzzzz", available) == []
    error = unknown_collection_error(["helm-lit"], available)
    assert "helm-lit" in str(error) and "nearest: helm_lite" in str(error)
    assert error.hint and "hfopenllm_v2" in error.hint


def test_good_row_fields() -> None:
    data = row(
        size_bytes=23648,
        object_uuid="676f4465",
        legacy_path="data/x.json",
        eval_schema_version="0.2.2",
        subset=" diamond ",
        instance_level_available=False,
        sha256=SHA.upper(),
    )
    rows, skipped, count = read_index(data + b"\n", "c")
    assert skipped == [] and count == 1
    assert rows == [
        IndexRow(
            collection="c",
            line=1,
            object_path=PATH,
            sha256=SHA,  # lower-cased: hashes compare case-insensitively
            size_bytes=23648,
            object_uuid="676f4465",
            legacy_path="data/x.json",
            eval_schema_version="0.2.2",
            subset="diamond",
            instance_level_available=False,
        )
    ]
    assert rows[0].where == "flat/indexes/by_collection/c.jsonl:1"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"{not json", "bad_index_line"),
        (b'{"object_path": "\xff\xfe"}', "bad_index_line"),
        (b"[" * 100000 + b"]" * 100000, "bad_index_line"),  # nested too deeply for json
        (b"[1, 2]", "index_row_not_object"),
        (b'"a string"', "index_row_not_object"),
        (row(record_type="instance"), "non_aggregate_row"),
        (row(url="https://example.com/x.json"), "unsupported_row_source"),
        (row(local_path="/etc/passwd"), "unsupported_row_source"),
        (row(object_path=None), "bad_object_path"),
        (row(object_path=...), "bad_object_path"),
        (row(object_path="flat/objects/../../../etc/passwd.json"), "bad_object_path"),
        (row(object_path="/flat/objects/ab/cd/x.json"), "bad_object_path"),
        (row(object_path="flat\\objects\\x.json"), "bad_object_path"),
        (row(object_path="data/x/y.json"), "bad_object_path"),
        (row(object_path="flat/objects/ab/cd/x.txt"), "bad_object_path"),
        (row(sha256=...), "missing_sha256"),
        (row(sha256=""), "missing_sha256"),
        (row(sha256="abc"), "bad_sha256"),
        (row(sha256=12), "bad_sha256"),
        (row(size_bytes=True), "bad_size"),
        (row(size_bytes=-1), "bad_size"),
        (row(size_bytes="10"), "bad_size"),
        (row(subset=""), "bad_subset"),
        (row(subset={"name": "diamond"}), "bad_subset"),
    ],
)
def test_bad_rows_are_skipped_with_line_and_reason(line: bytes, reason: str) -> None:
    good = row(object_path="flat/objects/aa/bb/good.json")
    rows, skipped, count = read_index(b"\n".join([good, b"", line, good]), "col")
    assert count == 4 - 1  # the blank line is not a row
    assert skipped[0].reason == reason
    assert skipped[0].collection == "col" and skipped[0].line == 3
    assert "flat/indexes/by_collection/col.jsonl:3" in skipped[0].message
    assert [r.line for r in rows] == [1]  # line 4 repeats line 1's object: read once
    assert [s.reason for s in skipped[1:]] == ["duplicate_row"]


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.binary(max_size=60), st.builds(row)), max_size=8))
def test_any_bytes_give_rows_or_skips_never_an_exception(lines: list[bytes]) -> None:
    data = b"\n".join(line.replace(b"\n", b" ") for line in lines)
    rows, skipped, count = read_index(data, "c")
    assert len(rows) + len(skipped) == count
    assert all(s.line >= 1 and s.collection == "c" for s in skipped)


def _float_big_ints(data: bytes) -> Any:
    """Decodes like orjson: integers beyond 64 bits become floats."""
    return json.loads(data, parse_int=lambda text: float(text) if len(text) > 19 else int(text))


@pytest.mark.parametrize("fast", [_float_big_ints, "orjson"])
def test_fast_decoder_rows_read_as_json_reads_them(
    fast: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    if fast == "orjson":
        fast = pytest.importorskip("orjson").loads
    lines = [
        row(size_bytes=2**70),  # a float to orjson: json decides (an int, so the row is good)
        row(object_path="flat/objects/aa/bb/x.json", size_bytes=1.5),
        row(object_path="flat/objects/aa/bb/y.json", subset="\ud800"),
        b'{"object_path": NaN}',
    ]
    data = b"\n".join(lines)
    monkeypatch.setattr(index, "FAST_LOADS", None)
    expected = read_index(data, "c")
    assert expected[0][0].size_bytes == 2**70
    monkeypatch.setattr(index, "FAST_LOADS", fast)
    assert read_index(data, "c") == expected
