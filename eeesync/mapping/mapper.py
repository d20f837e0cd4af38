"""The mapping run: walk the records, ask the rulebook, accumulate entries and skips.

One record yields at most one entry per (benchmark, variant); every record or result that
matches a benchmark but cannot be published becomes a `SkippedItem` (its reason from
`rules.MAPPING_REASONS`). Records with no result for a registered benchmark are only counted
(`unmatched_records`): listing the ~200,000 of them in every plan would bury the skips that
matter. Duplicates across records for one (repo, dataset, task, notes) are resolved last
(docs/mapping-rules.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any, Literal

import attrs

from eeesync.aliases import NO_ALIASES, AliasTable
from eeesync.config import DEFAULT_API_ONLY_PROVIDERS
from eeesync.datastore.bulk import gc_paused
from eeesync.datastore.records import Record
from eeesync.mapping.rulebook import Rulebook
from eeesync.mapping.rules import NotPublishable, in_shard
from eeesync.plan.model import DesiredEntry, SkippedItem, UnmatchedGroup
from eeesync.registry import Benchmark, Registry, TaskCheck

if TYPE_CHECKING:
    from eeesync.datastore.locator import Locator

SAME_VALUE = 1e-9


@attrs.frozen
class MappingOptions:
    """How to map: the config's settings and a run's filters (`Stages.mapping_options`)."""

    duplicates: Literal["conflict", "latest"] = "conflict"
    api_only_providers: tuple[str, ...] = DEFAULT_API_ONLY_PROVIDERS
    web_base: str = "https://huggingface.co"
    benchmark_filter: tuple[str, ...] = ()  # registry keys; () = all
    model_filter: str = ""  # fnmatch glob on the model id, case-insensitive; "" = all
    #: Reviewed model aliases (model-aliases.toml): EEE id → the Hub repo to publish on.
    aliases: AliasTable = NO_ALIASES
    shard: tuple[int, int] = (1, 1)  # (K, N): only model ids in shard K of N


@attrs.frozen
class MappingResult:
    """The desired state. A (repo, dataset, task, notes) key is in `desired` or in one
    `conflicts` group, never both."""

    desired: tuple[DesiredEntry, ...]
    conflicts: tuple[tuple[DesiredEntry, ...], ...]
    skipped: tuple[SkippedItem, ...]
    records_seen: int = 0
    unmatched_records: int = 0  # no result for any (selected) benchmark: counted, not skipped
    #: results no benchmark of the registry recognises, per (collection, evaluation name)
    unmatched: tuple[UnmatchedGroup, ...] = ()
    filtered_out: int = 0  # excluded by the model filter
    #: records whose model id the model filter matched, and the ids it passed over (so a
    #: filter that matched nothing can name the nearest ids)
    filter_matched: int = 0
    passed_over_ids: frozenset[str] = frozenset()
    duplicates_collapsed: int = 0  # same-value entries merged into one


@attrs.frozen
class MappedBatch:
    """What a `Mapper` accumulated over some records (`Mapper.take` / `Mapper.absorb`)."""

    candidates: list[DesiredEntry]
    skipped: list[SkippedItem]
    seen: int
    unmatched: int
    filtered: int
    left_behind: dict[str, dict[str, int]]
    filter_matched: int
    passed_over_ids: set[str]


#: One recognised result of a record: (benchmark, position in evaluation_results, raw item).
_Match = tuple[Benchmark, int, dict[str, Any]]


@attrs.define
class Mapper:
    """One mapping run: `map_record` asks the run's `Rulebook` about each record and
    accumulates the answers; `finish` turns them into the `MappingResult`. A run split over
    processes (`eeesync.parallel_map`) maps in each worker, moves what it accumulated with
    `take`, and `absorb`s the batches in row order in the parent.
    """

    registry: Registry
    locator: Locator
    options: MappingOptions
    tasks: TaskCheck | None
    candidates: list[DesiredEntry] = attrs.field(factory=list)
    skipped: list[SkippedItem] = attrs.field(factory=list)
    seen: int = 0
    unmatched: int = 0
    filtered: int = 0
    filter_matched: int = 0
    passed_over_ids: set[str] = attrs.field(factory=set)
    #: Told each repo id an entry is built for, as it is built (the plan starts its audit).
    on_repo: Callable[[str], None] | None = None
    #: collection → evaluation name → results no benchmark recognises
    left_behind: dict[str, dict[str, int]] = attrs.field(factory=dict)
    rules: Rulebook = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.rules = Rulebook(
            self.registry,
            aliases=self.options.aliases,
            api_only_providers=self.options.api_only_providers,
            tasks=self.tasks,
            link=self.locator.blob_linker(web_base=self.options.web_base),
        )

    def map_all(self, records: Iterable[Record]) -> None:
        """`map_record` each record; `records` may be a whole datastore scan, so the cyclic
        collector is paused meanwhile (see eeesync.datastore.bulk)."""
        with gc_paused():
            for record in records:
                self.map_record(record)

    def take(self) -> MappedBatch:
        """What was accumulated since the last `take` (the rulebook's memos are kept)."""
        batch = MappedBatch(
            self.candidates,
            self.skipped,
            self.seen,
            self.unmatched,
            self.filtered,
            self.left_behind,
            self.filter_matched,
            self.passed_over_ids,
        )
        self.candidates, self.skipped, self.left_behind = [], [], {}
        self.seen = self.unmatched = self.filtered = self.filter_matched = 0
        self.passed_over_ids = set()
        return batch

    def absorb(self, batch: MappedBatch) -> None:
        """Add a batch mapped elsewhere, as if its records had been mapped here, in order."""
        if self.on_repo is not None:
            for entry in batch.candidates:
                self.on_repo(entry.repo_id)
        self.candidates += batch.candidates
        self.skipped += batch.skipped
        self.seen += batch.seen
        self.unmatched += batch.unmatched
        self.filtered += batch.filtered
        self.filter_matched += batch.filter_matched
        self.passed_over_ids |= batch.passed_over_ids
        for collection, names in batch.left_behind.items():
            counts = self.left_behind.setdefault(collection, {})
            for name, count in names.items():
                counts[name] = counts.get(name, 0) + count

    @gc_paused()  # a whole datastore's entries are alive: each collection would walk them all
    def finish(self) -> MappingResult:
        """Resolve duplicates and order everything into the `MappingResult`."""
        desired, conflicts, collapsed = _resolve_duplicates(
            self.candidates, self.options.duplicates
        )
        skipped = sorted(
            self.skipped, key=lambda s: (s.collection, s.line, s.object_path, s.benchmark, s.reason)
        )
        return MappingResult(
            desired=tuple(desired),
            conflicts=tuple(conflicts),
            skipped=tuple(skipped),
            records_seen=self.seen,
            unmatched_records=self.unmatched,
            unmatched=unmatched_groups(self.left_behind),
            filtered_out=self.filtered,
            filter_matched=self.filter_matched,
            passed_over_ids=frozenset(self.passed_over_ids),
            duplicates_collapsed=collapsed,
        )

    def skip(
        self, record: Record, reason: str, message: str, benchmark: str = "", model_id: str = ""
    ) -> None:
        row = record.row
        self.skipped.append(
            SkippedItem(
                reason=reason,
                message=f"{row.location}: {message}",
                collection=row.collection,
                line=row.line,
                object_path=row.object_path,
                model_id=model_id or record.model.id,
                benchmark=benchmark,
            )
        )

    def map_record(self, record: Record) -> None:
        self.seen += 1
        find = self.registry.find_benchmarks
        wanted = self.options.benchmark_filter
        matches: dict[str, list[_Match]] | None = None
        unmatched: dict[str, int] | None = None
        for index, raw in enumerate(record.raw_results):
            recognised = find(raw)
            if not recognised:
                if unmatched is None:
                    unmatched = self.left_behind.setdefault(record.row.collection, {})
                # keyed by the raw name (cheap: most results of a scan land here); names are
                # cleaned once per distinct spelling in `unmatched_groups`
                name = raw.get("evaluation_name")
                if name.__class__ is not str or not name:
                    name = _display_name(raw)
                unmatched[name] = unmatched.get(name, 0) + 1
                continue
            for benchmark in recognised:
                if not wanted or benchmark.key in wanted:
                    if matches is None:
                        matches = {}
                    matches.setdefault(benchmark.key, []).append((benchmark, index, raw))
        if matches is None:
            self.unmatched += 1
            return
        verdict, model_id = self.rules.record_model(record)
        pattern = self.options.model_filter
        if pattern:
            if not fnmatchcase(model_id.lower(), pattern.lower()):
                self.filtered += 1
                self.passed_over_ids.add(model_id)
                return
            self.filter_matched += 1
        if self.options.shard[1] > 1:
            # By the repo it publishes to (an alias target), so a repo is in one shard only.
            repo = verdict if isinstance(verdict, str) else model_id
            if not in_shard(repo, *self.options.shard):
                self.filtered += 1
                return
        if isinstance(verdict, NotPublishable):
            shown = "" if verdict.reason == "invalid_model_id" else model_id
            self.skip(record, verdict.reason, verdict.message, ", ".join(matches), shown)
            return
        recorded_as = model_id if model_id != verdict else ""  # an alias sent it elsewhere
        for group in matches.values():
            self.map_benchmark(record, verdict, recorded_as, group[0][0], group)

    def map_benchmark(
        self,
        record: Record,
        repo_id: str,
        recorded_as: str,
        benchmark: Benchmark,
        found: list[_Match],
    ) -> None:
        rules = self.rules
        groups: dict[str | None, list[tuple[int, dict[str, Any]]]] = {}
        for _, index, raw in found:
            if benchmark.variants:
                variant = rules.variant(benchmark, record, raw)
                if isinstance(variant, NotPublishable):
                    self.skip(record, variant.reason, variant.message, benchmark.key, repo_id)
                    continue
                groups.setdefault(variant.name, []).append((index, raw))
            else:
                groups.setdefault(None, []).append((index, raw))
        for variant_name, results in groups.items():
            target = rules.targets[(benchmark.key, variant_name)]
            try:
                index, raw = rules.choose(target, results)
                entry = rules.entry(record, repo_id, recorded_as, target, index, raw)
            except NotPublishable as skip:
                self.skip(record, skip.reason, skip.message, benchmark.key, repo_id)
                continue
            self.candidates.append(entry)
            if self.on_repo is not None:
                self.on_repo(repo_id)


def _display_name(result: Mapping[str, Any]) -> str:
    """How coverage names an unmatched result: its evaluation name, else its dataset name."""
    name = result.get("evaluation_name")
    if name.__class__ is not str or not name.strip():
        source = result.get("source_data")
        name = source.get("dataset_name") if source.__class__ is dict else None
    return name if name.__class__ is str and name.strip() else ""


def _clean_name(name: str) -> str:
    return " ".join(name.split())[:200] or "(unnamed)"


def unmatched_groups(left_behind: Mapping[str, Mapping[str, int]]) -> tuple[UnmatchedGroup, ...]:
    """Counted groups, most results first (then collection, name): the plan's coverage."""
    merged: dict[tuple[str, str], int] = {}
    for collection, names in left_behind.items():
        for raw_name, count in names.items():
            key = (collection, _clean_name(raw_name))
            merged[key] = merged.get(key, 0) + count
    groups = [UnmatchedGroup(c, name, count) for (c, name), count in merged.items()]
    return tuple(sorted(groups, key=lambda g: (-g.results, g.collection, g.evaluation_name)))


def _key(entry: DesiredEntry) -> tuple[str, str, str, str]:
    return (entry.repo_id.lower(), *entry.entry.key())


def _order(entry: DesiredEntry) -> tuple[str, str, str, str, str, str, int]:
    where = entry.provenance
    return (
        entry.repo_id.lower(),
        entry.file_path,
        *entry.entry.key(),
        where.collection if where else "",
        where.line if where else 0,
    )


def _newest_first(group: list[DesiredEntry]) -> None:
    """Sort in place: newest timestamp first, then the earliest (collection, line)."""
    group.sort(
        key=lambda e: (e.provenance.collection, e.provenance.line) if e.provenance else ("", 0)
    )
    group.sort(key=lambda e: e.provenance.timestamp if e.provenance else "", reverse=True)


def _distinct_values(entries: Sequence[DesiredEntry]) -> list[float]:
    values: list[float] = []
    for value in sorted(e.entry.value for e in entries):
        if not values or value - values[-1] > SAME_VALUE:
            values.append(value)
    return values


def _resolve_duplicates(
    candidates: Iterable[DesiredEntry], policy: str
) -> tuple[list[DesiredEntry], list[tuple[DesiredEntry, ...]], int]:
    groups: dict[tuple[str, str, str, str], list[DesiredEntry]] = {}
    for entry in candidates:
        groups.setdefault(_key(entry), []).append(entry)
    desired: list[DesiredEntry] = []
    conflicts: list[tuple[DesiredEntry, ...]] = []
    collapsed = 0
    for group in groups.values():
        if len(group) == 1:  # most keys: nothing to order or compare
            desired.append(group[0])
            continue
        _newest_first(group)
        if len(_distinct_values(group)) == 1:
            desired.append(group[0])
            collapsed += len(group) - 1
            continue
        if policy == "latest":
            newest = group[0].provenance.timestamp if group[0].provenance else ""
            tied = [e for e in group if (e.provenance.timestamp if e.provenance else "") == newest]
            if newest and len(_distinct_values(tied)) == 1:
                desired.append(tied[0])
                continue
        conflicts.append(tuple(sorted(group, key=lambda e: (e.entry.value, _order(e)))))
    desired.sort(key=_order)
    conflicts.sort(key=lambda g: _order(g[0])[:5])
    return desired, conflicts, collapsed


def map_records(
    records: Iterable[Record],
    registry: Registry,
    locator: Locator,
    *,
    options: MappingOptions,
    tasks: TaskCheck | None = None,
    on_repo: Callable[[str], None] | None = None,
) -> MappingResult:
    """Map records (any iterable: streaming keeps memory flat) to the desired entries.

    `tasks` None skips the eval.yaml check (offline use, `sync.check_tasks = false`): the
    registry's task ids are written as they are. `on_repo(repo_id)` is called for every entry
    built, as soon as it is built (repeats included), so the caller can start work on that repo.
    """
    mapper = Mapper(registry, locator, options, tasks, on_repo=on_repo)
    mapper.map_all(records)
    return mapper.finish()
