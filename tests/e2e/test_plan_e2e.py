"""`eeesync plan` end to end: the real CLI and huggingface_hub client against the local Hub,
seeded with the ordinary client; every status, fault storms, a warm re-plan and --force."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
import yaml
from huggingface_hub import HfApi

from eeesync.cli.main import main
from eeesync.localhub import FaultConfig, LocalHub
from eeesync.plan.file import read_plan
from eeesync.plan.model import Status
from tests.helpers import (
    MIXED_MAIN,
    MMLU_FILE,
    SCENARIO,
    TWICE,
    scenario_records,
    seed_scenario_hub,
    write_datastore,
)

#: End-to-end: skipped by the inner loop (`pytest -m "not slow"`), run in CI.
pytestmark = pytest.mark.slow


def write_config(folder: Path, endpoint: str) -> None:
    (folder / "eeesync.toml").write_text(
        "[datastore]\n"
        'locator = "ds"\n'
        'collections = ["mmlu"]\n'
        "[hub]\n"
        f'endpoint = "{endpoint}"\n'
        "[sync]\n"
        "check_tasks = false\n",
        encoding="utf-8",
    )


@pytest.fixture
def project(tmp_path: Path, localhub: LocalHub, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder with eeesync.toml, the scenario datastore and a seeded local Hub."""
    write_datastore(tmp_path / "ds", {"mmlu": scenario_records()})
    seed_scenario_hub(HfApi(endpoint=localhub.url, token="seed-token"))
    write_config(tmp_path, localhub.url)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def plan(*args: str, env: dict[str, str] | None = None) -> int:
    return main(["plan", *args], env={"COLUMNS": "100", **(env or {})})


def content(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    data.pop("created_at")
    return data


def by_model(path: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for repo in read_plan(path).repos:
        for entry in repo.entries:
            found.setdefault(entry.desired.repo_id, []).append(entry.status.value)
    return found


def test_every_status(project: Path, localhub: LocalHub) -> None:
    assert plan("-o", "p.json") == 0
    result = read_plan(project / "p.json")
    statuses = by_model(project / "p.json")
    for model, (_, expected) in SCENARIO.items():
        if expected != "skipped":
            assert statuses[model] == [expected], model
    assert statuses[TWICE] == ["source_conflict"]
    skipped = {s.model_id: s.reason for s in result.skipped}
    assert skipped.get("openai/gpt-x") == "api_only_model"
    assert result.counts.get(Status.SKIPPED) == 1

    # The miscased id is planned under the canonical repo id.
    upper = result.repo("Acme/Upper-Case-Model")
    assert upper is not None and upper.repo_id == "Acme/Upper-Case-Model"
    assert upper.requested_ids == ("acme/upper-case-model",)

    # 0.412 on main in results.yaml equals 41.2, with a link to that file.
    scaled = result.repo("acme/scaled")
    assert scaled is not None
    (existing,) = scaled.entries[0].existing
    assert existing.path == ".eval_results/results.yaml" and existing.raw_value == "0.412"

    # The draft PR is named with its head sha in the preconditions.
    drafty = result.repo("acme/drafty")
    assert drafty is not None and drafty.preconditions is not None
    (pr,) = drafty.preconditions.open_prs
    refs = HfApi(endpoint=localhub.url).list_repo_refs("acme/drafty", include_pull_requests=True)
    assert pr.status == "draft" and pr.head_sha == refs.pull_requests[0].target_commit

    # Conflicts carry both values and a diff.
    conflict = result.repo("acme/conflicted")
    assert conflict is not None
    entry = conflict.entries[0]
    assert "60" in entry.reason and "55" in entry.reason and entry.diff

    # The malformed hle.yaml blocks nothing of MMLU-Pro; the file on main keeps its entry.
    mixed = result.repo("acme/mixed")
    assert mixed is not None and "hle.yaml" in mixed.audit_error
    (change,) = mixed.files
    assert change.path == MMLU_FILE and change.content.startswith(MIXED_MAIN.decode())
    items = yaml.safe_load(change.content)
    assert [i["value"] for i in items] == [70.0, 61.0]
    assert mixed.preconditions is not None
    assert mixed.preconditions.file_blobs[0].blob_id == change.base_blob_id is not None

    broken = result.repo("acme/broken")
    assert broken is not None and "mmlu_pro.yaml" in broken.entries[0].reason
    assert result.counts.prs_to_open == 3  # fresh, mixed, Upper-Case-Model


def test_storms_of_429_and_5xx_give_the_fault_free_plan(project: Path, localhub: LocalHub) -> None:
    assert plan("-o", "calm.json") == 0
    localhub.set_faults(FaultConfig(rate_429=0.2, rate_5xx=0.1, retry_after_s=0, seed=3))
    assert plan("-o", "storm.json", "--force") == 0
    counts = localhub.counters()
    assert counts.get("faults.429", 0) >= 3 and counts.get("faults.5xx", 0) >= 3
    assert content(project / "storm.json") == content(project / "calm.json")


def test_unchanged_replan_is_identical_and_far_cheaper(project: Path, localhub: LocalHub) -> None:
    localhub.reset_counters()
    assert plan("-o", "cold.json") == 0
    cold = localhub.counters()
    localhub.reset_counters()
    assert plan("-o", "warm.json") == 0
    warm = localhub.counters()
    cold_text = (project / "cold.json").read_text().splitlines()
    warm_text = (project / "warm.json").read_text().splitlines()
    differing = [(a, b) for a, b in zip(cold_text, warm_text, strict=True) if a != b]
    assert all('"created_at"' in a for a, _ in differing)
    assert cold["resolvers"] > 0 and "resolvers" not in warm  # no eval file downloaded again
    assert cold.get("tree", 0) > 0 and "tree" not in warm  # PR trees come from the cache
    assert warm["api"] + warm.get("resolvers", 0) < cold["api"] + cold["resolvers"]


def test_a_changed_hub_shows_in_the_replan(project: Path, localhub: LocalHub) -> None:
    assert plan("-o", "before.json") == 0
    HfApi(endpoint=localhub.url, token="x").upload_file(
        path_or_fileobj=b"- dataset: {id: TIGER-Lab/MMLU-Pro, task_id: mmlu_pro}\n  value: 50\n",
        path_in_repo=MMLU_FILE,
        repo_id="acme/fresh",
    )
    assert plan("-o", "after.json") == 0
    assert by_model(project / "before.json")["acme/fresh"] == ["ready"]
    assert by_model(project / "after.json")["acme/fresh"] == ["already_present"]


def test_force_ignores_every_cache(project: Path, localhub: LocalHub) -> None:
    assert plan("-o", "one.json") == 0
    localhub.reset_counters()
    assert plan("-o", "two.json", "--force") == 0
    assert localhub.counters()["resolvers"] > 0
    assert content(project / "two.json") == content(project / "one.json")


def test_detailed_exitcode(project: Path) -> None:
    assert plan("-o", "a.json", "--detailed-exitcode") == 2
    assert plan("-o", "b.json", "--detailed-exitcode", "--model", "acme/scaled") == 0
    assert by_model(project / "b.json") == {"acme/scaled": ["already_present"]}


def test_a_hub_that_cannot_be_reached(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    write_config(project, f"http://127.0.0.1:{port}")
    assert plan("-o", "x.json") == 1
    err = capsys.readouterr().err
    assert "cannot reach the Hub" in err and "Traceback" not in err
    assert not (project / "x.json").exists()
