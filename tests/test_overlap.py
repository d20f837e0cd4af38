"""Reading and auditing overlap (eeesync/hub/streaming.py): a repo's audit starts while the
scan goes on, and the plan is byte for byte the one a read-everything-first run makes."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from huggingface_hub import HfApi

from eeesync.config import Config
from eeesync.errors import HubUnavailableError
from eeesync.hub.client import Hub, RetryPolicy
from eeesync.hub.streaming import StreamingAudit
from eeesync.localhub import LocalHub
from eeesync.pipeline import PlanRequest, build_plan
from eeesync.plan.file import serialize_plan
from eeesync.progress import NO_TASK, ProgressTask
from tests.helpers import (
    MMLU_DATASET,
    MMLU_FILE,
    MMLU_TASK,
    eval_yaml,
    mmlu_overall_record,
    scenario_records,
    seed_scenario_hub,
    write_datastore,
)
from tests.hub.conftest import make_hub

FIXED = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def _world(tmp_path: Path, localhub: LocalHub) -> Config:
    records = scenario_records()
    # An author with several repos (one listing), some with a score on main.
    for i in range(6):
        records.append(mmlu_overall_record(f"bulk/m{i}", 0.2 + i / 100))
    # One repo, two spellings; the first one read is not the first one sorted.
    records.append(mmlu_overall_record("spell/model", 0.5, timestamp="1.0"))
    records.append(mmlu_overall_record("Spell/Model", 0.5))
    write_datastore(tmp_path / "ds", {"c": records})
    seed_scenario_hub(HfApi(endpoint=localhub.url, token="x"))
    storage = localhub.storage
    for i in range(6):
        storage.create_repo(f"bulk/m{i}")
    for i in (1, 3):
        value = round(20 + i, 2) if i == 1 else 90.0
        storage.commit(f"bulk/m{i}", {MMLU_FILE: eval_yaml((MMLU_DATASET, MMLU_TASK, value))})
    storage.open_pr(
        "bulk/m4", {MMLU_FILE: eval_yaml((MMLU_DATASET, MMLU_TASK, 24.0))}, title="Evals"
    )
    storage.create_repo("SPELL/model")
    return Config(
        datastore_input="ds",
        collections=("c",),
        endpoint_input=localhub.url,
        check_tasks=False,
        cache_dir=tmp_path / ".eeesync",
        plan_dir=tmp_path / "plans",
        base_dir=tmp_path,
    )


def test_overlapped_plan_is_byte_identical(tmp_path: Path, localhub: LocalHub) -> None:
    config = _world(tmp_path, localhub)
    hub = make_hub(localhub)
    request = PlanRequest(force=True)
    sequential = build_plan(config, request, hub=hub, now=lambda: FIXED, overlap=False)
    overlapped = build_plan(config, request, hub=hub, now=lambda: FIXED)
    assert serialize_plan(overlapped.plan) == serialize_plan(sequential.plan)
    assert overlapped.plan.digest == sequential.plan.digest
    assert overlapped.stats.repos_audited == sequential.stats.repos_audited
    statuses = {e.status for r in overlapped.plan.repos for e in r.entries}
    assert len(statuses) >= 5  # the world exercises most statuses
    # warm (audit cache) gives the same plan too
    warm = build_plan(config, PlanRequest(), hub=hub, now=lambda: FIXED)
    assert warm.plan.digest == sequential.plan.digest


class _WatchScan:
    """A progress that notes, when the datastore scan ends, whether the Hub was asked yet."""

    def __init__(self, localhub: LocalHub) -> None:
        self.localhub = localhub
        self.api_requests_at_scan_end: int | None = None

    def note(self, message: str) -> None:
        pass

    def task(self, description: str, total: int) -> ProgressTask:
        if not description.startswith("Reading"):
            return NO_TASK
        watch = self

        class _Scan:
            def advance(self, steps: int = 1) -> None:
                pass

            def complete(self) -> None:
                # The last record is mapped; give running audits a moment to reach the Hub.
                deadline = time.monotonic() + 5
                while time.monotonic() < deadline:
                    if watch.localhub.counters().get("api", 0) > 0:
                        break
                    time.sleep(0.01)
                watch.api_requests_at_scan_end = watch.localhub.counters().get("api", 0)

        return _Scan()


def test_audits_start_before_the_scan_ends(tmp_path: Path, localhub: LocalHub) -> None:
    config = _world(tmp_path, localhub)
    seen = {}
    for overlap in (True, False):
        localhub.reset_counters()
        watch = _WatchScan(localhub)
        build_plan(
            config,
            PlanRequest(force=True),
            hub=make_hub(localhub),
            progress=watch,
            overlap=overlap,
        )
        seen[overlap] = watch.api_requests_at_scan_end
    assert seen[True] is not None and seen[True] > 0
    assert seen[False] == 0  # read everything first: the Hub is asked only after the scan


def test_an_unreachable_hub_stops_the_run_once(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    hub = Hub(HfApi(endpoint=url, token=False), url, url, url, RetryPolicy(base_wait=0.01))
    wanted = {f"acme/m{i}": [f"acme/m{i}"] for i in range(5)}
    with (
        pytest.raises(HubUnavailableError, match="cannot reach the Hub"),
        StreamingAudit(hub, concurrency=2) as streaming,
    ):
        for repo in wanted:
            streaming.add(repo)
        streaming.finish(wanted, decided_by_main=lambda k, s: False)
