"""Re-read one repo's Hub state and compare it with the plan's preconditions → `RepoCheck`.

The read-only step apply runs before the confirmation prompt (for every action) and again just
before writing (when the first check is old, or after a failed POST). It never writes.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import attrs
from huggingface_hub.community import DiscussionComment
from huggingface_hub.hf_api import RepoFile

from eeesync.apply.journal import ActionRecordSummary
from eeesync.apply.pull_request import content_hash, parse_markers, short_sha
from eeesync.hub.client import Hub, HubFailure, classify, describe
from eeesync.hub.state import ACTIVE_PR_STATUSES
from eeesync.plan.model import Plan, RepoPlan


class CheckState(enum.StrEnum):
    READY = "ready"  # preconditions hold: open the PR
    STALE = "stale"  # the repo moved since the plan: skip, re-plan
    ADOPT = "adopt"  # a PR with this action's marker already exists: record it
    DONE = "done"  # the journal already records a PR (or a no-op) for it
    ERROR = "error"  # the repo could not be read: skip this run


@attrs.frozen
class FoundPR:
    """A PR on the Hub that carries this action's marker."""

    num: int
    url: str
    status: str


@attrs.frozen
class RepoCheck:
    """What apply found for one action before writing anything."""

    repo: RepoPlan
    index: int  # position among the plan's PR actions
    state: CheckState
    changes: tuple[str, ...] = ()  # stale: what moved, for people
    found: FoundPR | None = None
    error: str = ""
    journal: ActionRecordSummary | None = None
    checked_at: float = 0.0  # time.monotonic() of the Hub reads
    network_error: bool = False


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
) -> RepoCheck:
    """Re-read the repo's Hub state and compare it with the plan's preconditions.

    A PR carrying this action's marker wins over everything (it is ours: adopt it, never open
    a second). Otherwise any difference makes the action stale, with what changed. Reads retry
    through `Hub.call`; a repo that still cannot be read is an `ERROR` for this run only.
    """

    def result(state: CheckState, **kw: Any) -> RepoCheck:
        return RepoCheck(repo, index, state, journal=journal, checked_at=time.monotonic(), **kw)

    pre = repo.preconditions
    if pre is None:
        return result(CheckState.ERROR, error="the plan holds no preconditions for this repo")
    attempted = journal is not None and journal.attempted
    try:
        info = hub.call(hub.api.model_info, repo.repo_id)
        prs = _list_prs(hub, repo.repo_id)
        planned = {p.num: p for p in pre.open_prs}
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
        found = _find_marked_pr(hub, repo, candidates)
        if found is not None:
            return result(CheckState.ADOPT, found=found)
        main_sha = info.sha or ""
        heads = _pr_heads(hub, repo.repo_id)
        current = _blob_ids(hub, repo.repo_id, main_sha, [f.path for f in repo.files])
    except Exception as exc:  # every read failure: this repo only, after retries
        kind = classify(exc)
        if kind in (HubFailure.MISSING_REPO, HubFailure.GATED):
            return result(
                CheckState.STALE, changes=("the repo no longer exists (or is no longer readable)",)
            )
        if kind is HubFailure.MISSING_REVISION:
            return result(CheckState.STALE, changes=("main no longer exists",))
        return result(
            CheckState.ERROR,
            error=f"could not re-check the repo: {describe_error(exc)}",
            network_error=kind is HubFailure.UNREACHABLE,
        )
    changes: list[str] = []
    if main_sha != pre.main_sha:
        changes.append(f"main moved {short_sha(pre.main_sha)} → {short_sha(main_sha)}")
    status_now = {d.num: d.status for d in prs}
    for num in sorted(n for n, s in status_now.items() if s in ACTIVE_PR_STATUSES):
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
            changes.append(
                f"{change.path} {what} on main ({short_sha(expected)} → {short_sha(now_blob)})"
            )
    if changes:
        return result(CheckState.STALE, changes=tuple(changes))
    return result(CheckState.READY)


# --- Hub reads ---------------------------------------------------------------------------------


def _list_prs(hub: Hub, repo_id: str) -> list[Any]:
    # status "all", filtered here: whether the Hub's "open" includes drafts is unverified.
    return hub.call(
        lambda: list(
            hub.api.get_repo_discussions(
                repo_id, discussion_type="pull_request", discussion_status="all"
            )
        )
    )


def _pr_heads(hub: Hub, repo_id: str) -> dict[int, str]:
    """PR number → head commit, from the `refs/pr/N` refs."""
    refs = hub.call(hub.api.list_repo_refs, repo_id, include_pull_requests=True)
    heads: dict[int, str] = {}
    for ref in refs.pull_requests or []:
        tail = ref.ref.rsplit("/", 1)[-1]
        if ref.ref.startswith("refs/pr/") and tail.isdigit():
            heads[int(tail)] = ref.target_commit
    return heads


def _blob_ids(hub: Hub, repo_id: str, revision: str, paths: Sequence[str]) -> dict[str, str]:
    """path → blob id at `revision` for those of `paths` that exist (one paths-info call).

    `get_paths_info` rather than a tree listing: it asks for exactly the target files, and it
    is retried by our policy (honouring `Retry-After`) instead of huggingface_hub's fixed waits.
    """
    items = hub.call(hub.api.get_paths_info, repo_id, list(paths), revision=revision)
    return {item.path: item.blob_id for item in items if isinstance(item, RepoFile)}


def _find_marked_pr(hub: Hub, repo: RepoPlan, candidates: Sequence[Any]) -> FoundPR | None:
    """The first candidate PR whose description carries this action's marker and content."""
    content = content_hash(repo)
    for discussion in candidates:
        details = hub.call(hub.api.get_discussion_details, repo.repo_id, discussion.num)
        for event in details.events:
            if not isinstance(event, DiscussionComment):
                continue
            for marker in parse_markers(event.content or ""):
                if marker.action == repo.action_id and marker.content == content:
                    return FoundPR(
                        discussion.num, hub.pr_url(repo.repo_id, discussion.num), details.status
                    )
    return None


def _created_after(discussion: Any, iso: str) -> bool:
    try:
        since = datetime.fromisoformat(iso.replace("Z", "+00:00"))
        created: datetime = discussion.created_at
        return created.timestamp() >= since.timestamp() - 300  # clock skew margin
    except (TypeError, ValueError, AttributeError):
        return True  # unknown: look at it rather than miss our own PR
