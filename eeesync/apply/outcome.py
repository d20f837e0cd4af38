"""How one apply action ends: the one vocabulary of the check, the journal, the report, the
`--json` events and the views.

An action goes: the read-only check (which may already know the outcome: stale, adopted, …, or
find nothing in the way: `PENDING`, the write is still to come), then the write, then its
journal line and its event. Each stage names the action's state with an `Outcome`; what each
stage says about it is its row in `OUTCOME_TABLE` (the journal's word, the event type, the
colour, whether a rerun leaves it alone). The journal and JSON-event spellings are formats
(docs/json-events.md): a row keeps them as they were.
"""

from __future__ import annotations

import enum
from typing import Final

import attrs


class Outcome(enum.StrEnum):
    """How an action ended, or what its check already knows. The values are the `state` of the
    `--json` events and the apply report's counts."""

    OPENED = "opened"
    UPDATED = "updated"
    CLOSED = "closed"
    PRS_DISABLED = "prs_disabled"
    COMMITTED = "committed"
    ADOPTED = "adopted"
    IN_PR = "in_pr"
    ALREADY_DONE = "already_done"
    NOOP = "noop"
    STALE = "stale"
    FAILED = "failed"
    REFUSED = "refused"
    PENDING = "pending"

    @property
    def info(self) -> OutcomeInfo:
        return OUTCOME_TABLE[self]


@attrs.frozen
class OutcomeInfo:
    """What each stage says about one outcome: one row of `OUTCOME_TABLE`."""

    meaning: str  # for people (and this module's reader)
    journal: str  # its word on a journal line ("" = never journaled)
    event: str  # the `--json` message type that reports an action ending so
    final: bool  # once journaled, a rerun never touches the action again
    ok: bool  # a run that ends an action so still succeeds (exit code)
    mark: str  # the progress line's mark (the words say it all without colour)
    style: str  # rich style of the mark and of `eeesync show`'s apply state


OUTCOME_TABLE: Final[dict[Outcome, OutcomeInfo]] = {
    Outcome.OPENED: OutcomeInfo(
        meaning="a PR was opened by this action",
        journal="done",
        event="apply_complete",
        final=True,
        ok=True,
        mark="+",
        style="green",
    ),
    Outcome.UPDATED: OutcomeInfo(
        meaning="one commit was pushed to our open PR (`pr_num`) and its description refreshed",
        journal="updated",
        event="apply_complete",
        final=True,
        ok=True,
        mark="~",
        style="green",
    ),
    Outcome.CLOSED: OutcomeInfo(
        meaning="our open PR (`pr_num`) was closed with a comment: nothing of it is wanted",
        journal="closed",
        event="apply_complete",
        final=True,
        ok=True,
        mark="-",
        style="green",
    ),
    Outcome.PRS_DISABLED: OutcomeInfo(
        meaning="the Hub refuses PRs on this repo: recorded, the next plans report it instead "
        "of retrying it",
        journal="prs_disabled",
        event="apply_complete",
        final=True,
        ok=True,
        mark="!",
        style="yellow",
    ),
    Outcome.COMMITTED: OutcomeInfo(
        meaning="direct mode: one commit on main of an owned repo, by this action",
        journal="committed",
        event="apply_complete",
        final=True,
        ok=True,
        mark="+",
        style="green",
    ),
    Outcome.ADOPTED: OutcomeInfo(
        meaning="our PR (this account, marker, planned bytes) was found on the Hub and recorded",
        journal="adopted",
        event="apply_complete",
        final=True,
        ok=True,
        mark="=",
        style="green",
    ),
    Outcome.IN_PR: OutcomeInfo(
        meaning="another open PR (`pr_num`) already holds these entries: none opened",
        journal="in_pr",
        event="apply_complete",
        final=True,
        ok=True,
        mark="=",
        style="green",
    ),
    Outcome.ALREADY_DONE: OutcomeInfo(
        meaning="the journal already records it (a rerun)",
        journal="",
        event="apply_complete",
        final=True,
        ok=True,
        mark="=",
        style="green",
    ),
    Outcome.NOOP: OutcomeInfo(
        meaning="the Hub answered the commit as a no-op: nothing opened",
        journal="noop",
        event="apply_complete",
        final=True,
        ok=False,
        mark="!",
        style="yellow",
    ),
    Outcome.STALE: OutcomeInfo(
        meaning="the repo moved since the plan: re-plan",
        journal="stale",
        event="stale",
        final=False,
        ok=False,
        mark="~",
        style="yellow",
    ),
    Outcome.FAILED: OutcomeInfo(
        meaning="the write (or the check before it) failed; a rerun tries again",
        journal="failed",
        event="apply_errored",
        final=False,
        ok=False,
        mark="x",
        style="bold red",
    ),
    Outcome.REFUSED: OutcomeInfo(
        meaning="the plan's files are not what a plan may write: never written",
        journal="refused",
        event="apply_errored",
        final=False,
        ok=False,
        mark="x",
        style="bold red",
    ),
    Outcome.PENDING: OutcomeInfo(
        meaning="not attempted yet: its check found nothing in the way, or --max-prs or an "
        "interruption stopped it",
        journal="",
        event="skipped",
        final=False,
        ok=True,
        mark=" ",
        style="",
    ),
}
if list(OUTCOME_TABLE) != list(Outcome):
    raise AssertionError("OUTCOME_TABLE needs one row per Outcome, in the enum's order")

#: Journal word → outcome (the reader refuses any other word).
BY_JOURNAL_WORD: Final = {info.journal: o for o, info in OUTCOME_TABLE.items() if info.journal}
