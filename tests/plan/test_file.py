"""plan/file.py: round trip, byte-identical re-write, tampering and unknown versions refused."""

from __future__ import annotations

import json
import typing
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eeesync.errors import PlanFileError
from eeesync.plan import model as model_module
from eeesync.plan.file import (
    compute_digest,
    default_plan_name,
    parse_plan,
    read_plan,
    seal,
    serialize_plan,
    write_plan,
)
from eeesync.plan.model import FORMAT_VERSION, Plan
from tests.plan_factory import make_empty_plan, make_plan


def test_round_trip_gives_an_equal_plan_and_identical_bytes(tmp_path: Path) -> None:
    plan = make_plan()
    path = write_plan(plan, tmp_path / "plans" / "p.plan.json")
    again = read_plan(path)
    assert again == plan
    first = path.read_bytes()
    write_plan(again, path)
    assert path.read_bytes() == first
    text = first.decode()
    assert text.endswith("}\n") and text.startswith('{\n  "counts"')  # sorted, 2-space indent
    assert not list(path.parent.glob(".*.tmp"))  # the atomic write leaves no temp file


def test_every_status_survives_the_round_trip() -> None:
    plan = make_plan()
    statuses = {e.status for r in plan.repos for e in r.entries}
    assert len(statuses) >= 7
    assert parse_plan(serialize_plan(plan)) == plan
    assert parse_plan(serialize_plan(make_empty_plan())) == make_empty_plan()


def test_the_digest_ignores_only_created_at() -> None:
    plan = make_plan()
    assert compute_digest(attrs.evolve(plan, created_at="2000-01-01T00:00:00Z")) == plan.digest
    assert seal(plan) == plan


def _edited(plan: Plan, change: str) -> str:
    data = json.loads(serialize_plan(plan))
    if change == "value":
        data["repos"][0]["entries"][0]["desired"]["entry"]["value"] += 1
    elif change == "content":
        repo = next(r for r in data["repos"] if r["files"])
        repo["files"][0]["content"] += "- injected\n"
    elif change == "digest":
        data["digest"] = "sha256:" + "0" * 64
    elif change == "drop_digest":
        del data["digest"]
    return json.dumps(data)


@pytest.mark.parametrize("change", ["value", "content", "digest", "drop_digest"])
def test_a_tampered_plan_is_refused(change: str) -> None:
    with pytest.raises(PlanFileError, match="digest mismatch"):
        parse_plan(_edited(make_plan(), change), source="p.json")


def test_a_changed_created_at_is_still_valid() -> None:
    data = json.loads(serialize_plan(make_plan()))
    data["created_at"] = "1999-12-31T23:59:59Z"
    assert parse_plan(json.dumps(data)).created_at == "1999-12-31T23:59:59Z"


@pytest.mark.parametrize("version", ["2.0", "0.9", "1", "", "one"])
def test_an_unknown_major_format_version_is_refused(version: str) -> None:
    data = json.loads(serialize_plan(make_plan()))
    data["format_version"] = version
    with pytest.raises(PlanFileError, match="format_version"):
        parse_plan(json.dumps(data))


def test_unknown_keys_are_refused_in_our_version_but_read_in_a_newer_minor() -> None:
    data = json.loads(serialize_plan(make_plan()))
    data["surprise"] = 1
    with pytest.raises(PlanFileError, match="not a valid eeesync plan"):
        parse_plan(json.dumps(data))
    data["format_version"] = "1.9"
    # A newer minor may add keys; the digest still has to match what the writer sealed.
    with pytest.raises(PlanFileError, match="digest mismatch"):
        parse_plan(json.dumps(data))


def test_unreadable_files_name_the_path(tmp_path: Path) -> None:
    with pytest.raises(PlanFileError, match="does not exist"):
        read_plan(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{oops")
    with pytest.raises(PlanFileError, match=r"bad\.json: not valid JSON \(line 1\)"):
        read_plan(bad)
    bad.write_text("[]")
    with pytest.raises(PlanFileError, match="one JSON object"):
        read_plan(bad)


def test_default_plan_names() -> None:
    sha = "0f3c9a7e5b1d2c4e6f8a0b1c2d3e4f5a6b7c8d9e"
    assert default_plan_name(("mmlu_pro",), sha) == "mmlu_pro-0f3c9a7.plan.json"
    assert default_plan_name(("a", "b"), sha) == "a+b-0f3c9a7.plan.json"
    assert default_plan_name(("a",), sha, all_collections=True) == "all-0f3c9a7.plan.json"
    assert default_plan_name(("a", "b", "c"), sha) == "a+2more-0f3c9a7.plan.json"
    assert default_plan_name(("a",), "folder-9c162814fe94") == "a-9c16281.plan.json"
    assert "/" not in default_plan_name(("../../etc",), sha)


@pytest.mark.slow
@settings(max_examples=50, deadline=None)
@given(st.text(max_size=40), st.text(max_size=40))
def test_any_edit_to_a_reason_changes_the_digest(old: str, new: str) -> None:
    plan = make_plan()
    repo = plan.repos[0]
    entry = attrs.evolve(repo.entries[0], reason=old)
    changed = attrs.evolve(plan, repos=(attrs.evolve(repo, entries=(entry,)), *plan.repos[1:]))
    other = attrs.evolve(
        changed,
        repos=(attrs.evolve(repo, entries=(attrs.evolve(entry, reason=new),)), *plan.repos[1:]),
    )
    assert (compute_digest(changed) == compute_digest(other)) == (old == new)


# --- Round trip over generated plans ---------------------------------------------------------

_finite = st.floats(allow_nan=False, allow_infinity=False)


def _finite_floats(cls: type) -> dict[str, st.SearchStrategy[object]]:
    """A strategy for each float-holding field of `cls`: finite floats only."""
    strategies: dict[str, st.SearchStrategy[object]] = {}
    for name, hint in typing.get_type_hints(cls).items():
        if hint is float:
            strategies[name] = _finite
        elif hint == float | None:
            strategies[name] = st.none() | _finite
        elif hint == tuple[float, ...]:
            strategies[name] = st.lists(_finite, max_size=3).map(tuple)
    return strategies


# Every float in a plan is finite (JSON has no NaN): the model classes holding floats are built
# with finite floats wherever hypothesis builds them from their types.
for _cls in (
    model_module.EvalEntry,
    model_module.DesiredEntry,
    model_module.Existing,
    model_module.PlannedEntry,
):
    assert _finite_floats(_cls), _cls
    st.register_type_strategy(_cls, st.builds(_cls, **_finite_floats(_cls)))

#: Any plan the model can hold, sealed (counts and digest computed); `added_span` (1.1) is
#: generated from its type like every other field.
PLANS = st.builds(Plan, format_version=st.just(FORMAT_VERSION)).map(seal)


def _as_1_0(plan: Plan) -> Plan:
    """The plan as format 1.0 wrote it: no `added_span` (1.0 did not record one)."""
    repos = tuple(
        attrs.evolve(r, files=tuple(attrs.evolve(f, added_span=None) for f in r.files))
        for r in plan.repos
    )
    return seal(attrs.evolve(plan, format_version="1.0", repos=repos))


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(PLANS, PLANS.map(_as_1_0)))
def test_any_plan_round_trips_to_an_equal_plan_and_identical_bytes(plan: Plan) -> None:
    text = serialize_plan(plan)
    again = parse_plan(text)
    assert again == plan
    assert serialize_plan(again) == text
    if plan.format_version == "1.0":
        assert '"added_span"' not in text  # a 1.0 file, as 1.0 wrote it
