"""Model identity and backlinks on a datastore in the reference's id shapes (issue 11 figures).

Not a test; prints a report. The world (synthetic names, real shapes from EEE's adapters):
for each of F families, the Hub has the real repos (`Qwen/Qwen-b{i}-Instruct`,
`meta-llama/Llama-b{i}-Instruct`, `moonshotai/Kimi-b{i}-Instruct`, `zai-org/GLM-b{i}`,
`deepseek-ai/DeepSeek-b{i}`) and look-alikes (`bartowski/…-GGUF`, `unsloth/…`); the datastore has
records whose `model_info.id` is spelt the way each adapter spells it:

  hfopenllm_v2   Qwen/Qwen-b{i}-Instruct                 (the real id)
  mmlu_pro       qwen/qwen-b{i}-instruct                 (letter case only: the audit fixes it)
  helm           alibaba/qwen-b{i}-instruct, meta/llama-b{i}-instruct
  helm           meta/llama-b{i}-instruct-turbo          (a Together deployment, another score)
  terminal_bench moonshot-ai/kimi-b{i}-instruct
  llm_stats      zhipu-ai/glm-b{i}
  mmlu_pro       deepseek/deepseek-b{i}-20250120          (raw name "DeepSeek-b{i}")
  artificial_a.  meta/llama-b{i}-instruct-405b           (no repo: nothing to find)

The datastore folder is uploaded to the local Hub as the datastore repo and pinned to that commit
(`[datastore] link_revision`), so every backlink is verified with `get_paths_info`.

Runs: plan → `models suggest` (proposals written commented out) → plan (unchanged: nothing is
published to a guess) → accept the high-confidence proposals → plan → also accept the medium ones
(with `[aliases] allow_deployments = ["together"]`) → plan. Reports missing_hf_model each time,
Hub searches, and the link verification cost.

Usage:  python benchmarks/bench_identity.py [--families 150]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import attrs  # noqa: E402
from huggingface_hub import HfApi  # noqa: E402

from eeesync.config import Config  # noqa: E402
from eeesync.hub.client import connect_hub  # noqa: E402
from eeesync.localhub import LocalHub  # noqa: E402
from eeesync.pipeline import BuildResult, PlanRequest, build_plan  # noqa: E402
from eeesync.plan.model import Status  # noqa: E402
from eeesync.suggest import raw_names_from_objects, suggest, write_proposals  # noqa: E402
from tests.helpers import mmlu_overall_record, upload_datastore, write_datastore  # noqa: E402

DATASTORE = "evaleval/EEE_datastore"


def _record(model_id: str, score: float, raw_name: str = "") -> bytes:
    record = json.loads(mmlu_overall_record(model_id, score))
    if raw_name:
        record["model_info"]["additional_details"] = {"raw_model_name": raw_name}
    return json.dumps(record, sort_keys=True).encode()


def world(families: int) -> tuple[list[str], dict[str, list[bytes]]]:
    repos: list[str] = []
    collections: dict[str, list[bytes]] = {}

    def add(collection: str, data: bytes) -> None:
        collections.setdefault(collection, []).append(data)

    for i in range(families):
        s = 0.3 + (i % 50) / 100
        repos += [
            f"Qwen/Qwen-b{i}-Instruct",
            f"meta-llama/Llama-b{i}-Instruct",
            f"moonshotai/Kimi-b{i}-Instruct",
            f"zai-org/GLM-b{i}",
            f"deepseek-ai/DeepSeek-b{i}",
            f"bartowski/Qwen-b{i}-Instruct-GGUF",
            f"unsloth/Llama-b{i}-Instruct",
        ]
        add("hfopenllm_v2", _record(f"Qwen/Qwen-b{i}-Instruct", s))
        add("mmlu_pro", _record(f"qwen/qwen-b{i}-instruct", s))
        add("helm_lite", _record(f"alibaba/qwen-b{i}-instruct", s))
        add("helm_lite", _record(f"meta/llama-b{i}-instruct", s))
        add("helm_capabilities", _record(f"meta/llama-b{i}-instruct-turbo", s + 0.03))
        add("terminal_bench_2", _record(f"moonshot-ai/kimi-b{i}-instruct", s))
        add("llm_stats", _record(f"zhipu-ai/glm-b{i}", s))
        add(
            "mmlu_pro",
            _record(f"deepseek/deepseek-b{i}-20250120", s, raw_name=f"DeepSeek-b{i}"),
        )
        add("artificial_analysis", _record(f"meta/llama-b{i}-instruct-405b", s))
    return repos, collections


def _accept(path: Path, confidences: set[str]) -> None:
    out, accepting = [], False
    for line in path.read_text().splitlines():
        found = re.match(r"# \S+: (\w+) confidence", line)
        if found:
            accepting = found.group(1) in confidences
        if accepting and re.match(r"# (\[\[alias\]\]|from =|to =|deployment =)", line):
            line = line[2:]
        out.append(line)
    path.write_text("\n".join(out) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--families", type=int, default=150)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        repos, collections = world(args.families)
        folder = write_datastore(tmp / "ds", collections)
        records = sum(len(v) for v in collections.values())
        with LocalHub(tmp / "hub") as server:
            api = HfApi(endpoint=server.url, token="x")
            for repo in repos:
                api.create_repo(repo)
            sha = upload_datastore(api, folder, DATASTORE)
            hub = connect_hub(server.url, token=False)
            config = Config(
                datastore_input="ds",
                collections=tuple(sorted(collections)),
                datastore_link_revision=sha,
                endpoint_input=server.url,
                check_tasks=False,
                cache_dir=tmp / ".eeesync",
                base_dir=tmp,
            )

            def plan(label: str, config: Config = config) -> BuildResult:
                start = time.perf_counter()
                result = build_plan(config, PlanRequest(force=True), hub=hub)
                counts = result.plan.counts
                print(
                    f"{label:<44} missing_hf_model {counts.get(Status.MISSING_HF_MODEL):>5}  "
                    f"ready {counts.get(Status.READY):>5}  source_conflict "
                    f"{counts.get(Status.SOURCE_CONFLICT):>4}  "
                    f"skipped {counts.get(Status.SKIPPED):>4}"
                    f"  ({time.perf_counter() - start:.1f} s)"
                )
                return result

            print(
                f"datastore: {records} records in {len(collections)} collections; Hub: "
                f"{len(repos)} model repos; datastore pinned to {sha[:12]} (config)"
            )
            first = plan("1. plan (no alias file)")
            stats = first.stats
            print(
                f"   link verification: {stats.link_objects} objects, {stats.link_requests} "
                f"get_paths_info requests ({stats.link_objects / max(1, stats.link_requests):.0f} "
                "objects per request)"
            )
            missing_ids = {
                e.desired.repo_id
                for r in first.plan.repos
                for e in r.entries
                if e.status is Status.MISSING_HF_MODEL
            }
            names = raw_names_from_objects(first.plan, folder=folder)
            report = suggest(first.plan, hub=hub, cache_dir=config.cache_dir, raw_names=names)
            alias_file = tmp / "model-aliases.toml"
            written = write_proposals(alias_file, report.suggestions)
            by_conf: dict[str, int] = {}
            for s in report.suggestions:
                by_conf[s.confidence] = by_conf.get(s.confidence, 0) + 1
            print(
                f"2. models suggest: {len(missing_ids)} missing ids, {report.requests} Hub "
                f"searches ({report.requests / max(1, len(missing_ids)):.2f} per missing id), "
                f"{written} proposals written commented out; confidence {by_conf}"
            )
            again = suggest(first.plan, hub=hub, cache_dir=config.cache_dir, raw_names=names)
            print(f"   rerun: {again.requests} searches, {again.cache_hits} from the cache")
            wrong = [
                s
                for s in report.suggestions
                if s.repo_id and s.repo_id.split("/")[0] in {"bartowski", "unsloth"}
            ]
            print(f"   proposals pointing at a look-alike repo: {len(wrong)}")
            plan("3. plan (proposals still commented out)")
            _accept(alias_file, {"high"})
            plan("4. plan (high-confidence proposals accepted)")
            _accept(alias_file, {"high", "medium"})
            plan(
                "5. + medium accepted, allow_deployments=together",
                attrs.evolve(config, allow_deployments=("together",)),
            )


if __name__ == "__main__":
    main()
