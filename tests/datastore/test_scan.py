"""Reading whole datastores from a folder and from a dataset repo on the local Hub
(eeesync/datastore/scan.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from huggingface_hub import CommitOperationAdd, HfApi
from rich.console import Console
from rich.progress import Progress as RichBars

from eeesync.cache import ObjectCache
from eeesync.datastore import (
    list_collections,
    open_datastore,
    read_datastore,
    resolve_locator,
)
from eeesync.datastore.locator import Locator
from eeesync.datastore.scan import check_folder_collections
from eeesync.errors import DatastoreError
from eeesync.hub.client import Hub, RetryPolicy
from eeesync.localhub import FaultConfig, LocalHub
from eeesync.views.progress_bars import RichProgress
from tests.helpers import (
    AETHER_BF16,
    AETHER_FP16,
    MMLU_PRO_022,
    BuiltDatastore,
    ObjectSpec,
    build_datastore,
    fixture,
    mmlu_record,
    upload_datastore,
)

REPO = "evaleval/EEE_datastore"


def sample(root: Path) -> BuiltDatastore:
    """Two collections of real records, with one of each object-level problem in "broken"."""
    return build_datastore(
        root,
        {
            "MMLU-Pro": [fixture(MMLU_PRO_022), mmlu_record()],
            "hfopenllm_v2": [fixture(AETHER_BF16), fixture(AETHER_FP16)],
            "broken": [
                mmlu_record(model_id="a/ok"),
                mmlu_record(model_id="a/sha"),
                mmlu_record(model_id="a/size"),
                mmlu_record(model_id="a/missing"),
                mmlu_record(model_id="a/tamper"),
                ObjectSpec(record=b"\xff\xfe not utf-8"),
                ObjectSpec(record=b"{ not json"),
                ObjectSpec(record=b"[1, 2, 3]"),
                ObjectSpec(record=b'{"schema_version": "9.0.0"}'),
                mmlu_record(model_id="a/last"),
            ],
        },
        corrupt={
            ("broken", 1): "sha256",
            ("broken", 2): "size",
            ("broken", 3): "missing_object",
            ("broken", 4): "tamper",
        },
        extra_lines={"broken": ["{bad json", "[1]", '{"record_type": "instance"}']},
    )


EXPECTED_BROKEN = [
    (2, "sha256_mismatch"),
    (3, "size_mismatch"),
    (4, "object_missing"),
    (5, "sha256_mismatch"),
    (6, "not_utf8"),
    (7, "bad_json"),
    (8, "not_an_object"),
    (9, "unsupported_schema_version"),
    (11, "bad_index_line"),
    (12, "index_row_not_object"),
    (13, "non_aggregate_row"),
]


def folder_locator(root: Path) -> Locator:
    return resolve_locator(str(root), hub=None, base_dir=root.parent, link_repo=REPO)


def make_hub(localhub: LocalHub, api: HfApi, attempts: int = 2) -> Hub:
    return Hub(
        api, localhub.url, localhub.url, "https://huggingface.co", RetryPolicy(attempts, 0.01)
    )


def publish(built: BuiltDatastore, localhub: LocalHub, api: HfApi) -> tuple[Hub, Locator]:
    """Upload a built datastore as REPO and resolve it through the local Hub."""
    upload_datastore(api, built.root, REPO)
    hub = make_hub(localhub, api)
    return hub, resolve_locator(REPO, hub=hub, base_dir=built.root.parent, link_repo="x/y")


def check_broken(read_skipped: tuple[object, ...], built: BuiltDatastore) -> None:
    got = [(s.line, s.reason) for s in read_skipped if s.collection == "broken"]  # type: ignore[attr-defined]
    assert got == EXPECTED_BROKEN
    by_line = {s.line: s for s in read_skipped}  # type: ignore[attr-defined]
    assert by_line[2].object_path == built.object_path("broken", 1)
    assert f"flat/indexes/by_collection/broken.jsonl:2: {built.object_path('broken', 1)}" in (
        by_line[2].message
    )


def test_folder_read_all_collections(tmp_path: Path) -> None:
    built = sample(tmp_path / "ds")
    locator = folder_locator(built.root)
    assert list_collections(locator, hub=None) == ["broken", "hfopenllm_v2", "MMLU-Pro"]
    read = read_datastore(locator, None, hub=None, cache=None)
    assert read.collections == ("broken", "hfopenllm_v2", "MMLU-Pro")
    models = [(r.row.collection, r.model.id) for r in read.records]
    assert models == [
        ("broken", "a/ok"),
        ("broken", "a/last"),
        ("hfopenllm_v2", "Daemontatox/AetherTOT"),
        ("hfopenllm_v2", "Daemontatox/AetherTOT"),
        ("MMLU-Pro", "01-ai/yi-1.5-34b-chat"),
        ("MMLU-Pro", "google/gemma-2b-it"),
    ]
    assert {r.schema_version for r in read.records} == {"0.2.0", "0.2.2"}
    check_broken(read.skipped, built)
    digests = {d.collection: d for d in read.indexes}
    assert digests["broken"].rows == 13 and digests["MMLU-Pro"].rows == 2
    assert len(digests["MMLU-Pro"].sha256) == 64


def test_folder_read_selected_collections_and_progress(tmp_path: Path) -> None:
    built = sample(tmp_path / "ds")
    bars = RichBars(console=Console(file=open(tmp_path / "out.txt", "w")))  # noqa: SIM115
    read = read_datastore(
        folder_locator(built.root), ["MMLU-Pro"], hub=None, cache=None, progress=RichProgress(bars)
    )
    assert [r.model.id for r in read.records] == ["01-ai/yi-1.5-34b-chat", "google/gemma-2b-it"]
    assert read.skipped == () and [d.collection for d in read.indexes] == ["MMLU-Pro"]
    (task,) = bars.tasks
    assert task.total == 2 and task.completed == 2


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (["MMLU_Pro"], "unknown collection 'MMLU_Pro' (nearest: MMLU-Pro)"),
        (["hfopenllm"], "nearest: hfopenllm_v2"),
        (["MMLU-Pro.jsonl"], "without the .jsonl suffix"),
        (["../MMLU-Pro"], "single file stem"),
        (["MMLU-Pro "], "surrounding whitespace"),
        ([], "no collection given"),
    ],
)
def test_collection_errors(tmp_path: Path, names: list[str], message: str) -> None:
    built = sample(tmp_path / "ds")
    with pytest.raises(DatastoreError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_datastore(folder_locator(built.root), names, hub=None, cache=None)


def test_streaming_scan_matches_read(tmp_path: Path) -> None:
    built = sample(tmp_path / "ds")
    scan = open_datastore(folder_locator(built.root), None, hub=None)
    assert len(scan.rows) == 2 + 2 + 10 - 0  # index-level skips are not rows
    first = next(scan.records())
    assert first.model.id == "a/ok"


def test_hub_read_matches_folder_read_and_is_pinned(
    tmp_path: Path, localhub: LocalHub, hub_api: HfApi
) -> None:
    built = sample(tmp_path / "ds")
    sha = upload_datastore(hub_api, built.root, REPO)
    hub = make_hub(localhub, hub_api)
    locator = resolve_locator(REPO, hub=hub, base_dir=tmp_path, link_repo="x/y")
    assert locator.revision == sha
    # The datastore moves on after the plan pinned it: reads must still see `sha`.
    hub_api.create_commit(
        REPO,
        [CommitOperationAdd("flat/indexes/by_collection/MMLU-Pro.jsonl", b"")],
        commit_message="empty the index",
        repo_type="dataset",
    )
    assert list_collections(locator, hub=hub) == ["broken", "hfopenllm_v2", "MMLU-Pro"]
    read = read_datastore(locator, None, hub=hub, cache=None, concurrency=4)
    folder = read_datastore(folder_locator(built.root), None, hub=None, cache=None)
    assert [r.raw for r in read.records] == [r.raw for r in folder.records]
    assert [(s.line, s.reason) for s in read.skipped] == [
        (s.line, s.reason) for s in folder.skipped
    ]
    assert read.indexes == folder.indexes
    check_broken(read.skipped, built)


def test_hub_objects_are_cached_by_sha256(
    tmp_path: Path, localhub: LocalHub, hub_api: HfApi
) -> None:
    built = build_datastore(
        tmp_path / "ds", {"c": [mmlu_record(model_id=f"m/{i}") for i in range(5)]}
    )
    hub, locator = publish(built, localhub, hub_api)
    cache = ObjectCache(tmp_path / "cache")
    localhub.reset_counters()
    first = read_datastore(locator, ["c"], hub=hub, cache=cache)
    assert len(first.records) == 5 and localhub.counters().get("resolve_get") == 6
    assert len(list((tmp_path / "cache" / "objects").rglob("*"))) >= 5
    localhub.reset_counters()
    second = read_datastore(locator, ["c"], hub=hub, cache=cache)
    assert [r.raw for r in second.records] == [r.raw for r in first.records]
    assert localhub.counters().get("resolve_get", 0) == 0  # nothing read twice
    localhub.reset_counters()
    forced = read_datastore(locator, ["c"], hub=hub, cache=cache, force=True)
    assert len(forced.records) == 5 and localhub.counters().get("resolve_get") == 6


def test_hub_download_errors_are_per_object(
    tmp_path: Path, localhub: LocalHub, hub_api: HfApi
) -> None:
    built = build_datastore(
        tmp_path / "ds", {"c": [mmlu_record(model_id=f"m/{i}") for i in range(3)]}
    )
    hub, locator = publish(built, localhub, hub_api)
    scan = open_datastore(locator, ["c"], hub=hub)
    # Every object GET now fails twice (both attempts) for the first object, then succeeds.
    localhub.set_faults(FaultConfig(rate_5xx=1.0, routes=frozenset({"resolve_get"}), max_faults=2))
    records = list(scan.records(concurrency=1))
    assert [r.model.id for r in records] == ["m/1", "m/2"]
    assert [(s.line, s.reason) for s in scan.skipped] == [(1, "download_error")]
    assert "HTTP 5" in scan.skipped[0].message


def test_hub_missing_index_and_object(tmp_path: Path, localhub: LocalHub, hub_api: HfApi) -> None:
    built = build_datastore(
        tmp_path / "ds", {"c": [mmlu_record()]}, corrupt={("c", 0): "missing_object"}
    )
    hub, locator = publish(built, localhub, hub_api)
    read = read_datastore(locator, ["c"], hub=hub, cache=None)
    assert [(s.line, s.reason) for s in read.skipped] == [(1, "object_missing")]
    with pytest.raises(DatastoreError, match="unknown collection 'd'"):
        read_datastore(locator, ["d"], hub=hub, cache=None)


@pytest.mark.parametrize("change", [b"", b" " * 5000, b"x"])
def test_folder_objects_are_read_whole_whatever_the_index_says(
    tmp_path: Path, change: bytes
) -> None:
    """The reader reads the size the index gives in one go, then to the end of the file: an
    object longer than its row says is a size mismatch naming its real size."""
    built = build_datastore(tmp_path / "ds", {"c": [mmlu_record()]})
    path = built.file("c", 0)
    original = path.read_bytes()
    path.write_bytes(original + change)
    locator = resolve_locator(str(built.root), hub=None, base_dir=tmp_path, link_repo="x/y")
    read = read_datastore(locator, ["c"], hub=None, cache=None)
    if not change:
        assert len(read.records) == 1 and read.skipped == ()
        return
    (skip,) = read.skipped
    assert skip.reason == "size_mismatch"
    assert f"size is {len(original) + len(change)} bytes" in skip.message


@pytest.mark.parametrize("kind", ["dev-zero", "fifo", "folder"])
def test_an_object_that_is_not_a_regular_file_is_skipped_without_reading(
    tmp_path: Path, kind: str
) -> None:
    """Issue 14 §5d: a symlink to /dev/zero never ends and a FIFO blocks forever; both are
    per-object read errors, found before reading, and the other objects are read."""
    built = build_datastore(tmp_path / "ds", {"c": [mmlu_record(), mmlu_record(model_id="a/b")]})
    path = built.file("c", 0)
    path.unlink()
    if kind == "dev-zero":
        path.symlink_to("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        path.mkdir()
    locator = resolve_locator(str(built.root), hub=None, base_dir=tmp_path, link_repo="x/y")
    read = read_datastore(locator, ["c"], hub=None, cache=None)
    (skip,) = read.skipped
    assert skip.reason == "read_error" and "not a regular file" in skip.message
    assert [r.model.id for r in read.records] == ["a/b"]


def test_an_index_that_is_a_fifo_is_a_clean_error(tmp_path: Path) -> None:
    """Not listed as a collection (regular files only), so never opened: no hang."""
    built = build_datastore(tmp_path / "ds", {"c": [mmlu_record()]})
    index = built.index_file("c")
    index.unlink()
    os.mkfifo(index)
    with pytest.raises(DatastoreError, match="unknown collection 'c'"):
        open_datastore(
            Locator(input="ds", kind="folder", repo_id="x/y", revision="r", folder=built.root),
            ["c"],
            hub=None,
            cache=None,
        )


def test_a_flat_folders_collection_names_are_checked_before_anything_is_opened(
    tmp_path: Path,
) -> None:
    build_datastore(tmp_path / "ds", {"mmlu": [mmlu_record()]})
    check_folder_collections("ds", tmp_path, ["mmlu"])
    with pytest.raises(DatastoreError, match=r"unknown collection 'mmlu-pro' \(nearest: mmlu\)"):
        check_folder_collections("ds", tmp_path, ["mmlu-pro"])
    # The submission layout's collections are folders under data/, checked when it is read.
    (tmp_path / "ds" / "data" / "contrib").mkdir(parents=True)
    check_folder_collections("ds", tmp_path, ["contrib"], layout="submission")
