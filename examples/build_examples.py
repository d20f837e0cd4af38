"""Regenerate the demo datastore's collection indexes from its objects.

The objects under `examples/datastore/flat/objects/` are the source of truth (real EEE records
copied from the public datastore, plus two synthetic schema 0.2.2 records). This script writes
`examples/datastore/flat/indexes/by_collection/<collection>.jsonl` from them, computing each
row's `sha256` and `size_bytes`, so the demo data is reproducible:

    python examples/build_examples.py           # rewrite the index files
    python examples/build_examples.py --check   # exit 1 if they are out of date (CI, tests)

One row is deliberately wrong: `kaist-ai/janus-rm-7b` carries a sha256 that does not match its
object, so the demo shows how a corrupt object is skipped (reason `sha256_mismatch`) while the
rest of the run goes on.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import NamedTuple

EXAMPLES = Path(__file__).resolve().parent
DATASTORE = EXAMPLES / "datastore"
INDEX_DIR = DATASTORE / "flat" / "indexes" / "by_collection"


class Row(NamedTuple):
    """One index row to write: which object, and what the demo uses it for."""

    uuid: str
    purpose: str  # for people reading this table; not written to the index
    subset: str | None = None
    wrong_sha256: bool = False


#: Collection → rows, in index order. Statuses are what `eeesync plan` shows on a fresh clone.
COLLECTIONS: dict[str, tuple[Row, ...]] = {
    "hfopenllm_v2": (
        Row("82044cd2-1a46-406e-bc68-397ce41b29ea", "AetherTOT bfloat16: source_conflict"),
        Row("de09e323-8cf1-4aa9-9537-e8ad30a8c297", "AetherTOT float16: source_conflict"),
        Row("838f3932-edf2-4f72-9238-981d1aadc771", "no eval files on the Hub: ready"),
        Row(
            "97c92043-9bed-460a-8d7b-70ab3584c75b", "same score on main, 0-1 scale: already_present"
        ),
        Row("347577a4-2768-4472-ba48-9b174ad89724", "same score in an open PR: pending_pr"),
        Row("e71d3be5-ea9d-4426-aa58-5806b7541aa6", "same score in a draft PR: pending_pr"),
        Row("d4d8a784-5bd5-4437-8e0d-75dcb967ae33", "different score on main: score_conflict"),
        Row("c546ccde-cef3-4de2-a49f-24517d76dde5", "no such repo: missing_hf_model"),
        Row("f9925806-4252-44e8-b67e-917737572bd4", "malformed target file: audit_error"),
        Row("391f6d6c-418f-44be-910a-fb90b5712649", "bad hash: skipped", wrong_sha256=True),
    ),
    "MMLU-Pro": (Row("676f4465-ce78-411a-9f5a-c97b3d2eac4f", "schema 0.2.2, miscased id: ready"),),
    "helm_capabilities": (
        Row(
            "eccf77c4-6a65-40b9-9445-dd35dee7f7b8", "GPQA main via the index subset", subset="main"
        ),
        Row("30a6de14-c57c-483e-92e9-26fc4c7f4772", "API-only model: skipped"),
    ),
    "helm_lite": (
        Row("6332f0b3-7fab-41ed-a8da-46b142051377", "GSM8K for a model with no repo"),
        Row("bbe708f3-fb78-49e9-876d-cae57f1231cc", "API-only model: skipped"),
    ),
    "reward-bench": (
        Row("b9ddd960-f6f7-4962-8297-88ec7fbbbd1f", "no registered benchmark: counted, not listed"),
    ),
    "demo-harness": (
        Row("5e1f0c3a-9d2b-4c8e-a7f1-3b6d2e8c4a10", "GSM8K + HLE, schema 0.2.2: ready"),
        Row(
            "b7d4e2a1-6c3f-4f0a-9e8b-1a2c3d4e5f60",
            "GPQA Diamond via subset: ready",
            subset="diamond",
        ),
    ),
}


def object_path(uuid: str) -> str:
    return f"flat/objects/{uuid[:2]}/{uuid[2:4]}/{uuid}.json"


def index_row(collection: str, row: Row) -> dict[str, object]:
    path = object_path(row.uuid)
    data = (DATASTORE / path).read_bytes()
    record = json.loads(data)
    sha256 = hashlib.sha256(data).hexdigest()
    if row.wrong_sha256:
        # Deterministic but wrong: the object no longer matches what the index promises.
        sha256 = hashlib.sha256(b"eeesync demo: corrupt object " + row.uuid.encode()).hexdigest()
    out: dict[str, object] = {
        "eval_schema_version": record["schema_version"],
        "instance_level_available": False,
        "legacy_path": f"data/{collection}/{record['model_info']['id']}/{row.uuid}.json",
        "object_path": path,
        "object_uuid": row.uuid,
        "record_type": "aggregate",
        "sha256": sha256,
        "size_bytes": len(data),
    }
    if row.subset is not None:
        out["subset"] = row.subset
    return out


def render_index(collection: str) -> str:
    lines = [
        json.dumps(index_row(collection, row), sort_keys=True, separators=(",", ":"))
        for row in COLLECTIONS[collection]
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check; exit 1 if stale")
    args = parser.parse_args(argv)
    stale: list[str] = []
    wanted = {f"{name}.jsonl" for name in COLLECTIONS}
    for name in COLLECTIONS:
        target = INDEX_DIR / f"{name}.jsonl"
        text = render_index(name)
        current = target.read_text("utf-8") if target.exists() else None
        if current == text:
            continue
        stale.append(str(target.relative_to(EXAMPLES)))
        if not args.check:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, "utf-8")
    extra = sorted(
        p.relative_to(EXAMPLES).as_posix()
        for p in INDEX_DIR.glob("*.jsonl")
        if p.name not in wanted
    )
    if args.check:
        for path in [*stale, *extra]:
            print(f"out of date: {path}", file=sys.stderr)
        return 1 if stale or extra else 0
    for path in extra:
        print(f"not in COLLECTIONS (remove it by hand): {path}", file=sys.stderr)
    for path in stale:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
