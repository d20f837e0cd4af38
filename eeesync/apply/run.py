"""Apply a previewed, approved plan: open one PR per repo, journaled, in worker threads.

The last stage of the pipeline (docs/architecture.md), after `preview.prepare_apply` and the
user's `OPEN PRS`. For each action: an `intent` line, the single PR-creating POST (never retried
blindly: after a failure it re-checks the Hub for its marker first), and a `result` line.
Ctrl-C stops new actions and lets in-flight ones finish and be journaled.
Apply decides only from the action, the preconditions and the bytes, never from `reason` texts.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

import attrs

from eeesync import __version__
from eeesync.apply.check import (
    CheckContext,
    RepoCheck,
    check_repo,
    describe_error,
    list_active_prs,
    twin_of,
)
from eeesync.apply.journal import (
    ActionRecordSummary,
    Event,
    JournalRecord,
    JournalWriter,
    RunEnd,
    journal_path,
    now_iso,
)
from eeesync.apply.lock import acquire_lock
from eeesync.apply.outcome import Outcome
from eeesync.apply.preview import DEFAULT_PARALLELISM, Preview
from eeesync.apply.pull_request import (
    content_hash,
    pr_description,
    prs_refused,
    withdraw_comment,
)
from eeesync.apply.report import ActionResult, ApplyEvent, ApplyReport
from eeesync.errors import LockError
from eeesync.hub.client import Hub, http_status
from eeesync.hub.writes import WritePace, send, wait_to_retry
from eeesync.plan.model import Plan, RepoPlan
from eeesync.text import short_sha

#: The phrase a person types to approve opening PRs (exact, case-sensitive).
CONFIRM_PHRASE = "OPEN PRS"
#: PR-creating POSTs per action and run; each retry comes only after a reconciliation.
DEFAULT_POST_ATTEMPTS = 5
#: A precondition check older than this (the user sat at the prompt) is redone before writing.
DEFAULT_RECHECK_AFTER = 60.0
#: How long a run waits for another apply on this machine writing to the same repo.
DEFAULT_REPO_LOCK_TIMEOUT = 300.0
#: The points of one action where a crash leaves distinct journal states (tests kill there).
CHECKPOINTS = ("before_intent", "after_intent", "after_post", "after_result")


def _no_checkpoint(phase: str, index: int) -> None:
    """Production: nothing happens at a checkpoint."""


#: Called at each checkpoint with (phase, action index). The crash tests replace it
#: (tests/apply/crash_hook.py) to kill or interrupt the process there; nothing in the shipped
#: code path reads a test setting.
checkpoint: Callable[[str, int], None] = _no_checkpoint


@attrs.frozen
class ApplyOptions:
    message: str  # the PR title (commit message), confirmed by the user
    parallelism: int = DEFAULT_PARALLELISM
    max_prs: int | None = None
    post_attempts: int = DEFAULT_POST_ATTEMPTS
    recheck_after: float = DEFAULT_RECHECK_AFTER
    #: Where the per-repo locks live (`<cache>/repo-locks`): two applies on one machine whose
    #: plans overlap never write one repo at once (a killed holder's lock is taken over).
    #: None: no local repo lock (the Hub checks around each POST still keep one PR per repo).
    lock_dir: Path | None = None
    repo_lock_timeout: float = DEFAULT_REPO_LOCK_TIMEOUT
    #: `[apply] contact`: who runs the sync, said in every PR description.
    contact: str = ""
    #: `[apply] max_writes_per_hour`: writes are spaced 3600/N seconds apart (None: no cap).
    max_writes_per_hour: int | None = None


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
    journal = JournalWriter(journal_path(preview.plan_path))
    run = _Run(hub, preview.plan, journal, options, on_event, stop, preview.context)
    interrupted = False
    futures: list[Future[ActionResult]] = []
    pool = ThreadPoolExecutor(max_workers=options.parallelism)
    try:
        run.start()
        try:
            # Submitting is inside the try: a Ctrl-C can land while actions are still queued.
            for check in preview.checks:
                futures.append(pool.submit(run.run_action, check))
            _wait_all(futures)
        except KeyboardInterrupt:
            interrupted = True
            stop.set()
            # A second Ctrl-C abandons: whatever is in flight keeps only its intent line.
            with contextlib.suppress(KeyboardInterrupt):
                _wait_all(futures)
        # Checks never submitted (interrupted while queueing) stay pending.
        results = tuple(
            _result_of(check, futures[i] if i < len(futures) else None)
            for i, check in enumerate(preview.checks)
        )
        run.end(results)
    finally:
        pool.shutdown(wait=not interrupted, cancel_futures=True)
        if all(f.done() for f in futures):
            journal.close()  # an abandoned call may still append its result
    return ApplyReport(preview.plan, results, interrupted=interrupted)


def _action_line(plan: Plan, actor: str, event: Event, repo: RepoPlan, **kw: Any) -> JournalRecord:
    return JournalRecord(
        event=event,
        plan_digest=plan.digest,
        ts=now_iso(),
        actor=actor,
        action_id=repo.action_id,
        repo_id=repo.repo_id,
        content_sha256=content_hash(repo),
        parent_commit=repo.preconditions.main_sha if repo.preconditions else "",
        **kw,
    )


def run_line(plan_digest: str, actor: str, message: str = "") -> JournalRecord:
    """The `run` line that opens a run's lines: who applies, with which PR title."""
    return JournalRecord(
        event=Event.RUN,
        plan_digest=plan_digest,
        ts=now_iso(),
        actor=actor,
        message=message,
        tool_version=__version__,
    )


def end_line(plan_digest: str, actor: str, left: int, *, error: str = "") -> JournalRecord:
    """The `end` line of a run (a sync or an import plan's): refused as a whole (`error`),
    pending with `left` actions for a rerun, or finished."""
    end = RunEnd.REFUSED if error else RunEnd.PENDING if left else RunEnd.FINISHED
    return JournalRecord(
        event=Event.END,
        plan_digest=plan_digest,
        ts=now_iso(),
        actor=actor,
        end=end,
        left=left,
        error=error,
    )


#: Check outcomes journaled (as skip lines) when nothing needs approval.
_NOT_WRITTEN = (Outcome.STALE, Outcome.REFUSED, Outcome.FAILED)


def record_without_writing(preview: Preview) -> None:
    """Journal a run in which nothing needed approval (every action done, stale, refused or
    unreadable): why each action was not written, then the `end` line. The plan is then
    concluded unless some repo could not be read (a rerun tries those again)."""
    plan = preview.plan
    actor = (preview.context.account if preview.context else None) or "unknown"
    left = 0
    with JournalWriter(journal_path(preview.plan_path)) as journal:
        journal.append(run_line(plan.digest, actor))
        for check in preview.checks:
            if check.state not in _NOT_WRITTEN:
                continue
            left += check.state is Outcome.FAILED
            journal.append(
                _action_line(
                    plan,
                    actor,
                    Event.SKIP,
                    check.repo,
                    outcome=check.state,
                    changes=check.changes,
                    error=check.error,
                )
            )
        journal.append(end_line(plan.digest, actor, left))


def record_refused(plan_digest: str, plan_path: Path, error: str) -> None:
    """Journal a plan (sync or import) refused as a whole (another Hub, another registry,
    unpublishable links, records it may not write): it is concluded; a new plan supersedes it."""
    with JournalWriter(journal_path(plan_path)) as journal:
        journal.append(run_line(plan_digest, "unknown"))
        journal.append(end_line(plan_digest, "unknown", 0, error=error))


def _wait_all(futures: list[Future[ActionResult]]) -> None:
    # Short timeouts keep the main thread responsive to Ctrl-C while workers run.
    pending = set(futures)
    while pending:
        _, pending = wait(pending, timeout=0.2)


def _result_of(check: RepoCheck, future: Future[ActionResult] | None) -> ActionResult:
    """The worker's result; pending when it never ran or was abandoned."""
    repo = check.repo
    if future is None or not future.done() or future.cancelled():
        return ActionResult(repo.repo_id, repo.action_id, Outcome.PENDING)
    exc = future.exception()
    if exc is None:
        return future.result()
    if not isinstance(exc, Exception):
        raise exc
    error = f"unexpected error: {describe_error(exc)}"
    return ActionResult(repo.repo_id, repo.action_id, Outcome.FAILED, error=error)


def _already_done(check: RepoCheck) -> ActionResult:
    """The result of an action the journal already records as finished (no event: no work)."""
    repo, summary = check.repo, check.journal
    last = summary.last if summary else None
    noop = summary is not None and summary.state is Outcome.NOOP
    return ActionResult(
        repo.repo_id,
        repo.action_id,
        Outcome.NOOP if noop else Outcome.ALREADY_DONE,
        pr_num=last.pr_num if last else None,
        pr_url=last.pr_url if last else None,
        commit_oid=last.commit_oid if last else None,
    )


class _Run:
    """One approved apply: the shared state of its worker threads."""

    def __init__(
        self,
        hub: Hub,
        plan: Plan,
        journal: JournalWriter,
        options: ApplyOptions,
        on_event: Callable[[ApplyEvent], None],
        stop: threading.Event,
        context: CheckContext,
    ) -> None:
        self.hub, self.plan, self.journal = hub, plan, journal
        self.context = context
        self.options, self.on_event, self.stop = options, on_event, stop
        # The Hub account that writes: journals are committed, the machine's login is not theirs.
        self.actor = context.account or "unknown"
        self._slots_lock = threading.Lock()
        self._repo_locks_held: set[str] = set()  # repo lock keys this run holds
        self._slots_used = 0
        #: Every write of this run waits its turn here (hourly cap, holds after a 429).
        self.pace = WritePace(options.max_writes_per_hour)

    # journal and events ---------------------------------------------------------------------

    def start(self) -> None:
        """The `run` line: who approved this apply, with which PR title."""
        self.journal.append(run_line(self.plan.digest, self.actor, self.options.message))

    def record(self, event: Event, repo: RepoPlan, **kw: Any) -> None:
        self.journal.append(_action_line(self.plan, self.actor, event, repo, **kw))

    def end(self, results: tuple[ActionResult, ...]) -> None:
        """The `end` line: what a rerun of this plan would still work on."""
        left = sum(1 for r in results if r.state in (Outcome.PENDING, Outcome.FAILED))
        self.journal.append(end_line(self.plan.digest, self.actor, left))

    def finish(self, repo: RepoPlan, state: Outcome, **fields: Any) -> ActionResult:
        """Report how the action ended (to the view) and return it."""
        result = ActionResult(repo.repo_id, repo.action_id, state, **fields)
        self.on_event(ApplyEvent.finished(result))
        return result

    def conclude(
        self, repo: RepoPlan, outcome: Outcome, event: Event, *, attempt: int = 0, **fields: Any
    ) -> ActionResult:
        """Journal how the action ended, then report it: the line is durable first."""
        self.record(event, repo, outcome=outcome, attempt=attempt, **fields)
        return self.finish(repo, outcome, **fields)

    def crash(self, phase: str, index: int) -> None:
        checkpoint(phase, index)  # looked up at call time: the tests' hook when installed

    def take_slot(self) -> bool:
        """Reserve one of the run's `--max-prs` PR creations (an attempt uses it up)."""
        with self._slots_lock:
            cap = self.options.max_prs
            if cap is not None and self._slots_used >= cap:
                return False
            self._slots_used += 1
            return True

    # one action -----------------------------------------------------------------------------

    def run_action(self, check: RepoCheck) -> ActionResult:
        if check.state is Outcome.ALREADY_DONE:
            return _already_done(check)
        if self.stop.is_set():
            return self.finish(check.repo, Outcome.PENDING)
        if time.monotonic() - check.checked_at > self.options.recheck_after:
            check = check_repo(
                self.hub,
                self.plan,
                check.repo,
                index=check.index,
                journal=check.journal,
                context=self.context,
            )
        return self.settle(check, attempt=0)

    def settle(self, check: RepoCheck, *, attempt: int) -> ActionResult:
        """Act on a (fresh) check: adopt, skip as stale/error, or open the PR."""
        repo = check.repo
        if check.state is Outcome.ADOPTED and check.found is not None:
            return self.conclude(
                repo,
                Outcome.ADOPTED,
                Event.RESULT,
                attempt=attempt,
                pr_num=check.found.num,
                pr_url=check.found.url,
            )
        if check.state is Outcome.IN_PR and check.found is not None:
            found = check.found
            return self.conclude(
                repo,
                Outcome.IN_PR,
                Event.RESULT,
                attempt=attempt,
                pr_num=found.num,
                pr_url=found.url,
                changes=(f"PR #{found.num} by {found.author} already holds these entries",),
            )
        if check.state is Outcome.ADOPTED and check.found is None:  # our direct commit
            return self.conclude(
                repo, Outcome.ADOPTED, Event.RESULT, attempt=attempt, changes=check.changes
            )
        if check.state in (Outcome.STALE, Outcome.REFUSED, Outcome.FAILED):
            return self.conclude(
                repo, check.state, Event.SKIP, changes=check.changes, error=check.error
            )
        if attempt == 0 and not self.take_slot():
            return self.finish(repo, Outcome.PENDING)
        if repo.update_pr:
            return self.update_pr(check, attempt=attempt + 1)
        return self.open_pr(check, attempt=attempt + 1)

    @contextlib.contextmanager
    def repo_lock(self, repo: RepoPlan) -> Iterator[None]:
        """Hold this machine's lock on the repo (any plan) while it is checked and written."""
        key = "sha256:" + hashlib.sha256(f"repo\0{repo.repo_id.lower()}".encode()).hexdigest()
        with self._slots_lock:
            # A retry after a failed POST comes back here while the lock is still held.
            reentry = key in self._repo_locks_held
        if self.options.lock_dir is None or reentry:
            yield
            return
        with acquire_lock(self.options.lock_dir, key, timeout=self.options.repo_lock_timeout):
            with self._slots_lock:
                self._repo_locks_held.add(key)
            try:
                yield
            finally:
                with self._slots_lock:
                    self._repo_locks_held.discard(key)

    def update_pr(self, check: RepoCheck, *, attempt: int) -> ActionResult:
        """Our open PR #N: one commit on `refs/pr/N` (on the checked head) and a refreshed
        description, or, when nothing of it is wanted any more, close it with a comment.
        Never retried blindly: a rerun adopts what an interrupted one wrote (`check`)."""
        repo = check.repo
        num = repo.update_pr
        assert repo.preconditions is not None and check.found is not None
        head = next(p.head_sha for p in repo.preconditions.open_prs if p.num == num)
        found = {"pr_num": num, "pr_url": check.found.url}
        if not self.pace.turn(self.stop):  # before the intent: a stopped wait wrote nothing
            return self.finish(repo, Outcome.PENDING)
        self.on_event(ApplyEvent("apply_start", repo.repo_id, repo.action_id, attempt=attempt))
        self.record(Event.INTENT, repo, attempt=attempt)
        try:
            with self.repo_lock(repo):
                if repo.close_pr:
                    send(
                        self.pace,
                        self.stop,
                        self.hub.close_pull_request,
                        repo.repo_id,
                        num,
                        comment=withdraw_comment(repo),
                        turn_taken=True,
                    )
                    return self.conclude(
                        repo, Outcome.CLOSED, Event.RESULT, attempt=attempt, **found
                    )
                info = send(
                    self.pace,
                    self.stop,
                    self.hub.commit_to_pull_request,
                    repo.repo_id,
                    num,
                    {f.path: f.content.encode() for f in repo.files},
                    message=self.options.message,
                    parent_commit=head,
                    deletions=repo.delete_paths,
                    turn_taken=True,
                )
                send(
                    self.pace,
                    self.stop,
                    self.hub.edit_pr_description,
                    repo.repo_id,
                    num,
                    check.comment_id,
                    pr_description(self.plan, repo, contact=self.options.contact),
                )
        except LockError:
            error = "another apply on this machine kept writing to this repo; not updated"
            return self.conclude(repo, Outcome.FAILED, Event.SKIP, error=error)
        except Exception as exc:
            error = describe_error(exc)
            self.record(Event.RESULT, repo, outcome=Outcome.FAILED, error=error, attempt=attempt)
            return self.finish(repo, Outcome.FAILED, error=error)
        return self.conclude(
            repo,
            Outcome.UPDATED,
            Event.RESULT,
            attempt=attempt,
            commit_oid=info.oid,
            **found,
        )

    def open_pr(self, check: RepoCheck, *, attempt: int) -> ActionResult:
        repo = check.repo
        # Outside the repo lock: a turn can be an hour away under `max_writes_per_hour`.
        if not self.pace.turn(self.stop):
            return self.finish(repo, Outcome.PENDING)
        try:
            with self.repo_lock(repo):
                return self.open_pr_locked(check, attempt=attempt)
        except LockError:
            error = "another apply on this machine kept writing to this repo; not opened"
            return self.conclude(repo, Outcome.FAILED, Event.SKIP, error=error)

    def recheck(self, check: RepoCheck, *, journal: ActionRecordSummary | None = None) -> RepoCheck:
        """Read the repo's Hub state again (the journal's view of the action unless given)."""
        return check_repo(
            self.hub,
            self.plan,
            check.repo,
            index=check.index,
            journal=check.journal if journal is None else journal,
            context=self.context,
        )

    def open_pr_locked(self, check: RepoCheck, *, attempt: int) -> ActionResult:
        repo = check.repo
        assert repo.preconditions is not None  # a pending check found them intact
        if time.monotonic() - check.checked_at > self.options.recheck_after:
            # The turn came late (a paced apply, a 429 hold): the Hub may have moved.
            check = self.recheck(check)
            if check.state is not Outcome.PENDING:
                return self.settle(check, attempt=attempt)
        # Right before the POST: did a PR appear since the check (another runner's)? The Hub
        # is the only state runners share, so this is where a second PR is avoided.
        try:
            appeared = set(list_active_prs(self.hub, repo.repo_id)) - set(check.seen_prs)
        except Exception as exc:  # a read that failed after retries: try again next run
            error = f"could not list the repo's PRs before writing: {describe_error(exc)}"
            return self.conclude(repo, Outcome.FAILED, Event.SKIP, error=error)
        if appeared:
            check = self.recheck(check)
            if check.state is not Outcome.PENDING:
                return self.settle(check, attempt=attempt)
        self.on_event(ApplyEvent("apply_start", repo.repo_id, repo.action_id, attempt=attempt))
        self.crash("before_intent", check.index)
        self.record(Event.INTENT, repo, attempt=attempt)
        self.crash("after_intent", check.index)
        if repo.direct:
            return self.commit_to_main(check, attempt=attempt)
        try:
            # The one non-idempotent call. Never retried here: a failure is journaled, then
            # the Hub is re-read for our PR before any second attempt (`retry_after_failure`).
            info = self.hub.open_pull_request(
                repo.repo_id,
                {f.path: f.content.encode() for f in repo.files},
                title=self.options.message,
                description=pr_description(self.plan, repo, contact=self.options.contact),
                parent_commit=repo.preconditions.main_sha,
            )
        except Exception as exc:
            error = describe_error(exc)
            self.crash("after_post", check.index)
            if prs_refused(exc):
                # Reported once and recorded: the next plans say `prs_disabled`, not a failure.
                return self.conclude(
                    repo,
                    Outcome.PRS_DISABLED,
                    Event.RESULT,
                    attempt=attempt,
                    error=error,
                )
            self.record(Event.RESULT, repo, outcome=Outcome.FAILED, error=error, attempt=attempt)
            return self.retry_after_failure(check, exc, error, attempt=attempt)
        self.crash("after_post", check.index)
        if info.pr_url is None:
            # huggingface_hub skips a commit whose files all equal the revision's: no PR exists.
            return self.conclude(
                repo,
                Outcome.NOOP,
                Event.RESULT,
                attempt=attempt,
                commit_oid=info.oid,
            )
        pr_url = self.hub.pr_url(repo.repo_id, info.pr_num) if info.pr_num else info.pr_url
        opened = {"pr_num": info.pr_num, "pr_url": pr_url, "commit_oid": info.oid}
        self.record(Event.RESULT, repo, outcome=Outcome.OPENED, attempt=attempt, **opened)
        self.crash("after_result", check.index)
        notes: tuple[str, ...] = ()
        if info.pr_num:
            closed = self.close_if_duplicate(repo, info.pr_num, attempt=attempt)
            if isinstance(closed, ActionResult):
                return closed
            notes = (closed,) if closed else ()
        return self.finish(repo, Outcome.OPENED, notes=notes, **opened)

    def commit_to_main(self, check: RepoCheck, *, attempt: int) -> ActionResult:
        """`direct-when-owner` on an owned repo: one commit on main whose parent is the planned
        main sha. If main moved meanwhile the Hub refuses it (412): stale, never overwritten."""
        repo = check.repo
        assert repo.preconditions is not None
        try:
            info = self.hub.commit_to_main(
                repo.repo_id,
                {f.path: f.content.encode() for f in repo.files},
                message=self.options.message,
                description=pr_description(self.plan, repo),
                parent_commit=repo.preconditions.main_sha,
            )
        except Exception as exc:
            self.crash("after_post", check.index)
            if http_status(exc) == 412:
                moved = (f"main moved since {short_sha(repo.preconditions.main_sha)}: not written",)
                return self.conclude(repo, Outcome.STALE, Event.RESULT, changes=moved)
            error = describe_error(exc)
            self.record(Event.RESULT, repo, outcome=Outcome.FAILED, error=error, attempt=attempt)
            return self.retry_after_failure(check, exc, error, attempt=attempt)
        self.crash("after_post", check.index)
        return self.conclude(
            repo, Outcome.COMMITTED, Event.RESULT, attempt=attempt, commit_oid=info.oid
        )

    def close_if_duplicate(self, repo: RepoPlan, num: int, *, attempt: int) -> ActionResult | str:
        """After opening PR #num: if an open PR of this account with a lower number holds the
        same files (a concurrent run's), close ours with a comment naming it. Every runner
        applies the same rule, so they converge on the lowest-numbered PR."""
        try:
            twin = twin_of(self.hub, repo, num, self.context.account)
            if twin is None:
                return ""
            send(
                self.pace,
                self.stop,
                self.hub.close_pull_request,
                repo.repo_id,
                num,
                comment=(
                    f"Closing as a duplicate of #{twin.num}, which holds the same files "
                    "(opened by another eeesync apply run at the same time)."
                ),
            )
        except Exception as exc:  # keep ours (two open PRs beat none), and say so
            return f"could not check PR #{num} for a concurrent duplicate: {describe_error(exc)}"
        changes = (f"opened PR #{num} and closed it: PR #{twin.num} holds the same files",)
        return self.conclude(
            repo,
            Outcome.IN_PR,
            Event.RESULT,
            attempt=attempt,
            pr_num=twin.num,
            pr_url=twin.url,
            changes=changes,
        )

    def retry_after_failure(
        self, check: RepoCheck, exc: BaseException, error: str, *, attempt: int
    ) -> ActionResult:
        """After a failed POST: wait, re-read the Hub (our PR may exist), and only then retry."""
        repo = check.repo
        # A 429 holds every writer of this run (the next attempt waits its turn in `open_pr`).
        retry = wait_to_retry(
            self.pace,
            self.stop,
            exc,
            attempt=attempt,
            attempts=self.options.post_attempts,
            policy=self.hub.retry,
        )
        if not retry:
            return self.finish(repo, Outcome.FAILED, error=error)
        summary = ActionRecordSummary(Outcome.FAILED, None, attempted=True)
        return self.settle(self.recheck(check, journal=summary), attempt=attempt)
