"""EEE records (schema 0.3.0) from Community Evals scores, and the checks a record must pass.

One record per model and benchmark source: the ready entries of one Hub file at one commit.
The file name is a random UUID version 4 (EEE refuses other versions), the path the
submission layout `data/<collection>/<developer>/<model>/<uuid>.json`. Provenance a reader can
follow: the Hub file at its commit sha, the entry's own `source`, the badge (author /
community / verified; never the token), the entry's `notes` as the setup. Each result carries a
fingerprint of the Hub entry (repo, dataset, task, notes, value) so a rerun recognises the
scores a datastore, a records folder or our open datastore PR already holds.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from eeesync.plan.import_model import HubScore, ImportEntry
from eeesync.setups import STATED_NOTES_KEY

SCHEMA_VERSION = "0.3.0"
SOURCE_NAME = "Hugging Face Community Evals"
#: The key of the fingerprint in a result's `score_details.details`.
FINGERPRINT_KEY = "hf_entry_fingerprint"
EEE_DATASTORE = "evaleval/EEE_datastore"

_PORTABLE = re.compile(r"^[A-Za-z0-9._-]+$")
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10))}
_RESERVED |= {f"lpt{i}" for i in range(1, 10)}
_UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")

SOURCE_TYPES = frozenset({"documentation", "evaluation_run"})
RELATIONSHIPS = frozenset({"first_party", "third_party", "collaborative", "other"})
DEPLOYMENT_TYPES = frozenset({"self_deployed", "externally_managed", "unknown"})
AVAILABILITIES = frozenset({"open_weights", "closed_weights", "unknown"})
TOP_LEVEL_KEYS = frozenset(
    {
        "schema_version",
        "evaluation_id",
        "retrieved_timestamp",
        "source_metadata",
        "model_info",
        "eval_library",
        "evaluation_results",
        "evaluation_timestamp",
        "detailed_evaluation_results",
    }
)


def percent(value: float) -> float:
    """A Hub value on the 0–100 scale (the docs' own example writes 0.412 for 41.2)."""
    return round(value * 100.0, 9) if 0.0 <= value <= 1.0 else value


def fingerprint(model_id: str, dataset_id: str, task_id: str, notes: str, value: float) -> str:
    """The Hub entry's identity and value, as stable text: letter case of ids and the value's
    scale (0.412 = 41.2) do not change it."""
    key = [model_id.lower(), dataset_id.lower(), task_id, notes, f"{percent(value):.6f}"]
    digest = hashlib.sha256(json.dumps(key, ensure_ascii=False).encode("utf-8")).hexdigest()
    return "sha256:" + digest[:32]


def relationship(score: HubScore) -> str:
    """Relative to the model's developer: its own repo's main is `first_party` unless the
    entry's `source` names another organisation; a community PR is `third_party`."""
    if score.pr_num is not None:
        return "third_party"
    owner = score.model_id.split("/")[0].lower()
    named = other_organisation(score)
    return "third_party" if named and named.lower() != owner else "first_party"


def other_organisation(score: HubScore) -> str:
    """The organisation a source names: `source.org` (else `source.user`), else the namespace
    of a Hub URL ("" when it names none: an external page could be anyone's)."""
    if score.source_org:
        return score.source_org
    parts = urlsplit(score.source_url)
    if parts.hostname not in ("huggingface.co", "hf.co"):
        return ""
    segments = [s for s in parts.path.split("/") if s]
    if segments[:1] in (["datasets"], ["spaces"]):
        segments = segments[1:]
    return segments[0] if segments else ""


def record_path(collection: str, model_id: str, name: str | None = None) -> str:
    developer, model = model_id.split("/", 1)
    return f"data/{collection}/{developer}/{model}/{name or uuid.uuid4()}.json"


def check_path(path: str, collection: str) -> str:
    """Why `path` is not a record path of the submission layout in `collection` ("" = it is)."""
    parts = path.split("/")
    if len(parts) != 5 or parts[0] != "data":
        return f"{path}: not data/<collection>/<developer>/<model>/<uuid>.json"
    if parts[1] != collection:
        return f"{path}: not in the collection {collection}"
    for part in parts[1:4]:
        if (
            part in ("", ".", "..", "data")
            or part.endswith((".", " "))
            or not _PORTABLE.match(part)
            or part.split(".")[0].lower() in _RESERVED
        ):
            return f"{path}: {part!r} is not a portable folder name"
    stem, dot, ext = parts[4].rpartition(".")
    if ext != "json" or not dot or not _UUID4.match(stem):
        return f"{path}: the file name is not <uuid4>.json"
    return ""


def build_record(
    entries: Sequence[ImportEntry], *, retrieved: int, web_base: str = "https://huggingface.co"
) -> dict[str, Any]:
    """The EEE record for the entries of one Hub file at one commit (same model)."""
    first = entries[0].hub
    developer = first.model_id.split("/")[0]
    details = {
        "type_of_addition": "eeesync import",
        "hf_model_repo": first.model_id,
        "hf_file_url": first.file_url,
        "hf_file_path": first.file_path,
        "hf_revision": first.revision,
        "hf_commit": first.commit,
        "hf_badge": first.badge,
        "hf_leaderboard_url": f"{web_base}/datasets/{first.dataset_id}",
    }
    if first.author:
        details["hf_author"] = first.author
    if first.pr_num is not None:
        details["hf_pull_request"] = str(first.pr_num)
    named = other_organisation(first)
    relation = relationship(first)
    return {
        "schema_version": SCHEMA_VERSION,
        "evaluation_id": f"{first.benchmark}/{first.model_id}/{retrieved}",
        "retrieved_timestamp": str(retrieved),
        "source_metadata": {
            "source_type": "documentation",
            "source_name": SOURCE_NAME,
            "source_organization_name": _organisation(relation, named, developer),
            "evaluator_relationship": relation,
            "additional_details": details,
        },
        "model_info": {
            "name": first.model_id.split("/", 1)[1],
            "id": first.model_id,
            "developer": developer,
            "additional_details": {"deployment_type": "unknown", "model_availability": "unknown"},
        },
        "eval_library": {"name": "unknown", "version": "unknown"},
        "evaluation_results": [_result(e.hub, e.fingerprint) for e in entries],
    }


def _organisation(relation: str, named: str, developer: str) -> str:
    if relation == "first_party":
        return developer
    return named or "Hugging Face community"


def _result(score: HubScore, mark: str) -> dict[str, Any]:
    proportion = 0.0 <= score.value <= 1.0
    detail = {FINGERPRINT_KEY: mark, "hf_verified": str(score.verified).lower()}
    if score.source_url:
        detail["hf_source_url"] = score.source_url
    if score.source_name:
        detail["hf_source_name"] = score.source_name
    metric: dict[str, Any] = {
        "lower_is_better": False,
        "score_type": "continuous",
        "min_score": 0,
        "max_score": 1 if proportion else 100,
        "metric_unit": "proportion" if proportion else "percent",
    }
    result: dict[str, Any] = {
        "evaluation_name": score.task_id,
        "evaluation_result_id": score.task_id + (f" ({score.notes})" if score.notes else ""),
        "source_data": {
            "source_type": "hf_dataset",
            "dataset_name": score.task_id,
            "hf_repo": score.dataset_id,
        },
        "metric_config": metric,
        "score_details": {"score": score.value, "details": detail},
    }
    # the exact notes ("" = the default setup): the mapping reads them back as written
    result["generation_config"] = {"additional_details": {STATED_NOTES_KEY: score.notes}}
    if score.notes:
        metric["evaluation_description"] = score.notes
    if score.date:
        result["evaluation_timestamp"] = score.date
    return result


def record_json(record: Mapping[str, Any]) -> str:
    """The record's exact text: strict JSON (no NaN), 2-space indent, trailing newline."""
    return json.dumps(record, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def check_record(record: Any) -> list[str]:
    """What makes `record` not a valid EEE 0.3.x record for the fields eeesync writes:
    required keys, enums, string-valued details, finite scores within their bounds."""
    if not isinstance(record, dict):
        return ["the record is not a JSON object"]
    problems = [f"unknown top-level key {k!r}" for k in sorted(set(record) - TOP_LEVEL_KEYS)]
    for key in sorted(TOP_LEVEL_KEYS - {"evaluation_timestamp", "detailed_evaluation_results"}):
        if key not in record:
            problems.append(f"missing required key {key!r}")
    if problems:
        return problems
    if not str(record["schema_version"]).startswith("0.3."):
        problems.append("schema_version is not 0.3.x")
    if not isinstance(record["retrieved_timestamp"], str):
        problems.append("retrieved_timestamp is not a string")
    meta = _dict(record["source_metadata"])
    if meta.get("source_type") not in SOURCE_TYPES:
        problems.append("source_metadata.source_type is not an allowed value")
    if meta.get("evaluator_relationship") not in RELATIONSHIPS:
        problems.append("source_metadata.evaluator_relationship is not an allowed value")
    if not _text(meta.get("source_organization_name")):
        problems.append("source_metadata.source_organization_name is missing")
    problems += _strings(meta.get("additional_details"), "source_metadata.additional_details")
    model = _dict(record["model_info"])
    if not _text(model.get("name")) or not _text(model.get("id")):
        problems.append("model_info.name and model_info.id are required")
    model_details = _dict(model.get("additional_details"))
    if model_details.get("deployment_type") not in DEPLOYMENT_TYPES:
        problems.append("model_info.additional_details.deployment_type is not an allowed value")
    if model_details.get("model_availability") not in AVAILABILITIES:
        problems.append("model_info.additional_details.model_availability is not allowed")
    library = _dict(record["eval_library"])
    if not _text(library.get("name")) or not _text(library.get("version")):
        problems.append("eval_library.name and eval_library.version are required")
    results = record["evaluation_results"]
    if not isinstance(results, list) or not results:
        return [*problems, "evaluation_results is not a non-empty list"]
    for i, result in enumerate(results):
        problems += [f"evaluation_results[{i}]: {p}" for p in _check_result(result)]
    return problems


def _check_result(result: Any) -> list[str]:
    if not isinstance(result, dict):
        return ["not an object"]
    problems = [
        f"missing required key {key!r}"
        for key in ("evaluation_name", "source_data", "metric_config", "score_details")
        if key not in result
    ]
    if problems:
        return problems
    source = _dict(result["source_data"])
    if source.get("source_type") != "hf_dataset" or not _text(source.get("dataset_name")):
        problems.append("source_data is not an hf_dataset with a dataset_name")
    metric = _dict(result["metric_config"])
    if not isinstance(metric.get("lower_is_better"), bool):
        problems.append("metric_config.lower_is_better is required (a boolean)")
    problems += _strings(metric.get("additional_details"), "metric_config.additional_details")
    score = _dict(result["score_details"]).get("score")
    if isinstance(score, bool) or not isinstance(score, (int, float)) or not math.isfinite(score):
        return [*problems, "score_details.score is not a finite number"]
    low, high = metric.get("min_score"), metric.get("max_score")
    if metric.get("score_type") == "continuous" and (low is None or high is None):
        problems.append("a continuous score needs min_score and max_score")
    if isinstance(low, (int, float)) and isinstance(high, (int, float)):
        if low > high:
            problems.append("min_score is above max_score")
        elif not low <= score <= high:
            problems.append(f"score {score} is outside [{low}, {high}]")
    problems += _strings(_dict(result["score_details"]).get("details"), "score_details.details")
    generation = _dict(result.get("generation_config"))
    problems += _strings(
        generation.get("additional_details"), "generation_config.additional_details"
    )
    return problems


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _strings(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        return [f"{where} must map keys to strings"]
    return []


def fingerprints_of(record: Any) -> set[str]:
    """The Hub-entry fingerprints a record carries (none for a record eeesync did not write)."""
    found: set[str] = set()
    results = record.get("evaluation_results") if isinstance(record, dict) else None
    for result in results if isinstance(results, list) else ():
        details = _dict(_dict(_dict(result).get("score_details")).get("details"))
        value = details.get(FINGERPRINT_KEY)
        if isinstance(value, str) and value.startswith("sha256:"):
            found.add(value)
    return found
