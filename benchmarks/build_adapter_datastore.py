"""Build a flat datastore from records in the shapes of EEE's current adapters (schema 0.3).

Not a test. The templates are tests/fixtures/adapter-shapes/<adapter>/*.json (one folder per
adapter of evaleval/every_eval_ever, see its README). Each copy clones every template with the
model id suffixed (`-c<n>`, copy 0 keeps the ids) and the scores nudged, so records that are
two setups of one model (two agents, TIGER-Lab and Self-Reported, chat and reasoner) stay
pairs within a copy. Collections are named as the adapters name them.

It also writes `truth.json`: for each object, the official benchmark datasets its results
really are (decided by hand per template below, not by eeesync), which
`benchmarks/adapter_coverage.py` uses to count mapped / skipped / unmatched per benchmark.

Usage:  python benchmarks/build_adapter_datastore.py DIR [--copies 20]
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import random
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHAPES = ROOT / "tests" / "fixtures" / "adapter-shapes"

MMLU_PRO = "TIGER-Lab/MMLU-Pro"
GPQA = "Idavidrein/gpqa"
HLE = "cais/hle"
GSM8K = "openai/gsm8k"
SWE = "SWE-bench/SWE-bench_Verified"
TB2 = "harborframework/terminal-bench-2.0"
LEXAM = "LEXam-Benchmark/LEXam"

#: template (adapter folder / file glob) → (collection, official benchmark datasets it holds)
TEMPLATES: dict[str, tuple[str, tuple[str, ...]]] = {
    "hfopenllm_v2/*.json": ("hfopenllm_v2", (MMLU_PRO, GPQA)),
    "mmlu_pro/*.json": ("mmlu-pro", (MMLU_PRO,)),
    "hle/*.json": ("hle", (HLE,)),
    "swe_bench_verified/*.json": ("swe-bench-verified", (SWE,)),
    "terminal_bench_2/*.json": ("terminal-bench-2.0", (TB2,)),
    "helm/helm_capabilities-*.json": ("helm_capabilities", (MMLU_PRO, GPQA)),
    "helm/helm_lite-*.json": ("helm_lite", (GSM8K,)),
    "llm_stats/*.json": ("llm-stats", (GPQA, MMLU_PRO, HLE)),
    "artificial_analysis/*.json": ("artificial-analysis-llms", (MMLU_PRO, GPQA, HLE)),
    "vals_ai/*.json": ("vals-ai", (MMLU_PRO,)),
    "lexam/*.json": ("lexam", (LEXAM,)),
}


def _nudge(record: dict[str, Any], rng: random.Random) -> None:
    """Move every in-range score a little, keeping it on its own scale."""
    for result in record["evaluation_results"]:
        details = result.get("score_details") or {}
        score = details.get("score")
        metric = result.get("metric_config") or {}
        top = metric.get("max_score")
        if isinstance(score, int | float) and isinstance(top, int | float) and top > 0:
            details["score"] = round(
                min(float(top), max(0.0, score + rng.uniform(-0.02, 0.02) * top)), 4
            )


def build(root: Path, copies: int, seed: int = 0) -> dict[str, Any]:
    """Write `root/flat/...` and `root/truth.json`; returns the truth mapping."""
    rng = random.Random(seed)
    rows: dict[str, list[bytes]] = {}
    truth: dict[str, dict[str, Any]] = {}
    for pattern, (collection, datasets) in TEMPLATES.items():
        for path in sorted(SHAPES.glob(pattern)):
            template = json.loads(path.read_text(encoding="utf-8"))
            for n in range(copies):
                record = copy.deepcopy(template)
                if n:
                    record["model_info"]["id"] += f"-c{n}"
                    record["evaluation_id"] += f"-c{n}"
                    _nudge(record, rng)
                content = json.dumps(record, sort_keys=True).encode("utf-8")
                uuid = hashlib.sha256(content + collection.encode()).hexdigest()[:32]
                object_path = f"flat/objects/{uuid[:2]}/{uuid[2:4]}/{uuid}.json"
                target = root / object_path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
                row = {
                    "record_type": "aggregate",
                    "object_path": object_path,
                    "object_uuid": uuid,
                    "sha256": hashlib.sha256(content).hexdigest(),
                    "size_bytes": len(content),
                    "eval_schema_version": record["schema_version"],
                    "instance_level_available": False,
                }
                rows.setdefault(collection, []).append(json.dumps(row, sort_keys=True).encode())
                truth[object_path] = {
                    "collection": collection,
                    "template": str(path.relative_to(SHAPES)),
                    "datasets": list(datasets),
                }
    index = root / "flat" / "indexes" / "by_collection"
    index.mkdir(parents=True, exist_ok=True)
    for collection, lines in rows.items():
        (index / f"{collection}.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    (root / "truth.json").write_text(json.dumps(truth, indent=1, sort_keys=True) + "\n")
    return truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--copies", type=int, default=20)
    args = parser.parse_args()
    truth = build(args.dir, args.copies)
    print(f"{len(truth)} records in {args.dir}")


if __name__ == "__main__":
    main()
