"""`eeesync import`, driven: registry → datastore (what EEE holds) → leaderboards → files →
decisions → new records → a sealed import plan. It never prints: the caller renders.

Requests: one leaderboard per benchmark; one file read per (repo, file, revision) of the
candidate rows (`decide.needs_file`), at the commit the server answers from; what we already
imported is found in the datastore's collection folder, a records folder, and our own open
import PR on the datastore: one listing each, plus the records in the folders of the models the
leaderboards name (after `--model`).
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import hashlib
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import attrs

from eeesync import __version__
from eeesync.cache import ObjectCache
from eeesync.config import Config
from eeesync.hub.client import Hub
from eeesync.hub.leaderboard import LeaderboardRow, PinnedFile, read_leaderboard, read_pinned_file
from eeesync.hub.state import HubEntry
from eeesync.imports import datastore_pr
from eeesync.imports.decide import (
    Context,
    EeeHeld,
    EeeKey,
    decide,
    fold,
    needs_file,
    revision_of,
)
from eeesync.imports.records import build_record, record_json, record_path
from eeesync.parallel_map import map_scan
from eeesync.plan import import_file
from eeesync.plan.import_model import (
    DEFAULT_COLLECTION,
    IMPORT_FORMAT_VERSION,
    IMPORT_KIND,
    EeeScore,
    ImportCounts,
    ImportEntry,
    ImportInputs,
    ImportPlan,
    ImportStatus,
    RecordFile,
)
from eeesync.progress import NO_PROGRESS, Progress
from eeesync.registry import Benchmark
from eeesync.stages import Stages


@attrs.frozen
class ImportRequest:
    benchmarks: tuple[str, ...] = ()  # registry keys; () = every benchmark
    model_filter: str = ""
    include_prs: bool = False
    collection: str = DEFAULT_COLLECTION
    records_dir: Path | None = None  # records already written there count as imported


@attrs.frozen
class ImportStats:
    """How the run went (for reports and benchmarks; never part of the plan)."""

    leaderboards: int
    file_reads: int
    rows: int
    known_fingerprints: int


@attrs.frozen
class ImportResult:
    plan: ImportPlan
    stats: ImportStats


def build_import_plan(
    config: Config,
    request: ImportRequest,
    *,
    hub: Hub,
    progress: Progress = NO_PROGRESS,
    now: Callable[[], dt.datetime] | None = None,
) -> ImportResult:
    stages = Stages.build(config, hub=hub)
    registry, locator = stages.registry, stages.locator
    keys = request.benchmarks or registry.keys()
    eee = _eee_index(stages, keys, request.model_filter, progress=progress)
    task = progress.task("Reading leaderboards", total=len(keys))
    boards: list[tuple[Benchmark, list[LeaderboardRow]]] = []
    for key in keys:
        benchmark = registry.get(key)
        board = read_leaderboard(hub, benchmark.dataset_id)
        task.advance()
        boards.append(
            (benchmark, [r for r in board.rows if _wanted(r.model_id, request.model_filter)])
        )
    task.complete()
    own_pr = datastore_pr.find_import_pr(hub, locator.repo_id, request.collection)
    known = datastore_pr.known_fingerprints(
        hub,
        locator,
        request.collection,
        own_pr,
        request.records_dir,
        models={r.model_id for _, rows in boards for r in rows},
        cache=ObjectCache(config.cache_dir),
        concurrency=config.download_parallelism,
    )
    context = Context(
        eee=eee,
        known_fingerprints=known,
        known_where="a record in the datastore, the records folder or our open import PR",
        tolerance=config.tolerance,
        include_prs=request.include_prs,
        datastore_repo=locator.repo_id,
        web_base=hub.web_base,
    )
    entries: list[ImportEntry] = []
    reads = rows_seen = 0
    for benchmark, rows in boards:
        rows_seen += len(rows)
        wanted = sorted(
            {
                (r.model_id, r.filename, revision_of(r))
                for r in rows
                if needs_file(r, benchmark, context)
            }
        )
        files = _read_files(hub, wanted, parallelism=config.parallelism)
        reads += len(wanted)
        used: dict[tuple[str, str, str], set[int]] = defaultdict(set)
        for row in sorted(rows, key=_row_order):
            where = (row.model_id, row.filename, revision_of(row))
            taken = used[where]
            entry = decide(row, benchmark, files.get(where), context, used=_in(taken))
            if entry.hub.task_id:
                _mark_used(files.get(where), entry, taken)
            entries.append(entry)
    entries = _one_per_fingerprint(entries)
    entries, records = _records(entries, request.collection, web_base=hub.web_base)
    inputs = ImportInputs(
        config_digest=config.digest(),
        endpoint=hub.endpoint,
        registry_digest=registry.digest(),
        datastore_input=config.datastore_input if locator.kind == "hub" else locator.repo_id,
        datastore_repo=locator.repo_id,
        datastore_revision=locator.revision,
        collection=request.collection,
        benchmarks=tuple(sorted(keys)),
        include_prs=request.include_prs,
        model_filter=request.model_filter,
        import_pr=own_pr.num if own_pr else 0,
        import_pr_head=own_pr.head if own_pr else "",
    )
    clock = now or (lambda: dt.datetime.now(dt.UTC))
    plan = ImportPlan(
        kind=IMPORT_KIND,
        format_version=IMPORT_FORMAT_VERSION,
        tool_version=__version__,
        created_at=clock().replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        inputs=inputs,
        entries=tuple(sorted(entries, key=_entry_order)),
        records=records,
        counts=ImportCounts.of((), ()),
    )
    stats = ImportStats(len(keys), reads, rows_seen, len(known))
    return ImportResult(import_file.seal(plan), stats)


def _wanted(model_id: str, glob: str) -> bool:
    return not glob or fnmatch.fnmatchcase(model_id.lower(), glob.lower())


def _row_order(row: LeaderboardRow) -> tuple[str, str, int, str, float]:
    return (row.model_id.lower(), row.filename, row.pull_request or 0, row.notes, row.value)


def _entry_order(entry: ImportEntry) -> tuple[str, str, str, str, str, int, float]:
    h = entry.hub
    return (
        h.model_id.lower(),
        h.benchmark,
        h.task_id,
        h.notes,
        h.file_path,
        h.pr_num or 0,
        h.value,
    )


def _in(taken: set[int]) -> Callable[[HubEntry], bool]:
    def used(entry: HubEntry) -> bool:
        return entry.index in taken

    return used


def _mark_used(pinned: PinnedFile | None, entry: ImportEntry, taken: set[int]) -> None:
    """The file entry that answered this row answers no other row of the same file."""
    if pinned is None:
        return
    h = entry.hub
    for item in pinned.file.entries:
        if item.index not in taken and _same(item, h.task_id, h.notes, h.value):
            taken.add(item.index)
            return


def _same(item: HubEntry, task: str, notes: str, value: float) -> bool:
    return item.task_id == task and (item.notes or "") == notes and item.value == value


def _read_files(
    hub: Hub, wanted: list[tuple[str, str, str]], *, parallelism: int
) -> dict[tuple[str, str, str], PinnedFile]:
    if not wanted:
        return {}
    with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
        read = pool.map(lambda w: read_pinned_file(hub, w[0], w[1], w[2]), wanted)
        return dict(zip(wanted, read, strict=True))


def _eee_index(
    stages: Stages, keys: Iterable[str], model_filter: str, *, progress: Progress
) -> dict[EeeKey, EeeHeld]:
    """What the datastore holds for the benchmarks, keyed like the Hub's entries: the mapping
    of every collection's records (the same rules as `eeesync plan`)."""
    options = stages.mapping_options(benchmark_filter=tuple(keys), model_filter=model_filter)
    mapped = map_scan(
        stages.scan(None),
        stages.registry,
        options=options,
        concurrency=stages.config.download_parallelism,
        progress=progress,
    )
    index: dict[EeeKey, set[tuple[str, EeeScore]]] = defaultdict(set)
    desired = [*mapped.desired, *(d for group in mapped.conflicts for d in group)]
    for d in desired:
        source = d.provenance.source_url if d.provenance else ""
        collection = d.provenance.collection if d.provenance else ""
        index[(d.repo_id.lower(), d.benchmark, d.entry.task_id)].add(
            (fold(d.entry.notes or ""), EeeScore(d.entry.value, source, collection))
        )
    return {
        key: tuple(sorted(held, key=lambda h: (h[0], h[1].value, h[1].source_url)))
        for key, held in index.items()
    }


def _one_per_fingerprint(entries: list[ImportEntry]) -> list[ImportEntry]:
    """Two rows for one Hub entry (the same entry in two files) make one record."""
    seen: set[str] = set()
    out = []
    for entry in sorted(entries, key=_entry_order):
        if entry.status is ImportStatus.READY:
            if entry.fingerprint in seen:
                entry = attrs.evolve(
                    entry, status=ImportStatus.ALREADY_IN_EEE, reason="the same entry is ready once"
                )
            seen.add(entry.fingerprint)
        out.append(entry)
    return out


def _records(
    entries: list[ImportEntry], collection: str, *, web_base: str
) -> tuple[list[ImportEntry], tuple[RecordFile, ...]]:
    """One record per model and Hub file at one commit; ready entries point at theirs."""
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, entry in enumerate(entries):
        if entry.status is ImportStatus.READY:
            groups[(entry.hub.model_id, entry.hub.file_url)].append(i)
    retrieved = int(time.time())
    records = []
    out = list(entries)
    for (model_id, _), members in sorted(groups.items()):
        path = record_path(collection, model_id)
        chosen = [entries[i] for i in members]
        record = build_record(chosen, retrieved=retrieved, web_base=web_base)
        content = record_json(record)
        records.append(
            RecordFile(
                path=path,
                content=content,
                sha256=_sha256(content),
                fingerprints=tuple(e.fingerprint for e in chosen),
            )
        )
        for i in members:
            out[i] = attrs.evolve(entries[i], record_path=path)
    return out, tuple(sorted(records, key=lambda r: r.path))


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
