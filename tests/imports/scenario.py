"""One local Hub and one datastore that give every import status (`eeesync import` tests).

The datastore (`evaleval/EEE_datastore` on the local Hub, collection `c`) holds MMLU-Pro scores
of `acme/known` (41.2) and `acme/differs` (48.8). Model repos, seeded with the ordinary client:

    acme/fresh       main: MMLU-Pro 55.5 with an external source and a date    → ready
    acme/known       main: 0.412 (the datastore's 41.2 on the 0–1 scale)        → already_in_eee
    acme/differs     main: 63.7 (the datastore says 48.8)                      → eee_differs
    acme/echo        main: 70, its source a datastore record                   → from_eee
    acme/community   an open PR adds 44.4                                       → pr_only
    acme/verified    main: 61 with a verifyToken                                → ready (verified)
    acme/mixed       main: MMLU-Pro 30 ("0-shot") + a dataset no benchmark registers → ready
    acme/wrongtask   main: MMLU-Pro under task "mmlu_pro_v9"                    → skipped
    acme/big         main: a valid file over the client's size cap              → audit_error
    acme/bomb        main: a billion-laughs file                                → not listed
    other/sourced    main: GPQA 40, its source another org's Space     → ready, third_party
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from huggingface_hub import CommitOperationAdd, HfApi

from eeesync.config import Config
from eeesync.localhub import LocalHub
from tests.helpers import mmlu_overall_record, upload_datastore, write_datastore

DATASTORE = "evaleval/EEE_datastore"
MMLU = "TIGER-Lab/MMLU-Pro"
GPQA = "Idavidrein/gpqa"
MMLU_FILE = ".eval_results/mmlu_pro.yaml"
#: The client's file cap in these tests (acme/big's file is over it, the others far under).
FILE_CAP = 4096

EXPECTED = {
    "acme/fresh": "ready",
    "acme/known": "already_in_eee",
    "acme/differs": "eee_differs",
    "acme/echo": "from_eee",
    "acme/community": "pr_only",
    "acme/verified": "ready",
    "acme/mixed": "ready",
    "acme/wrongtask": "skipped",
    "acme/big": "audit_error",
    "other/sourced": "ready",
}


def entry(dataset: str, task: str, value: object, **extra: str) -> str:
    lines = [f"- dataset:\n    id: {dataset}\n    task_id: {task}\n  value: {value}\n"]
    source = {k[7:]: v for k, v in extra.items() if k.startswith("source_")}
    if source:
        lines.append("  source:\n" + "".join(f"    {k}: '{v}'\n" for k, v in source.items()))
    for key in ("notes", "date", "verifyToken"):
        if key in extra:
            lines.append(f"  {key}: '{extra[key]}'\n")
    return "".join(lines)


def _bomb() -> bytes:
    """A billion-laughs document: 9 * 4**8 strings once its aliases are expanded."""
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for i in range(8):
        prev, name = chr(97 + i), chr(98 + i)
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 4) + "]")
    return ("\n".join(lines) + "\n").encode()


BOMB = _bomb()


def seed(localhub: LocalHub, folder: Path) -> str:
    """Seed the Hub and the datastore; returns the datastore's commit sha."""
    api = HfApi(endpoint=localhub.url, token="seed-token")
    ds = write_datastore(
        folder / "ds",
        {
            "c": [
                mmlu_overall_record("acme/known", 0.412),
                mmlu_overall_record("acme/differs", 0.488),
            ]
        },
    )
    sha = upload_datastore(api, ds, DATASTORE)
    for dataset in (MMLU, GPQA, "cais/hle", "unregistered-org/bench"):
        api.create_repo(dataset, repo_type="dataset")

    def add(repo: str, text: str | bytes, path: str = MMLU_FILE, **kw: Any) -> None:
        data = text.encode() if isinstance(text, str) else text
        api.create_commit(repo, [CommitOperationAdd(path, data)], commit_message="seed", **kw)

    for repo in [*EXPECTED, "acme/bomb"]:
        api.create_repo(repo)
    add(
        "acme/fresh",
        entry(MMLU, "mmlu_pro", 55.5, source_url="https://acme.ai/blog", date="2026-01-15"),
    )
    add("acme/known", entry(MMLU, "mmlu_pro", 0.412))
    add("acme/differs", entry(MMLU, "mmlu_pro", 63.7))
    echo = f"https://huggingface.co/datasets/{DATASTORE}/blob/{sha}/flat/objects/aa/bb/x.json"
    add("acme/echo", entry(MMLU, "mmlu_pro", 70, source_url=echo, source_name="EvalEval"))
    add(
        "acme/community",
        entry(MMLU, "mmlu_pro", 44.4, source_url="https://someone.org/run"),
        create_pr=True,
    )
    add("acme/verified", entry(MMLU, "mmlu_pro", 61, verifyToken="secret-token-value"))
    add(
        "acme/mixed",
        entry("unregistered-org/bench", "main", 12.5) + entry(MMLU, "mmlu_pro", 30, notes="0-shot"),
    )
    add("acme/wrongtask", entry(MMLU, "mmlu_pro_v9", 50))
    big = entry(MMLU, "mmlu_pro", 52) + "# padding\n" * (FILE_CAP // 10 + 10)
    add("acme/big", big)
    add("acme/bomb", BOMB)
    add(
        "other/sourced",
        entry(GPQA, "gpqa_diamond", 40, source_url="https://huggingface.co/spaces/evals-org/runs"),
        path=".eval_results/gpqa.yaml",
    )
    return sha


def config(localhub: LocalHub, folder: Path, **overrides: Any) -> Config:
    settings: dict[str, Any] = {
        "datastore_input": DATASTORE,
        "collections": ("c",),
        "endpoint_input": localhub.url,
        "check_tasks": False,
        "cache_dir": folder / ".eeesync",
        "base_dir": folder,
        "token": "import-token",
    }
    settings.update(overrides)
    return Config(**settings)
