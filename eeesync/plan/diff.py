"""Desired entries + a repo's `RepoState` → `RepoPlan` (the compare step of `plan`). Pure.

Each desired entry gets exactly one status (docs/architecture.md). Matching is by content,
across every eval file on main and every file an open or draft PR changes, never by file name:
`dataset.id` case-insensitive, `task_id` including the benchmark's aliases, and `notes`.
Values are compared on the 0–100 scale: an existing value written on the 0–1 scale (0.412)
equals 41.2 desired. The tolerance is absolute, in points on the 0–100 scale.

Order of decisions for one entry:
1. the repo could not be read → `audit_error`; it does not exist → `missing_hf_model` (a repo
   on the opt-out list is not audited: `opted_out`);
2. main has it: same score → `already_present`, another score → `score_conflict`, or
   `outdated_on_main` when main's entry links into the datastore (with `[policy] update_main`,
   the PRs then say whether its update is pending or was declined);
   a malformed main file that could hold it → `audit_error`;
3. (only now are PRs needed) an open/draft PR has it: same → `pending_pr`, other → `conflict`;
   our own open PR with another value, date, notes or record → `update_pr`;
   PRs unreadable, or a malformed PR file that could hold it → `audit_error`;
4. the history: a closed PR held it → `declined` (not when we closed it ourselves, nor when the
   reconsider file names that PR); a merged PR of ours held it, or an apply journal says we
   committed it to main directly (direct-when-owner) → `removed_by_author`;
5. an apply journal says the Hub refuses PRs on the repo → `prs_disabled`;
6. otherwise `update_pr` when we have an open PR there (one PR per repo), else `ready`: the
   entry is merged into its target file (`plan/merge.py`).

Entries our open PR lists that no desired entry wants any more are `withdraw` (`diff_repo`).
"Ours" is decided by the audit: opened by the plan's account, with eeesync's marker.

A malformed file "could hold" an entry when it is the entry's target file, or when its text
mentions the entry's dataset id (case-insensitively): the entries it might hide are blocked, the
repo's other benchmarks are not. A file that could not be downloaded could hold anything.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence

import attrs

from eeesync.hub.state import EvalFile, HubEntry, ListedEntry, PullRequestState, RepoState
from eeesync.plan.diff_words import describe_difference
from eeesync.plan.merge import MergeError, merge, update_in_place
from eeesync.plan.model import (
    SOURCE_NAME,
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


@attrs.frozen
class Policy:
    """What the diff needs beyond the Hub state: checked-in decisions and the trail's memory."""

    #: `<web>/datasets/<datastore>/blob/`: a main entry linking here came from the datastore.
    datastore_link_prefix: str = ""
    update_main: bool = False  # `[policy] update_main`
    #: (repo id lower-cased, PR number) of declines a reviewed line reconsiders.
    reconsidered: frozenset[tuple[str, int]] = frozenset()
    #: Repos (lower-cased) where an apply journal says the Hub refused a PR.
    prs_disabled: frozenset[str] = frozenset()
    #: Repo (lower-cased) → entries an apply committed directly to main, each with the plan
    #: file that says so (the trail, `trail.py`).
    committed: Mapping[str, tuple[tuple[ListedEntry, str], ...]] = attrs.field(factory=dict)

    def links_here(self, url: str | None) -> bool:
        return bool(self.datastore_link_prefix and url) and str(url).startswith(
            self.datastore_link_prefix
        )


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


def same_listed(desired: DesiredEntry, listed: HubEntry) -> bool:
    """An entry our own PR lists is this one: the same leaderboard with the same notes (we wrote
    both, so a note-less entry of ours is the default setup, not an unnamed one)."""
    return matches(desired, listed) and _fold(listed.notes) == _fold(desired.entry.notes)


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
    ours: bool = False,
) -> list[_Found]:
    found = []
    same = same_listed if ours else matches
    for file in files:
        for item in file.entries:
            if not same(desired, item):
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
    desired: DesiredEntry,
    state: RepoState,
    *,
    tolerance: float,
    web_base: str,
    policy: Policy | None = None,
) -> PlannedEntry | None:
    """The entry's status if main alone decides it (None: the open PRs are needed)."""
    policy = policy or Policy()
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
    if decided is not None and decided.status is Status.SCORE_CONFLICT:
        ours = [f for f in found if policy.links_here(f.entry.source_url)]
        if ours and not any(f.equal for f in found):
            return attrs.evolve(
                decided,
                status=Status.OUTDATED_ON_MAIN,
                reason=f"main has it from the datastore ({_where(ours[0])}: "
                f"{_value_text(ours[0])}), which now says {desired.entry.value:g}"
                + (
                    ": apply opens a PR that updates that entry"
                    if policy.update_main
                    else "; `[policy] update_main = true` lets apply propose the update"
                ),
            )
    if decided is not None:
        return decided
    blocked = _blocked(desired, state.main_files)
    if blocked:
        return PlannedEntry(
            Status.AUDIT_ERROR, desired, reason=f"cannot read a file that may hold it: {blocked}"
        )
    return None


def decided_by_main(
    desired: Iterable[DesiredEntry],
    state: RepoState,
    *,
    tolerance: float,
    web_base: str = "",
    policy: Policy | None = None,
) -> bool:
    """True when main decides every entry: the audit then skips listing the repo's PRs.

    (A repo the audit trail says we opened a PR on has its PRs listed whatever main says: the
    caller asks for that, `pipeline.py`.)"""
    policy = policy or Policy()
    for d in desired:
        decided = decide_on_main(d, state, tolerance=tolerance, web_base=web_base, policy=policy)
        if decided is None:
            return False
        if decided.status is Status.OUTDATED_ON_MAIN and policy.update_main:
            return False  # its update may be in an open PR, or declined in a closed one
    return True


_PINNED = re.compile(r"/blob/[^/]+/")


def _record_link(url: str | None) -> str | None:
    """A datastore link without its pinned revision: the record it names. Every datastore
    commit moves the revision, which alone is no reason to touch an open PR."""
    return _PINNED.sub("/blob/-/", url, count=1) if url else None


def _same_listing(listed: HubEntry, desired: DesiredEntry, tolerance: float) -> bool:
    """Our PR holds exactly this entry: value, date, notes and source record."""
    e = desired.entry
    return (
        same_value(listed.value, e.value, tolerance)
        and (listed.date or None) == (e.date or None)
        and _fold(listed.notes) == _fold(e.notes)
        and _record_link(listed.source_url) == _record_link(e.source_url)
    )


def our_open_pr(state: RepoState) -> PullRequestState | None:
    """The open PR of ours an update commits to (the lowest-numbered, if there were two)."""
    return next((pr for pr in state.prs if pr.ours), None)


def decide_entry(
    desired: DesiredEntry,
    state: RepoState,
    *,
    tolerance: float,
    web_base: str,
    policy: Policy | None = None,
) -> PlannedEntry:
    """One desired entry's status against the repo's state (see the module doc for the order)."""
    policy = policy or Policy()
    decided = decide_on_main(desired, state, tolerance=tolerance, web_base=web_base, policy=policy)
    if decided is not None and decided.status is Status.OUTDATED_ON_MAIN and policy.update_main:
        return _fix_decided(decided, state, tolerance=tolerance, policy=policy)
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
    ours = our_open_pr(state)
    for pr in state.prs:
        base = f"{web_base}/{state.repo_id}/blob/{pr.head_sha}"
        hits = _found_in(
            pr.held_files() if pr is ours else pr.files,
            desired,
            tolerance=tolerance,
            location="pr",
            file_url=base,
            pr_num=pr.num,
            pr_url=pr.url,
            ours=pr is ours,
        )
        if pr is ours:
            # Ours is kept current: the same score with another date, note or link is updated.
            hits = [attrs.evolve(f, equal=_same_listing(f.entry, desired, tolerance)) for f in hits]
            stale = [f for f in hits if not f.equal]
            if stale and not any(f.equal for f in hits):
                return PlannedEntry(
                    Status.UPDATE_PR,
                    desired,
                    reason=f"our open PR #{pr.num} holds it as {_listing_text(stale[0].entry)}; "
                    f"the datastore now says {_listing_text(None, desired)}: apply updates "
                    "the PR",
                    existing=tuple(f.existing for f in hits[:MAX_EXISTING]),
                    diff=_deepdiff(stale[:MAX_EXISTING], desired),
                )
        found += hits
        if pr is not ours:
            problem = _blocked(desired, pr.files, f"PR #{pr.num}: {pr.error}" if pr.error else "")
            if problem:
                blocked.append(
                    problem if problem.startswith("PR #") else f"PR #{pr.num}: {problem}"
                )
    decided = _decide_found(desired, found, status=Status.PENDING_PR, where="in an open PR")
    if decided is not None:
        return decided
    if blocked:
        return PlannedEntry(
            Status.AUDIT_ERROR,
            desired,
            reason="cannot read an open PR that may hold it: " + "; ".join(blocked),
        )
    history = _decided_by_history(desired, state, policy)
    history = history or _committed_by_us(desired, state, policy)
    if history is not None:
        return history
    if state.repo_id.lower() in policy.prs_disabled:
        return PlannedEntry(
            Status.PRS_DISABLED,
            desired,
            reason="the Hub refused a PR on this repo before (recorded in an apply journal): "
            "not retried",
        )
    if ours is not None:
        return PlannedEntry(
            Status.UPDATE_PR,
            desired,
            reason=f"not on the Hub yet: apply adds it to our open PR #{ours.num} "
            f"({desired.file_path})",
        )
    return PlannedEntry(
        Status.READY, desired, reason=f"not on the Hub yet: the PR adds it to {desired.file_path}"
    )


def _fix_decided(
    outdated: PlannedEntry, state: RepoState, *, tolerance: float, policy: Policy
) -> PlannedEntry:
    """`[policy] update_main`: an outdated entry whose update is already in an open PR is
    pending; one whose update PR the author closed is declined; otherwise apply proposes it."""
    if not state.prs_checked or state.pr_error:
        return outdated  # PRs unknown (a broken invariant): never propose the update blindly
    desired = outdated.desired
    for pr in state.prs:
        for file in pr.held_files():
            for item in file.entries:
                same = same_listed if pr.ours else matches
                if same(desired, item) and same_value(item.value, desired.entry.value, tolerance):
                    return attrs.evolve(
                        outdated,
                        status=Status.PENDING_PR,
                        reason=f"open PR #{pr.num} already updates it to {item.raw_value}",
                    )
    closed = attrs.evolve(state, past_prs=tuple(p for p in state.past_prs if p.status == "closed"))
    declined = _decided_by_history(desired, closed, policy)
    return declined if declined is not None else outdated


def _listing_text(item: HubEntry | None, desired: DesiredEntry | None = None) -> str:
    if item is None:
        assert desired is not None
        e = desired.entry
        return f"{e.value:g} ({e.date or 'no date'})"
    return f"{item.raw_value} ({item.date or 'no date'})"


def _decided_by_history(
    desired: DesiredEntry, state: RepoState, policy: Policy
) -> PlannedEntry | None:
    """`declined` / `removed_by_author` from the closed and merged PRs the audit read."""
    for pr in sorted(state.past_prs, key=lambda p: -p.num):
        same = same_listed if pr.ours else matches
        held = any(same(desired, item) for f in pr.held_files() for item in f.entries)
        if not held:
            continue
        if pr.status == "merged" and pr.ours:
            return PlannedEntry(
                Status.REMOVED_BY_AUTHOR,
                desired,
                reason=f"our PR #{pr.num} added it (merged), and main no longer has it: the "
                "author removed it; never proposed again",
                existing=(_past(pr, desired),),
            )
        if pr.status != "closed":
            continue
        if pr.ours and pr.closed_by == pr.author:
            continue  # we closed it ourselves (a duplicate, a withdrawal): not a decision
        if (state.repo_id.lower(), pr.num) in policy.reconsidered:
            continue
        by = f" by {pr.closed_by}" if pr.closed_by else ""
        when = f" on {pr.closed_at[:10]}" if pr.closed_at else ""
        return PlannedEntry(
            Status.DECLINED,
            desired,
            reason=f"PR #{pr.num} ({pr.url}) held it and was closed{by}{when}: declined, never "
            "proposed again (a reviewed line in the reconsider file reopens the question)",
            existing=(_past(pr, desired),),
        )
    return None


def _committed_by_us(
    desired: DesiredEntry, state: RepoState, policy: Policy
) -> PlannedEntry | None:
    """`removed_by_author`: not on main, yet an apply journal says we committed it there."""
    for item, where in policy.committed.get(state.repo_id.lower(), ()):
        if same_listed(desired, item.as_hub_entry(0)):
            return PlannedEntry(
                Status.REMOVED_BY_AUTHOR,
                desired,
                reason=f"we committed it to main directly (the apply of {where}), and main no "
                "longer has it: the author removed it; never proposed again",
            )
    return None


def _past(pr: PullRequestState, desired: DesiredEntry) -> Existing:
    same = same_listed if pr.ours else matches
    item = next((i for f in pr.held_files() for i in f.entries if same(desired, i)), None)
    return Existing(
        location="pr",
        path=desired.file_path,
        value=item.value if item else None,
        raw_value=item.raw_value if item else "",
        pr_num=pr.num,
        pr_url=pr.url,
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


def action_id(
    repo_id: str,
    files: Sequence[FileChange],
    *,
    update: int = 0,
    deletes: Sequence[str] = (),
    close: bool = False,
) -> str:
    """A stable short id for the action: hash of the repo and the exact files it writes (and,
    for an update of our open PR, which PR, what it deletes, whether it closes it)."""
    if not files and not deletes and not close:
        return ""
    parts: list[object] = [repo_id, [[f.path, f.sha256] for f in files]]
    if update:
        parts += [update, sorted(deletes), close]
    payload = json.dumps(parts, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def diff_repo(
    desired: Sequence[DesiredEntry],
    state: RepoState | None,
    *,
    conflicts: Sequence[Sequence[DesiredEntry]] = (),
    tolerance: float = DEFAULT_TOLERANCE,
    web_base: str = "https://huggingface.co",
    policy: Policy | None = None,
    in_scope: Callable[[ListedEntry], bool] = lambda listed: True,
    opted_out: str = "",
) -> RepoPlan:
    """Plan one repo. `state` is None when the repo was not audited (only source conflicts, or
    an opted-out repo: `opted_out` is then the reason). `in_scope` says which entries of our
    open PR this plan speaks for (another collection's, or a filtered-out benchmark's, are
    never withdrawn by it)."""
    web_base = web_base.rstrip("/")
    policy = policy or Policy()
    planned: list[PlannedEntry] = [source_conflict(g) for g in conflicts]
    if opted_out:
        planned += [PlannedEntry(Status.OPTED_OUT, d, reason=opted_out) for d in desired]
        state = None
    elif desired:
        if state is None:
            raise ValueError("desired entries need the repo's audited state")
        planned += [
            decide_entry(d, state, tolerance=tolerance, web_base=web_base, policy=policy)
            for d in desired
        ]
    ours = our_open_pr(state) if state is not None and state.exists and not state.error else None
    if ours is not None and ours.listed is not None:
        planned += _withdrawn(ours, [*desired, *(d for g in conflicts for d in g)], in_scope)
    fixes_main = False
    if ours is not None and any(p.status in (Status.UPDATE_PR, Status.WITHDRAW) for p in planned):
        planned, files, deletes = _update_files(planned, state, ours)
    else:
        edited: dict[str, str] = {}
        if policy.update_main and ours is None and state is not None:
            planned, edited = _update_main(planned, state, policy)
        planned, files = _files(planned, state, edited)
        fixes_main = bool(edited)
        deletes = ()
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
    update = ours.num if ours is not None and (files or deletes or _closes(planned, ours)) else 0
    close = bool(update) and not files and not deletes
    return RepoPlan(
        repo_id=repo_id,
        requested_ids=tuple(requested),
        entries=tuple(planned),
        preconditions=preconditions,
        files=files,
        action_id=action_id(repo_id, files, update=update, deletes=deletes, close=close),
        audit_error=_repo_problems(state),
        update_pr=update,
        delete_paths=deletes,
        close_pr=close,
        fixes_main=fixes_main and bool(files),
    )


def outdated_pick(
    outdated: Sequence[DesiredEntry], links_here: Callable[[str | None], bool]
) -> Callable[[int, object], EvalEntry | None]:
    """For `merge.update_in_place`: the new entry for a main item that is one of `outdated`
    (same dataset, task and notes) with a source link into the datastore."""

    def pick(index: int, item: object) -> EvalEntry | None:
        if not isinstance(item, dict):
            return None
        dataset, source = item.get("dataset"), item.get("source")
        if not isinstance(dataset, dict) or not isinstance(source, dict):
            return None
        url = source.get("url")
        if not isinstance(url, str) or not links_here(url):
            return None
        hub_entry = HubEntry(
            index=index,
            dataset_id=str(dataset.get("id", "")),
            task_id=str(dataset.get("task_id", "")),
            value=None,
            raw_value="",
            notes=str(item["notes"]) if item.get("notes") is not None else None,
            source_url=url,
        )
        return next((d.entry for d in outdated if matches(d, hub_entry)), None)

    return pick


def _update_main(
    planned: list[PlannedEntry], state: RepoState, policy: Policy
) -> tuple[list[PlannedEntry], dict[str, str]]:
    """`[policy] update_main`: main's files with their outdated entries updated in place."""
    outdated = [p for p in planned if p.status is Status.OUTDATED_ON_MAIN]
    if not outdated:
        return planned, {}
    pick = outdated_pick([p.desired for p in outdated], policy.links_here)
    edited: dict[str, str] = {}
    failed: dict[int, str] = {}
    for file in state.main_files:
        if file.error or file.unreadable:
            continue
        try:
            text = update_in_place(file.text, pick)
        except MergeError as exc:
            for p in outdated:
                if any(e.path == file.path for e in p.existing):
                    failed[id(p)] = f"cannot update it in {file.path}: {exc}"
            continue
        if text != file.text:
            edited[file.path] = text
    planned = [
        attrs.evolve(p, status=Status.AUDIT_ERROR, reason=failed[id(p)]) if id(p) in failed else p
        for p in planned
    ]
    return planned, edited


def _closes(planned: Sequence[PlannedEntry], ours: PullRequestState) -> bool:
    """Every entry of our PR is withdrawn and nothing is added: the PR is closed."""
    return any(p.status is Status.WITHDRAW for p in planned) and not _kept(planned, ours)


def _kept(planned: Sequence[PlannedEntry], ours: PullRequestState) -> list[PlannedEntry]:
    """The entries our open PR holds after the update: updated or added ones, and those it
    already holds as they are."""
    return [
        p
        for p in planned
        if p.status is Status.UPDATE_PR
        or (
            p.status is Status.PENDING_PR
            and any(e.location == "pr" and e.pr_num == ours.num for e in p.existing)
        )
    ]


def _update_files(
    planned: list[PlannedEntry], state: RepoState | None, ours: PullRequestState
) -> tuple[list[PlannedEntry], tuple[FileChange, ...], tuple[str, ...]]:
    """Our open PR's files after the update: main's file plus every entry it keeps, main's
    file alone where nothing of ours is left, and deleted where it was a new file of ours."""
    assert state is not None
    kept = _kept(planned, ours)
    if not kept:
        return planned, (), ()  # nothing left: the PR is closed
    by_path: dict[str, dict[tuple[str, str, str], EvalEntry]] = {}
    for p in sorted(kept, key=_entry_order):
        by_path.setdefault(p.desired.file_path, {}).setdefault(
            p.desired.entry.key(), p.desired.entry
        )
    touched = {listed.file_path for listed in ours.listed or ()} | set(by_path)
    changes: list[FileChange] = []
    deletes: list[str] = []
    failed: dict[int, str] = {}
    for path in sorted(touched):
        base = state.main_file(path)
        entries = list(by_path.get(path, {}).values())
        if not entries:
            if base is None:
                deletes.append(path)
            else:
                changes.append(_file_change(path, base.text, base.blob_id, 0, None))
            continue
        try:
            merged = merge(base.text if base else None, entries)
        except MergeError as exc:
            for p in kept:
                if p.desired.file_path == path:
                    failed[id(p)] = f"cannot add it to {path}: {exc}"
            continue
        changes.append(
            _file_change(
                path,
                merged.content,
                base.blob_id if base else None,
                len(entries),
                merged.added_span,
            )
        )
    if failed:
        planned = [
            attrs.evolve(p, status=Status.AUDIT_ERROR, reason=failed[id(p)])
            if id(p) in failed
            else p
            for p in planned
        ]
    return planned, tuple(changes), tuple(deletes)


def _file_change(
    path: str,
    content: str,
    base_blob_id: str | None,
    added: int,
    span: tuple[int, int] | None,
) -> FileChange:
    return FileChange(
        path=path,
        content=content,
        sha256=hashlib.sha256(content.encode("utf-8")).hexdigest(),
        base_blob_id=base_blob_id,
        added=added,
        added_span=span,
    )


def _withdrawn(
    ours: PullRequestState,
    desired: Sequence[DesiredEntry],
    in_scope: Callable[[ListedEntry], bool],
) -> list[PlannedEntry]:
    """Entries our open PR lists that no desired entry of this plan wants any more."""
    out = []
    for listed in ours.listed or ():
        item = listed.as_hub_entry(0)
        if any(same_listed(d, item) for d in desired) or not in_scope(listed):
            continue
        gone = DesiredEntry(
            repo_id="",
            benchmark=listed.benchmark,
            file_path=listed.file_path,
            entry=EvalEntry(
                dataset_id=listed.dataset_id,
                task_id=listed.task_id,
                value=listed.value,
                date=listed.date,
                source_url=listed.source_url,
                source_name=SOURCE_NAME,
                notes=listed.notes,
            ),
        )
        out.append(
            PlannedEntry(
                Status.WITHDRAW,
                gone,
                reason=f"our open PR #{ours.num} holds it, and the datastore no longer gives it "
                "(record removed or now skipped, or the model aliased elsewhere): apply removes "
                "it from the PR",
                existing=(
                    Existing(
                        "pr",
                        listed.file_path,
                        listed.value,
                        f"{listed.value:g}",
                        ours.num,
                        ours.url,
                    ),
                ),
            )
        )
    return out


def _files(
    planned: list[PlannedEntry], state: RepoState | None, edited: dict[str, str] | None = None
) -> tuple[list[PlannedEntry], tuple[FileChange, ...]]:
    """Merge the ready entries into their target files; a file that cannot be merged turns its
    entries into `audit_error` (the plan never writes a file it might damage). `edited`: main's
    files with outdated entries updated in place (`[policy] update_main`), merged onto instead."""
    edited = edited or {}
    by_path: dict[str, list[PlannedEntry]] = {path: [] for path in edited}
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
        if not unique:  # only updated in place
            changes.append(
                _file_change(path, edited[path], base.blob_id if base else None, 0, None)
            )
            continue
        try:
            merged = merge(edited.get(path, base.text if base else None), list(unique.values()))
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
