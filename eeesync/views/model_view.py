"""Render a `ModelReport` (every EEE result of one model + its Hub status): text, markdown, JSON.

The view half of `eeesync model` (the compute half is `eeesync/model_report.py`). Like the plan
views, it receives finished data and a rich `Console`, and never calls the Hub, reads files or
decides a status: the status of each result is the one `plan` computed. The text view is a rich
table per benchmark, readable at 80 columns; the JSON view goes through the plan file's cattrs
converter, so it has one schema.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Final, Literal, TypeAlias

from rich import box
from rich.console import Console, Group, RenderableType
from rich.style import Style
from rich.table import Table
from rich.text import Text

from eeesync.model_report import (
    Badge,
    BenchmarkGroup,
    HubOnlyEntry,
    HubStatus,
    ModelReport,
    ResultRow,
    Spread,
    UnreadableFile,
)
from eeesync.plan import file as plan_file
from eeesync.plan.model import STATUS_ORDER, Existing, Status
from eeesync.text import md_escape as _md
from eeesync.text import md_link as _md_link
from eeesync.text import md_table as _md_table
from eeesync.views.formatting import format_value

ModelReportFormat: TypeAlias = Literal["text", "markdown", "json"]
FORMATS: Final[tuple[ModelReportFormat, ...]] = ("text", "markdown", "json")
#: Version of the JSON document (`eeesync model --format json`); bump on incompatible change.
JSON_VERSION: Final = 1

_RELATIONSHIPS: Final[Mapping[str, str]] = {
    "first_party": "first party",
    "third_party": "third party",
    "collaborative": "collaborative",
}


# --- Words shared by the text and markdown views -------------------------------------------------


def _where(existing: Existing) -> str:
    place = "main" if existing.location == "main" else f"PR #{existing.pr_num}"
    return f"{place} ({existing.path.rsplit('/', 1)[-1]})"


def _first(hub: HubStatus, location: str) -> Existing | None:
    return next((e for e in hub.existing if e.location == location), None)


def _label_ready(hub: HubStatus) -> str:
    return f"absent: plan opens a PR adding it to {hub.file_path.rsplit('/', 1)[-1]}"


def _label_present(hub: HubStatus) -> str:
    found = _first(hub, "main")
    return f"on main ({found.path.rsplit('/', 1)[-1]})" if found else "on main"


def _label_pending(hub: HubStatus) -> str:
    found = _first(hub, "pr")
    return f"in open PR #{found.pr_num}" if found else "in an open PR"


def _label_conflict(hub: HubStatus) -> str:
    shown = ", ".join(f"{format_value(e.value)} in {_where(e)}" for e in hub.existing)
    return f"conflict: the Hub has {shown}" if shown else "conflict with the Hub"


def _label_source_conflict(hub: HubStatus) -> str:
    values = " vs ".join(format_value(v) for v in hub.conflicting_values)
    return f"records disagree ({values}): nothing is published"


def _label_other(hub: HubStatus) -> str:
    """Any status without words of its own: its meaning, and the reason when there is one."""
    meaning = hub.status.info.meaning
    return f"{meaning}: {hub.reason}" if hub.reason else meaning


#: Statuses whose label says more than `_label_other` (shared by both text views).
HUB_LABELS: Final[Mapping[Status, Callable[[HubStatus], str]]] = {
    Status.READY: _label_ready,
    Status.ALREADY_PRESENT: _label_present,
    Status.PENDING_PR: _label_pending,
    Status.SCORE_CONFLICT: _label_conflict,
    Status.SOURCE_CONFLICT: _label_source_conflict,
}


def badge_text(badge: Badge) -> str:
    """`author`, `community`, `author, verified`: as the model page marks the entry."""
    return f"{badge.kind}, verified" if badge.verified else badge.kind


def hub_label(row: ResultRow) -> str:
    """What the Hub shows for a result, in words (the note when it is not published), with
    the badge of each Hub entry it names: `on main (mmlu_pro.yaml) [author, verified]`."""
    if row.hub is None:
        return row.note or "not a Community Evals benchmark"
    label = HUB_LABELS.get(row.hub.status, _label_other)(row.hub)
    badges = list(dict.fromkeys(badge_text(b) for b in row.hub.badges))
    return f"{label} [{'; '.join(badges)}]" if badges else label


def hub_link(row: ResultRow) -> str | None:
    """Where to see it: the PR or file that holds the matching entry."""
    if row.hub is None or not row.hub.existing:
        return None
    found = row.hub.existing[0]
    return found.pr_url if found.location == "pr" and found.pr_url else found.url


def record_label(row: ResultRow) -> str:
    """`collection:line` of the record's index row, or `collection:<file name>` for a record
    read from the submission layout (no index)."""
    return f"{row.collection}:{row.line or row.object_path.rpartition('/')[2]}"


def who(row: ResultRow) -> str:
    if row.source_organization and row.source_organization not in row.source_name:
        return f"{row.source_name or '?'} · {row.source_organization}"
    return row.source_name or row.source_organization or "?"


def relationship(row: ResultRow) -> str:
    text = row.evaluator_relationship
    return _RELATIONSHIPS.get(text, text.replace("_", " ")) if text else "relationship unknown"


def harness(row: ResultRow) -> str:
    if not row.harness:
        return ""
    version = row.harness_version
    return f"{row.harness} {version}" if version and version != "unknown" else row.harness


def settings(row: ResultRow) -> str:
    return ", ".join(f"{k}={v}" for k, v in row.generation)


def spread_text(spread: Spread) -> str:
    if spread.count == 1:
        return f"{spread.metric}: 1 result, {format_value(spread.low)}"
    return (
        f"{spread.metric}: {spread.count} results, {format_value(spread.low)}–"
        f"{format_value(spread.high)} (spread {format_value(spread.width)})"
    )


def hub_summary(view: ModelReport) -> str:
    """One line about the model repo."""
    if view.hub_exists is None:
        return f"could not be read: {view.hub_error}"
    if not view.hub_exists:
        return f"no model repo named {view.model_id} — datastore side only"
    parts = [view.model_id, f"main {view.main_sha[:7]}"]
    prs = len(view.open_prs)
    parts.append(f"{prs} open PR{'s' if prs != 1 else ''}" if prs else "no open PRs")
    return " · ".join(parts)


def status_summary(view: ModelReport) -> str:
    counts = [(s, view.count(s)) for s in STATUS_ORDER if s.info.in_model_view]
    shown = [f"{n} {s.value}" for s, n in counts if n]
    return ", ".join(shown) if shown else "none"


def hub_only_label(found: HubOnlyEntry) -> str:
    """`Idavidrein/gpqa/gpqa_main (zero-shot)`: the entry's identity on the Hub."""
    entry = found.entry
    label = f"{entry.dataset_id}/{entry.task_id}"
    return f"{label} ({entry.notes})" if entry.notes else label


def hub_only_where(found: HubOnlyEntry) -> str:
    place = "main" if found.location == "main" else f"PR #{found.pr_num}"
    return f"{place} · {found.path.rsplit('/', 1)[-1]}"


def hub_only_value(found: HubOnlyEntry) -> str:
    entry = found.entry
    shown, raw = format_value(entry.value), entry.raw_value.strip()
    try:
        same = entry.value is not None and float(raw) == entry.value
    except ValueError:
        same = False
    return shown if same else f"{shown} ({raw})"  # 41.2 (41.2%), ? (n/a)


def hub_only_source(found: HubOnlyEntry) -> str:
    entry = found.entry
    return entry.source_name or entry.source_url or ""


# --- Folding a run's sub-scores ------------------------------------------------------------------


#: Rows of a group as shown: a result, or the sub-scores of one run folded into one line.
Shown: TypeAlias = ResultRow | tuple[ResultRow, ...]


def _run_of(row: ResultRow) -> tuple[str, int, str]:
    return (row.collection, row.line, row.object_path)


def shown_rows(group: BenchmarkGroup, *, all_metrics: bool) -> list[Shown]:
    """The group's rows, each run's sub-scores folded into one line right after the run's
    headline result (`all_metrics`: every row as it is)."""
    if all_metrics:
        return list(group.rows)
    folded: dict[tuple[str, int, str], list[ResultRow]] = {}
    for row in group.rows:
        if row.sub_score:
            folded.setdefault(_run_of(row), []).append(row)
    shown: list[Shown] = []
    for row in group.rows:
        if not row.sub_score:
            shown.append(row)
            subs = folded.pop(_run_of(row), None)
            if subs:
                shown.append(tuple(subs))
    shown.extend(tuple(subs) for subs in folded.values())
    return shown


def folded_count(view: ModelReport, *, all_metrics: bool) -> int:
    """How many sub-scores the views fold (0 with `all_metrics`)."""
    return 0 if all_metrics else sum(1 for g in view.groups for r in g.rows if r.sub_score)


def folded_metric(subs: Sequence[ResultRow]) -> str:
    """`14 sub-scores (34.37–71.41)`: how many, and their range on the 0–100 scale."""
    values = [r.value for r in subs if r.value is not None]
    low, high = (min(values), max(values)) if values else (None, None)
    shown = format_value(low) if low == high else f"{format_value(low)}–{format_value(high)}"
    return f"{len(subs)} sub-score{'s' if len(subs) != 1 else ''} ({shown})"


#: What the Hub column says of folded sub-scores.
FOLDED_NOTE: Final = "not published: sub-scores (--all-metrics lists them)"


def shown_spreads(group: BenchmarkGroup, *, all_metrics: bool) -> tuple[Spread, ...]:
    """The spreads of the metrics shown (a folded sub-score's metric has none of its own)."""
    if all_metrics:
        return group.spreads
    shown = {r.metric.lower() for r in group.rows if not r.sub_score}
    return tuple(s for s in group.spreads if s.metric.lower() in shown)


def unreadable_where(file: UnreadableFile) -> str:
    place = "main" if file.location == "main" else f"PR #{file.pr_num}"
    return f"{place} · {file.path}" if file.path else f"{place} (its files)"


#: Section titles of what the Hub holds beyond the datastore's results.
HUB_ONLY_TITLE: Final = "On the Hub, not in the datastore"
UNREADABLE_TITLE: Final = "Unreadable eval files"


def recorded_note(view: ModelReport) -> str:
    """How the records spell the model: other letter cases, and ids a reviewed alias maps here."""
    others = [r for r in view.recorded_ids if r != view.model_id and r not in view.aliased_ids]
    parts = [f"recorded as {', '.join(others)}"] if others else []
    if view.aliased_ids:
        parts.append(f"recorded as {', '.join(view.aliased_ids)} (alias)")
    return "; ".join(parts)


# --- Text (rich) ---------------------------------------------------------------------------------


def _link(label: str, url: str | None, style: str = "") -> Text:
    return Text(label, style=Style.parse(style) + Style(link=url) if url else style)


def results_summary(view: ModelReport, *, all_metrics: bool) -> str:
    records = f"{view.records} record{'s' if view.records != 1 else ''}"
    text = f"{view.results} from {records}; published entries: {status_summary(view)}"
    folded = folded_count(view, all_metrics=all_metrics)
    return f"{text}; {folded} sub-scores folded (--all-metrics)" if folded else text


def _header(view: ModelReport, *, all_metrics: bool) -> RenderableType:
    title = Text("Model ", style="bold")
    title.append(view.model_id, style=Style(bold=True, color="cyan", link=view.hub_url or None))
    note = recorded_note(view)
    if note:
        title.append(f"  ({note})", style="dim")
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    hub_style = "yellow" if view.hub_exists is not True else ""
    grid.add_row("Hub", Text(hub_summary(view), style=hub_style))
    grid.add_row(
        "Datastore",
        f"{view.datastore} @ {view.datastore_revision} · "
        f"{len(view.collections)} collection{'s' if len(view.collections) != 1 else ''}",
    )
    grid.add_row("Results", results_summary(view, all_metrics=all_metrics))
    return Group(title, grid)


def _group_title(group: BenchmarkGroup) -> Text:
    title = Text(group.benchmark, style="bold")
    if group.dataset_id:
        title.append(f"  {group.dataset_id}", style="dim")
    else:
        title.append("  not a Community Evals benchmark", style="dim")
    return title


def run_text(row: ResultRow) -> str:
    """Who ran it and how, as one comparable text (to print a run once per group)."""
    return "\n".join(
        x
        for x in (
            who(row),
            relationship(row) + (f" · {row.date}" if row.date else ""),
            harness(row),
            settings(row),
        )
        if x
    )


def _row_cells(row: ResultRow, *, same_run: bool) -> tuple[Text, Text, Text, Text]:
    metric = Text(row.metric)
    metric.append("\n")
    metric.append_text(_link(record_label(row), row.datastore_url, "dim"))
    score = Text(format_value(row.value), style="bold")
    if (
        row.raw_score is None
        or row.value is None
        or f"{row.raw_score:g}" != format_value(row.value)
    ):
        score.append(f"\n{row.raw_text}", style="dim")
    if same_run:
        run = Text("same run as above", style="dim")
    else:
        first, _, rest = run_text(row).partition("\n")
        run = Text(first)
        if rest:
            run.append(f"\n{rest}", style="dim")
    style = row.hub.status.info.style if row.hub is not None else "dim"
    hub = _link(hub_label(row), hub_link(row), style)
    return metric, score, run, hub


def _folded_cells(subs: Sequence[ResultRow], *, same_run: bool) -> tuple[Text, Text, Text, Text]:
    first = subs[0]
    metric = Text(folded_metric(subs))
    metric.append("\n")
    metric.append_text(_link(record_label(first), first.datastore_url, "dim"))
    run = Text("same run as above" if same_run else run_text(first), style="dim")
    return metric, Text(""), run, Text(FOLDED_NOTE, style="dim")


def _group_table(group: BenchmarkGroup, *, all_metrics: bool) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=True)
    table.add_column("Metric", overflow="fold", ratio=3, min_width=10)
    table.add_column("Score", justify="right", no_wrap=True, min_width=6)
    table.add_column("Run by", overflow="fold", ratio=4, min_width=14)
    table.add_column("On the Hub", overflow="fold", ratio=4, min_width=14)
    previous: ResultRow | None = None
    for item in shown_rows(group, all_metrics=all_metrics):
        row = item[0] if isinstance(item, tuple) else item
        same_run = (
            previous is not None
            and _run_of(previous) == _run_of(row)
            and run_text(previous) == run_text(row)
        )
        if isinstance(item, tuple):
            table.add_row(*_folded_cells(item, same_run=same_run))
        else:
            table.add_row(*_row_cells(row, same_run=same_run))
        previous = row
    return table


def render_model_text(view: ModelReport, console: Console, *, all_metrics: bool = False) -> None:
    """The rich view: a header, then one table per benchmark with its spread (each run's
    sub-scores folded into one line unless `all_metrics`)."""
    console.print(_header(view, all_metrics=all_metrics))
    if not view.groups:
        console.print()
        console.print(
            Text(
                f"No results for this model in {', '.join(view.collections) or 'the datastore'}. "
                "Try --all to search every collection.",
                style="yellow",
            )
        )
    for group in view.groups:
        console.print()
        console.print(_group_title(group))
        for spread in shown_spreads(group, all_metrics=all_metrics):
            if spread.count > 1:
                console.print(Text(f"spread {spread_text(spread)}", style="magenta"))
        console.print(_group_table(group, all_metrics=all_metrics))
    if view.skipped:
        console.print()
        console.print(Text(f"Not published ({len(view.skipped)})", style="bold"))
        for item in view.skipped:
            line = Text(f"{item.reason}  ", style="yellow")
            line.append(item.message)
            console.print(line, overflow="fold")
    if view.hub_only:
        console.print()
        console.print(Text(f"{HUB_ONLY_TITLE} ({len(view.hub_only)})", style="bold"))
        console.print(_hub_only_table(view.hub_only))
    if view.unreadable:
        console.print()
        console.print(Text(f"{UNREADABLE_TITLE} ({len(view.unreadable)})", style="bold"))
        for file in view.unreadable:
            line = _link(unreadable_where(file), file.url, "red")
            line.append(f"  {file.reason}")
            console.print(line, overflow="fold")


def _hub_only_table(found: Sequence[HubOnlyEntry]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=True)
    table.add_column("Entry", overflow="fold", ratio=4, min_width=12)
    table.add_column("Value", justify="right", no_wrap=True, min_width=6)
    table.add_column("Where", overflow="fold", ratio=3, min_width=10)
    table.add_column("Badge · source", overflow="fold", ratio=3, min_width=10)
    for item in found:
        badge = Text(badge_text(item.badge))
        source = hub_only_source(item)
        if source:
            badge.append(f"\n{source}", style="dim")
        table.add_row(
            hub_only_label(item),
            hub_only_value(item),
            _link(hub_only_where(item), item.pr_url or item.url),
            badge,
        )
    return table


# --- Markdown ------------------------------------------------------------------------------------


def _md_row(r: ResultRow) -> list[str]:
    return [
        _md(r.metric),
        format_value(r.value),
        _md(r.raw_text),
        _md(who(r)),
        _md(relationship(r)),
        _md(harness(r)),
        _md(settings(r)),
        r.date or "",
        _md_link(hub_label(r), hub_link(r)),
        _md_link(record_label(r), r.datastore_url),
    ]


def _md_folded(subs: Sequence[ResultRow]) -> list[str]:
    first = subs[0]
    cells = _md_row(first)
    cells[0:3] = [_md(folded_metric(subs)), "", ""]
    cells[8] = _md(FOLDED_NOTE)
    return cells


def render_model_markdown(view: ModelReport, *, all_metrics: bool = False) -> str:
    """The view as markdown (for an issue, a PR description or a model-card discussion)."""
    title = _md_link(view.model_id, view.hub_url or None)
    note = recorded_note(view)
    out = [
        f"## {title}" + (f" ({_md(note)})" if note else ""),
        "",
        f"- **Hub:** {_md(hub_summary(view))}",
        f"- **Datastore:** {_md(view.datastore)} @ `{view.datastore_revision}` "
        f"({_md(', '.join(view.collections))})",
        f"- **Results:** {_md(results_summary(view, all_metrics=all_metrics))}",
    ]
    if not view.groups:
        out += ["", "_No results for this model in the chosen collections._"]
    for group in view.groups:
        heading = f"### {_md(group.benchmark)}"
        if group.dataset_id:
            heading += f" (`{group.dataset_id}`)"
        out += ["", heading, ""]
        spreads = shown_spreads(group, all_metrics=all_metrics)
        out += [f"- spread {_md(spread_text(s))}" for s in spreads]
        out += [""]
        rows = [
            _md_folded(item) if isinstance(item, tuple) else _md_row(item)
            for item in shown_rows(group, all_metrics=all_metrics)
        ]
        out += _md_table(
            [
                "Metric",
                "Score (0–100)",
                "Recorded",
                "Run by",
                "Relationship",
                "Harness",
                "Settings",
                "Date",
                "On the Hub",
                "Record",
            ],
            rows,
        )
    if view.skipped:
        out += ["", f"### Not published ({len(view.skipped)})", ""]
        out += [f"- `{item.reason}`: {_md(item.message)}" for item in view.skipped]
    if view.hub_only:
        out += ["", f"### {HUB_ONLY_TITLE} ({len(view.hub_only)})", ""]
        out += _md_table(
            ["Entry", "Value", "Where", "Badge", "Source"],
            (
                [
                    _md(hub_only_label(f)),
                    _md(hub_only_value(f)),
                    _md_link(hub_only_where(f), f.pr_url or f.url),
                    _md(badge_text(f.badge)),
                    _md(hub_only_source(f)),
                ]
                for f in view.hub_only
            ),
        )
    if view.unreadable:
        out += ["", f"### {UNREADABLE_TITLE} ({len(view.unreadable)})", ""]
        out += [
            f"- {_md_link(unreadable_where(f), f.url)}: {_md(f.reason)}" for f in view.unreadable
        ]
    return "\n".join(out) + "\n"


# --- JSON ----------------------------------------------------------------------------------------


def render_model_json(view: ModelReport) -> str:
    """Machine output: the view through the plan file's converter (one schema for both).
    Every result is listed; `sub_score` marks those the other views fold."""
    data = {
        "kind": "eeesync.model_view",  # a published name (module renamed, the output not)
        "version": JSON_VERSION,
        **plan_file.converter.unstructure(view),
    }
    return plan_file.dumps(data)


# --- Entry point ---------------------------------------------------------------------------------


def render_model_report(
    view: ModelReport,
    console: Console,
    fmt: ModelReportFormat = "text",
    *,
    all_metrics: bool = False,
) -> None:
    """Print the view in one of `FORMATS` (`all_metrics`: no folded sub-scores)."""
    if fmt == "text":
        render_model_text(view, console, all_metrics=all_metrics)
        return
    text = (
        render_model_markdown(view, all_metrics=all_metrics)
        if fmt == "markdown"
        else render_model_json(view)
    )
    # Markdown and JSON are exact text: no wrapping, markup or highlighting.
    console.print(text, markup=False, highlight=False, emoji=False, soft_wrap=True, end="")
