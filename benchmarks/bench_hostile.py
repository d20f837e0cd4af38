"""Benchmark: plan time and peak memory with and without hostile files on the Hub (issue 14 §1).

World: N ordinary model repos (default 2,000; ~5% with an eval file on main, ~2% with an open
PR), plus, for each hostile file of `tests/hostile.py` (alias bombs, 20,000-level nesting,
20 MB / 400k entries, 100k entries, 20 MB of conflicting entries, invalid typed values, the
entry-cap boundary files), one repo holding it on main and one holding it in an open PR.
The local Hub runs in its own process; each plan runs in a fresh forked process, so its peak
RSS is its own. Both plans render the terminal view to a null file (the render must finish).

Target: the hostile plan's peak RSS ≤ the normal plan's + 50 MB.

Usage:  python benchmarks/bench_hostile.py [--models 2000] [--latency-ms 0]
"""

from __future__ import annotations

import argparse
import io
import logging
import multiprocessing as mp
import random
import resource
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from huggingface_hub import HfApi  # noqa: E402
from rich.console import Console  # noqa: E402

from eeesync.config import Config  # noqa: E402
from eeesync.hub.client import Hub, RetryPolicy  # noqa: E402
from eeesync.localhub import FaultConfig, LocalHub  # noqa: E402
from eeesync.pipeline import PlanRequest, build_plan  # noqa: E402
from eeesync.plan.file import serialize_plan  # noqa: E402
from eeesync.views import render_plan as render_view  # noqa: E402
from tests.helpers import (  # noqa: E402
    MMLU_DATASET,
    MMLU_FILE,
    MMLU_TASK,
    eval_yaml,
    mmlu_overall_record,
    write_datastore,
)


def _serve(state_dir: str, normal: list[str], latency_ms: float, conn: Connection) -> None:
    # Imported here: the hostile files (~60 MB of bytes) live only in the Hub's process.
    from tests.hostile import BOUNDARY_FILES, HOSTILE_FILES

    rng = random.Random(1)
    hub = LocalHub(Path(state_dir), faults=FaultConfig(latency_ms=latency_ms))
    s = hub.storage
    hostile: list[str] = []
    with s.bulk():
        for model in normal:
            s.create_repo(model)
            draw = rng.random()
            if draw < 0.05:
                s.commit(model, {MMLU_FILE: eval_yaml((MMLU_DATASET, MMLU_TASK, 42))}, message="e")
            elif draw < 0.07:
                s.open_pr(model, {MMLU_FILE: eval_yaml((MMLU_DATASET, MMLU_TASK, 42))}, title="e")
        for name, data in {**HOSTILE_FILES, **BOUNDARY_FILES}.items():
            on_main, in_pr = f"hostile/main-{name}", f"hostile/pr-{name}"
            s.create_repo(on_main)
            s.commit(on_main, {MMLU_FILE: data}, message="results")
            s.create_repo(in_pr)
            s.open_pr(in_pr, {MMLU_FILE: data}, title="results")
            hostile += [on_main, in_pr]
    hub.start()
    conn.send((hub.url, hostile))
    conn.recv()
    hub.stop()


def _plan(work: str, url: str, collection: str, conn: Connection) -> None:
    logging.getLogger("huggingface_hub").setLevel(logging.ERROR)
    folder = Path(work)
    config = Config(
        datastore_input="ds",
        collections=(collection,),
        endpoint_input=url,
        check_tasks=False,
        cache_dir=folder / f"cache-{collection}",
        plan_dir=folder / "plans",
        base_dir=folder,
    )
    hub = Hub(HfApi(endpoint=url, token=False), url, url, "https://huggingface.co", RetryPolicy())
    start = time.perf_counter()
    result = build_plan(config, PlanRequest(force=True), hub=hub)
    planned = time.perf_counter() - start
    text = serialize_plan(result.plan)
    rendered = io.StringIO()
    render_view(result.plan, Console(file=rendered, width=120), "text")
    total = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    errors = sum(1 for r in result.plan.repos for e in r.entries if e.status.value == "audit_error")
    conn.send((planned, total, peak, len(text), len(rendered.getvalue()), errors))


def run(work: Path, url: str, collection: str) -> tuple[float, float, float, int, int, int]:
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_plan, args=(str(work), url, collection, child))
    proc.start()
    found: tuple[float, float, float, int, int, int] = parent.recv()
    proc.join()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=2_000)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="eeesync-bench-hostile-"))
    normal = [f"author{i % 250:03d}/model-{i:05d}" for i in range(args.models)]

    ctx = mp.get_context("fork")
    conn, child = ctx.Pipe()
    server = ctx.Process(target=_serve, args=(str(work / "hub"), normal, args.latency_ms, child))
    server.start()
    url, hostile = conn.recv()
    records: dict[str, list[bytes]] = {
        "normal": [mmlu_overall_record(m, 0.61) for m in normal],
    }
    records["hostile"] = records["normal"] + [mmlu_overall_record(m, 0.61) for m in hostile]
    write_datastore(work / "ds", records)
    print(
        f"world: {len(normal)} ordinary models; {len(hostile)} hostile repos "
        f"({len(hostile) // 2} files, each on main and in an open PR); work dir {work}",
        flush=True,
    )
    try:
        rows = {name: run(work, url, name) for name in ("normal", "hostile")}
    finally:
        conn.send("stop")
        server.join(timeout=30)
    for name, (planned, total, peak, size, shown, errors) in rows.items():
        print(
            f"{name:<8} plan {planned:6.1f}s  plan+write+render {total:6.1f}s  "
            f"peak RSS {peak:6.0f} MB  plan file {size / 1024:7.0f} KB  "
            f"render {shown / 1024:6.0f} KB  audit_error entries {errors}",
            flush=True,
        )
    delta = rows["hostile"][2] - rows["normal"][2]
    verdict = "OK" if delta <= 50 else "OVER"
    print(f"peak RSS hostile - normal: {delta:+.0f} MB (target <= +50 MB): {verdict}")


if __name__ == "__main__":
    main()
