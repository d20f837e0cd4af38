"""What the terminal and markdown views share: options, the CI summary line, grouping, links.

Views sit at the end of the pipeline (plan → views): they receive a finished `Plan` and never
call the Hub, read files or decide a status. Everything here is a pure function of the plan, so
the terminal and markdown views always agree on numbers, titles and order.
"""

from __future__ import annotations

import collections
import enum
import itertools
from collections.abc import Iterable, Mapping
from typing import Any, Final, TypeAlias

import attrs

from eeesync.apply.outcome import Outcome
from eeesync.plan.model import (
    STATUS_ORDER,
    Existing,
    FileChange,
    Plan,
    PlannedEntry,
    RepoPlan,
    SkippedItem,
    Status,
)
from eeesync.text import plural
from eeesync.views.formatting import format_value

#: Apply progress from the journal: action id → the action's outcome so far.
ApplyProgress: TypeAlias = Mapping[str, Outcome]

#: Rows per table when the user did not ask for that status explicitly (`--status S` lifts it).
DEFAULT_ROW_LIMIT: Final = 25
#: Example locations listed per skip reason.
SKIP_EXAMPLES: Final = 3

#: Shown unless `--status` says otherwise (an already-present entry needs no review).
DEFAULT_STATUSES: Final = frozenset(s for s in STATUS_ORDER if s.info.shown_by_default)


@attrs.frozen
class ViewOptions:
    """How to render a plan (one object instead of long parameter lists, like Alembic's
    `AutogenContext`)."""

    #: Statuses whose sections are shown; None shows the default selection.
    statuses: frozenset[Status] | None = None
    #: Apply progress by action id (from the apply journal); None when nothing was applied.
    progress: ApplyProgress | None = None
    #: How the plan is named in hints such as "see `eeesync show PLAN --status S`".
    plan_ref: str = "PLAN"
    row_limit: int = DEFAULT_ROW_LIMIT
    #: Markdown only: fit the text in this many UTF-8 bytes (per-file contents go first).
    max_bytes: int | None = None
    #: Where the full plan can be read (a URL), for the note that says what was left out.
    plan_url: str | None = None
    #: List every unmatched (collection, evaluation name) group (`--status unmatched`).
    show_unmatched: bool = False

    def shows(self, status: Status) -> bool:
        return status in (DEFAULT_STATUSES if self.statuses is None else self.statuses)

    def limit_for(self, status: Status) -> int | None:
        """Row cap for a status's table; none when the user asked for exactly that status."""
        if self.statuses is not None and status in self.statuses:
            return None
        return self.row_limit

    def more_hint(self, status: Status, hidden: int) -> str:
        return f"… and {hidden} more (see `eeesync show {self.plan_ref} --status {status.value}`)"

    def progress_of(self, repo: RepoPlan) -> Outcome | None:
        """The apply outcome of a repo's PR action, when progress is known (pending if unseen)."""
        if self.progress is None or not repo.action_id:
            return None
        return self.progress.get(repo.action_id, Outcome.PENDING)


# --- Numbers -----------------------------------------------------------------------------------


def attention_count(plan: Plan) -> int:
    """Entries (and skipped records) a reviewer should look at."""
    return sum(plan.counts.get(s) for s in STATUS_ORDER if s.needs_attention)


def hidden_counts(plan: Plan, options: ViewOptions) -> list[tuple[Status, int]]:
    """Statuses listed only on request (`shown_by_default` false) that hold entries but are not
    shown: each view says how many and how to see them."""
    return [
        (status, plan.counts.get(status))
        for status in STATUS_ORDER
        if not status.info.shown_by_default
        and not options.shows(status)
        and plan.counts.get(status)
    ]


def action_note(repo: RepoPlan) -> str:
    """What a repo's action does besides opening a new PR ("" when that is all it does)."""
    if repo.close_pr:
        return f"closes our open PR #{repo.update_pr}: every entry of it is withdrawn"
    if repo.update_pr:
        return f"one commit to our open PR #{repo.update_pr}, its description refreshed"
    if repo.fixes_main:
        return "also updates outdated entries of main in place"
    return ""


def summary_line(plan: Plan) -> str:
    """The one-line summary. A contract for CI scripts: change it on purpose, with its tests.

    Example: `Plan: 3 pull requests to open (4 files, 5 new entries); 2 already present,
    1 pending in PRs, 2 need attention.`
    """
    counts = plan.counts
    attention = attention_count(plan)
    direct = sum(1 for r in plan.repos if r.direct)
    ours = sum(1 for r in plan.repos if r.update_pr)
    writes = plural(counts.prs_to_open - direct, "pull request") + " to open"
    if ours:  # said only when there are some, so the usual line is unchanged
        writes += f" or update ({ours} of ours to update or close)"
    if direct:
        writes += f" and {plural(direct, 'direct commit')} to main"
    return (
        f"Plan: {writes} "
        f"({plural(counts.files_to_write, 'file')}, "
        f"{plural(counts.get(Status.READY), 'new entry', 'new entries')}); "
        f"{counts.get(Status.ALREADY_PRESENT)} already present, "
        f"{counts.get(Status.PENDING_PR)} pending in PRs, "
        f"{attention} {'needs' if attention == 1 else 'need'} attention."
    )


def account_line(plan: Plan) -> str:
    """Who the plan was made as and how its writes go: `alice (2 owned repos get a direct
    commit to main; the rest PRs)`; "" when the plan was made without a token."""
    account = plan.inputs.account
    if not account:
        return ""
    direct = sum(1 for r in plan.repos if r.direct)
    if not direct:
        return f"{account} (every write is a pull request)"
    return (
        f"{account} ({plural(direct, 'owned repo')} get{'s' if direct == 1 else ''} a direct "
        "commit to main; the rest pull requests)"
    )


#: Unmatched (collection, evaluation name) pairs named in every summary.
UNMATCHED_TOP: Final = 5


def coverage_line(plan: Plan, top: int = UNMATCHED_TOP) -> str:
    """How many results no benchmark recognised, with the largest groups.

    Example: `Coverage: 1,204 results matched no benchmark; top: hfopenllm_v2 · IFEval (301),
    hfopenllm_v2 · BBH (301).`
    """
    total = plan.counts.unmatched
    if not total:
        return "Coverage: every result matched a benchmark."
    shown = ", ".join(
        f"{g.collection} · {g.evaluation_name} ({g.results:,})" for g in plan.unmatched[:top]
    )
    more = f" and {len(plan.unmatched) - top:,} more groups" if len(plan.unmatched) > top else ""
    return (
        f"Coverage: {plural(total, 'result')} matched no benchmark "
        f"({plural(len(plan.unmatched), 'group')}); top: {shown}{more}."
    ).replace(f"{total} result", f"{total:,} result", 1)


def progress_summary(plan: Plan, progress: ApplyProgress) -> str:
    """`Apply progress: 2 opened, 1 pending.` over the repos that open a PR."""
    tally = collections.Counter(
        progress.get(repo.action_id, Outcome.PENDING) for repo in plan.repos if repo.opens_pr
    )
    parts = [f"{tally[outcome]} {outcome}" for outcome in Outcome if tally[outcome]]
    return f"Apply progress: {', '.join(parts) or 'nothing to apply'}."


def entry_label(entry: PlannedEntry) -> str:
    """`benchmark`, plus the task id when it differs and the notes: `gpqa/gpqa_diamond (cot)`."""
    desired = entry.desired
    label = desired.benchmark or desired.entry.dataset_id
    if desired.entry.task_id and desired.entry.task_id != label:
        label += f"/{desired.entry.task_id}"
    if desired.entry.notes:
        label += f" ({desired.entry.notes})"
    return label


def where_label(existing: Existing) -> str:
    """Where a matching Hub entry lives: `main · mmlu_pro.yaml` or `PR #12 · mmlu_pro.yaml`."""
    if existing.location == "main":
        place = "main"
    else:
        place = f"PR #{existing.pr_num}" if existing.pr_num is not None else "open PR"
    return f"{place} · {existing.path.rsplit('/', 1)[-1]}"


def where_url(existing: Existing) -> str | None:
    return existing.pr_url if existing.location != "main" and existing.pr_url else existing.url


def existing_value(existing: Existing) -> str:
    """The normalised value, with the raw text when it was written differently (0.412 → 41.2)."""
    shown = format_value(existing.value)
    raw = existing.raw_value.strip()
    if raw and raw != shown:
        return f"{shown} ({raw})"
    return shown


# --- Grouping ----------------------------------------------------------------------------------

EntryRow: TypeAlias = tuple[RepoPlan, PlannedEntry]


def entries_with(plan: Plan, status: Status) -> list[EntryRow]:
    """Planned entries with one status, in plan order (repos, then entries: already sorted)."""
    return [
        (repo, entry) for repo in plan.repos for entry in repo.entries if entry.status is status
    ]


@attrs.frozen
class RepoGroup:
    """Entries of one repo that share a status and a reason (missing models, audit errors)."""

    repo: RepoPlan
    reason: str
    entries: tuple[PlannedEntry, ...]


def group_by_repo(rows: Iterable[EntryRow], *, repo_reason: bool = False) -> list[RepoGroup]:
    """One group per (repo, reason); `repo_reason` prefers the repo's own `audit_error` text."""
    groups: dict[tuple[str, str], list[EntryRow]] = {}
    for repo, entry in rows:
        reason = (repo.audit_error if repo_reason else "") or entry.reason
        groups.setdefault((repo.repo_id, reason), []).append((repo, entry))
    return [
        RepoGroup(repo=members[0][0], reason=reason, entries=tuple(e for _, e in members))
        for (_, reason), members in groups.items()
    ]


@attrs.frozen
class SkipGroup:
    """Skipped records (and skipped planned entries) that share a reason."""

    reason: str
    message: str  # the first item's message, as an example of the wording
    count: int
    examples: tuple[str, ...]  # `collection:line` (or the model id when no line is known)


def _skip_location(item: SkippedItem) -> str:
    """`collection:line model`, the parts that are known."""
    line = f"{item.collection}:{item.line}" if item.collection and item.line else ""
    return " ".join(p for p in (line, item.model_id) if p) or item.object_path or "?"


def skip_groups(plan: Plan) -> list[SkipGroup]:
    """Skip reasons with counts, most frequent first (then by reason, for stable output)."""
    members: dict[str, list[tuple[str, str]]] = {}
    for item in plan.skipped:
        members.setdefault(item.reason, []).append((item.message, _skip_location(item)))
    for repo, entry in entries_with(plan, Status.SKIPPED):
        prov = entry.desired.provenance
        where = f"{prov.label} {repo.repo_id}" if prov else repo.repo_id
        members.setdefault(entry.reason or "skipped", []).append((entry.reason, where))
    groups = [
        SkipGroup(
            reason=reason,
            message=items[0][0],
            count=len(items),
            examples=tuple(where for _, where in items[:SKIP_EXAMPLES]),
        )
        for reason, items in members.items()
    ]
    return sorted(groups, key=lambda g: (-g.count, g.reason))


def cap(items: list[Any], limit: int | None) -> tuple[list[Any], int]:
    """The items to show and how many were left out."""
    if limit is None or len(items) <= limit:
        return items, 0
    return items[:limit], len(items) - limit


# --- Links (built from what the plan holds; nothing here asks the Hub) ---------------------------


def _web_base(plan: Plan) -> str | None:
    endpoint = plan.inputs.endpoint.rstrip("/")
    return endpoint if endpoint.startswith(("http://", "https://")) else None


def alias_line(repo: RepoPlan) -> str:
    """ "recorded as X → published on Y (alias)" when a reviewed alias sent entries here."""
    recorded = sorted({e.desired.recorded_as for e in repo.entries if e.desired.recorded_as})
    if not recorded:
        return ""
    return f"recorded as {', '.join(recorded)} → published on {repo.repo_id} (alias)"


def repo_url(plan: Plan, repo_id: str) -> str | None:
    base = _web_base(plan)
    return f"{base}/{repo_id}" if base else None


def file_url(plan: Plan, repo_id: str, path: str) -> str | None:
    """The target file on main (it may not exist yet: the link is for people)."""
    base = _web_base(plan)
    return f"{base}/{repo_id}/blob/main/{path}" if base else None


def datastore_url(plan: Plan) -> str | None:
    base = _web_base(plan)
    inputs = plan.inputs
    if base is None or not inputs.datastore_repo or not inputs.datastore_revision:
        return None
    return f"{base}/datasets/{inputs.datastore_repo}/tree/{inputs.datastore_revision}"


# --- A ready file, with our entries marked ------------------------------------------------------


class Mark(enum.Enum):
    """How a view shows a run of lines of a planned file."""

    ADDED = "added"  # text this plan inserts: `+` lines
    BEFORE = "before"  # a line of main as it was, before our insert changed it: `-` lines
    KEPT = "kept"  # on main already and untouched: collapsed
    UNMARKED = "unmarked"  # a 1.0 plan recorded no span: the whole file, nothing claimed


#: The label a view prints above an `UNMARKED` file.
UNMARKED_NOTE: Final = "plan format 1.0 did not record which lines are ours: the whole file"


@attrs.frozen
class FileBlock:
    """Consecutive lines of a planned file that a view shows the same way."""

    lines: tuple[str, ...]
    mark: Mark


def file_blocks(change: FileChange) -> list[FileBlock]:
    """Split a planned file into runs of added, kept and changed lines.

    Uses only `added_span`, which the merge step recorded (no YAML is read here: one identity
    rule, the plan's). A line wholly inside the span is ours; a line the span cuts into (a
    flow-style list `[…, ours]`) is shown as it was on main (`BEFORE`) and as it will be
    (`ADDED`). A new file is ours entirely. Without a usable span (a 1.0 plan) an existing
    file is shown whole and unmarked, so a view never claims to add what it cannot locate.
    """
    content = change.content
    if change.base_blob_id is None:
        return [FileBlock(tuple(content.splitlines()), Mark.ADDED)]
    data = content.encode("utf-8")
    span = change.added_span
    if span is None or not 0 <= span[0] <= span[1] <= len(data):
        return [FileBlock(tuple(content.splitlines()), Mark.UNMARKED)]
    start, end = span
    rows: list[tuple[Mark, bytes]] = []
    pos = 0
    for raw in data.splitlines(keepends=True):
        line_start, line_end = pos, pos + len(raw)
        text_end = line_start + len(raw.rstrip(b"\r\n"))
        pos = line_end
        if start <= line_start and line_end <= end:
            rows.append((Mark.ADDED, raw))
        elif text_end <= start or line_start >= end:
            rows.append((Mark.KEPT, raw))  # at most its line break is ours (a newline added)
        else:
            cut = raw[: max(start - line_start, 0)] + raw[max(end - line_start, 0) :]
            rows += [(Mark.BEFORE, cut), (Mark.ADDED, raw)]
    blocks: list[FileBlock] = []
    for mark, group in itertools.groupby(rows, key=lambda row: row[0]):
        lines = tuple(raw.decode("utf-8", errors="replace").rstrip("\r\n") for _, raw in group)
        blocks.append(FileBlock(lines, mark))
    return blocks
