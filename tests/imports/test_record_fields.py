"""A written record has every field EEE's schema 0.3.0 requires, and the writer's own check
refuses a record that lacks any one of them (the list below is the schema's, not the code's)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from eeesync.imports.records import build_record, check_record, fingerprint, record_json
from eeesync.plan.import_model import HubScore, ImportEntry, ImportStatus

#: The schema's required fields, as paths ("evaluation_results.0" is the first result).
REQUIRED = (
    "schema_version",
    "evaluation_id",
    "retrieved_timestamp",
    "source_metadata",
    "source_metadata.source_type",
    "source_metadata.source_organization_name",
    "source_metadata.evaluator_relationship",
    "model_info",
    "model_info.name",
    "model_info.id",
    "model_info.additional_details.deployment_type",
    "model_info.additional_details.model_availability",
    "eval_library",
    "eval_library.name",
    "eval_library.version",
    "evaluation_results",
    "evaluation_results.0.evaluation_name",
    "evaluation_results.0.source_data",
    "evaluation_results.0.source_data.source_type",
    "evaluation_results.0.source_data.dataset_name",
    "evaluation_results.0.metric_config",
    "evaluation_results.0.metric_config.lower_is_better",
    "evaluation_results.0.score_details",
    "evaluation_results.0.score_details.score",
)


def written() -> dict[str, Any]:
    score = HubScore(
        model_id="acme/fresh",
        benchmark="mmlu_pro",
        dataset_id="TIGER-Lab/MMLU-Pro",
        value=55.5,
        file_path=".eval_results/mmlu_pro.yaml",
        revision="main",
        task_id="mmlu_pro",
        author="acme",
    )
    mark = fingerprint(score.model_id, score.dataset_id, score.task_id, "", score.value)
    entry = ImportEntry(ImportStatus.READY, score, fingerprint=mark)
    record: dict[str, Any] = json.loads(record_json(build_record([entry], retrieved=1)))
    return record


def _parent(record: dict[str, Any], path: str) -> tuple[Any, str | int]:
    *parents, last = path.split(".")
    node: Any = record
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node, last


def test_a_written_record_has_every_required_field() -> None:
    record = written()
    assert check_record(record) == []
    for path in REQUIRED:
        parent, key = _parent(record, path)
        assert key in parent, path


@pytest.mark.parametrize("path", REQUIRED)
def test_a_record_without_a_required_field_is_refused(path: str) -> None:
    record = copy.deepcopy(written())
    parent, key = _parent(record, path)
    del parent[key]
    assert check_record(record) != [], path
