"""Benchmark the desired-state half: index + verify + parse + map from a local folder.

Not a test; prints a report. Generates a synthetic flat datastore shaped like the public one
(DESIGN.md §10: ~229,000 records over ~22,000 models, several collections) from the real record
shapes in tests/fixtures/eee-records: each collection clones one real record kind (HF Open LLM
v2, HELM lite/capabilities, the MMLU-Pro leaderboard, RewardBench, Global-MMLU-lite, LiveCodeBench
Pro), with new model ids, scores and uuids, and optional padding so sizes spread over ~2–25 KB.
The generator runs in a child process; the measurement runs in another fresh process on one
core (the folder reader is single-threaded), so its peak RSS (`ru_maxrss`) is its own.

Usage:  python benchmarks/bench_datastore.py [--records 229000] [--models 22000] [--dir DIR]
Target: >= 20,000 records/s and < 1 GiB peak RSS.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import multiprocessing as mp
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
FIXTURES = ROOT / "tests" / "fixtures" / "eee-records"

#: collection → (share of records, template file, padding range in bytes)
COLLECTIONS: dict[str, tuple[float, str, tuple[int, int]]] = {
    "hfopenllm_v2": (
        0.45,
        "hfopenllm_v2/meta-llama/Llama-3.1-8B-Instruct/838f3932-edf2-4f72-9238-981d1aadc771.json",
        (0, 1500),
    ),
    "helm_lite": (
        0.12,
        "helm_lite/ai21/j2-jumbo/6332f0b3-7fab-41ed-a8da-46b142051377.json",
        (0, 3000),
    ),
    "helm_capabilities": (
        0.10,
        "helm_capabilities/marin-community/marin-8b-instruct/eccf77c4-6a65-40b9-9445-dd35dee7f7b8.json",
        (0, 2000),
    ),
    "MMLU-Pro": (0.10, "MMLU-Pro-0.2.2/676f4465-ce78-411a-9f5a-c97b3d2eac4f.json", (0, 1500)),
    "reward-bench": (
        0.10,
        "reward-bench/Skywork/Skywork-Reward-Llama-3.1-8B/b9ddd960-f6f7-4962-8297-88ec7fbbbd1f.json",
        (0, 1000),
    ),
    "global-mmlu-lite": (
        0.08,
        "global-mmlu-lite/anthropic/claude-3-5-haiku-20241022/402c8833-1827-46fc-a497-46b40a6794ff.json",
        (0, 4000),
    ),
    "livecodebenchpro": (
        0.05,
        "livecodebenchpro/openai/gpt-4.1/ba46ef91-d157-4984-b3df-ce33d8d97f8e.json",
        (0, 500),
    ),
}
ORGS = ["meta-llama", "Qwen", "mistralai", "google", "microsoft", "allenai", "EleutherAI", "tiiuae"]


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def generate(root: Path, records: int, models: int, seed: int = 0) -> dict[str, Any]:
    rng = random.Random(seed)
    model_ids = [
        f"{rng.choice(ORGS) if i % 3 else 'user' + str(i % 5000)}/model-{i}-{rng.randrange(10**6)}"
        for i in range(models)
    ]
    index_dir = root / "flat" / "indexes" / "by_collection"
    index_dir.mkdir(parents=True, exist_ok=True)
    sizes: list[int] = []
    written = 0
    names = list(COLLECTIONS)
    for position, name in enumerate(names):
        share, template_path, (pad_lo, pad_hi) = COLLECTIONS[name]
        count = records - written if position == len(names) - 1 else round(records * share)
        template = json.loads((FIXTURES / template_path).read_text())
        lines = []
        for n in range(count):
            record = copy.deepcopy(template)
            model_id = model_ids[(written + n) % models]
            record["model_info"]["id"] = model_id
            record["model_info"]["name"] = model_id.split("/")[1]
            record["model_info"]["developer"] = model_id.split("/")[0]
            record["evaluation_id"] = f"{name}/{model_id}/{n}"
            for result in record["evaluation_results"]:
                result["score_details"]["score"] = round(rng.random(), 4)
            pad = rng.randrange(pad_lo, pad_hi + 1)
            if pad:
                record["source_metadata"]["additional_details"] = {"notes": "x" * pad}
            content = json.dumps(record, indent=2).encode()
            uuid = _uuid(rng)
            object_path = f"flat/objects/{uuid[:2]}/{uuid[2:4]}/{uuid}.json"
            target = root / object_path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
            sizes.append(len(content))
            lines.append(
                json.dumps(
                    {
                        "record_type": "aggregate",
                        "object_path": object_path,
                        "object_uuid": uuid,
                        "sha256": hashlib.sha256(content).hexdigest(),
                        "size_bytes": len(content),
                        "legacy_path": f"data/{name}/{model_id}/{uuid}.json",
                        "eval_schema_version": record["schema_version"],
                        "instance_level_available": False,
                    }
                )
            )
        (index_dir / f"{name}.jsonl").write_text("\n".join(lines) + "\n")
        written += count
    sizes.sort()
    return {
        "records": written,
        "models": models,
        "collections": len(names),
        "bytes": sum(sizes),
        "size_p10": sizes[len(sizes) // 10],
        "size_median": sizes[len(sizes) // 2],
        "size_p90": sizes[len(sizes) * 9 // 10],
        "size_max": sizes[-1],
    }


def measure(root: Path) -> dict[str, Any]:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    from eeesync.datastore import open_datastore, resolve_locator
    from eeesync.mapping import MappingOptions, map_records
    from eeesync.registry import load_registry

    start = time.perf_counter()
    locator = resolve_locator(
        str(root), hub=None, base_dir=root, link_repo="evaleval/EEE_datastore"
    )
    scan = open_datastore(locator, None, hub=None)
    indexed = time.perf_counter()
    result = map_records(scan.records(), load_registry(), locator, options=MappingOptions())
    done = time.perf_counter()
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rows = len(scan.rows)
    return {
        "rows": rows,
        "index_seconds": round(indexed - start, 2),
        "total_seconds": round(done - start, 2),
        "records_per_second": round(rows / (done - start)),
        "peak_rss_mib": round(rss_kib / 1024, 1),
        "desired": len(result.desired),
        "conflicts": len(result.conflicts),
        "skipped": len(scan.skipped) + len(result.skipped),
        "unmatched_records": result.unmatched_records,
        "duplicates_collapsed": result.duplicates_collapsed,
    }


def _child(target: Any, args: tuple[Any, ...], queue: Any) -> None:
    queue.put(target(*args))


def in_child(target: Any, *args: Any) -> dict[str, Any]:
    queue: Any = mp.get_context("spawn").Queue()
    process = mp.get_context("spawn").Process(target=_child, args=(target, args, queue))
    process.start()
    out: dict[str, Any] = queue.get()
    process.join()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=229_000)
    parser.add_argument("--models", type=int, default=None, help="default: records × 22/229")
    parser.add_argument("--dir", type=Path, default=None, help="generate here (kept)")
    args = parser.parse_args()
    models = args.models or max(1, round(args.records * 22_000 / 229_000))
    with tempfile.TemporaryDirectory(prefix="eeesync-bench-") as tmp:
        root = args.dir or Path(tmp) / "datastore"
        began = time.perf_counter()
        shape = in_child(generate, root, args.records, models)
        print(f"generated {json.dumps(shape)} in {time.perf_counter() - began:.0f} s", flush=True)
        measured = in_child(measure, root)
        print(f"measured  {json.dumps(measured)}")
        ok = measured["records_per_second"] >= 20_000 and measured["peak_rss_mib"] < 1024
        print(
            f"\n{measured['rows']:,} records: {measured['records_per_second']:,} records/s, "
            f"peak RSS {measured['peak_rss_mib']} MiB "
            f"({'meets' if ok else 'MISSES'} the >= 20,000 records/s, < 1 GiB target)"
        )


if __name__ == "__main__":
    main()
