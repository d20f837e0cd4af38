"""Decide, per Hub score of one benchmark, what an import does with it (pure: no I/O).

Order of the rules (the first that applies decides):

1. `from_eee`: the score's source link points into the EEE datastore (never imported back);
2. `pr_only`: a community score only in an open PR, without `--include-prs`;
3. `audit_error`: its eval file could not be read, or holds no entry with the listed value;
4. `skipped`: a task the benchmark does not define, a value outside 0–100;
5. `already_in_eee`: a record with its fingerprint exists (datastore, records folder, our open
   import PR), or the datastore holds this model + dataset + task + notes with the same value
   (the plan's tolerance and scale rule: 0.412 = 41.2). For a benchmark with one task this is
   decided from the leaderboard row, before rule 3: its file is not read;
6. `eee_differs`: the datastore holds another value for that setup (both shown);
7. `ready`: a new record carries it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Set

import attrs

from eeesync.hub.leaderboard import LeaderboardRow, PinnedFile
from eeesync.hub.state import HubEntry
from eeesync.imports.records import EEE_DATASTORE, fingerprint, percent
from eeesync.plan.diff import same_value
from eeesync.plan.import_model import EeeScore, HubScore, ImportEntry, ImportStatus
from eeesync.registry import Benchmark

#: (model id lower-cased, benchmark key, task id as the registry writes it).
EeeKey = tuple[str, str, str]
#: What the datastore holds under one key: (notes folded, the score) per record.
EeeHeld = tuple[tuple[str, EeeScore], ...]


@attrs.frozen
class Context:
    """What every decision of one run reads."""

    eee: Mapping[EeeKey, EeeHeld]
    known_fingerprints: Set[str]
    known_where: str  # for people: where those fingerprints were found
    tolerance: float
    include_prs: bool
    datastore_repo: str
    web_base: str


def fold(text: str) -> str:
    return " ".join(text.split()).lower()


def held_by_eee(
    context: Context, model_id: str, benchmark: str, task: str, notes: str
) -> tuple[EeeScore, ...]:
    """EEE's scores of the same setup, by the plan's matching rule (`plan/diff.py:matches`):
    notes equal (case and spacing aside), and a Hub entry *without* notes is the same score as
    any of EEE's setups of that task (it did not name its setup)."""
    held = context.eee.get((model_id.lower(), benchmark, task), ())
    wanted = fold(notes)
    return tuple(score for found, score in held if not wanted or found == wanted)


def revision_of(row: LeaderboardRow) -> str:
    return "main" if row.pull_request is None else f"refs/pr/{row.pull_request}"


def needs_file(row: LeaderboardRow, benchmark: Benchmark, context: Context) -> bool:
    """A candidate row: only these cost a file read."""
    if points_into_eee(row.source_url, context.datastore_repo):
        return False
    if row.pull_request is not None and not context.include_prs:
        return False
    return settled_by_row(row, benchmark, context) is None


def only_task(benchmark: Benchmark) -> str | None:
    """The task id of a benchmark with one leaderboard (None when it has several)."""
    tasks = {v.task_id for v in benchmark.variants} if benchmark.variants else {benchmark.task_id}
    return next(iter(tasks)) if len(tasks) == 1 else None


def settled_by_row(
    row: LeaderboardRow, benchmark: Benchmark, context: Context
) -> ImportEntry | None:
    """`already_in_eee` decided from the leaderboard row alone, without reading its file: the
    benchmark has one task, so the row's (model, task, notes, value) is the entry's, and EEE
    (or a record we wrote) already holds it. Anything else needs the file."""
    task = only_task(benchmark)
    if task is None:
        return None
    score = _score(row, benchmark, task_id=task)
    unread = "(the benchmark's one task; its file was not read)"
    return _in_eee(score, benchmark, task, context, unread)[2]


def _in_eee(
    score: HubScore, benchmark: Benchmark, task: str, context: Context, how: str = ""
) -> tuple[str, tuple[EeeScore, ...], ImportEntry | None]:
    """(the entry's fingerprint, EEE's scores of its setup, the `already_in_eee` entry when a
    record we wrote carries that fingerprint or EEE holds the same value)."""
    mark = fingerprint(score.model_id, score.dataset_id, task, score.notes, score.value)
    if mark in context.known_fingerprints:
        reason = f"already imported ({context.known_where})"
        entry = ImportEntry(ImportStatus.ALREADY_IN_EEE, score, reason=reason, fingerprint=mark)
        return mark, (), entry
    held = held_by_eee(context, score.model_id, benchmark.key, task, score.notes)
    if not any(same_value(score.value, e.value, context.tolerance) for e in held):
        return mark, held, None
    reason = f"same value in EEE {how}".strip()
    entry = ImportEntry(
        ImportStatus.ALREADY_IN_EEE, score, reason=reason, eee=held, fingerprint=mark
    )
    return mark, held, entry


def _score(row: LeaderboardRow, benchmark: Benchmark, *, task_id: str = "") -> HubScore:
    return HubScore(
        model_id=row.model_id,
        benchmark=benchmark.key,
        dataset_id=benchmark.dataset_id,
        value=row.value,
        file_path=row.filename,
        revision=revision_of(row),
        task_id=task_id,
        notes=row.notes,
        source_url=row.source_url,
        source_name=row.source_name,
        pr_num=row.pull_request,
        verified=row.verified,
        author=row.author,
    )


def points_into_eee(url: str, datastore_repo: str) -> bool:
    lowered = url.lower()
    repos = {EEE_DATASTORE.lower(), datastore_repo.lower()} - {""}
    return any(
        f"/datasets/{repo}/" in lowered or lowered.endswith(f"/datasets/{repo}") for repo in repos
    )


def canonical_task(benchmark: Benchmark, task_id: str) -> str | None:
    """The task id the registry writes for `task_id` (an alias maps to its task)."""
    if benchmark.variants:
        for variant in benchmark.variants:
            if task_id == variant.task_id or task_id in variant.task_aliases:
                return variant.task_id
        return None
    if task_id == benchmark.task_id or task_id in benchmark.task_aliases:
        return benchmark.task_id
    return None


def decide(
    row: LeaderboardRow,
    benchmark: Benchmark,
    pinned: PinnedFile | None,
    context: Context,
    *,
    used: Callable[[HubEntry], bool] = lambda entry: False,
) -> ImportEntry:
    """One row's entry. `pinned` is its file (None when the row was not a candidate); `used`
    says whether a file entry already answered another row (two rows, one entry each)."""
    score = _score(row, benchmark)
    if points_into_eee(row.source_url, context.datastore_repo):
        return ImportEntry(ImportStatus.FROM_EEE, score, reason="its source is an EEE record")
    if row.pull_request is not None and not context.include_prs:
        return ImportEntry(
            ImportStatus.PR_ONLY, score, reason=f"only in the open PR #{row.pull_request}"
        )
    settled = settled_by_row(row, benchmark, context)
    if settled is not None:
        return settled
    if pinned is None or pinned.file.unreadable:
        why = pinned.file.error if pinned is not None else "not read"
        return ImportEntry(ImportStatus.AUDIT_ERROR, score, reason=why)
    file = pinned.file
    score = attrs.evolve(
        score,
        commit=pinned.commit,
        file_url=f"{context.web_base}/{row.model_id}/blob/{pinned.commit}/{row.filename}",
    )
    ids = {benchmark.dataset_id.lower(), *(a.lower() for a in benchmark.dataset_aliases)}
    match = next(
        (
            e
            for e in file.entries
            if e.dataset_id.lower() in ids
            and (e.notes or "") == row.notes
            and e.value is not None
            and math.isclose(e.value, row.value, rel_tol=0.0, abs_tol=1e-9)
            and not used(e)
        ),
        None,
    )
    if match is None:
        problem = f" ({file.error})" if file.error else ""
        return ImportEntry(
            ImportStatus.AUDIT_ERROR,
            score,
            reason=f"{row.filename} at {pinned.commit[:12] or '?'} holds no entry with the listed "
            f"value {row.value:g}{problem}",
        )
    score = attrs.evolve(
        score,
        task_id=match.task_id,
        date=match.date or "",
        source_url=match.source_url or "",
        source_name=match.source_name or "",
        source_org=match.source_org or match.source_user or "",
        verified=row.verified or match.verified,
    )
    return _decide_read(score, benchmark, context)


def _decide_read(score: HubScore, benchmark: Benchmark, context: Context) -> ImportEntry:
    if points_into_eee(score.source_url, context.datastore_repo):
        return ImportEntry(ImportStatus.FROM_EEE, score, reason="its source is an EEE record")
    task = canonical_task(benchmark, score.task_id)
    if task is None:
        return ImportEntry(
            ImportStatus.SKIPPED,
            score,
            reason=f"unknown_task: {score.task_id!r} is not a task of {benchmark.key} "
            f"({', '.join(benchmark.task_ids())})",
        )
    value = percent(score.value)
    if not 0.0 <= value <= 100.0:
        return ImportEntry(
            ImportStatus.SKIPPED, score, reason=f"value_out_of_range: {score.value:g} is not 0–100"
        )
    mark, held, known = _in_eee(score, benchmark, task, context)
    if known is not None:
        return known
    if held:
        values = ", ".join(f"{e.value:g}" for e in held)
        return ImportEntry(
            ImportStatus.EEE_DIFFERS,
            score,
            reason=f"Hub {value:g} vs EEE {values}",
            eee=held,
            fingerprint=mark,
        )
    return ImportEntry(ImportStatus.READY, score, fingerprint=mark)
