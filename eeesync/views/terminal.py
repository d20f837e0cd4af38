"""The plan for people at a terminal (rich): header, summary, per-file diffs, needs attention.

Last stage of `eeesync plan` and the default of `eeesync show`. Layout rules, learnt from the
upstream converter whose attention table collapses to zero-width columns below ~200 columns:
URLs are never cell text (they hide behind short OSC-8 link labels such as `PR #12`), the repo
column never shrinks below the longest repo id it shows (up to 44 characters), and every table
stays within 80 columns. Colour is decoration only: a `+` marks an added line, words carry
every status, so `NO_COLOR` and non-TTY output (handled by the Console) lose nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Final, Literal

import attrs
from rich import box
from rich.cells import cell_len
from rich.console import Console, Group, JustifyMethod, RenderableType
from rich.padding import Padding
from rich.style import Style
from rich.table import Column, Table
from rich.text import Text

from eeesync.plan.model import STATUS_ORDER, FileChange, Plan, PlannedEntry, RepoPlan, Status
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

#: Longest repo id kept on one line; longer ones fold (rare: most ids are under 45 characters).
MAX_REPO_WIDTH = 44
#: The repo column shrinks below a long id only when the free-text columns are at their minimum.
MIN_REPO_WIDTH = 16


@attrs.frozen
class _Context:
    """What every section renderer needs."""

    plan: Plan
    options: ViewOptions
    width: int  # the console's width: tables are fitted to it


def render_terminal(plan: Plan, console: Console, options: ViewOptions | None = None) -> None:
    """Print the plan for people: header, summary table, the shown sections, the summary line."""
    options = options or ViewOptions()
    ctx = _Context(plan=plan, options=options, width=console.width)
    console.print(_header(plan))
    console.print()
    console.print(_summary_table(plan))
    console.print(Text(coverage_line(plan), style="dim" if plan.counts.unmatched else ""))
    if plan.counts.unmatched and not options.show_unmatched:
        console.print(
            Text(f"  eeesync show {options.plan_ref} --status unmatched", "dim"), soft_wrap=True
        )
    if options.progress is not None:
        console.print(Text(progress_summary(plan, options.progress)))
    attention_heading_done = False
    for status in STATUS_ORDER:
        if not options.shows(status):
            continue
        parts = _SECTION_RENDERERS.get(status, _render_entries)(ctx, status)
        if not parts:
            continue
        if status.needs_attention and not attention_heading_done:
            console.print()
            console.print(Text(f"Needs attention ({attention_count(plan)})", style="bold yellow"))
            attention_heading_done = True
        console.print()
        for part in parts:
            # Uncropped: what is fitted to the width stays within it, and a file's YAML lines
            # (`_file_diff`) are printed whole for the terminal to soft-wrap.
            console.print(part, crop=False)
    if options.show_unmatched and plan.unmatched:
        console.print()
        console.print(_unmatched_table(ctx))
    for status, hidden in hidden_counts(plan, options):
        console.print()
        console.print(
            Text(f"{hidden} {status.info.title.lower()}, not listed; see them with", "dim")
        )
        console.print(
            Text(f"  eeesync show {options.plan_ref} --status {status.value}", "dim"),
            soft_wrap=True,  # a command to copy: never broken by us
        )
    console.print()
    # Never wrapped by us: CI greps this line (a terminal still soft-wraps it for people).
    console.print(Text(summary_line(plan), style="bold"), soft_wrap=True)


# --- Header and summary ------------------------------------------------------------------------


def _link(label: str, url: str | None, style: str = "") -> Text:
    """A short label that is an OSC-8 hyperlink where the terminal supports it."""
    return Text(label, style=Style.parse(style) + Style(link=url) if url else style)


def _header(plan: Plan) -> RenderableType:
    inputs = plan.inputs
    title = Text("eeesync plan ", style="bold")
    title.append(short_sha(plan.digest, 12) or "(unsealed)", style="bold cyan")
    title.append(f"  created {plan.created_at} by eeesync {plan.tool_version}", style="dim")
    grid = Table.grid(Column(no_wrap=True, style="dim"), Column(overflow="fold"), padding=(0, 2))
    grid.add_row("Collections", Text(", ".join(inputs.collections) or "(none)"))
    datastore = Text(inputs.datastore_input)
    datastore.append(" @ ")
    datastore.append_text(
        _link(short_sha(inputs.datastore_revision) or "?", datastore_url(plan), "cyan")
    )
    grid.add_row("Datastore", datastore)
    grid.add_row("Endpoint", Text(inputs.endpoint))
    if account := account_line(plan):
        grid.add_row("Account", Text(account))
    filters = []
    if inputs.model_filter:
        filters.append(f"--model {inputs.model_filter}")
    filters.extend(f"--benchmark {key}" for key in inputs.benchmark_filter)
    if inputs.shard:
        filters.append(f"--shard {inputs.shard}")
    if filters:
        grid.add_row("Filters", Text("  ".join(filters)))
    return Group(title, Padding(grid, (0, 0, 0, 2), expand=False))


def _summary_table(plan: Plan) -> Table:
    table = Table(
        Column("Status", no_wrap=True),
        Column("Entries", justify="right", no_wrap=True),
        Column("Meaning"),
        box=box.SIMPLE_HEAD,
        title=f"{plan.counts.repos} model repo{'s' if plan.counts.repos != 1 else ''} audited",
        title_justify="left",
        title_style="bold",
        show_edge=False,
        pad_edge=False,
    )
    for status in STATUS_ORDER:
        count = plan.counts.get(status)
        style = status.info.style if count else "dim"
        meaning = status.info.meaning
        if status is Status.READY and count:
            meaning += f" ({plan.counts.prs_to_open} PRs)"
        table.add_row(Text(status.value, style=style), Text(str(count), style=style), meaning)
    return table


# --- Shared cells ------------------------------------------------------------------------------


def _model_cell(plan: Plan, repo: RepoPlan, entry: PlannedEntry | None = None) -> Text:
    cell = _link(repo.repo_id, repo_url(plan, repo.repo_id), "bold")
    recorded = [r for r in repo.requested_ids if r != repo.repo_id]
    if recorded:
        cell.append(f"\nrecorded as {', '.join(recorded)}", style="dim")
    aliased = alias_line(repo)
    if aliased:
        cell.append(f"\n{aliased}", style="dim")
    if entry is not None:
        cell.append(f"\n{entry_label(entry)}", style="dim")
    return cell


@attrs.frozen
class _Col:
    """A table column: `model` fits the longest repo id (up to MAX_REPO_WIDTH), `fixed` keeps
    its natural width (numbers, counts), `flex` shares what is left and wraps."""

    header: str
    kind: Literal["model", "fixed", "flex"] = "flex"
    justify: JustifyMethod = "left"
    min_width: int = 10


def _natural(cell: Text | str, *, first_line: bool = False) -> int:
    lines = (cell.plain if isinstance(cell, Text) else cell).split("\n")
    return max(cell_len(line) for line in (lines[:1] if first_line else lines))


def _fitted_table(width: int, cols: Sequence[_Col], rows: Sequence[Sequence[Text | str]]) -> Table:
    """A table whose column widths we choose, so nothing collapses at 80 columns.

    rich's own negotiation can give a no-wrap column all the room and crop the rest (the
    upstream tool's failure); here every width is explicit: repo ids and numbers keep their
    full width, and only free-text columns wrap.
    """
    naturals = []
    for i, col in enumerate(cols):
        cells = [row[i] for row in rows]
        if col.kind == "model":
            longest = max((_natural(c, first_line=True) for c in cells), default=0)
            naturals.append(min(max(longest, cell_len(col.header)), MAX_REPO_WIDTH))
        else:
            naturals.append(max([cell_len(col.header), *(_natural(c) for c in cells)]))
    # No outer edge or padding: each column boundary costs 3 cells (pad, divider, pad).
    available = max(width - 3 * (len(cols) - 1), len(cols))
    widths = list(naturals)
    while sum(widths) > available:
        flexible = [i for i, c in enumerate(cols) if c.kind == "flex" and widths[i] > c.min_width]
        models = [i for i, c in enumerate(cols) if c.kind == "model" and widths[i] > MIN_REPO_WIDTH]
        candidates = flexible or models
        if not candidates:
            break  # narrower than any sensible layout: let rich fold what it must
        widest = max(candidates, key=lambda i: widths[i])
        widths[widest] -= 1
    table = Table(
        *(
            Column(
                col.header,
                width=w,
                justify=col.justify,
                no_wrap=col.kind == "fixed",
                overflow="fold",
            )
            for col, w in zip(cols, widths, strict=True)
        ),
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
    )
    for row in rows:
        # Plain strings from the plan (reasons, messages) are never rich markup: "[x]" stays.
        table.add_row(*(Text(c) if isinstance(c, str) else c for c in row))
    return table


def _title(ctx: _Context, status: Status, count: int) -> Text:
    return Text(f"{status.info.title} ({count})", style=status.info.style or "bold")


def _more(ctx: _Context, status: Status, hidden: int) -> list[RenderableType]:
    return [Text(ctx.options.more_hint(status, hidden), style="dim")] if hidden else []


# --- One renderer per status (Alembic-style dispatch) ------------------------------------------

SectionRenderer = Callable[[_Context, Status], list[RenderableType]]


def _render_ready(ctx: _Context, status: Status) -> list[RenderableType]:
    repos = [r for r in ctx.plan.repos if r.opens_pr]
    if not repos:
        return []
    shown, hidden = cap(repos, ctx.options.limit_for(status))
    parts: list[RenderableType] = [_title(ctx, status, len(repos))]
    for repo in shown:
        parts.append(_ready_repo_heading(ctx, repo))
        for change in repo.files:
            parts.append(_file_diff(ctx, repo, change))
    return parts + _more(ctx, status, hidden)


def _ready_repo_heading(ctx: _Context, repo: RepoPlan) -> Text:
    """`+ repo @ main-sha  [apply state]`, then what the PR holds (two lines fit 80 columns)."""
    heading = Text("+ ", style="bold green")
    heading.append_text(_link(repo.repo_id, repo_url(ctx.plan, repo.repo_id), "bold"))
    if repo.preconditions is not None:
        heading.append(f" @ {short_sha(repo.preconditions.main_sha)}", style="dim")
    state = ctx.options.progress_of(repo)
    if state is not None:
        heading.append(f"  [{state}]", style=state.info.style)
    files = len(repo.files)
    added = repo.count(Status.READY)
    heading.append(
        f"\n  {files} file{'s' if files != 1 else ''}, "
        f"{added} new entr{'ies' if added != 1 else 'y'}"
    )
    if repo.direct:
        heading.append("; one commit to main (you own this repo)", style="bold")
    recorded = [r for r in repo.requested_ids if r != repo.repo_id]
    if recorded:
        heading.append(f"; recorded as {', '.join(recorded)}", style="dim")
    aliased = alias_line(repo)
    if aliased:
        heading.append(f"\n  {aliased}", style="dim")
    note = action_note(repo)
    if note:
        heading.append(f"\n  {note}", style="bold")
    return heading


#: How each kind of block is shown: its sign and style (kept blocks are collapsed).
_BLOCK_SIGNS: Final[Mapping[Mark, tuple[str, str]]] = {
    Mark.ADDED: ("+", "green"),
    Mark.BEFORE: ("-", "red"),
    Mark.UNMARKED: (" ", "dim"),
}


def _lines(count: int) -> str:
    return f"{count} line{'s' if count != 1 else ''}"


def _file_diff(ctx: _Context, repo: RepoPlan, change: FileChange) -> RenderableType:
    """The planned file: our entries as `+` lines, entries kept from main collapsed.

    Each line is printed whole, however long (a datastore URL): YAML copied from the terminal
    must parse, so the terminal soft-wraps it rather than rich breaking it into two lines.
    """
    new_file = change.base_blob_id is None
    head = Text("  ")
    head.append_text(_link(change.path, file_url(ctx.plan, repo.repo_id, change.path), "bold"))
    if new_file:
        head.append("  new file", style="green")
    else:
        head.append(f"  updates main (blob {short_sha(change.base_blob_id)})", style="dim")
    head.append(f", +{change.added}", style="green")
    indent = "    "
    body = Text(no_wrap=True, overflow="ignore")
    for block in file_blocks(change):
        if block.mark is Mark.KEPT:
            body.append(f"{indent}  @@ {_lines(len(block.lines))} kept from main @@\n", "dim cyan")
            continue
        sign, style = _BLOCK_SIGNS[block.mark]
        if block.mark is Mark.UNMARKED:
            body.append(f"{indent}  ({UNMARKED_NOTE})\n", style="yellow")
        for line in block.lines:
            body.append(f"{indent}{sign} {line}\n", style=style)
    body.rstrip()
    return Group(head, body)


def _places(entry: PlannedEntry, *, prs_only: bool = False) -> Text:
    return Text("\n").join(
        _link(where_label(e), where_url(e), "cyan")
        for e in entry.existing
        if not (prs_only and e.location == "main")
    )


def _entry_section(
    ctx: _Context,
    status: Status,
    cols: Sequence[_Col],
    cells: Callable[[PlannedEntry], list[Text | str]],
) -> list[RenderableType]:
    """A table with one row per entry: the model cell, then `cells(entry)`."""
    rows = entries_with(ctx.plan, status)
    if not rows:
        return []
    shown, hidden = cap(rows, ctx.options.limit_for(status))
    table = _fitted_table(
        ctx.width,
        [_Col("Model", "model"), *cols],
        [[_model_cell(ctx.plan, repo, entry), *cells(entry)] for repo, entry in shown],
    )
    return [_title(ctx, status, len(rows)), table, *_more(ctx, status, hidden)]


def _render_pending(ctx: _Context, status: Status) -> list[RenderableType]:
    return _entry_section(
        ctx,
        status,
        [_Col("Value", "fixed", "right"), _Col("In", min_width=8)],
        lambda e: [format_value(e.desired.entry.value), _places(e, prs_only=True)],
    )


def _render_already_present(ctx: _Context, status: Status) -> list[RenderableType]:
    return _entry_section(
        ctx,
        status,
        [_Col("Value", "fixed", "right"), _Col("In", min_width=8)],
        lambda e: [format_value(e.desired.entry.value), _places(e)],
    )


def _render_entries(ctx: _Context, status: Status) -> list[RenderableType]:
    """Any status without a section of its own: one row per entry, its value and reason."""
    return _entry_section(
        ctx,
        status,
        [_Col("Value", "fixed", "right"), _Col("Details")],
        lambda e: [format_value(e.desired.entry.value), e.reason],
    )


def _render_score_conflict(ctx: _Context, status: Status) -> list[RenderableType]:
    """One row per value found on the Hub (main and each PR), so values and places align."""
    rows = entries_with(ctx.plan, status)
    if not rows:
        return []
    shown, hidden = cap(rows, ctx.options.limit_for(status))
    table_rows: list[list[Text | str]] = []
    for repo, entry in shown:
        first: list[Text | str] = [
            _model_cell(ctx.plan, repo, entry),
            Text(format_value(entry.desired.entry.value), style="green"),
        ]
        for existing in entry.existing or (None,):
            if existing is None:  # a conflict always names the other value; be safe anyway
                table_rows.append([*first, "?", ""])
                break
            value = Text(format_value(existing.value), style="red")
            if existing.raw_value.strip() and existing.raw_value.strip() != value.plain:
                value.append(f"\n({existing.raw_value.strip()})", style="dim")
            place = _link(where_label(existing).split(" · ")[0], where_url(existing), "cyan")
            place.append(f"\n{existing.path.rsplit('/', 1)[-1]}", style="dim")
            table_rows.append([*first, value, place])
            first = ["", ""]
    table = _fitted_table(
        ctx.width,
        [
            _Col("Model", "model"),
            _Col("Ours", "fixed", "right"),
            _Col("On Hub", "fixed", "right"),
            _Col("Where", min_width=8),
        ],
        table_rows,
    )
    return [_title(ctx, status, len(rows)), table, *_more(ctx, status, hidden)]


def _render_source_conflict(ctx: _Context, status: Status) -> list[RenderableType]:
    return _entry_section(
        ctx,
        status,
        [_Col("Values", "fixed"), _Col("Details")],
        lambda e: [
            Text(" vs ".join(format_value(v) for v in e.conflicting_values) or "?", style="red"),
            e.reason,
        ],
    )


def _benchmark_links(entries: Sequence[PlannedEntry]) -> Text:
    """Benchmark labels, each linked to the datastore record it came from."""
    return Text(", ").join(
        _link(entry_label(e), e.desired.provenance.source_url if e.desired.provenance else None)
        for e in entries
    )


def _repo_section(
    ctx: _Context,
    status: Status,
    groups: list[RepoGroup],
    cols: Sequence[_Col],
    cells: Callable[[RepoGroup], list[Text | str]],
) -> list[RenderableType]:
    """A table with one row per (repo, reason): missing repos, audit errors."""
    if not groups:
        return []
    shown, hidden = cap(groups, ctx.options.limit_for(status))
    table = _fitted_table(
        ctx.width,
        [_Col("Model", "model"), *cols],
        [[_model_cell(ctx.plan, g.repo), *cells(g)] for g in shown],
    )
    count = ctx.plan.counts.get(status)
    return [_title(ctx, status, count), table, *_more(ctx, status, hidden)]


def _render_missing(ctx: _Context, status: Status) -> list[RenderableType]:
    return _repo_section(
        ctx,
        status,
        group_by_repo(entries_with(ctx.plan, status)),
        [_Col("Entries"), _Col("Details")],
        lambda g: [_benchmark_links(g.entries), g.reason],
    )


def _render_audit_error(ctx: _Context, status: Status) -> list[RenderableType]:
    return _repo_section(
        ctx,
        status,
        group_by_repo(entries_with(ctx.plan, status), repo_reason=True),
        [_Col("Blocked"), _Col("Error", min_width=14)],
        lambda g: [
            ", ".join(entry_label(e) for e in g.entries),
            Text(g.reason or "(no detail recorded)", style="red"),
        ],
    )


def _render_skipped(ctx: _Context, status: Status) -> list[RenderableType]:
    groups = skip_groups(ctx.plan)
    if not groups:
        return []
    shown, hidden = cap(groups, ctx.options.limit_for(status))
    rows: list[list[Text | str]] = []
    # The full messages are long (they name index line and object): only when asked for.
    detailed = ctx.options.limit_for(status) is None
    for group in shown:
        reason = Text(group.reason, style="bold")
        if detailed and group.message and group.message != group.reason:
            reason.append(f"\n{group.message}", style="dim")
        more = "\n…" if group.count > len(group.examples) else ""
        rows.append([reason, str(group.count), "\n".join(group.examples) + more])
    table = _fitted_table(
        ctx.width,
        [_Col("Reason", min_width=16), _Col("Count", "fixed", "right"), _Col("Examples")],
        rows,
    )
    count = ctx.plan.counts.get(status)
    return [_title(ctx, status, count), table, *_more(ctx, status, hidden)]


def _unmatched_table(ctx: _Context) -> RenderableType:
    groups = ctx.plan.unmatched
    table = _fitted_table(
        ctx.width,
        [
            _Col("Collection", min_width=10),
            _Col("Evaluation name"),
            _Col("Results", "fixed", "right"),
        ],
        [[g.collection, g.evaluation_name, f"{g.results:,}"] for g in groups],
    )
    title = Text(
        f"Unmatched results ({ctx.plan.counts.unmatched:,} in {len(groups):,} groups)",
        style="bold",
    )
    return Group(title, table)


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
