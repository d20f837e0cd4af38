"""The shared view helpers: the CI summary line, grouping, and marking our entries in a file."""

from __future__ import annotations

import itertools

import attrs
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from eeesync.plan.merge import merge
from eeesync.plan.model import EvalEntry, FileChange, Status
from eeesync.views.common import (
    DEFAULT_STATUSES,
    FileBlock,
    Mark,
    ViewOptions,
    existing_value,
    file_blocks,
    skip_groups,
    summary_line,
)
from eeesync.views.formatting import format_value
from tests.plan_factory import (
    desired,
    entries_yaml,
    make_empty_plan,
    on_main,
    plan_of,
    planned,
    ready_file,
    repo_plan,
    skipped,
)

# --- The summary line is a CI contract: these strings are pinned on purpose ----------------------


def test_summary_line_of_the_every_status_plan(plan):
    assert summary_line(plan) == (
        "Plan: 2 pull requests to open (3 files, 3 new entries); 2 already present, "
        "1 pending in PRs, 13 need attention."
    )


def test_summary_line_singular_forms():
    entry = desired("acme/model-a", "mmlu_pro", 41.2)
    one = plan_of(
        [
            repo_plan(
                "acme/model-a",
                [planned(Status.READY, entry)],
                files=[ready_file(entry.file_path, [entry])],
            )
        ],
        [skipped("api_only_model", 3)],
    )
    assert summary_line(one) == (
        "Plan: 1 pull request to open (1 file, 1 new entry); 0 already present, "
        "0 pending in PRs, 1 needs attention."
    )


def test_summary_line_of_an_empty_plan():
    assert summary_line(make_empty_plan()) == (
        "Plan: 0 pull requests to open (0 files, 0 new entries); 0 already present, "
        "0 pending in PRs, 0 need attention."
    )


# --- Small formatters ----------------------------------------------------------------------------


def test_format_value_drops_float_noise_and_trailing_zeros():
    assert format_value(41.2) == "41.2"
    assert format_value(0.1 + 0.2) == "0.3"
    assert format_value(45.0) == "45"
    assert format_value(None) == "?"
    assert format_value(float("nan")) == "?"


def test_existing_value_shows_the_raw_text_when_the_scale_differs():
    assert existing_value(on_main("a/b", ".eval_results/x.yaml", 39.8, "0.398")) == "39.8 (0.398)"
    assert existing_value(on_main("a/b", ".eval_results/x.yaml", 39.8, "39.8")) == "39.8"


def test_view_options_default_selection_and_caps():
    default = ViewOptions()
    assert Status.ALREADY_PRESENT not in DEFAULT_STATUSES
    assert not default.shows(Status.ALREADY_PRESENT)
    assert default.shows(Status.SCORE_CONFLICT)
    assert default.limit_for(Status.SCORE_CONFLICT) == 25
    chosen = ViewOptions(statuses=frozenset({Status.ALREADY_PRESENT}))
    assert chosen.shows(Status.ALREADY_PRESENT)
    assert not chosen.shows(Status.READY)
    assert chosen.limit_for(Status.ALREADY_PRESENT) is None  # asked for it: never capped


def test_skip_groups_count_reasons_most_frequent_first(plan):
    groups = skip_groups(plan)
    assert [(g.reason, g.count) for g in groups] == [
        ("api_only_model", 3),
        ("sha256_mismatch", 1),
        ("unknown_task", 1),
    ]
    assert groups[0].examples == ("mmlu_pro:81 openai/gpt-4o", "mmlu_pro:82", "mmlu_pro:83")
    assert groups[0].message == "openai/gpt-4o is served by API only"


def test_skip_groups_cap_examples_but_not_counts():
    many = plan_of([], [skipped("unknown_task", line) for line in range(1, 11)])
    (group,) = skip_groups(many)
    assert group.count == 10
    assert group.examples == ("mmlu_pro:1", "mmlu_pro:2", "mmlu_pro:3")


# --- Marking our entries in a planned file (from the span merge recorded, no YAML read) ---------


def _existing(i: int) -> EvalEntry:
    return EvalEntry(f"org/bench-{i}", f"task_{i}", float(i), notes=None if i % 2 else f"n{i}")


def _change(existing: str | None, ours: list[EvalEntry]) -> FileChange:
    merged = merge(existing, ours)
    return FileChange(
        path=".eval_results/x.yaml",
        content=merged.content,
        sha256="0" * 64,
        base_blob_id=None if existing is None else "b" * 40,
        added=len(ours),
        added_span=merged.added_span,
    )


def _lines(blocks: list[FileBlock], mark: Mark) -> list[str]:
    return [line for b in blocks if b.mark is mark for line in b.lines]


EXISTING_STYLES = {
    "plain": "- dataset:\n    id: org/a\n    task_id: a\n  value: 1.5\n",
    "indented": "  - dataset:\n      id: org/a\n      task_id: a\n    value: 1.5\n",
    "dash alone": "-\n  dataset:\n    id: org/a\n    task_id: a\n  value: 1.5\n",
    "commented": "# scores from our lab\n- dataset: {id: org/a, task_id: a}\n  value: 1.5\n",
    "no final newline": "- dataset: {id: org/a, task_id: a}\n  value: 1.5",
    "comment only": "# nothing yet",
    "two entries": (
        "- dataset: {id: org/a, task_id: a}\n  value: 1.5\n"
        "- dataset: {id: org/b, task_id: b}\n  value: 2.5\n  notes: x\n"
    ),
}


@pytest.mark.parametrize("style", sorted(EXISTING_STYLES))
def test_file_blocks_mark_exactly_the_lines_merge_appended(style):
    existing = EXISTING_STYLES[style]
    ours = [_existing(7), _existing(8)]
    change = _change(existing, ours)
    blocks = file_blocks(change)
    # The blocks are the file, in order; main's lines come first and are never claimed.
    assert [line for b in blocks for line in b.lines] == change.content.splitlines()
    assert [b.mark for b in blocks] == [Mark.KEPT, Mark.ADDED]
    assert _lines(blocks, Mark.KEPT) == existing.splitlines()
    start, end = change.added_span
    inserted = change.content.encode()[start:end].decode()
    assert _lines(blocks, Mark.ADDED) == inserted.removeprefix("\n").splitlines()
    assert yaml.safe_load("\n".join(_lines(blocks, Mark.ADDED))) == yaml.safe_load(
        merge(None, ours).content
    )


def test_file_blocks_of_a_flow_list_show_the_line_before_and_after():
    existing = "[{dataset: {id: org/a, task_id: a}, value: 1.5}]  # theirs\n"
    blocks = file_blocks(_change(existing, [_existing(7)]))
    assert [b.mark for b in blocks] == [Mark.BEFORE, Mark.ADDED]
    assert _lines(blocks, Mark.BEFORE) == [existing.rstrip("\n")]
    (after,) = _lines(blocks, Mark.ADDED)
    assert after.endswith("]  # theirs") and "org/bench-7" in after


def test_file_blocks_of_a_multiline_flow_list_keep_the_untouched_lines():
    existing = "# theirs\n[\n  {dataset: {id: org/a, task_id: a}, value: 1.5}\n]\n"
    blocks = file_blocks(_change(existing, [_existing(7)]))
    assert [b.mark for b in blocks] == [Mark.KEPT, Mark.BEFORE, Mark.ADDED, Mark.KEPT]
    assert _lines(blocks, Mark.KEPT) == ["# theirs", "[", "]"]
    assert _lines(blocks, Mark.BEFORE) == ["  {dataset: {id: org/a, task_id: a}, value: 1.5}"]


def test_file_blocks_of_a_new_file_are_all_added():
    change = _change(None, [_existing(1)])
    (block,) = file_blocks(change)
    assert block.mark is Mark.ADDED
    assert block.lines == tuple(change.content.splitlines())


@pytest.mark.parametrize("span", [None, (5, 1), (0, 10**6), (-1, 3)])
def test_without_a_usable_span_an_existing_file_is_shown_whole_and_unmarked(span):
    change = attrs.evolve(_change(EXISTING_STYLES["plain"], [_existing(7)]), added_span=span)
    (block,) = file_blocks(change)
    assert block.mark is Mark.UNMARKED  # never claimed as ours, and no YAML is read to guess
    assert block.lines == tuple(change.content.splitlines())


def test_file_blocks_read_no_yaml():
    """One identity rule (the plan's): the span decides, even where the YAML would not agree."""
    content = "- ours: 1\n- theirs: 2\n"
    change = FileChange(".eval_results/x.yaml", content, "0" * 64, "b" * 40, 1, (0, 10))
    assert [(b.mark, b.lines) for b in file_blocks(change)] == [
        (Mark.ADDED, ("- ours: 1",)),
        (Mark.KEPT, ("- theirs: 2",)),
    ]


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(
    kept=st.integers(min_value=0, max_value=6),
    ours=st.lists(st.integers(min_value=100, max_value=120), min_size=1, max_size=4, unique=True),
    indent=st.integers(0, 3),
)
def test_file_blocks_mark_exactly_our_entries_for_any_block_file(kept, ours, indent):
    text = entries_yaml([_existing(i) for i in range(kept)])
    existing = "".join(" " * indent + line for line in text.splitlines(True)) if kept else ""
    change = _change(existing, [_existing(i) for i in ours])
    blocks = file_blocks(change)
    added = yaml.safe_load("\n".join(_lines(blocks, Mark.ADDED)))
    assert [e["value"] for e in added] == [float(i) for i in ours]
    assert "\n".join(_lines(blocks, Mark.KEPT)) == existing.rstrip("\n")
    assert not _lines(blocks, Mark.BEFORE)
    # Neighbouring lines of one kind are one block.
    assert all(a.mark is not b.mark for a, b in itertools.pairwise(blocks))
