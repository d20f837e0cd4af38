"""Re-read one repo's Hub state and compare it with the plan's preconditions → `RepoCheck`.

The read-only step apply runs before the confirmation prompt (for every action) and again just
before writing (when the first check is old, a PR appeared meanwhile, or after a failed POST).
It never writes. The Hub is the only state two runners of one plan share, so this is also
where a run learns that another one already opened the PR (ours: adopt it; anyone's holding
the same entries: nothing to open).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import attrs
from huggingface_hub.community import DiscussionComment, DiscussionStatusChange
from huggingface_hub.hf_api import RepoFile
from huggingface_hub.utils.sha import git_hash

from eeesync.apply.allowed_writes import (
    Allowed,
    allowed_for,
    held_items,
    kept_problem,
    main_fix,
    plan_problem,
)
from eeesync.apply.journal import ActionRecordSummary
from eeesync.apply.outcome import Outcome
from eeesync.apply.pull_request import content_hash, parse_markers
from eeesync.hub.client import (
    WEB_BASE,
    Hub,
    HubFailure,
    classify,
    describe,
)
from eeesync.hub.evalfile_fetch import FileTooLarge, fetch_capped
from eeesync.hub.identity import whoami
from eeesync.hub.pr_record import parse_entry_list
from eeesync.hub.state import ACTIVE_PR_STATUSES
from eeesync.plan.diff import same_listed
from eeesync.plan.model import Plan, RepoPlan, Status
from eeesync.registry import Registry
from eeesync.text import short_sha


@attrs.frozen
class FoundPR:
    """A PR on the Hub that is this action's (adopt) or already holds its entries (in_pr)."""

    num: int
    url: str
    status: str
    author: str = ""


@attrs.frozen
class RepoCheck:
    """What apply found for one action before writing anything."""

    repo: RepoPlan
    index: int  # position among the plan's PR actions
    #: What the check knows: `PENDING` (nothing in the way: open the PR), or an outcome
    #: reached without writing (stale, adopted, in_pr, already_done, failed: unreadable, refused).
    state: Outcome
    changes: tuple[str, ...] = ()  # stale: what moved, for people
    found: FoundPR | None = None
    error: str = ""  # error: why the repo could not be read; refused: why it is not written
    journal: ActionRecordSummary | None = None
    checked_at: float = 0.0  # time.monotonic() of the Hub reads
    network_error: bool = False
    notes: tuple[str, ...] = ()  # for people: PRs that carry our marker but prove nothing
    seen_prs: tuple[int, ...] = ()  # open/draft PR numbers when checked (re-listed before POST)
    comment_id: str = ""  # an update of our open PR: its description's comment (refreshed)


@attrs.frozen
class CheckContext:
    """What every check of one apply shares: who the token is and what the plan may write."""

    account: str | None  # the token's account (whoami); None: unknown, nothing is adopted
    allowed: Allowed

    @classmethod
    def for_plan(cls, hub: Hub, plan: Plan, registry: Registry) -> CheckContext:
        """`registry`: the configured one, which the plan's entries were mapped with."""
        bases = (hub.web_base, WEB_BASE, hub.endpoint, hub.url)
        return cls(applying_account(hub), allowed_for(plan, registry, bases))


def applying_account(hub: Hub) -> str | None:
    """The account name of the token apply writes with (None when the Hub cannot say)."""
    identity = whoami(hub)
    return identity.name if identity is not None else None


def describe_error(exc: BaseException) -> str:
    """A one-line, token-free description of a failed call (a Hub failure or a bug)."""
    return describe(exc, detail=True)


def check_repo(
    hub: Hub,
    plan: Plan,
    repo: RepoPlan,
    *,
    index: int = 0,
    journal: ActionRecordSummary | None = None,
    context: CheckContext,
) -> RepoCheck:
    """Re-read the repo's Hub state and compare it with the plan's preconditions.

    First the plan's own files are checked (`validate`): a file a plan may not hold is refused
    before any Hub read. Then PRs opened since the plan: one that is provably ours (this
    account, this plan's marker, the planned bytes) is adopted; an open one that already holds
    our entries (anyone's) means there is nothing to open. Otherwise any difference makes the
    action stale, with what changed. The Hub operations retry their reads; a repo that still
    cannot be read has failed this run only (`FAILED`).
    """
    notes: list[str] = []

    def result(state: Outcome, **kw: Any) -> RepoCheck:
        return RepoCheck(
            repo,
            index,
            state,
            journal=journal,
            checked_at=time.monotonic(),
            notes=tuple(notes),
            **kw,
        )

    pre = repo.preconditions
    if pre is None:
        return result(Outcome.FAILED, error="the plan holds no preconditions for this repo")
    problem = plan_problem(repo, context.allowed)
    if problem is not None:
        return result(Outcome.REFUSED, error=problem)
    if repo.direct and context.account != plan.inputs.account:
        return result(
            Outcome.REFUSED,
            error=f"the plan commits to main as {plan.inputs.account}, but this token is "
            f"{context.account or 'unknown'}: re-plan with this token",
        )
    attempted = journal is not None and journal.attempted
    if repo.update_pr:
        return _check_update(hub, plan, repo, context, result)
    try:
        info = hub.model_info(repo.repo_id)
        prs = hub.list_pull_requests(repo.repo_id)
        planned = {p.num: p for p in pre.open_prs}
        active = tuple(sorted(d.num for d in prs if d.status in ACTIVE_PR_STATUSES))
        # Our own PR can only be one the plan did not know. After an attempt it may already
        # be merged or closed, so look at those too (opened since the plan was made).
        candidates = [
            d
            for d in sorted(prs, key=lambda d: d.num)
            if d.num not in planned
            and (
                d.status in ACTIVE_PR_STATUSES or (attempted and _created_after(d, plan.created_at))
            )
        ]
        found = _find_our_pr(hub, plan, repo, candidates, context.account, notes)
        if found is not None:
            return result(Outcome.ADOPTED, found=found, seen_prs=active)
        if plan.inputs.prs_unknown:
            objection = _history_objection(hub, repo, prs, context.account)
            if objection:
                return result(Outcome.REFUSED, error=objection)
        holding = _find_holding_pr(hub, repo, [d for d in candidates if d.num in active])
        if holding is not None:
            return result(Outcome.IN_PR, found=holding, seen_prs=active)
        main_sha = info.sha or ""
        heads = hub.pr_heads(repo.repo_id)
        current = _blob_ids(hub, repo.repo_id, main_sha, [f.path for f in repo.files])
    except Exception as exc:  # every read failure: this repo only, after retries
        kind = classify(exc)
        if kind in (HubFailure.MISSING_REPO, HubFailure.GATED):
            return result(
                Outcome.STALE, changes=("the repo no longer exists (or is no longer readable)",)
            )
        if kind is HubFailure.MISSING_REVISION:
            return result(Outcome.STALE, changes=("main no longer exists",))
        return result(
            Outcome.FAILED,
            error=f"could not re-check the repo: {describe_error(exc)}",
            network_error=kind is HubFailure.UNREACHABLE,
        )
    changes: list[str] = []
    if main_sha != pre.main_sha:
        changes.append(f"main moved {short_sha(pre.main_sha)} → {short_sha(main_sha)}")
    status_now = {d.num: d.status for d in prs}
    for num in active:
        if num not in planned:
            changes.append(f"PR #{num} opened")
    for num, pr in sorted(planned.items()):
        now = status_now.get(num)
        if now not in ACTIVE_PR_STATUSES:
            changes.append(f"PR #{num} {now or 'deleted'}")
        elif heads.get(num, pr.head_sha) != pr.head_sha:
            changes.append(
                f"PR #{num} head moved {short_sha(pr.head_sha)} → {short_sha(heads[num])}"
            )
    planned_blobs = {fb.path: fb.blob_id for fb in pre.file_blobs}
    for change in repo.files:
        expected = planned_blobs.get(change.path, change.base_blob_id)
        now_blob = current.get(change.path)
        if now_blob != expected:
            what = "created" if expected is None else "deleted" if now_blob is None else "changed"
            changes.append(f"{change.path} {what} on main ({_blob(expected)} → {_blob(now_blob)})")
    if changes and repo.direct and _holds_planned_files(repo, current):
        # Our direct commit landed (an interrupted run), or someone made the same one.
        return result(
            Outcome.ADOPTED, changes=("main already holds the planned files",), seen_prs=active
        )
    if changes:
        return result(Outcome.STALE, changes=tuple(changes), seen_prs=active)
    try:
        problem = _kept_problem(hub, repo, main_sha, current, context.allowed)
    except Exception as exc:  # the main file could not be read: this run only
        return result(
            Outcome.FAILED,
            error=f"could not read the file on main: {describe_error(exc)}",
            network_error=classify(exc) is HubFailure.UNREACHABLE,
        )
    if problem is not None:
        return result(Outcome.REFUSED, error=problem)
    return result(Outcome.PENDING, seen_prs=active)


def _blob(blob_id: str | None) -> str:
    """A file's blob for people: `(none)` when the file does not exist."""
    return short_sha(blob_id) or "(none)"


def _check_update(
    hub: Hub,
    plan: Plan,
    repo: RepoPlan,
    context: CheckContext,
    result: Callable[..., RepoCheck],
) -> RepoCheck:
    """An action on our open PR #N: it must still be open at the planned head, on the planned
    main, and provably ours: opened by this token's account with eeesync's marker (a plan made
    without a token could not tell; this is where it is proven). An interrupted run's commit
    (the PR already holds the planned bytes) or close is adopted."""
    pre = repo.preconditions
    assert pre is not None
    num = repo.update_pr
    planned = next((p for p in pre.open_prs if p.num == num), None)
    if planned is None:
        return result(Outcome.REFUSED, error=f"the plan does not list PR #{num} as open")
    try:
        info = hub.model_info(repo.repo_id)
        details = hub.get_discussion_details(repo.repo_id, num)
        heads = hub.pr_heads(repo.repo_id)
    except Exception as exc:
        kind = classify(exc)
        if kind in (HubFailure.MISSING_REPO, HubFailure.GATED, HubFailure.MISSING_ENTRY):
            return result(Outcome.STALE, changes=(f"PR #{num} or the repo is gone",))
        return result(
            Outcome.FAILED,
            error=f"could not re-check the repo: {describe_error(exc)}",
            network_error=kind is HubFailure.UNREACHABLE,
        )
    comments = [e for e in details.events if isinstance(e, DiscussionComment)]
    first = comments[0] if comments else None
    if context.account is None or details.author != context.account:
        who = context.account or "unknown (no whoami answer)"
        return result(
            Outcome.REFUSED,
            error=f"PR #{num} was opened by {details.author}, and this token is {who}: "
            "eeesync only changes its own PRs",
        )
    if first is None or not parse_markers(first.content or ""):
        return result(
            Outcome.REFUSED, error=f"PR #{num} carries no eeesync marker: not ours to change"
        )
    url = hub.pr_url(repo.repo_id, num)
    found = FoundPR(num, url, details.status, details.author)
    if repo.close_pr and details.status == "closed":
        return result(Outcome.ADOPTED, found=found)
    if details.status not in ACTIVE_PR_STATUSES:
        return result(Outcome.STALE, changes=(f"PR #{num} {details.status}",))
    head = heads.get(num, "")
    if head != planned.head_sha:
        if repo.files and _pr_files_equal(hub, repo, num):
            return result(Outcome.ADOPTED, found=found)  # an interrupted run's commit
        return result(
            Outcome.STALE,
            changes=(f"PR #{num} head moved {short_sha(planned.head_sha)} → {short_sha(head)}",),
        )
    changes: list[str] = []
    if (info.sha or "") != pre.main_sha:
        changes.append(f"main moved {short_sha(pre.main_sha)} → {short_sha(info.sha)}")
    if changes:
        return result(Outcome.STALE, changes=tuple(changes))
    try:
        current = _blob_ids(hub, repo.repo_id, pre.main_sha, [f.path for f in repo.files])
        problem = _kept_problem(hub, repo, pre.main_sha, current, context.allowed)
    except Exception as exc:
        return result(
            Outcome.FAILED,
            error=f"could not read the file on main: {describe_error(exc)}",
            network_error=classify(exc) is HubFailure.UNREACHABLE,
        )
    if problem is not None:
        return result(Outcome.REFUSED, error=problem)
    return result(Outcome.PENDING, found=found, comment_id=first.id)


def _history_objection(hub: Hub, repo: RepoPlan, prs: Sequence[Any], account: str | None) -> str:
    """A plan made without a token could not tell which PRs are ours: what this token's own
    PRs say against opening this one ("" = nothing). An open PR of ours means an update, not a
    second PR; a merged one whose entry is gone, or one the author closed, means the author
    decided. Either way: re-plan with the token."""
    if account is None:
        return "the plan could not tell which PRs are ours, and neither can this token: re-plan"
    planned = [e.desired for e in repo.entries if e.status is Status.READY]
    for d in sorted(prs, key=lambda d: d.num):
        if d.author != account:
            continue
        details = hub.get_discussion_details(repo.repo_id, d.num)
        comments = [e for e in details.events if isinstance(e, DiscussionComment)]
        body = comments[0].content if comments else ""
        listed = parse_entry_list(body or "") if parse_markers(body or "") else None
        if listed is None:
            continue
        if d.status in ACTIVE_PR_STATUSES:
            return f"our PR #{d.num} is open: re-plan with the token to update it instead"
        changes = [e for e in details.events if isinstance(e, DiscussionStatusChange)]
        closed_by_us = bool(changes) and changes[-1].author == account
        if d.status == "closed" and closed_by_us:
            continue
        held = [x for x in listed for p in planned if same_listed(p, x.as_hub_entry(0))]
        if held:
            what = "merged (the author removed it since)" if d.status == "merged" else "closed"
            return (
                f"our PR #{d.num} held {held[0].dataset_id} {held[0].task_id} and was {what}: "
                "re-plan with the token"
            )
    return ""


def _holds_planned_files(repo: RepoPlan, current: dict[str, str]) -> bool:
    """Every planned file is on main byte for byte (blob ids compared)."""
    return all(current.get(f.path) == git_hash(f.content.encode("utf-8")) for f in repo.files)


def _kept_problem(
    hub: Hub, repo: RepoPlan, main_sha: str, current: dict[str, str], allowed: Allowed
) -> str | None:
    """Main's bytes now must be the kept part of each file (whatever blob the plan names)."""
    for change in repo.files:
        now_blob = current.get(change.path)
        if now_blob != change.base_blob_id:
            # A plan that says "new file" while main has one would replace other people's
            # entries: never merge onto anything but the blob that is on main.
            return (
                f"{change.path}: the plan merges onto {_blob(change.base_blob_id)}, "
                f"main holds {_blob(now_blob)}"
            )
        text: str | None = None
        if now_blob is not None:
            data = fetch_capped(hub, repo.repo_id, change.path, main_sha)
            if git_hash(data) != now_blob:
                return f"{change.path}: the file read from main is not blob {short_sha(now_blob)}"
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                return f"{change.path}: the file on main is not UTF-8 text"
        problem = kept_problem(change, text, main_fix(repo, allowed))
        if problem is not None:
            return problem
    return None


def list_active_prs(hub: Hub, repo_id: str) -> tuple[int, ...]:
    """The numbers of the repo's open and draft PRs now (one listing, retried)."""
    return tuple(
        sorted(d.num for d in hub.list_pull_requests(repo_id) if d.status in ACTIVE_PR_STATUSES)
    )


def twin_of(hub: Hub, repo: RepoPlan, num: int, account: str | None) -> FoundPR | None:
    """After opening PR #num: the lowest-numbered *other* open PR by this account that holds
    exactly the same files (a concurrent run's), if it has a lower number than ours."""
    if account is None:
        return None
    for d in sorted(hub.list_pull_requests(repo.repo_id), key=lambda d: d.num):
        if d.num >= num:
            break
        if (
            d.status in ACTIVE_PR_STATUSES
            and d.author == account
            and _pr_files_equal(hub, repo, d.num)
        ):
            return FoundPR(d.num, hub.pr_url(repo.repo_id, d.num), d.status, d.author)
    return None


# --- Hub reads ---------------------------------------------------------------------------------


def _blob_ids(hub: Hub, repo_id: str, revision: str, paths: Sequence[str]) -> dict[str, str]:
    """path → blob id at `revision` for those of `paths` that exist (one paths-info call).

    `get_paths_info` rather than a tree listing: it asks for exactly the target files, and it
    is retried by our policy (honouring `Retry-After`) instead of huggingface_hub's fixed waits.
    """
    items = hub.get_paths_info(repo_id, paths, revision=revision)
    return {item.path: item.blob_id for item in items if isinstance(item, RepoFile)}


def _find_our_pr(
    hub: Hub,
    plan: Plan,
    repo: RepoPlan,
    candidates: Sequence[Any],
    account: str | None,
    notes: list[str],
) -> FoundPR | None:
    """The first candidate PR that is provably this action's: opened by this account, its
    description carries this plan's marker for this action, and its files are the planned
    bytes. A marker anywhere else (another account's PR, a comment) proves nothing: noted."""
    content = content_hash(repo)
    for discussion in candidates:
        details = hub.get_discussion_details(repo.repo_id, discussion.num)
        comments = [e for e in details.events if isinstance(e, DiscussionComment)]
        ours = [
            i
            for i, event in enumerate(comments)
            for marker in parse_markers(event.content or "")
            if marker.plan == plan.digest
            and marker.action == repo.action_id
            and marker.content == content
        ]
        if not ours:
            continue
        num = discussion.num
        if ours[0] != 0 or comments[0].author != details.author:
            notes.append(f"a comment on PR #{num} carries this plan's marker: ignored")
        elif account is None:
            notes.append(
                f"PR #{num} carries this plan's marker, but the token's account is unknown "
                "(no whoami answer): not adopted"
            )
        elif details.author != account:
            notes.append(
                f"PR #{num} carries this plan's marker but was opened by {details.author}, "
                f"not {account}: ignored"
            )
        elif not _pr_files_equal(hub, repo, num):
            notes.append(
                f"PR #{num} carries this plan's marker but its files are not the planned "
                "bytes: ignored"
            )
        else:
            return FoundPR(num, hub.pr_url(repo.repo_id, num), details.status, details.author)
    return None


def _find_holding_pr(hub: Hub, repo: RepoPlan, candidates: Sequence[Any]) -> FoundPR | None:
    """The lowest-numbered open PR (anyone's) whose files already hold every entry we add."""
    for discussion in candidates:
        if _pr_holds_entries(hub, repo, discussion.num):
            return FoundPR(
                discussion.num,
                hub.pr_url(repo.repo_id, discussion.num),
                discussion.status,
                discussion.author,
            )
    return None


def _pr_file(hub: Hub, repo: RepoPlan, num: int, path: str) -> bytes | None:
    """The file at `refs/pr/num` (None: not there)."""
    try:
        data: bytes = fetch_capped(hub, repo.repo_id, path, f"refs/pr/{num}")
        return data
    except FileTooLarge:  # larger than any file a plan writes: neither ours nor holding ours
        return None
    except Exception as exc:
        if classify(exc) in (HubFailure.MISSING_ENTRY, HubFailure.MISSING_REVISION):
            return None
        raise


def _pr_files_equal(hub: Hub, repo: RepoPlan, num: int) -> bool:
    """Every planned file is byte-identical at `refs/pr/num`."""
    return all(
        _pr_file(hub, repo, num, change.path) == change.content.encode("utf-8")
        for change in repo.files
    )


def _pr_holds_entries(hub: Hub, repo: RepoPlan, num: int) -> bool:
    """Every entry this action adds is an item of the same file at `refs/pr/num`."""
    for change in repo.files:
        data = _pr_file(hub, repo, num, change.path)
        if data is None:
            return False
        if data == change.content.encode("utf-8"):
            continue
        if not held_items(change, data):
            return False
    return True


def _created_after(discussion: Any, iso: str) -> bool:
    try:
        since = datetime.fromisoformat(iso.replace("Z", "+00:00"))
        created: datetime = discussion.created_at
        return created.timestamp() >= since.timestamp() - 300  # clock skew margin
    except (TypeError, ValueError, AttributeError):
        return True  # unknown: look at it rather than miss our own PR
