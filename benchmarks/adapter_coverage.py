"""Per official benchmark: how many results of a datastore map, are skipped (by reason), end in
a source conflict, or stay unmatched. Not a test; prints a markdown table.

Run it on a datastore made by `benchmarks/build_adapter_datastore.py` (its `truth.json` says
which official benchmarks each record really holds). It maps with the registry of the eeesync
it imports (the current directory's: run it from another worktree to measure other code), with
no Hub (task ids as the registry writes them), exactly as `plan` maps.

The unit is one (record, benchmark dataset) pair: `mapped` when the record gave an entry for that
dataset, `source_conflict` when its entry is in a conflict group, `skipped: <reason>` when the
record was skipped for a benchmark of that dataset, else `unmatched` (no benchmark recognised it).

Usage (from the eeesync checkout to measure):
    python /path/to/benchmarks/adapter_coverage.py DIR
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path.cwd()))

from eeesync.datastore import read_datastore, resolve_locator
from eeesync.mapping import MappingOptions, map_records
from eeesync.registry import load_registry


def outcomes(root: Path) -> dict[str, Counter[str]]:
    truth = json.loads((root / "truth.json").read_text())
    locator = resolve_locator(
        str(root), hub=None, base_dir=root, link_repo="evaleval/EEE_datastore"
    )
    read = read_datastore(locator, None, hub=None, cache=None)
    registry = load_registry()
    dataset_of = {b.key: b.dataset_id for b in registry.benchmarks}
    result = map_records(read.records, registry, locator, options=MappingOptions())
    found: dict[tuple[str, str], str] = {}
    for entry in result.desired:
        assert entry.provenance is not None
        found[(entry.provenance.object_path, entry.entry.dataset_id)] = "mapped"
    for group in result.conflicts:
        for entry in group:
            assert entry.provenance is not None
            found[(entry.provenance.object_path, entry.entry.dataset_id)] = "source_conflict"
    for item in result.skipped:
        for key in item.benchmark.split(", ") if item.benchmark else ():
            found.setdefault(
                (item.object_path, dataset_of.get(key, key)), f"skipped: {item.reason}"
            )
    table: dict[str, Counter[str]] = defaultdict(Counter)
    for object_path, facts in truth.items():
        for dataset in facts["datasets"]:
            table[dataset][found.get((object_path, dataset), "unmatched")] += 1
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dir", type=Path)
    args = parser.parse_args()
    table = outcomes(args.dir.resolve())
    print("| benchmark | pairs | mapped | source_conflict | skipped (reason) | unmatched |")
    print("|---|---:|---:|---:|---|---:|")
    for dataset in sorted(table, key=str.lower):
        counts = table[dataset]
        skipped = ", ".join(
            f"{reason.removeprefix('skipped: ')} {n}"
            for reason, n in sorted(counts.items())
            if reason.startswith("skipped: ")
        )
        print(
            f"| {dataset} | {sum(counts.values())} | {counts['mapped']} | "
            f"{counts['source_conflict']} | {skipped or '–'} | {counts['unmatched']} |"
        )


if __name__ == "__main__":
    main()
