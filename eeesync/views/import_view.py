"""Views of an import plan (`eeesync import`, `eeesync show IMPORT_PLAN`): text, markdown, json.

Rows of one table per status, in the order of `IMPORT_STATUS_TABLE` (whose row gives each
status its heading, meaning and style): the Hub score (model, benchmark, task, notes, value,
badge) and, per status, what decides it: the record a ready score goes to, both sources side by
side when EEE holds another value, the reason otherwise. json is the plan file itself.
"""

from __future__ import annotations

from collections.abc import Collection

from rich.console import Console
from rich.table import Table
from rich.text import Text

from eeesync.plan.import_file import serialize
from eeesync.plan.import_model import (
    IMPORT_STATUS_ORDER,
    ImportEntry,
    ImportPlan,
    ImportStatus,
)
from eeesync.text import md_code, md_escape, md_link, md_table, plural

#: Statuses shown by default (their row's `shown_by_default`: all but `already_in_eee`).
DEFAULT_IMPORT_STATUSES = frozenset(s for s in IMPORT_STATUS_ORDER if s.info.shown_by_default)


def summary_line(plan: ImportPlan) -> str:
    c = plan.counts
    attention = sum(c.get(s) for s in IMPORT_STATUS_ORDER if s.needs_attention)
    ready = c.get(ImportStatus.READY)
    line = (
        f"Import plan: {plural(ready, 'score')} to add in {plural(c.records, 'new record')} "
        f"on {plan.inputs.datastore_repo} (collection {plan.inputs.collection})"
    )
    return line + (f", {attention} need attention." if attention else ".")


def _badge(entry: ImportEntry) -> str:
    return entry.hub.badge + (", verified" if entry.hub.verified else "")


def _task(entry: ImportEntry) -> str:
    return f"{entry.hub.benchmark}/{entry.hub.task_id or '?'}"


def _value(value: float) -> str:
    return f"{value:g}"


def _columns(status: ImportStatus) -> tuple[str, ...]:
    base = ("Model", "Benchmark/task", "Notes", "Hub value", "Badge")
    if status is ImportStatus.READY:
        return (*base, "Record")
    if status in (ImportStatus.EEE_DIFFERS, ImportStatus.ALREADY_IN_EEE):
        return (*base, "EEE value", "Hub file", "EEE record")
    return (*base, "Reason")


def _cells(status: ImportStatus, entry: ImportEntry) -> tuple[str, ...]:
    h = entry.hub
    base = (h.model_id, _task(entry), h.notes, _value(h.value), _badge(entry))
    if status is ImportStatus.READY:
        return (*base, entry.record_path)
    if status in (ImportStatus.EEE_DIFFERS, ImportStatus.ALREADY_IN_EEE):
        eee = ", ".join(_value(e.value) for e in entry.eee)
        sources = " ".join(e.source_url for e in entry.eee) or entry.reason
        return (*base, eee, h.file_url, sources)
    return (*base, entry.reason)


def _sections(
    plan: ImportPlan, statuses: Collection[ImportStatus] | None
) -> list[tuple[ImportStatus, list[ImportEntry]]]:
    chosen = DEFAULT_IMPORT_STATUSES if statuses is None else frozenset(statuses)
    out = []
    for status in IMPORT_STATUS_ORDER:
        rows = [e for e in plan.entries if e.status is status]
        if rows and status in chosen:
            out.append((status, rows))
    return out


def render_import_text(
    plan: ImportPlan, console: Console, *, statuses: Collection[ImportStatus] | None = None
) -> None:
    summary = Table(title="Statuses", title_justify="left")
    for header in ("Status", "Entries", "Meaning"):
        summary.add_column(header, justify="right" if header == "Entries" else "left")
    for status in IMPORT_STATUS_ORDER:
        label = Text(status.value, style=status.info.style)
        summary.add_row(label, str(plan.counts.get(status)), status.meaning)
    console.print(summary)
    for status, rows in _sections(plan, statuses):
        title = Text(f"{status.info.title} ({len(rows)})", style=status.info.style)
        table = Table(title=title, title_justify="left")
        for name in _columns(status):
            table.add_column(name, overflow="fold")
        for entry in rows:
            table.add_row(*_cells(status, entry))
        console.print(table)
    if plan.records:
        console.print(f"Records to write ({len(plan.records)}):", highlight=False)
        for record in plan.records:
            count = len(record.fingerprints)
            line = f"  {record.path}  ({plural(count, 'score')})"
            console.print(line, markup=False, highlight=False, soft_wrap=True)
    console.print(summary_line(plan), markup=False, highlight=False, soft_wrap=True)


def render_import_markdown(
    plan: ImportPlan, *, statuses: Collection[ImportStatus] | None = None
) -> str:
    inputs = plan.inputs
    lines = [
        f"## eeesync import: {md_escape(inputs.datastore_repo)} "
        f"(collection {md_escape(inputs.collection)})",
        "",
        md_escape(summary_line(plan)),
        "",
    ]
    counts = [
        [md_code(s.value), str(plan.counts.get(s)), md_escape(s.meaning)]
        for s in IMPORT_STATUS_ORDER
    ]
    lines += md_table(("Status", "Entries", "Meaning"), counts, align="lr")
    for status, rows in _sections(plan, statuses):
        table = md_table(
            _columns(status),
            [[_md_cell(cell) for cell in _cells(status, entry)] for entry in rows],
        )
        lines += ["", f"### {status.info.title} ({len(rows)})", "", *table]
    if plan.records:
        lines += ["", f"### Records to write ({len(plan.records)})", ""]
        lines += [f"- {md_code(r.path)} ({len(r.fingerprints)})" for r in plan.records]
    return "\n".join(lines) + "\n"


def _md_cell(text: str) -> str:
    """A cell as markdown: links (named by the file they point at) when it holds only URLs, so
    a reader can follow both sources; escaped text otherwise."""
    words = text.split()
    if words and all(w.startswith(("https://", "http://")) for w in words):
        return " ".join(md_link(w.rstrip("/").rsplit("/", 1)[-1], w) for w in words)
    return md_escape(text)


def render_import_plan(
    plan: ImportPlan,
    console: Console,
    fmt: str = "text",
    *,
    statuses: Collection[ImportStatus] | None = None,
) -> None:
    """Print `plan` in `fmt` (text, markdown or json: the plan file's bytes)."""
    if fmt == "json":
        _exact(console, serialize(plan))
    elif fmt == "markdown":
        _exact(console, render_import_markdown(plan, statuses=statuses))
    elif fmt == "text":
        render_import_text(plan, console, statuses=statuses)
    else:
        raise ValueError(f"unknown view format {fmt!r}")


def _exact(console: Console, text: str) -> None:
    """Exact text: no wrapping, markup, emoji codes or highlighting."""
    console.print(text, markup=False, highlight=False, emoji=False, soft_wrap=True, end="")
