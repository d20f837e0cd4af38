"""Benchmark the nightly sync's lifecycle on the local Hub (not a test; prints a report).

A few thousand model repos owned by the account `owner`; the sync runs as `evaluator`:

  night 1   plan + apply: one PR per repo
  owners    on a seeded random tenth of the repos, split evenly: close our PR; merge it; merge
            it and delete the entry from main; the EEE record is corrected; the record is
            removed; someone else opens a PR with the same entry and the owner closes it and ours
  night 2   plan + apply
  night 3   plan + apply: nothing left to write

Prints the figures a converging sync must hold (each should be 0) and the plan's API requests
per model on night 2 against night 1 (night 2 reads the closed and merged PRs of ours, and
their descriptions, where night 1 found none; and, for a decline decided by someone else's
PR, who closed it).

Usage:  python benchmarks/bench_lifecycle.py [--models 3000] [--seed 1]
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from huggingface_hub import CommitOperationAdd  # noqa: E402

from eeesync.localhub import LocalHub  # noqa: E402
from tests.lifecycle_world import ACCOUNTS, MMLU_FILE, Night, World  # noqa: E402

ACTIONS = ("close", "merge", "delete", "correct", "remove", "stranger")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--models", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--parallelism", type=int, default=8, help="apply's repos at once")
    args = parser.parse_args()
    logging.getLogger("huggingface_hub").setLevel(logging.CRITICAL)
    rng = random.Random(args.seed)
    models = [f"owner/model-{i:05d}" for i in range(args.models)]
    scores = {m: round(rng.uniform(0.2, 0.8), 4) for m in models}
    with (
        tempfile.TemporaryDirectory(prefix="eeesync-lifecycle-") as work,
        LocalHub(Path(work) / "hub", accounts=ACCOUNTS) as hub,
    ):
        world = World(Path(work) / "project", hub, scores, parallelism=8)
        world.create_repos()
        print(f"world: {args.models} repos of `owner`; the sync runs as `evaluator`")

        _, api1 = night(world, hub, args.parallelism, "night 1")
        picked = rng.sample(models, max(len(ACTIONS), args.models // 10))
        groups = {a: picked[i :: len(ACTIONS)] for i, a in enumerate(ACTIONS)}
        start = time.perf_counter()
        for repo in groups["stranger"]:
            ours = world.open_prs(repo)[0]
            held = world.file_at(repo, f"refs/pr/{ours}").encode()
            theirs = world.seed.create_commit(
                repo, [CommitOperationAdd(MMLU_FILE, held)], commit_message="x", create_pr=True
            )
            assert theirs.pr_num is not None
            world.close(repo, theirs.pr_num)
        for repo in groups["close"] + groups["stranger"]:
            world.close(repo, world.open_prs(repo)[0])
        for repo in groups["merge"] + groups["delete"]:
            world.merge(repo, world.open_prs(repo)[0])
        for repo in groups["delete"]:
            world.delete_entry_on_main(repo)
        for repo in groups["correct"]:
            world.scores[repo] = round(world.scores[repo] + 0.05, 4)
        for repo in groups["remove"]:
            del world.scores[repo]
        print(
            f"owners: {len(picked)} repos, {len(groups['close'])} per action "
            f"({', '.join(ACTIONS)}) in {time.perf_counter() - start:.1f}s"
        )
        second, api2 = night(world, hub, args.parallelism, "night 2")
        third, _ = night(world, hub, args.parallelism, "night 3")

        report(world, groups, second, third, api1, api2, args.models)


def night(world: World, hub: LocalHub, parallelism: int, label: str) -> tuple[Night, int]:
    hub.reset_counters()
    start = time.perf_counter()
    planned = world.planned_night()
    plan_s = time.perf_counter() - start
    api = hub.counters().get("api", 0)
    start = time.perf_counter()
    planned.report = world.apply(planned, parallelism=parallelism)
    apply_s = time.perf_counter() - start
    counts = {k: v for k, v in planned.plan.counts.by_status.items() if v}
    results: dict[str, int] = {}
    for result in planned.report.results if planned.report else ():
        results[result.state.value] = results.get(result.state.value, 0) + 1
    models = len(world.scores) or 1
    print(
        f"{label}: plan {plan_s:5.1f}s, {api} API requests ({api / models:.3f}/model), "
        f"statuses {counts}; apply {apply_s:5.1f}s, results {results or '{}'}"
    )
    return planned, api


def report(
    world: World,
    groups: dict[str, list[str]],
    second: Night,
    third: Night,
    api1: int,
    api2: int,
    models: int,
) -> None:
    reopened = sum(1 for r in groups["close"] + groups["stranger"] if world.open_prs(r))
    declines = [
        e.reason
        for r in groups["stranger"]
        if (planned := second.plan.repo(r)) is not None
        for e in planned.entries
        if e.status.value == "declined"
    ]
    unnamed = len(groups["stranger"]) - sum(1 for why in declines if "closed by owner" in why)
    reproposed = sum(1 for r in groups["delete"] if world.open_prs(r))
    stale = 0
    for repo in groups["correct"]:
        prs = world.open_prs(repo)
        wanted = f"value: {round(world.scores[repo] * 100, 4)}"
        if len(prs) != 1 or wanted not in world.file_at(repo, f"refs/pr/{prs[0]}"):
            stale += 1
    stale += sum(1 for r in groups["remove"] if world.open_prs(r))  # withdrawn: closed
    doubled = sum(
        1 for r in sorted(set(world.scores) | set(groups["remove"])) if len(world.open_prs(r)) > 1
    )
    writes = third.plan.counts.prs_to_open + len(third.report.results if third.report else ())
    night2_models = models - len(groups["remove"])
    print()
    print(f"PRs reopened after a decline:          {reopened}")
    print(f"removed entries re-proposed:           {reproposed}")
    print(f"stale open PRs left stale:             {stale}")
    print(f"second open eeesync PRs on one repo:   {doubled}")
    print(f"night-3 writes:                        {writes}")
    print(f"others' declines not naming the closer: {unnamed}")
    print(
        f"API requests per model (plan): night 1 {api1 / models:.3f}, "
        f"night 2 {api2 / night2_models:.3f} ({night2_models} models wanted; "
        f"night 2 also audits the {len(groups['remove'])} repos of the trail)"
    )
    statuses = second.plan.counts.by_status
    print("night 2 statuses: " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items()) if v))


if __name__ == "__main__":
    main()
