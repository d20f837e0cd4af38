"""Locator parsing and pinning (eeesync/datastore/locator.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from huggingface_hub import CommitOperationAdd, HfApi

from eeesync.datastore.locator import Locator, is_folder_locator, resolve_locator
from eeesync.errors import DatastoreError, HubUnavailableError
from eeesync.hub.client import Hub, RetryPolicy
from eeesync.localhub import FaultConfig, LocalHub
from tests.helpers import build_datastore, mmlu_record, upload_datastore

LINK = "evaleval/EEE_datastore"


def make_hub(localhub: LocalHub, api: HfApi) -> Hub:
    return Hub(api, localhub.url, localhub.url, "https://huggingface.co", RetryPolicy(2, 0.01))


def test_folder_locator_pins_to_index_digest(tmp_path: Path) -> None:
    built = build_datastore(tmp_path / "ds", {"c": [mmlu_record()]})
    first = resolve_locator("ds", hub=None, base_dir=tmp_path, link_repo=LINK)
    assert first.kind == "folder" and first.folder == built.root.resolve()
    assert first.repo_id == LINK and first.revision.startswith("folder-")
    assert len(first.revision) == len("folder-") + 12
    again = resolve_locator("./ds", hub=None, base_dir=tmp_path, link_repo=LINK)
    assert again.revision == first.revision
    built.index_file("c").write_text(built.index_file("c").read_text() + "\n\n")
    changed = resolve_locator("./ds", hub=None, base_dir=tmp_path, link_repo=LINK)
    assert changed.revision != first.revision


def test_folder_rule(tmp_path: Path) -> None:
    (tmp_path / "owner" / "name").mkdir(parents=True)
    assert is_folder_locator("owner/name", tmp_path)  # exists: a folder wins
    assert not is_folder_locator("other/name", tmp_path)
    for text in ("./x", "../x", "/x", "~/x"):
        assert is_folder_locator(text, tmp_path)


@pytest.mark.parametrize("text", ["./missing", "../../x", "/definitely/not/here"])
def test_missing_folder_is_an_error(tmp_path: Path, text: str) -> None:
    with pytest.raises(DatastoreError, match="does not exist"):
        resolve_locator(text, hub=None, base_dir=tmp_path, link_repo=LINK)


def test_folder_without_flat_layout(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatastoreError, match="flat/indexes/by_collection"):
        resolve_locator("./empty", hub=None, base_dir=tmp_path, link_repo=LINK)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("a/b@c@d", "one @"),
        ("noslash", "OWNER/NAME"),
        ("a/b@", "empty revision"),
        ("a/b/c", "not a valid Hub repo id"),
        ("a--b/c", "not a valid Hub repo id"),
    ],
)
def test_bad_hub_locators(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(DatastoreError, match=message):
        resolve_locator(text, hub=None, base_dir=tmp_path, link_repo=LINK)


def test_hub_locator_needs_a_hub(tmp_path: Path) -> None:
    with pytest.raises(DatastoreError, match="no Hub connection"):
        resolve_locator("a/b", hub=None, base_dir=tmp_path, link_repo=LINK)


def test_hub_revisions_resolve_to_commit_shas(
    tmp_path: Path, localhub: LocalHub, hub_api: HfApi
) -> None:
    first = upload_datastore(hub_api, build_datastore(tmp_path / "a", {"c": []}).root, LINK)
    pr = hub_api.create_commit(
        LINK,
        [CommitOperationAdd("flat/indexes/by_collection/pr.jsonl", b"")],
        commit_message="proposal",
        repo_type="dataset",
        create_pr=True,
    )
    second = upload_datastore(
        hub_api, build_datastore(tmp_path / "b", {"d": [mmlu_record()]}).root, LINK
    )
    assert first != second
    hub = make_hub(localhub, hub_api)
    bare = resolve_locator(LINK, hub=hub, base_dir=tmp_path, link_repo="x/y")
    assert bare == Locator(
        input=LINK, kind="hub", repo_id=LINK, revision=second, folder=None, pinned_by="hub"
    )
    main = resolve_locator(f"{LINK}@main", hub=hub, base_dir=tmp_path, link_repo="x/y")
    assert main.revision == second  # "@main" is pinned too (upstream used it verbatim)
    ref = resolve_locator(f"{LINK}@refs/pr/1", hub=hub, base_dir=tmp_path, link_repo="x/y")
    assert ref.revision == pr.oid and ref.input == f"{LINK}@refs/pr/1"
    by_sha = resolve_locator(f"{LINK}@{first}", hub=hub, base_dir=tmp_path, link_repo="x/y")
    assert by_sha.revision == first


def test_hub_errors_are_datastore_errors(
    tmp_path: Path, localhub: LocalHub, hub_api: HfApi
) -> None:
    hub = make_hub(localhub, hub_api)
    with pytest.raises(DatastoreError, match="was not found"):
        resolve_locator("nobody/nothing", hub=hub, base_dir=tmp_path, link_repo=LINK)
    hub_api.create_repo(LINK, repo_type="dataset")
    with pytest.raises(DatastoreError, match="no revision 'nope'"):
        resolve_locator(f"{LINK}@nope", hub=hub, base_dir=tmp_path, link_repo=LINK)


def test_a_failing_or_unreachable_hub_is_never_a_missing_datastore(
    tmp_path: Path, localhub: LocalHub, hub_api: HfApi
) -> None:
    hub = make_hub(localhub, hub_api)
    hub_api.create_repo(LINK, repo_type="dataset")
    localhub.set_faults(FaultConfig(rate_5xx=1.0, routes=frozenset({"repo_info"})))
    with pytest.raises(DatastoreError, match=rf"cannot resolve datastore {LINK}@main .*: HTTP 50"):
        resolve_locator(LINK, hub=hub, base_dir=tmp_path, link_repo=LINK)
    localhub.set_faults(FaultConfig(drop_rate=1.0, routes=frozenset({"repo_info"})))
    with pytest.raises(HubUnavailableError, match="cannot reach the Hub"):
        resolve_locator(LINK, hub=hub, base_dir=tmp_path, link_repo=LINK)


def test_blob_url_is_pinned_and_quoted() -> None:
    locator = Locator(input="x", kind="hub", repo_id="evaleval/EEE_datastore", revision="a" * 40)
    url = locator.blob_url("flat/objects/67/6f/a b.json")
    assert url == (
        "https://huggingface.co/datasets/evaleval/EEE_datastore/blob/"
        + "a" * 40
        + "/flat/objects/67/6f/a%20b.json"
    )
    odd = Locator(input="x", kind="hub", repo_id="o/n", revision="refs/pr/1")
    assert "/blob/refs%2Fpr%2F1/" in odd.blob_url("p.json", web_base="http://h/")
