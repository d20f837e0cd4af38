"""Datastore objects are downloaded `download_parallelism` at once, apart from the audit's
width (issue 13): the width reaches the server, results keep index order, a resolver quota is
never overdrawn, and a consumer that stops early stops the downloads.

Widths are read at the local Hub (the most requests it answered at once, latency included),
with a latency long enough that a loaded 2-core machine still starts every worker in time.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from huggingface_hub import HfApi

from eeesync.config import DEFAULT_PARALLELISM, Config
from eeesync.datastore import open_datastore, read_datastore, resolve_locator
from eeesync.datastore.locator import Locator
from eeesync.errors import DatastoreError
from eeesync.hub.eval_yaml import read_task_ids, task_reader
from eeesync.localhub import FaultConfig, LocalHub, RateLimitConfig
from eeesync.pipeline import PlanRequest, build_plan
from tests.helpers import (
    MMLU_DATASET,
    MMLU_FILE,
    MMLU_TASK,
    eval_yaml,
    mmlu_overall_record,
    upload_datastore,
    write_datastore,
)
from tests.hub.conftest import make_hub

REPO = "bench/eee"
#: Seconds each object GET waits at the server: long enough for every worker to start.
SLOW = 0.25


def _publish(
    tmp_path: Path,
    localhub: LocalHub,
    collections: dict[str, list[bytes]],
    *,
    limits: RateLimitConfig | None = None,
) -> Locator:
    write_datastore(tmp_path / "ds", collections)
    upload_datastore(HfApi(endpoint=localhub.url, token="x"), tmp_path / "ds", REPO)
    localhub.set_rate_limits(limits)  # from the first request the planner makes
    return resolve_locator(REPO, hub=make_hub(localhub), base_dir=tmp_path, link_repo=REPO)


def _records(count: int, prefix: str = "m") -> list[bytes]:
    return [mmlu_overall_record(f"{prefix}/model-{i:03d}", 0.5) for i in range(count)]


def _slow_objects(localhub: LocalHub, seconds: float = SLOW, jitter: float = 0.0) -> None:
    localhub.set_faults(
        FaultConfig(
            latency_ms=seconds * 1000,
            jitter_ms=jitter * 1000,
            routes=frozenset({"resolve_get"}),
        )
    )
    localhub.reset_counters()


@pytest.mark.parametrize(("width", "latency"), [(3, 0.1), (16, SLOW)])
def test_the_download_width_reaches_the_server_and_no_further(
    tmp_path: Path, localhub: LocalHub, width: int, latency: float
) -> None:
    locator = _publish(tmp_path, localhub, {"c": _records(48)})
    hub = make_hub(localhub)
    scan = open_datastore(locator, ["c"], hub=hub)
    _slow_objects(localhub, seconds=latency)
    started = time.monotonic()
    records = list(scan.records(concurrency=width))
    elapsed = time.monotonic() - started
    assert len(records) == 48 and scan.downloads == 48
    peak = localhub.peak_in_flight()["resolvers"]
    assert peak <= width
    assert elapsed >= 48 * latency / width * 0.9  # never more at once than the width
    if width > DEFAULT_PARALLELISM:
        # Wider than the audit's width: the point of a separate download pool.
        assert peak > DEFAULT_PARALLELISM


def test_records_keep_index_order_whatever_order_downloads_finish(
    tmp_path: Path, localhub: LocalHub
) -> None:
    records = _records(60)
    locator = _publish(tmp_path, localhub, {"c": records})
    hub = make_hub(localhub)
    one_by_one = read_datastore(locator, ["c"], hub=hub, cache=None, concurrency=1)
    # Random latencies: downloads finish out of order.
    _slow_objects(localhub, seconds=0.0, jitter=0.08)
    read = read_datastore(locator, ["c"], hub=hub, cache=None, concurrency=32)
    assert [r.raw for r in read.records] == [r.raw for r in one_by_one.records]
    assert [r.model.id for r in read.records] == [f"m/model-{i:03d}" for i in range(60)]


def test_a_wide_pool_stays_inside_the_resolver_quota(tmp_path: Path) -> None:
    limits = RateLimitConfig(api_quota=1000, resolvers_quota=12, window_s=1)
    with LocalHub(tmp_path / "hub") as local:
        local.reset_counters()
        locator = _publish(tmp_path, local, {"c": _records(30)}, limits=limits)
        hub = make_hub(local)
        scan = open_datastore(locator, ["c"], hub=hub)
        started = time.monotonic()
        records = list(scan.records(concurrency=32))
        elapsed = time.monotonic() - started
        counts = local.counters()
    assert [r.model.id for r in records] == [f"m/model-{i:03d}" for i in range(30)]
    assert scan.skipped == [] and hub.retries == 0
    assert not any(key.startswith("ratelimited") for key in counts)
    resolvers = next(v for v in hub.pacer.views() if v.bucket == "resolvers")
    assert resolvers.refused == 0 and resolvers.waits >= 1
    assert elapsed >= 1.5  # 31 requests at 12 per 1 s window: three windows


def test_a_consumer_that_stops_early_stops_the_downloads(
    tmp_path: Path, localhub: LocalHub
) -> None:
    locator = _publish(tmp_path, localhub, {"c": _records(200)})
    hub = make_hub(localhub)
    scan = open_datastore(locator, ["c"], hub=hub)
    _slow_objects(localhub, seconds=0.3)
    stream = scan.records(concurrency=16)
    first = [next(stream) for _ in range(3)]
    started = time.monotonic()
    stream.close()
    closed_in = time.monotonic() - started
    asked = localhub.counters().get("resolve_get", 0)
    time.sleep(0.5)
    assert localhub.counters().get("resolve_get", 0) == asked  # nothing sent after close()
    assert [r.model.id for r in first] == ["m/model-000", "m/model-001", "m/model-002"]
    # 64 were queued (4 per worker); only those already running (16, or 32 if the consumer
    # was slow to close) were waited for, the rest were dropped.
    assert asked <= 48 and closed_in < 5


def test_index_files_are_read_at_once_and_the_first_failure_wins(
    tmp_path: Path, localhub: LocalHub
) -> None:
    names = [f"col{i}" for i in range(6)]
    locator = _publish(tmp_path, localhub, {n: _records(1, prefix=n) for n in names})
    hub = make_hub(localhub)
    one_by_one = [
        row.object_path for n in names for row in open_datastore(locator, [n], hub=hub).rows
    ]
    _slow_objects(localhub, seconds=0.3)
    started = time.monotonic()
    scan = open_datastore(locator, names, hub=hub, concurrency=6)
    elapsed = time.monotonic() - started
    assert [d.collection for d in scan.indexes] == names
    assert [r.object_path for r in scan.rows] == one_by_one
    assert localhub.peak_in_flight()["resolvers"] >= 2
    assert elapsed < 6 * 0.3  # one by one: 1.8 s
    # Every index read fails: the error names the first in collection order, as one by one.
    localhub.set_faults(FaultConfig(rate_5xx=1.0, routes=frozenset({"resolve_get"})))
    with pytest.raises(DatastoreError, match="cannot read index") as caught:
        open_datastore(locator, names, hub=hub, concurrency=6)
    assert "col0.jsonl" in str(caught.value)


def test_task_checks_read_each_dataset_once_and_at_once(localhub: LocalHub) -> None:
    datasets = ["bench/a", "bench/b", "bench/c", "Bench/A"]
    for name in datasets[:3]:
        localhub.storage.create_repo(name, repo_type="dataset")
        localhub.storage.commit(
            name,
            {"eval.yaml": f"name: {name}\ntasks:\n  - id: t-{name[-1]}\n".encode()},
            repo_type="dataset",
        )
    hub = make_hub(localhub)
    _slow_objects(localhub, seconds=0.3)
    read = task_reader(hub, datasets, concurrency=8)
    assert localhub.counters().get("resolve_get") == 3  # "Bench/A" is "bench/a"
    assert localhub.peak_in_flight()["resolvers"] >= 2
    localhub.set_faults(None)
    for name in datasets:
        assert read(name) == read_task_ids(hub, name)
    assert read("bench/missing") == read_task_ids(hub, "bench/missing")  # not given: read now


def test_plan_downloads_wider_than_it_audits(tmp_path: Path, localhub: LocalHub) -> None:
    _publish(tmp_path, localhub, {"c": _records(40, prefix="acme")})
    for i in range(0, 40, 4):
        localhub.storage.create_repo(f"acme/model-{i:03d}")
    localhub.storage.commit("acme/model-000", {MMLU_FILE: eval_yaml((MMLU_DATASET, MMLU_TASK, 50))})
    config = Config(
        datastore_input=REPO,
        collections=("c",),
        endpoint_input=localhub.url,
        check_tasks=False,
        parallelism=2,
        download_parallelism=12,
        cache_dir=tmp_path / ".eeesync",
        plan_dir=tmp_path / "plans",
        base_dir=tmp_path,
    )
    # Downloads are slow (the audit reads its eval files through the same route, also slowly).
    localhub.set_faults(FaultConfig(latency_ms=SLOW * 1000, routes=frozenset({"resolvers"})))
    localhub.reset_counters()
    result = build_plan(config, PlanRequest(force=True), hub=make_hub(localhub))
    peaks = localhub.peak_in_flight()
    assert result.stats.records == 40
    assert peaks["api"] <= 2  # the audit's width
    # Downloads 12 at once (+ the audit's one eval-file read); at the audit's width it would
    # be at most 2 + 1.
    assert 4 < peaks["resolvers"] <= 12 + 1
