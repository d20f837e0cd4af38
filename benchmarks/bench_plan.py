"""Benchmark `eeesync plan` at scale against the local Hub (not a test; prints a report).

Synthetic world: N model repos (default 20,000) from a Zipf-like spread of authors, ~2.5
records per model (~50,000 records; re-evaluations of one model agree, so the mapping collapses
them), ~5% of models with an eval file on main (half with the same score on the 0–1 scale, half
with another score), ~2% with an open PR carrying the score. The Hub is seeded through its
storage API (no HTTP) in a child process, so the planner's peak memory is measured alone, and
answers with 50 ms latency per request.

Runs (each a real `build_plan` through huggingface_hub):
  1. cold plan, --parallelism 8, no rate limits (reading and auditing overlap, the default);
     1b the same cold plan reading the whole datastore first (`overlap=False`), for contrast
  2. warm re-plan of the unchanged Hub (audit cache from run 1); cold / warm wall is printed
  3. the same cold plan under the free-tier quotas (1,000 API / 5,000 resolver requests per
     window) with the window shortened by --limit-factor (300 s / factor)
  4. --parallelism 1 vs 8 on a random subset (--p1-models), cold; the full-size parallelism-1
     time is extrapolated from the subset (said so in the report)
  5. a cold plan killed (SIGKILL, in a child process) at a random point, then rerun: the
     requests of both runs against run 1's, and the digest of the resumed plan

With --hub-datastore the datastore is a dataset repo on the local Hub (every object costs a
request at the latency on a cold plan, and comes from the object cache on a warm one): that is
where reading and auditing overlapping shows (run 1 vs 1b).

Every run downloads datastore objects --download-parallelism at once (default 32, the
`[hub] download_parallelism` default) beside the audit's parallelism; the header says both, and
each run's line how many requests per bucket the server answered at once.

Usage:  python benchmarks/bench_plan.py [--models 20000] [--latency-ms 50] [--p1-models 300]
            [--hub-datastore] [--skip-kill] [--skip-limits] [--skip-p1] [--only-limits]
            [--download-parallelism 32]
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing as mp
import os
import random
import resource
import signal
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from huggingface_hub import HfApi  # noqa: E402

from eeesync.config import DEFAULT_DOWNLOAD_PARALLELISM, Config  # noqa: E402
from eeesync.hub.client import Hub, RetryPolicy  # noqa: E402
from eeesync.hub.pace import pacer_for  # noqa: E402
from eeesync.localhub import FaultConfig, LocalHub, RateLimitConfig  # noqa: E402
from eeesync.pipeline import BuildResult, PlanRequest, build_plan  # noqa: E402
from tests.helpers import (  # noqa: E402
    MMLU_DATASET,
    MMLU_FILE,
    MMLU_TASK,
    eval_yaml,
    mmlu_overall_record,
    write_datastore,
)

# --- the synthetic world -------------------------------------------------------------------------


def make_world(models: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    n_authors = max(1, models // 8)
    weights = [1.0 / (rank**1.1) for rank in range(1, n_authors + 1)]  # Zipf-like
    authors = [f"author{i:05d}" for i in range(n_authors)]
    picked = rng.choices(authors, weights=weights, k=models)
    ids = sorted({f"{a}/model-{i:06d}" for i, a in enumerate(picked)})
    world: dict[str, Any] = {"ids": ids, "scores": {}, "main": {}, "pr": {}}
    for model in ids:
        world["scores"][model] = round(rng.uniform(0.1, 0.8), 4)
        draw = rng.random()
        if draw < 0.05:
            same = rng.random() < 0.5
            world["main"][model] = world["scores"][model] if same else 0.05
        elif draw < 0.07:
            world["pr"][model] = world["scores"][model] * 100
    world["records_per_model"] = [
        1 + (rng.random() < 0.5) + (rng.random() < 0.5) + (rng.random() < 0.25) for _ in ids
    ]
    world["authors"] = len(set(m.split("/")[0] for m in ids))
    return world


def write_world_datastore(root: Path, world: dict[str, Any], subset: list[str]) -> int:
    records: list[bytes] = []
    by_model: dict[str, list[bytes]] = {}
    for model, copies in zip(world["ids"], world["records_per_model"], strict=True):
        score = world["scores"][model]
        batch = [
            mmlu_overall_record(model, score, timestamp=f"17776134{k:02d}.0") for k in range(copies)
        ]
        by_model[model] = batch
        records += batch
    subset_records = [r for m in subset for r in by_model[m]]
    write_datastore(root, {"all": records, "subset": subset_records})
    return len(records)


# --- the Hub in a child process ------------------------------------------------------------------


#: The datastore plans read: the folder "ds", or (--hub-datastore) the same files as a dataset
#: repo on the local Hub, so that reading the datastore costs requests at the Hub's latency.
DATASTORE = "ds"
HUB_DATASTORE = "bench/eee"
#: Datastore objects downloaded at once (`--download-parallelism`).
DOWNLOADS = DEFAULT_DOWNLOAD_PARALLELISM


def _serve(
    state_dir: str, world: dict[str, Any], latency_ms: float, ds: str | None, conn: Connection
) -> None:
    hub = LocalHub(Path(state_dir), faults=FaultConfig(latency_ms=latency_ms))
    storage = hub.storage
    if ds is not None:
        root = Path(ds)
        files = {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}
        storage.create_repo(HUB_DATASTORE, repo_type="dataset")
        storage.commit(HUB_DATASTORE, files, repo_type="dataset", message="datastore")
    with storage.bulk():
        for model in world["ids"]:
            storage.create_repo(model)
        for model, value in world["main"].items():
            storage.commit(
                model, {MMLU_FILE: eval_yaml((MMLU_DATASET, MMLU_TASK, value))}, message="evals"
            )
        for model, value in world["pr"].items():
            storage.open_pr(
                model, {MMLU_FILE: eval_yaml((MMLU_DATASET, MMLU_TASK, value))}, title="Evals"
            )
        # Authors also own models nobody evaluated: listings are not free.
        for i, model in enumerate(world["ids"][::5]):
            storage.create_repo(f"{model.split('/')[0]}/unrelated-{i:06d}")
    hub.start()
    conn.send(hub.url)
    while True:
        command, arg = conn.recv()
        if command == "counters":
            conn.send(hub.counters())
        elif command == "peaks":
            conn.send(hub.peak_in_flight())
        elif command == "reset":
            hub.reset_counters()
            conn.send(None)
        elif command == "limits":
            hub.set_rate_limits(arg)
            conn.send(None)
        elif command == "stop":
            hub.stop()
            conn.send(None)
            return


class RemoteHub:
    def __init__(
        self, state_dir: Path, world: dict[str, Any], latency_ms: float, ds: Path | None = None
    ) -> None:
        ctx = mp.get_context("fork")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(
            target=_serve, args=(str(state_dir), world, latency_ms, str(ds) if ds else None, child)
        )
        self.proc.start()
        self.url: str = self.conn.recv()

    def ask(self, command: str, arg: Any = None) -> Any:
        self.conn.send((command, arg))
        return self.conn.recv()

    def stop(self) -> None:
        self.ask("stop")
        self.proc.join(timeout=10)


# --- runs ----------------------------------------------------------------------------------------


def run_plan(
    remote: RemoteHub,
    work: Path,
    *,
    collection: str,
    parallelism: int,
    force: bool,
    cache: str = ".eeesync",
    overlap: bool = True,
) -> tuple[BuildResult, float, dict[str, int]]:
    config = Config(
        datastore_input=DATASTORE,
        collections=(collection,),
        endpoint_input=remote.url,
        check_tasks=False,
        parallelism=parallelism,
        download_parallelism=DOWNLOADS,
        cache_dir=work / cache,
        plan_dir=work / "plans",
        base_dir=work,
    )
    api = HfApi(endpoint=remote.url, token=False, library_name="eeesync")
    hub = Hub(api, remote.url, remote.url, "https://huggingface.co", RetryPolicy(attempts=8))
    remote.ask("reset")
    start, cpu = time.perf_counter(), time.process_time()
    result = build_plan(config, PlanRequest(force=force), hub=hub, overlap=overlap)
    elapsed = time.perf_counter() - start
    counts = remote.ask("counters")
    # The planner's CPU seconds (all threads; the Hub runs in another process): a run whose
    # CPU nears its wall is bound by the client's CPU, not by the Hub's latency.
    counts["cpu_ms"] = round((time.process_time() - cpu) * 1000)
    # Requests the server answered at once: shows the widths reached the server.
    counts.update({f"peak.{k}": v for k, v in remote.ask("peaks").items()})
    return result, elapsed, counts


def _killable(remote_url: str, work: str) -> None:
    """Run 5's child: a cold plan with its own cache, killed by the parent."""
    logging.getLogger("huggingface_hub").setLevel(logging.CRITICAL)
    config = Config(
        datastore_input=DATASTORE,
        collections=("all",),
        endpoint_input=remote_url,
        check_tasks=False,
        parallelism=8,
        download_parallelism=DOWNLOADS,
        cache_dir=Path(work) / "ckill",
        plan_dir=Path(work) / "plans",
        base_dir=Path(work),
    )
    api = HfApi(endpoint=remote_url, token=False, library_name="eeesync")
    hub = Hub(api, remote_url, remote_url, "https://huggingface.co", RetryPolicy(attempts=8))
    build_plan(config, PlanRequest(), hub=hub)


def kill_and_resume(
    remote: RemoteHub,
    work: Path,
    whole: BuildResult,
    whole_counts: dict[str, int],
    whole_wall: float,
    *,
    seed: int,
) -> None:
    at = random.Random(seed).uniform(0.15, 0.85) * whole_wall
    remote.ask("reset")
    child = mp.get_context("fork").Process(target=_killable, args=(remote.url, str(work)))
    child.start()
    time.sleep(at)
    os.kill(child.pid or 0, signal.SIGKILL)
    child.join()
    killed = remote.ask("counters")
    rerun, t_rerun, c_rerun = run_plan(
        remote, work, collection="all", parallelism=8, force=False, cache="ckill"
    )

    def total(counts: dict[str, int]) -> int:
        return counts.get("api", 0) + counts.get("resolvers", 0)

    repeated = total(killed) + total(c_rerun) - total(whole_counts)
    print(line("5 rerun after a kill", rerun, t_rerun, c_rerun), flush=True)
    print(
        f"  killed after {at:.1f}s: {total(killed)} requests; rerun {total(c_rerun)} "
        f"({rerun.stats.resumed} repos resumed); uninterrupted {total(whole_counts)}; "
        f"repeated {repeated} = {100 * repeated / max(1, total(whole_counts)):.1f}% "
        f"(target <= 5%); same digest as run 1: {rerun.plan.digest == whole.plan.digest}",
        flush=True,
    )


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def line(label: str, result: BuildResult, elapsed: float, counts: dict[str, int]) -> str:
    repos = max(1, result.stats.repos_audited)
    api, res = counts.get("api", 0), counts.get("resolvers", 0)
    limited = counts.get("ratelimited.api", 0) + counts.get("ratelimited.resolvers", 0)
    return (
        f"{label:<34} models={repos:>6}  wall={elapsed:8.1f}s  API={api:>6} "
        f"({api / repos:.3f}/model)  resolvers={res:>5} ({res / repos:.3f}/model)  "
        f"429s={limited}  retries={result.stats.retries}  peakRSS={peak_mb():.0f} MB  "
        f"cpu={counts.get('cpu_ms', 0) / 1000:.1f}s  "
        f"at once: api {counts.get('peak.api', 0)}, resolvers {counts.get('peak.resolvers', 0)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=20_000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--p1-models", type=int, default=300)
    parser.add_argument("--limit-factor", type=int, default=20, help="300 s window / factor")
    parser.add_argument("--skip-limits", action="store_true")
    parser.add_argument("--skip-kill", action="store_true")
    parser.add_argument("--only-limits", action="store_true", help="run 3 only")
    parser.add_argument("--skip-p1", action="store_true", help="skip run 4")
    parser.add_argument(
        "--hub-datastore",
        action="store_true",
        help="read the datastore from a dataset repo on the local Hub (cold: every object "
        "downloaded at the latency; warm: from the object cache)",
    )
    parser.add_argument(
        "--download-parallelism",
        type=int,
        default=DEFAULT_DOWNLOAD_PARALLELISM,
        help="datastore objects downloaded at once ([hub] download_parallelism)",
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    global DOWNLOADS
    DOWNLOADS = args.download_parallelism
    # huggingface_hub logs every 429 it waits out; the counts below say the same in one line.
    logging.getLogger("huggingface_hub").setLevel(logging.ERROR)

    work = Path(tempfile.mkdtemp(prefix="eeesync-bench-"))
    world = make_world(args.models, args.seed)
    subset = random.Random(args.seed).sample(world["ids"], min(args.p1_models, len(world["ids"])))
    started = time.perf_counter()
    n_records = write_world_datastore(work / "ds", world, subset)
    global DATASTORE
    if args.hub_datastore:
        DATASTORE = HUB_DATASTORE
    remote = RemoteHub(
        work / "hub", world, args.latency_ms, work / "ds" if args.hub_datastore else None
    )
    print(
        f"world: {len(world['ids'])} models, {world['authors']} authors (Zipf s=1.1), "
        f"{n_records} records, {len(world['main'])} with eval files on main, "
        f"{len(world['pr'])} with open PRs; latency {args.latency_ms:.0f} ms/request; "
        f"audit parallelism 8, download parallelism {DOWNLOADS}; "
        f"built in {time.perf_counter() - started:.0f}s; work dir {work}",
        flush=True,
    )
    try:
        # One budget for the whole benchmark: Hubs for one URL share it while it lives.
        pacer = pacer_for(remote.url)
        cold_digest = None
        if not args.only_limits:
            cold, t_cold, c_cold = run_plan(
                remote, work, collection="all", parallelism=8, force=True
            )
            print(line("1 cold, parallelism 8", cold, t_cold, c_cold), flush=True)
            cold_digest = cold.plan.digest
            warm, t_warm, c_warm = run_plan(
                remote, work, collection="all", parallelism=8, force=False
            )
            print(line("2 warm re-plan, parallelism 8", warm, t_warm, c_warm), flush=True)
            same = warm.plan.digest == cold.plan.digest
            print(f"  warm plan identical to cold (digest): {same}", flush=True)
            seq, t_seq, c_seq = run_plan(
                remote,
                work,
                collection="all",
                parallelism=8,
                force=True,
                cache="cseq",
                overlap=False,
            )
            print(line("1b cold, read first, then audit", seq, t_seq, c_seq), flush=True)
            print(
                f"  cold / warm wall: overlapped {t_cold / t_warm:.2f} (target <= 1.2), "
                f"read-first {t_seq / t_warm:.2f}; "
                f"same plan: {seq.plan.digest == cold.plan.digest}",
                flush=True,
            )
            if not args.skip_kill:
                kill_and_resume(remote, work, cold, c_cold, t_cold, seed=args.seed)

            if not args.skip_p1:
                sub8, t_sub8, c_sub8 = run_plan(
                    remote, work, collection="subset", parallelism=8, force=True, cache="c8"
                )
                print(line("4a subset cold, parallelism 8", sub8, t_sub8, c_sub8), flush=True)
                sub1, t_sub1, c_sub1 = run_plan(
                    remote, work, collection="subset", parallelism=1, force=True, cache="c1"
                )
                print(line("4b subset cold, parallelism 1", sub1, t_sub1, c_sub1), flush=True)
                per_model_p1 = t_sub1 / max(1, sub1.stats.repos_audited)
                extrapolated = per_model_p1 * cold.stats.repos_audited
                print(
                    f"  speed-up on the subset (like for like): {t_sub1 / t_sub8:.1f}x; "
                    f"parallelism 1 extrapolated to the full run: {extrapolated:.0f}s "
                    f"(= {per_model_p1 * 1000:.0f} ms/model × {cold.stats.repos_audited}) → "
                    f"{extrapolated / t_cold:.1f}x faster with parallelism 8",
                    flush=True,
                )

        if not args.skip_limits:
            window = max(1, round(300 / args.limit_factor))
            remote.ask(
                "limits", RateLimitConfig(api_quota=1000, resolvers_quota=5000, window_s=window)
            )
            before = {v.bucket: v for v in pacer.views()}
            lim, t_lim, c_lim = run_plan(
                remote, work, collection="all", parallelism=8, force=True, cache="climits"
            )
            remote.ask("limits", None)
            for view in pacer.views():
                sent = view.sent - before[view.bucket].sent
                used = view.windows - before[view.bucket].windows
                bound = -(-sent // (view.quota or 1)) + 1
                refused = c_lim.get(f"ratelimited.{view.bucket}", 0)
                verdict = "ok" if used <= bound else "OVER"
                waited = view.waits - before[view.bucket].waits
                if used > bound and (sent <= (view.quota or 0) or not waited):
                    # no worker ever waited for this bucket: the run's length (set by the
                    # binding bucket) spreads its requests over more windows than it needs
                    verdict = "not binding: no worker waited for it"
                print(
                    f"  {view.bucket}: {sent} requests, quota {view.quota}/{view.window_s}s: "
                    f"{used} windows used (bound ceil(requests/quota)+1 = {bound}: "
                    f"{verdict}); 429s {refused}; waits "
                    f"{view.waits - before[view.bucket].waits} "
                    f"({view.waited_s - before[view.bucket].waited_s:.0f}s)",
                    flush=True,
                )
            print(
                line(f"3 cold, free-tier quotas, {window}s window", lim, t_lim, c_lim), flush=True
            )
            if cold_digest is not None:
                same = lim.plan.digest == cold_digest
                print(f"  limited plan identical to cold (digest): {same}")
            windows = -(-c_lim.get("api", 0) // 1000)
            print(
                f"  on the real Hub (300 s windows) the API quota alone needs >= {windows} windows"
                f" ≈ {windows * 5} min for this cold plan",
                flush=True,
            )
    finally:
        remote.stop()


if __name__ == "__main__":
    main()
