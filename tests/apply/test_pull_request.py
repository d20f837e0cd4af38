"""The PR description and its machine marker: what a rerun finds an earlier PR by."""

from __future__ import annotations

import attrs
from hypothesis import given
from hypothesis import strategies as st

from eeesync.apply import Marker, content_hash, parse_markers, pr_description
from eeesync.plan.model import Status
from tests import plan_factory as pf


@given(
    action=st.text(min_size=1, max_size=40),
    plan_digest=st.from_regex(r"sha256:[0-9a-f]{64}", fullmatch=True),
    content=st.from_regex(r"[0-9a-f]{64}", fullmatch=True),
    before=st.text(max_size=50),
    after=st.text(max_size=50),
)
def test_markers_round_trip_inside_any_description(
    action: str, plan_digest: str, content: str, before: str, after: str
) -> None:
    marker = Marker(plan_digest, action, content)
    text = f"{before}\n{marker.render()}\n{after}"
    assert marker in parse_markers(text)
    assert "\n" not in marker.render()


def test_the_description_ends_with_the_marker_of_its_action_and_content() -> None:
    plan = pf.make_plan()
    repo = next(r for r in plan.repos if r.opens_pr)
    body = pr_description(plan, repo)
    assert parse_markers(body) == [Marker(plan.digest, repo.action_id, content_hash(repo))]
    assert body.rstrip().endswith("-->")
    assert f"from plan `{plan.digest}`" in body


def test_content_hash_ignores_file_order_but_not_content() -> None:
    repo = pf.make_plan().repo(pf.LLAMA)  # the one repo that writes two files
    assert repo is not None and len(repo.files) == 2
    reordered = attrs.evolve(repo, files=tuple(reversed(repo.files)))
    assert content_hash(reordered) == content_hash(repo)
    edited = attrs.evolve(repo.files[0], content=repo.files[0].content + "\n")
    assert content_hash(attrs.evolve(repo, files=(edited, repo.files[1]))) != content_hash(repo)


def test_an_aliased_entry_names_the_id_it_is_recorded_under() -> None:
    plan = pf.make_plan()
    repo = next(r for r in plan.repos if r.opens_pr)
    ready = [e for e in repo.entries if e.status is Status.READY]
    assert ready
    plain = pr_description(plan, repo)
    assert "recorded in EEE as" not in plain and "reviewed alias" not in plain

    first = ready[0]
    aliased = attrs.evolve(first, desired=attrs.evolve(first.desired, recorded_as="meta/x-|-1"))
    entries = tuple(aliased if e is first else e for e in repo.entries)
    body = pr_description(plan, attrs.evolve(repo, entries=entries))
    rows = [line for line in body.splitlines() if line.startswith("|")]
    (row,) = [line for line in rows if "recorded in EEE as" in line]
    assert row.startswith(f"| `{first.desired.file_path}` |")
    assert row.endswith(" · recorded in EEE as meta/x-\\|-1 |")  # escaped: one table cell
    assert "published on this repo by a reviewed alias" in body
