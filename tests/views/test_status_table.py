"""The status table (`eeesync.plan.model.STATUS_TABLE`) is what every view and doc says.

Each view renders each status of the table, so a new row cannot be forgotten by a view; the
README and docs/plan-format.md status tables are the rows' own words. After adding or editing a
row, rewrite those doc tables with `python -m tests.views.test_status_table`.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import attrs
import pytest
from rich.console import Console

from eeesync.model_report import BenchmarkGroup, HubStatus
from eeesync.plan.model import STATUS_ORDER, STATUS_TABLE, Plan, Status
from eeesync.text import md_escape
from eeesync.views import render_plan
from eeesync.views.common import ViewOptions
from eeesync.views.markdown import render_markdown
from eeesync.views.model_view import hub_label, render_model_markdown, render_model_report
from tests.plan_factory import desired, in_pr, plan_of, planned, ready_file, repo_plan
from tests.views.test_model_view import make_view, row

ROOT = Path(__file__).resolve().parents[2]
#: The comment that precedes a generated status table in a doc.
MARKER = "<!-- generated from STATUS_TABLE (eeesync/plan/model.py): "
COMMAND = "python -m tests.views.test_status_table -->"


def _one_of_each() -> Plan:
    """One repo per status, each holding one entry with that status."""
    repos = []
    for i, status in enumerate(STATUS_ORDER):
        repo_id = f"org/model-{status.value}"
        entry = desired(repo_id, "mmlu_pro", 40.0 + i, line=i + 1)
        path = entry.file_path
        repos.append(
            repo_plan(
                repo_id,
                [
                    planned(
                        status,
                        entry,
                        existing=[in_pr(repo_id, path, 12.5, 3)],
                        conflicting_values=[1.0, 2.0],
                    )
                ],
                # Only `ready` opens a new PR (an update of our open PR names its number).
                files=[ready_file(path, [entry])] if status is Status.READY else [],
            )
        )
    return plan_of(repos)


@pytest.mark.parametrize("status", STATUS_ORDER, ids=str)
def test_every_view_renders_every_status(status: Status) -> None:
    plan = _one_of_each()
    heading = f"{status.info.title} (1)"
    console = Console(record=True, width=160, file=io.StringIO())
    render_plan(plan, console, "text", statuses=[status])
    assert heading in console.export_text()
    markdown = render_markdown(plan, ViewOptions(statuses=frozenset([status])))
    assert re.search(f"^#+ {re.escape(heading)}$", markdown, re.M)
    json_console = Console(record=True, width=160, file=io.StringIO())
    render_plan(plan, json_console, "json", statuses=[status])
    shown = json.loads(json_console.export_text())
    assert [e["status"] for r in shown["repos"] for e in r["entries"]] == [status.value]


@pytest.mark.parametrize("status", STATUS_ORDER, ids=str)
def test_the_model_view_labels_every_status(status: Status) -> None:
    hub = HubStatus(status, "why", conflicting_values=(1.0, 2.0))
    result = row("mmlu_pro", 40.0, 0.4, hub=hub)
    label = hub_label(result)
    assert label
    group = BenchmarkGroup("MMLU-Pro", "mmlu_pro", "TIGER-Lab/MMLU-Pro", (result,), ())
    view = attrs.evolve(make_view(), groups=(group,))
    console = Console(record=True, width=400, file=io.StringIO())
    render_model_report(view, console, "text")
    text = console.export_text()
    assert label in text
    assert (f"published entries: 1 {status.value}" in text) == status.info.in_model_view
    assert md_escape(label) in render_model_markdown(view)


def test_every_status_has_a_row_in_view_order() -> None:
    assert list(STATUS_TABLE) == list(Status) == list(STATUS_ORDER)
    attention = [s.needs_attention for s in STATUS_ORDER]
    assert attention == sorted(attention), "the changes first, then what needs a reviewer"


def _readme_table() -> str:
    rows = [f"| `{s.value}` | {s.info.detail} | {s.info.todo} |" for s in STATUS_ORDER]
    return "\n".join(["| Status | Meaning | What to do |", "|---|---|---|", *rows])


def _plan_format_table() -> str:
    rows = [f"| `{s.value}` | {s.info.detail} |" for s in STATUS_ORDER]
    return "\n".join(["| status | meaning |", "|---|---|", *rows])


DOC_TABLES = {"README.md": _readme_table, "docs/plan-format.md": _plan_format_table}
_TABLE = re.compile(re.escape(MARKER) + re.escape(COMMAND) + r"\n(?:\|.*\n)+")


def _with_tables(name: str, text: str) -> str:
    table = DOC_TABLES[name]()
    new, found = _TABLE.subn(lambda _: f"{MARKER}{COMMAND}\n{table}\n", text)
    assert found == 1, f"{name}: no status table after {MARKER}{COMMAND}"
    return new


@pytest.mark.parametrize("name", DOC_TABLES)
def test_the_docs_status_tables_are_the_rows(name: str) -> None:
    text = (ROOT / name).read_text(encoding="utf-8")
    assert _with_tables(name, text) == text, (
        f"{name}: its status table differs from STATUS_TABLE; run `python -m "
        "tests.views.test_status_table` to rewrite it"
    )


if __name__ == "__main__":
    for doc in DOC_TABLES:
        path = ROOT / doc
        path.write_text(_with_tables(doc, path.read_text(encoding="utf-8")), encoding="utf-8")
        print(f"rewrote the status table of {doc}")
