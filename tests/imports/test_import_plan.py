"""`eeesync import` against the local Hub: the leaderboard endpoint, the statuses, the records."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from huggingface_hub import CommitOperationAdd, HfApi
from huggingface_hub.errors import RepositoryNotFoundError

from eeesync.hub.client import Hub, connect_hub
from eeesync.imports.build import ImportRequest, ImportResult, build_import_plan
from eeesync.imports.records import check_path, check_record, fingerprints_of
from eeesync.localhub import LocalHub
from eeesync.plan.import_file import parse_import_plan, serialize, to_dict
from eeesync.plan.import_model import ImportPlan, ImportStatus
from tests.imports import scenario

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.json$")


def client(localhub: LocalHub) -> Hub:
    return connect_hub(localhub.url, token="import-token", max_eval_file_bytes=scenario.FILE_CAP)


@pytest.fixture
def seeded(localhub: LocalHub, tmp_path: Path) -> LocalHub:
    scenario.seed(localhub, tmp_path)
    return localhub


def run_import(localhub: LocalHub, folder: Path, **request: object) -> ImportResult:
    config = scenario.config(localhub, folder)
    return build_import_plan(config, ImportRequest(**request), hub=client(localhub))  # type: ignore[arg-type]


def by_model(plan: ImportPlan) -> dict[str, str]:
    return {e.hub.model_id: e.status.value for e in plan.entries}


# --- The leaderboard endpoint ------------------------------------------------------------------


def test_leaderboard_lists_main_and_pr_scores_as_the_client_parses_them(
    seeded: LocalHub,
) -> None:
    api = HfApi(endpoint=seeded.url, token="x")
    rows = api.get_dataset_leaderboard(scenario.MMLU, base_model_only=False)
    by_id = {(r.model_id, r.pull_request): r for r in rows}
    assert [r.rank for r in rows] == list(range(1, len(rows) + 1))
    assert [r.value for r in rows] == sorted((r.value for r in rows), reverse=True)
    fresh = by_id[("acme/fresh", None)]
    assert (fresh.value, fresh.filename, fresh.verified) == (55.5, scenario.MMLU_FILE, False)
    assert fresh.source == {"url": "https://acme.ai/blog", "isExternal": True}
    assert fresh.author.username == "acme"
    assert by_id[("acme/verified", None)].verified is True
    community = by_id[("acme/community", 1)]
    assert community.value == 44.4 and community.pull_request == 1
    assert by_id[("acme/mixed", None)].notes == "0-shot"
    # no task field; the other datasets' entries and the hostile file list nothing here
    assert not hasattr(fresh, "task_id")
    assert {m for m, _ in by_id} == set(scenario.EXPECTED) - {"other/sourced"}


def test_leaderboard_default_view_leaves_out_derivative_models(seeded: LocalHub) -> None:
    api = HfApi(endpoint=seeded.url, token="x")
    card = b"---\nbase_model: acme/fresh\n---\n# a fine-tune\n"
    api.create_commit("acme/known", [CommitOperationAdd("README.md", card)], commit_message="c")
    default = {r.model_id for r in api.get_dataset_leaderboard(scenario.MMLU)}
    every = {r.model_id for r in api.get_dataset_leaderboard(scenario.MMLU, base_model_only=False)}
    assert "acme/known" in every - default


def test_leaderboard_of_a_missing_dataset_is_not_found(seeded: LocalHub) -> None:
    with pytest.raises(RepositoryNotFoundError):
        HfApi(endpoint=seeded.url, token="x").get_dataset_leaderboard("nobody/nothing")


# --- Decisions --------------------------------------------------------------------------------


def test_every_status_from_one_hub(seeded: LocalHub, tmp_path: Path) -> None:
    result = run_import(seeded, tmp_path)
    plan = result.plan
    assert by_model(plan) == scenario.EXPECTED
    differs = next(e for e in plan.entries if e.status is ImportStatus.EEE_DIFFERS)
    assert [e.value for e in differs.eee] == [48.8]
    assert differs.eee[0].source_url.startswith(
        f"https://huggingface.co/datasets/{scenario.DATASTORE}/blob/"
    )
    assert differs.hub.file_url.startswith("https://huggingface.co/acme/differs/blob/")
    skipped = next(e for e in plan.entries if e.status is ImportStatus.SKIPPED)
    assert skipped.reason.startswith("unknown_task")
    error = next(e for e in plan.entries if e.status is ImportStatus.AUDIT_ERROR)
    assert "over the 4096-byte limit" in error.reason
    # one request per leaderboard; one file read per row but from_eee, pr_only and the
    # already_in_eee score of a one-task benchmark (decided from the row)
    assert result.stats.leaderboards == len(plan.inputs.benchmarks)
    assert result.stats.file_reads == len(scenario.EXPECTED) - 3
    known = next(e for e in plan.entries if e.status is ImportStatus.ALREADY_IN_EEE)
    assert (known.hub.task_id, known.hub.commit) == ("mmlu_pro", "")


def test_records_for_exactly_the_ready_entries(seeded: LocalHub, tmp_path: Path) -> None:
    plan = run_import(seeded, tmp_path).plan
    ready = [e for e in plan.entries if e.status is ImportStatus.READY]
    assert {e.hub.model_id for e in ready} == {
        "acme/fresh",
        "acme/verified",
        "acme/mixed",
        "other/sourced",
    }
    assert len(plan.records) == 4  # one per model and Hub file
    records = {r.path: json.loads(r.content) for r in plan.records}
    for path, record in records.items():
        assert check_record(record) == [], path
        assert check_path(path, "hf_community_evals") == ""
        assert UUID4.match(path.rsplit("/", 1)[1])
        developer, model = path.split("/")[2:4]
        assert record["model_info"]["id"] == f"{developer}/{model}"
        assert record["source_metadata"]["source_type"] == "documentation"
    assert {fp for r in records.values() for fp in fingerprints_of(r)} == {
        e.fingerprint for e in ready
    }
    mixed = next(r for r in records.values() if r["model_info"]["id"] == "acme/mixed")
    # the entry of a dataset no benchmark registers stays out
    assert [r["source_data"]["hf_repo"] for r in mixed["evaluation_results"]] == [scenario.MMLU]
    assert mixed["evaluation_results"][0]["metric_config"]["evaluation_description"] == "0-shot"


def test_record_provenance_badges_and_relationship(seeded: LocalHub, tmp_path: Path) -> None:
    plan = run_import(seeded, tmp_path).plan
    records = {
        json.loads(r.content)["model_info"]["id"]: json.loads(r.content) for r in plan.records
    }
    fresh = records["acme/fresh"]
    meta = fresh["source_metadata"]
    assert meta["evaluator_relationship"] == "first_party"
    assert meta["source_organization_name"] == "acme"
    details = meta["additional_details"]
    commit = details["hf_commit"]
    assert re.fullmatch(r"[0-9a-f]{40}", commit)
    assert details["hf_file_url"] == (
        f"https://huggingface.co/acme/fresh/blob/{commit}/{scenario.MMLU_FILE}"
    )
    assert details["hf_badge"] == "author"
    result = fresh["evaluation_results"][0]
    assert result["score_details"]["score"] == 55.5
    assert result["score_details"]["details"]["hf_source_url"] == "https://acme.ai/blog"
    assert result["evaluation_timestamp"] == "2026-01-15"
    sourced = records["other/sourced"]["source_metadata"]
    assert sourced["evaluator_relationship"] == "third_party"
    assert sourced["source_organization_name"] == "evals-org"
    verified = records["acme/verified"]["evaluation_results"][0]["score_details"]["details"]
    assert verified["hf_verified"] == "true"
    assert "secret-token-value" not in serialize(plan)  # the token itself is never copied


def test_include_prs_imports_the_community_score_as_third_party(
    seeded: LocalHub, tmp_path: Path
) -> None:
    plan = run_import(seeded, tmp_path, include_prs=True).plan
    entry = next(e for e in plan.entries if e.hub.model_id == "acme/community")
    assert entry.status is ImportStatus.READY
    assert (entry.hub.revision, entry.hub.pr_num, entry.hub.badge) == ("refs/pr/1", 1, "community")
    head = HfApi(endpoint=seeded.url).list_repo_refs("acme/community", include_pull_requests=True)
    assert entry.hub.commit == head.pull_requests[0].target_commit  # pinned to the PR's head
    record = json.loads(next(r.content for r in plan.records if r.path == entry.record_path))
    assert record["source_metadata"]["evaluator_relationship"] == "third_party"
    assert record["source_metadata"]["additional_details"]["hf_pull_request"] == "1"


def test_benchmark_and_model_filters(seeded: LocalHub, tmp_path: Path) -> None:
    plan = run_import(seeded, tmp_path, benchmarks=("gpqa",)).plan
    assert by_model(plan) == {"other/sourced": "ready"}
    plan = run_import(seeded, tmp_path, model_filter="ACME/F*").plan
    assert by_model(plan) == {"acme/fresh": "ready"}


def test_the_plan_reads_back_with_its_digest(seeded: LocalHub, tmp_path: Path) -> None:
    plan = run_import(seeded, tmp_path).plan
    assert parse_import_plan(json.loads(serialize(plan))) == plan
    data = to_dict(plan)
    data["entries"][0]["hub"]["value"] = 99.0
    with pytest.raises(Exception, match="digest mismatch"):
        parse_import_plan(data)


def test_the_format_doc_names_every_import_plan_field() -> None:
    import typing

    import attrs

    from eeesync.plan import import_model

    doc = (Path(__file__).resolve().parents[2] / "docs" / "plan-format.md").read_text("utf-8")
    section = doc.split("## Import plans", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"\w+", section))
    classes = [
        import_model.ImportPlan,
        import_model.ImportInputs,
        import_model.ImportEntry,
        import_model.HubScore,
        import_model.EeeScore,
        import_model.RecordFile,
        import_model.ImportCounts,
    ]
    missing = [
        f"{c.__name__}.{f.name}" for c in classes for f in attrs.fields(c) if f.name not in named
    ]
    assert missing == []
    assert {s.value for s in import_model.ImportStatus} <= named
    assert typing.get_type_hints(import_model.ImportPlan)["entries"]  # the model is typed


def test_a_hub_entry_without_notes_meets_every_eee_setup_of_its_task() -> None:
    from eeesync.imports.decide import Context, held_by_eee
    from eeesync.plan.import_model import EeeScore

    cot, five = EeeScore(41.2, "https://x/a"), EeeScore(48.8, "https://x/b")
    context = Context(
        eee={("acme/m", "mmlu_pro", "mmlu_pro"): (("0-shot cot", cot), ("5-shot", five))},
        known_fingerprints=frozenset(),
        known_where="",
        tolerance=0.01,
        include_prs=False,
        datastore_repo="evaleval/EEE_datastore",
        web_base="https://huggingface.co",
    )
    assert held_by_eee(context, "Acme/M", "mmlu_pro", "mmlu_pro", "") == (cot, five)
    assert held_by_eee(context, "acme/m", "mmlu_pro", "mmlu_pro", "0-shot  CoT") == (cot,)
    assert held_by_eee(context, "acme/m", "mmlu_pro", "mmlu_pro", "With tools") == ()


def test_leaderboard_rows_of_the_wrong_shape_are_dropped_with_a_reason() -> None:
    from huggingface_hub.hf_api import DatasetLeaderboardEntry

    from eeesync.hub.leaderboard import _row

    def item(**changes: object) -> DatasetLeaderboardEntry:
        data: dict[str, object] = {
            "rank": 1,
            "modelId": "acme/m",
            "value": 41.2,
            "filename": ".eval_results/x.yaml",
            "verified": True,
            "author": {"type": "org", "name": "acme"},
        }
        data.update(changes)
        return DatasetLeaderboardEntry(**data)

    good = _row(item(pullRequest=3, notes="  With   tools ", source={"url": "https://a.b"}))
    assert not isinstance(good, str)
    assert (good.pull_request, good.notes, good.author_type, good.source_url) == (
        3,
        "With tools",
        "org",
        "https://a.b",
    )
    assert "not OWNER/NAME" in str(_row(item(modelId="../../etc")))
    assert "not an .eval_results file" in str(_row(item(filename="README.md")))
    assert "not an .eval_results file" in str(_row(item(filename=".eval_results/../x.yaml")))
    assert "not a finite number" in str(_row(item(value="NaN")))
    assert "not a finite number" in str(_row(item(value=True)))
    assert "not a PR number" in str(_row(item(pullRequest=-1)))


def test_a_file_that_no_longer_holds_the_listed_value_is_an_audit_error() -> None:
    from eeesync.hub.leaderboard import LeaderboardRow, PinnedFile
    from eeesync.hub.state import parse_eval_file
    from eeesync.imports.decide import Context, decide
    from eeesync.registry import load_registry

    benchmark = load_registry({}).get("mmlu_pro")
    context = Context(
        eee={},
        known_fingerprints=frozenset(),
        known_where="",
        tolerance=0.01,
        include_prs=False,
        datastore_repo="evaleval/EEE_datastore",
        web_base="https://huggingface.co",
    )
    row = LeaderboardRow("acme/m", 41.2, scenario.MMLU_FILE)

    def file(text: str) -> PinnedFile:
        return PinnedFile(parse_eval_file(scenario.MMLU_FILE, text.encode()), "c" * 40)

    changed = decide(row, benchmark, file(scenario.entry(scenario.MMLU, "mmlu_pro", 50)), context)
    assert changed.status is ImportStatus.AUDIT_ERROR
    assert "holds no entry with the listed value 41.2" in changed.reason
    broken = decide(row, benchmark, file("- [unclosed\n"), context)
    assert broken.status is ImportStatus.AUDIT_ERROR and "invalid YAML" in broken.reason
    high = LeaderboardRow("acme/m", 412.0, scenario.MMLU_FILE)
    over = decide(high, benchmark, file(scenario.entry(scenario.MMLU, "mmlu_pro", 412)), context)
    assert over.status is ImportStatus.SKIPPED and over.reason.startswith("value_out_of_range")
    fine = decide(row, benchmark, file(scenario.entry(scenario.MMLU, "mmlu_pro", 41.2)), context)
    assert fine.status is ImportStatus.READY and fine.hub.commit == "c" * 40
