"""Desired entries + a repo's `RepoState` → `RepoPlan` (the compare step of `plan`). Pure.

Each desired entry gets exactly one status (docs/architecture.md). Matching is by content,
across every eval file on main and every file an open or draft PR changes, never by file name:
`dataset.id` case-insensitive, `task_id` including the benchmark's aliases, and `notes`.
Values are compared on the 0–100 scale: an existing value written on the 0–1 scale (0.412)
equals 41.2 desired. The tolerance is absolute, in points on the 0–100 scale.

Order of decisions for one entry:
1. the repo could not be read → `audit_error`; it does not exist → `missing_hf_model`;
2. main has it: same score → `already_present`, another score → `score_conflict`;
   a malformed main file that could hold it → `audit_error`;
3. (only now are PRs needed) an open/draft PR has it: same → `pending_pr`, other → `conflict`;
   PRs unreadable, or a malformed PR file that could hold it → `audit_error`;
4. otherwise `ready`: the entry is merged into its target file (`plan/merge.py`).

A malformed file "could hold" an entry when it is the entry's target file, or when its text
mentions the entry's dataset id (case-insensitively): the entries it might hide are blocked, the
repo's other benchmarks are not. A file that could not be downloaded could hold anything.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence

import attrs

from eeesync.hub.state import EvalFile, HubEntry, RepoState
from eeesync.plan.diff_words import describe_difference
from eeesync.plan.merge import MergeError, merge
from eeesync.plan.model import (
    DesiredEntry,
    EvalEntry,
    Existing,
    FileBlob,
    FileChange,
    OpenPullRequest,
    PlannedEntry,
    Preconditions,
    RepoPlan,
    Status,
)

DEFAULT_TOLERANCE = 0.005
#: Existing items kept per planned entry (links, reasons, diffs). A file may hold a thousand
#: items for one leaderboard: the plan and its render stay small, and say how many there are.
MAX_EXISTING = 5


# --- Matching ------------------------------------------------------------------------------------


def _fold(text: str | None) -> str:
    return " ".join((text or "").split()).lower()


def matches(desired: DesiredEntry, existing: HubEntry) -> bool:
    """Same leaderboard: dataset id or a dataset alias (any case), task id or an alias (any
    case), and notes.

    An existing entry *without* notes matches ours whatever our notes say: it did not name its
    setup, so ours (e.g. "GPQA Diamond" on task gpqa_diamond, as HF's own note-less GPQA
    entries) is the same score described more precisely; adding it would show a model's score
    twice. This holds for setup notes too (`agent: Terminus 2`, "0-shot CoT"): every setup entry
    of ours meets a note-less Hub entry of the same dataset and task, an equal score is
    `already_present` and a different one a `score_conflict` for a reviewer, never a second
    entry beside the unlabelled one. Existing notes, on the other hand, name a setup ("With
    tools") and must be equal (README "Setups and notes").
    """
    entry = desired.entry
    dataset = _fold(existing.dataset_id)
    if dataset != _fold(entry.dataset_id) and dataset not in {
        _fold(d) for d in desired.dataset_aliases
    }:
        return False
    tasks = {_fold(t) for t in (entry.task_id, *desired.task_aliases)}
    if _fold(existing.task_id) not in tasks:
        return False
    return not existing.notes or _fold(existing.notes) == _fold(entry.notes)


def normalised_value(existing: float, desired: float) -> float:
    """The existing value on the 0–100 scale, judged against the desired value.

    A value in [0, 1] is read as a fraction when the desired score is above 1 (the docs' own
    example is `value: 0.412`).
    """
    if 0.0 <= existing <= 1.0 and desired > 1.0:
        return round(existing * 100.0, 9)
    return existing


def same_value(existing: float | None, desired: float, tolerance: float) -> bool:
    if existing is None:
        return False
    if abs(existing - desired) <= tolerance:
        return True
    return 0.0 <= existing <= 1.0 and abs(existing * 100.0 - desired) <= tolerance


def could_hold(file: EvalFile, desired: DesiredEntry) -> bool:
    """Whether a file we could not fully read might hold this entry (see the module doc)."""
    if file.unreadable or file.path == desired.file_path:
        return True
    return bool(file.error) and desired.entry.dataset_id.lower() in file.text.lower()


# --- Classifying one entry -----------------------------------------------------------------------


@attrs.frozen
class _Found:
    existing: Existing
    entry: HubEntry
    equal: bool


def _found_in(
    files: Iterable[EvalFile],
    desired: DesiredEntry,
    *,
    tolerance: float,
    location: str,
    file_url: str,
    pr_num: int | None = None,
    pr_url: str | None = None,
) -> list[_Found]:
    found = []
    for file in files:
        for item in file.entries:
            if not matches(desired, item):
                continue
            value = (
                None if item.value is None else normalised_value(item.value, desired.entry.value)
            )
            existing = Existing(
                location=location,
                path=file.path,
                value=value,
                raw_value=item.raw_value,
                pr_num=pr_num,
                pr_url=pr_url,
                url=f"{file_url}/{file.path}",
            )
            equal = same_value(item.value, desired.entry.value, tolerance)
            found.append(_Found(existing, item, equal))
    return found


def _where(found: _Found) -> str:
    e = found.existing
    place = "main" if e.location == "main" else f"PR #{e.pr_num}"
    return f"{place} ({e.path})"


def _value_text(found: _Found) -> str:
    value = found.existing.value
    if value is None:
        return f"{found.existing.raw_value!r} (not a number)"
    raw = found.existing.raw_value
    return raw if _same_text(raw, value) else f"{raw} (= {value:g} on the 0–100 scale)"


def _same_text(raw: str, value: float) -> bool:
    try:
        return float(raw) == value
    except ValueError:
        return False


def _entry_view(
    item: HubEntry | None, desired: DesiredEntry, value: float | None
) -> dict[str, object]:
    """The fields people compare, for the deepdiff summary."""
    if item is None:
        e = desired.entry
        return {
            "dataset": {"id": e.dataset_id, "task_id": e.task_id},
            "value": e.value,
            "notes": e.notes,
            "date": e.date,
            "source": e.source_url,
        }
    return {
        "dataset": {"id": item.dataset_id, "task_id": item.task_id},
        "value": value,
        "notes": item.notes,
        "date": item.date,
        "source": item.source_url,
    }


def _deepdiff(found: Sequence[_Found], desired: DesiredEntry) -> str:
    """Per differing existing entry, what differs from ours (deepdiff finds it, `diff_words`
    says it in words)."""
    lines = []
    ours = _entry_view(None, desired, None)
    for f in found:
        if f.equal:
            continue
        theirs = _entry_view(f.entry, desired, f.existing.value)
        text = describe_difference(theirs, ours, hub_value=_value_text(f))
        if text:
            lines.append(f"{_where(f)}: {text}")
    return "\n".join(lines)


def _more(count: int) -> str:
    extra = count - MAX_EXISTING
    return f" (and {extra} more)" if extra > 0 else ""


def _conflict(desired: DesiredEntry, found: list[_Found], where: str) -> PlannedEntry:
    different = [f for f in found if not f.equal]
    shown = "; ".join(f"{_where(f)} has {_value_text(f)}" for f in different[:MAX_EXISTING])
    return PlannedEntry(
        Status.SCORE_CONFLICT,
        desired,
        reason=f"a different score is already {where}: {shown}{_more(len(different))}; "
        f"the datastore says {desired.entry.value:g}",
        existing=tuple(f.existing for f in found[:MAX_EXISTING]),
        diff=_deepdiff(different[:MAX_EXISTING], desired),
    )


def _decide_found(
    desired: DesiredEntry, found: list[_Found], *, status: Status, where: str
) -> PlannedEntry | None:
    """`status` when an equal score was found, a conflict when only different ones were, else
    None. `where` ("on main", "in an open PR") words the conflict."""
    equal = [f for f in found if f.equal]
    if equal:
        first = equal[0].existing
        holder = "main" if first.location == "main" else f"open PR #{first.pr_num}"
        return PlannedEntry(
            status,
            desired,
            reason=f"{holder} already has {_value_text(equal[0])} in {first.path}",
            existing=tuple(
                f.existing for f in [*equal, *(f for f in found if not f.equal)][:MAX_EXISTING]
            ),
        )
    if found:
        return _conflict(desired, found, where)
    return None


def _blocked(desired: DesiredEntry, files: Iterable[EvalFile], extra: str = "") -> str:
    problems = [f.error for f in files if (f.error or f.unreadable) and could_hold(f, desired)]
    return "; ".join([*problems, *([extra] if extra else [])])


def decide_on_main(
    desired: DesiredEntry, state: RepoState, *, tolerance: float, web_base: str
) -> PlannedEntry | None:
    """The entry's status if main alone decides it (None: the open PRs are needed)."""
    if state.error:
        return PlannedEntry(Status.AUDIT_ERROR, desired, reason=state.error)
    if not state.exists:
        return PlannedEntry(
            Status.MISSING_HF_MODEL,
            desired,
            reason=f"the model repo {state.repo_id} does not exist on the Hub",
        )
    base = f"{web_base}/{state.repo_id}/blob/{state.main_sha}"
    found = _found_in(
        state.main_files, desired, tolerance=tolerance, location="main", file_url=base
    )
    decided = _decide_found(desired, found, status=Status.ALREADY_PRESENT, where="on main")
    if decided is not None:
        return decided
    blocked = _blocked(desired, state.main_files)
    if blocked:
        return PlannedEntry(
            Status.AUDIT_ERROR, desired, reason=f"cannot read a file that may hold it: {blocked}"
        )
    return None


def decided_by_main(
    desired: Iterable[DesiredEntry], state: RepoState, *, tolerance: float, web_base: str = ""
) -> bool:
    """True when main decides every entry: the audit then skips listing the repo's PRs."""
    return all(
        decide_on_main(d, state, tolerance=tolerance, web_base=web_base) is not None
        for d in desired
    )


def decide_entry(
    desired: DesiredEntry, state: RepoState, *, tolerance: float, web_base: str
) -> PlannedEntry:
    """One desired entry's status against the repo's state (see the module doc for the order)."""
    decided = decide_on_main(desired, state, tolerance=tolerance, web_base=web_base)
    if decided is not None:
        return decided
    if not state.prs_checked:
        # The audit lists PRs whenever main leaves an entry open; this is a broken invariant,
        # reported rather than planned on half the facts.
        return PlannedEntry(Status.AUDIT_ERROR, desired, reason="open PRs were not checked")
    if state.pr_error:
        return PlannedEntry(Status.AUDIT_ERROR, desired, reason=state.pr_error)
    found: list[_Found] = []
    blocked: list[str] = []
    for pr in state.prs:
        base = f"{web_base}/{state.repo_id}/blob/{pr.head_sha}"
        found += _found_in(
            pr.files,
            desired,
            tolerance=tolerance,
            location="pr",
            file_url=base,
            pr_num=pr.num,
            pr_url=pr.url,
        )
        problem = _blocked(desired, pr.files, f"PR #{pr.num}: {pr.error}" if pr.error else "")
        if problem:
            blocked.append(problem if problem.startswith("PR #") else f"PR #{pr.num}: {problem}")
    decided = _decide_found(desired, found, status=Status.PENDING_PR, where="in an open PR")
    if decided is not None:
        return decided
    if blocked:
        return PlannedEntry(
            Status.AUDIT_ERROR,
            desired,
            reason="cannot read an open PR that may hold it: " + "; ".join(blocked),
        )
    return PlannedEntry(
        Status.READY, desired, reason=f"not on the Hub yet: the PR adds it to {desired.file_path}"
    )


# --- One repo ------------------------------------------------------------------------------------


def _entry_order(planned: PlannedEntry) -> tuple[object, ...]:
    d = planned.desired
    p = d.provenance
    return (
        d.file_path,
        d.entry.dataset_id.lower(),
        d.entry.task_id,
        d.entry.notes or "",
        d.entry.value,
        d.repo_id,
        (p.collection, p.line, p.result_id) if p is not None else ("", 0, ""),
    )


def source_conflict(group: Sequence[DesiredEntry]) -> PlannedEntry:
    """A group of records that disagree on one (model, dataset, task, notes)."""
    ordered = sorted(group, key=lambda d: (d.entry.value, d.provenance is None, str(d.provenance)))
    values = tuple(sorted({d.entry.value for d in group}))
    shown = ", ".join(f"{v:g}" for v in values)
    return PlannedEntry(
        Status.SOURCE_CONFLICT,
        ordered[0],
        reason=f"{len(group)} datastore records disagree on this score: {shown}",
        conflicting_values=values,
    )


def action_id(repo_id: str, files: Sequence[FileChange]) -> str:
    """A stable short id for the PR action: hash of the repo and the exact files it writes."""
    if not files:
        return ""
    payload = json.dumps(
        [repo_id, [[f.path, f.sha256] for f in files]], separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def diff_repo(
    desired: Sequence[DesiredEntry],
    state: RepoState | None,
    *,
    conflicts: Sequence[Sequence[DesiredEntry]] = (),
    tolerance: float = DEFAULT_TOLERANCE,
    web_base: str = "https://huggingface.co",
) -> RepoPlan:
    """Plan one repo. `state` is None when the repo was not audited (only source conflicts)."""
    web_base = web_base.rstrip("/")
    planned: list[PlannedEntry] = [source_conflict(g) for g in conflicts]
    if desired:
        if state is None:
            raise ValueError("desired entries need the repo's audited state")
        planned += [decide_entry(d, state, tolerance=tolerance, web_base=web_base) for d in desired]
    planned, files = _files(planned, state)
    planned.sort(key=_entry_order)
    requested = sorted(
        {*(state.requested_ids if state else ()), *(p.desired.repo_id for p in planned)}
    )
    readable = state is not None and state.exists and not state.error
    repo_id = state.repo_id if readable and state is not None else requested[0]
    preconditions = None
    if readable and state is not None:
        on_main = {f.path: f.blob_id for f in state.main_files}
        preconditions = Preconditions(
            main_sha=state.main_sha,
            open_prs=tuple(
                OpenPullRequest(pr.num, pr.status, pr.head_sha, pr.title, pr.url)
                for pr in state.prs
            ),
            file_blobs=tuple(FileBlob(f.path, on_main.get(f.path)) for f in files),
        )
    return RepoPlan(
        repo_id=repo_id,
        requested_ids=tuple(requested),
        entries=tuple(planned),
        preconditions=preconditions,
        files=files,
        action_id=action_id(repo_id, files),
        audit_error=_repo_problems(state),
    )


def _files(
    planned: list[PlannedEntry], state: RepoState | None
) -> tuple[list[PlannedEntry], tuple[FileChange, ...]]:
    """Merge the ready entries into their target files; a file that cannot be merged turns its
    entries into `audit_error` (the plan never writes a file it might damage)."""
    by_path: dict[str, list[PlannedEntry]] = {}
    for p in planned:
        if p.status is Status.READY:
            by_path.setdefault(p.desired.file_path, []).append(p)
    if not by_path or state is None:
        return planned, ()
    changes: list[FileChange] = []
    failed: dict[int, str] = {}
    for path in sorted(by_path):
        group = sorted(by_path[path], key=_entry_order)
        unique: dict[tuple[str, str, str], EvalEntry] = {}
        for p in group:  # one item per leaderboard, even if two records agree on it
            unique.setdefault(p.desired.entry.key(), p.desired.entry)
        base = state.main_file(path)
        try:
            merged = merge(base.text if base else None, list(unique.values()))
        except MergeError as exc:
            for p in group:
                failed[id(p)] = f"cannot add it to {path}: {exc}"
            continue
        changes.append(
            FileChange(
                path=path,
                content=merged.content,
                sha256=hashlib.sha256(merged.content.encode("utf-8")).hexdigest(),
                base_blob_id=base.blob_id if base else None,
                added=len(unique),
                added_span=merged.added_span,
            )
        )
    if failed:
        planned = [
            attrs.evolve(p, status=Status.AUDIT_ERROR, reason=failed[id(p)])
            if id(p) in failed
            else p
            for p in planned
        ]
    return planned, tuple(changes)


def _repo_problems(state: RepoState | None) -> str:
    if state is None:
        return ""
    problems = [state.error, state.pr_error]
    problems += [f.error for f in state.main_files if f.error]
    for pr in state.prs:
        problems += [pr.error] if pr.error else []
        problems += [f"PR #{pr.num}: {f.error}" for f in pr.files if f.error]
    return "; ".join(p for p in problems if p)
