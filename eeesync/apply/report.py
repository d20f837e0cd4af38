"""What an apply run produced: one `ActionResult` per action, progress events and the report.

Data only, written by `run` and read by the views (`views/apply_view.py`) and `--json`.
"""

from __future__ import annotations

import attrs

from eeesync.apply.outcome import Outcome
from eeesync.plan.model import Plan


@attrs.frozen
class ActionResult:
    repo_id: str
    action_id: str
    state: Outcome
    pr_num: int | None = None
    pr_url: str | None = None
    commit_oid: str | None = None
    error: str = ""
    changes: tuple[str, ...] = ()  # stale: what moved; in_pr: which PR holds the entries
    notes: tuple[str, ...] = ()  # for people: what else happened (e.g. a check that failed)


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
        return cls(result.state.info.event, result.repo_id, result.action_id, result)


@attrs.frozen
class ApplyReport:
    plan: Plan
    results: tuple[ActionResult, ...]  # in plan order
    interrupted: bool = False

    def of(self, state: Outcome) -> list[ActionResult]:
        return [r for r in self.results if r.state is state]

    @property
    def counts(self) -> dict[str, int]:
        return {s.value: len(self.of(s)) for s in Outcome}

    @property
    def ok(self) -> bool:
        """Every action ended well (`OutcomeInfo.ok`): nothing stale, failed, refused or
        unexpectedly a no-op (pending by --max-prs and entries already in another PR are fine)."""
        return all(r.state.info.ok for r in self.results)
