"""Benchmark: `eeesync import` over thousands of models and every registry benchmark.

Seeds a local Hub (in-process) with `--models` model repos; each has a Community Evals file on
main for about a third of the registry's benchmarks, and one model in ten an open PR with one
more score. A folder datastore holds a fifth of the main scores with the same value and one in
twenty with another value (written by the import's own record writer). Then it runs the import
as the CLI does, and prints, from the server's own counters:

- API requests per benchmark (goal: the leaderboard, one request) and per imported score
  (goal: the leaderboard + at most one file read per imported entry's repo and file),
- wall time, statuses, records written (to a folder, `--records`), and a rerun's new records
  (goal: 0).

With `--hub-datastore` the datastore is a dataset repo on the local Hub instead, and the
records go into our import PR there (`eeesync apply`'s write). Then the models of one
organisation (`org01/`) get a new score each, and a `--model 'org01/*'` import and a full rerun
print their requests: what finding the records we already imported costs (only the records in
the folders of the run's models are read, each once: the cache keeps them by git blob id).

    python benchmarks/bench_import.py [--models 3000] [--include-prs] [--hub-datastore]
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import attrs

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from eeesync.config import Config  # noqa: E402
from eeesync.hub.client import connect_hub  # noqa: E402
from eeesync.imports import submit  # noqa: E402
from eeesync.imports.build import ImportRequest, ImportResult, build_import_plan  # noqa: E402
from eeesync.imports.records import build_record, fingerprint, record_json  # noqa: E402
from eeesync.localhub import LocalHub  # noqa: E402
from eeesync.plan.import_file import write_import_plan  # noqa: E402
from eeesync.plan.import_model import HubScore, ImportEntry, ImportStatus  # noqa: E402
from eeesync.registry import Benchmark, load_registry  # noqa: E402
from tests.helpers import upload_datastore, write_datastore  # noqa: E402

#: The datastore repo of `--hub-datastore`.
DATASTORE = "bench/datastore"


def task_of(benchmark: Benchmark) -> str:
    return benchmark.variants[0].task_id if benchmark.variants else benchmark.task_id


def entry_yaml(benchmark: Benchmark, value: float) -> bytes:
    return (
        f"- dataset:\n    id: {benchmark.dataset_id}\n    task_id: {task_of(benchmark)}\n"
        f"  value: {value}\n  source:\n    url: https://example.org/run\n"
    ).encode()


def eee_record(model: str, benchmark: Benchmark, value: float) -> bytes:
    """A datastore record for one score, in the shape the import writes (mapped the same way)."""
    score = HubScore(
        model_id=model,
        benchmark=benchmark.key,
        dataset_id=benchmark.dataset_id,
        value=value,
        file_path=benchmark.file_path,
        revision="main",
        task_id=task_of(benchmark),
    )
    mark = fingerprint(model, benchmark.dataset_id, task_of(benchmark), "", value)
    entry = ImportEntry(ImportStatus.READY, score, fingerprint=mark)
    return record_json(build_record([entry], retrieved=1)).encode()


def seed(
    hub: LocalHub, folder: Path, models: int, rng: random.Random
) -> tuple[dict[str, int], dict[str, Benchmark]]:
    """(what was seeded, a benchmark each model has no score for)."""
    registry = load_registry({})
    benchmarks = list(registry.benchmarks)
    held: list[bytes] = []
    counts: Counter[str] = Counter()
    unscored: dict[str, Benchmark] = {}
    storage = hub.storage
    with storage.bulk():
        for benchmark in benchmarks:
            storage.create_repo(benchmark.dataset_id, repo_type="dataset", exist_ok=True)
        for i in range(models):
            model = f"org{i % 97:02}/model-{i:05}"
            storage.create_repo(model)
            files: dict[str, bytes] = {}
            chosen = rng.sample(benchmarks, k=max(1, len(benchmarks) // 3))
            for benchmark in chosen:
                value = round(rng.uniform(5, 95), 1)
                files[benchmark.file_path] = entry_yaml(benchmark, value)
                counts["main scores"] += 1
                roll = rng.random()
                if roll < 0.20:
                    held.append(eee_record(model, benchmark, value))
                elif roll < 0.25:
                    held.append(eee_record(model, benchmark, round(value / 2, 1)))
            storage.commit(model, files, message="Add eval results")
            extra = next(b for b in benchmarks if b not in chosen)
            unscored[model] = extra
            if i % 10 == 0:
                pr_file = {extra.file_path: entry_yaml(extra, round(rng.uniform(5, 95), 1))}
                storage.open_pr(model, pr_file, title="Add a score", description="community")
                counts["PR scores"] += 1
    write_datastore(folder / "ds", {"bench": held})
    counts["datastore records"] = len(held)
    return dict(counts), unscored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", type=int, default=3000)
    parser.add_argument("--include-prs", action="store_true")
    parser.add_argument("--hub-datastore", action="store_true")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    logging.getLogger("huggingface_hub").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp, LocalHub(Path(tmp) / "hub") as hub:
        folder = Path(tmp)
        started = time.perf_counter()
        seeded, unscored = seed(hub, folder, args.models, random.Random(args.seed))
        print(f"seeded in {time.perf_counter() - started:.1f} s: {args.models} models, {seeded}")
        client = connect_hub(hub.url, token="bench")
        datastore = "ds"
        if args.hub_datastore:
            upload_datastore(client.api, folder / "ds", DATASTORE)
            datastore = DATASTORE
        config = Config(
            datastore_input=datastore,
            collections=("bench",),
            endpoint_input=hub.url,
            check_tasks=False,
            cache_dir=folder / ".eeesync",
            base_dir=folder,
        )
        records = folder / "records"
        request = ImportRequest(
            include_prs=args.include_prs, records_dir=None if args.hub_datastore else records
        )
        result = measured(hub, "import", lambda: build_import_plan(config, request, hub=client))
        plan = result.plan
        print("per benchmark: key, rows, ready, file reads (one leaderboard request each)")
        for key in plan.inputs.benchmarks:
            mine = [e for e in plan.entries if e.hub.benchmark == key]
            # a row whose file was read carries the commit it was read at
            read = {(e.hub.model_id, e.hub.file_path, e.hub.revision) for e in mine if e.hub.commit}
            ready_here = sum(e.status is ImportStatus.READY for e in mine)
            print(f"  {key:22} {len(mine):6} {ready_here:6} {len(read):6}")
        if args.hub_datastore:
            path = folder / "import.plan.json"
            write_import_plan(plan, path)
            opened = submit.submit(client, plan, path, message="Import")
            print(f"records written: {opened.records} into our import PR #{opened.pr_num}")
            with hub.storage.bulk():
                for model, benchmark in unscored.items():
                    if model.startswith("org01/"):
                        value = entry_yaml(benchmark, 50.0)
                        hub.storage.commit(model, {benchmark.file_path: value}, message="More")
            one_org = attrs.evolve(request, model_filter="org01/*")
            measured(hub, "org01/* import", lambda: build_import_plan(config, one_org, hub=client))
        else:
            for record in plan.records:
                target = records / record.path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(record.content, encoding="utf-8")
            print(f"records written: {len(plan.records)} under {records.name}/")
        measured(hub, "rerun", lambda: build_import_plan(config, request, hub=client))
        if args.hub_datastore:  # the records read by the rerun are cached by their blob id
            measured(hub, "rerun again", lambda: build_import_plan(config, request, hub=client))


def measured(hub: LocalHub, name: str, run: Callable[[], ImportResult]) -> ImportResult:
    """Run one import, printing its wall time, statuses and requests from the server's counters."""
    hub.reset_counters()
    started = time.perf_counter()
    result = run()
    wall = time.perf_counter() - started
    counters = hub.counters()
    plan = result.plan
    ready = plan.counts.get(ImportStatus.READY)
    boards = counters.get("leaderboard", 0)
    reads = result.stats.file_reads
    total = counters.get("api", 0) + counters.get("resolvers", 0)
    statuses = {k: v for k, v in plan.counts.by_status.items() if v}
    print(f"{name}: {wall:.2f} s wall, {result.stats.rows} leaderboard rows, {statuses}")
    print(
        f"  requests: {total} ({boards} leaderboards for {len(plan.inputs.benchmarks)} "
        f"benchmarks, {reads} eval-file reads, {total - boards - reads} other: "
        f"{ {k: v for k, v in counters.items() if k not in ('api', 'resolvers')} })"
    )
    print(
        f"  per imported score: {total / max(ready, 1):.3f} requests, "
        f"{reads / max(ready, 1):.3f} file reads ({ready} scores, {len(plan.records)} new records)"
    )
    return result


if __name__ == "__main__":
    main()
