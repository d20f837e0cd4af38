"""`eeesync benchmarks --discover`: the Hub's official benchmarks against the registry.

The Hub is the authority on which datasets are official Community Evals benchmarks
(`HfApi.list_datasets(benchmark="official")`, i.e. `GET /api/datasets?filter=benchmark:official`)
and on their task ids (each dataset's `eval.yaml`). This module compares that list with the
registry in effect: which official benchmark a registry entry covers (by `dataset_id` or one of
its `dataset_aliases`), which registry entries are no longer official, and, given a mapping of
some collections, how many results each benchmark could map.

Pure apart from `official_benchmarks`, which reads the listing through the `Hub` wrapper; the
eval.yaml reads are passed in (`read_tasks`), so tests and the CLI choose how they are made.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

import attrs

from eeesync.registry import Registry

if TYPE_CHECKING:
    from eeesync.hub.client import Hub
    from eeesync.mapping import MappingResult


@attrs.frozen
class BenchmarkCoverage:
    """What a mapping of the given collections gives for one registry entry."""

    mapped: int  # desired entries (incl. each member of a source-conflict group)
    skipped: int  # results recognised but not publishable (see the plan's skip reasons)


@attrs.frozen
class OfficialBenchmark:
    """One official benchmark dataset on the Hub."""

    dataset_id: str
    task_ids: tuple[str, ...] = ()  # tasks[].id of its eval.yaml
    error: str = ""  # for people: eval.yaml could not be read or understood
    covered_by: tuple[str, ...] = ()  # registry keys whose dataset_id / alias is this dataset
    coverage: BenchmarkCoverage | None = None  # None: no collections were given


@attrs.frozen
class Discovery:
    """The official list next to the registry."""

    official: tuple[OfficialBenchmark, ...]
    not_official: tuple[tuple[str, str], ...]  # (registry key, dataset id) the Hub does not list
    collections: tuple[str, ...] = ()
    records_seen: int = 0
    unmatched_results: int = 0

    @property
    def uncovered(self) -> tuple[OfficialBenchmark, ...]:
        return tuple(b for b in self.official if not b.covered_by)


def official_benchmarks(hub: Hub) -> tuple[str, ...]:
    """Dataset ids the Hub lists as official benchmarks, sorted (case-insensitively)."""
    listing = hub.list_datasets(benchmark="official")
    ids = {str(info.id) for info in listing if getattr(info, "id", None)}
    return tuple(sorted(ids, key=lambda i: (i.lower(), i)))


def coverage_by_benchmark(mapped: MappingResult) -> dict[str, BenchmarkCoverage]:
    """Per registry key: entries a mapping produced and results it skipped."""
    entries = Counter(d.benchmark for d in mapped.desired)
    entries.update(d.benchmark for group in mapped.conflicts for d in group)
    skipped: Counter[str] = Counter()
    for item in mapped.skipped:
        for key in item.benchmark.split(", ") if item.benchmark else ():
            skipped[key] += 1
    return {
        key: BenchmarkCoverage(mapped=entries[key], skipped=skipped[key])
        for key in {*entries, *skipped}
    }


def discover(
    registry: Registry,
    official: Iterable[str],
    read_tasks: Callable[[str], tuple[str, ...] | str],
    *,
    mapped: MappingResult | None = None,
    collections: Sequence[str] = (),
) -> Discovery:
    """Compare the official list with the registry. `read_tasks(dataset_id)` returns the task
    ids of the dataset's eval.yaml, or an error message for people."""
    owners: dict[str, list[str]] = {}
    for benchmark in registry.benchmarks:
        for dataset in (benchmark.dataset_id, *benchmark.dataset_aliases):
            owners.setdefault(dataset.lower(), []).append(benchmark.key)
    by_key = coverage_by_benchmark(mapped) if mapped is not None else None
    listed = []
    official_ids = tuple(official)
    for dataset_id in official_ids:
        found = read_tasks(dataset_id)
        keys = tuple(dict.fromkeys(owners.get(dataset_id.lower(), ())))
        coverage = None
        if by_key is not None:
            parts = [by_key.get(k, BenchmarkCoverage(0, 0)) for k in keys]
            coverage = BenchmarkCoverage(
                mapped=sum(p.mapped for p in parts), skipped=sum(p.skipped for p in parts)
            )
        listed.append(
            OfficialBenchmark(
                dataset_id=dataset_id,
                task_ids=() if isinstance(found, str) else found,
                error=found if isinstance(found, str) else "",
                covered_by=keys,
                coverage=coverage,
            )
        )
    on_hub = {d.lower() for d in official_ids}
    not_official = tuple(
        (b.key, b.dataset_id)
        for b in registry.benchmarks
        if not any(d.lower() in on_hub for d in (b.dataset_id, *b.dataset_aliases))
    )
    return Discovery(
        official=tuple(listed),
        not_official=not_official,
        collections=tuple(collections),
        records_seen=mapped.records_seen if mapped is not None else 0,
        unmatched_results=sum(g.results for g in mapped.unmatched) if mapped is not None else 0,
    )
