"""Reading EEE's submission layout (`data/<collection>/<developer>/<model>/<uuid>.json`) from a
folder of adapter output and from a dataset repo at any revision, PRs included
(eeesync/datastore/submission.py)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import attrs
import pytest
from huggingface_hub import CommitOperationAdd, HfApi
from huggingface_hub.utils.sha import git_hash
from hypothesis import given, settings
from hypothesis import strategies as st

from eeesync.cache import ObjectCache
from eeesync.datastore import (
    list_collections,
    open_datastore,
    read_datastore,
    resolve_locator,
    submission,
)
from eeesync.datastore.index import IndexRow
from eeesync.datastore.locator import Locator
from eeesync.datastore.records import verify_object
from eeesync.errors import DatastoreError
from eeesync.localhub import LocalHub
from eeesync.plan.model import Provenance
from tests.helpers import (
    mmlu_overall_record,
    submission_path,
    write_datastore,
    write_submission,
)
from tests.hub.conftest import make_hub

REPO = "evaleval/EEE_datastore"
A = mmlu_overall_record("acme/alpha", 0.5)
B = mmlu_overall_record("acme/beta", 0.6)
C = mmlu_overall_record("other/gamma", 0.7)


def locate(root: Path, **kw: str) -> Locator:
    return resolve_locator(str(root), hub=None, base_dir=root.parent, link_repo=REPO, **kw)


def test_adapter_output_reads_as_collections_of_records(tmp_path: Path) -> None:
    files = write_submission(tmp_path / "out", {"mmlu": [A, B], "extra": [C]})
    locator = locate(tmp_path / "out")
    assert locator.layout == "submission" and locator.revision.startswith("folder-")
    assert list_collections(locator, hub=None) == ["extra", "mmlu"]
    read = read_datastore(locator, None, hub=None, cache=None)
    assert read.skipped == () and read.collections == ("extra", "mmlu")
    got = {r.row.object_path: r for r in read.records}
    assert set(got) == set(files)
    for path, data in files.items():
        row = got[path].row
        assert (row.line, row.sha256) == (0, hashlib.sha256(data).hexdigest())
        assert row.collection == path.split("/")[1] and got[path].model.id in path
    assert {d.collection: d.rows for d in read.indexes} == {"extra": 1, "mmlu": 2}
    only = read_datastore(locator, ["extra"], hub=None, cache=None)
    assert [r.model.id for r in only.records] == ["other/gamma"]
    with pytest.raises(DatastoreError, match="unknown collection 'mmlu-pro'"):
        read_datastore(locator, ["mmlu-pro"], hub=None, cache=None)


def test_hostile_files_are_skipped_with_a_reason_naming_them(tmp_path: Path) -> None:
    root = tmp_path / "out"
    good = write_submission(root, {"c": [A]})
    hostile = {
        "data/c/acme/m/huge.json": "record_too_large",
        "data/c/acme/m/deep.json": "bad_json",
        "data/c/acme/m/broken.json": "bad_json",
        "data/c/acme/m/latin1.json": "not_utf8",
        "data/c/acme/m/list.json": "not_an_object",
        "data/c/acme/m/fifo.json": "read_error",
        "data/c/acme/shallow.json": "bad_submission_path",
        "data/c/acme/m/deeper/x.json": "bad_submission_path",
        "data/stray.json": "bad_submission_path",
    }
    folder = root / "data/c/acme/m"
    folder.mkdir(parents=True)
    with open(folder / "huge.json", "wb") as handle:  # sparse: no disk, no read
        handle.truncate(submission.MAX_RECORD_BYTES + 1)
    (folder / "deep.json").write_bytes(b"[" * 200_000)
    (folder / "broken.json").write_bytes(b'{"schema_version": ')
    (folder / "latin1.json").write_bytes(b'{"a": "\xe9"}')
    (folder / "list.json").write_bytes(b"[1, 2]")
    os.mkfifo(folder / "fifo.json")
    (root / "data/c/acme/shallow.json").write_bytes(A)
    (folder / "deeper").mkdir()
    (folder / "deeper/x.json").write_bytes(A)
    (root / "data/stray.json").write_bytes(A)
    (folder / "1234_samples.jsonl").write_bytes(b"{}\n")  # a companion: no record, no skip

    read = read_datastore(locate(root), None, hub=None, cache=None)
    assert [r.row.object_path for r in read.records] == list(good)
    assert {s.object_path: s.reason for s in read.skipped} == hostile
    for item in read.skipped:
        assert item.message.startswith(item.object_path + ": ")


def test_the_layout_is_detected_or_configured(tmp_path: Path) -> None:
    both = write_datastore(tmp_path / "both", {"flatc": [A]})
    write_submission(both, {"subc": [B]})
    assert locate(both).layout == "flat"
    assert list_collections(locate(both), hub=None) == ["flatc"]
    forced = locate(both, layout="submission")
    assert forced.layout == "submission"
    assert [r.model.id for r in read_datastore(forced, None, hub=None, cache=None).records] == [
        "acme/beta"
    ]
    write_submission(tmp_path / "sub", {"c": [A]})
    with pytest.raises(DatastoreError, match="no flat/indexes/by_collection/"):
        locate(tmp_path / "sub", layout="flat")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatastoreError, match="no flat/indexes/by_collection/ and no data/"):
        locate(tmp_path / "empty")
    with pytest.raises(DatastoreError, match="layout 'tree' is not one of"):
        locate(tmp_path / "sub", layout="tree")


def test_a_changed_folder_gets_another_revision(tmp_path: Path) -> None:
    files = write_submission(tmp_path / "out", {"c": [A]})
    before = locate(tmp_path / "out").revision
    (tmp_path / "out" / next(iter(files))).write_bytes(B)
    assert locate(tmp_path / "out").revision != before


def test_a_listed_blob_id_is_checked(tmp_path: Path) -> None:
    row = IndexRow("c", 0, "data/c/a/m/x.json", "", 2, blob_id=git_hash(b"{}"))
    assert verify_object(row, b"{}") is None
    problem = verify_object(row, b"[]")
    assert problem is not None and problem.reason == "blob_id_mismatch"
    assert problem.message.startswith("data/c/a/m/x.json: git blob id is ")


def _upload(api: HfApi, files: dict[str, bytes]) -> str:
    ops = [CommitOperationAdd(path, data) for path, data in files.items()]
    return api.create_commit(REPO, ops, commit_message="records", repo_type="dataset").oid


def test_a_hub_datastore_reads_at_any_revision_including_an_open_pr(
    tmp_path: Path, localhub: LocalHub, hub_api: HfApi
) -> None:
    hub_api.create_repo(REPO, repo_type="dataset")
    main = {submission_path("c", A): A}
    main_sha = _upload(hub_api, main)
    proposed = {submission_path("c", B): B, submission_path("d", C): C}
    pr = hub_api.create_commit(
        REPO,
        [CommitOperationAdd(p, d) for p, d in proposed.items()],
        commit_message="[Submission] two records",
        repo_type="dataset",
        create_pr=True,
    )
    hub = make_hub(localhub)

    on_main = resolve_locator(REPO, hub=hub, base_dir=tmp_path, link_repo=REPO)
    assert (on_main.layout, on_main.revision) == ("submission", main_sha)
    assert [
        r.row.object_path for r in read_datastore(on_main, None, hub=hub, cache=None).records
    ] == list(main)

    in_pr = resolve_locator(f"{REPO}@{pr.pr_revision}", hub=hub, base_dir=tmp_path, link_repo=REPO)
    assert in_pr.revision == pr.oid and in_pr.layout == "submission"
    assert in_pr.blob_url(submission_path("d", C)).endswith(
        f"/blob/{pr.oid}/{submission_path('d', C)}"
    )
    cache = ObjectCache(tmp_path / "cache")
    scan = open_datastore(in_pr, None, hub=hub, cache=cache)
    records = list(scan.records())
    assert scan.collections == ("c", "d") and scan.skipped == [] and scan.downloads == 3
    assert {r.row.object_path: r.row.sha256 for r in records} == {
        p: hashlib.sha256(d).hexdigest() for p, d in {**main, **proposed}.items()
    }
    again = open_datastore(in_pr, ["d"], hub=hub, cache=cache)
    assert [r.model.id for r in again.records()] == ["other/gamma"] and again.downloads == 0

    # a new commit to the PR: only the file it adds is downloaded (the cache keys a file by
    # its git blob id, not by the commit it was read at)
    more = hub_api.create_commit(
        REPO,
        [CommitOperationAdd(submission_path("d", A), A)],
        commit_message="one more",
        repo_type="dataset",
        revision=pr.pr_revision,
    )
    moved = resolve_locator(f"{REPO}@{pr.pr_revision}", hub=hub, base_dir=tmp_path, link_repo=REPO)
    assert moved.revision == more.oid
    later = open_datastore(moved, None, hub=hub, cache=cache)
    assert len(list(later.records())) == 4 and later.downloads == 1


def test_hostile_files_on_the_hub_are_skipped_not_downloaded(
    tmp_path: Path, localhub: LocalHub, hub_api: HfApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub_api.create_repo(REPO, repo_type="dataset")
    _upload(
        hub_api,
        {
            submission_path("c", A): A,
            "data/c/acme/m/big.json": b" " * len(A) + A,
            "data/c/acme/m/deep.json": b"[" * 2000,
            "data/c/acme/m/bad.json": b"{nope",
            "data/c/README.md": b"# notes",
        },
    )
    monkeypatch.setattr(submission, "MAX_RECORD_BYTES", len(A) + 1)
    hub = make_hub(localhub)
    locator = resolve_locator(REPO, hub=hub, base_dir=tmp_path, link_repo=REPO)
    scan = open_datastore(locator, None, hub=hub)
    assert [r.model.id for r in scan.records()] == ["acme/alpha"]
    assert {s.object_path: s.reason for s in scan.skipped} == {
        "data/c/acme/m/big.json": "record_too_large",
        "data/c/acme/m/deep.json": "bad_json",
        "data/c/acme/m/bad.json": "bad_json",
    }
    assert scan.downloads == 3  # the record and the two bad files: never the large one


def test_views_name_a_submission_file_by_collection_and_file_name() -> None:
    flat = Provenance("mmlu", 12, "flat/objects/ab/cd/x.json", "0" * 64)
    assert flat.label == "mmlu:12"
    assert attrs.evolve(flat, line=0, object_path="data/mmlu/acme/m/u.json").label == "mmlu:u.json"


PARTS = st.one_of(
    st.sampled_from(["", ".", "..", " x", "x.", "a\\b", "nul\0", "ok", "Acme", "m-1.5"]),
    st.text(min_size=1, max_size=8),
)


@settings(max_examples=300, deadline=None)
@given(
    parts=st.lists(PARTS, min_size=1, max_size=6), suffix=st.sampled_from([".json", ".jsonl", ""])
)
def test_any_listed_path_is_a_record_row_a_skip_naming_it_or_no_record(
    parts: list[str], suffix: str
) -> None:
    path = "/".join(["data", *parts]) + suffix
    got = submission.row_for("c", submission.ListedFile(path, 10))
    if not path.endswith(".json"):
        assert got is None
    elif isinstance(got, IndexRow):
        assert got.object_path == path and got.line == 0 and len(path.split("/")) == 5
        assert all(p not in ("", ".", "..") and p == p.strip() for p in path.split("/"))
    else:
        assert got is not None and got.reason == "bad_submission_path"
        assert got.message.startswith(path + ": ") and got.object_path == path


def test_an_unknown_collection_of_a_hub_submission_datastore_lists_those_under_data(
    tmp_path: Path, localhub: LocalHub, hub_api: HfApi
) -> None:
    """The hint names where the layout read keeps its collections (folders under `data/`,
    not `flat/indexes/…`), the nearest names first."""
    hub_api.create_repo(REPO, repo_type="dataset")
    _upload(hub_api, {submission_path(c, A): A for c in ("gpqa", "hle", "mmlu_pro")})
    hub = make_hub(localhub)
    locator = resolve_locator(REPO, hub=hub, base_dir=tmp_path, link_repo=REPO)
    with pytest.raises(DatastoreError, match="'mmlu-pro' \\(nearest: mmlu_pro\\)") as raised:
        read_datastore(locator, ["mmlu-pro"], hub=hub, cache=None)
    assert raised.value.hint == "Collections under data/, nearest first: mmlu_pro, gpqa, hle."

    _upload(hub_api, {"data/README.md": b"# no collection yet\n"})
    hub_api.delete_folder("data/gpqa", repo_id=REPO, repo_type="dataset")
    hub_api.delete_folder("data/hle", repo_id=REPO, repo_type="dataset")
    hub_api.delete_folder("data/mmlu_pro", repo_id=REPO, repo_type="dataset")
    emptied = resolve_locator(REPO, hub=hub, base_dir=tmp_path, link_repo=REPO)
    with pytest.raises(DatastoreError, match="'mmlu-pro' \\(no close names\\)") as raised:
        read_datastore(emptied, ["mmlu-pro"], hub=hub, cache=None)
    assert raised.value.hint == "The datastore has no collection under data/."
