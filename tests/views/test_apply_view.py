"""The apply view: hand-built previews, events and reports rendered at 80 columns, no Hub."""

from __future__ import annotations

import json
from pathlib import Path

import attrs
import pytest

from eeesync.apply import (
    ActionResult,
    ApplyEvent,
    ApplyReport,
    FoundPR,
    Outcome,
    Preview,
    RepoCheck,
    journal_path,
)
from eeesync.apply.allowed_writes import Allowed
from eeesync.apply.check import CheckContext
from eeesync.apply.journal import ActionRecordSummary, Event, JournalRecord
from eeesync.apply.lock import LockInfo
from eeesync.plan.model import RepoPlan, Status
from eeesync.views import apply_view
from eeesync.views.apply_view import _PREVIEW_SECTIONS, _RESULT_LINES
from tests.plan_factory import desired, plan_of, planned, ready_file, repo_plan
from tests.views.conftest import COLOUR_SGR, recording_console, terminal_console

PLAN_PATH = Path("plans/mmlu.plan.json")
#: Long enough to need folding in an 80-column table.
LONG_ID = "a-very-long-organisation-name/an-even-longer-model-name-7b-instruct-v0.3"
REPOS = ("acme/ready", "acme/adopted", "acme/stale", "acme/unreadable", "acme/done")


def _ready_repo(repo_id: str, benchmarks: tuple[str, ...] = ("mmlu_pro",)) -> RepoPlan:
    wanted = [desired(repo_id, b, 40.0 + i, line=i + 1) for i, b in enumerate(benchmarks)]
    return repo_plan(
        repo_id,
        [planned(Status.READY, w) for w in wanted],
        files=[ready_file(w.file_path, [w]) for w in wanted],
    )


PLAN = plan_of(
    [_ready_repo(REPOS[0], ("mmlu_pro", "gpqa"))]
    + [_ready_repo(r) for r in REPOS[1:]]
    + [_ready_repo(LONG_ID)]
)


def _repo(repo_id: str) -> RepoPlan:
    repo = PLAN.repo(repo_id)
    assert repo is not None
    return repo


def _preview(*checks: RepoCheck) -> Preview:
    return Preview(PLAN, PLAN_PATH, checks, CheckContext(None, Allowed(frozenset(), ())))


EVERY_CHECK = _preview(
    RepoCheck(_repo(REPOS[0]), 0, Outcome.PENDING),
    RepoCheck(
        _repo(REPOS[1]),
        1,
        Outcome.ADOPTED,
        found=FoundPR(7, "https://huggingface.co/acme/adopted/discussions/7", "draft"),
    ),
    RepoCheck(_repo(REPOS[2]), 2, Outcome.STALE, changes=("main moved abc1234 → def5678",)),
    RepoCheck(_repo(REPOS[3]), 3, Outcome.FAILED, error="could not re-check the repo: HTTP 500"),
    RepoCheck(_repo(REPOS[4]), 4, Outcome.ALREADY_DONE),
)


def _result(state: Outcome, repo_id: str = REPOS[0], **fields: object) -> ActionResult:
    return ActionResult(repo_id, _repo(repo_id).action_id, state, **fields)  # type: ignore[arg-type]


EVERY_RESULT = {
    Outcome.OPENED: _result(
        Outcome.OPENED,
        pr_num=1,
        pr_url="https://huggingface.co/acme/ready/discussions/1",
        commit_oid="c" * 40,
    ),
    Outcome.ADOPTED: _result(
        Outcome.ADOPTED, pr_num=7, pr_url="https://huggingface.co/acme/ready/discussions/7"
    ),
    Outcome.ALREADY_DONE: _result(Outcome.ALREADY_DONE, pr_num=2),
    Outcome.NOOP: _result(Outcome.NOOP, commit_oid="d" * 40),
    Outcome.STALE: _result(Outcome.STALE, changes=("PR #3 opened", "main moved a → b")),
    Outcome.FAILED: _result(Outcome.FAILED, error="HTTP 503: [busy] try later"),
    Outcome.PENDING: _result(Outcome.PENDING),
}


def render(fn, *args, width: int = 80, **kwargs) -> str:  # type: ignore[no-untyped-def]
    console = recording_console(width)
    fn(*args, console, **kwargs)
    return console.export_text()


def assert_fits(text: str, width: int = 80) -> None:
    """Every line fits, except the summary line: one unwrapped line is the CI contract."""
    lines = text.splitlines()
    too_wide = [line for line in lines if len(line) > width and not line.startswith("Apply ")]
    assert too_wide == []
    assert sum(line.startswith("Apply ") for line in lines) <= 1


# --- Dispatch ------------------------------------------------------------------------------------


def test_every_check_state_and_result_state_has_one_renderer() -> None:
    # The outcomes of a write, which a read-only check never has:
    writes = {
        Outcome.OPENED,
        Outcome.COMMITTED,
        Outcome.UPDATED,
        Outcome.CLOSED,
        Outcome.PRS_DISABLED,
        Outcome.NOOP,
    }
    assert set(_PREVIEW_SECTIONS) == set(Outcome) - writes
    assert set(_RESULT_LINES) == set(Outcome)


# --- The preview ---------------------------------------------------------------------------------


def test_preview_renders_each_check_state_within_80_columns() -> None:
    text = render(apply_view.render_preview, EVERY_CHECK)
    assert_fits(text)
    assert text.startswith("Pull requests to open")
    table = text[: text.index("= acme/adopted")]
    assert "acme/ready" in table
    assert ".eval_results/gpqa.yaml" in table and ".eval_results/mmlu_pro.yaml" in table
    for absent in REPOS[1:]:
        assert absent not in table  # only READY repos are in the table
    assert "= acme/adopted: PR #7 (draft) already carries this plan's marker" in " ".join(
        text.split()
    )
    assert "it will be recorded, not opened again" in " ".join(text.split())
    assert "~ acme/stale: stale, will be skipped: main moved abc1234 → def5678" in text
    assert "x acme/unreadable: could not re-check the repo: HTTP 500" in text
    assert "acme/done" not in text  # already done: counted, not listed
    summary = " ".join(text.split("Apply: ", 1)[1].split())
    assert summary == (
        "1 PR to open (2 files, 2 entries), 1 to record, 1 already done, 1 stale, 1 unreadable."
    )


def test_adopt_says_interrupted_only_when_the_journal_says_so() -> None:
    """Issue 14 §3: without a journal intent, an adopted PR came from another run."""
    found = FoundPR(7, "https://huggingface.co/acme/adopted/discussions/7", "open", "me")
    plain = RepoCheck(_repo(REPOS[1]), 1, Outcome.ADOPTED, found=found)
    intent = JournalRecord(
        event=Event.INTENT, plan_digest=PLAN.digest, ts="t", actor="a", action_id="x"
    )
    crashed = attrs.evolve(
        plain, journal=ActionRecordSummary(Outcome.PENDING, intent, attempted=True)
    )
    text = " ".join(render(apply_view.render_preview, _preview(plain), width=200).split())
    assert "interrupted" not in text and "(opened by another run)" in text
    text = " ".join(render(apply_view.render_preview, _preview(crashed), width=200).split())
    assert "(an earlier run was interrupted)" in text


def test_preview_names_in_pr_refused_and_ignored_markers() -> None:
    found = FoundPR(3, "https://huggingface.co/acme/adopted/discussions/3", "open", "alice")
    preview = _preview(
        RepoCheck(_repo(REPOS[1]), 0, Outcome.IN_PR, found=found),
        RepoCheck(
            _repo(REPOS[2]),
            1,
            Outcome.REFUSED,
            error="'config.json' is not a file a plan may write",
            notes=("PR #2 carries this plan's marker but was opened by eve, not me: ignored",),
        ),
    )
    text = " ".join(render(apply_view.render_preview, preview, width=200).split())
    assert "= acme/adopted: PR #3 (open, by alice) already holds these entries" in text
    assert "x acme/stale: refused: 'config.json' is not a file a plan may write" in text
    assert "! acme/stale: PR #2 carries this plan's marker but was opened by eve" in text
    assert text.endswith("1 already in another PR, 1 refused.")


def test_preview_sections_print_in_order() -> None:
    text = render(apply_view.render_preview, EVERY_CHECK, width=200)
    marks = [text.index(s) for s in ("Pull requests", "= acme/", "~ acme/", "x acme/", "Apply:")]
    assert marks == sorted(marks)


def test_preview_pluralises_and_folds_a_long_repo_id_at_80_columns() -> None:
    preview = _preview(
        RepoCheck(_repo(LONG_ID), 0, Outcome.PENDING),
        RepoCheck(_repo(REPOS[2]), 1, Outcome.PENDING),
    )
    text = render(apply_view.render_preview, preview)
    assert_fits(text)
    assert LONG_ID not in text  # folded over two lines, never cropped
    first_column = [line.split("│")[1].strip() for line in text.splitlines() if "│" in line]
    assert first_column[:3] == [LONG_ID[:36], LONG_ID[36:], "acme/stale"]
    assert "Apply: 2 PRs to open (2 files, 2 entries), 0 to record," in text


def test_a_preview_with_nothing_to_open_is_only_the_summary_line() -> None:
    done = _preview(RepoCheck(_repo(REPOS[4]), 0, Outcome.ALREADY_DONE))
    text = render(apply_view.render_preview, done)
    assert_fits(text)
    assert " ".join(text.split()) == (
        "Apply: 0 PRs to open (0 files, 0 entries), 0 to record, 1 already done, 0 stale, "
        "0 unreadable."
    )


def test_nothing_to_open_names_the_refresh_command_only_when_stale() -> None:
    stale = _preview(RepoCheck(_repo(REPOS[2]), 0, Outcome.STALE, changes=("x",)))
    assert render(apply_view.render_nothing_to_open, stale) == (
        "Nothing to open.\nRefresh the stale repos with:\n  eeesync plan mmlu_pro\n"
    )
    done = _preview(RepoCheck(_repo(REPOS[4]), 0, Outcome.ALREADY_DONE))
    assert render(apply_view.render_nothing_to_open, done) == "Nothing to open.\n"


def test_small_messages() -> None:
    assert render(apply_view.render_nothing_planned) == (
        "This plan opens no PRs: nothing to apply.\n"
    )
    assert render(apply_view.render_approval_request, "OPEN PRS") == (
        "Type OPEN PRS to open these pull requests; anything else cancels.\n"
    )
    holder = LockInfo("abc123def456", "ada", "lab", 4242, PLAN.digest, "2026-08-01T12:00:00Z")
    text = render(apply_view.render_lock_takeover, holder, width=200)
    assert text == (
        "Note: took over the lock left by ada@lab (pid 4242) since 2026-08-01T12:00:00Z, "
        "lock id abc123def456 (that process is gone)\n"
    )


# --- Progress ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "state, expected",
    [
        (
            Outcome.OPENED,
            "+ acme/ready: opened PR #1 https://huggingface.co/acme/ready/discussions/1\n",
        ),
        (
            Outcome.ADOPTED,
            "= acme/ready: found PR #7 https://huggingface.co/acme/ready/discussions/7 "
            "(recorded)\n",
        ),
        (Outcome.NOOP, "! acme/ready: the Hub made no PR (files already identical)\n"),
        (Outcome.STALE, "~ acme/ready: stale, skipped (PR #3 opened; main moved a → b)\n"),
        # Hub text is never rich markup: "[busy]" stays as it came.
        (Outcome.FAILED, "x acme/ready: failed: HTTP 503: [busy] try later\n"),
        (Outcome.ALREADY_DONE, ""),
        (Outcome.PENDING, ""),
    ],
)
def test_each_result_state_renders_its_line(state: Outcome, expected: str) -> None:
    text = render(apply_view.render_event, ApplyEvent.finished(EVERY_RESULT[state]), width=200)
    assert text == expected


def test_a_start_event_renders_nothing() -> None:
    repo = _repo(REPOS[0])
    event = ApplyEvent("apply_start", repo.repo_id, repo.action_id, attempt=1)
    assert render(apply_view.render_event, event) == ""


def test_progress_lines_fold_within_80_columns() -> None:
    result = _result(Outcome.FAILED, LONG_ID, error="HTTP 500: " + "internal error " * 8)
    text = render(apply_view.render_event, ApplyEvent.finished(result))
    assert_fits(text)
    assert " ".join(text.split()).startswith(f"x {LONG_ID}: failed: HTTP 500: internal error")


# --- The summary ---------------------------------------------------------------------------------


def test_report_names_the_counts_the_journal_and_every_next_step() -> None:
    report = ApplyReport(PLAN, tuple(EVERY_RESULT.values()))
    text = render(apply_view.render_report, report, plan_path=PLAN_PATH, width=200)
    assert text.splitlines() == [
        "Apply complete: 1 opened, 1 recorded, 1 already done, 1 no-op, 1 stale, 1 failed, "
        "1 pending.",
        f"Journal: {journal_path(PLAN_PATH)} (commit it with the plan)",
        f"Run `eeesync apply {PLAN_PATH}` again to open the pending PRs.",
        f"Failed actions are retried (after a Hub check) by `eeesync apply {PLAN_PATH}`.",
        "Stale repos were skipped. Refresh them with:",
        "  eeesync plan mmlu_pro",
    ]


def test_a_clean_interrupted_report_has_no_next_steps_and_fits_80_columns() -> None:
    report = ApplyReport(PLAN, (EVERY_RESULT[Outcome.OPENED],), interrupted=True)
    text = render(apply_view.render_report, report, plan_path=PLAN_PATH)
    assert_fits(text)
    assert text.startswith("Apply interrupted: 1 opened, 0 recorded,")
    assert text.rstrip().endswith("(commit it with the plan)")


# --- Colour ------------------------------------------------------------------------------------


def _render_everything(console) -> None:  # type: ignore[no-untyped-def]
    apply_view.render_preview(EVERY_CHECK, console)
    for result in EVERY_RESULT.values():
        apply_view.render_event(ApplyEvent.finished(result), console)
    apply_view.render_report(
        ApplyReport(PLAN, tuple(EVERY_RESULT.values())), console, plan_path=PLAN_PATH
    )


def test_no_color_console_gets_no_colour_but_the_same_words() -> None:
    console, buffer = terminal_console(no_color=True, width=80)
    _render_everything(console)
    assert not COLOUR_SGR.search(buffer.getvalue())
    plain = recording_console(80)
    _render_everything(plain)
    assert "\x1b" not in plain.export_text()
    coloured, colour_buffer = terminal_console(width=80)
    _render_everything(coloured)
    assert COLOUR_SGR.search(colour_buffer.getvalue())  # the marks are coloured at a terminal


# --- --json messages ---------------------------------------------------------------------------


def test_json_messages_have_stable_shapes() -> None:
    version = apply_view.version_message()
    assert version["type"] == "version" and version["ui"] == apply_view.JSON_UI_VERSION
    preview = apply_view.preview_message(EVERY_CHECK)
    assert preview == {
        "type": "preview",
        "ui_version": apply_view.JSON_UI_VERSION,
        "to_open": [_repo(REPOS[0]).action_id],
        "adopt": [_repo(REPOS[1]).action_id],
        "done": [_repo(REPOS[4]).action_id],
        "stale": {_repo(REPOS[2]).action_id: ["main moved abc1234 → def5678"]},
        "errors": {_repo(REPOS[3]).action_id: "could not re-check the repo: HTTP 500"},
        # ui 1.1 (issue 14): in_pr, refused and notes are always present.
        "in_pr": {},
        "refused": {},
        "notes": {},
    }
    opened = apply_view.event_message(ApplyEvent.finished(EVERY_RESULT[Outcome.OPENED]))
    opened = json.loads(json.dumps(opened))  # as a consumer reads the NDJSON line
    assert opened == {
        "type": "apply_complete",
        "ui_version": apply_view.JSON_UI_VERSION,
        "repo_id": "acme/ready",
        "action_id": _repo(REPOS[0]).action_id,
        "state": "opened",
        "pr_num": 1,
        "pr_url": "https://huggingface.co/acme/ready/discussions/1",
        "commit_oid": "c" * 40,
        "error": "",
        "changes": [],
        "notes": [],  # ui 1.1
    }
    kinds = {
        state: apply_view.event_message(ApplyEvent.finished(result))["type"]
        for state, result in EVERY_RESULT.items()
    }
    assert kinds[Outcome.FAILED] == "apply_errored"
    assert kinds[Outcome.STALE] == "stale"
    assert kinds[Outcome.PENDING] == "skipped"
    start = ApplyEvent("apply_start", "acme/ready", "pr:1", attempt=2)
    assert apply_view.event_message(start) == {
        "type": "apply_start",
        "ui_version": apply_view.JSON_UI_VERSION,
        "repo_id": "acme/ready",
        "action_id": "pr:1",
        "attempt": 2,
    }
    report = apply_view.report_message(ApplyReport(PLAN, tuple(EVERY_RESULT.values())))
    assert report == {
        "type": "summary",
        "ui_version": apply_view.JSON_UI_VERSION,
        "interrupted": False,
        **dict.fromkeys(
            ("opened", "adopted", "already_done", "noop", "stale", "failed", "pending"), 1
        ),
        "in_pr": 0,  # ui 1.1
        "refused": 0,
        **dict.fromkeys(("updated", "closed", "prs_disabled", "committed"), 0),  # ui 1.3
    }
    assert apply_view.nothing_to_open_message(EVERY_CHECK) == {
        "type": "summary",
        "ui_version": apply_view.JSON_UI_VERSION,
        "opened": 0,
        "stale": 1,
        "failed": 1,
        "refused": 0,  # ui 1.1
    }


def test_in_pr_and_refused_results_render_and_extend_the_summary_only_when_present() -> None:
    """Issue 14: a run that found its entries in another PR (or refused a repo) says so."""
    in_pr = _result(
        Outcome.IN_PR,
        pr_num=3,
        pr_url="https://huggingface.co/acme/ready/discussions/3",
        changes=("opened PR #4 and closed it: PR #3 holds the same files",),
    )
    refused = _result(Outcome.REFUSED, REPOS[2], error="value 935.86 is outside 0–100")
    text = render(apply_view.render_event, ApplyEvent.finished(in_pr), width=200)
    assert text == (
        "= acme/ready: already in PR #3 https://huggingface.co/acme/ready/discussions/3 "
        "(opened PR #4 and closed it: PR #3 holds the same files): recorded\n"
    )
    text = render(apply_view.render_event, ApplyEvent.finished(refused), width=200)
    assert text == "x acme/stale: refused: value 935.86 is outside 0–100\n"
    report = ApplyReport(PLAN, (in_pr, refused))
    text = render(apply_view.render_report, report, plan_path=PLAN_PATH, width=200)
    assert text.splitlines()[0] == (
        "Apply complete: 0 opened, 0 recorded, 0 already done, 0 no-op, 0 stale, 0 failed, "
        "0 pending, 1 already in another PR, 1 refused."
    )
    assert "Refused repos are never written" in text
    assert not report.ok
    assert ApplyReport(PLAN, (in_pr,)).ok
