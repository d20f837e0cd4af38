"""Every EEE result for one model, grouped by benchmark, next to what the Hub shows today.

The compute half of `eeesync model MODEL_ID` (the view half is `views/model_view.py`). It reads
the chosen collections, keeps the records of that model (any letter case), and runs the same
stages `plan` runs — mapping (`mapping.py`), the audit of that one repo (`hub/audit.py`) and the
diff (`plan/diff.py`) — so the Hub status shown for a result is exactly what `plan` would do
with it: the same alias file (`aliases.load_configured_aliases`: a record spelt
`meta/llama-3.1-8b-instruct` shows under the repo its alias names) and the same backlink check
(`datastore/links.verify_links`: an entry whose link would not resolve is not published). Nothing
here renders text or writes files.

Two levels:

* `assemble_model_report(...)` is pure: records + mapping + audited state → `ModelReport`. Tests
  build its inputs by hand.
* `gather_model_report(...)` does the I/O: datastore, registry/task check, Hub audit.

Why a per-record mapping as well as the whole one: the whole mapping collapses duplicate records
into one desired entry (and puts disagreeing ones in a conflict group), which is right for a
plan but would hide from the model view which result of which record is the published one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING, Any

import attrs

from eeesync.aliases import AliasTable, load_configured_aliases
from eeesync.cache import AuditCache, ObjectCache
from eeesync.datastore import open_datastore
from eeesync.datastore.links import LinkCheck, verify_links
from eeesync.datastore.locator import Locator
from eeesync.datastore.records import Record, Result
from eeesync.errors import HubUnavailableError, UserError
from eeesync.hub.audit import audit_repo, learn_heads
from eeesync.hub.client import is_rehearsal_endpoint
from eeesync.hub.eval_yaml import task_reader
from eeesync.hub.state import EvalFile, HubEntry, RepoState
from eeesync.mapping import (
    MappingOptions,
    MappingResult,
    NotPublishable,
    check_model_id,
    evaluation_date,
    finite_number,
    map_records,
    scale_score,
)
from eeesync.pipeline import configured_locator
from eeesync.plan.diff import diff_repo, matches
from eeesync.plan.model import (
    DesiredEntry,
    Existing,
    OpenPullRequest,
    PlannedEntry,
    SkippedItem,
    Status,
)
from eeesync.progress import NO_PROGRESS, Progress
from eeesync.registry import (
    Benchmark,
    Registry,
    TaskCheck,
    check_tasks,
    load_registry,
    normalise_name,
)

if TYPE_CHECKING:
    from eeesync.config import Config
    from eeesync.hub.client import Hub

#: Used to put a score on the 0–100 scale when no registry benchmark claims the result:
#: the record's `metric_unit` / `max_score` alone decide (no benchmark-specific assumption).
_NO_BENCHMARK = Benchmark(key="", name="", dataset_id="", task_id="")


# --- The view's data -----------------------------------------------------------------------------


@attrs.frozen
class HubStatus:
    """What the Hub shows today for one published result: `plan`'s status for its entry."""

    status: Status
    reason: str  # for people (from the diff)
    existing: tuple[Existing, ...] = ()  # the matching entries on main / in open PRs
    conflicting_values: tuple[float, ...] = ()  # source_conflict: what the records say
    file_path: str = ""  # the target file of the entry


@attrs.frozen
class ResultRow:
    """One `evaluation_results[]` item of one record of the model."""

    metric: str  # what was measured (task id for a published result, else metric/result id)
    evaluation_name: str
    raw_score: float | None  # as recorded (None when not a finite number)
    raw_text: str  # as recorded, for people
    value: float | None  # on the 0–100 scale (None when the scale is unknown)
    source_name: str  # who ran it: source_metadata.source_name
    source_organization: str
    evaluator_relationship: str  # "first_party", "third_party", … as recorded
    harness: str  # eval_library name
    harness_version: str
    generation: tuple[tuple[str, str], ...]  # generation settings as (key, value), sorted
    date: str | None  # YYYY-MM-DD
    collection: str
    line: int
    object_path: str
    datastore_url: str
    recorded_id: str  # the model id as the record spells it
    evaluation_id: str
    result_id: str  # evaluation_result_id, or the result's position
    #: The plan's status for this result's entry; None when the result is not published
    #: (not a registered benchmark, or not the chosen result: see `note`).
    hub: HubStatus | None = None
    note: str = ""  # why a recognised result is not published (for people)


@attrs.frozen
class Spread:
    """How far the results for one metric of one benchmark are apart (0–100 scale)."""

    metric: str
    count: int
    low: float
    high: float

    @property
    def width(self) -> float:
        return round(self.high - self.low, 10)


@attrs.frozen
class BenchmarkGroup:
    """The results for one benchmark, side by side."""

    benchmark: str  # display name: the registry's name, else the record's dataset name
    benchmark_key: str  # registry key ("" when no registry benchmark claims these results)
    dataset_id: str  # the Community Evals dataset id ("" when not a registered benchmark)
    rows: tuple[ResultRow, ...]
    spreads: tuple[Spread, ...]


@attrs.frozen
class HubOnlyEntry:
    """An entry the model page shows today that no datastore result of this model maps to."""

    entry: HubEntry
    location: str  # "main" or "pr"
    path: str  # the `.eval_results` file that holds it
    url: str  # that file at the revision read
    pr_num: int | None = None
    pr_url: str | None = None


@attrs.frozen
class UnreadableFile:
    """An eval file of the repo that could not be read, or only in part: the Hub side above
    may miss what it holds."""

    location: str  # "main" or "pr"
    path: str  # "" when a PR's files could not be listed at all
    reason: str
    url: str  # the file (main), or the PR
    pr_num: int | None = None


@attrs.frozen
class ModelReport:
    """Everything `eeesync model` shows."""

    query: str  # the id as typed
    model_id: str  # canonical Hub id when the repo exists, else the datastore's spelling
    recorded_ids: tuple[str, ...]  # how the datastore records spell it
    hub_exists: bool | None  # None: the Hub could not be asked
    hub_error: str  # why the Hub side is incomplete ("" when it is complete)
    hub_url: str  # the model page ("" when there is no repo)
    main_sha: str
    open_prs: tuple[OpenPullRequest, ...]
    datastore: str  # the datastore as configured
    datastore_revision: str
    collections: tuple[str, ...]
    groups: tuple[BenchmarkGroup, ...]
    skipped: tuple[SkippedItem, ...]  # this model's records or results that are not published
    records: int
    #: Entries on main or in open PRs that no result of this model maps to.
    hub_only: tuple[HubOnlyEntry, ...] = ()
    #: The repo's eval files (main and open PRs) that could not be read, with the reason.
    unreadable: tuple[UnreadableFile, ...] = ()
    #: Recorded ids that a reviewed alias (model-aliases.toml) publishes on this model.
    aliased_ids: tuple[str, ...] = ()

    @property
    def results(self) -> int:
        return sum(len(g.rows) for g in self.groups)

    def count(self, status: Status) -> int:
        return sum(
            1 for g in self.groups for r in g.rows if r.hub is not None and r.hub.status is status
        )


#: Checks the backlinks of the entries mapping wants (`verify_links` with the run's locator and
#: Hub bound): the entries that may be published, the rest as skips.
LinkChecker = Callable[[Sequence[DesiredEntry]], LinkCheck]


def _links_hold(desired: Sequence[DesiredEntry]) -> LinkCheck:
    return LinkCheck(tuple(desired), ())


# --- Assembly (pure) -----------------------------------------------------------------------------


def _scaled(result: Result, benchmark: Benchmark | None) -> float | None:
    try:
        return scale_score(result, benchmark or _NO_BENCHMARK)
    except NotPublishable:
        return None


def _date(result: Result, record: Record) -> str | None:
    try:
        return evaluation_date(result.timestamp, record.timestamp)[0]
    except NotPublishable:
        return None


def _flat_settings(config: Any) -> tuple[tuple[str, str], ...]:
    """Generation settings as sorted (key, value) pairs: `generation_args` and
    `additional_details` are flattened (they are where EEE writers put them)."""
    if not isinstance(config, Mapping):
        return ()
    out: dict[str, str] = {}
    for key, value in config.items():
        if key in ("generation_args", "additional_details") and isinstance(value, Mapping):
            for inner, setting in value.items():
                if setting not in (None, "", {}, []):
                    out[str(inner)] = _setting_text(setting)
        elif value not in (None, "", {}, []):
            out[str(key)] = _setting_text(value)
    return tuple(sorted(out.items()))


#: Model settings that explain differing scores (the bfloat16 vs float16 runs of one model).
_MODEL_SETTINGS = ("precision", "quantization", "dtype", "revision")


def _model_settings(record: Record) -> tuple[tuple[str, str], ...]:
    info = record.raw.get("model_info")
    details = info.get("additional_details") if isinstance(info, Mapping) else None
    if not isinstance(details, Mapping):
        return ()
    return tuple(
        (key, _setting_text(details[key]))
        for key in _MODEL_SETTINGS
        if details.get(key) not in (None, "")
    )


def _setting_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return f"{value:g}"
    return str(value)


def _metric_label(result: Result, group_label: str) -> str:
    """What was measured, as specifically as the record says it (short enough for a column)."""
    for candidate in (result.metric_id, result.result_id):
        if candidate:
            return candidate
    if result.evaluation_name and normalise_name(result.evaluation_name) != normalise_name(
        group_label
    ):
        return result.evaluation_name
    metric = result.raw.get("metric_config")
    description = metric.get("evaluation_description") if isinstance(metric, Mapping) else None
    if isinstance(description, str) and 0 < len(description.strip()) <= _SHORT_DESCRIPTION:
        return description.strip()
    return result.metric_name or "score"


#: Longest `evaluation_description` used as a metric label ("Accuracy on GPQA", "EM on GSM8K").
_SHORT_DESCRIPTION = 40


def _unclaimed_label(result: Result) -> str:
    return result.dataset_name or result.hf_repo or result.evaluation_name or "(unnamed)"


def _entry_key(entry: DesiredEntry) -> tuple[str, str, str]:
    return entry.entry.key()


def _task_label(entry: DesiredEntry) -> str:
    notes = entry.entry.notes
    return f"{entry.entry.task_id} ({notes})" if notes else entry.entry.task_id


def _hub_status(planned: PlannedEntry) -> HubStatus:
    return HubStatus(
        status=planned.status,
        reason=planned.reason,
        existing=planned.existing,
        conflicting_values=planned.conflicting_values,
        file_path=planned.desired.file_path,
    )


@attrs.frozen
class _RecordMapping:
    """What mapping this one record alone gives: its chosen results and its skips."""

    chosen: dict[str, DesiredEntry]  # result id (or position) → the entry it yields
    skips: dict[str, list[SkippedItem]]  # benchmark key ("" = whole record) → skips


def _map_one(
    record: Record,
    registry: Registry,
    locator: Locator,
    options: MappingOptions,
    tasks: TaskCheck | None,
) -> _RecordMapping:
    alone = map_records([record], registry, locator, options=options, tasks=tasks)
    chosen = {
        e.provenance.result_id: e
        for e in (*alone.desired, *(e for g in alone.conflicts for e in g))
        if e.provenance is not None
    }
    skips: dict[str, list[SkippedItem]] = defaultdict(list)
    for item in alone.skipped:
        # A record-level skip names every benchmark it had ("mmlu_pro, gpqa"): file it under each.
        for key in [k.strip() for k in item.benchmark.split(",")] or [""]:
            skips[key].append(item)
    return _RecordMapping(chosen, dict(skips))


def assemble_model_report(
    query: str,
    records: Sequence[Record],
    *,
    registry: Registry,
    locator: Locator,
    options: MappingOptions,
    tasks: TaskCheck | None,
    state: RepoState | None,
    tolerance: float,
    web_base: str,
    collections: Sequence[str],
    datastore: str,
    hub_error: str = "",
    check_links: LinkChecker = _links_hold,
) -> ModelReport:
    """Build the view from the model's records and its audited repo state (pure, given a pure
    `check_links`; the default trusts every link).

    `state` None means the Hub could not be asked at all (`hub_error` says why). The records'
    ids are mapped through `options.aliases`, as `plan` maps them.
    """
    whole: MappingResult = map_records(records, registry, locator, options=options, tasks=tasks)
    # As in `plan`: only entries whose backlink resolves to the mapped bytes may be published.
    links = check_links(whole.desired)
    link_skips = _link_skips(whole.desired, links)
    planned: dict[tuple[str, str, str], PlannedEntry] = {}
    if state is not None and (links.desired or whole.conflicts):
        repo_plan = diff_repo(
            links.desired,
            state,
            conflicts=whole.conflicts,
            tolerance=tolerance,
            web_base=web_base,
        )
        planned = {_entry_key(p.desired): p for p in repo_plan.entries}

    grouped: dict[tuple[int, str], list[ResultRow]] = defaultdict(list)
    group_info: dict[tuple[int, str], tuple[str, str, str]] = {}
    order = {b.key: i for i, b in enumerate(registry.benchmarks)}
    for record in records:
        mapped = _map_one(record, registry, locator, options, tasks)
        for result in record.results:
            claimed = registry.find_benchmarks(result.raw)
            benchmark = claimed[0] if claimed else None
            if benchmark is not None:
                gkey = (order.get(benchmark.key, len(order)), benchmark.key)
                group_info[gkey] = (benchmark.name, benchmark.key, benchmark.dataset_id)
                label = benchmark.name
            else:
                label = _unclaimed_label(result)
                gkey = (len(order) + 1, normalise_name(label))
                group_info.setdefault(gkey, (label, "", ""))
            grouped[gkey].append(
                _row(
                    record,
                    result,
                    benchmark,
                    label,
                    mapped,
                    planned,
                    link_skips,
                    locator,
                    web_base,
                )
            )

    groups = []
    for gkey in sorted(grouped):
        name, key, dataset_id = group_info[gkey]
        rows = sorted(
            grouped[gkey],
            key=lambda r: (
                r.metric.lower(),
                -(r.value if r.value is not None else -1.0),
                r.collection,
                r.line,
                r.result_id,
            ),
        )
        groups.append(BenchmarkGroup(name, key, dataset_id, tuple(rows), _spreads(rows)))

    record_skips = sorted(
        {*whole.skipped, *links.skipped},
        key=lambda s: (s.collection, s.line, s.benchmark, s.reason),
    )
    exists = None if state is None or state.error else state.exists
    recorded = tuple(sorted({r.model.id.strip() for r in records}))
    aliased = tuple(r for r in recorded if options.aliases.find(r) is not None)
    canonical = state.repo_id if state is not None and state.exists and not state.error else ""
    own = [r for r in recorded if r not in aliased]
    fallback = _published_on(options.aliases, aliased[0]) if aliased else query
    model_id = canonical or (own[0] if own else fallback)
    return ModelReport(
        query=query,
        model_id=model_id,
        recorded_ids=recorded,
        aliased_ids=aliased,
        hub_exists=exists,
        hub_error=hub_error or (state.error if state is not None else ""),
        hub_url=f"{web_base.rstrip('/')}/{canonical}" if canonical else "",
        main_sha=state.main_sha if state is not None else "",
        open_prs=tuple(
            OpenPullRequest(pr.num, pr.status, pr.head_sha, pr.title, pr.url)
            for pr in (state.prs if state is not None else ())
        ),
        datastore=datastore,
        datastore_revision=locator.revision,
        collections=tuple(collections),
        groups=tuple(groups),
        skipped=tuple(record_skips),
        records=len(records),
        hub_only=(
            hub_only_entries(state, _all_desired(whole), web_base) if state is not None else ()
        ),
        unreadable=unreadable_files(state, web_base) if state is not None else (),
    )


def _all_desired(whole: MappingResult) -> list[DesiredEntry]:
    """Every entry the records map to, including both sides of a source conflict."""
    return [*whole.desired, *(entry for group in whole.conflicts for entry in group)]


def _same_item(a: HubEntry, b: HubEntry) -> bool:
    return (a.dataset_id.lower(), a.task_id, a.notes, a.raw_value) == (
        b.dataset_id.lower(),
        b.task_id,
        b.notes,
        b.raw_value,
    )


def hub_only_entries(
    state: RepoState, desired: Sequence[DesiredEntry], web_base: str
) -> tuple[HubOnlyEntry, ...]:
    """Entries on main and in open PRs that none of `desired` matches (the `plan` matching:
    dataset id, task id or alias, notes). A PR's copy of an entry already on main is listed
    once, under main."""
    if state.error or not state.exists:
        return ()
    found: list[HubOnlyEntry] = []
    base = f"{web_base}/{state.repo_id}/blob/{state.main_sha}"
    for file in state.main_files:
        found += (
            HubOnlyEntry(item, "main", file.path, f"{base}/{file.path}")
            for item in file.entries
            if not any(matches(d, item) for d in desired)
        )
    on_main = [e.entry for e in found]
    for pr in state.prs:
        pr_base = f"{web_base}/{state.repo_id}/blob/{pr.head_sha}"
        for file in pr.files:
            found += (
                HubOnlyEntry(item, "pr", file.path, f"{pr_base}/{file.path}", pr.num, pr.url)
                for item in file.entries
                if not any(matches(d, item) for d in desired)
                and not any(_same_item(item, m) for m in on_main)
            )
    return tuple(found)


def _file_problem(file: EvalFile) -> str:
    """The audit's message without the path it starts with (the view shows the path)."""
    return file.error.removeprefix(f"{file.path}: ") or "cannot be read"


def unreadable_files(state: RepoState, web_base: str) -> tuple[UnreadableFile, ...]:
    """Eval files that could not be downloaded or parsed (in whole or in part), main first."""
    if state.error or not state.exists:
        return ()
    base = f"{web_base}/{state.repo_id}/blob/{state.main_sha}"
    found = [
        UnreadableFile("main", f.path, _file_problem(f), f"{base}/{f.path}")
        for f in state.main_files
        if f.error or f.unreadable
    ]
    for pr in state.prs:
        if pr.error:
            found.append(UnreadableFile("pr", "", pr.error, pr.url, pr.num))
        found += (
            UnreadableFile("pr", f.path, _file_problem(f), pr.url, pr.num)
            for f in pr.files
            if f.error or f.unreadable
        )
    return tuple(found)


def _link_skips(
    desired: Sequence[DesiredEntry], links: LinkCheck
) -> dict[tuple[str, str, str], SkippedItem]:
    """Entry key → why its link failed, for the entries the check dropped."""
    kept = {_entry_key(e) for e in links.desired}
    by_object = {s.object_path: s for s in links.skipped}
    return {
        _entry_key(e): by_object[e.provenance.object_path]
        for e in desired
        if _entry_key(e) not in kept
        and e.provenance is not None
        and e.provenance.object_path in by_object
    }


def _row(
    record: Record,
    result: Result,
    benchmark: Benchmark | None,
    group_label: str,
    mapped: _RecordMapping,
    planned: Mapping[tuple[str, str, str], PlannedEntry],
    link_skips: Mapping[tuple[str, str, str], SkippedItem],
    locator: Locator,
    web_base: str,
) -> ResultRow:
    result_id = result.result_id or str(result.index)
    entry = mapped.chosen.get(result_id)
    hub: HubStatus | None = None
    note = ""
    if entry is not None:
        metric = _task_label(entry)
        found = planned.get(_entry_key(entry))
        link = link_skips.get(_entry_key(entry))
        if found is not None:
            hub = _hub_status(found)
        elif link is not None:
            note = f"not published: {link.reason}"
        else:
            note = "the Hub could not be asked"
    else:
        metric = _metric_label(result, group_label)
        if benchmark is not None:
            skips = [*mapped.skips.get(benchmark.key, ()), *mapped.skips.get("", ())]
            if skips:
                note = f"not published: {skips[0].reason}"
            elif any(e.benchmark == benchmark.key for e in mapped.chosen.values()):
                note = "not published: not the record's headline result"
            else:
                note = "not published"
    raw_score = finite_number(result.score)
    source = record.source
    return ResultRow(
        metric=metric,
        evaluation_name=result.evaluation_name,
        raw_score=raw_score,
        raw_text=repr(result.score) if raw_score is None else f"{raw_score:g}",
        value=_scaled(result, benchmark),
        source_name=source.name,
        source_organization=source.organization,
        evaluator_relationship=source.evaluator_relationship,
        harness=source.eval_library,
        harness_version=source.eval_library_version,
        generation=_model_settings(record)
        + (
            _flat_settings(result.raw.get("generation_config"))
            or _flat_settings(source.generation_config)
        ),
        date=_date(result, record),
        collection=record.row.collection,
        line=record.row.line,
        object_path=record.row.object_path,
        datastore_url=locator.blob_url(record.row.object_path, web_base=web_base),
        recorded_id=record.model.id,
        evaluation_id=record.evaluation_id,
        result_id=result_id,
        hub=hub,
        note=note,
    )


def _spreads(rows: Iterable[ResultRow]) -> tuple[Spread, ...]:
    values: dict[str, list[float]] = defaultdict(list)
    labels: dict[str, str] = {}
    for row in rows:
        if row.value is None:
            continue
        key = row.metric.lower()
        labels.setdefault(key, row.metric)
        values[key].append(row.value)
    return tuple(Spread(labels[k], len(v), min(v), max(v)) for k, v in sorted(values.items()))


# --- Gathering (I/O) -----------------------------------------------------------------------------


def check_model_query(query: str) -> str:
    """The id as typed, stripped; a text that cannot be a Hub model id is a `UserError`."""
    try:
        return check_model_id(query)  # the same rule the mapping applies to recorded ids
    except NotPublishable as exc:
        raise UserError(
            f"{query!r} is not a model id: {exc.__cause__}",
            hint="Give the id as on the Hub, e.g. `eeesync model 01-ai/Yi-1.5-34B-Chat` "
            "(any letter case).",
        ) from exc


def gather_model_report(
    query: str,
    *,
    config: Config,
    hub: Hub,
    collections: Sequence[str] | None,
    progress: Progress = NO_PROGRESS,
) -> ModelReport:
    """Read the datastore and the Hub for one model and assemble its view.

    `collections` None reads every collection. Raises `UserError` when the id is neither in
    those collections nor on the Hub, and `DatastoreError` for a bad locator or collection.
    """
    text = check_model_query(query)
    locator = configured_locator(config, hub=hub)
    scan = open_datastore(
        locator,
        collections,
        hub=hub,
        cache=ObjectCache(config.cache_dir),
        concurrency=config.download_parallelism,
    )
    aliases = load_configured_aliases(config)
    # An aliased id typed as the query means the repo its alias names, as in `plan`.
    target = _published_on(aliases, text)
    wanted = target.lower()
    records = [
        r
        for r in scan.records(concurrency=config.download_parallelism, progress=progress)
        if _published_on(aliases, r.model.id).lower() == wanted
    ]
    registry = load_registry(config.benchmark_overrides, source_path=config.config_path)
    spellings = sorted({target, *(_published_on(aliases, r.model.id) for r in records)})
    state = _audit_one(hub, spellings, config=config)
    if not records and not state.exists:
        shown = ", ".join(scan.collections) or "(none)"
        raise UserError(
            f"unknown model {text}: no record in the datastore's collections {shown}, and no "
            "model repo of that name on the Hub",
            hint="Check the spelling (any letter case works), or search every collection with "
            "`eeesync model ID --all`.",
        )
    if not records and state.error:
        raise HubUnavailableError(
            f"{text} has no record in the chosen collections, and the Hub could not be asked "
            f"whether it exists: {state.error}",
            hint="Check your network and [hub] endpoint, or try `--all`.",
        )
    tasks = (
        check_tasks(
            registry,
            read=task_reader(
                hub,
                [b.dataset_id for b in registry.benchmarks],
                concurrency=config.download_parallelism,
            ),
        )
        if config.check_tasks and records
        else None
    )
    return assemble_model_report(
        text,
        records,
        registry=registry,
        locator=locator,
        options=MappingOptions.from_config(config, web_base=hub.web_base, aliases=aliases),
        tasks=tasks,
        state=state,
        tolerance=config.tolerance,
        web_base=hub.web_base,
        collections=scan.collections,
        datastore=config.datastore_input,
        check_links=partial(
            verify_links, locator=locator, hub=hub, rehearsal=is_rehearsal_endpoint(hub.endpoint)
        ),
    )


def _published_on(aliases: AliasTable, model_id: str) -> str:
    """The repo a model id's results go to: its alias's target (even one refused for a
    deployment: the view then says why), else the id itself."""
    found = aliases.find(model_id)
    return found.target if found is not None else model_id.strip()


def _audit_one(hub: Hub, spellings: Sequence[str], *, config: Config) -> RepoState:
    """The repo's state: main and every open/draft PR. The same audit `plan` runs, without its
    shortcut that skips the PR listing when main decides: the model view shows the PRs anyway.
    A Hub that cannot be read is data (`state.error`), as in `plan`."""
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="model-audit") as pool:
        heads = learn_heads(hub, spellings, executor=pool)
    return audit_repo(
        hub,
        spellings,
        heads[spellings[0].lower()],
        decided_by_main=lambda _state: False,
        cache=AuditCache(config.cache_dir / "audit"),
    )
