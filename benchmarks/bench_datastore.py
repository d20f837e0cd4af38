"""Benchmark the desired-state half: index + verify + parse + map from a local folder.

Not a test; prints a report. Generates a synthetic flat datastore shaped like the public one
(the public one held ~229,000 records over ~22,000 models, several collections) from the real record
shapes in tests/fixtures/eee-records: each collection clones one real record kind (HF Open LLM
v2, HELM lite/capabilities, the MMLU-Pro leaderboard, RewardBench, Global-MMLU-lite, LiveCodeBench
Pro), with new model ids, scores and uuids, and optional padding so sizes spread over ~2–25 KB.
The generator runs in a child process; each measurement runs in another fresh process, so its
peak RSS (`ru_maxrss`) is its own.

It measures what `eeesync plan` does (eeesync/pipeline.py → eeesync/parallel_map.py): the
records of `open_datastore(...)` streamed into the mapping, so memory stays flat, twice: in one
process pinned to one core (`--workers 1`: phases index = read + check every index row, read =
open + size + sha256 + JSON parse + required keys per object, map = the rest), and on worker
processes, one per core, as `eeesync plan` runs on a large folder datastore. Both are compared
with the bare loop (read + sha256 + parse, one core): the floor any reader of the files pays.

It runs with orjson when it is installed and with the standard `json` module (orjson is an
optional speed-up, see eeesync/datastore/bulk.py). The machine's load average is printed:
other processes on the same cores slow every figure down.

Usage:  python benchmarks/bench_datastore.py [--records 229000] [--models 22000] [--dir DIR]
            [--reuse] [--warm] [--parsers orjson,json] [--workers N] [--collections A,B]
Target: >= 20,000 records/s and < 1 GiB peak RSS.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import importlib.util
import json
import multiprocessing as mp
import os
import random
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
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


def _timed(items: Iterator[Any], spent: list[float]) -> Iterator[Any]:
    """Yield from `items`, adding the time spent inside `next` to `spent[0]` (~0.2 µs each)."""
    clock = time.perf_counter
    while True:
        began = clock()
        try:
            item = next(items)
        except StopIteration:
            spent[0] += clock() - began
            return
        spent[0] += clock() - began
        yield item


def measure(
    root: Path, parser: str, workers: int, collections: list[str] | None = None
) -> dict[str, Any]:
    if parser == "json":
        sys.modules["orjson"] = None  # type: ignore[assignment]  # makes `import orjson` fail
    if workers == 1 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    from eeesync.datastore import open_datastore, resolve_locator
    from eeesync.datastore.bulk import FAST_LOADS
    from eeesync.mapping import MappingOptions, map_records
    from eeesync.parallel_map import map_scan
    from eeesync.registry import load_registry

    assert (FAST_LOADS is not None) == (parser == "orjson"), "orjson is not installed"
    load_before = os.getloadavg()
    registry, options = load_registry(), MappingOptions()
    start = time.perf_counter()
    locator = resolve_locator(
        str(root), hub=None, base_dir=root, link_repo="evaleval/EEE_datastore"
    )
    read_time = [0.0]
    scan = open_datastore(locator, collections, hub=None)
    indexed = time.perf_counter()
    if workers == 1:  # timed by phase (map_scan's one-process path, unrolled)
        records = _timed(scan.records(), read_time)
        result = map_records(records, registry, locator, options=options)
    else:
        result = map_scan(scan, registry, options=options, workers=workers, min_rows=0)
    rows, skipped = len(scan.rows), len(scan.skipped)
    done = time.perf_counter()
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    total = done - start
    phases = {"total": round(total, 2), "index": round(indexed - start, 2)}
    if workers == 1:
        phases["read"] = round(read_time[0], 2)
        phases["map"] = round(total - (indexed - start) - read_time[0], 2)
    return {
        "parser": parser,
        "workers": workers,
        "rows": rows,
        "records_per_second": round(rows / total),
        "peak_rss_mib": round(rss_kib / 1024, 1),
        "seconds": phases,
        "load_average": [round(x, 2) for x in (*load_before, *os.getloadavg())],
        "desired": len(result.desired),
        "conflicts": len(result.conflicts),
        "skipped": skipped + len(result.skipped),
        "unmatched_records": result.unmatched_records,
        "duplicates_collapsed": result.duplicates_collapsed,
    }


def bare_loop(root: Path, parser: str, collections: list[str] | None = None) -> dict[str, Any]:
    """The floor: for every index line, json.loads it, read the object, sha256 it, parse it.
    No checks, no records, no mapping: what any reader of the same files must do."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as `measure`
    loads: Any = json.loads
    if parser == "orjson":
        import orjson

        loads = orjson.loads
    start = time.perf_counter()
    rows = 0
    for index in sorted((root / "flat" / "indexes" / "by_collection").glob("*.jsonl")):
        if collections is not None and index.stem not in collections:
            continue
        with open(index, "rb") as handle:
            for line in handle:
                row = json.loads(line)
                with open(root / row["object_path"], "rb") as obj:
                    data = obj.read()
                hashlib.sha256(data).hexdigest()
                loads(data)
                rows += 1
    total = time.perf_counter() - start
    return {"rows": rows, "records_per_second": round(rows / total), "seconds": round(total, 2)}


def _child(target: Any, args: tuple[Any, ...], queue: Any) -> None:
    queue.put(target(*args))


def in_child(target: Any, *args: Any) -> dict[str, Any]:
    queue: Any = mp.get_context("spawn").Queue()
    process = mp.get_context("spawn").Process(target=_child, args=(target, args, queue))
    process.start()
    out: dict[str, Any] = queue.get()
    process.join()
    return out


def warm_page_cache(root: Path) -> None:
    for folder, _, files in os.walk(root / "flat" / "objects"):
        for name in files:
            with open(os.path.join(folder, name), "rb") as handle:
                handle.read()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=229_000)
    parser.add_argument("--models", type=int, default=None, help="default: records × 22/229")
    parser.add_argument("--dir", type=Path, default=None, help="generate here (kept)")
    parser.add_argument(
        "--reuse", action="store_true", help="measure the datastore already in --dir"
    )
    parser.add_argument("--parsers", default="orjson,json", help="orjson and/or json")
    parser.add_argument(
        "--collections",
        default=None,
        help="comma-separated: measure (and run the bare loop on) these collections only, e.g. "
        "the ones whose records match no registered benchmark, as most of the public "
        "datastore's (2,200 benchmarks, 7 in the registry)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="processes for the second measurement (default: one per core, as `eeesync plan`)",
    )
    parser.add_argument(
        "--warm",
        action="store_true",
        help="read every object once before each measurement, so that the figures do not "
        "depend on what the OS page cache kept (without it, a cold cache reads at disk speed)",
    )
    args = parser.parse_args()
    models = args.models or max(1, round(args.records * 22_000 / 229_000))
    from eeesync.parallel_map import default_workers

    args.workers = args.workers or default_workers()
    collections = args.collections.split(",") if args.collections else None
    parsers = [p for p in args.parsers.split(",") if p]
    if "orjson" in parsers and importlib.util.find_spec("orjson") is None:
        print("orjson is not installed: measuring with json only")
        parsers = [p for p in parsers if p != "orjson"]
    with tempfile.TemporaryDirectory(prefix="eeesync-bench-") as tmp:
        root = args.dir or Path(tmp) / "datastore"
        if args.reuse:
            if args.dir is None or not (root / "flat" / "indexes" / "by_collection").is_dir():
                parser.error("--reuse needs --dir naming a generated datastore")
            print(f"reusing {root}")
        else:
            began = time.perf_counter()
            shape = in_child(generate, root, args.records, models)
            elapsed = time.perf_counter() - began
            print(f"generated {json.dumps(shape)} in {elapsed:.0f} s", flush=True)
        print(f"Python {sys.version.split()[0]}, {os.cpu_count()} cores")
        for json_parser in parsers:
            if args.warm:
                warm_page_cache(root)
            floor = in_child(bare_loop, root, json_parser, collections)
            print(
                f"  {json_parser:6} bare read + sha256 + parse loop (one core): "
                f"{floor['records_per_second']:,} records/s ({floor['seconds']} s)",
                flush=True,
            )
            for workers in dict.fromkeys([1, args.workers]):
                if args.warm:
                    warm_page_cache(root)
                got = in_child(measure, root, json_parser, workers, collections)
                print(f"measured  {json.dumps(got)}", flush=True)
                ratio = got["records_per_second"] / max(1, floor["records_per_second"])
                ok = got["records_per_second"] >= 20_000 and got["peak_rss_mib"] < 1024
                phases = ", ".join(f"{k} {v} s" for k, v in got["seconds"].items())
                where = "one core" if workers == 1 else f"{workers} processes"
                print(
                    f"  {json_parser:6} scan + map ({where}): {got['rows']:,} records, "
                    f"{got['records_per_second']:,} records/s = {ratio:.2f} x the bare loop "
                    f"(target >= 0.8), peak RSS {got['peak_rss_mib']} MiB ({phases}; load "
                    f"{got['load_average'][0]} → {got['load_average'][3]}): "
                    f"{'meets' if ok else 'MISSES'} >= 20,000 records/s and < 1 GiB",
                    flush=True,
                )


if __name__ == "__main__":
    main()
