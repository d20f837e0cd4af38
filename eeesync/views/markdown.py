"""The plan as GitHub-flavoured markdown, ready to paste as a PR description or review comment.

A view like `terminal.py` (same sections, numbers and summary line, from `views/common.py`),
but text only: links are markdown links, the per-file contents sit in `diff` code blocks, and
long sections fold into `<details>` so a big plan stays reviewable. Output is deterministic:
the same plan always gives the same bytes.

A PR description has a size limit (GitHub: 65,536 characters), so `ViewOptions.max_bytes` fits
the text in that many UTF-8 bytes: the document is built as parts, the per-file contents
blocks being the ones that may go (see `render_markdown`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import TypeAlias

import attrs

from eeesync.errors import MarkdownTooLargeError
from eeesync.plan.model import STATUS_ORDER, FileChange, Plan, PlannedEntry, RepoPlan, Status
from eeesync.text import md_code as _code
from eeesync.text import md_escape as _escape
from eeesync.text import md_link as _link
from eeesync.text import md_table as _table
from eeesync.text import short_sha
from eeesync.views.common import (
    UNMARKED_NOTE,
    Mark,
    RepoGroup,
    ViewOptions,
    account_line,
    action_note,
    alias_line,
    attention_count,
    cap,
    coverage_line,
    datastore_url,
    entries_with,
    entry_label,
    existing_value,
    file_blocks,
    file_url,
    group_by_repo,
    hidden_counts,
    progress_summary,
    repo_url,
    skip_groups,
    summary_line,
    where_label,
    where_url,
)
from eeesync.views.formatting import format_value

#: Tables with more rows than this fold into `<details>`.
FOLD_AFTER_ROWS = 10


def render_markdown(plan: Plan, options: ViewOptions | None = None) -> str:
    """The whole plan as markdown text (ends with one newline).

    With `options.max_bytes` the text fits in that many UTF-8 bytes (a PR description or
    comment has a size limit): the header, the summary and every table stay whole; the per-file
    contents are dropped, largest first (the last of equal size first), and a note counts them
    and points at the full plan. When even the tables do not fit, a minimal body (title, summary
    line, summary table, a pointer to the plan file) is returned instead; when that does not fit
    either, `MarkdownTooLargeError` says how many bytes it needs.
    """
    options = options or ViewOptions()
    parts = _document(plan, options)
    if options.max_bytes is None:
        return _text(_compose(parts, frozenset()))
    return _fit(plan, options, parts, options.max_bytes)


def _document(plan: Plan, options: ViewOptions) -> list[_Part]:
    out: list[_Part] = [
        _title(plan),
        "",
        f"**{_escape(summary_line(plan))}**",
        "",
        *_inputs(plan),
        "",
        "## Summary",
        "",
        *_summary(plan),
    ]
    if options.progress is not None:
        out += ["", _escape(progress_summary(plan, options.progress))]
    attention_heading_done = False
    for status in STATUS_ORDER:
        if not options.shows(status):
            continue
        section = _SECTION_RENDERERS.get(status, _render_entries)(plan, options, status)
        if not section:
            continue
        if status.needs_attention and not attention_heading_done:
            out += ["", f"## Needs attention ({attention_count(plan)})"]
            attention_heading_done = True
        out += ["", *section]
    if options.show_unmatched and plan.unmatched:
        out += ["", *_unmatched(plan)]
    for status, hidden in hidden_counts(plan, options):
        out += ["", f"_{hidden} entries {_escape(status.info.title.lower())} are not listed._"]
    out += ["", _digest(plan)]
    return out


def _digest(plan: Plan) -> str:
    return f"<sub>Plan digest `{plan.digest or '(unsealed)'}`</sub>"


def _text(lines: Iterable[str]) -> str:
    return "\n".join(lines) + "\n"


# --- Fitting a size limit (`--max-bytes`) ------------------------------------------------------


@attrs.frozen
class _FileContents:
    """One planned file's contents block (with its blank line before): what a size limit drops."""

    lines: tuple[str, ...]


@attrs.frozen
class _Counted:
    """Lines that depend on how many file blocks are shown and how many were dropped."""

    render: Callable[[int, int], list[str]]  # (shown, omitted) -> lines


#: A document is lines, file blocks and lines that count the file blocks.
_Part: TypeAlias = str | _FileContents | _Counted


def _compose(parts: Sequence[_Part], omitted: frozenset[int]) -> list[str]:
    """The document's lines with the file blocks at these indexes (of `parts`) left out."""
    total = sum(isinstance(p, _FileContents) for p in parts)
    shown = total - len(omitted)
    lines: list[str] = []
    for index, part in enumerate(parts):
        if isinstance(part, str):
            lines.append(part)
        elif isinstance(part, _FileContents):
            if index not in omitted:
                lines += part.lines
        else:
            lines += part.render(shown, len(omitted))
    return lines


def _size(lines: Iterable[str]) -> int:
    """UTF-8 bytes of `lines` joined by newlines plus the final newline (what `_text` gives)."""
    return sum(len(line.encode("utf-8")) + 1 for line in lines)


def _fit(plan: Plan, options: ViewOptions, parts: Sequence[_Part], limit: int) -> str:
    files = [(i, _size(p.lines)) for i, p in enumerate(parts) if isinstance(p, _FileContents)]
    counted = [p for p in parts if isinstance(p, _Counted)]
    fixed = _size(p for p in parts if isinstance(p, str))
    drop_order = [i for i, _ in sorted(files, key=lambda f: (-f[1], -f[0]))]
    sizes = dict(files)
    kept = sum(sizes.values())
    for dropped in range(len(files) + 1):
        if dropped:
            kept -= sizes[drop_order[dropped - 1]]
        shown = len(files) - dropped
        total = fixed + kept + sum(_size(c.render(shown, dropped)) for c in counted)
        if total <= limit:
            return _text(_compose(parts, frozenset(drop_order[:dropped])))
    minimal = _minimal(plan, options, limit)
    if _size(minimal) > limit:
        # The minimal body names the limit it fits in: the number to ask for is one whose
        # own body fits (one more digit is one more byte), found in a step or two.
        needed = _size(minimal)
        while _size(_minimal(plan, options, needed)) > needed:
            needed = _size(_minimal(plan, options, needed))
        raise MarkdownTooLargeError(
            f"the markdown needs at least {needed} bytes, more than --max-bytes {limit}",
            hint=f"Raise --max-bytes to {needed} or more.",
        )
    return _text(minimal)


def _full_plan(options: ViewOptions) -> str:
    """Where the whole plan is: a link when a URL was given, else the path as typed."""
    if options.plan_url:
        return _link(options.plan_ref, options.plan_url)
    return _code(options.plan_ref)


def _omitted_note(options: ViewOptions, omitted: int) -> list[str]:
    if not omitted:
        return []
    noun = "file" if omitted == 1 else "files"
    return ["", f"_… {omitted} more {noun} not shown; full plan: {_full_plan(options)}_"]


def _minimal(plan: Plan, options: ViewOptions, limit: int) -> list[str]:
    """The body when even the tables exceed the limit: enough to decide to open the plan."""
    return [
        _title(plan),
        "",
        f"**{_escape(summary_line(plan))}**",
        "",
        "## Summary",
        "",
        *_summary(plan),
        "",
        f"_The plan's tables do not fit in {limit} bytes; full plan: {_full_plan(options)}_",
        "",
        _digest(plan),
    ]


def _folded(summary: str, body: list[str], rows: int) -> list[str]:
    """Long sections go into `<details>` so the description stays short."""
    if rows <= FOLD_AFTER_ROWS:
        return body
    return ["<details>", f"<summary>{summary}</summary>", "", *body, "", "</details>"]


def _more(options: ViewOptions, status: Status, hidden: int) -> list[str]:
    return ["", f"_{_escape(options.more_hint(status, hidden))}_"] if hidden else []


def _model(plan: Plan, repo: RepoPlan) -> str:
    cell = _link(repo.repo_id, repo_url(plan, repo.repo_id))
    recorded = [r for r in repo.requested_ids if r != repo.repo_id]
    if recorded:
        cell += f"<br>recorded as {_escape(', '.join(recorded))}"
    aliased = alias_line(repo)
    if aliased:
        cell += f"<br>{_escape(aliased)}"
    return cell


def _source(entry: PlannedEntry) -> str:
    prov = entry.desired.provenance
    if prov is None:
        return ""
    label = prov.label if prov.collection else "record"
    return _link(label, prov.source_url or None)


# --- Header, inputs, summary -------------------------------------------------------------------


def _title(plan: Plan) -> str:
    collections = ", ".join(_code(c) for c in plan.inputs.collections) or "no collection"
    revision = short_sha(plan.inputs.datastore_revision) or "?"
    return f"# eeesync plan: {collections} @ {_code(revision)}"


def _inputs(plan: Plan) -> list[str]:
    inputs = plan.inputs
    rows = [
        ["Collections", ", ".join(_code(c) for c in inputs.collections) or "(none)"],
        [
            "Datastore",
            f"{_code(inputs.datastore_input)} @ "
            + _link(short_sha(inputs.datastore_revision) or "?", datastore_url(plan)),
        ],
        ["Endpoint", _code(inputs.endpoint)],
    ]
    if account := account_line(plan):
        rows.append(["Account", _escape(account)])
    if inputs.model_filter:
        rows.append(["Model filter", _code(inputs.model_filter)])
    if inputs.shard:
        rows.append(["Shard", _code(inputs.shard)])
    if inputs.benchmark_filter:
        rows.append(["Benchmarks", ", ".join(_code(b) for b in inputs.benchmark_filter)])
    rows.append(["Created", f"{_escape(plan.created_at)} by eeesync {_escape(plan.tool_version)}"])
    return _table(["Input", "Value"], rows)


def _summary(plan: Plan) -> list[str]:
    rows = []
    for status in STATUS_ORDER:
        count = plan.counts.get(status)
        name = _code(status.value)
        meaning = _escape(status.info.meaning)
        if status is Status.READY:
            name = f"**{name}**"
            meaning += f" ({plan.counts.prs_to_open} PRs, {plan.counts.files_to_write} files)"
        elif status.needs_attention and count:
            name = f"⚠️ {name}"
        rows.append([name, str(count), meaning])
    lines = _table(["Status", "Entries", "Meaning"], rows, "lrl")
    return [
        *lines,
        "",
        f"{plan.counts.repos} model repo{'s' if plan.counts.repos != 1 else ''} audited.",
        "",
        _escape(coverage_line(plan)),
    ]


def _unmatched(plan: Plan) -> list[str]:
    rows = [
        [_escape(g.collection), _escape(g.evaluation_name), f"{g.results:,}"]
        for g in plan.unmatched
    ]
    table = _table(["Collection", "Evaluation name", "Results"], rows, "llr")
    return [
        f"## Unmatched results ({plan.counts.unmatched:,} in {len(plan.unmatched):,} groups)",
        "",
        *table,
    ]


# --- One renderer per status -------------------------------------------------------------------

SectionRenderer = Callable[[Plan, ViewOptions, Status], Sequence[_Part]]


def _heading(status: Status, count: int, level: str = "###") -> str:
    return f"{level} {status.info.title} ({count})"


def _section(
    options: ViewOptions,
    status: Status,
    count: int,
    body: list[str],
    fold_summary: str,
    shown: int,
    hidden: int,
) -> list[str]:
    """A status heading, its table (folded when long) and the "… and N more" hint."""
    return [
        _heading(status, count),
        "",
        *_folded(fold_summary, body, shown),
        *_more(options, status, hidden),
    ]


def _render_ready(plan: Plan, options: ViewOptions, status: Status) -> list[_Part]:
    repos = [r for r in plan.repos if r.opens_pr]
    if not repos:
        return []
    shown, hidden = cap(repos, options.limit_for(status))
    rows: list[list[str]] = []
    for repo in shown:
        state = options.progress_of(repo)
        model = _model(plan, repo) + (f"<br>apply: **{state}**" if state is not None else "")
        if repo.direct:
            model += "<br>**one commit to main** (owned)"
        note = action_note(repo)
        model += f"<br>{_escape(note)}" if note else ""
        for entry in (e for e in repo.entries if e.status in (Status.READY, Status.UPDATE_PR)):
            desired = entry.desired
            rows.append(
                [
                    model,
                    _code(desired.file_path),
                    _escape(entry_label(entry)),
                    format_value(desired.entry.value),
                    _source(entry),
                ]
            )
            model = ""  # one model cell per repo keeps the table scannable
    table = _table(["Model", "File", "Entry", "Value", "Source"], rows, "lllrl")
    diffs: list[_Part] = [
        _FileContents(lines=("", *_file_diff(plan, repo, change)))
        for repo in shown
        for change in repo.files
    ]

    def contents_summary(files: int, omitted: int) -> list[str]:
        what = f"{files} files" if not omitted else f"{files} of {files + omitted} files"
        return [f"<summary>File contents ({what}; <code>+</code> marks added lines)</summary>"]

    return [
        _heading(status, len(repos), "##"),
        "",
        *_folded(f"{len(rows)} new entries", table, len(rows)),
        "",
        "<details>",
        _Counted(contents_summary),
        *diffs,
        _Counted(lambda _shown, omitted: _omitted_note(options, omitted)),
        "",
        "</details>",
        *_more(options, status, hidden),
    ]


def _file_diff(plan: Plan, repo: RepoPlan, change: FileChange) -> list[str]:
    new_file = change.base_blob_id is None
    base = short_sha(change.base_blob_id)
    where = "new file" if new_file else f"updates main blob {_code(base)}"
    path_link = _link(change.path, file_url(plan, repo.repo_id, change.path))
    head = f"**{_escape(repo.repo_id)}** · {path_link} ({where}, +{change.added})"
    body: list[str] = []
    for block in file_blocks(change):
        if block.mark is Mark.KEPT:
            count = len(block.lines)
            body.append(f"@@ {count} line{'s' if count != 1 else ''} kept from main @@")
            continue
        if block.mark is Mark.UNMARKED:
            body.append(f"@@ {UNMARKED_NOTE} @@")
        sign = {Mark.ADDED: "+", Mark.BEFORE: "-"}.get(block.mark, " ")
        body += [f"{sign} {line}" for line in block.lines]
    longest = max((len(run) for run in re.findall(r"`{3,}", change.content)), default=2)
    fence = "`" * (longest + 1)
    return [head, "", f"{fence}diff", *body, fence]


def _entry_table(
    plan: Plan,
    options: ViewOptions,
    status: Status,
    headers: Sequence[str],
    align: str,
    cells: Callable[[PlannedEntry], list[str]],
) -> list[str]:
    rows = entries_with(plan, status)
    if not rows:
        return []
    shown, hidden = cap(rows, options.limit_for(status))
    body = _table(
        ["Model", "Entry", *headers],
        ([_model(plan, repo), _escape(entry_label(e)), *cells(e)] for repo, e in shown),
        "ll" + align,
    )
    return _section(options, status, len(rows), body, f"{len(shown)} rows", len(shown), hidden)


def _places(entry: PlannedEntry, *, prs_only: bool = False) -> str:
    return "<br>".join(
        _link(where_label(e), where_url(e))
        for e in entry.existing
        if not (prs_only and e.location == "main")
    )


def _render_pending(plan: Plan, options: ViewOptions, status: Status) -> list[str]:
    return _entry_table(
        plan,
        options,
        status,
        ["Value", "In"],
        "rl",
        lambda e: [format_value(e.desired.entry.value), _places(e, prs_only=True)],
    )


def _render_already_present(plan: Plan, options: ViewOptions, status: Status) -> list[str]:
    return _entry_table(
        plan,
        options,
        status,
        ["Value", "In"],
        "rl",
        lambda e: [format_value(e.desired.entry.value), _places(e)],
    )


def _render_entries(plan: Plan, options: ViewOptions, status: Status) -> list[str]:
    """Any status without a section of its own: one row per entry, its value and reason."""
    return _entry_table(
        plan,
        options,
        status,
        ["Value", "Details"],
        "rl",
        lambda e: [format_value(e.desired.entry.value), _escape(e.reason)],
    )


def _render_score_conflict(plan: Plan, options: ViewOptions, status: Status) -> list[str]:
    return _entry_table(
        plan,
        options,
        status,
        ["Ours", "On Hub", "Where", "Source", "Difference"],
        "rrlll",
        lambda e: [
            format_value(e.desired.entry.value),
            "<br>".join(_escape(existing_value(x)) for x in e.existing),
            _places(e),
            _source(e),
            _escape(e.diff or e.reason),
        ],
    )


def _render_source_conflict(plan: Plan, options: ViewOptions, status: Status) -> list[str]:
    return _entry_table(
        plan,
        options,
        status,
        ["Values", "Source", "Details"],
        "lll",
        lambda e: [
            " vs ".join(format_value(v) for v in e.conflicting_values) or "?",
            _source(e),
            _escape(e.reason),
        ],
    )


def _repo_table(
    plan: Plan,
    options: ViewOptions,
    status: Status,
    headers: Sequence[str],
    cells: Callable[[RepoGroup], list[str]],
    *,
    repo_reason: bool = False,
) -> list[str]:
    """A table with one row per (repo, reason): missing repos, audit errors."""
    groups = group_by_repo(entries_with(plan, status), repo_reason=repo_reason)
    if not groups:
        return []
    shown, hidden = cap(groups, options.limit_for(status))
    body = _table(["Model", *headers], ([_model(plan, g.repo), *cells(g)] for g in shown))
    count = plan.counts.get(status)
    return _section(options, status, count, body, f"{len(shown)} repos", len(shown), hidden)


def _render_missing(plan: Plan, options: ViewOptions, status: Status) -> list[str]:
    return _repo_table(
        plan,
        options,
        status,
        ["Entries", "Details"],
        lambda g: [
            ", ".join(
                _link(
                    entry_label(e),
                    e.desired.provenance.source_url if e.desired.provenance else None,
                )
                for e in g.entries
            ),
            _escape(g.reason),
        ],
    )


def _render_audit_error(plan: Plan, options: ViewOptions, status: Status) -> list[str]:
    return _repo_table(
        plan,
        options,
        status,
        ["Blocked entries", "Error"],
        lambda g: [
            _escape(", ".join(entry_label(e) for e in g.entries)),
            _escape(g.reason or "(no detail recorded)"),
        ],
        repo_reason=True,
    )


def _render_skipped(plan: Plan, options: ViewOptions, status: Status) -> list[str]:
    groups = skip_groups(plan)
    if not groups:
        return []
    shown, hidden = cap(groups, options.limit_for(status))
    body = _table(
        ["Reason", "Count", "Example", "Where"],
        (
            [
                _code(g.reason),
                str(g.count),
                _escape(g.message),
                _escape(", ".join(g.examples) + (", …" if g.count > len(g.examples) else "")),
            ]
            for g in shown
        ),
        "lrll",
    )
    count = plan.counts.get(status)
    return _section(options, status, count, body, f"{len(shown)} reasons", len(shown), hidden)


#: Statuses whose section is not `_render_entries`' table.
_SECTION_RENDERERS: dict[Status, SectionRenderer] = {
    Status.READY: _render_ready,
    Status.ALREADY_PRESENT: _render_already_present,
    Status.PENDING_PR: _render_pending,
    Status.SCORE_CONFLICT: _render_score_conflict,
    Status.MISSING_HF_MODEL: _render_missing,
    Status.SOURCE_CONFLICT: _render_source_conflict,
    Status.AUDIT_ERROR: _render_audit_error,
    Status.SKIPPED: _render_skipped,
}
