"""Apply a verified plan: re-check each repo on the Hub, then open one PR per repo, journaled.

The last stage of the pipeline (DESIGN §6). `prepare_apply` is read-only: it folds the journal,
re-reads every repo's preconditions (main sha, open/draft PRs and their heads, target blob ids)
and finds PRs an interrupted run may already have opened (by the marker in their
description). The CLI shows that preview and asks for `OPEN PRS`; only then `apply_plan`
writes: for each action an `intent` line, the single PR-creating POST (never retried blindly:
after a failure it reconciles against the Hub first), and a `result` line.
Apply decides only from the action, the preconditions and the bytes, never from `reason` texts.
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
import os
import random
import re
import signal
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import attrs
from huggingface_hub import CommitOperationAdd
from huggingface_hub.community import DiscussionComment
from huggingface_hub.errors import (
    HfHubHTTPError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.hf_api import RepoFile

from eeesync import __version__
from eeesync.apply.journal import (
    ActionRecordSummary,
    ActionState,
    Event,
    JournalRecord,
    JournalWriter,
    Outcome,
    current_actor,
    journal_path,
    now_iso,
    read_journal,
    summarize,
)
from eeesync.errors import PlanFileError
from eeesync.hub.client import NETWORK_ERRORS, Hub, is_retryable, retry_after_seconds
from eeesync.plan.model import Plan, RepoPlan, Status

#: The phrase a person types to approve opening PRs (exact, case-sensitive).
CONFIRM_PHRASE = "OPEN PRS"
DEFAULT_PARALLELISM = 4
#: PR-creating POSTs per action and run; each retry comes only after a reconciliation.
DEFAULT_POST_ATTEMPTS = 5
#: A precondition check older than this (the user sat at the prompt) is redone before writing.
DEFAULT_RECHECK_AFTER = 60.0
CRASH_PHASES = ("before_intent", "after_intent", "after_post", "after_result")
_MARKER_RE = re.compile(
    r"<!-- eeesync:marker plan=(?P<plan>\S+) action=(?P<action>\S+) content=(?P<content>\S+) -->"
)
_OPEN_STATUSES = frozenset({"open", "draft"})


# --- Small values --------------------------------------------------------------------------------


@attrs.frozen
class CrashPoint:
    """Test-only: kill this process at `phase` of the action with plan index `index`."""

    phase: str
    index: int
    signum: int = signal.SIGKILL

    @classmethod
    def parse(cls, text: str) -> CrashPoint:
        """`"after_intent:3"` (SIGKILL) or `"after_intent:3:int"` (SIGINT, a Ctrl-C)."""
        parts = text.split(":")
        if len(parts) not in (2, 3) or parts[0] not in CRASH_PHASES or not parts[1].isdigit():
            raise ValueError(f"bad crash point {text!r}: want PHASE:INDEX[:int]")
        signum = signal.SIGINT if len(parts) == 3 and parts[2] == "int" else signal.SIGKILL
        return cls(parts[0], int(parts[1]), signum)


@attrs.frozen
class Marker:
    """The machine marker in a PR description: which plan, action and content opened it."""

    plan: str
    action: str
    content: str

    def render(self) -> str:
        # Quoted so an action id can never break the one-line comment or the regex.
        action = quote(self.action, safe="/:@._-+=")
        return f"<!-- eeesync:marker plan={self.plan} action={action} content={self.content} -->"


def parse_markers(text: str) -> list[Marker]:
    """Every eeesync marker in a PR description."""
    return [
        Marker(m.group("plan"), unquote(m.group("action")), m.group("content"))
        for m in _MARKER_RE.finditer(text)
    ]


def content_hash(repo: RepoPlan) -> str:
    """sha256 over the action's files (path + content sha256, sorted): the marker's content."""
    digest = hashlib.sha256()
    for change in sorted(repo.files, key=lambda f: f.path):
        file_sha = hashlib.sha256(change.content.encode("utf-8")).hexdigest()
        digest.update(f"{change.path}\0{file_sha}\n".encode())
    return digest.hexdigest()


def short(sha: str | None) -> str:
    return sha[:7] if sha else "(none)"


def action_repos(plan: Plan) -> list[RepoPlan]:
    """The repos that open a PR, in plan order (a repo's position is its crash-test index)."""
    return [repo for repo in plan.repos if repo.opens_pr]


def check_endpoint(plan: Plan, endpoint: str, *, source: str = "plan") -> None:
    """Refuse a plan made for another Hub than the configured one."""
    if plan.inputs.endpoint.rstrip("/") != endpoint.rstrip("/"):
        raise PlanFileError(
            f"{source} was made for the Hub at {plan.inputs.endpoint}, but the configured "
            f"endpoint is {endpoint}",
            hint=(
                "Apply it with the same [hub] endpoint (or HF_ENDPOINT) it was planned with, "
                "or run `eeesync plan` against this endpoint."
            ),
        )


def refresh_command(plan: Plan) -> str:
    """The `eeesync plan …` command that recomputes this plan from fresh Hub state."""
    parts = ["eeesync", "plan", *plan.inputs.collections]
    if plan.inputs.model_filter:
        parts += ["--model", _shell_quote(plan.inputs.model_filter)]
    for key in plan.inputs.benchmark_filter:
        parts += ["--benchmark", _shell_quote(key)]
    return " ".join(parts)


def _shell_quote(value: str) -> str:
    return value if re.fullmatch(r"[A-Za-z0-9_./:@=+-]+", value) else "'" + value + "'"


def describe_error(exc: BaseException) -> str:
    """A one-line, token-free description of a failed Hub call."""
    if isinstance(exc, HfHubHTTPError) and exc.response is not None:
        detail = exc.server_message or str(exc).splitlines()[0]
        return f"HTTP {exc.response.status_code}: {detail}".strip()
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}".strip().rstrip(":")


# --- The PR description ------------------------------------------------------------------------


def _cell(value: object) -> str:
    return str(value).replace("\n", " ").replace("|", "\\|")


def pr_description(plan: Plan, repo: RepoPlan) -> str:
    """The PR body: every entry added with its datastore source, then the machine marker."""
    ready = [e for e in repo.entries if e.status is Status.READY]
    lines = [
        f"Adds {len(ready)} evaluation result(s) from the Every Eval Ever datastore "
        "as Community Evals entries. Entries already in these files are kept unchanged.",
        "",
        "| File | Dataset | Task | Value | Notes | Source |",
        "|---|---|---|---|---|---|",
    ]
    for planned in sorted(ready, key=lambda e: (e.desired.file_path, e.desired.entry.key())):
        entry = planned.desired.entry
        source = entry.source_url or (
            planned.desired.provenance.source_url if planned.desired.provenance else ""
        )
        link = f"[record]({source})" if source else ""
        lines.append(
            f"| `{_cell(planned.desired.file_path)}` | {_cell(entry.dataset_id)} "
            f"| {_cell(entry.task_id)} | {entry.value:g} | {_cell(entry.notes or '')} | {link} |"
        )
    lines += [
        "",
        f"Files: {', '.join(f'`{f.path}`' for f in repo.files)}.",
        f"Opened by eeesync {__version__} from plan `{plan.digest}` "
        f"(datastore {plan.inputs.datastore_repo}@{short(plan.inputs.datastore_revision)}).",
        "",
        Marker(plan.digest, repo.action_id, content_hash(repo)).render(),
    ]
    return "\n".join(lines) + "\n"


# --- Checking one repo against its preconditions ----------------------------------------------


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


def _pr_nums_to_heads(hub: Hub, repo_id: str) -> dict[int, str]:
    refs = hub.call(hub.api.list_repo_refs, repo_id, include_pull_requests=True)
    heads: dict[int, str] = {}
    for ref in refs.pull_requests or []:
        tail = ref.ref.rsplit("/", 1)[-1]
        if ref.ref.startswith("refs/pr/") and tail.isdigit():
            heads[int(tail)] = ref.target_commit
    return heads


def _list_prs(hub: Hub, repo_id: str) -> list[Any]:
    # status "all", filtered here: whether the Hub's "open" includes drafts is unverified.
    return hub.call(
        lambda: list(
            hub.api.get_repo_discussions(
                repo_id, discussion_type="pull_request", discussion_status="all"
            )
        )
    )


def _blob_ids(hub: Hub, repo_id: str, revision: str, paths: Sequence[str]) -> dict[str, str]:
    """path → blob id at `revision` for those of `paths` that exist (one paths-info call).

    `get_paths_info` rather than a tree listing: it asks for exactly the target files, and it
    is retried by our policy (honouring `Retry-After`) instead of huggingface_hub's fixed waits.
    """
    items = hub.call(hub.api.get_paths_info, repo_id, list(paths), revision=revision)
    return {item.path: item.blob_id for item in items if isinstance(item, RepoFile)}


def _find_marked_pr(
    hub: Hub, plan: Plan, repo: RepoPlan, candidates: Sequence[Any]
) -> FoundPR | None:
    """The first candidate PR whose description carries this action's marker and content."""
    content = content_hash(repo)
    for discussion in candidates:
        details = hub.call(hub.api.get_discussion_details, repo.repo_id, discussion.num)
        for event in details.events:
            if not isinstance(event, DiscussionComment):
                continue
            for marker in parse_markers(event.content or ""):
                if marker.action == repo.action_id and marker.content == content:
                    return FoundPR(discussion.num, details.url, details.status)
    return None


def _created_after(discussion: Any, iso: str) -> bool:
    try:
        since = datetime.fromisoformat(iso.replace("Z", "+00:00"))
        created: datetime = discussion.created_at
        return created.timestamp() >= since.timestamp() - 300  # clock skew margin
    except (TypeError, ValueError, AttributeError):
        return True  # unknown: look at it rather than miss our own PR


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
            and (d.status in _OPEN_STATUSES or (attempted and _created_after(d, plan.created_at)))
        ]
        found = _find_marked_pr(hub, plan, repo, candidates)
        if found is not None:
            return result(CheckState.ADOPT, found=found)
        main_sha = info.sha or ""
        heads = _pr_nums_to_heads(hub, repo.repo_id)
        current = _blob_ids(hub, repo.repo_id, main_sha, [f.path for f in repo.files])
    except RepositoryNotFoundError:
        return result(
            CheckState.STALE, changes=("the repo no longer exists (or is no longer readable)",)
        )
    except RevisionNotFoundError:
        return result(CheckState.STALE, changes=("main no longer exists",))
    except Exception as exc:  # every other read failure: this repo only, after retries
        return result(
            CheckState.ERROR,
            error=f"could not re-check the repo: {describe_error(exc)}",
            network_error=isinstance(exc, NETWORK_ERRORS),
        )
    changes: list[str] = []
    if main_sha != pre.main_sha:
        changes.append(f"main moved {short(pre.main_sha)} → {short(main_sha)}")
    status_now = {d.num: d.status for d in prs}
    for num in sorted(n for n, s in status_now.items() if s in _OPEN_STATUSES):
        if num not in planned:
            changes.append(f"PR #{num} opened")
    for num, pr in sorted(planned.items()):
        now = status_now.get(num)
        if now not in _OPEN_STATUSES:
            changes.append(f"PR #{num} {now or 'deleted'}")
        elif heads.get(num, pr.head_sha) != pr.head_sha:
            changes.append(f"PR #{num} head moved {short(pr.head_sha)} → {short(heads[num])}")
    planned_blobs = {fb.path: fb.blob_id for fb in pre.file_blobs}
    for change in repo.files:
        expected = planned_blobs.get(change.path, change.base_blob_id)
        now_blob = current.get(change.path)
        if now_blob != expected:
            what = "created" if expected is None else "deleted" if now_blob is None else "changed"
            changes.append(f"{change.path} {what} on main ({short(expected)} → {short(now_blob)})")
    if changes:
        return result(CheckState.STALE, changes=tuple(changes))
    return result(CheckState.READY)


# --- Preview (read-only) -----------------------------------------------------------------------


@attrs.frozen
class Preview:
    """Everything apply knows before asking for confirmation. Nothing has been written."""

    plan: Plan
    plan_path: Path
    checks: tuple[RepoCheck, ...]

    def in_state(self, state: CheckState) -> list[RepoCheck]:
        return [c for c in self.checks if c.state is state]

    @property
    def to_open(self) -> list[RepoCheck]:
        return self.in_state(CheckState.READY)

    @property
    def needs_approval(self) -> bool:
        """Something would be written: a PR opened or a found PR recorded."""
        return bool(self.to_open or self.in_state(CheckState.ADOPT))


def prepare_apply(
    hub: Hub,
    plan: Plan,
    plan_path: Path,
    *,
    parallelism: int = DEFAULT_PARALLELISM,
) -> Preview:
    """Fold the journal and re-check every PR action that is not done yet. Writes nothing."""
    summaries = summarize(read_journal(journal_path(plan_path)), plan.digest)
    repos = action_repos(plan)
    checks: list[RepoCheck | None] = [None] * len(repos)
    todo: list[tuple[int, RepoPlan]] = []
    for index, repo in enumerate(repos):
        summary = summaries.get(repo.action_id)
        if summary is not None and summary.state in (ActionState.DONE, ActionState.NOOP):
            checks[index] = RepoCheck(repo, index, CheckState.DONE, journal=summary)
        else:
            todo.append((index, repo))
    with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
        futures = {
            index: pool.submit(
                check_repo, hub, plan, repo, index=index, journal=summaries.get(repo.action_id)
            )
            for index, repo in todo
        }
        for index, future in futures.items():
            checks[index] = future.result()
    done = [c for c in checks if c is not None]
    return Preview(plan, plan_path, tuple(done))


def hub_unreachable(preview: Preview) -> bool:
    """Every check failed on the network: the Hub is down, not the repos."""
    checked = [c for c in preview.checks if c.state is not CheckState.DONE]
    return bool(checked) and all(c.network_error for c in checked)


# --- Applying ----------------------------------------------------------------------------------


class ResultState(enum.StrEnum):
    """How one action ended in a run (the apply report)."""

    OPENED = "opened"  # a PR was opened in this run
    ADOPTED = "adopted"  # an existing PR with its marker was recorded
    ALREADY_DONE = "already_done"  # the journal already recorded it (rerun)
    NOOP = "noop"  # the Hub answered the commit as a no-op
    STALE = "stale"
    FAILED = "failed"
    PENDING = "pending"  # not attempted: --max-prs reached or interrupted


@attrs.frozen
class ActionResult:
    repo_id: str
    action_id: str
    state: ResultState
    pr_num: int | None = None
    pr_url: str | None = None
    commit_oid: str | None = None
    error: str = ""
    changes: tuple[str, ...] = ()


@attrs.frozen
class ApplyEvent:
    """A progress event (for the terminal view and `--json`)."""

    kind: str  # "apply_start" | "apply_complete" | "apply_errored" | "stale" | "skipped"
    repo_id: str
    action_id: str
    result: ActionResult | None = None
    attempt: int = 0


@attrs.frozen
class ApplyOptions:
    message: str  # the PR title (commit message), confirmed by the user
    parallelism: int = DEFAULT_PARALLELISM
    max_prs: int | None = None
    post_attempts: int = DEFAULT_POST_ATTEMPTS
    recheck_after: float = DEFAULT_RECHECK_AFTER
    crash_at: CrashPoint | None = None  # test-only


@attrs.frozen
class ApplyReport:
    plan: Plan
    results: tuple[ActionResult, ...]
    interrupted: bool = False

    def of(self, state: ResultState) -> list[ActionResult]:
        return [r for r in self.results if r.state is state]

    @property
    def counts(self) -> dict[str, int]:
        return {s.value: len(self.of(s)) for s in ResultState}

    @property
    def ok(self) -> bool:
        """Nothing stale, failed or unexpectedly a no-op (pending by --max-prs is fine)."""
        bad = (ResultState.STALE, ResultState.FAILED, ResultState.NOOP)
        return not any(r.state in bad for r in self.results)


class _Run:
    """One approved apply: the shared state of its worker threads."""

    def __init__(
        self,
        hub: Hub,
        preview: Preview,
        journal: JournalWriter,
        options: ApplyOptions,
        on_event: Callable[[ApplyEvent], None],
        stop: threading.Event,
    ) -> None:
        self.hub, self.plan, self.journal = hub, preview.plan, journal
        self.options, self.on_event, self.stop = options, on_event, stop
        self.actor = current_actor()
        self._slots_lock = threading.Lock()
        self._slots_used = 0

    # journal helpers ------------------------------------------------------------------------

    def record(self, event: Event, repo: RepoPlan, **kw: Any) -> None:
        self.journal.append(
            JournalRecord(
                event=event,
                plan_digest=self.plan.digest,
                ts=now_iso(),
                actor=self.actor,
                action_id=repo.action_id,
                repo_id=repo.repo_id,
                content_sha256=content_hash(repo),
                parent_commit=repo.preconditions.main_sha if repo.preconditions else "",
                **kw,
            )
        )

    def crash(self, phase: str, index: int) -> None:
        point = self.options.crash_at
        if point is not None and point.phase == phase and point.index == index:
            os.kill(os.getpid(), point.signum)
            if point.signum == signal.SIGINT:
                return
            time.sleep(60)  # pragma: no cover - SIGKILL does not return

    def take_slot(self) -> bool:
        """Reserve one of the run's `--max-prs` PR creations (an attempt uses it up)."""
        with self._slots_lock:
            cap = self.options.max_prs
            if cap is not None and self._slots_used >= cap:
                return False
            self._slots_used += 1
            return True

    def finish(self, repo: RepoPlan, result: ActionResult) -> ActionResult:
        kind = {
            ResultState.FAILED: "apply_errored",
            ResultState.STALE: "stale",
            ResultState.PENDING: "skipped",
        }.get(result.state, "apply_complete")
        self.on_event(ApplyEvent(kind, repo.repo_id, repo.action_id, result))
        return result

    # one action ---------------------------------------------------------------------------

    def run_action(self, check: RepoCheck) -> ActionResult:
        repo = check.repo
        if check.state is CheckState.DONE:
            last = check.journal.last if check.journal else None
            state = (
                ResultState.NOOP
                if check.journal and check.journal.state is ActionState.NOOP
                else ResultState.ALREADY_DONE
            )
            return ActionResult(
                repo.repo_id,
                repo.action_id,
                state,
                pr_num=last.pr_num if last else None,
                pr_url=last.pr_url if last else None,
                commit_oid=last.commit_oid if last else None,
            )
        if self.stop.is_set():
            return self.finish(
                repo, ActionResult(repo.repo_id, repo.action_id, ResultState.PENDING)
            )
        if time.monotonic() - check.checked_at > self.options.recheck_after:
            check = check_repo(self.hub, self.plan, repo, index=check.index, journal=check.journal)
        return self.settle(check, attempt=0)

    def settle(self, check: RepoCheck, *, attempt: int) -> ActionResult:
        """Act on a (fresh) check: adopt, skip as stale/error, or open the PR."""
        repo = check.repo
        if check.state is CheckState.ADOPT and check.found is not None:
            found = check.found
            self.record(
                Event.RESULT,
                repo,
                outcome=Outcome.ADOPTED,
                pr_num=found.num,
                pr_url=found.url,
                attempt=attempt,
            )
            return self.finish(
                repo,
                ActionResult(
                    repo.repo_id, repo.action_id, ResultState.ADOPTED, found.num, found.url
                ),
            )
        if check.state is CheckState.STALE:
            self.record(Event.SKIP, repo, outcome=Outcome.STALE, changes=check.changes)
            return self.finish(
                repo,
                ActionResult(
                    repo.repo_id, repo.action_id, ResultState.STALE, changes=check.changes
                ),
            )
        if check.state is CheckState.ERROR:
            self.record(Event.SKIP, repo, outcome=Outcome.FAILED, error=check.error)
            return self.finish(
                repo,
                ActionResult(repo.repo_id, repo.action_id, ResultState.FAILED, error=check.error),
            )
        if attempt == 0 and not self.take_slot():
            return self.finish(
                repo, ActionResult(repo.repo_id, repo.action_id, ResultState.PENDING)
            )
        return self.open_pr(check, attempt=attempt + 1)

    def open_pr(self, check: RepoCheck, *, attempt: int) -> ActionResult:
        repo = check.repo
        assert repo.preconditions is not None  # READY implies preconditions were checked
        for change in repo.files:
            if hashlib.sha256(change.content.encode("utf-8")).hexdigest() != change.sha256:
                error = f"{change.path}: content does not match its sha256 in the plan"
                self.record(Event.SKIP, repo, outcome=Outcome.FAILED, error=error)
                return self.finish(
                    repo,
                    ActionResult(repo.repo_id, repo.action_id, ResultState.FAILED, error=error),
                )
        self.on_event(ApplyEvent("apply_start", repo.repo_id, repo.action_id, attempt=attempt))
        self.crash("before_intent", check.index)
        self.record(Event.INTENT, repo, attempt=attempt)
        self.crash("after_intent", check.index)
        try:
            # The one non-idempotent call. Never retried here: a failure is journaled, then
            # the Hub is re-read for our marker before any second attempt (`retry_after_failure`).
            info = self.hub.api.create_commit(
                repo.repo_id,
                operations=[
                    CommitOperationAdd(path_in_repo=f.path, path_or_fileobj=f.content.encode())
                    for f in repo.files
                ],
                commit_message=self.options.message,
                commit_description=pr_description(self.plan, repo),
                create_pr=True,
                parent_commit=repo.preconditions.main_sha,
            )
        except Exception as exc:
            error = describe_error(exc)
            self.crash("after_post", check.index)
            self.record(Event.RESULT, repo, outcome=Outcome.FAILED, error=error, attempt=attempt)
            return self.retry_after_failure(check, exc, error, attempt=attempt)
        self.crash("after_post", check.index)
        if info.pr_url is None:
            # huggingface_hub skips a commit whose files all equal the revision's: no PR exists.
            self.record(
                Event.RESULT, repo, outcome=Outcome.NOOP, commit_oid=info.oid, attempt=attempt
            )
            result = ActionResult(
                repo.repo_id, repo.action_id, ResultState.NOOP, commit_oid=info.oid
            )
            return self.finish(repo, result)
        self.record(
            Event.RESULT,
            repo,
            outcome=Outcome.DONE,
            pr_num=info.pr_num,
            pr_url=info.pr_url,
            commit_oid=info.oid,
            attempt=attempt,
        )
        self.crash("after_result", check.index)
        return self.finish(
            repo,
            ActionResult(
                repo.repo_id,
                repo.action_id,
                ResultState.OPENED,
                pr_num=info.pr_num,
                pr_url=info.pr_url,
                commit_oid=info.oid,
            ),
        )

    def retry_after_failure(
        self, check: RepoCheck, exc: BaseException, error: str, *, attempt: int
    ) -> ActionResult:
        """After a failed POST: wait, re-read the Hub (our PR may exist), and only then retry."""
        repo = check.repo
        failed = ActionResult(repo.repo_id, repo.action_id, ResultState.FAILED, error=error)
        if not is_retryable(exc) or attempt >= self.options.post_attempts or self.stop.is_set():
            return self.finish(repo, failed)
        policy = self.hub.retry
        hint = retry_after_seconds(exc)
        backoff = min(policy.max_wait, policy.base_wait * 2 ** (attempt - 1))
        wait_s = min(policy.max_wait, hint + 0.05) if hint is not None else backoff
        if self.stop.wait(wait_s * (1 + random.random() * 0.1)):
            return self.finish(repo, failed)
        summary = ActionRecordSummary(ActionState.FAILED, None, attempted=True)
        fresh = check_repo(self.hub, self.plan, repo, index=check.index, journal=summary)
        return self.settle(fresh, attempt=attempt)


def apply_plan(
    hub: Hub,
    preview: Preview,
    options: ApplyOptions,
    *,
    on_event: Callable[[ApplyEvent], None] = lambda event: None,
    stop: threading.Event | None = None,
) -> ApplyReport:
    """Open the previewed PRs (call only after the user approved). Journals every write.

    Ctrl-C: no new action starts, in-flight calls finish and are journaled, and the report
    says `interrupted`; a second Ctrl-C abandons the in-flight calls (their intent lines stay,
    so a rerun reconciles them by marker).
    """
    if not options.message.strip():
        raise ValueError("an apply needs a non-empty PR title")
    stop = stop or threading.Event()
    path = journal_path(preview.plan_path)
    journal = JournalWriter(path)
    interrupted = False
    results: dict[int, ActionResult] = {}
    futures: dict[int, Future[ActionResult]] = {}
    pool = ThreadPoolExecutor(max_workers=max(1, options.parallelism))
    try:
        run = _Run(hub, preview, journal, options, on_event, stop)
        journal.append(
            JournalRecord(
                event=Event.RUN,
                plan_digest=preview.plan.digest,
                ts=now_iso(),
                actor=run.actor,
                message=options.message,
                tool_version=__version__,
            )
        )
        futures = {c.index: pool.submit(run.run_action, c) for c in preview.checks}
        try:
            _wait_all(list(futures.values()))
        except KeyboardInterrupt:
            interrupted = True
            stop.set()
            # A second Ctrl-C abandons: whatever is in flight keeps only its intent line.
            with contextlib.suppress(KeyboardInterrupt):
                _wait_all(list(futures.values()))
        for check in preview.checks:
            future = futures[check.index]
            if future.done() and not future.cancelled() and future.exception() is None:
                results[check.index] = future.result()
            elif future.done() and future.exception() is not None:
                exc = future.exception()
                assert exc is not None
                if not isinstance(exc, Exception):
                    raise exc
                results[check.index] = ActionResult(
                    check.repo.repo_id,
                    check.repo.action_id,
                    ResultState.FAILED,
                    error=f"unexpected error: {describe_error(exc)}",
                )
            else:
                results[check.index] = ActionResult(
                    check.repo.repo_id, check.repo.action_id, ResultState.PENDING
                )
    finally:
        pool.shutdown(wait=not interrupted, cancel_futures=True)
        if all(f.done() for f in futures.values()):
            journal.close()  # an abandoned call may still append its result
    ordered = tuple(results[i] for i in sorted(results))
    return ApplyReport(preview.plan, ordered, interrupted=interrupted)


def _wait_all(futures: list[Future[ActionResult]]) -> None:
    # Short timeouts keep the main thread responsive to Ctrl-C while workers run.
    pending = set(futures)
    while pending:
        _, pending = wait(pending, timeout=0.2)
