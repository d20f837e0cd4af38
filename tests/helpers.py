"""Test helpers: build flat EEE datastores from record dicts, and publish them on the local Hub.

`build_datastore(root, {"collection": [record, …]})` writes
`flat/objects/xx/yy/<uuid>.json` and `flat/indexes/by_collection/<collection>.jsonl` exactly as
the real datastore lays them out (docs/architecture.md), with the real sha256 and size in
each row unless a test asks for a corruption. `upload_datastore` pushes such a folder to a
dataset repo with the ordinary huggingface_hub client and returns the commit sha.

For plan, e2e and benchmark runs, `mmlu_overall_record` edits the real MMLU-Pro record (model
id, score, timestamp) so it goes through the real reader and mapping, `write_datastore` stores
such records by content, and the e2e scenario (`SCENARIO`, `seed_scenario_hub`) gives one
datastore and one Hub state that produce every status.
"""

from __future__ import annotations

import copy
import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from huggingface_hub import CommitOperationAdd, HfApi

from eeesync.config import Config
from eeesync.localhub import LocalHub
from eeesync.pipeline import PlanRequest, build_plan
from eeesync.plan.model import Plan
from tests.hub.conftest import make_hub

FIXTURES = Path(__file__).parent / "fixtures" / "eee-records"
MMLU_PRO_022 = "MMLU-Pro-0.2.2/676f4465-ce78-411a-9f5a-c97b3d2eac4f.json"
AETHER_BF16 = "hfopenllm_v2/Daemontatox/AetherTOT/82044cd2-1a46-406e-bc68-397ce41b29ea.json"
AETHER_FP16 = "hfopenllm_v2/Daemontatox/AetherTOT/de09e323-8cf1-4aa9-9537-e8ad30a8c297.json"
HELM_CAPABILITIES_MARIN = (
    "helm_capabilities/marin-community/marin-8b-instruct/eccf77c4-6a65-40b9-9445-dd35dee7f7b8.json"
)
HELM_LITE_J2 = "helm_lite/ai21/j2-jumbo/6332f0b3-7fab-41ed-a8da-46b142051377.json"

#: Corruptions `build_datastore` can apply to one row: (collection, position) → kind.
CORRUPTIONS = (
    "sha256",  # the row's sha256 is wrong
    "size",  # the row's size_bytes is wrong
    "no_sha256",  # the row has no sha256
    "missing_object",  # the object file is not written
    "tamper",  # the object's bytes change after the row was written
)


@dataclass
class ObjectSpec:
    """One object to write: a record dict (dumped as JSON) or exact bytes, plus row tweaks."""

    record: Mapping[str, Any] | bytes
    uuid: str | None = None
    #: Row fields to set (a value of None removes the field).
    row: Mapping[str, Any] = field(default_factory=dict)

    def content(self) -> bytes:
        if isinstance(self.record, bytes):
            return self.record
        return (json.dumps(self.record, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


@dataclass
class BuiltDatastore:
    root: Path
    rows: dict[str, list[dict[str, Any]]]

    def object_path(self, collection: str, position: int) -> str:
        return str(self.rows[collection][position]["object_path"])

    def file(self, collection: str, position: int) -> Path:
        return self.root / self.object_path(collection, position)

    def index_file(self, collection: str) -> Path:
        return self.root / "flat" / "indexes" / "by_collection" / f"{collection}.jsonl"


def fixture_bytes(relative: str) -> bytes:
    return (FIXTURES / relative).read_bytes()


def load_fixture(relative: str) -> dict[str, Any]:
    """A deep copy of a real record, to edit freely."""
    return copy.deepcopy(json.loads(fixture_bytes(relative)))


def fixture(relative: str, **row: Any) -> ObjectSpec:
    """A real record with its exact bytes and its real uuid (so its object path is real)."""
    return ObjectSpec(record=fixture_bytes(relative), uuid=Path(relative).stem, row=row)


def uuid_for(content: bytes) -> str:
    h = hashlib.sha256(content).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def build_datastore(
    root: Path,
    collections: Mapping[str, Sequence[Mapping[str, Any] | bytes | ObjectSpec]],
    *,
    corrupt: Mapping[tuple[str, int], str] | None = None,
    extra_lines: Mapping[str, Sequence[str | bytes]] | None = None,
) -> BuiltDatastore:
    """Write a flat datastore under `root` and return what was written.

    `corrupt` damages single rows (see CORRUPTIONS); `extra_lines` appends raw index lines
    (bad JSON, non-objects, …) after a collection's rows.
    """
    corrupt = dict(corrupt or {})
    unknown = set(corrupt.values()) - set(CORRUPTIONS)
    if unknown:
        raise ValueError(f"unknown corruption {unknown}; expected one of {CORRUPTIONS}")
    index_dir = root / "flat" / "indexes" / "by_collection"
    index_dir.mkdir(parents=True, exist_ok=True)
    rows_by_collection: dict[str, list[dict[str, Any]]] = {}
    for collection, items in collections.items():
        lines: list[bytes] = []
        rows: list[dict[str, Any]] = []
        for position, item in enumerate(items):
            spec = item if isinstance(item, ObjectSpec) else ObjectSpec(record=item)
            content = spec.content()
            uuid = spec.uuid or uuid_for(content + collection.encode() + bytes([position % 256]))
            object_path = f"flat/objects/{uuid[:2]}/{uuid[2:4]}/{uuid}.json"
            schema = spec.record.get("schema_version") if isinstance(spec.record, Mapping) else None
            row: dict[str, Any] = {
                "record_type": "aggregate",
                "object_path": object_path,
                "object_uuid": uuid,
                "sha256": hashlib.sha256(content).hexdigest(),
                "size_bytes": len(content),
                "legacy_path": f"data/{collection}/{uuid}.json",
                "eval_schema_version": schema if isinstance(schema, str) else "0.2.0",
                "instance_level_available": False,
            }
            kind = corrupt.get((collection, position))
            if kind == "sha256":
                row["sha256"] = "0" * 64
            elif kind == "size":
                row["size_bytes"] = len(content) + 1
            elif kind == "no_sha256":
                del row["sha256"]
            for key, value in spec.row.items():
                if value is None:
                    row.pop(key, None)
                else:
                    row[key] = value
            if kind != "missing_object":
                target = root / object_path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content if kind != "tamper" else content.replace(b"0", b"1", 1))
            rows.append(row)
            lines.append(json.dumps(row, sort_keys=True).encode())
        for extra in (extra_lines or {}).get(collection, ()):
            lines.append(extra.encode() if isinstance(extra, str) else extra)
        (index_dir / f"{collection}.jsonl").write_bytes(b"\n".join(lines) + b"\n")
        rows_by_collection[collection] = rows
    return BuiltDatastore(root=root, rows=rows_by_collection)


def upload_datastore(api: HfApi, folder: Path, repo_id: str) -> str:
    """Publish a built datastore folder as a dataset repo; returns the new commit sha."""
    api.create_repo(repo_id, repo_type="dataset", exist_ok=True)
    info = api.upload_folder(
        folder_path=str(folder),
        repo_id=repo_id,
        repo_type="dataset",
        commit_message="Add datastore",
    )
    return str(info.oid)


def mmlu_record(
    *,
    model_id: str = "google/gemma-2b-it",
    score: Any = 0.641,
    timestamp: Any = "2024-07-16T00:00:00Z",
    unit: str | None = "proportion",
    max_score: Any = 1.0,
    result_id: str = "mmlu-pro::chain-of-thought-correctness",
    schema_version: str = "0.2.2",
) -> dict[str, Any]:
    """The EEE converter's tests' default record: one MMLU-Pro result."""
    metric: dict[str, Any] = {
        "metric_id": result_id,
        "lower_is_better": False,
        "score_type": "continuous",
        "min_score": 0.0,
    }
    if unit is not None:
        metric["metric_unit"] = unit
    if max_score is not None:
        metric["max_score"] = max_score
    record: dict[str, Any] = {
        "schema_version": schema_version,
        "evaluation_id": f"test/{model_id}/1",
        "retrieved_timestamp": "1721088000",
        "source_metadata": {
            "source_name": "Test leaderboard",
            "source_type": "evaluation_run",
            "source_organization_name": "EvalEval",
            "evaluator_relationship": "third_party",
        },
        "model_info": {"name": model_id.split("/")[-1], "id": model_id, "developer": "google"},
        "evaluation_results": [
            {
                "evaluation_result_id": result_id,
                "evaluation_name": "MMLU-Pro",
                "source_data": {
                    "dataset_name": "MMLU-Pro",
                    "source_type": "hf_dataset",
                    "hf_repo": "TIGER-Lab/MMLU-Pro",
                },
                "metric_config": metric,
                "score_details": {"score": score},
            }
        ],
    }
    if timestamp is not None:
        record["evaluation_timestamp"] = timestamp
    return record


# --- Records and datastores for plan tests: the real MMLU-Pro record, edited ------------------

MMLU_DATASET, MMLU_TASK, MMLU_FILE = "TIGER-Lab/MMLU-Pro", "mmlu_pro", ".eval_results/mmlu_pro.yaml"


@cache
def _mmlu_overall_template() -> dict[str, Any]:
    record: dict[str, Any] = json.loads(fixture_bytes(MMLU_PRO_022))
    # Keep only the overall result: one desired entry per record.
    record["evaluation_results"] = [
        r
        for r in record["evaluation_results"]
        if r.get("evaluation_result_id") == "mmlu_pro/overall"
    ]
    return record


def mmlu_overall_record(
    model_id: str, score: float, *, timestamp: str = "1777613486.918081"
) -> bytes:
    """One aggregate record: `model_id` scored `score` (0–1 proportion) on MMLU-Pro overall."""
    record = copy.deepcopy(_mmlu_overall_template())
    record["model_info"]["id"] = model_id
    record["model_info"]["name"] = model_id.split("/")[-1]
    record["model_info"]["developer"] = model_id.split("/")[0]
    record["evaluation_id"] = f"mmlu-pro/{model_id.replace('/', '_')}/{timestamp}"
    record["retrieved_timestamp"] = timestamp
    record["evaluation_results"][0]["score_details"]["score"] = score
    return json.dumps(record, sort_keys=True).encode("utf-8")


def write_datastore(root: Path, collections: Mapping[str, Iterable[bytes]]) -> Path:
    """`build_datastore` with objects named by their content alone (equal bytes in two
    collections are one object, as upstream); returns `root`."""
    build_datastore(
        root,
        {
            name: [
                ObjectSpec(data, uuid=uuid_for(data), row={"eval_schema_version": "0.2.2"})
                for data in records
            ]
            for name, records in collections.items()
        },
    )
    return root


def submission_path(collection: str, data: bytes) -> str:
    """Where EEE's submission layout keeps a record: `data/<collection>/<developer>/<model>/
    <uuid>.json`, the uuid4 derived from the bytes (deterministic for tests)."""
    model_id = json.loads(data)["model_info"]["id"]
    name = uuid.UUID(bytes=hashlib.sha256(data).digest()[:16], version=4)
    return f"data/{collection}/{model_id}/{name}.json"


def write_submission(root: Path, collections: Mapping[str, Iterable[bytes]]) -> dict[str, bytes]:
    """Records in EEE's submission layout under `root` (as a contributor's adapter writes
    them); returns path → bytes."""
    files = {
        submission_path(name, data): data
        for name, records in collections.items()
        for data in records
    }
    for path, data in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    return files


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
    records = [mmlu_overall_record(model, score) for model, (score, _) in SCENARIO.items()]
    records.append(mmlu_overall_record(TWICE, 0.40, timestamp="1777613486.0"))
    records.append(mmlu_overall_record(TWICE, 0.41, timestamp="1777613999.0"))
    return records


def seed_scenario_hub(api: HfApi) -> None:
    """Seed the Hub with huggingface_hub's ordinary client (`HfApi`), as a user would."""

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


def plan_folder_datastore(folder: Path, localhub: LocalHub, **config: Any) -> Plan:
    """The plan of the datastore in `folder/ds` (collection `c`, tasks unchecked) against
    `localhub`, with `config` overriding any other `Config` field."""
    settings = Config(
        datastore_input="ds",
        collections=("c",),
        endpoint_input=localhub.url,
        check_tasks=False,
        cache_dir=folder / ".eeesync",
        base_dir=folder,
        **config,
    )
    return build_plan(settings, PlanRequest(), hub=make_hub(localhub)).plan


def write_project_toml(folder: Path, endpoint: str) -> Path:
    """`folder/eeesync.toml` for the folder datastore `ds` (collection `mmlu`) against
    `endpoint`, tasks unchecked: the project the CLI tests run in."""
    path = folder / "eeesync.toml"
    path.write_text(
        '[datastore]\nlocator = "ds"\ncollections = ["mmlu"]\n'
        f'[hub]\nendpoint = "{endpoint}"\n[sync]\ncheck_tasks = false\n',
        encoding="utf-8",
    )
    return path
