"""A plan written by format 1.0 (before `files[].added_span`) still reads, re-serialises to its
own bytes and renders: an existing file whole and labelled, never re-parsed to guess our lines.

`tests/fixtures/plans/format-1.0.plan.json` is `make_plan()` as the 1.0 writer serialised it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from eeesync.plan.file import read_plan, serialize_plan
from eeesync.views import render_plan
from eeesync.views.common import UNMARKED_NOTE
from tests.views.conftest import recording_console

PLAN_1_0 = Path(__file__).resolve().parents[1] / "fixtures" / "plans" / "format-1.0.plan.json"


def _render(fmt: str) -> str:
    console = recording_console(100)
    render_plan(read_plan(PLAN_1_0), console, fmt)  # type: ignore[arg-type]
    return console.export_text()


def test_a_1_0_plan_reads_and_writes_back_its_own_bytes() -> None:
    plan = read_plan(PLAN_1_0)
    assert plan.format_version == "1.0"
    files = [f for r in plan.repos for f in r.files]
    assert files and all(f.added_span is None for f in files)
    assert serialize_plan(plan) == PLAN_1_0.read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_a_1_0_plan_shows_an_existing_file_whole_and_labelled(fmt: str) -> None:
    text = _render(fmt)
    gpqa = text[text.index(".eval_results/gpqa.yaml") :]
    gpqa = gpqa[: gpqa.index(".eval_results/mmlu_pro.yaml")]
    assert UNMARKED_NOTE in gpqa
    assert "39.5" in gpqa  # main's entry is shown …
    assert not [line for line in gpqa.splitlines() if line.lstrip().startswith("+ ")]  # … unclaimed
    # A new file is ours whole, in 1.0 as in 1.1.
    new = text[text.index(".eval_results/mmlu_pro.yaml") :]
    assert "+ - dataset:" in new
