"""What a rerun already imported: found in our open import PR by the datastore's
submission-layout reader, reading only the records of the models the run is about, once."""

from __future__ import annotations

from pathlib import Path

import pytest

from eeesync.apply.outcome import Outcome
from eeesync.datastore import submission
from eeesync.hub.client import Hub, connect_hub
from eeesync.imports import submit
from eeesync.imports.build import ImportRequest, ImportResult, build_import_plan
from eeesync.localhub import LocalHub
from eeesync.plan.import_file import write_import_plan
from eeesync.plan.import_model import ImportStatus
from tests.imports import scenario


def _import(localhub: LocalHub, tmp_path: Path, hub: Hub, model: str = "") -> ImportResult:
    config = scenario.config(localhub, tmp_path)
    return build_import_plan(config, ImportRequest(model_filter=model), hub=hub)


@pytest.fixture
def hub_with_our_pr(localhub: LocalHub, tmp_path: Path) -> Hub:
    """The scenario with its 4 records in our open import PR on the datastore."""
    scenario.seed(localhub, tmp_path)
    hub = connect_hub(localhub.url, token="t", max_eval_file_bytes=scenario.FILE_CAP)
    plan = _import(localhub, tmp_path, hub).plan
    path = tmp_path / "import.plan.json"
    write_import_plan(plan, path)
    assert submit.submit(hub, plan, path, message="Import").state is Outcome.OPENED
    return hub


def test_only_the_records_of_the_runs_models_are_read(
    hub_with_our_pr: Hub, localhub: LocalHub, tmp_path: Path
) -> None:
    def reads(model: str) -> tuple[ImportResult, int]:
        localhub.reset_counters()
        result = _import(localhub, tmp_path, hub_with_our_pr, model=model)
        return result, localhub.counters().get("resolve_get", 0)

    _, baseline = reads("nobody/*")  # what any run reads
    result, count = reads("other/*")
    assert result.stats.known_fingerprints == 1  # other/sourced's record, not the 3 of acme/
    # two more reads: other/sourced's eval file (GPQA has several tasks) and its one record
    assert count == baseline + 2
    _, again = reads("other/*")
    assert again == baseline + 1  # the record is kept by its git blob id: only the eval file
    assert result.plan.records == ()
    assert result.plan.counts.get(ImportStatus.ALREADY_IN_EEE) == 1


def test_a_record_over_the_readers_bound_holds_no_fingerprint(
    hub_with_our_pr: Hub, localhub: LocalHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(submission, "MAX_RECORD_BYTES", 100)  # every record of ours is larger
    result = _import(localhub, tmp_path, hub_with_our_pr)
    assert result.stats.known_fingerprints == 0
    assert len(result.plan.records) == 4
