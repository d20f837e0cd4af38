"""What an apply run produced: one `ActionResult` per action, progress events and the report.

Data only, written by `run` and read by the views (`views/apply_view.py`) and `--json`.
"""

from __future__ import annotations

import enum

import attrs

from eeesync.plan.model import Plan


class ResultState(enum.StrEnum):
    """How one action ended in a run (the apply report)."""

    OPENED = "opened"  # a PR was opened in this run
    ADOPTED = "adopted"  # our PR (this account, marker, planned bytes) was found and recorded
    IN_PR = "in_pr"  # another open PR already holds these entries (`pr_num`): none opened
    ALREADY_DONE = "already_done"  # the journal already recorded it (rerun)
    NOOP = "noop"  # the Hub answered the commit as a no-op
    STALE = "stale"
    FAILED = "failed"
    REFUSED = "refused"  # the plan's files are not what a plan may write: never written
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
    changes: tuple[str, ...] = ()  # stale: what moved; in_pr: which PR holds the entries
    notes: tuple[str, ...] = ()  # for people: what else happened (e.g. a check that failed)


#: The event kind (the `--json` message type) that reports a finished action.
_FINISHED_KINDS = {
    ResultState.FAILED: "apply_errored",
    ResultState.REFUSED: "apply_errored",
    ResultState.STALE: "stale",
    ResultState.PENDING: "skipped",
}


@attrs.frozen
class ApplyEvent:
    """A progress event (for the terminal view and `--json`)."""

    kind: str  # "apply_start" | "apply_complete" | "apply_errored" | "stale" | "skipped"
    repo_id: str
    action_id: str
    result: ActionResult | None = None
    attempt: int = 0

    @classmethod
    def finished(cls, result: ActionResult) -> ApplyEvent:
        """The event that reports how an action ended."""
        kind = _FINISHED_KINDS.get(result.state, "apply_complete")
        return cls(kind, result.repo_id, result.action_id, result)


@attrs.frozen
class ApplyReport:
    plan: Plan
    results: tuple[ActionResult, ...]  # in plan order
    interrupted: bool = False

    def of(self, state: ResultState) -> list[ActionResult]:
        return [r for r in self.results if r.state is state]

    @property
    def counts(self) -> dict[str, int]:
        return {s.value: len(self.of(s)) for s in ResultState}

    @property
    def ok(self) -> bool:
        """Nothing stale, failed, refused or unexpectedly a no-op (pending by --max-prs and
        entries already in another open PR are fine)."""
        bad = (ResultState.STALE, ResultState.FAILED, ResultState.REFUSED, ResultState.NOOP)
        return not any(r.state in bad for r in self.results)
