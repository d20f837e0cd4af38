"""The rules of `rules.py` for one mapping run, each behind one `Memo` keyed on the facts it
reads, and the entry they make of a chosen result.

The full datastore has ~229,000 records for ~22,000 models (benchmarks/bench_datastore.py), and
its results repeat a few metric configs, model facts, variant evidence and result names: each
verdict is computed once per distinct key. A memoised verdict is the plain rule's by
construction (the rule receives the key itself); tests/test_mapping_memo.py checks the keys
against the rules on mixed inputs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from eeesync.datastore.records import Record, text_of, timestamp_of
from eeesync.mapping.rules import (
    Found,
    NotPublishable,
    Target,
    choose_result,
    choose_variant,
    dates,
    metric_facts,
    model_facts,
    model_verdict,
    result_role,
    scale_factor,
    scaled,
    source_name,
    task_ids,
    variant_evidence,
)
from eeesync.memo import Memo
from eeesync.plan.model import SOURCE_NAME, DesiredEntry, EvalEntry, Provenance
from eeesync.registry import Benchmark, Registry, TaskCheck, Variant
from eeesync.setups import setup_notes, stated_notes

if TYPE_CHECKING:
    from eeesync.aliases import AliasTable


class Rulebook:
    """One run's memoised rules (they depend on the registry, the aliases, the provider list
    and the task check, fixed for a run). `link`: the pinned datastore link of an object path
    (`Locator.blob_linker`)."""

    def __init__(
        self,
        registry: Registry,
        *,
        aliases: AliasTable,
        api_only_providers: Sequence[str],
        tasks: TaskCheck | None,
        link: Callable[[str], str],
    ) -> None:
        self.benchmarks = {b.key: b for b in registry.benchmarks}
        self.link = link
        self.model: Memo[tuple[Any, ...], str | NotPublishable] = Memo(
            functools.partial(model_verdict, aliases=aliases, providers=api_only_providers)
        )
        self.factor: Memo[tuple[Any, ...], float | NotPublishable] = Memo(scale_factor)
        self.dates: Memo[
            tuple[str | None, str | None, str | None], tuple[str | None, str] | NotPublishable
        ]
        self.dates = Memo(dates)
        self.role = Memo(result_role)
        self.variants: Memo[tuple[str, str, tuple[str, ...], str], Variant | NotPublishable]
        self.variants = Memo(self._variant)
        self.targets: Memo[tuple[str, str | None], Target] = Memo(self._target)
        self.tasks_of: Memo[Target, tuple[str, tuple[str, ...]] | NotPublishable]
        self.tasks_of = Memo(functools.partial(task_ids, tasks=tasks))

    def record_model(self, record: Record) -> tuple[str | NotPublishable, str]:
        """(`model_verdict` of the record's model, its id as recorded)."""
        facts = model_facts(record.raw["model_info"])  # a dict (`record_problem`)
        return self.model.judge(facts), text_of(facts[0])

    def variant(
        self, benchmark: Benchmark, record: Record, raw: Mapping[str, Any]
    ) -> Variant | NotPublishable:
        hf_repo, hints = variant_evidence(record.row.subset, raw)
        # Only a benchmark with per-source rules reads the source name.
        source = source_name(record.raw) if benchmark.source_variants else ""
        return self.variants[(benchmark.key, hf_repo, hints, source)]

    def _variant(self, key: tuple[str, str, tuple[str, ...], str]) -> Variant | NotPublishable:
        benchmark_key, hf_repo, hints, source = key
        return choose_variant(self.benchmarks[benchmark_key], hf_repo, hints, source)

    def _target(self, key: tuple[str, str | None]) -> Target:
        benchmark = self.benchmarks[key[0]]
        return Target.of(benchmark, benchmark.variant(key[1]) if key[1] else None)

    def value(self, raw: Mapping[str, Any], scale: str, index: int) -> tuple[float, float]:
        """`scaled` with the memoised `scale_factor` of the result's metric. Raises
        `NotPublishable`."""
        return scaled(raw, self.factor.judge(metric_facts(raw, scale)), index)

    def dated(self, raw: Mapping[str, Any], record: Record) -> tuple[str | None, str]:
        """The memoised `dates` of a result and its record. Raises `NotPublishable`."""
        stamps = timestamp_of(raw.get("evaluation_timestamp")), record.timestamp
        when = self.dates[(*stamps, record.retrieved_timestamp)]
        if isinstance(when, NotPublishable):
            raise when
        return when

    def choose(self, target: Target, results: Sequence[Found]) -> Found:
        return choose_result(target, results, self.role.judge)

    def entry(
        self,
        record: Record,
        repo_id: str,
        recorded_as: str,
        target: Target,
        index: int,
        raw: dict[str, Any],
    ) -> DesiredEntry:
        """The entry a chosen result makes. Raises `NotPublishable`."""
        benchmark = target.benchmark
        value, raw_value = self.value(raw, benchmark.scale, index)
        date, instant = self.dated(raw, record)
        task = self.tasks_of[target]
        if isinstance(task, NotPublishable):
            raise task
        task_id, aliases = task
        # a score imported from the Hub states its notes exactly ("" = the default setup)
        stated = stated_notes(raw)
        if stated is not None:
            notes = stated or None
        elif benchmark.setup:
            source = source_name(record.raw).lower() if benchmark.source_setups else ""
            notes = setup_notes(
                record.raw,
                raw,
                benchmark.setup,
                benchmark.default_setup,
                prefix=target.notes,
                assumed_prompt=dict(benchmark.source_setups).get(source, "") if source else "",
            )
        else:
            notes = target.notes
        row = record.row
        url = self.link(row.object_path)
        metric = raw.get("metric_config")
        result_id = text_of(raw.get("evaluation_result_id"))
        metric_id = text_of(metric.get("metric_id")) if metric.__class__ is dict else ""
        return DesiredEntry(
            repo_id=repo_id,
            benchmark=benchmark.key,
            file_path=target.file_path,
            entry=EvalEntry(
                dataset_id=benchmark.dataset_id,
                task_id=task_id,
                value=value,
                date=date,
                source_url=url,
                source_name=SOURCE_NAME,
                notes=notes,
            ),
            task_aliases=aliases,
            dataset_aliases=benchmark.dataset_aliases,
            provenance=Provenance(
                collection=row.collection,
                line=row.line,
                object_path=row.object_path,
                sha256=row.sha256,
                evaluation_id=record.evaluation_id,
                result_id=result_id or str(index),
                timestamp=instant,
                source_url=url,
            ),
            raw_value=raw_value,
            metric=metric_id or result_id or text_of(raw.get("evaluation_name")),
            recorded_as=recorded_as,
        )
