"""Benchmark: requests/s the local Hub sustains for `model_info` and `hf_hub_download`.

16 concurrent clients (threads, each calling the real `HfApi`) hammer a local Hub that runs in
its own process, so client and server do not share one interpreter lock. Prints calls/s and
HTTP requests/s (from the server's counters) per phase. Target: >= 1,000 requests/s.

    python benchmarks/bench_localhub.py [--clients 16] [--seconds 5] [--repos 200]
                                        [--client-processes 1] [--force-download]

A cached `hf_hub_download` costs one HEAD; `--force-download` makes every call HEAD + GET.

`--client-processes N` spreads the clients over N processes (each with clients/N threads) when
the client side, not the server, is the bottleneck.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import tempfile
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path

YAML = b"- dataset: {id: cais/hle, task_id: hle}\n  value: 20.9\n"


def serve(state_dir: str, repos: int, conn: Connection) -> None:
    """Child process: seed, serve, answer "counters"/"reset"/"stop" on the pipe."""
    from eeesync.localhub import LocalHub

    hub = LocalHub(Path(state_dir))
    with hub.storage.bulk():
        for i in range(repos):
            repo_id = f"bench-org/model-{i:05}"
            hub.storage.create_repo(repo_id)
            hub.storage.commit(
                repo_id, {".eval_results/hle.yaml": YAML, "README.md": b"hi"}, message="seed"
            )
    hub.start()
    conn.send(hub.url)
    while True:
        command = conn.recv()
        if command == "counters":
            conn.send(hub.counters())
        elif command == "reset":
            hub.reset_counters()
            conn.send(None)
        else:
            hub.stop()
            conn.send(None)
            return


def run_clients(
    url: str,
    phase: str,
    threads: int,
    seconds: float,
    repos: int,
    cache_dir: str,
    offset: int,
    force: bool = False,
) -> int:
    """Run `threads` clients for `seconds`; returns the number of completed calls."""
    from huggingface_hub import HfApi

    api = HfApi(endpoint=url, token="bench")
    stop_at = time.monotonic() + seconds
    done = [0] * threads

    def worker(n: int) -> None:
        i = n + offset
        while time.monotonic() < stop_at:
            repo_id = f"bench-org/model-{i % repos:05}"
            if phase == "model_info":
                api.model_info(repo_id)
            else:
                api.hf_hub_download(
                    repo_id, ".eval_results/hle.yaml", cache_dir=cache_dir, force_download=force
                )
            done[n] += 1
            i += threads

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return sum(done)


def _client_process(
    url: str,
    phase: str,
    threads: int,
    seconds: float,
    repos: int,
    cache_dir: str,
    offset: int,
    force: bool,
    out: Connection,
) -> None:
    out.send(run_clients(url, phase, threads, seconds, repos, cache_dir, offset, force))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--repos", type=int, default=200)
    parser.add_argument("--client-processes", type=int, default=1)
    parser.add_argument("--force-download", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    ctx = mp.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp:
        parent, child = ctx.Pipe()
        server = ctx.Process(target=serve, args=(str(Path(tmp) / "state"), args.repos, child))
        server.start()
        url = parent.recv()
        print(
            f"local Hub at {url}, {args.repos} repos, {args.clients} clients "
            f"in {args.client_processes} process(es), {args.seconds:.0f} s per phase"
        )
        for phase in ("model_info", "hf_hub_download"):
            cache_dir = str(Path(tmp) / f"cache-{phase}")
            parent.send("reset")
            parent.recv()
            started = time.monotonic()
            per_proc = args.clients // args.client_processes
            if args.client_processes == 1:
                calls = run_clients(
                    url,
                    phase,
                    per_proc,
                    args.seconds,
                    args.repos,
                    cache_dir,
                    0,
                    args.force_download,
                )
            else:
                pipes, procs = [], []
                for p in range(args.client_processes):
                    r, w = ctx.Pipe(duplex=False)
                    proc = ctx.Process(
                        target=_client_process,
                        args=(
                            url,
                            phase,
                            per_proc,
                            args.seconds,
                            args.repos,
                            cache_dir,
                            p * per_proc,
                            args.force_download,
                            w,
                        ),
                    )
                    proc.start()
                    pipes.append(r)
                    procs.append(proc)
                calls = sum(r.recv() for r in pipes)
                for proc in procs:
                    proc.join()
            elapsed = time.monotonic() - started
            parent.send("counters")
            counts = parent.recv()
            requests = counts.get("api", 0) + counts.get("resolvers", 0)
            detail = ", ".join(
                f"{k}={v}" for k, v in sorted(counts.items()) if k not in ("api", "resolvers")
            )
            print(
                f"{phase:16} {calls / elapsed:8.0f} calls/s  {requests / elapsed:8.0f} "
                f"requests/s  ({detail})"
            )
        parent.send("stop")
        parent.recv()
        server.join()


if __name__ == "__main__":
    main()
