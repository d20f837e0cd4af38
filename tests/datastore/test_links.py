"""Backlinks that resolve (issue 11): a folder datastore's entries are `ready` only when their
`source.url` names an object that exists at that commit with the bytes that were mapped."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from pathlib import Path

import pytest
from huggingface_hub import HfApi

from eeesync.apply import check_publishable
from eeesync.cli.common import open_hub
from eeesync.config import Config
from eeesync.datastore import links
from eeesync.errors import PlanFileError
from eeesync.hub.client import WEB_BASE, Hub
from eeesync.localhub import LocalHub
from eeesync.pipeline import PlanRequest, build_plan
from eeesync.plan.file import serialize_plan
from eeesync.plan.model import Status
from tests import plan_factory as pf
from tests.helpers import mmlu_overall_record, upload_datastore, write_datastore
from tests.hub.conftest import FAST_RETRY, make_hub

REPO = "evaleval/EEE_datastore"
FIXED = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)


def _records(n: int) -> list[bytes]:
    return [mmlu_overall_record(f"org/m{i}", 0.5 + i / 1000) for i in range(n)]


def _config(tmp_path: Path, endpoint: str, **kw: object) -> Config:
    return Config(
        datastore_input="ds",
        datastore_link_repo=REPO,
        collections=("c",),
        endpoint_input=endpoint,
        check_tasks=False,
        cache_dir=tmp_path / ".eeesync",
        base_dir=tmp_path,
        **kw,  # type: ignore[arg-type]
    )


def _published(tmp_path: Path, api: HfApi, n: int) -> str:
    """A datastore folder of n models, uploaded as the datastore repo; the models exist."""
    folder = write_datastore(tmp_path / "ds", {"c": _records(n)})
    for i in range(n):
        api.create_repo(f"org/m{i}")
    return upload_datastore(api, folder, REPO)


def _rewrite_object(folder: Path, position: int, data: bytes) -> str:
    """Give one object new bytes and fix its index row, so the scan accepts it."""
    index = folder / "flat/indexes/by_collection/c.jsonl"
    rows = [json.loads(line) for line in index.read_text().splitlines()]
    row = rows[position]
    (folder / row["object_path"]).write_bytes(data)
    row.update(sha256=hashlib.sha256(data).hexdigest(), size_bytes=len(data))
    index.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(row["object_path"])


def test_a_pinned_folder_links_to_its_commit_and_is_checked_in_bulk(
    tmp_path: Path, localhub: LocalHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(links, "PATHS_PER_REQUEST", 100)
    api = HfApi(endpoint=localhub.url, token="x")
    sha = _published(tmp_path, api, 250)
    result = build_plan(
        _config(tmp_path, localhub.url, datastore_link_revision=sha),
        PlanRequest(),
        hub=make_hub(localhub),
    )
    plan = result.plan
    assert plan.counts.get(Status.READY) == 250 and not plan.skipped
    assert plan.inputs.datastore_revision == sha and plan.inputs.datastore_pinned_by == "config"
    entry = plan.repos[0].entries[0].desired
    assert entry.entry.source_url == f"{WEB_BASE}/datasets/{REPO}/blob/{sha}/" + (
        entry.provenance.object_path if entry.provenance else ""
    )
    # 250 objects at 100 paths per request: 3 requests (≤ 1 per 100 objects, rounded up)
    assert (result.stats.link_objects, result.stats.link_requests) == (250, 3)
    assert result.stats.link_requests <= math.ceil(result.stats.link_objects / 100)


def test_a_link_whose_object_differs_or_is_missing_is_caught(
    tmp_path: Path, localhub: LocalHub
) -> None:
    api = HfApi(endpoint=localhub.url, token="x")
    sha = _published(tmp_path, api, 3)
    folder = tmp_path / "ds"
    changed = _rewrite_object(folder, 0, mmlu_overall_record("org/m0", 0.9))
    # an object the Hub never had: a new row pointing at a new file
    extra = mmlu_overall_record("org/m9", 0.7)
    api.create_repo("org/m9")
    write_datastore(tmp_path / "more", {"c": [extra]})
    more_index = (tmp_path / "more/flat/indexes/by_collection/c.jsonl").read_text()
    new_path = json.loads(more_index)["object_path"]
    (folder / new_path).parent.mkdir(parents=True, exist_ok=True)
    (folder / new_path).write_bytes((tmp_path / "more" / new_path).read_bytes())
    with (folder / "flat/indexes/by_collection/c.jsonl").open("a") as handle:
        handle.write(more_index)
    plan = build_plan(
        _config(tmp_path, localhub.url, datastore_link_revision=sha),
        PlanRequest(),
        hub=make_hub(localhub),
    ).plan
    reasons = {s.object_path: s.reason for s in plan.skipped}
    assert reasons == {changed: "source_link_differs", new_path: "source_link_missing"}
    ready = {r.repo_id for r in plan.repos if r.opens_pr}
    assert ready == {"org/m1", "org/m2"}


def test_a_missing_revision_skips_every_entry(tmp_path: Path, localhub: LocalHub) -> None:
    api = HfApi(endpoint=localhub.url, token="x")
    _published(tmp_path, api, 2)
    plan = build_plan(
        _config(tmp_path, localhub.url, datastore_link_revision="ab" * 20),
        PlanRequest(),
        hub=make_hub(localhub),
    ).plan
    assert {s.reason for s in plan.skipped} == {"source_link_missing"}
    assert not plan.has_changes and "abababababab" in plan.skipped[0].message


def _real_hub(localhub: LocalHub) -> Hub:
    """The local server standing in for https://huggingface.co (the endpoint decides)."""
    hub = make_hub(localhub)
    return Hub(hub.api, hub.url, "https://huggingface.co", WEB_BASE, FAST_RETRY, timeout=5.0)


def test_an_unpinned_folder_is_not_publishable_on_the_real_hub(
    tmp_path: Path, localhub: LocalHub
) -> None:
    api = HfApi(endpoint=localhub.url, token="x")
    write_datastore(tmp_path / "ds", {"c": _records(2)})
    for i in range(2):
        api.create_repo(f"org/m{i}")
    real = build_plan(
        _config(tmp_path, "https://huggingface.co"), PlanRequest(), hub=_real_hub(localhub)
    ).plan
    assert not real.has_changes and {s.reason for s in real.skipped} == {"unpinned_datastore"}
    assert "link_revision" in real.skipped[0].message and real.inputs.datastore_pinned_by == ""
    # a rehearsal keeps them (the plan can be tried), and apply refuses it for the real Hub
    rehearsal = build_plan(
        _config(tmp_path, localhub.url), PlanRequest(), hub=make_hub(localhub)
    ).plan
    assert rehearsal.has_changes and rehearsal.inputs.datastore_revision.startswith("folder-")
    check_publishable(rehearsal, localhub.url)
    check_publishable(rehearsal, "local:state")
    with pytest.raises(PlanFileError, match="would not resolve"):
        check_publishable(rehearsal, "https://huggingface.co")


def test_apply_takes_a_pinned_plan_for_the_real_hub() -> None:
    plan = pf.make_plan()
    assert plan.has_changes and len(plan.inputs.datastore_revision) == 40
    check_publishable(plan, "https://huggingface.co")  # a 40-hex revision: fine


def test_the_digest_is_the_same_on_any_port(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with LocalHub(state) as server:
        api = HfApi(endpoint=server.url, token="x")
        sha = _published(tmp_path, api, 2)
    config = _config(tmp_path, "local:state", datastore_link_revision=sha)
    plans, urls = [], []
    for _ in range(2):
        with open_hub(config) as hub:
            urls.append(hub.url)
            plans.append(build_plan(config, PlanRequest(force=True), hub=hub, now=lambda: FIXED))
    first, second = (p.plan for p in plans)
    assert urls[0] != urls[1]  # two servers, two ports
    assert first.has_changes and first.digest == second.digest
    text = serialize_plan(first)
    assert urls[0] not in text and "127.0.0.1" not in text
