"""The JSON view prints the plan file's own text: one schema, not two."""

from __future__ import annotations

import io
import json

import pytest
from rich.console import Console

from eeesync.apply.outcome import Outcome
from eeesync.errors import PlanFileError
from eeesync.plan import file as plan_file
from eeesync.plan.model import Status
from eeesync.views import ViewOptions, render_json, render_plan, select_statuses
from tests.views.conftest import recording_console


def test_json_view_is_exactly_the_plan_file_text(plan, tmp_path):
    path = plan_file.write_plan(plan, tmp_path / "p.plan.json")
    assert render_json(plan) == path.read_text(encoding="utf-8")
    assert render_json(
        plan, ViewOptions(progress={"x": Outcome.OPENED})
    ) == plan_file.serialize_plan(plan)


def test_render_plan_json_is_byte_exact_even_on_a_narrow_console(plan):
    console = recording_console(width=30)
    render_plan(plan, console, "json")
    assert console.export_text() == plan_file.serialize_plan(plan)


def test_status_selection_keeps_the_schema_and_only_those_entries(plan):
    text = render_json(plan, ViewOptions(statuses=frozenset({Status.SCORE_CONFLICT})))
    data = json.loads(text)
    statuses = {e["status"] for r in data["repos"] for e in r["entries"]}
    assert statuses == {"score_conflict"}
    assert len(data["repos"]) == 2
    assert all(r["files"] == [] and r["action_id"] == "" for r in data["repos"])
    assert data["skipped"] == []
    assert data["counts"]["by_status"]["score_conflict"] == 2
    assert data["counts"]["prs_to_open"] == 0
    assert data["digest"] == plan.digest  # names the plan it was taken from
    # Same schema: the strict converter reads it; but it is a view, never a plan to apply.
    with pytest.raises(PlanFileError, match="digest mismatch"):
        plan_file.parse_plan(text)


def test_selecting_ready_keeps_the_files_and_action(plan):
    selected = select_statuses(plan, {Status.READY, Status.SKIPPED})
    assert [r.repo_id for r in selected.repos] == [r.repo_id for r in plan.repos if r.opens_pr]
    assert all(r.files and r.action_id for r in selected.repos)
    assert selected.skipped == plan.skipped
    assert selected.counts.get(Status.SKIPPED) == 5


def test_unknown_format_is_refused(plan):
    with pytest.raises(ValueError, match="unknown view format 'yaml'"):
        render_plan(plan, recording_console(), "yaml")  # type: ignore[arg-type]


def test_render_plan_json_writes_exact_text_to_a_plain_console(plan):
    console = Console(file=io.StringIO(), width=20)
    render_plan(plan, console, "json")
    assert console.file.getvalue() == plan_file.serialize_plan(plan)
