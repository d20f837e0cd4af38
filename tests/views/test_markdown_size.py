"""`--max-bytes`: the markdown view fits a PR description's size limit.

Tables stay whole, per-file contents go (largest first) with a count and a pointer to the full
plan; below the tables' size a minimal body; below that, a clear error.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eeesync.errors import MarkdownTooLargeError
from eeesync.plan.model import Plan, Status
from eeesync.views import ViewOptions, render_markdown
from tests.plan_factory import (
    desired,
    make_plan,
    plan_of,
    planned,
    ready_file,
    repo_plan,
    score_conflict_repos,
)

PLAN_REF = "plans/big.plan.json"
URL = "https://github.com/evaleval/eee-sync/blob/eeesync/plan/plans/big.plan.json"


def size(text: str) -> int:
    return len(text.encode("utf-8"))


def ready_plan(files_per_repo: list[int], notes: str = "", conflicts: int = 0) -> Plan:
    """One repo per item, each writing that many files (one new entry each)."""
    repos = []
    for r, count in enumerate(files_per_repo):
        repo_id = f"org/model-{r:03d}"
        ours = [
            desired(repo_id, f"bench{f}", 40.0 + f, line=100 * r + f, notes=notes or None)
            for f in range(count)
        ]
        repos.append(
            repo_plan(
                repo_id,
                [planned(Status.READY, d) for d in ours],
                files=[ready_file(d.file_path, [d]) for d in ours],
            )
        )
    return plan_of([*repos, *score_conflict_repos(conflicts)])


def options(limit: int | None) -> ViewOptions:
    return ViewOptions(plan_ref=PLAN_REF, plan_url=URL, max_bytes=limit)


def table_lines(md: str) -> list[str]:
    return [line for line in md.splitlines() if line.startswith("|")]


def shown_files(md: str) -> int:
    return len(re.findall(r"^```+diff$", md, flags=re.M))


def test_no_limit_is_the_unlimited_view_and_a_large_limit_changes_nothing() -> None:
    plan = make_plan()
    full = render_markdown(plan, options(None))
    assert render_markdown(plan, options(size(full))) == full
    assert render_markdown(plan, options(10 * size(full))) == full


def test_one_byte_less_drops_the_largest_file_and_says_so() -> None:
    plan = ready_plan([1, 3, 1], notes="long notes " * 20)
    full = render_markdown(plan, options(None))
    md = render_markdown(plan, options(size(full) - 1))
    assert size(md) <= size(full) - 1
    assert table_lines(md) == table_lines(full)  # every table whole
    assert shown_files(md) == 4
    assert "_… 1 more file not shown; full plan: [plans/big.plan.json](<" + URL + ">)_" in md
    assert "File contents (4 of 5 files;" in md
    assert md.splitlines()[:3] == full.splitlines()[:3]  # title and summary line
    # Equal sizes: the last one goes first (the lists read from the top).
    last = "org/model-002"
    assert f"**{last}**" not in md and "**org/model-000**" in md


def test_without_a_url_the_note_names_the_plan_path() -> None:
    plan = ready_plan([2, 2])
    full = render_markdown(plan, options(None))
    md = render_markdown(plan, ViewOptions(plan_ref=PLAN_REF, max_bytes=size(full) - 200))
    assert re.search(r"_… \d+ more files? not shown; full plan: `plans/big.plan.json`_", md)


def smallest_limit_with_the_tables(plan: Plan) -> int:
    """Bisect the limit: below it the tables no longer fit (the output is monotone in it)."""
    low, high = 1, size(render_markdown(plan, options(None)))
    while low < high:
        mid = (low + high) // 2
        try:
            tables = "Score conflicts" in render_markdown(plan, options(mid))
        except MarkdownTooLargeError:
            tables = False
        low, high = (low, mid) if tables else (mid + 1, high)
    return low


def test_below_the_tables_a_minimal_body_and_below_that_an_error() -> None:
    plan = ready_plan([1, 1], conflicts=20)
    full = render_markdown(plan, options(None))
    tables_only = smallest_limit_with_the_tables(plan)
    at_limit = render_markdown(plan, options(tables_only))
    assert shown_files(at_limit) == 0 and table_lines(at_limit) == table_lines(full)
    assert "_… 2 more files not shown; full plan:" in at_limit
    minimal = render_markdown(plan, options(tables_only - 1))
    assert size(minimal) <= tables_only - 1
    assert "Score conflicts" not in minimal and "## Summary" in minimal
    assert minimal.splitlines()[:3] == full.splitlines()[:3]
    assert f"do not fit in {tables_only - 1} bytes; full plan: [plans/big.plan.json]" in minimal
    with pytest.raises(MarkdownTooLargeError, match=r"needs at least \d+ bytes, more than"):
        render_markdown(plan, options(200))


@pytest.mark.parametrize("limit", [1, 9, 99, 100])
def test_the_size_an_error_asks_for_is_enough(limit: int) -> None:
    """The number "needs at least N bytes" gives works, even when N has more digits than the
    limit that failed (the minimal body names the limit it fits in)."""
    plan = ready_plan([1, 1], conflicts=20)
    with pytest.raises(MarkdownTooLargeError) as exc:
        render_markdown(plan, options(limit))
    needed = int(re.search(r"needs at least (\d+) bytes", str(exc.value)).group(1))  # type: ignore[union-attr]
    assert size(render_markdown(plan, options(needed))) <= needed
    with pytest.raises(MarkdownTooLargeError):
        render_markdown(plan, options(needed - 1))


@settings(max_examples=60, deadline=None)
@given(
    files=st.lists(st.integers(min_value=0, max_value=4), min_size=0, max_size=6),
    notes=st.text(alphabet="aé€😀|`<>*_ ", max_size=30),
    conflicts=st.integers(min_value=0, max_value=3),
    fraction=st.floats(min_value=0.0, max_value=1.2),
)
def test_output_never_exceeds_the_limit(
    files: list[int], notes: str, conflicts: int, fraction: float
) -> None:
    plan = ready_plan(files, notes=notes.strip(), conflicts=conflicts)
    full = render_markdown(plan, options(None))
    limit = max(1, int(size(full) * fraction))
    try:
        md = render_markdown(plan, options(limit))
    except MarkdownTooLargeError as exc:
        needed = int(re.search(r"needs at least (\d+) bytes", str(exc)).group(1))  # type: ignore[union-attr]
        assert needed > limit
        return
    assert size(md) <= limit
    assert md.endswith("\n") and not md.endswith("\n\n")
    if "## Needs attention" in md or "## Pull requests" in md:  # not the minimal body
        assert table_lines(md) == table_lines(full)
        dropped = shown_files(full) - shown_files(md)
        if dropped:
            noun = "file" if dropped == 1 else "files"
            assert f"_… {dropped} more {noun} not shown;" in md
        else:
            assert md == full
