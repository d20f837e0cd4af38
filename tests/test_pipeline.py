"""eeesync/pipeline.py: the pipeline from a folder datastore to a sealed Plan, on the local Hub."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from huggingface_hub import HfApi

from eeesync.config import Config
from eeesync.hub.client import Hub
from eeesync.localhub import LocalHub
from eeesync.pipeline import PlanRequest, build_plan
from eeesync.plan.file import parse_plan, serialize_plan
from eeesync.plan.model import Status
from tests.helpers import (
    mmlu_overall_record,
    plan_folder_datastore,
    scenario_records,
    seed_scenario_hub,
    write_datastore,
)
from tests.hub.conftest import make_hub

FIXED = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


@pytest.fixture
def setup(tmp_path: Path, localhub: LocalHub) -> tuple[Config, Hub]:
    write_datastore(tmp_path / "ds", {"mmlu": scenario_records()})
    seed_scenario_hub(HfApi(endpoint=localhub.url, token="x"))
    config = Config(
        datastore_input=str(tmp_path / "ds"),  # absolute on purpose: the plan must not say so
        collections=("mmlu",),
        endpoint_input=localhub.url,
        check_tasks=False,
        cache_dir=tmp_path / ".eeesync",
        plan_dir=tmp_path / "plans",
        base_dir=tmp_path,
    )
    return config, make_hub(localhub)


def test_same_inputs_and_hub_give_the_same_bytes(setup: tuple[Config, Hub]) -> None:
    config, hub = setup
    first = build_plan(config, PlanRequest(), hub=hub, now=lambda: FIXED)
    second = build_plan(config, PlanRequest(force=True), hub=hub, now=lambda: FIXED)
    assert serialize_plan(first.plan) == serialize_plan(second.plan)
    assert first.plan.created_at == "2026-01-02T03:04:05Z"
    assert parse_plan(serialize_plan(first.plan)) == first.plan  # sealed: the digest verifies


def test_inputs_are_recorded_without_local_paths(setup: tuple[Config, Hub]) -> None:
    config, hub = setup
    plan = build_plan(config, PlanRequest(), hub=hub).plan
    inputs = plan.inputs
    assert inputs.datastore_input == "ds" and inputs.datastore_revision.startswith("folder-")
    assert inputs.collections == ("mmlu",) and inputs.indexes[0].rows == len(scenario_records())
    assert inputs.config_digest == config.digest() and inputs.registry_digest.startswith("sha256:")
    assert inputs.endpoint == hub.endpoint
    assert str(config.base_dir) not in serialize_plan(plan)


def test_repos_are_sorted_and_counts_add_up(setup: tuple[Config, Hub]) -> None:
    config, hub = setup
    result = build_plan(config, PlanRequest(), hub=hub)
    plan = result.plan
    ids = [r.repo_id.lower() for r in plan.repos]
    assert ids == sorted(ids)
    total = sum(len(r.entries) for r in plan.repos) + len(plan.skipped)
    assert sum(plan.counts.by_status.values()) == total
    assert plan.counts.get(Status.READY) == 3 and plan.has_changes
    # acme/twice has only a source conflict: it is not audited at all
    assert result.stats.repos_audited == len(ids) - 1
    twice = plan.repo("acme/twice")
    assert twice is not None and twice.preconditions is None


def test_warm_build_hits_the_audit_cache(setup: tuple[Config, Hub]) -> None:
    config, hub = setup
    cold = build_plan(config, PlanRequest(), hub=hub)
    warm = build_plan(config, PlanRequest(), hub=hub)
    assert cold.stats.audit_cache_hits == 0 and warm.stats.audit_cache_hits > 0
    forced = build_plan(config, PlanRequest(force=True), hub=hub)
    assert forced.stats.audit_cache_hits == 0


def test_two_spellings_of_one_repo_make_one_repo_plan(tmp_path: Path, localhub: LocalHub) -> None:
    records = [
        mmlu_overall_record("Org/Model", 0.5),
        mmlu_overall_record("org/model", 0.5, timestamp="1.0"),
    ]
    write_datastore(tmp_path / "ds", {"c": records})
    HfApi(endpoint=localhub.url, token="x").create_repo("ORG/Model")
    plan = plan_folder_datastore(tmp_path, localhub)
    (repo,) = plan.repos
    assert repo.repo_id == "ORG/Model"
    assert set(repo.requested_ids) >= {"Org/Model"} and repo.opens_pr
    assert len(repo.files) == 1


def test_the_plan_counts_what_no_benchmark_recognised(tmp_path: Path, localhub: LocalHub) -> None:
    unrecognised = json.loads(mmlu_overall_record("acme/model", 0.5))
    unrecognised["evaluation_results"][0]["source_data"] = {"hf_repo": "acme/private-bench"}
    unrecognised["evaluation_results"][0]["evaluation_name"] = "Private Bench"
    unrecognised["evaluation_id"] += "-other"
    records = [mmlu_overall_record("acme/model", 0.5), json.dumps(unrecognised).encode()]
    write_datastore(tmp_path / "ds", {"c": records})
    HfApi(endpoint=localhub.url, token="x").create_repo("acme/model")
    plan = plan_folder_datastore(tmp_path, localhub)
    assert [(g.collection, g.evaluation_name, g.results) for g in plan.unmatched] == [
        ("c", "Private Bench", 1)
    ]
    assert plan.counts.unmatched == 1
