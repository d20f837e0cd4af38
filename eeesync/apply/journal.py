"""The apply journal: an append-only JSONL audit trail beside the plan (`<plan>.apply.jsonl`).

Apply writes one `intent` line before each remote write and one `result` line after it, each
flushed and fsynced, so a crash at any point leaves a journal that tells a rerun what may have
happened on the Hub (Pulumi's pending operations). It is meant to be committed with the plan.
Records go through the plan file's cattrs converter (strict: unknown keys are refused), and a
record never holds a token: error texts are redacted before they are written.

`progress` folds the journal into one state per action for `eeesync show`.
"""

from __future__ import annotations

import enum
import json
import os
import re
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

import attrs
import cattrs

from eeesync.apply.outcome import BY_JOURNAL_WORD, Outcome
from eeesync.errors import PlanFileError
from eeesync.plan.file import converter
from eeesync.plan.model import Plan

#: Version of the journal line format; a reader refuses lines of an unknown version.
JOURNAL_VERSION = 1


class Event(enum.StrEnum):
    """What a journal line records."""

    RUN = "run"  # an approved apply run started (who, message)
    INTENT = "intent"  # about to send the PR-creating POST for an action
    RESULT = "result"  # what a remote write (or an adoption) ended as
    SKIP = "skip"  # the action was not attempted in this run (stale, check failed)
    END = "end"  # how the run left the plan: finished, pending (`left` actions) or refused


class RunEnd(enum.StrEnum):
    """How a run left the plan, on its `end` line."""

    FINISHED = "finished"  # nothing left to do (written, recorded, stale or refused actions)
    PENDING = "pending"  # `left` actions are for a rerun (held back by --max-prs, failed, stopped)
    REFUSED = "refused"  # the plan was refused as a whole (`error` says why): never written


def _journal_converter() -> cattrs.Converter:
    """The plan file's converter, writing each outcome as the journal's word for it (`opened`
    is `done` on a journal line, as it always was)."""
    journal = converter.copy()

    def word_of(outcome: Outcome) -> str:
        if not outcome.info.journal:
            raise ValueError(f"the outcome {outcome} is never journaled")
        return outcome.info.journal

    journal.register_unstructure_hook(Outcome, word_of)

    def outcome_of(word: object, _: type) -> Outcome:
        if not isinstance(word, str) or word not in BY_JOURNAL_WORD:
            raise ValueError(f"unknown outcome {word!r}")
        return BY_JOURNAL_WORD[word]

    journal.register_structure_hook(Outcome, outcome_of)
    return journal


_CONVERTER = _journal_converter()


@attrs.frozen
class JournalRecord:
    """One line of the journal."""

    event: Event
    plan_digest: str
    ts: str  # UTC, ISO 8601
    #: The Hub account that wrote (`whoami` of the apply's token; "unknown" when the Hub did
    #: not say), for the audit trail. Never the machine's login: journals are committed.
    actor: str
    action_id: str = ""
    repo_id: str = ""
    attempt: int = 0  # 1-based POST attempt within a run (intent/result lines)
    content_sha256: str = ""  # the action's content hash, as in the PR marker
    parent_commit: str = ""  # the planned main sha the PR is based on
    outcome: Outcome | None = None  # result and skip lines: how the action ended
    pr_num: int | None = None
    pr_url: str | None = None
    commit_oid: str | None = None
    error: str = ""  # for people; redacted
    changes: tuple[str, ...] = ()  # stale: what moved on the Hub
    message: str = ""  # run lines: the PR title typed by the user
    tool_version: str = ""  # run lines
    end: RunEnd | None = None  # end lines: how the run left the plan
    left: int = 0  # end lines: actions a rerun would still work on
    v: int = JOURNAL_VERSION


@attrs.frozen
class ActionRecordSummary:
    """What the journal says about one action: the fold of its lines."""

    #: The last final outcome recorded, else the last stale/failed/refused one, else pending.
    state: Outcome
    last: JournalRecord | None
    #: Some POST for this action was sent (or may have been): look for its marker first.
    attempted: bool = False

    @property
    def interrupted(self) -> bool:
        """An intent without a later result: a write may have reached the Hub unrecorded."""
        return self.last is not None and self.last.event is Event.INTENT


def journal_path(plan_path: Path) -> Path:
    """`plans/x.plan.json` → `plans/x.plan.apply.jsonl` (beside the plan, committed with it)."""
    stem = plan_path.name.removesuffix(".json")
    return plan_path.with_name(f"{stem}.apply.jsonl")


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# Hub tokens (`hf_…`), bearer headers and `token=` query strings: none may reach the journal.
_SECRET_PATTERNS = (
    re.compile(r"hf_[A-Za-z0-9]{8,}"),
    re.compile(r"(?i)(bearer\s+)[^\s'\"]+"),
    re.compile(r"(?i)(token[=:]\s*)[^\s&'\"]+"),
)


def redact(text: str) -> str:
    """Remove anything that looks like a credential from a message."""
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + "***", text)
    return text


_ALWAYS = frozenset({"event", "plan_digest", "ts", "actor", "v"})


class JournalWriter:
    """Appends records to the journal, one fsynced line each; safe to share between threads.

    Opening repairs a torn last line (a crash in the middle of a write): that record was never
    acknowledged, so dropping it is what the reader would do anyway, and the next line must
    start on a line of its own.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._repair_torn_tail(path)
        self._handle = path.open("a", encoding="utf-8", newline="\n")

    @staticmethod
    def _repair_torn_tail(path: Path) -> None:
        if not path.exists():
            return
        data = path.read_bytes()
        if data and not data.endswith(b"\n"):
            keep = data.rfind(b"\n") + 1
            with path.open("r+b") as handle:
                handle.truncate(keep)
                handle.flush()
                os.fsync(handle.fileno())

    def append(self, record: JournalRecord) -> None:
        record = attrs.evolve(record, error=redact(record.error))
        data = _CONVERTER.unstructure(record)
        # Empty optional fields are left out (the reader restores their defaults): shorter
        # lines that read well in a code review of the committed journal.
        data = {k: v for k, v in data.items() if k in _ALWAYS or v not in (None, "", 0, [])}
        line = json.dumps(
            data,
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        )
        with self._lock:
            # One write per line: the crash-consistency unit. fsync before returning, so the
            # POST that follows an intent can never reach the Hub before its intent is durable.
            self._handle.write(line + "\n")
            self._handle.flush()
            os.fsync(self._handle.fileno())

    def close(self) -> None:
        with self._lock:
            if not self._handle.closed:
                self._handle.close()

    def __enter__(self) -> JournalWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def read_journal(path: Path) -> list[JournalRecord]:
    """Every record in the journal, in order ([] when there is none).

    A torn last line (crash mid-write) is ignored; any other unreadable line is an error that
    names the file and line.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanFileError(f"cannot read the apply journal {path}: {exc}") from exc
    lines = text.split("\n")
    torn_tail = not text.endswith("\n") and text != ""
    records: list[JournalRecord] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        is_last = number == len(lines)
        try:
            data = json.loads(line)
            if not isinstance(data, dict) or data.get("v") != JOURNAL_VERSION:
                raise ValueError(f"unknown journal line version {data.get('v')!r}")
            records.append(_CONVERTER.structure(data, JournalRecord))
        except (ValueError, TypeError, KeyError, cattrs.BaseValidationError) as exc:
            if is_last and torn_tail:
                break
            detail = (
                "; ".join(cattrs.transform_error(exc))
                if isinstance(exc, cattrs.BaseValidationError)
                else str(exc)
            )
            raise PlanFileError(
                f"{path}:{number}: not a valid apply journal line: {detail}",
                hint="The journal is append-only; restore it from git rather than editing it.",
            ) from exc
    return records


def summarize(records: Iterable[JournalRecord], plan_digest: str) -> dict[str, ActionRecordSummary]:
    """Fold the journal into one summary per action id, for the plan with `plan_digest`.

    Lines written for another plan (a different digest: the file at this path was replaced) are
    ignored, so they can never mark this plan's actions as done.
    """
    by_action: dict[str, list[JournalRecord]] = {}
    for record in records:
        if record.plan_digest != plan_digest or not record.action_id:
            continue
        by_action.setdefault(record.action_id, []).append(record)
    return {action_id: _fold(lines) for action_id, lines in by_action.items()}


def _fold(lines: list[JournalRecord]) -> ActionRecordSummary:
    attempted = any(r.event is Event.INTENT for r in lines)
    # A terminal result anywhere wins: once a PR is recorded, nothing may open another. The
    # last one tells which PR holds the entries (a duplicate we closed names the one kept).
    for record in reversed(lines):
        if record.event is Event.RESULT and record.outcome and record.outcome.info.final:
            return ActionRecordSummary(record.outcome, record, attempted=attempted)
    last = lines[-1]
    if last.event is Event.INTENT or last.outcome is None:
        return ActionRecordSummary(Outcome.PENDING, last, attempted=attempted)
    return ActionRecordSummary(last.outcome, last, attempted=attempted)


def concluded(records: Iterable[JournalRecord], plan_digest: str) -> JournalRecord | None:
    """The `end` line that concluded the plan (finished, or refused as a whole), if the last
    run of this plan ended so: a rerun has nothing to do, a newer plan supersedes it."""
    ends = [r for r in records if r.event is Event.END and r.plan_digest == plan_digest]
    if ends and ends[-1].end in (RunEnd.FINISHED, RunEnd.REFUSED):
        return ends[-1]
    return None


def progress(plan_path: Path, plan: Plan) -> dict[str, Outcome]:
    """action_id → its outcome so far for every PR action in the plan, from the journal beside
    it (all pending when there is no journal)."""
    summaries = summarize(read_journal(journal_path(plan_path)), plan.digest)
    out: dict[str, Outcome] = {}
    for repo in plan.repos:
        if not repo.opens_pr:
            continue
        summary = summaries.get(repo.action_id)
        out[repo.action_id] = summary.state if summary else Outcome.PENDING
    return out
