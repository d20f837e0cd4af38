"""The terminal view: rendered text asserted like Alembic's render tests, at 80 columns."""

from __future__ import annotations

import re

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eeesync.apply.outcome import Outcome
from eeesync.plan.model import STATUS_ORDER, Status
from eeesync.views import render_plan
from eeesync.views.common import summary_line
from eeesync.views.formatting import format_value
from tests.plan_factory import (
    DEEPSEEK,
    GEMMA,
    GHOST,
    LLAMA,
    MIXTRAL,
    OLMO,
    QWEN,
    desired,
    in_pr,
    make_empty_plan,
    make_plan,
    on_main,
    plan_of,
    planned,
    ready_file,
    repo_plan,
    score_conflict_repos,
    skipped,
)
from tests.views.conftest import COLOUR_SGR, recording_console, terminal_console


def render_text(plan, *, width=80, **kwargs) -> str:
    console = recording_console(width)
    render_plan(plan, console, **kwargs)
    return console.export_text()


def too_wide(lines: list[str], plan) -> list[str]:
    """Lines wider than 80 columns, but for those printed whole on purpose: the summary line
    (CI greps it) and the YAML lines a PR adds (copied from the terminal, they must parse)."""
    return [
        line
        for line in lines
        if len(line) > 80 and line.rstrip() != summary_line(plan) and not line.startswith("    + ")
    ]


def section(text: str, title: str) -> str:
    """The lines from a section title to the next blank-line-separated title."""
    start = text.index(title)
    end = text.find("\n\n", start)
    return text[start : end if end != -1 else None]


def test_header_names_inputs(plan):
    text = render_text(plan)
    assert text.startswith(f"eeesync plan {plan.digest.split(':')[1][:12]}")
    assert "Collections  mmlu_pro" in text
    assert "Datastore    evaleval/EEE_datastore @ 0f3c9a7" in text
    assert "Endpoint     https://huggingface.co" in text


def test_summary_table_lists_all_eight_statuses_with_counts(plan):
    text = render_text(plan)
    table = section(text, "7 model repos audited")
    for status in STATUS_ORDER:
        assert re.search(rf"^{status.value}\s+{plan.counts.get(status)}\s", table, re.M), status
    assert "(2 PRs)" in table


def test_summary_line_is_the_last_line_and_never_wrapped(plan):
    lines = render_text(plan, width=60).rstrip("\n").splitlines()
    assert lines[-1].rstrip() == summary_line(plan)


def test_stays_readable_at_80_columns(plan):
    text = render_text(plan, statuses=set(STATUS_ORDER))
    lines = text.splitlines()
    assert too_wide(lines, plan) == []
    # Repo ids and values are whole on one line, never folded or cut (the upstream bug).
    for repo_id in (LLAMA, QWEN, DEEPSEEK, GHOST, MIXTRAL, GEMMA, OLMO):
        assert any(repo_id in line for line in lines), repo_id
    for value in ("71.93", "68.5", "41.2", "39.8", "(0.398)", "45", "62.1 vs 63.4", "58.1"):
        assert value in text, value
    conflicts = section(text, "Score conflicts (2)")
    assert re.search(r"deepseek-ai/DeepSeek-R1-Distill-Qwen-32B\s+71\.93\s+68\.5\s+main", conflicts)
    # Free text wraps inside its own column instead of vanishing.
    errors = section(text, "Audit errors (3)")
    assert "HTTP 503 from the Hub" in errors
    assert "after 5 retries" in errors


@st.composite
def repo_ids(draw):
    org = draw(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9-]{0,14}", fullmatch=True))
    name = draw(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,27}", fullmatch=True))
    return f"{org}/{name}"


#: Sections that print our value (missing repos, audit errors and skips list entries only).
VALUE_SHOWN = {
    Status.READY,
    Status.ALREADY_PRESENT,
    Status.PENDING_PR,
    Status.SCORE_CONFLICT,
    Status.SOURCE_CONFLICT,
}


@st.composite
def plans(draw):
    ids = draw(st.lists(repo_ids(), min_size=1, max_size=6, unique_by=str.lower))
    repos = []
    for i, repo_id in enumerate(ids):
        value = draw(st.floats(0, 100, allow_nan=False)).__round__(2)
        entry = desired(repo_id, "mmlu_pro", value, line=i + 1)
        status = draw(st.sampled_from(STATUS_ORDER))
        if status is Status.READY:
            repos.append(
                repo_plan(
                    repo_id,
                    [planned(status, entry)],
                    files=[ready_file(entry.file_path, [entry])],
                )
            )
            continue
        other = round(value / 2 + 1, 3)
        existing = {
            Status.ALREADY_PRESENT: [on_main(repo_id, entry.file_path, value)],
            Status.PENDING_PR: [in_pr(repo_id, entry.file_path, value, i + 1)],
            Status.SCORE_CONFLICT: [
                on_main(repo_id, ".eval_results/some-much-longer-file-name.yaml", other),
                in_pr(repo_id, entry.file_path, other + 1, 100 + i),
            ],
        }.get(status, [])
        reason = draw(st.text("abcdefgh xyz:/.", max_size=120))
        repos.append(
            repo_plan(
                repo_id,
                [
                    planned(
                        status,
                        entry,
                        reason=reason or "why",
                        existing=existing,
                        conflicting_values=[value, other]
                        if status is Status.SOURCE_CONFLICT
                        else [],
                    )
                ],
                audit_error=reason if status is Status.AUDIT_ERROR else "",
            )
        )
    skips = [
        skipped(draw(st.sampled_from(["api_only_model", "unknown_task"])), n, "x " * n)
        for n in range(draw(st.integers(0, 4)))
    ]
    return plan_of(repos, skips)


@pytest.mark.slow
@settings(max_examples=40, deadline=None)
@given(plan=plans())
def test_any_plan_fits_80_columns_with_whole_repo_ids_and_values(plan):
    text = render_text(plan, statuses=set(STATUS_ORDER))
    lines = text.splitlines()
    assert too_wide(lines, plan) == []
    for repo in plan.repos:
        # Skipped entries are grouped by reason with a capped list of example locations.
        if all(entry.status is Status.SKIPPED for entry in repo.entries):
            continue
        assert any(repo.repo_id in line for line in lines), repo.repo_id
        for entry in repo.entries:
            if entry.status in VALUE_SHOWN:
                assert format_value(entry.desired.entry.value) in text
    assert lines[-1].rstrip() == summary_line(plan)


def test_already_present_is_hidden_by_default_with_a_hint(plan):
    text = render_text(plan, plan_ref="plans/x.plan.json")
    assert "Already present on main" not in text
    assert "2 already present on main, not listed" in text
    assert "  eeesync show plans/x.plan.json --status already_present\n" in text
    shown = render_text(plan, statuses={Status.ALREADY_PRESENT})
    assert "Already present on main (2)" in shown
    assert "87.5" in section(shown, "Already present on main (2)")


def test_status_filter_shows_only_those_sections_but_counts_everything(plan):
    text = render_text(plan, statuses={Status.SCORE_CONFLICT})
    assert "Score conflicts (2)" in text
    for other in ("Pull requests to open", "Missing model repos", "Skipped records"):
        assert other not in text
    assert summary_line(plan) in text
    assert "Needs attention (13)" in text


def test_ready_repo_shows_added_lines_and_collapses_kept_entries(plan):
    text = render_text(plan)
    ready = text[text.index("Pull requests to open (2)") : text.index("Pending in open")]
    assert "+ meta-llama/Meta-Llama-3.1-70B-Instruct @ " in ready
    assert "\n  2 files, 2 new entries\n" in ready
    assert ".eval_results/gpqa.yaml  updates main (blob " in ready
    assert "@@ 12 lines kept from main @@" in ready
    gpqa = ready[ready.index(".eval_results/gpqa.yaml") : ready.index(".eval_results/mmlu_pro")]
    assert "+   value: 41.2" in gpqa
    assert "39.5" not in gpqa  # kept entries are collapsed, not shown as ours
    assert ".eval_results/mmlu_pro.yaml  new file, +1" in ready
    assert "+ - dataset:" in ready
    assert "1 file, 1 new entry; recorded as qwen/qwen2.5-72b-instruct" in ready


@pytest.mark.parametrize("width", [80, 120])
def test_added_yaml_lines_are_never_wrapped(plan, width):
    """YAML copied from the terminal must parse: each line the PR adds is printed whole (a long
    `source.url` included), however narrow the terminal; the terminal soft-wraps it."""
    text = render_text(plan, width=width)
    change = plan.repo(LLAMA).files[0]
    added = [ln for ln in change.content.splitlines() if "EEE_datastore" in ln]
    assert added and max(len(ln) for ln in added) > 120
    for line in added:
        assert f"+ {line}\n" in text


def test_score_conflict_shows_both_values_and_where_each_lives(plan):
    text = render_text(plan)
    conflicts = section(text, "Score conflicts (2)")
    qwen = conflicts[conflicts.index(QWEN) :]
    assert re.search(r"41\.2\s+39\.8\s+main", qwen)
    assert "(0.398)" in qwen and "gpqa_results.yaml" in qwen
    assert re.search(r"45\s+PR #4", qwen)


def test_other_attention_sections(plan):
    text = render_text(plan)
    missing = section(text, "Missing model repos (2)")
    assert GHOST in missing and "mmlu_pro, bbh" in missing
    assert "repository not found" in missing
    source = section(text, "Source conflicts (1)")
    assert "62.1 vs 63.4" in source
    errors = section(text, "Audit errors (3)")
    assert "allenai/OLMo-2-1124-13B-Instruct" in errors and "malformed" in errors
    assert "google/gemma-2-27b-it" in errors and "mmlu_pro," in errors
    skipped_part = section(text, "Skipped records (5)")
    assert re.search(r"api_only_model\s+3\s+mmlu_pro:81", skipped_part)
    assert "mmlu_pro:83" in skipped_part and "mmlu_pro:84" in skipped_part
    pending = section(text, "Pending in open pull requests (1)")
    assert "PR #3" in pending and "58.1" in pending


def test_long_tables_are_capped_with_a_hint_unless_asked_for():
    conflicts = score_conflict_repos(30)
    big = plan_of(conflicts)
    text = render_text(big, plan_ref="p.json")
    assert "org/model-24" in text and "org/model-25" not in text
    assert "… and 5 more (see `eeesync show p.json --status score_conflict`)" in text
    full = render_text(big, statuses={Status.SCORE_CONFLICT})
    assert "org/model-29" in full and "more (see" not in full


def test_links_are_osc8_hyperlinks_on_a_terminal(plan):
    console, out = terminal_console()
    render_plan(plan, console)
    raw = out.getvalue()
    assert "\x1b]8;" in raw
    assert f"https://huggingface.co/{QWEN}/discussions/4\x1b\\" in raw
    assert f"https://huggingface.co/{DEEPSEEK}/blob/main/.eval_results/mmlu_pro.yaml" in raw
    assert COLOUR_SGR.search(raw)  # and colour, when allowed


def test_no_color_console_prints_no_colour(plan):
    console, out = terminal_console(no_color=True)
    render_plan(plan, console)
    raw = out.getvalue()
    assert COLOUR_SGR.search(raw) is None
    assert summary_line(plan) in raw


def test_plain_console_output_has_no_escape_sequences(plan):
    assert "\x1b" not in render_text(plan)


def test_local_endpoint_makes_no_links():
    local = make_plan(endpoint="local:/tmp/hub")
    console, out = terminal_console()
    render_plan(local, console)
    raw = out.getvalue()
    assert f"local:/tmp/hub/{QWEN}" not in raw
    # The only links left come from the plan itself (PR and file URLs, datastore records).
    assert "https://huggingface.co/meta-llama/Meta-Llama-3.1-70B-Instruct\x1b" not in raw


def test_apply_progress_is_shown_per_pull_request(plan):
    llama = plan.repo(LLAMA)
    text = render_text(plan, progress={llama.action_id: Outcome.OPENED})
    assert "Apply progress: 1 opened, 1 pending." in text
    assert re.search(r"\+ meta-llama/Meta-Llama-3\.1-70B-Instruct .*\[opened\]", text)
    assert re.search(r"\+ Qwen/Qwen2\.5-72B-Instruct .*\[pending\]", text)
    assert "Apply progress" not in render_text(plan)


def test_empty_plan_renders_only_header_summary_and_line():
    text = render_text(make_empty_plan())
    assert "Needs attention" not in text and "Pull requests to open" not in text
    assert text.rstrip().endswith(
        "Plan: 0 pull requests to open (0 files, 0 new entries); 0 already present, "
        "0 pending in PRs, 0 need attention."
    )


def test_unreadable_existing_value_and_unlocatable_entry_are_shown_honestly(plan):
    llama = plan.repo(LLAMA)
    bad = attrs.evolve(
        llama,
        files=tuple(
            attrs.evolve(f, content=f.content.replace("41.2", "41.3"))
            if f.path.endswith("gpqa.yaml")
            else f
            for f in llama.files
        ),
    )
    twisted = attrs.evolve(plan, repos=tuple(bad if r is llama else r for r in plan.repos))
    text = render_text(twisted)
    gpqa = text[text.index(".eval_results/gpqa.yaml") : text.index(".eval_results/mmlu_pro")]
    # Our entry can still be located (key match), so the change is marked; values shown as is.
    assert "+   value: 41.3" in gpqa


def test_text_from_the_plan_is_never_read_as_markup():
    entry = desired("acme/model-a", "mmlu_pro", 41.2)
    odd = plan_of(
        [
            repo_plan(
                "acme/model-a",
                [planned(Status.AUDIT_ERROR, entry, reason="[bold]line 3[/]: [not a list]")],
            )
        ],
        [skipped("unknown_task", 4, "task [mmlu_redux] is not in the registry")],
    )
    text = render_text(odd, statuses={Status.AUDIT_ERROR, Status.SKIPPED})
    assert "[bold]line 3[/]: [not a list]" in text
    assert "task [mmlu_redux] is not in the registry" in text


def test_skip_messages_only_when_skipped_is_asked_for():
    plan = plan_of(
        [], [skipped("sha256_mismatch", 4, "index line 4: sha256 is abc, index says def")]
    )
    assert "sha256 is abc" not in render_text(plan)
    assert "sha256 is abc" in render_text(plan, statuses={Status.SKIPPED})
