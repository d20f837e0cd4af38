"""`eeesync/model_report.py`: every result of one model, by benchmark, with what the Hub shows.

Built on real pieces: flat datastores from real record shapes (tests/helpers.py), the local Hub
seeded through its storage API, and the real huggingface_hub client (through `open_hub`).
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from huggingface_hub import HfApi
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from eeesync.cli.common import open_hub
from eeesync.config import Config
from eeesync.datastore.records import Record
from eeesync.errors import UserError
from eeesync.hub.client import Hub
from eeesync.localhub import LocalHub
from eeesync.localhub.faults import FaultConfig
from eeesync.mapping import Mapper
from eeesync.model_report import (
    ModelReport,
    ResultRow,
    _spreads,
    check_model_query,
    gather_model_report,
)
from eeesync.plan.model import Status
from eeesync.stages import Stages
from eeesync.views.model_view import (
    render_model_json,
    render_model_markdown,
    render_model_report,
)
from tests.helpers import (
    AETHER_BF16,
    AETHER_FP16,
    build_datastore,
    fixture,
    mmlu_overall_record,
    upload_datastore,
    write_datastore,
)

MODEL = "Acme/Model-X"


def result(
    hf_repo: str,
    result_id: str,
    score: float,
    *,
    dataset_name: str = "",
    timestamp: str | None = None,
    generation: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One schema 0.2.2 `evaluation_results[]` item (the shape of the MMLU-Pro fixture)."""
    item: dict[str, Any] = {
        "evaluation_result_id": result_id,
        "evaluation_name": dataset_name or hf_repo,
        "source_data": {
            "dataset_name": dataset_name or hf_repo,
            "source_type": "hf_dataset",
            "hf_repo": hf_repo,
        },
        "metric_config": {
            "metric_id": result_id,
            "metric_unit": "proportion",
            "lower_is_better": False,
            "min_score": 0.0,
            "max_score": 1.0,
        },
        "score_details": {"score": score},
    }
    if timestamp is not None:
        item["evaluation_timestamp"] = timestamp
    if generation is not None:
        item["generation_config"] = generation
    return item


def record(
    model_id: str,
    *results: dict[str, Any],
    source: str = "Acme evals",
    relationship: str = "third_party",
    library: tuple[str, str] | None = None,
    run: int = 1,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "schema_version": "0.2.2",
        "evaluation_id": f"test/{model_id}/{run}",
        "retrieved_timestamp": "1746092400",
        "evaluation_timestamp": "2025-04-30T09:30:00Z",
        "source_metadata": {
            "source_name": source,
            "source_type": "evaluation_run",
            "source_organization_name": "Acme Labs",
            "evaluator_relationship": relationship,
        },
        "model_info": {"name": model_id.split("/")[-1], "id": model_id, "developer": "acme"},
        "evaluation_results": list(results),
    }
    if library is not None:
        data["eval_library"] = {"name": library[0], "version": library[1]}
    return data


MMLU = ("TIGER-Lab/MMLU-Pro", "mmlu_pro/overall")
GSM8K = ("openai/gsm8k", "gsm8k/exact_match")
HLE = ("cais/hle", "hle/accuracy")

ON_MAIN = b"""- dataset:
    id: TIGER-Lab/MMLU-Pro
    task_id: mmlu_pro
  value: 0.4
- dataset:
    id: cais/hle
    task_id: hle
  value: 12.0
"""
IN_PR = b"""- dataset:
    id: openai/gsm8k
    task_id: gsm8k
  value: 50.0
"""


@attrs.frozen
class World:
    config: Config
    localhub: LocalHub


@pytest.fixture
def world(tmp_path: Path, localhub: LocalHub) -> World:
    """A datastore with one model on every Hub status, plus the AetherTOT pair; a seeded Hub."""
    first = record(
        "acme/model-x",  # the records spell it in lower case; the Hub repo is Acme/Model-X
        result(*MMLU, 0.4, dataset_name="MMLU-Pro"),
        result(*GSM8K, 0.5, generation={"generation_args": {"temperature": 0.0}}),
        result(*HLE, 0.1),
        result("Idavidrein/gpqa", "gpqa_diamond/accuracy", 0.3, dataset_name="GPQA Diamond"),
        result("google/IFEval", "ifeval/strict", 0.7, dataset_name="IFEval"),
        library=("lm-evaluation-harness", "0.4.9"),
    )
    second = record(
        "ACME/model-X",
        result(*MMLU, 0.52, dataset_name="MMLU-Pro"),
        source="Acme model card",
        relationship="first_party",
        run=2,
    )
    # A second MMLU-Pro number from another source would make the entry a source conflict; keep
    # it in another collection that the default config does not read.
    build_datastore(
        tmp_path / "ds",
        {
            "runs": [first],
            "hfopenllm_v2": [fixture(AETHER_BF16), fixture(AETHER_FP16)],
            "card": [second],
            "other": [record("someone/else", result(*MMLU, 0.2))],
        },
    )
    storage = localhub.storage
    storage.create_repo(MODEL)
    storage.commit(MODEL, {".eval_results/scores.yaml": ON_MAIN}, message="Add scores")
    storage.open_pr(MODEL, {".eval_results/gsm8k.yaml": IN_PR}, title="Add GSM8K")
    storage.create_repo("Daemontatox/AetherTOT")
    config = Config(
        datastore_input=str(tmp_path / "ds"),
        collections=("runs", "hfopenllm_v2"),
        endpoint_input=localhub.url,
        check_tasks=False,
        cache_dir=tmp_path / "cache",
        plan_dir=tmp_path / "plans",
        base_dir=tmp_path,
    )
    return World(config, localhub)


@pytest.fixture
def hub(world: World) -> Iterator[Hub]:
    with open_hub(world.config) as opened:
        yield opened


def view_of(
    world: World, hub: Hub, query: str, collections: tuple[str, ...] | None = None
) -> ModelReport:
    return gather_model_report(
        query,
        stages=Stages.build(world.config, hub=hub),
        collections=world.config.collections if collections is None else collections,
    )


def group(view: ModelReport, name: str) -> tuple[ResultRow, ...]:
    return next(g for g in view.groups if g.benchmark == name).rows


def published(rows: tuple[ResultRow, ...]) -> ResultRow:
    (row,) = [r for r in rows if r.hub is not None]
    return row


def test_id_in_any_case_resolves_to_the_canonical_repo(world: World, hub: Hub) -> None:
    view = view_of(world, hub, "ACME/MODEL-X")
    assert view.model_id == MODEL
    assert view.recorded_ids == ("acme/model-x",)
    assert view.hub_exists is True
    assert view.hub_url == f"{hub.web_base}/{MODEL}"
    assert view.records == 1


def test_hub_status_per_result_main_pr_conflict_absent(world: World, hub: Hub) -> None:
    view = view_of(world, hub, "acme/model-x")
    mmlu = published(group(view, "MMLU-Pro"))
    assert mmlu.hub is not None and mmlu.hub.status is Status.ALREADY_PRESENT
    assert mmlu.hub.existing[0].location == "main"
    assert mmlu.hub.existing[0].value == pytest.approx(40.0)  # 0.4 on main is 40 on 0–100

    gsm8k = published(group(view, "GSM8K"))
    assert gsm8k.hub is not None and gsm8k.hub.status is Status.PENDING_PR
    pr = gsm8k.hub.existing[0]
    assert (pr.location, pr.pr_num) == ("pr", 1)
    assert pr.pr_url and pr.pr_url.endswith(f"{MODEL}/discussions/1")
    assert [p.num for p in view.open_prs] == [1]

    hle = published(group(view, "Humanity's Last Exam"))
    assert hle.hub is not None and hle.hub.status is Status.SCORE_CONFLICT
    assert hle.value == pytest.approx(10.0)  # ours
    assert [e.value for e in hle.hub.existing] == [pytest.approx(12.0)]  # the Hub's

    gpqa = published(group(view, "GPQA"))
    assert gpqa.hub is not None and gpqa.hub.status is Status.READY
    assert gpqa.metric == "gpqa_diamond (GPQA Diamond)"
    assert gpqa.hub.file_path == ".eval_results/gpqa.yaml"


def test_each_record_of_the_model_is_mapped_once(
    world: World, hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    mapped: list[str] = []
    original = Mapper.map_record

    def counting(self: Mapper, record: Record) -> None:
        mapped.append(record.row.object_path)
        original(self, record)

    monkeypatch.setattr(Mapper, "map_record", counting)
    view = view_of(world, hub, "Daemontatox/AetherTOT")
    assert view.records == 2
    assert len(mapped) == 2 and len(set(mapped)) == 2


def test_result_details_who_ran_it_harness_settings_date_link(world: World, hub: Hub) -> None:
    view = view_of(world, hub, MODEL)
    row = published(group(view, "GSM8K"))
    assert (row.raw_score, row.value) == (0.5, 50.0)
    assert row.source_name == "Acme evals" and row.source_organization == "Acme Labs"
    assert row.evaluator_relationship == "third_party"
    assert (row.harness, row.harness_version) == ("lm-evaluation-harness", "0.4.9")
    assert row.generation == (("temperature", "0"),)
    assert row.date == "2025-04-30"
    assert row.collection == "runs" and row.line == 1
    assert row.datastore_url.endswith(row.object_path)
    assert "/blob/folder-" in row.datastore_url


def test_unpublished_results_are_listed_in_their_own_groups(world: World, hub: Hub) -> None:
    view = view_of(world, hub, MODEL)
    ifeval = group(view, "IFEval")
    assert [(r.metric, r.value, r.hub) for r in ifeval] == [("ifeval/strict", 70.0, None)]
    assert next(g for g in view.groups if g.benchmark == "IFEval").dataset_id == ""
    # Registered benchmarks come first, in registry order; others after.
    names = [g.benchmark for g in view.groups]
    assert names.index("IFEval") > names.index("MMLU-Pro")


def test_grouping_by_benchmark_with_spread(world: World, hub: Hub) -> None:
    """Both collections: two MMLU-Pro numbers for one model sit side by side with the spread."""
    view = view_of(world, hub, MODEL, collections=("runs", "card"))
    rows = group(view, "MMLU-Pro")
    assert sorted((r.value, r.source_name, r.evaluator_relationship) for r in rows) == [
        (pytest.approx(40.0), "Acme evals", "third_party"),
        (pytest.approx(52.0), "Acme model card", "first_party"),
    ]
    (spread,) = next(g for g in view.groups if g.benchmark == "MMLU-Pro").spreads
    assert (spread.metric, spread.count) == ("mmlu_pro", 2)
    assert (spread.low, spread.high, spread.width) == (
        pytest.approx(40.0),
        pytest.approx(52.0),
        pytest.approx(12.0),
    )
    # The records disagree: both rows carry the plan's source_conflict status.
    assert {r.hub.status for r in rows if r.hub is not None} == {Status.SOURCE_CONFLICT}
    assert view.records == 2


def test_duplicate_pair_with_the_settings_that_explain_it(world: World, hub: Hub) -> None:
    view = view_of(world, hub, "daemontatox/aethertot")
    assert view.model_id == "Daemontatox/AetherTOT"
    rows = group(view, "MMLU-Pro")
    assert sorted((r.value, dict(r.generation)["precision"]) for r in rows) == [
        (pytest.approx(37.78), "bfloat16"),
        (pytest.approx(38.04), "float16"),
    ]
    assert {r.hub.status for r in rows if r.hub is not None} == {Status.SOURCE_CONFLICT}
    # The GPQA results name no variant: shown, but marked as not published, with the reason.
    gpqa = group(view, "GPQA")
    assert all(r.hub is None and "variant_unknown" in r.note for r in gpqa)
    assert {s.reason for s in view.skipped} == {"variant_unknown"}


def test_model_without_a_hub_repo_is_datastore_side_only(world: World, hub: Hub) -> None:
    world.localhub.storage.delete_repo(MODEL)
    view = view_of(world, hub, MODEL)
    assert view.hub_exists is False
    assert view.hub_url == "" and view.main_sha == ""
    assert view.model_id == "acme/model-x"  # no canonical id: the datastore's spelling
    statuses = {r.hub.status for g in view.groups for r in g.rows if r.hub is not None}
    assert statuses == {Status.MISSING_HF_MODEL}


def test_unknown_id_is_a_clear_user_error(world: World, hub: Hub) -> None:
    with pytest.raises(UserError) as raised:
        view_of(world, hub, "nobody/nothing")
    message = str(raised.value)
    assert "nobody/nothing" in message and "runs, hfopenllm_v2" in message
    assert raised.value.hint and "--all" in raised.value.hint


def test_repo_on_the_hub_without_records_is_shown_empty(world: World, hub: Hub) -> None:
    world.localhub.storage.create_repo("acme/only-on-hub")
    view = view_of(world, hub, "ACME/only-on-hub")
    assert view.hub_exists is True and view.groups == () and view.records == 0


@pytest.mark.parametrize("query", ["../../etc/passwd", "a/b/c", "", "bad id/x"])
def test_text_that_is_not_a_model_id_is_refused(query: str) -> None:
    with pytest.raises(UserError, match="not a model id"):
        check_model_query(query)


def test_unreachable_hub_entries_are_audit_errors_not_missing(world: World, hub: Hub) -> None:
    world.localhub.set_faults(FaultConfig(rate_5xx=1.0, routes=frozenset({"repo_info"})))
    quick = attrs.evolve(hub, retry=attrs.evolve(hub.retry, attempts=1))
    view = gather_model_report(
        MODEL, stages=Stages.build(world.config, hub=quick), collections=world.config.collections
    )
    assert view.hub_exists is None and "cannot read" in view.hub_error
    statuses = {r.hub.status for g in view.groups for r in g.rows if r.hub is not None}
    assert statuses == {Status.AUDIT_ERROR}


def _row(metric: str, value: float | None) -> ResultRow:
    return ResultRow(
        metric=metric,
        evaluation_name=metric,
        raw_score=value,
        raw_text=str(value),
        value=value,
        source_name="s",
        source_organization="o",
        evaluator_relationship="third_party",
        harness="",
        harness_version="",
        generation=(),
        date=None,
        collection="c",
        line=1,
        object_path="flat/objects/aa/bb/x.json",
        datastore_url="https://example.invalid/x",
        recorded_id="a/b",
        evaluation_id="e",
        result_id="0",
    )


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["mmlu_pro", "MMLU_PRO", "gsm8k", "hle"]),
            st.one_of(st.none(), st.floats(min_value=0, max_value=100)),
        ),
        max_size=30,
    )
)
def test_spread_is_min_max_count_per_metric(pairs: list[tuple[str, float | None]]) -> None:
    spreads = {s.metric.lower(): s for s in _spreads(_row(m, v) for m, v in copy.copy(pairs))}
    expected: dict[str, list[float]] = {}
    for metric, value in pairs:
        if value is not None:
            expected.setdefault(metric.lower(), []).append(value)
    assert set(spreads) == set(expected)
    for metric, values in expected.items():
        spread = spreads[metric]
        assert (spread.count, spread.low, spread.high) == (len(values), min(values), max(values))
        assert spread.width >= 0


# --- Model aliases and backlinks: the same rules as `plan` ---------------------------------------

LLAMA = "meta-llama/Llama-3.1-8B-Instruct"
ALIASES = f"""
[[alias]]
from = "meta/llama-3.1-8b-instruct"
to = "{LLAMA}"

[[alias]]
from = "meta/llama-3.1-8b-instruct-*"
to = "{LLAMA}"
"""


@pytest.fixture
def aliased(tmp_path: Path, localhub: LocalHub) -> Config:
    """HELM-style ids in the datastore; the Hub repo they mean; an alias file for them."""
    build_datastore(
        tmp_path / "ads",
        {
            "helm": [
                record("meta/llama-3.1-8b-instruct", result(*MMLU, 0.44, dataset_name="MMLU-Pro")),
                record(
                    "meta/llama-3.1-8b-instruct-turbo",
                    result(*GSM8K, 0.8),
                    run=2,
                ),
            ]
        },
    )
    localhub.storage.create_repo(LLAMA)
    (tmp_path / "model-aliases.toml").write_text(ALIASES, encoding="utf-8")
    return Config(
        datastore_input=str(tmp_path / "ads"),
        collections=("helm",),
        endpoint_input=localhub.url,
        check_tasks=False,
        cache_dir=tmp_path / "cache",
        base_dir=tmp_path,
        alias_file=tmp_path / "model-aliases.toml",
    )


def _gather(config: Config, query: str) -> ModelReport:
    with open_hub(config) as hub:
        stages = Stages.build(config, hub=hub)
        return gather_model_report(query, stages=stages, collections=config.collections)


def test_records_an_alias_maps_show_under_its_repo(aliased: Config) -> None:
    view = _gather(aliased, LLAMA.upper())
    assert view.model_id == LLAMA and view.hub_exists is True
    assert view.aliased_ids == ("meta/llama-3.1-8b-instruct", "meta/llama-3.1-8b-instruct-turbo")
    assert view.records == 2
    mmlu = published(group(view, "MMLU-Pro"))
    assert mmlu.hub is not None and mmlu.hub.status is Status.READY
    assert mmlu.recorded_id == "meta/llama-3.1-8b-instruct"
    # The -turbo id is a Together deployment: its alias needs the user's permission, as in plan.
    (gsm8k,) = group(view, "GSM8K")
    assert gsm8k.hub is None and "deployment_alias_not_allowed" in gsm8k.note
    # The recorded id typed as the query means the repo its alias names.
    assert _gather(aliased, "meta/llama-3.1-8b-instruct").model_id == LLAMA


def test_a_deployment_alias_the_user_allows_is_published(aliased: Config) -> None:
    view = _gather(attrs.evolve(aliased, allow_deployments=("together",)), LLAMA)
    gsm8k = published(group(view, "GSM8K"))
    assert gsm8k.hub is not None and gsm8k.hub.status is Status.READY


def test_without_the_alias_file_the_recorded_ids_are_not_this_model(aliased: Config) -> None:
    assert aliased.alias_file is not None
    aliased.alias_file.unlink()
    view = _gather(aliased, LLAMA)  # the repo exists, but no record names it
    assert view.records == 0 and view.aliased_ids == ()


def test_alias_label_in_every_format(aliased: Config) -> None:
    view = _gather(aliased, LLAMA)
    console = Console(record=True, width=200)
    render_model_report(view, console, "text")
    recorded = "recorded as meta/llama-3.1-8b-instruct, meta/llama-3.1-8b-instruct-turbo (alias)"
    assert recorded in console.export_text()
    assert recorded in render_model_markdown(view)
    assert '"aliased_ids"' in render_model_json(view)


def test_a_link_that_would_not_resolve_is_not_published(tmp_path: Path, localhub: LocalHub) -> None:
    """A folder pinned to a Hub commit: once the local object differs from the Hub's at that
    commit, its result is not published, with plan's reason (links verified as `plan` does)."""
    api = HfApi(endpoint=localhub.url, token="x")
    folder = write_datastore(tmp_path / "ds", {"c": [mmlu_overall_record(MODEL, 0.5)]})
    sha = upload_datastore(api, folder, "evaleval/EEE_datastore")
    api.create_repo(MODEL)
    config = Config(
        datastore_input=str(folder),
        datastore_link_revision=sha,
        collections=("c",),
        endpoint_input=localhub.url,
        check_tasks=False,
        cache_dir=tmp_path / "cache",
        base_dir=tmp_path,
    )
    (row,) = group(_gather(config, MODEL), "MMLU-Pro")
    assert row.hub is not None and row.hub.status is Status.READY
    assert f"/blob/{sha}/" in row.datastore_url

    index = folder / "flat/indexes/by_collection/c.jsonl"
    (entry,) = [json.loads(line) for line in index.read_text().splitlines()]
    changed = mmlu_overall_record(MODEL, 0.6)  # the local copy no longer matches the Hub's
    (folder / entry["object_path"]).write_bytes(changed)
    entry.update(sha256=hashlib.sha256(changed).hexdigest(), size_bytes=len(changed))
    index.write_text(json.dumps(entry) + "\n")
    view = _gather(config, MODEL)
    (row,) = group(view, "MMLU-Pro")
    assert row.hub is None and row.note == "not published: source_link_differs"
    assert [s.reason for s in view.skipped] == ["source_link_differs"]
