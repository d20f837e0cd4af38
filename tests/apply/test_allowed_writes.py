"""`apply/allowed_writes.py` on its own: what an honest plan produces always passes, and each
thing a plan may not hold is refused, whatever the values (hypothesis)."""

from __future__ import annotations

import hashlib

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from eeesync.apply.allowed_writes import (
    Allowed,
    allowed_for,
    held_items,
    kept_problem,
    plan_problem,
)
from eeesync.plan.diff import action_id
from eeesync.plan.merge import merge_file
from eeesync.plan.model import EvalEntry, FileChange, RepoPlan, Status
from eeesync.registry import load_registry
from tests import plan_factory as pf

TARGET = ".eval_results/mmlu_pro.yaml"
ALLOWED: Allowed = allowed_for(pf.plan_of([]), load_registry(), [pf.HUB])
EXISTING = st.sampled_from(
    [
        None,
        "",
        "# only a comment\n",
        "- dataset: {id: cais/hle, task_id: hle}\n  value: 9.1\n",
        "[{dataset: {id: cais/hle, task_id: hle}, value: 9.1}]\n",
        "  - dataset:\n      id: cais/hle\n      task_id: hle\n    value: 0.5  # note\n",
    ]
)
VALUES = st.floats(min_value=0, max_value=100, allow_nan=False)
#: Notes as the registry writes them: printable text (a control character such as NEL does not
#: survive a YAML round trip, and the registry never holds one).
NOTES = st.one_of(
    st.none(),
    st.text(
        alphabet=st.characters(whitelist_categories=("L", "N", "P", "Zs")), min_size=1, max_size=20
    ),
)


def _repo(existing: str | None, entries: list[EvalEntry]) -> RepoPlan:
    content = merge_file(existing, entries)
    change = FileChange(
        path=TARGET,
        content=content,
        sha256=hashlib.sha256(content.encode()).hexdigest(),
        base_blob_id=None if existing is None else "b" * 40,
        added=len(entries),
    )
    planned = []
    for i, entry in enumerate(entries):
        desired = pf.desired("acme/m", "mmlu_pro", entry.value, line=i + 1)
        planned.append(pf.planned(Status.READY, attrs.evolve(desired, entry=entry)))
    return RepoPlan(
        repo_id="acme/m",
        requested_ids=("acme/m",),
        entries=tuple(planned),
        files=(change,),
        action_id=action_id("acme/m", [change]),
    )


def _entry(value: float, notes: str | None, line: int = 1) -> EvalEntry:
    base = pf.desired("acme/m", "mmlu_pro", 50.0, line=line).entry
    return attrs.evolve(base, value=value, notes=notes)


@settings(max_examples=60, deadline=None)
@given(existing=EXISTING, values=st.lists(VALUES, min_size=1, max_size=3), notes=NOTES)
def test_what_merge_makes_of_main_plus_valid_entries_always_passes(
    existing: str | None, values: list[float], notes: str | None
) -> None:
    entries = [_entry(v, notes, line=i + 1) for i, v in enumerate(values)]
    repo = _repo(existing, entries)
    assert plan_problem(repo, ALLOWED) is None
    assert kept_problem(repo.files[0], existing) is None
    assert held_items(repo.files[0], repo.files[0].content.encode())


@settings(max_examples=60, deadline=None)
@given(
    existing=EXISTING,
    value=st.one_of(
        st.floats(max_value=-1e-9, allow_nan=False, allow_infinity=False),
        st.floats(min_value=100.000001, allow_nan=False, allow_infinity=False),
    ),
)
def test_a_value_outside_0_100_is_always_refused(existing: str | None, value: float) -> None:
    repo = _repo(existing, [_entry(value, None)])
    problem = plan_problem(repo, ALLOWED)
    assert problem is not None and "is outside 0–100" in problem


@settings(max_examples=80, deadline=None)
@given(
    path=st.one_of(
        st.text(min_size=1, max_size=40),
        st.builds(lambda s: f".eval_results/{s}/x.yaml", st.text(min_size=1, max_size=10)),
        st.builds(lambda s: f".eval_results/..{s}.yaml", st.text(max_size=5)),
        st.sampled_from(["config.json", "README.md", ".eval_results/.hidden.yaml", "x.yaml"]),
    )
)
def test_any_path_but_eval_results_name_yaml_is_refused(path: str) -> None:
    repo = _repo(None, [_entry(40.0, None)])
    moved = attrs.evolve(repo.files[0], path=path)
    entries = tuple(
        attrs.evolve(e, desired=attrs.evolve(e.desired, file_path=path)) for e in repo.entries
    )
    repo = attrs.evolve(repo, files=(moved,), entries=entries)
    problem = plan_problem(repo, ALLOWED)
    assert problem is not None and "not a file a plan may write" in problem


@settings(max_examples=40, deadline=None)
@given(existing=EXISTING.filter(lambda e: e), tail=st.text(min_size=1, max_size=20))
def test_any_change_to_the_kept_part_is_refused(existing: str, tail: str) -> None:
    repo = _repo(existing, [_entry(40.0, None)])
    changed = existing + "# " + tail.replace("\n", " ") + "\n"
    assert kept_problem(repo.files[0], changed) is not None


def test_a_file_holding_only_other_entries_does_not_hold_ours() -> None:
    repo = _repo(None, [_entry(40.0, None)])
    other = merge_file(None, [_entry(41.0, None)]).encode()
    assert not held_items(repo.files[0], other)
    assert not held_items(repo.files[0], b"- [unclosed\n")
    bigger = merge_file(repo.files[0].content, [_entry(12.0, "With tools", line=9)]).encode()
    assert held_items(repo.files[0], bigger)
