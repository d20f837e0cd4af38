"""`eeesync apply` for people and machines: the preview, progress lines and the run's summary.

The view of the apply stage: it receives finished data from `eeesync.apply` (a `Preview`,
`ApplyEvent`s, an `ApplyReport`) and a rich `Console`, and never calls the Hub, reads files or
decides a state. One small renderer per check state and per result state, looked up in a dict
(like `terminal.py` does per `Status`). Words carry every state ("stale", "failed"), so colour
is decoration only and `NO_COLOR` or a pipe loses nothing. The `*_message` functions build the
`--json` NDJSON messages (their shape is versioned by `JSON_UI_VERSION`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from eeesync import __version__
from eeesync.apply.check import RepoCheck
from eeesync.apply.journal import JournalRecord, RunEnd, journal_path
from eeesync.apply.lock import LockInfo
from eeesync.apply.outcome import Outcome
from eeesync.apply.preview import Preview, refresh_command
from eeesync.apply.report import ActionResult, ApplyEvent, ApplyReport
from eeesync.plan.model import Status
from eeesync.text import plural

#: Version of the `--json` message shapes below (docs/json-events.md), in every message as
#: `ui_version`. A minor bump adds fields or types; a major one changes or removes them.
#: 1.1: `ui_version` on every message. 1.2: `in_pr`, `refused` and `notes` in the preview,
#: `in_pr`/`refused` counts in summaries, `notes` on results (issue 14). 1.3 (issue 20): the
#: `updated`, `closed`, `prs_disabled` and `committed` result states and counts, `concluded`
#: in the summary of a plan an earlier run concluded. 1.4: an import plan's stream (one
#: action, `import`, on the datastore repo).
JSON_UI_VERSION = "1.4"


def _line(mark: str, style: str, text: str) -> Text:
    """`mark repo: what happened`: the mark is coloured, the words say it all without colour."""
    return Text.assemble((mark, style), " ", text)


def _marked(outcome: Outcome, text: str) -> Text:
    """A line about an action, marked as its outcome's row says."""
    return _line(outcome.info.mark, outcome.info.style, text)


# --- The preview, before the confirmation: one section per check state -----------------------


def _render_to_open(checks: Sequence[RepoCheck]) -> list[RenderableType]:
    if not checks:
        return []
    table = Table(title="Pull requests to open", title_justify="left")
    table.add_column("Model repo", overflow="fold")
    table.add_column("Files", overflow="fold")
    table.add_column("Entries", justify="right")
    for check in checks:
        repo = check.repo
        paths = "\n".join(f.path for f in repo.files)
        name = Text(repo.repo_id)
        if repo.direct:
            name.append("\none commit to main (owned)", style="bold")
        table.add_row(name, Text(paths), str(repo.count(Status.READY)))
    return [table]


def _render_adopt(checks: Sequence[RepoCheck]) -> list[RenderableType]:
    lines: list[RenderableType] = []
    for check in checks:
        found = check.found
        if found is None:  # direct mode: main already holds the planned files
            what = "; ".join(check.changes)
            lines.append(_marked(Outcome.ADOPTED, f"{check.repo.repo_id}: {what}: recorded"))
            continue
        # Only the journal can say a run of *this* plan file was interrupted; otherwise the PR
        # was opened by another run (another checkout, another machine) with the same token.
        why = (
            "an earlier run was interrupted"
            if check.journal is not None and check.journal.interrupted
            else "opened by another run"
        )
        lines.append(
            _marked(
                Outcome.ADOPTED,
                f"{check.repo.repo_id}: PR #{found.num} ({found.status}) already carries this "
                f"plan's marker, this account opened it and it holds the planned files ({why}): "
                "it will be recorded, not opened again",
            )
        )
    return lines


def _render_in_pr(checks: Sequence[RepoCheck]) -> list[RenderableType]:
    lines: list[RenderableType] = []
    for check in checks:
        found = check.found
        assert found is not None  # an IN_PR check always names the PR it found
        lines.append(
            _marked(
                Outcome.IN_PR,
                f"{check.repo.repo_id}: PR #{found.num} ({found.status}, by {found.author}) "
                "already holds these entries: nothing to open, it will be recorded",
            )
        )
    return lines


def _render_refused(checks: Sequence[RepoCheck]) -> list[RenderableType]:
    return [_marked(Outcome.REFUSED, f"{c.repo.repo_id}: refused: {c.error}") for c in checks]


def _render_stale(checks: Sequence[RepoCheck]) -> list[RenderableType]:
    return [
        _marked(Outcome.STALE, f"{c.repo.repo_id}: stale, will be skipped: {'; '.join(c.changes)}")
        for c in checks
    ]


def _render_error(checks: Sequence[RepoCheck]) -> list[RenderableType]:
    return [_marked(Outcome.FAILED, f"{c.repo.repo_id}: {c.error}") for c in checks]


def _render_done(checks: Sequence[RepoCheck]) -> list[RenderableType]:
    return []  # counted in the summary line; nothing to review


PreviewSection = Callable[[Sequence[RepoCheck]], list[RenderableType]]

#: Sections in the order they are printed: what will be written first, then what will not.
_PREVIEW_SECTIONS: dict[Outcome, PreviewSection] = {
    Outcome.PENDING: _render_to_open,
    Outcome.ADOPTED: _render_adopt,
    Outcome.IN_PR: _render_in_pr,
    Outcome.STALE: _render_stale,
    Outcome.FAILED: _render_error,
    Outcome.REFUSED: _render_refused,
    Outcome.ALREADY_DONE: _render_done,
}


def render_preview(preview: Preview, console: Console) -> None:
    """Print what an apply would do: the PRs to open, PRs to record, stale and unreadable repos."""
    for state, render in _PREVIEW_SECTIONS.items():
        for part in render(preview.in_state(state)):
            console.print(part)
    for check in preview.checks:
        for note in check.notes:
            console.print(_line("!", "yellow", f"{check.repo.repo_id}: {note}"))
    to_open = preview.to_open
    files = sum(len(c.repo.files) for c in to_open)
    entries = sum(c.repo.count(Status.READY) for c in to_open)
    console.print(
        Text(
            f"Apply: {plural(len(to_open), 'PR')} to open ({plural(files, 'file')}, "
            f"{plural(entries, 'entry', 'entries')}), "
            f"{len(preview.in_state(Outcome.ADOPTED))} to record, "
            f"{len(preview.in_state(Outcome.ALREADY_DONE))} already done, "
            f"{len(preview.in_state(Outcome.STALE))} stale, "
            f"{len(preview.in_state(Outcome.FAILED))} unreadable"
            + _extra(
                (len(preview.in_state(Outcome.IN_PR)), "already in another PR"),
                (len(preview.in_state(Outcome.REFUSED)), "refused"),
            )
            + "."
        )
    )


def _extra(*counts: tuple[int, str]) -> str:
    """`, 2 refused` parts, only for counts that are not 0 (the usual line stays as it was)."""
    return "".join(f", {count} {label}" for count, label in counts if count)


def render_approval_request(phrase: str, console: Console) -> None:
    """Ask for the approval phrase (the CLI reads the answer)."""
    console.print(
        Text.assemble(
            "Type ", (phrase, "bold"), " to open these pull requests; anything else cancels."
        )
    )


def render_nothing_planned(console: Console) -> None:
    """The plan holds no PR action at all."""
    console.print(Text("This plan opens no PRs: nothing to apply."))


def render_concluded(end: JournalRecord, console: Console) -> None:
    """The journal says an earlier run concluded this plan: nothing is read or written."""
    how = "refused as a whole" if end.end is RunEnd.REFUSED else "finished"
    console.print(
        Text(
            f"This plan was {how} by an earlier apply ({end.ts}): nothing left to apply. "
            "A newer plan supersedes it."
        ),
        soft_wrap=True,
    )


def render_nothing_to_open(preview: Preview, console: Console) -> None:
    """After the preview, when nothing needs approval (all done, stale or unreadable)."""
    console.print(Text("Nothing to open."))
    if preview.in_state(Outcome.STALE):
        console.print(Text(f"Refresh the stale repos with:\n  {refresh_command(preview.plan)}"))


def render_lock_takeover(holder: LockInfo, console: Console) -> None:
    """The lock was left by a process that died; say whose it was."""
    console.print(
        Text.assemble(
            ("Note:", "yellow"),
            f" took over the lock left by {holder.describe()} (that process is gone)",
        )
    )


# --- Progress, while applying: one line per result state ---------------------------------------


def _render_opened(result: ActionResult) -> Text | None:
    notes = f" ({'; '.join(result.notes)})" if result.notes else ""
    return _marked(
        Outcome.OPENED, f"{result.repo_id}: opened PR #{result.pr_num} {result.pr_url}{notes}"
    )


def _render_updated(result: ActionResult) -> Text | None:
    return _marked(
        Outcome.UPDATED, f"{result.repo_id}: updated our PR #{result.pr_num} {result.pr_url}"
    )


def _render_closed(result: ActionResult) -> Text | None:
    return _marked(
        Outcome.CLOSED,
        f"{result.repo_id}: closed our PR #{result.pr_num} {result.pr_url} "
        "(nothing of it is wanted any more)",
    )


def _render_prs_disabled(result: ActionResult) -> Text | None:
    return _marked(
        Outcome.PRS_DISABLED, f"{result.repo_id}: the Hub refuses PRs here: recorded, not retried"
    )


def _render_committed(result: ActionResult) -> Text | None:
    return _marked(Outcome.COMMITTED, f"{result.repo_id}: committed {result.commit_oid} to main")


def _render_in_pr_result(result: ActionResult) -> Text | None:
    return _marked(
        Outcome.IN_PR,
        f"{result.repo_id}: already in PR #{result.pr_num} {result.pr_url} "
        f"({'; '.join(result.changes)}): recorded",
    )


def _render_refused_result(result: ActionResult) -> Text | None:
    return _marked(Outcome.REFUSED, f"{result.repo_id}: refused: {result.error}")


def _render_adopted(result: ActionResult) -> Text | None:
    if result.pr_num is None:  # a direct commit an earlier run made
        return _marked(Outcome.ADOPTED, f"{result.repo_id}: {'; '.join(result.changes)} (recorded)")
    return _marked(
        Outcome.ADOPTED, f"{result.repo_id}: found PR #{result.pr_num} {result.pr_url} (recorded)"
    )


def _render_noop(result: ActionResult) -> Text | None:
    return _marked(Outcome.NOOP, f"{result.repo_id}: the Hub made no PR (files already identical)")


def _render_stale_result(result: ActionResult) -> Text | None:
    return _marked(Outcome.STALE, f"{result.repo_id}: stale, skipped ({'; '.join(result.changes)})")


def _render_failed(result: ActionResult) -> Text | None:
    return _marked(Outcome.FAILED, f"{result.repo_id}: failed: {result.error}")


def _render_silent(result: ActionResult) -> Text | None:
    return None  # pending and already-done actions are counted in the summary line only


_RESULT_LINES: dict[Outcome, Callable[[ActionResult], Text | None]] = {
    Outcome.OPENED: _render_opened,
    Outcome.UPDATED: _render_updated,
    Outcome.CLOSED: _render_closed,
    Outcome.PRS_DISABLED: _render_prs_disabled,
    Outcome.COMMITTED: _render_committed,
    Outcome.ADOPTED: _render_adopted,
    Outcome.IN_PR: _render_in_pr_result,
    Outcome.ALREADY_DONE: _render_silent,
    Outcome.NOOP: _render_noop,
    Outcome.STALE: _render_stale_result,
    Outcome.FAILED: _render_failed,
    Outcome.REFUSED: _render_refused_result,
    Outcome.PENDING: _render_silent,
}


def render_event(event: ApplyEvent, console: Console) -> None:
    """Print one line for an action that ended (an `apply_start` event prints nothing)."""
    if event.result is None:
        return
    line = _RESULT_LINES[event.result.state](event.result)
    if line is not None:
        console.print(line)


# --- The summary, after applying ---------------------------------------------------------------

#: What to do next about actions in these states, in the order printed.
_NEXT_STEPS: dict[Outcome, Callable[[ApplyReport, Path], str]] = {
    Outcome.PENDING: lambda report, plan_path: (
        f"Run `eeesync apply {plan_path}` again to open the pending PRs."
    ),
    Outcome.FAILED: lambda report, plan_path: (
        f"Failed actions are retried (after a Hub check) by `eeesync apply {plan_path}`."
    ),
    Outcome.STALE: lambda report, plan_path: (
        f"Stale repos were skipped. Refresh them with:\n  {refresh_command(report.plan)}"
    ),
    Outcome.REFUSED: lambda report, plan_path: (
        "Refused repos are never written: the plan holds files `eeesync plan` does not make "
        "(was it edited?). Make a new plan."
    ),
}


def render_report(report: ApplyReport, console: Console, *, plan_path: Path) -> None:
    """Print the summary line (CI greps it), where the journal is, and what to do next."""
    console.print(
        Text(
            "Apply {state}: {opened} opened, {adopted} recorded, {already_done} already done, "
            "{noop} no-op, {stale} stale, {failed} failed, {pending} pending".format(
                state="interrupted" if report.interrupted else "complete", **report.counts
            )
            + _extra(
                (len(report.of(Outcome.COMMITTED)), "committed to main"),
                (len(report.of(Outcome.IN_PR)), "already in another PR"),
                (len(report.of(Outcome.REFUSED)), "refused"),
            )
            + "."
        ),
        soft_wrap=True,  # one line even at 80 columns: CI greps it
    )
    console.print(Text(f"Journal: {journal_path(plan_path)} (commit it with the plan)"))
    for state, next_step in _NEXT_STEPS.items():
        if report.of(state):
            console.print(Text(next_step(report, plan_path)))


# --- `--json`: one NDJSON message per call ------------------------------------------------------


def _message(kind: str, **fields: Any) -> dict[str, Any]:
    """One NDJSON message: its type, the UI version, then its fields."""
    return {"type": kind, "ui_version": JSON_UI_VERSION, **fields}


def version_message() -> dict[str, Any]:
    """The first message of every `--json` stream (`ui` is `ui_version`, kept from 1.0)."""
    return _message("version", tool="eeesync", version=__version__, ui=JSON_UI_VERSION)


def preview_message(preview: Preview) -> dict[str, Any]:
    """Action ids by what the preview found for them."""
    return _message(
        "preview",
        to_open=[c.repo.action_id for c in preview.to_open],
        adopt=[c.repo.action_id for c in preview.in_state(Outcome.ADOPTED)],
        in_pr={
            c.repo.action_id: c.found.num
            for c in preview.in_state(Outcome.IN_PR)
            if c.found is not None
        },
        done=[c.repo.action_id for c in preview.in_state(Outcome.ALREADY_DONE)],
        stale={c.repo.action_id: list(c.changes) for c in preview.in_state(Outcome.STALE)},
        errors={c.repo.action_id: c.error for c in preview.in_state(Outcome.FAILED)},
        refused={c.repo.action_id: c.error for c in preview.in_state(Outcome.REFUSED)},
        notes={c.repo.action_id: list(c.notes) for c in preview.checks if c.notes},
    )


def event_message(event: ApplyEvent) -> dict[str, Any]:
    """One progress event, with its action's result when it ended."""
    data = _message(event.kind, repo_id=event.repo_id, action_id=event.action_id)
    if event.result is not None:
        data.update(attrs.asdict(event.result))
        data["state"] = event.result.state.value
    if event.attempt:
        data["attempt"] = event.attempt
    return data


def nothing_to_open_message(preview: Preview) -> dict[str, Any]:
    """The summary when nothing needed approval."""
    return _message(
        "summary",
        opened=0,
        stale=len(preview.in_state(Outcome.STALE)),
        failed=len(preview.in_state(Outcome.FAILED)),
        refused=len(preview.in_state(Outcome.REFUSED)),
    )


def concluded_message(end: JournalRecord) -> dict[str, Any]:
    """The summary when the journal says an earlier run concluded the plan."""
    return _message("summary", opened=0, stale=0, failed=0, refused=0, concluded=str(end.end))


def report_message(report: ApplyReport) -> dict[str, Any]:
    """The summary of a run: one count per result state."""
    return _message("summary", interrupted=report.interrupted, **report.counts)


def summary_message(counts: Mapping[Outcome, int]) -> dict[str, Any]:
    """The summary of a run that is not a sync plan's (an import plan's one action): every
    result state counted, 0 where `counts` has none."""
    return _message("summary", interrupted=False, **{s.value: counts.get(s, 0) for s in Outcome})
