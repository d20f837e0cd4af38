"""Views: turn a finished `Plan` into text for people (terminal, markdown) or machines (JSON).

The last stage of the pipeline (compute → plan → views), like Terraform's `command/views`:
views receive finished data and a rich `Console`; they never call the Hub, read files or decide
a status. `render_plan` picks the view by format name; `cli/show.py` and `cli/plan.py` call it.

Example:
    >>> from rich.console import Console
    >>> render_plan(plan, Console(), "markdown", statuses={Status.SCORE_CONFLICT})  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Final, Literal, TypeAlias

from rich.console import Console

from eeesync.plan.model import Plan, Status
from eeesync.views.common import (
    DEFAULT_ROW_LIMIT,
    DEFAULT_STATUSES,
    ApplyProgress,
    ViewOptions,
    summary_line,
)
from eeesync.views.json_view import render_json, select_statuses
from eeesync.views.markdown import render_markdown
from eeesync.views.terminal import render_terminal

ViewFormat: TypeAlias = Literal["text", "markdown", "json"]
FORMATS: Final[tuple[ViewFormat, ...]] = ("text", "markdown", "json")


def _print_text(console: Console, text: str) -> None:
    """Print exact text (markdown, JSON): no wrapping, markup, emoji codes or highlighting.

    It goes straight to the console's file: rich's renderer adds nothing to exact text and
    costs ~7x the plan serialisation for a 50 MB plan (20,000 repos). A recording console
    (tests, `export_text`) still gets it through `print`, which is byte-identical.
    """
    if console.record:
        console.print(text, markup=False, highlight=False, emoji=False, soft_wrap=True, end="")
        return
    console.file.write(text)
    console.file.flush()


def _render_text(plan: Plan, console: Console, options: ViewOptions) -> None:
    render_terminal(plan, console, options)


def _render_markdown(plan: Plan, console: Console, options: ViewOptions) -> None:
    _print_text(console, render_markdown(plan, options))


def _render_json(plan: Plan, console: Console, options: ViewOptions) -> None:
    _print_text(console, render_json(plan, options))


#: View by format name (Terraform's `NewPlan` choosing PlanHuman or PlanJSON).
VIEWS: Final[dict[str, Callable[[Plan, Console, ViewOptions], None]]] = {
    "text": _render_text,
    "markdown": _render_markdown,
    "json": _render_json,
}


def render_plan(
    plan: Plan,
    console: Console,
    fmt: ViewFormat = "text",
    *,
    statuses: Collection[Status] | None = None,
    progress: ApplyProgress | None = None,
    plan_ref: str = "PLAN",
    row_limit: int = DEFAULT_ROW_LIMIT,
    max_bytes: int | None = None,
    plan_url: str | None = None,
    show_unmatched: bool = False,
) -> None:
    """Print `plan` to `console` in format `fmt`.

    Args:
        statuses: show only these statuses' sections (text, markdown) or entries (json);
            None shows the default selection (everything but `already_present`; json: all).
            The summary table and the summary line always count the whole plan.
        progress: apply outcome per action id (from the journal), shown next to each PR to
            open; None before apply.
        plan_ref: how hints name the plan file (`eeesync show PLAN --status S`).
        row_limit: rows per table before "… and N more"; a status named in `statuses` is
            never capped.
        max_bytes: markdown only: the text fits in this many UTF-8 bytes (see
            `render_markdown`); refused for the other formats.
        plan_url: where the whole plan can be read, linked from the note saying what a
            size limit left out (default: `plan_ref` as plain text).
        show_unmatched: list every unmatched (collection, evaluation name) group (the summary
            always counts them and names the largest); json: keep only those groups' list
            unless `statuses` selects entries too.

    Raises:
        ValueError: `fmt` is not one of `FORMATS`, or `max_bytes` with a format but markdown.
        MarkdownTooLargeError: not even the minimal markdown body fits in `max_bytes`.
    """
    view = VIEWS.get(fmt)
    if view is None:
        raise ValueError(f"unknown view format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if max_bytes is not None and fmt != "markdown":
        raise ValueError(f"a size limit applies to the markdown view only, not {fmt!r}")
    options = ViewOptions(
        statuses=None if statuses is None else frozenset(statuses),
        progress=progress,
        plan_ref=plan_ref,
        row_limit=row_limit,
        max_bytes=max_bytes,
        plan_url=plan_url,
        show_unmatched=show_unmatched,
    )
    view(plan, console, options)


__all__ = [
    "DEFAULT_STATUSES",
    "FORMATS",
    "VIEWS",
    "ApplyProgress",
    "ViewFormat",
    "ViewOptions",
    "render_json",
    "render_markdown",
    "render_plan",
    "render_terminal",
    "select_statuses",
    "summary_line",
]
