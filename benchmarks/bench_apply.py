"""Benchmark: PRs opened per minute by `eeesync apply`, and duplicates under injected faults.

Phase 1 runs apply (preview checks + PR creation, journaled) on a local Hub that adds 50 ms of
latency to every request, at the default parallelism, and prints PRs/minute. Phase 2 applies a
200-repo plan while the local Hub answers 20% of requests with 429 and 5% with 500/503, then
reruns it once to finish any journaled failures, and prints the PR and duplicate counts.

    python benchmarks/bench_apply.py [--repos 100] [--latency-ms 50] [--parallelism 4]
                                     [--fault-repos 200] [--retry-after 0]

The local Hub runs in this process (a server thread); with 50 ms latency the cost is waiting,
not CPU. Plans are built from the Hub's real state by the helpers of tests/apply/conftest.py.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("HF_HOME", tempfile.mkdtemp(prefix="bench-apply-hf-"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import logging

from huggingface_hub import HfApi

from eeesync.apply import (
    DEFAULT_PARALLELISM,
    ApplyOptions,
    ApplyReport,
    Outcome,
    apply_plan,
    prepare_apply,
)
from eeesync.hub.client import Hub, RetryPolicy
from eeesync.localhub import FaultConfig, LocalHub
from eeesync.plan.file import read_plan
from eeesync.registry import load_registry
from tests.apply.conftest import EXISTING_YAML, open_prs, plan_for, seed_repo, write


def _setup(root: Path, hub: LocalHub, prefix: str, count: int) -> tuple[Path, list[str]]:
    repos = [f"{prefix}/model-{i:04d}" for i in range(count)]
    with hub.storage.bulk():
        for i, repo in enumerate(repos):
            seed_repo(hub, repo, existing=EXISTING_YAML if i % 2 == 0 else None)
    api = HfApi(endpoint=hub.url, token="bench")
    return write(plan_for(api, hub.url, repos), root), repos


def _hub(local: LocalHub) -> Hub:
    api = HfApi(endpoint=local.url, token="bench", library_name="eeesync")
    return Hub(api, local.url, local.url, local.url, RetryPolicy())


def _apply(hub: Hub, plan_path: Path, parallelism: int) -> tuple[ApplyReport, float, float]:
    plan = read_plan(plan_path)
    started = time.monotonic()
    preview = prepare_apply(hub, plan, plan_path, registry=load_registry(), parallelism=parallelism)
    checked = time.monotonic()
    report = apply_plan(hub, preview, ApplyOptions(message="Add evals", parallelism=parallelism))
    return report, checked - started, time.monotonic() - checked


def latency_run(root: Path, repos: int, latency_ms: float, parallelism: int) -> None:
    with LocalHub(root / "hub-latency") as local:
        plan_path, _ = _setup(root, local, "latency", repos)
        local.set_faults(FaultConfig(latency_ms=latency_ms))
        local.reset_counters()
        report, check_s, apply_s = _apply(_hub(local), plan_path, parallelism)
        requests = sum(v for k, v in local.counters().items() if k in ("api", "resolvers"))
    opened = len(report.of(Outcome.OPENED))
    total = check_s + apply_s
    print(
        f"latency {latency_ms:g} ms, parallelism {parallelism}: {opened}/{repos} PRs opened; "
        f"checks {check_s:.1f}s, PR creation {apply_s:.1f}s\n"
        f"  {opened / apply_s * 60:.0f} PRs/min (PR creation phase), "
        f"{opened / total * 60:.0f} PRs/min end to end (checks + creation), "
        f"{requests / max(opened, 1):.1f} HTTP requests per PR"
    )


def fault_run(root: Path, repos: int, parallelism: int, retry_after: int) -> None:
    with LocalHub(root / "hub-faults") as local:
        plan_path, repo_ids = _setup(root, local, "faults", repos)
        local.set_faults(
            FaultConfig(rate_429=0.2, rate_5xx=0.05, retry_after_s=retry_after, seed=11)
        )
        hub = _hub(local)
        report, check_s, apply_s = _apply(hub, plan_path, parallelism)
        failed = len(report.of(Outcome.FAILED))
        rerun_failed = 0
        if failed:
            rerun, _, _ = _apply(hub, plan_path, parallelism)
            rerun_failed = len(rerun.of(Outcome.FAILED))
        faults = {k: v for k, v in local.counters().items() if k.startswith("faults.")}
        local.set_faults(None)
        api = HfApi(endpoint=local.url, token="bench")
        per_repo = [len(open_prs(api, r)) for r in repo_ids]
    duplicates = sum(max(0, n - 1) for n in per_repo)
    print(
        f"faults (20% 429, 5% 5xx, Retry-After {retry_after}s), {repos} repos, parallelism "
        f"{parallelism}: {check_s + apply_s:.1f}s; injected {faults}; {hub.retries} read "
        f"retries\n  first run: {len(report.of(Outcome.OPENED))} opened, {failed} journaled "
        f"failures; after one rerun: {sum(1 for n in per_repo if n)} repos with a PR, "
        f"{rerun_failed} still failed, duplicates: {duplicates}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=100)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--parallelism", type=int, default=DEFAULT_PARALLELISM)
    parser.add_argument("--fault-repos", type=int, default=200)
    parser.add_argument("--retry-after", type=int, default=0)
    args = parser.parse_args()
    # huggingface_hub logs every retried request; the counts are printed instead.
    logging.getLogger("huggingface_hub").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="bench-apply-") as tmp:
        root = Path(tmp)
        latency_run(root, args.repos, args.latency_ms, args.parallelism)
        fault_run(root, args.fault_repos, args.parallelism, args.retry_after)


if __name__ == "__main__":
    main()
