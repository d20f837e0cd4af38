"""Every EEE result for one model, grouped by benchmark, next to what the Hub shows today.

The compute half of `eeesync model MODEL_ID` (the view half is `views/model_view.py`). It reads
the chosen collections, keeps the records of that model (any letter case), and runs the same
stages `plan` runs, built by the same `eeesync.stages.Stages` — mapping (`mapping/`), the
audit of that one repo (`hub/audit.py`) and the diff (`plan/diff.py`) — so the Hub status shown
for a result is exactly what `plan` would do with it: the same alias file (a record spelt
`meta/llama-3.1-8b-instruct` shows under the repo its alias names) and the same backlink check
(an entry whose link would not resolve is not published). Nothing here renders text or writes
files.

Two levels:

* `gather_model_report(...)` does the I/O: the datastore scan, the Hub audit of the one repo.
* `assemble_model_report(...)` maps the records (once) and builds the `ModelReport` from them
  and the audited state (its only Hub reads are the backlink check and the task check).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import attrs

from eeesync.aliases import AliasTable
from eeesync.datastore.links import LinkCheck
from eeesync.datastore.locator import Locator
from eeesync.datastore.records import Record, Result
from eeesync.errors import HubUnavailableError, UserError
from eeesync.hub.audit import audit_repo, learn_heads
from eeesync.hub.state import EvalFile, HubEntry, RepoState
from eeesync.mapping import (
    MappedBatch,
    Mapper,
    MappingResult,
    NotPublishable,
    check_model_id,
    evaluation_date,
    finite_number,
    scale_score,
)
from eeesync.nearest import nearest
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
from eeesync.registry import Benchmark, TaskCheck, normalise_name
from eeesync.stages import Stages

# --- The view's data -----------------------------------------------------------------------------


@attrs.frozen
class Badge:
    """The badge the model page shows on one Hub entry: `author` for an entry in the repo's
    own files on main (author-submitted), `community` for one in an open PR; `verified` when
    the entry carries a `verifyToken`."""

    kind: str  # "author" or "community"
    verified: bool = False


def badge_at(location: str, *, verified: bool) -> Badge:
    """The badge of an entry found on "main" or in a "pr"."""
    return Badge("author" if location == "main" else "community", verified)


@attrs.frozen
class HubStatus:
    """What the Hub shows today for one published result: `plan`'s status for its entry."""

    status: Status
    reason: str  # for people (from the diff)
    existing: tuple[Existing, ...] = ()  # the matching entries on main / in open PRs
    conflicting_values: tuple[float, ...] = ()  # source_conflict: what the records say
    file_path: str = ""  # the target file of the entry
    badges: tuple[Badge, ...] = ()  # the model page's badge of each `existing` entry


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
    #: Another result of the same run is the benchmark's headline (published) score: this is
    #: one of its sub-scores (the 14 subjects of an MMLU-Pro run), folded by the views.
    sub_score: bool = False


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
    badge: Badge = Badge("author")  # the model page's badge (`hub_only_entries` sets it)


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


# --- Assembly ------------------------------------------------------------------------------------


def _scaled(result: Result, benchmark: Benchmark | None) -> float | None:
    try:
        # no benchmark claims the result: its metric_unit / max_score alone decide
        return scale_score(result.raw, benchmark.scale if benchmark else "auto", result.index)
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


def _hub_status(planned: PlannedEntry, state: RepoState) -> HubStatus:
    return HubStatus(
        status=planned.status,
        reason=planned.reason,
        existing=planned.existing,
        conflicting_values=planned.conflicting_values,
        file_path=planned.desired.file_path,
        badges=tuple(_badge(e, planned.desired, state) for e in planned.existing),
    )


def _badge(existing: Existing, desired: DesiredEntry, state: RepoState) -> Badge:
    """The badge of the Hub entry `existing` describes: verified when that entry (same file,
    same match, same value as written) carries a `verifyToken`."""
    if existing.location == "main":
        files: Sequence[EvalFile] = state.main_files
    else:
        files = next((pr.files for pr in state.prs if pr.num == existing.pr_num), ())
    verified = any(
        item.verified
        for file in files
        if file.path == existing.path
        for item in file.entries
        if item.raw_value == existing.raw_value and matches(desired, item)
    )
    return badge_at(existing.location, verified=verified)


@attrs.frozen
class _RecordMapping:
    """What mapping gives for one record: its chosen results and its skips."""

    chosen: dict[str, DesiredEntry]  # result id (or position) → the entry it yields
    skips: dict[str, list[SkippedItem]]  # benchmark key ("" = whole record) → skips

    @classmethod
    def of(cls, batch: MappedBatch) -> _RecordMapping:
        chosen = {e.provenance.result_id: e for e in batch.candidates if e.provenance is not None}
        skips: dict[str, list[SkippedItem]] = defaultdict(list)
        for item in batch.skipped:
            # A record-level skip names every benchmark it had ("mmlu_pro, gpqa"): file it
            # under each.
            for key in [k.strip() for k in item.benchmark.split(",")] or [""]:
                skips[key].append(item)
        return cls(chosen, dict(skips))


def _map_each(
    records: Sequence[Record], stages: Stages, tasks: TaskCheck | None
) -> tuple[MappingResult, list[_RecordMapping]]:
    """Map the records once: the whole mapping (as `plan` maps them), and what each record
    alone yields. The whole mapping collapses duplicate records into one desired entry (or a
    conflict group), right for a plan but hiding which result of which record is the one
    published; so each record's candidates are kept before they are pooled."""
    mapper = Mapper(stages.registry, stages.locator, stages.mapping_options(), tasks)
    batches = []
    for record in records:
        mapper.map_record(record)
        batches.append(mapper.take())
    for batch in batches:
        mapper.absorb(batch)
    return mapper.finish(), [_RecordMapping.of(batch) for batch in batches]


def assemble_model_report(
    query: str,
    records: Sequence[Record],
    *,
    stages: Stages,
    tasks: TaskCheck | None,
    state: RepoState,
    collections: Sequence[str],
) -> ModelReport:
    """Build the view from the model's records and its audited repo state (`state.error`
    says when the Hub could not be read). The records are mapped as `plan` maps them (the same
    aliases, backlink check and diff), once."""
    web_base = stages.web_base
    whole, per_record = _map_each(records, stages, tasks)
    # As in `plan`: only entries whose backlink resolves to the mapped bytes may be published.
    links = stages.check_links(whole.desired)
    link_skips = _link_skips(whole.desired, links)
    planned: dict[tuple[str, str, str], PlannedEntry] = {}
    if links.desired or whole.conflicts:
        repo_plan = diff_repo(
            links.desired,
            state,
            conflicts=whole.conflicts,
            tolerance=stages.config.tolerance,
            web_base=web_base,
        )
        planned = {_entry_key(p.desired): p for p in repo_plan.entries}

    registry = stages.registry
    grouped: dict[tuple[int, str], list[ResultRow]] = defaultdict(list)
    group_info: dict[tuple[int, str], tuple[str, str, str]] = {}
    order = {b.key: i for i, b in enumerate(registry.benchmarks)}
    for record, mapped in zip(records, per_record, strict=True):
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
                    state,
                    stages.locator,
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
    readable = not state.error
    recorded = tuple(sorted({r.model.id.strip() for r in records}))
    aliased = tuple(r for r in recorded if stages.aliases.find(r) is not None)
    canonical = state.repo_id if state.exists and readable else ""
    own = [r for r in recorded if r not in aliased]
    fallback = _published_on(stages.aliases, aliased[0]) if aliased else query
    model_id = canonical or (own[0] if own else fallback)
    return ModelReport(
        query=query,
        model_id=model_id,
        recorded_ids=recorded,
        aliased_ids=aliased,
        hub_exists=state.exists if readable else None,
        hub_error=state.error,
        hub_url=f"{web_base.rstrip('/')}/{canonical}" if canonical else "",
        main_sha=state.main_sha,
        open_prs=tuple(
            OpenPullRequest(pr.num, pr.status, pr.head_sha, pr.title, pr.url) for pr in state.prs
        ),
        datastore=stages.config.datastore_input,
        datastore_revision=stages.locator.revision,
        collections=tuple(collections),
        groups=tuple(groups),
        skipped=tuple(record_skips),
        records=len(records),
        hub_only=hub_only_entries(state, _all_desired(whole), web_base),
        unreadable=unreadable_files(state, web_base),
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
            HubOnlyEntry(
                item,
                "main",
                file.path,
                f"{base}/{file.path}",
                badge=badge_at("main", verified=item.verified),
            )
            for item in file.entries
            if not any(matches(d, item) for d in desired)
        )
    on_main = [e.entry for e in found]
    for pr in state.prs:
        pr_base = f"{web_base}/{state.repo_id}/blob/{pr.head_sha}"
        for file in pr.files:
            found += (
                HubOnlyEntry(
                    item,
                    "pr",
                    file.path,
                    f"{pr_base}/{file.path}",
                    pr.num,
                    pr.url,
                    badge=badge_at("pr", verified=item.verified),
                )
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
    state: RepoState,
    locator: Locator,
    web_base: str,
) -> ResultRow:
    result_id = result.result_id or str(result.index)
    entry = mapped.chosen.get(result_id)
    hub: HubStatus | None = None
    note = ""
    sub_score = False
    if entry is not None:
        metric = _task_label(entry)
        found = planned.get(_entry_key(entry))
        link = link_skips.get(_entry_key(entry))
        if found is not None:
            hub = _hub_status(found, state)
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
                sub_score = True
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
        sub_score=sub_score,
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
    stages: Stages,
    collections: Sequence[str] | None,
    progress: Progress = NO_PROGRESS,
) -> ModelReport:
    """Read the datastore and the Hub for one model and assemble its view.

    `collections` None reads every collection. Raises `UserError` when the id is neither in
    those collections nor on the Hub, and `DatastoreError` for a bad locator or collection.
    """
    text = check_model_query(query)
    scan = stages.scan(collections)
    # An aliased id typed as the query means the repo its alias names, as in `plan`.
    target = _published_on(stages.aliases, text)
    wanted = target.lower()
    records = []
    seen_ids: set[str] = set()  # for the nearest-id hint when the query names none of them
    for r in scan.records(concurrency=stages.config.download_parallelism, progress=progress):
        seen_ids.add(r.model.id)
        if _published_on(stages.aliases, r.model.id).lower() == wanted:
            records.append(r)
    spellings = sorted({target, *(_published_on(stages.aliases, r.model.id) for r in records)})
    state = _audit_one(stages, spellings)
    if not records and not state.exists:
        shown = ", ".join(scan.collections) or "(none)"
        close = nearest(text, seen_ids)
        raise UserError(
            f"unknown model {text}: no record in the datastore's collections {shown}, and no "
            "model repo of that name on the Hub",
            hint=f"Nearest model ids in those collections: {', '.join(close)}."
            if close
            else "Check the spelling (any letter case works), or search every collection with "
            "`eeesync model ID --all`.",
        )
    if not records and state.error:
        raise HubUnavailableError(
            f"{text} has no record in the chosen collections, and the Hub could not be asked "
            f"whether it exists: {state.error}",
            hint="Check your network and [hub] endpoint, or try `--all`.",
        )
    return assemble_model_report(
        text,
        records,
        stages=stages,
        tasks=stages.task_check() if records else None,
        state=state,
        collections=scan.collections,
    )


def _published_on(aliases: AliasTable, model_id: str) -> str:
    """The repo a model id's results go to: its alias's target (even one refused for a
    deployment: the view then says why), else the id itself."""
    found = aliases.find(model_id)
    return found.target if found is not None else model_id.strip()


def _audit_one(stages: Stages, spellings: Sequence[str]) -> RepoState:
    """The repo's state: main and every open/draft PR. The same audit `plan` runs, without its
    shortcut that skips the PR listing when main decides: the model view shows the PRs anyway.
    A Hub that cannot be read is data (`state.error`), as in `plan`."""
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="model-audit") as pool:
        heads = learn_heads(stages.hub, spellings, executor=pool)
    return audit_repo(
        stages.hub,
        spellings,
        heads[spellings[0].lower()],
        decided_by_main=lambda _state: False,
        cache=stages.audit_cache(),
    )
