"""`eeesync import` → `eeesync apply IMPORT_PLAN` → rerun, through the CLI and the local Hub."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
import time
from pathlib import Path

import attrs
import pytest
from huggingface_hub import CommitOperationAdd, HfApi

from eeesync.apply.journal import Event, RunEnd, journal_path, read_journal
from eeesync.apply.lock import acquire_lock
from eeesync.apply.outcome import Outcome
from eeesync.apply.run import DEFAULT_POST_ATTEMPTS
from eeesync.cli.main import main
from eeesync.hub.writes import WritePace
from eeesync.imports import submit
from eeesync.imports.datastore_pr import pr_title
from eeesync.localhub import FaultConfig, LocalHub
from eeesync.plan import import_file
from eeesync.plan.import_file import read_any_plan, write_import_plan
from eeesync.plan.import_model import ImportPlan, ImportStatus, RecordFile
from tests.apply.conftest import eeesync_hub
from tests.cli.test_json_events_doc import check_against_doc
from tests.imports import scenario

CONFIRM = ["--confirm", "OPEN PRS", "--message", "Import Community Evals scores"]


@pytest.fixture
def project(localhub: LocalHub, tmp_path: Path) -> Path:
    scenario.seed(localhub, tmp_path)
    config = tmp_path / "eeesync.toml"
    config.write_text(
        f'[datastore]\nlocator = "{scenario.DATASTORE}"\ncollections = ["c"]\n'
        f'[hub]\nendpoint = "{localhub.url}"\nmax_eval_file_bytes = {scenario.FILE_CAP}\n'
        '[sync]\ncheck_tasks = false\n[paths]\ncache = ".eeesync"\nplans = "plans"\n',
        encoding="utf-8",
    )
    return config


def eeesync(config: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    env = {"COLUMNS": "250", "HF_TOKEN": "import-token"}
    code = main(["--no-color", "--config", str(config), *args], env=env)
    out, err = capsys.readouterr()
    return code, out, err


def plan_path(out: str, config: Path) -> Path:
    line = next(x for x in out.splitlines() if x.startswith("Plan written to "))
    path = Path(line.removeprefix("Plan written to "))
    return path if path.is_absolute() else config.parent / path


def datastore_prs(api: HfApi) -> list[tuple[int, str, str]]:
    return [
        (d.num, d.status, d.title)
        for d in api.get_repo_discussions(
            scenario.DATASTORE, repo_type="dataset", discussion_type="pull_request"
        )
    ]


def pr_files(api: HfApi, num: int) -> set[str]:
    files = api.list_repo_files(scenario.DATASTORE, repo_type="dataset", revision=f"refs/pr/{num}")
    return {f for f in files if f.startswith("data/")}


def test_import_apply_one_pr_then_a_rerun_writes_nothing(
    project: Path, localhub: LocalHub, capsys: pytest.CaptureFixture[str]
) -> None:
    api = HfApi(endpoint=localhub.url, token="x")
    code, out, _ = eeesync(project, "import", "--detailed-exitcode", capsys=capsys)
    assert code == 2, out
    assert "EEE holds another value (1)" in out and "Records to write (4)" in out
    path = plan_path(out, project)
    plan = read_any_plan(path)
    assert isinstance(plan, ImportPlan) and len(plan.records) == 4

    code, out, err = eeesync(project, "show", str(path), "--format", "markdown", capsys=capsys)
    assert code == 0 and "### Scores to add to EEE (4)" in out

    code, out, err = eeesync(project, "apply", str(path), *CONFIRM, capsys=capsys)
    assert code == 0, out + err
    assert "Opened" in out
    prs = datastore_prs(api)
    assert len(prs) == 1
    num, status, title = prs[0]
    assert status == "open" and title.startswith("[Submission] hf_community_evals: ")
    assert pr_files(api, num) == {r.path for r in plan.records}
    for record in plan.records:
        remote = api.hf_hub_download(
            scenario.DATASTORE, record.path, repo_type="dataset", revision=f"refs/pr/{num}"
        )
        assert Path(remote).read_text(encoding="utf-8") == record.content
    outcomes = [r.outcome for r in read_journal(journal_path(path)) if r.outcome]
    assert outcomes == [Outcome.OPENED]  # "done" on the journal line

    # applying the same plan again writes nothing
    code, out, _ = eeesync(project, "apply", str(path), *CONFIRM, capsys=capsys)
    assert code == 0 and "finished by an earlier apply" in out and len(datastore_prs(api)) == 1

    # a second import finds the scores in our open PR: no new record; the applied plan (it
    # has a journal) is not replaced
    code, out, _ = eeesync(project, "import", "--detailed-exitcode", capsys=capsys)
    assert code == 0, out
    assert "has an apply journal" in out and plan_path(out, project) != path
    again = read_any_plan(plan_path(out, project))
    assert isinstance(again, ImportPlan)
    assert again.records == () and again.inputs.import_pr == num
    assert again.counts.get(ImportStatus.ALREADY_IN_EEE) == 5  # the 4 imported + acme/known

    # a community score with --include-prs goes into the same PR, never a second one
    code, out, _ = eeesync(
        project,
        "import",
        "--include-prs",
        "-o",
        str(project.parent / "prs.plan.json"),
        capsys=capsys,
    )
    prs_plan = read_any_plan(project.parent / "prs.plan.json")
    assert isinstance(prs_plan, ImportPlan) and len(prs_plan.records) == 1
    code, out, err = eeesync(
        project, "apply", str(project.parent / "prs.plan.json"), *CONFIRM, capsys=capsys
    )
    assert code == 0, out + err
    assert "Added 1 record " in out
    assert len(datastore_prs(api)) == 1
    assert pr_files(api, num) == {r.path for r in [*plan.records, *prs_plan.records]}


def test_records_folder_without_a_pr_and_a_rerun_adds_none(
    project: Path, localhub: LocalHub, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = project.parent / "out"
    code, out, _ = eeesync(project, "import", "--records", str(folder), capsys=capsys)
    assert code == 0 and "4 records written under" in out
    written = sorted(folder.rglob("*.json"))
    assert len(written) == 4
    assert all(p.relative_to(folder).parts[:2] == ("data", "hf_community_evals") for p in written)
    code, out, _ = eeesync(
        project,
        "import",
        "--records",
        str(folder),
        "--collection",
        "hf_community_evals",
        "-o",
        str(project.parent / "second.plan.json"),
        "--detailed-exitcode",
        capsys=capsys,
    )
    assert code == 0 and "0 records written" in out
    assert len(sorted(folder.rglob("*.json"))) == 4
    assert (
        HfApi(endpoint=localhub.url).get_repo_discussions(scenario.DATASTORE, repo_type="dataset")
        is not None
    )
    assert datastore_prs(HfApi(endpoint=localhub.url)) == []


def _reseal(plan: ImportPlan, path: Path, records: tuple[RecordFile, ...]) -> None:
    """The plan with other records, sealed again: what someone who edits a plan can do."""
    write_import_plan(import_file.seal(attrs.evolve(plan, records=records)), path)


def test_an_edited_plan_is_refused_before_any_write(
    project: Path, localhub: LocalHub, capsys: pytest.CaptureFixture[str]
) -> None:
    path = project.parent / "p.plan.json"
    eeesync(project, "import", "-o", str(path), capsys=capsys)
    plan = read_any_plan(path)
    assert isinstance(plan, ImportPlan)
    record = plan.records[0]
    data = json.loads(record.content)
    data["evaluation_results"][0]["score_details"]["score"] = 99.9
    content = json.dumps(data, indent=2) + "\n"
    forged = attrs.evolve(
        record, content=content, sha256=hashlib.sha256(content.encode()).hexdigest()
    )
    _reseal(plan, path, (forged, *plan.records[1:]))
    code, _, err = eeesync(project, "apply", str(path), *CONFIRM, capsys=capsys)
    assert code == 1 and "refused, nothing was written" in err
    assert "its results are not its entries'" in err
    outside = attrs.evolve(plan.records[0], path="data/other/acme/fresh/x.json")
    _reseal(plan, path, (outside, *plan.records[1:]))
    code, _, err = eeesync(project, "apply", str(path), *CONFIRM, capsys=capsys)
    assert code == 1 and "not in the collection" in err
    text = path.read_text(encoding="utf-8").replace("55.5", "56.5")
    path.write_text(text, encoding="utf-8")
    code, _, err = eeesync(project, "apply", str(path), *CONFIRM, capsys=capsys)
    assert code == 1 and "digest mismatch" in err
    assert datastore_prs(HfApi(endpoint=localhub.url)) == []


def test_a_moved_datastore_makes_the_plan_stale(
    project: Path, localhub: LocalHub, capsys: pytest.CaptureFixture[str]
) -> None:
    api = HfApi(endpoint=localhub.url, token="x")
    path = project.parent / "p.plan.json"
    code, out, _ = eeesync(project, "import", "-o", str(path), "--format", "json", capsys=capsys)
    assert code == 0 and out == path.read_text(encoding="utf-8")  # json: the plan file's bytes
    code, shown, _ = eeesync(project, "show", str(path), "--json", capsys=capsys)
    assert shown == out
    api.create_commit(
        scenario.DATASTORE,
        [CommitOperationAdd("README.md", b"moved\n")],
        commit_message="move",
        repo_type="dataset",
    )
    code, out, _ = eeesync(
        project, "apply", str(project.parent / "p.plan.json"), *CONFIRM, capsys=capsys
    )
    assert code == 1 and "Stale" in out and "main moved" in out
    assert datastore_prs(api) == []


def _ends(path: Path) -> list[tuple[RunEnd | None, int, str]]:
    return [
        (r.end, r.left, r.error) for r in read_journal(journal_path(path)) if r.event is Event.END
    ]


def test_the_import_apply_ends_its_journal_and_exits_as_a_sync_apply_does(
    project: Path, localhub: LocalHub, capsys: pytest.CaptureFixture[str]
) -> None:
    """The journal's `end` line and `--detailed-exitcode` (0: concluded and recorded), as for
    a sync plan: a plan for another Hub is refused as a whole, a moved datastore makes it
    stale, a failed write is pending (2), a written one is finished; a concluded plan's rerun
    reads and writes nothing."""
    api = HfApi(endpoint=localhub.url, token="x")
    detailed = [*CONFIRM, "--detailed-exitcode"]
    path = project.parent / "p.plan.json"
    eeesync(project, "import", "-o", str(path), capsys=capsys)
    other_hub = project.parent / "other.toml"
    other_hub.write_text(
        project.read_text(encoding="utf-8").replace(localhub.url, "http://127.0.0.1:9"),
        encoding="utf-8",
    )
    code, _, err = eeesync(other_hub, "apply", str(path), *detailed, capsys=capsys)
    assert code == 0 and "Refused: " in err and "was made for" in err
    ((end, left, error),) = _ends(path)
    assert (end, left) == (RunEnd.REFUSED, 0) and "was made for" in error
    journal = journal_path(path).read_bytes()
    code, out, _ = eeesync(project, "apply", str(path), *detailed, capsys=capsys)
    assert code == 0 and "refused as a whole by an earlier apply" in out
    assert journal_path(path).read_bytes() == journal and datastore_prs(api) == []

    stale = project.parent / "stale.plan.json"
    eeesync(project, "import", "-o", str(stale), capsys=capsys)
    api.create_commit(
        scenario.DATASTORE,
        [CommitOperationAdd("README.md", b"moved\n")],
        commit_message="move",
        repo_type="dataset",
    )
    code, out, _ = eeesync(project, "apply", str(stale), *detailed, capsys=capsys)
    assert code == 0 and "Stale" in out and _ends(stale) == [(RunEnd.FINISHED, 0, "")]
    assert datastore_prs(api) == []

    fresh = project.parent / "fresh.plan.json"
    eeesync(project, "import", "-o", str(fresh), capsys=capsys)
    # the Hub refuses every try (429, Retry-After: 0): the write is left for a rerun, which
    # opens the PR
    localhub.set_faults(REFUSED_COMMITS)
    code, out, _ = eeesync(project, "apply", str(fresh), *detailed, capsys=capsys)
    assert code == 2 and "Failed" in out and _ends(fresh) == [(RunEnd.PENDING, 1, "")]
    assert localhub.counters()["faults.429"] == DEFAULT_POST_ATTEMPTS  # each waited out
    localhub.set_faults(None)
    code, out, _ = eeesync(project, "apply", str(fresh), *detailed, capsys=capsys)
    assert code == 0 and "Opened" in out and _ends(fresh)[-1] == (RunEnd.FINISHED, 0, "")
    code, out, _ = eeesync(project, "apply", str(fresh), *detailed, capsys=capsys)
    assert code == 0 and "finished by an earlier apply" in out and len(_ends(fresh)) == 2


#: Every commit is refused with 429 (huggingface_hub does not retry writes).
REFUSED_COMMITS = FaultConfig(rate_429=1.0, retry_after_s=0, routes=frozenset({"commit"}))


def _tries(path: Path) -> list[tuple[Event, int, Outcome | None]]:
    return [
        (r.event, r.attempt, r.outcome)
        for r in read_journal(journal_path(path))
        if r.action_id == submit.ACTION_ID
    ]


def test_an_import_write_refused_with_429_waits_its_retry_after_and_goes_through(
    project: Path, localhub: LocalHub, capsys: pytest.CaptureFixture[str]
) -> None:
    """As a sync apply's write: a 429 on the import's commit holds it for the `Retry-After`,
    the Hub is re-read (the write may have landed), and the same run opens the PR."""
    path = project.parent / "p.plan.json"
    eeesync(project, "import", "-o", str(path), capsys=capsys)
    localhub.set_faults(dataclasses.replace(REFUSED_COMMITS, retry_after_s=1, max_faults=1))
    localhub.reset_counters()
    started = time.monotonic()
    code, out, err = eeesync(project, "apply", str(path), *CONFIRM, capsys=capsys)
    assert code == 0 and "Opened" in out, out + err
    assert time.monotonic() - started >= 1.0  # the Retry-After was waited out
    assert localhub.counters()["faults.429"] == 1
    assert [num for num, _, _ in datastore_prs(HfApi(endpoint=localhub.url))] == [1]
    assert _tries(path) == [
        (Event.INTENT, 1, None),
        (Event.RESULT, 1, Outcome.FAILED),
        (Event.INTENT, 2, None),
        (Event.RESULT, 2, Outcome.OPENED),
    ]
    assert _ends(path) == [(RunEnd.FINISHED, 0, "")]


def test_the_import_write_waits_its_turn_under_max_writes_per_hour(
    project: Path, localhub: LocalHub, capsys: pytest.CaptureFixture[str]
) -> None:
    """`[apply] max_writes_per_hour` paces the import's write as apply's: a run whose turn is
    an hour away and that is stopped meanwhile (Ctrl-C, a CI time limit) writes nothing and
    leaves the plan pending; the next run writes it."""
    path = project.parent / "p.plan.json"
    eeesync(project, "import", "-o", str(path), capsys=capsys)
    plan = read_any_plan(path)
    assert isinstance(plan, ImportPlan)
    pace, stop = WritePace(per_hour=1), threading.Event()
    assert pace.turn(stop)  # this hour's one write went elsewhere
    threading.Timer(0.2, stop.set).start()
    result = submit.submit(eeesync_hub(localhub), plan, path, message="m", pace=pace, stop=stop)
    assert result.state is Outcome.PENDING and pace.waited_s > 3000
    assert datastore_prs(HfApi(endpoint=localhub.url)) == [] and _tries(path) == []
    assert _ends(path) == [(RunEnd.PENDING, 1, "")]
    with project.open("a", encoding="utf-8") as config:
        config.write("[apply]\nmax_writes_per_hour = 1\n")
    code, out, err = eeesync(project, "apply", str(path), *CONFIRM, capsys=capsys)
    assert code == 0 and "Opened" in out, out + err


def test_two_runs_opening_import_prs_at_once_keep_the_lowest(
    project: Path,
    localhub: LocalHub,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    api = HfApi(endpoint=localhub.url, token="import-token")
    path = project.parent / "p.plan.json"
    eeesync(project, "import", "-o", str(path), capsys=capsys)
    other = "data/hf_community_evals/acme/fresh/00000000-0000-4000-8000-000000000000.json"

    def concurrent_run(phase: str) -> None:  # another machine's apply, in our window
        api.create_commit(
            scenario.DATASTORE,
            [CommitOperationAdd(other, b"{}\n")],
            commit_message=pr_title("hf_community_evals", 1, 1),
            repo_type="dataset",
            create_pr=True,
        )

    monkeypatch.setattr(submit, "checkpoint", concurrent_run)
    code, out, _ = eeesync(project, "apply", str(path), *CONFIRM, capsys=capsys)
    assert code == 1 and "was opened at the same time" in out
    prs = {num: status for num, status, _ in datastore_prs(api)}
    assert prs == {1: "open", 2: "closed"}
    outcomes = [r.outcome for r in read_journal(journal_path(path)) if r.outcome]
    assert [o.value for o in outcomes] == ["stale"]


def test_round_trip_plan_from_the_datastore_pr_opens_nothing(
    project: Path, localhub: LocalHub, capsys: pytest.CaptureFixture[str]
) -> None:
    """import → apply (a datastore PR) → `eeesync plan` of those models from the datastore at
    that PR's head: every imported score is where it came from, nothing is ready."""
    api = HfApi(endpoint=localhub.url, token="x")
    code, out, _ = eeesync(project, "import", "--include-prs", capsys=capsys)
    imported = read_any_plan(plan_path(out, project))
    assert isinstance(imported, ImportPlan) and len(imported.records) == 5
    code, out, err = eeesync(
        project, "apply", str(plan_path(out, project)), *CONFIRM, capsys=capsys
    )
    assert code == 0, out + err
    ((num, _, _),) = datastore_prs(api)
    target = project.parent / "round.plan.json"
    code, out, err = eeesync(
        project,
        "plan",
        "hf_community_evals",
        "--datastore",
        f"{scenario.DATASTORE}@refs/pr/{num}",
        "-o",
        str(target),
        "--detailed-exitcode",
        capsys=capsys,
    )
    assert code == 0, out + err  # nothing to open
    plan = json.loads(target.read_text(encoding="utf-8"))
    statuses = {
        (repo["repo_id"], entry["status"]) for repo in plan["repos"] for entry in repo["entries"]
    }
    assert statuses == {
        ("acme/fresh", "already_present"),
        ("acme/verified", "already_present"),
        ("acme/mixed", "already_present"),
        ("other/sourced", "already_present"),
        ("acme/community", "pending_pr"),
    }
    head = api.list_repo_refs(scenario.DATASTORE, repo_type="dataset", include_pull_requests=True)
    assert plan["inputs"]["datastore_revision"] == head.pull_requests[0].target_commit


def test_apply_json_prints_apply_events_for_the_one_datastore_action(
    project: Path, localhub: LocalHub, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = eeesync(project, "import", capsys=capsys)
    path = plan_path(out, project)

    def events(plan: Path = path) -> tuple[int, list[dict[str, object]], str]:
        code, out, err = eeesync(project, "apply", str(plan), *CONFIRM, "--json", capsys=capsys)
        stream = [json.loads(line) for line in out.splitlines()]
        for message in stream:
            check_against_doc(message)
        return code, stream, err

    code, stream, err = events()
    assert code == 0 and "Opened" in err  # the human text goes to stderr
    assert [m["type"] for m in stream] == ["version", "apply_start", "apply_complete", "summary"]
    start, done, summary = stream[1:]
    assert start["repo_id"] == done["repo_id"] == scenario.DATASTORE
    assert start["action_id"] == done["action_id"] == submit.ACTION_ID
    assert (
        done["state"] == "opened"
        and done["pr_num"] == datastore_prs(HfApi(endpoint=localhub.url))[0][0]
    )
    assert summary["opened"] == 1 and summary["failed"] == 0

    code, stream, _ = events()  # the journal's end line concluded the plan
    assert code == 0 and [m["type"] for m in stream] == ["version", "summary"]
    assert stream[1]["concluded"] == "finished" and stream[1]["opened"] == 0

    _, out, _ = eeesync(project, "import", capsys=capsys)  # everything is in our PR now
    code, stream, err = events(plan_path(out, project))
    assert code == 0 and "Nothing to import" in err
    assert [m["type"] for m in stream] == ["version", "summary"] and stream[1]["opened"] == 0


def test_the_import_apply_asks_for_the_approval_and_holds_the_plans_lock(
    project: Path, localhub: LocalHub, capsys: pytest.CaptureFixture[str]
) -> None:
    api = HfApi(endpoint=localhub.url, token="x")
    _, out, _ = eeesync(project, "import", capsys=capsys)
    path = plan_path(out, project)
    code, _, err = eeesync(project, "apply", str(path), "--message", "m", capsys=capsys)
    assert code != 0 and "nothing was opened" in err  # no terminal, no --confirm
    code, _, err = eeesync(project, "apply", str(path), "--confirm", "OPEN PR", capsys=capsys)
    assert code != 0 and "--confirm must be exactly" in err
    held = acquire_lock(project.parent / ".eeesync", read_any_plan(path).digest)
    code, _, err = eeesync(project, "apply", str(path), *CONFIRM, capsys=capsys)
    assert code == 1 and "is being applied by" in err and held.info.id in err
    assert datastore_prs(api) == [] and not journal_path(path).exists()
    held.release()
    code, _, err = eeesync(project, "apply", str(path), *CONFIRM, capsys=capsys)
    assert code == 0 and len(datastore_prs(api)) == 1, err
