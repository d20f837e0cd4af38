"""Build small (or large) EEE datastores on disk for plan tests, e2e tests and the benchmark.

Records are the real MMLU-Pro record in `tests/fixtures/eee-records/MMLU-Pro-0.2.2/` with the
model id, score and timestamp replaced, so they go through the real datastore reader and mapping.
"""

from __future__ import annotations

import copy
import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

FIXTURE = (
    Path(__file__).resolve().parents[1]
    / "fixtures/eee-records/MMLU-Pro-0.2.2/676f4465-ce78-411a-9f5a-c97b3d2eac4f.json"
)
INDEX_DIR = "flat/indexes/by_collection"
MMLU_DATASET, MMLU_TASK, MMLU_FILE = "TIGER-Lab/MMLU-Pro", "mmlu_pro", ".eval_results/mmlu_pro.yaml"


@cache
def _template() -> dict[str, Any]:
    record = json.loads(FIXTURE.read_text(encoding="utf-8"))
    # Keep only the overall result: one desired entry per record.
    record["evaluation_results"] = [
        r
        for r in record["evaluation_results"]
        if r.get("evaluation_result_id") == "mmlu_pro/overall"
    ]
    return record


def mmlu_record(model_id: str, score: float, *, timestamp: str = "1777613486.918081") -> bytes:
    """One aggregate record: `model_id` scored `score` (0–1 proportion) on MMLU-Pro overall."""
    record = copy.deepcopy(_template())
    record["model_info"]["id"] = model_id
    record["model_info"]["name"] = model_id.split("/")[-1]
    record["model_info"]["developer"] = model_id.split("/")[0]
    record["evaluation_id"] = f"mmlu-pro/{model_id.replace('/', '_')}/{timestamp}"
    record["retrieved_timestamp"] = timestamp
    record["evaluation_results"][0]["score_details"]["score"] = score
    return json.dumps(record, sort_keys=True).encode("utf-8")


def write_datastore(root: Path, collections: Mapping[str, Iterable[bytes]]) -> Path:
    """Write objects and `by_collection/<name>.jsonl` indexes; returns `root`."""
    index_dir = root / INDEX_DIR
    index_dir.mkdir(parents=True, exist_ok=True)
    for name, records in collections.items():
        rows = []
        for data in records:
            digest = hashlib.sha256(data).hexdigest()
            object_uuid = str(uuid.UUID(digest[:32]))
            object_path = f"flat/objects/{object_uuid[:2]}/{object_uuid[2:4]}/{object_uuid}.json"
            target = root / object_path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            row = {
                "eval_schema_version": "0.2.2",
                "instance_level_available": False,
                "legacy_path": f"data/{name}/{object_uuid}.json",
                "object_path": object_path,
                "object_uuid": object_uuid,
                "record_type": "aggregate",
                "sha256": digest,
                "size_bytes": len(data),
            }
            rows.append(json.dumps(row, sort_keys=True))
        (index_dir / f"{name}.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return root


def eval_yaml(*items: tuple[str, str, object], notes: str | None = None) -> bytes:
    """An `.eval_results` file with (dataset id, task id, value) items, in block style."""
    lines = []
    for dataset, task, value in items:
        lines += [f"- dataset:\n    id: {dataset}\n    task_id: {task}\n  value: {value}\n"]
        if notes:
            lines.append(f"  notes: {notes}\n")
    return "".join(lines).encode("utf-8")


# --- The e2e scenario: one datastore and one Hub state that produce every status ---------------

#: model id as the records spell it → (score as a proportion, what the Hub holds, expected status)
SCENARIO: dict[str, tuple[float, str]] = {
    "acme/fresh": (0.5, "ready"),
    "acme/scaled": (0.412, "already_present"),  # 0.412 on main, in another file name
    "acme/drafty": (0.333, "pending_pr"),  # 33.3 in a draft PR
    "acme/conflicted": (0.55, "score_conflict"),  # 60 on main
    "acme/ghost": (0.3, "missing_hf_model"),
    "acme/broken": (0.45, "audit_error"),  # malformed target file on main
    "acme/mixed": (0.61, "ready"),  # malformed hle.yaml next to a valid mmlu_pro.yaml
    "acme/upper-case-model": (0.27, "ready"),  # the repo is Acme/Upper-Case-Model
    "openai/gpt-x": (0.9, "skipped"),  # API-only provider
}
TWICE = "acme/twice"  # two records that disagree: source_conflict
MIXED_MAIN = eval_yaml((MMLU_DATASET, MMLU_TASK, 70.0), notes="With tools")


def scenario_records() -> list[bytes]:
    records = [mmlu_record(model, score) for model, (score, _) in SCENARIO.items()]
    records.append(mmlu_record(TWICE, 0.40, timestamp="1777613486.0"))
    records.append(mmlu_record(TWICE, 0.41, timestamp="1777613999.0"))
    return records


def seed_scenario_hub(api: Any) -> None:
    """Seed the Hub with huggingface_hub's ordinary client (`HfApi`), as a user would."""
    from huggingface_hub import CommitOperationAdd

    def add(repo: str, files: dict[str, bytes], **kw: Any) -> Any:
        ops = [CommitOperationAdd(path, data) for path, data in files.items()]
        return api.create_commit(repo, ops, commit_message="seed", **kw)

    for repo in (
        "acme/fresh",
        "acme/scaled",
        "acme/drafty",
        "acme/conflicted",
        "acme/broken",
        "acme/mixed",
        "Acme/Upper-Case-Model",
        "acme/twice",
    ):
        api.create_repo(repo)
    add("acme/scaled", {".eval_results/results.yaml": eval_yaml((MMLU_DATASET, MMLU_TASK, 0.412))})
    draft = api.create_pull_request("acme/drafty", title="Add MMLU-Pro")  # drafts start empty
    add(
        "acme/drafty",
        {MMLU_FILE: eval_yaml((MMLU_DATASET, MMLU_TASK, 33.3))},
        revision=draft.git_reference,
    )
    add("acme/conflicted", {MMLU_FILE: eval_yaml((MMLU_DATASET, MMLU_TASK, 60))})
    add("acme/broken", {MMLU_FILE: b"dataset: {id: TIGER-Lab/MMLU-Pro}\nvalue: 1\n"})
    add(
        "acme/mixed",
        {".eval_results/hle.yaml": b"- dataset: {id: cais/hle\n", MMLU_FILE: MIXED_MAIN},
    )
