"""The markdown view: a PR description for reviewing a plan. Deterministic text."""

from __future__ import annotations

import re

import attrs

from eeesync.apply.outcome import Outcome
from eeesync.plan.model import STATUS_ORDER, Status
from eeesync.views import ViewOptions, render_markdown, render_plan
from eeesync.views.common import summary_line
from tests.plan_factory import (
    LLAMA,
    QWEN,
    desired,
    make_empty_plan,
    plan_of,
    planned,
    repo_plan,
    score_conflict_repos,
)
from tests.views.conftest import recording_console


def _cells(row: str) -> list[str]:
    """Split a GFM table row on unescaped pipes."""
    return [c.strip() for c in re.split(r"(?<!\\)\|", row.strip())[1:-1]]


def _tables(md: str) -> list[list[str]]:
    tables, current = [], []
    for line in md.splitlines():
        if line.startswith("|"):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    return tables + ([current] if current else [])


def test_is_deterministic_and_ends_with_one_newline(plan):
    first = render_markdown(plan)
    assert first == render_markdown(plan)
    assert first.endswith("\n") and not first.endswith("\n\n")


def test_title_summary_line_and_inputs(plan):
    md = render_markdown(plan)
    lines = md.splitlines()
    assert lines[0] == "# eeesync plan: `mmlu_pro` @ `0f3c9a7`"
    assert lines[2] == f"**{summary_line(plan)}**"
    assert (
        "| Datastore | `evaleval/EEE_datastore` @ [0f3c9a7](<https://huggingface.co/datasets/" in md
    )
    assert "| Endpoint | `https://huggingface.co` |" in md
    assert f"<sub>Plan digest `{plan.digest}`</sub>" in md


def test_summary_table_has_every_status_with_its_count(plan):
    md = render_markdown(plan)
    summary = md[md.index("## Summary") :]
    for status in STATUS_ORDER:
        assert re.search(rf"`{status.value}`\S* \| {plan.counts.get(status)} \|", summary), status
    assert "| **`ready`** | 3 | not on the Hub: a PR adds it (2 PRs, 3 files) |" in summary
    assert "| ⚠️ `score_conflict` | 2 |" in summary
    assert "7 model repos audited." in summary


def test_every_table_row_has_as_many_cells_as_its_header(plan):
    for table in _tables(render_markdown(plan, ViewOptions(statuses=frozenset(STATUS_ORDER)))):
        width = len(_cells(table[0]))
        assert all(len(_cells(row)) == width for row in table), table[0]


def test_pipes_and_markup_in_reasons_cannot_break_a_table():
    entry = desired("acme/model-a", "mmlu_pro", 41.2)
    nasty = plan_of(
        [
            repo_plan(
                "acme/model-a",
                [
                    planned(
                        Status.SOURCE_CONFLICT,
                        entry,
                        reason="values | differ *a lot*\nsee <script> [x](y)",
                        conflicting_values=[41.2, 43.0],
                    )
                ],
            )
        ]
    )
    md = render_markdown(nasty)
    (row,) = [line for line in md.splitlines() if line.startswith("| [acme/model-a]")]
    cells = _cells(row)
    assert len(cells) == 5
    assert cells[4] == r"values \| differ \*a lot\*<br>see \<script\> \[x\](y)"


def test_ready_section_lists_entries_with_sources_and_file_diffs(plan):
    md = render_markdown(plan)
    ready = md[md.index("## Pull requests to open (2)") : md.index("### Pending")]
    assert (
        f"| [{LLAMA}](<https://huggingface.co/{LLAMA}>) | `.eval_results/mmlu_pro.yaml` |" in ready
    )
    assert "| gpqa/gpqa\\_diamond (cot) | 41.2 | [mmlu\\_pro:12](<https://huggingface.co/" in ready
    assert "<details>" in ready and "</details>" in ready
    gpqa = ready[ready.index("[.eval\\_results/gpqa.yaml]") :]
    assert "(updates main blob `" in gpqa.splitlines()[0]
    block = gpqa[gpqa.index("```diff") : gpqa.index("```\n")]
    assert "@@ 12 lines kept from main @@" in block
    assert "+   value: 41.2" in block
    assert "39.5" not in block
    assert "(new file, +1)" in ready


def test_needs_attention_shows_both_values_and_where_each_lives(plan):
    md = render_markdown(plan)
    attention = md[md.index("## Needs attention (13)") :]
    (qwen,) = [
        line for line in attention.splitlines() if line.startswith(f"| [{QWEN}]") and "gpqa" in line
    ]
    cells = _cells(qwen)
    assert cells[2:4] == ["41.2", "39.8 (0.398)<br>45"]
    assert f"[main · gpqa\\_results.yaml](<https://huggingface.co/{QWEN}/blob/main/" in cells[4]
    assert f"[PR \\#4 · gpqa.yaml](<https://huggingface.co/{QWEN}/discussions/4>)" in cells[4]
    assert cells[6] == "value: 39.8 → 41.2"
    for heading in (
        "### Score conflicts (2)",
        "### Missing model repos (2)",
        "### Source conflicts (1)",
        "### Audit errors (3)",
        "### Skipped records (5)",
    ):
        assert heading in attention
    assert "| `api_only_model` | 3 | openai/gpt-4o is served by API only |" in attention
    assert "_2 entries already present on main are not listed._" in md


def test_long_sections_fold_into_details_and_cap_with_a_hint():
    repos = score_conflict_repos(30)
    md = render_markdown(plan_of(repos), ViewOptions(plan_ref="p.json"))
    section = md[md.index("### Score conflicts (30)") :]
    assert section.split("\n")[2:4] == ["<details>", "<summary>25 rows</summary>"]
    assert "org/model-24" in section and "org/model-25" not in section
    assert "… and 5 more (see \\`eeesync show p.json --status score\\_conflict\\`)" in section
    short = render_markdown(plan_of(repos[:3]))
    assert "<details>" not in short[short.index("### Score conflicts") :]


def test_apply_progress_column(plan):
    md = render_markdown(plan, ViewOptions(progress={plan.repo(LLAMA).action_id: Outcome.FAILED}))
    assert "Apply progress: 1 failed, 1 pending." in md
    assert f"[{LLAMA}](<https://huggingface.co/{LLAMA}>)<br>apply: **failed**" in md


def test_empty_plan():
    md = render_markdown(make_empty_plan())
    assert "Needs attention" not in md and "Pull requests to open" not in md
    assert "0 need attention." in md


def test_local_endpoint_gives_plain_names_not_links():
    local = attrs.evolve(
        make_empty_plan(),
        inputs=attrs.evolve(make_empty_plan().inputs, endpoint="local:/tmp/hub"),
    )
    md = render_markdown(local)
    assert "| Datastore | `evaleval/EEE_datastore` @ 0f3c9a7 |" in md


def test_render_plan_prints_the_markdown_unwrapped(plan):
    console = recording_console(width=40)
    render_plan(plan, console, "markdown")
    assert console.export_text() == render_markdown(plan)
