"""Server-side `.eval_results` validation (`eeesync/localhub/evalresults.py`)."""

from __future__ import annotations

import pytest
from huggingface_hub import parse_eval_result_entries

from eeesync.localhub.evalresults import eval_results, parse_file

FULL = b"""\
- dataset:
    id: cais/hle
    task_id: hle
    revision: abc
  value: 20.9
  verifyToken: tok
  date: "2025-01-15"
  source: {url: "https://example.org", name: Logs, user: u, org: o}
  notes: With tools
- dataset: {id: Idavidrein/gpqa, task_id: gpqa_diamond}
  value: 41
"""


def test_valid_file_gives_one_item_per_entry_the_client_parses() -> None:
    items = parse_file(".eval_results/a.yaml", FULL)
    assert [item["filename"] for item in items] == [".eval_results/a.yaml"] * 2
    entries = parse_eval_result_entries(items)
    assert entries[0].source_org == "o" and entries[0].notes == "With tools"
    assert entries[0].date == "2025-01-15" and entries[1].value == 41


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"dataset: {id: a, task_id: b}\nvalue: 1\n", "expected a YAML list"),
        (b"- dataset: {id: a}\n  value: 1\n", "dataset.task_id"),
        (b"- dataset: {task_id: a}\n  value: 1\n", "dataset.id"),
        (b"- dataset: {id: a, task_id: b}\n", "'value'"),
        (b"- dataset: {id: a, task_id: b}\n  value: high\n", "'value'"),
        (b"- dataset: {id: a, task_id: b}\n  value: true\n", "'value'"),
        (b"- dataset: {id: a, task_id: b}\n  value: 1\n  source: {name: x}\n", "source.url"),
        (b"- [unclosed\n", "expected"),
        (b"\xff\xfe", "utf-8"),
        (b"", "expected a YAML list"),
    ],
)
def test_invalid_files_are_reported_not_raised(content: bytes, message: str) -> None:
    items = parse_file(".eval_results/bad.yaml", content)
    assert len(items) == 1 and set(items[0]) == {"filename", "error"}
    assert message in items[0]["error"]
    assert parse_eval_result_entries(items) == []  # the client skips it


def test_unquoted_dates_become_strings() -> None:
    items = parse_file("f", b"- dataset: {id: a, task_id: b}\n  value: 1\n  date: 2025-01-15\n")
    assert items[0]["data"]["date"] == "2025-01-15"


def test_only_yaml_files_under_the_folder_count() -> None:
    blobs = {"1": FULL, "2": b"- not valid", "3": FULL}
    files = [
        (".eval_results/z.yaml", "1"),
        ("README.md", "2"),
        ("other/x.yaml", "3"),
        (".eval_results/notes.txt", "2"),
    ]
    items = eval_results(files, blobs.__getitem__)
    assert {i["filename"] for i in items} == {".eval_results/z.yaml"} and len(items) == 2
