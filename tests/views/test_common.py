"""The shared view helpers: the CI summary line, grouping, and marking our entries in a file."""

from __future__ import annotations

import itertools

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from eeesync.plan.merge import merge_file
from eeesync.plan.model import EvalEntry, Status
from eeesync.views.common import (
    DEFAULT_STATUSES,
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


# --- Marking our entries in a planned file ------------------------------------------------------


def _existing(i: int) -> EvalEntry:
    return EvalEntry(f"org/bench-{i}", f"task_{i}", float(i), notes=None if i % 2 else f"n{i}")


def _added_lines(blocks) -> list[str]:
    return [line for b in blocks if b.added for line in b.lines]


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(
    kept=st.integers(min_value=0, max_value=6),
    ours=st.lists(st.integers(min_value=100, max_value=120), min_size=1, max_size=4, unique=True),
    data=st.data(),
)
def test_file_blocks_mark_exactly_our_entries_wherever_merge_put_them(kept, ours, data):
    mine = [desired("acme/m", f"bench{i}", float(i), line=i) for i in ours]
    entries = [_existing(i) for i in range(kept)]
    for d in mine:  # merge may put ours anywhere: try every position
        entries.insert(data.draw(st.integers(0, len(entries))), d.entry)
    content = entries_yaml(entries)
    blocks = file_blocks(content, [d.entry.key() for d in mine], new_file=False)

    added = yaml.safe_load("\n".join(_added_lines(blocks)))
    assert sorted(e["value"] for e in added) == sorted(float(i) for i in ours)
    assert sum(b.entries for b in blocks if not b.added) == kept
    assert all(b.collapsible for b in blocks)
    # Nothing is lost or reordered: the blocks are the file.
    assert [line for b in blocks for line in b.lines] == content.splitlines()
    # Neighbouring kept entries are merged into one block.
    assert not any(not a.added and not b.added for a, b in itertools.pairwise(blocks))


def test_file_blocks_of_a_new_file_are_all_added():
    entry = desired("acme/m", "mmlu_pro", 41.2)
    content = ready_file(entry.file_path, [entry]).content
    (block,) = file_blocks(content, [entry.entry.key()], new_file=True)
    assert block.added
    assert block.lines == tuple(content.splitlines())


def test_file_blocks_show_the_whole_file_when_our_entry_cannot_be_found():
    content = entries_yaml([_existing(1), _existing(2)])
    (block,) = file_blocks(content, [("nowhere/x", "t", "")], new_file=False)
    assert not block.added
    assert not block.collapsible  # shown whole, never claimed as ours
    assert block.lines == tuple(content.splitlines())


def test_file_blocks_keep_a_leading_comment_as_context():
    entry = desired("acme/m", "mmlu_pro", 41.2)
    content = "# written by hand\n" + entries_yaml([_existing(1), entry.entry])
    blocks = file_blocks(content, [entry.entry.key()], new_file=False)
    assert [b.added for b in blocks] == [False, True]
    assert blocks[0].lines[0] == "# written by hand"
    assert blocks[0].entries == 1


# --- Against the real merge step: whatever file style main has, ours are found ------------------

EXISTING_STYLES = {
    "plain": "- dataset:\n    id: org/a\n    task_id: a\n  value: 1.5\n",
    "indented": "  - dataset:\n      id: org/a\n      task_id: a\n    value: 1.5\n",
    "dash alone": "-\n  dataset:\n    id: org/a\n    task_id: a\n  value: 1.5\n",
    "commented": "# scores from our lab\n- dataset: {id: org/a, task_id: a}\n  value: 1.5\n",
    "two entries": (
        "- dataset: {id: org/a, task_id: a}\n  value: 1.5\n"
        "- dataset: {id: org/b, task_id: b}\n  value: 2.5\n  notes: x\n"
    ),
}


@pytest.mark.parametrize("style", sorted(EXISTING_STYLES))
def test_file_blocks_find_our_entries_in_what_merge_writes(style):
    mine = [desired("acme/m", "mmlu_pro", 41.2), desired("acme/m", "gpqa", 33.3, line=2)]
    existing = EXISTING_STYLES[style]
    content = merge_file(existing, [d.entry for d in mine])
    blocks = file_blocks(content, [d.entry.key() for d in mine], new_file=False)
    assert [line for b in blocks for line in b.lines] == content.splitlines()
    added = yaml.safe_load("\n".join(dedent_lines(_added_lines(blocks))))
    assert sorted(e["value"] for e in added) == [33.3, 41.2]
    kept = [b for b in blocks if not b.added]
    assert len(kept) == 1 and kept[0].collapsible
    assert kept[0].entries == yaml.safe_load(existing).__len__()


def dedent_lines(lines: list[str]) -> list[str]:
    indent = min(len(line) - len(line.lstrip()) for line in lines if line.strip())
    return [line[indent:] for line in lines]


def test_file_blocks_show_a_flow_style_file_whole():
    content = merge_file("[{dataset: {id: org/a, task_id: a}, value: 1.5}]\n", [_existing(7)])
    (block,) = file_blocks(content, [_existing(7).key()], new_file=False)
    assert not block.added and not block.collapsible
