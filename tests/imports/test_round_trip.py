"""Imported records read back by `eeesync plan`: every score is where it came from, none ready.

The records go into a flat datastore folder here (the layout the plan reads today); each is
mapped by the same rules as any EEE record, so this checks that what `import` writes says
model, benchmark, task, setup (notes) and value the way the mapping reads them.
"""

from __future__ import annotations

from pathlib import Path

from eeesync.hub.client import connect_hub
from eeesync.imports.build import ImportRequest, build_import_plan
from eeesync.localhub import LocalHub
from eeesync.plan.model import Status
from eeesync.setups import STATED_NOTES_KEY, stated_notes
from tests.helpers import plan_folder_datastore, write_datastore
from tests.imports import scenario


def test_imported_records_plan_as_already_present_or_pending(
    localhub: LocalHub, tmp_path: Path
) -> None:
    scenario.seed(localhub, tmp_path)
    hub = connect_hub(localhub.url, token="t", max_eval_file_bytes=scenario.FILE_CAP)
    config = scenario.config(localhub, tmp_path)
    imported = build_import_plan(config, ImportRequest(include_prs=True), hub=hub).plan
    write_datastore(tmp_path / "ds", {"c": [r.content.encode() for r in imported.records]})
    plan = plan_folder_datastore(tmp_path, localhub)
    statuses = {(r.repo_id, e.desired.entry.notes): e.status for r in plan.repos for e in r.entries}
    assert statuses == {
        ("acme/fresh", None): Status.ALREADY_PRESENT,
        ("acme/verified", None): Status.ALREADY_PRESENT,
        ("acme/mixed", "0-shot"): Status.ALREADY_PRESENT,  # the notes read back as written
        ("other/sourced", None): Status.ALREADY_PRESENT,
        ("acme/community", None): Status.PENDING_PR,
    }
    assert plan.skipped == ()


def test_stated_notes_are_taken_as_written() -> None:
    def result(details: object) -> dict[str, object]:
        return {"generation_config": {"additional_details": details}}

    assert stated_notes(result({STATED_NOTES_KEY: "With tools"})) == "With tools"
    assert stated_notes(result({STATED_NOTES_KEY: ""})) == ""  # the default setup, stated
    assert stated_notes(result({"prompt_style": "5-shot"})) is None
    assert stated_notes(result([STATED_NOTES_KEY])) is None
    assert stated_notes({"generation_config": None}) is None
