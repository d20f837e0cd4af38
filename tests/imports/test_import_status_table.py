"""The import status table (`IMPORT_STATUS_TABLE`) is what every import view and the README say.

After adding or editing a row, rewrite the README's table with
`python -m tests.imports.test_import_status_table`.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import attrs
import pytest
from rich.console import Console

from eeesync.plan import import_file
from eeesync.plan.import_model import IMPORT_STATUS_ORDER, IMPORT_STATUS_TABLE, ImportStatus
from eeesync.views.import_view import render_import_plan
from tests.imports.test_import_view import plan_with_notes

ROOT = Path(__file__).resolve().parents[2]
MARKER = "<!-- generated from IMPORT_STATUS_TABLE (eeesync/plan/import_model.py): "
COMMAND = "python -m tests.imports.test_import_status_table -->"
_TABLE = re.compile(re.escape(MARKER) + re.escape(COMMAND) + r"\n(?:\|.*\n)+")


@pytest.mark.parametrize("status", IMPORT_STATUS_ORDER, ids=str)
def test_every_import_view_renders_every_status(status: ImportStatus) -> None:
    base = plan_with_notes("")
    plan = import_file.seal(
        attrs.evolve(base, entries=(attrs.evolve(base.entries[0], status=status),))
    )
    heading = f"{status.info.title} (1)"
    text = Console(record=True, width=200, file=io.StringIO())
    render_import_plan(plan, text, "text", statuses=[status])
    assert heading in text.export_text()
    markdown = Console(record=True, width=200, file=io.StringIO())
    render_import_plan(plan, markdown, "markdown", statuses=[status])
    assert f"### {heading}" in markdown.export_text()
    shown = Console(record=True, width=200, file=io.StringIO())
    render_import_plan(plan, shown, "json")
    assert [e["status"] for e in json.loads(shown.export_text())["entries"]] == [status.value]


def test_every_import_status_has_a_row_in_view_order() -> None:
    assert list(IMPORT_STATUS_TABLE) == list(ImportStatus) == list(IMPORT_STATUS_ORDER)
    attention = [s.needs_attention for s in IMPORT_STATUS_ORDER]
    assert attention == sorted(attention), "the changes first, then what needs a reviewer"


def _readme_table() -> str:
    rows = [f"| `{s.value}` | {s.info.detail} | {s.info.todo} |" for s in IMPORT_STATUS_ORDER]
    return "\n".join(["| Import status | Meaning | What to do |", "|---|---|---|", *rows])


def _with_table(text: str) -> str:
    new, found = _TABLE.subn(lambda _: f"{MARKER}{COMMAND}\n{_readme_table()}\n", text)
    assert found == 1, f"README.md: no import status table after {MARKER}{COMMAND}"
    return new


def test_the_readme_import_status_table_is_the_rows() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert _with_table(text) == text, (
        "README.md: its import status table differs from IMPORT_STATUS_TABLE; run "
        "`python -m tests.imports.test_import_status_table` to rewrite it"
    )


if __name__ == "__main__":
    path = ROOT / "README.md"
    path.write_text(_with_table(path.read_text(encoding="utf-8")), encoding="utf-8")
    print("rewrote the import status table of README.md")
