"""plan/diff.py: desired entries + a hand-built RepoState → RepoPlan, one status per entry."""

from __future__ import annotations

import random

import attrs
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from eeesync.hub.state import EvalFile, PullRequestState, RepoState, parse_eval_file
from eeesync.plan.diff import (
    action_id,
    decided_by_main,
    diff_repo,
    matches,
    normalised_value,
    same_value,
)
from eeesync.plan.model import DesiredEntry, EvalEntry, Provenance, Status

REPO = "Acme/Model-7B"
MAIN = "a" * 40
HEAD = "b" * 40
WEB = "https://huggingface.co"


def want(
    benchmark: str = "mmlu_pro",
    value: float = 41.2,
    *,
    notes: str | None = None,
    line: int = 1,
    repo: str = "acme/model-7b",
) -> DesiredEntry:
    dataset, task, aliases = {
        "mmlu_pro": ("TIGER-Lab/MMLU-Pro", "mmlu_pro", ()),
        "gpqa": ("Idavidrein/gpqa", "gpqa_diamond", ("diamond",)),
        "hle": ("cais/hle", "hle", ()),
    }[benchmark]
    return DesiredEntry(
        repo_id=repo,
        benchmark=benchmark,
        file_path=f".eval_results/{benchmark}.yaml",
        entry=EvalEntry(
            dataset_id=dataset,
            task_id=task,
            value=value,
            date="2025-01-15",
            source_url=f"https://huggingface.co/datasets/evaleval/EEE/blob/c/flat/{line}.json",
            source_name="EvalEval",
            notes=notes,
        ),
        task_aliases=aliases,
        provenance=Provenance(
            collection="c", line=line, object_path=f"flat/{line}.json", sha256="0"
        ),
    )


def file(path: str, text: str) -> EvalFile:
    return parse_eval_file(path, text.encode())


def item(dataset: str, task: str, value: object, notes: str | None = None) -> str:
    extra = f"\n  notes: {notes}" if notes else ""
    return f"- dataset: {{id: {dataset}, task_id: {task}}}\n  value: {value}{extra}\n"


def state(*main: EvalFile, prs: tuple[PullRequestState, ...] = (), **kw: object) -> RepoState:
    base = RepoState(
        requested_ids=("acme/model-7b",),
        repo_id=REPO,
        main_sha=MAIN,
        main_files=main,
        prs=prs,
        prs_checked=True,
    )
    return attrs.evolve(base, **kw)


def pr(*files: EvalFile, num: int = 3, status: str = "open", error: str = "") -> PullRequestState:
    return PullRequestState(
        num, status, "Add evals", f"{WEB}/{REPO}/discussions/{num}", HEAD, files, error
    )


def statuses(plan: object) -> list[Status]:
    return [e.status for e in plan.entries]  # type: ignore[attr-defined]


# --- each status -------------------------------------------------------------------------------


def test_ready_entry_becomes_a_new_file_with_preconditions() -> None:
    plan = diff_repo([want()], state(), web_base=WEB)
    assert statuses(plan) == [Status.READY]
    assert plan.repo_id == REPO and plan.requested_ids == ("acme/model-7b",)
    (change,) = plan.files
    assert change.path == ".eval_results/mmlu_pro.yaml" and change.base_blob_id is None
    assert yaml.safe_load(change.content)[0]["value"] == 41.2
    assert plan.preconditions is not None and plan.preconditions.main_sha == MAIN
    assert [(b.path, b.blob_id) for b in plan.preconditions.file_blobs] == [(change.path, None)]
    assert plan.action_id == action_id(REPO, plan.files) and len(plan.action_id) == 16
    assert "not on the Hub" in plan.entries[0].reason


def test_same_score_on_main_on_the_0_to_1_scale_in_another_file_is_already_present() -> None:
    main = file(".eval_results/results.yaml", item("tiger-lab/mmlu-pro", "mmlu_pro", 0.412))
    plan = diff_repo([want(value=41.2)], state(main), web_base=WEB)
    (entry,) = plan.entries
    assert entry.status is Status.ALREADY_PRESENT
    assert entry.existing[0].value == pytest.approx(41.2)
    assert entry.existing[0].raw_value == "0.412"
    assert entry.existing[0].url == f"{WEB}/{REPO}/blob/{MAIN}/.eval_results/results.yaml"
    assert "results.yaml" in entry.reason
    assert not plan.files and plan.action_id == ""


def test_different_score_on_main_is_a_conflict_with_both_values_and_a_diff() -> None:
    main = file(".eval_results/mmlu_pro.yaml", item("TIGER-Lab/MMLU-Pro", "mmlu_pro", 38.0))
    plan = diff_repo([want(value=41.2)], state(main), web_base=WEB)
    (entry,) = plan.entries
    assert entry.status is Status.SCORE_CONFLICT
    assert "38" in entry.reason and "41.2" in entry.reason and "main" in entry.reason
    assert entry.existing[0].location == "main" and entry.existing[0].value == 38.0
    assert "Hub 38.0 vs ours 41.2" in entry.diff
    assert not plan.files


def test_same_score_in_a_draft_pr_is_pending() -> None:
    in_pr = file(".eval_results/mmlu_pro.yaml", item("TIGER-Lab/MMLU-Pro", "mmlu_pro", 41.2))
    plan = diff_repo([want()], state(prs=(pr(in_pr, status="draft"),)), web_base=WEB)
    (entry,) = plan.entries
    assert entry.status is Status.PENDING_PR
    assert entry.existing[0].pr_num == 3 and entry.existing[0].location == "pr"
    assert entry.existing[0].url == f"{WEB}/{REPO}/blob/{HEAD}/.eval_results/mmlu_pro.yaml"
    assert "#3" in entry.reason
    assert plan.preconditions is not None
    assert [(p.num, p.status, p.head_sha) for p in plan.preconditions.open_prs] == [
        (3, "draft", HEAD)
    ]


def test_different_score_in_an_open_pr_is_a_conflict() -> None:
    in_pr = file(".eval_results/x.yaml", item("TIGER-Lab/MMLU-Pro", "mmlu_pro", 12))
    plan = diff_repo([want()], state(prs=(pr(in_pr),)), web_base=WEB)
    (entry,) = plan.entries
    assert entry.status is Status.SCORE_CONFLICT
    assert "PR #3" in entry.reason and "12" in entry.reason


def test_missing_repo_and_unreadable_repo() -> None:
    gone = RepoState(("ghost/model",), "ghost/model", exists=False)
    plan = diff_repo([want(repo="ghost/model")], gone, web_base=WEB)
    assert statuses(plan) == [Status.MISSING_HF_MODEL]
    assert plan.preconditions is None and not plan.files
    broken = RepoState(("acme/m",), "acme/m", error="cannot read acme/m: HTTP 429")
    plan = diff_repo([want(repo="acme/m")], broken, web_base=WEB)
    assert statuses(plan) == [Status.AUDIT_ERROR]
    assert "429" in plan.entries[0].reason and "429" in plan.audit_error


def test_unlistable_prs_are_an_audit_error_only_for_entries_main_does_not_decide() -> None:
    main = file(".eval_results/hle.yaml", item("cais/hle", "hle", 9.1))
    st_ = state(main, pr_error="cannot list open PRs: HTTP 503")
    plan = diff_repo([want("hle", 9.1), want("mmlu_pro")], st_, web_base=WEB)
    by_bench = {e.desired.benchmark: e.status for e in plan.entries}
    assert by_bench == {"hle": Status.ALREADY_PRESENT, "mmlu_pro": Status.AUDIT_ERROR}
    assert not plan.files


def test_source_conflict_groups_need_no_audit() -> None:
    group = (want(value=41.2, line=1), want(value=40.0, line=2))
    plan = diff_repo([], None, conflicts=[group], web_base=WEB)
    (entry,) = plan.entries
    assert entry.status is Status.SOURCE_CONFLICT
    assert entry.conflicting_values == (40.0, 41.2)
    assert "2 datastore records disagree" in entry.reason
    assert plan.preconditions is None and plan.repo_id == "acme/model-7b"


# --- malformed files block only what they could hide -------------------------------------------


def test_malformed_file_blocks_its_own_entries_and_mentions_not_other_benchmarks() -> None:
    bad = file(".eval_results/gpqa.yaml", "- dataset: {id: Idavidrein/gpqa\n  value: [\n")
    hle_mention = file(".eval_results/misc.yaml", "this: is not a list\n# cais/hle 9.0\n")
    good = file(".eval_results/mmlu_pro.yaml", item("TIGER-Lab/MMLU-Pro", "mmlu_pro", 30))
    st_ = state(bad, hle_mention, good)
    plan = diff_repo([want("gpqa", 50), want("hle", 9), want("mmlu_pro", 30)], st_, web_base=WEB)
    by_bench = {e.desired.benchmark: e for e in plan.entries}
    assert by_bench["gpqa"].status is Status.AUDIT_ERROR
    assert ".eval_results/gpqa.yaml" in by_bench["gpqa"].reason
    assert by_bench["hle"].status is Status.AUDIT_ERROR
    assert "misc.yaml" in by_bench["hle"].reason
    assert by_bench["mmlu_pro"].status is Status.ALREADY_PRESENT
    assert "gpqa.yaml" in plan.audit_error


def test_malformed_file_next_to_a_valid_one_leaves_other_entries_ready() -> None:
    bad = file(".eval_results/gpqa.yaml", "{not: a list}\n")
    plan = diff_repo([want("hle", 9), want("gpqa", 50)], state(bad), web_base=WEB)
    by_bench = {e.desired.benchmark: e.status for e in plan.entries}
    assert by_bench == {"hle": Status.READY, "gpqa": Status.AUDIT_ERROR}
    assert [f.path for f in plan.files] == [".eval_results/hle.yaml"]


def test_an_undownloadable_file_could_hold_anything() -> None:
    lost = EvalFile(".eval_results/x.yaml", None, error="x.yaml: cannot download", unreadable=True)
    plan = diff_repo([want("hle", 9)], state(lost), web_base=WEB)
    assert statuses(plan) == [Status.AUDIT_ERROR]


def test_malformed_pr_file_blocks_only_what_it_could_hold() -> None:
    bad = file(".eval_results/hle.yaml", "- [unclosed\n")
    plan = diff_repo([want("hle", 9), want("mmlu_pro")], state(prs=(pr(bad),)), web_base=WEB)
    by_bench = {e.desired.benchmark: e for e in plan.entries}
    assert by_bench["hle"].status is Status.AUDIT_ERROR and "PR #3" in by_bench["hle"].reason
    assert by_bench["mmlu_pro"].status is Status.READY


# --- merging into the file on main -------------------------------------------------------------


def test_ready_entry_is_merged_into_the_existing_target_file() -> None:
    text = "# ours\n" + item("TIGER-Lab/MMLU-Pro", "mmlu_pro", 55, notes="With tools")
    main = file(".eval_results/mmlu_pro.yaml", text)
    plan = diff_repo([want(value=41.2)], state(main), web_base=WEB)
    assert statuses(plan) == [Status.READY]  # different notes: a different leaderboard entry
    (change,) = plan.files
    assert change.content.startswith(text)
    assert change.base_blob_id == main.blob_id and change.added == 1
    # Where our entry landed is recorded (for people): after main's bytes, to the end.
    assert change.added_span == (len(text.encode()), len(change.content.encode()))
    assert plan.preconditions is not None
    assert plan.preconditions.file_blobs[0].blob_id == main.blob_id


def test_two_records_with_the_same_score_write_one_item() -> None:
    plan = diff_repo([want(line=1), want(line=2)], state(), web_base=WEB)
    assert statuses(plan) == [Status.READY, Status.READY]
    (change,) = plan.files
    assert change.added == 1 and len(yaml.safe_load(change.content)) == 1


def test_a_file_merge_cannot_extend_turns_its_entries_into_audit_errors() -> None:
    weird = file(".eval_results/mmlu_pro.yaml", item("cais/hle", "hle", 9) + "...\n")
    plan = diff_repo([want()], state(weird), web_base=WEB)
    assert statuses(plan) == [Status.AUDIT_ERROR]
    assert "cannot add it" in plan.entries[0].reason and not plan.files


def test_action_id_changes_with_the_content_and_is_stable() -> None:
    one = diff_repo([want(value=41.2)], state(), web_base=WEB)
    two = diff_repo([want(value=41.3)], state(), web_base=WEB)
    assert one.action_id == diff_repo([want(value=41.2)], state(), web_base=WEB).action_id
    assert one.action_id != two.action_id


# --- matching rules ----------------------------------------------------------------------------


def test_matching_uses_aliases_case_and_notes() -> None:
    gpqa = want("gpqa", 41.2)
    (alias,) = file("f.yaml", item("IDAVIDREIN/GPQA", "diamond", 41.2)).entries
    (other_task,) = file("f.yaml", item("Idavidrein/gpqa", "gpqa_main", 41.2)).entries
    (tools,) = file("f.yaml", item("Idavidrein/gpqa", "gpqa_diamond", 41.2, "With tools")).entries
    assert matches(gpqa, alias)
    assert not matches(gpqa, other_task)
    assert not matches(gpqa, tools)
    assert matches(want("gpqa", 41.2, notes="with  TOOLS"), tools)


def test_an_existing_entry_without_notes_is_the_same_leaderboard_as_ours_with_notes() -> None:
    # HF's own GPQA entries name no notes; ours say "GPQA Diamond": one score, not two.
    (plain,) = file("gpqa.yaml", item("Idavidrein/gpqa", "gpqa_diamond", 41.2)).entries
    assert matches(want("gpqa", 41.2, notes="GPQA Diamond"), plain)
    (tools,) = file("f.yaml", item("Idavidrein/gpqa", "gpqa_diamond", 41.2, "With tools")).entries
    assert not matches(want("gpqa", 41.2, notes="GPQA Diamond"), tools)
    main = file(".eval_results/gpqa.yaml", item("Idavidrein/gpqa", "gpqa_diamond", 41.2))
    plan = diff_repo([want("gpqa", 50.0, notes="GPQA Diamond")], state(main), web_base=WEB)
    assert statuses(plan) == [Status.SCORE_CONFLICT]


def test_a_setup_entry_meets_hub_entries_by_their_notes() -> None:
    """How an entry with a setup (notes) meets the Hub's entries (README "Setups and notes"):
    a note-less Hub entry did not name its setup, so it is the same leaderboard entry as any of
    ours (same score → already_present, other score → score_conflict for a reviewer, never a
    second entry shown beside it); a Hub entry with notes matches only the same notes."""
    agent = "agent: Terminus 2"
    (plain,) = file("f.yaml", item("Idavidrein/gpqa", "gpqa_diamond", 41.2)).entries
    (other,) = file(
        "f.yaml", item("Idavidrein/gpqa", "gpqa_diamond", 41.2, '"agent: Codex"')
    ).entries
    (same,) = file(
        "f.yaml", item("Idavidrein/gpqa", "gpqa_diamond", 41.2, '"AGENT:  terminus 2"')
    ).entries
    assert matches(want("gpqa", 41.2, notes=agent), plain)
    assert not matches(want("gpqa", 41.2, notes=agent), other)
    assert matches(want("gpqa", 41.2, notes=agent), same)
    main = file(".eval_results/gpqa.yaml", item("Idavidrein/gpqa", "gpqa_diamond", 41.2))
    two = [want("gpqa", 41.2, notes=agent), want("gpqa", 30.0, notes="agent: Codex", line=2)]
    plan = diff_repo(two, state(main), web_base=WEB)
    assert sorted(statuses(plan)) == sorted([Status.ALREADY_PRESENT, Status.SCORE_CONFLICT])
    tagged = file(
        ".eval_results/gpqa.yaml", item("Idavidrein/gpqa", "gpqa_diamond", 41.2, f'"{agent}"')
    )
    plan = diff_repo(two, state(tagged), web_base=WEB)
    assert sorted(statuses(plan)) == sorted([Status.ALREADY_PRESENT, Status.READY])


def test_a_dataset_alias_is_the_same_dataset() -> None:
    ours = attrs.evolve(want("hle", 41.2), dataset_aliases=("CAIS/HLE-alias",))
    (alias,) = file("f.yaml", item("cais/hle-ALIAS", "hle", 41.2)).entries
    (unrelated,) = file("f.yaml", item("cais/other", "hle", 41.2)).entries
    assert matches(ours, alias) and not matches(ours, unrelated)
    assert not matches(want("hle", 41.2), alias)


def test_tolerance_is_configurable() -> None:
    main = file(".eval_results/mmlu_pro.yaml", item("TIGER-Lab/MMLU-Pro", "mmlu_pro", 41.25))
    loose = diff_repo([want(value=41.2)], state(main), tolerance=0.1, web_base=WEB)
    strict = diff_repo([want(value=41.2)], state(main), tolerance=0.01, web_base=WEB)
    assert statuses(loose) == [Status.ALREADY_PRESENT]
    assert statuses(strict) == [Status.SCORE_CONFLICT]


def test_unreadable_existing_value_is_a_conflict_not_a_match() -> None:
    main = file(".eval_results/mmlu_pro.yaml", item("TIGER-Lab/MMLU-Pro", "mmlu_pro", "n/a"))
    plan = diff_repo([want()], state(main), web_base=WEB)
    (entry,) = plan.entries
    assert entry.status is Status.SCORE_CONFLICT and entry.existing[0].value is None
    assert "not a number" in entry.reason


def test_decided_by_main_tells_the_audit_when_prs_are_not_needed() -> None:
    main = file(".eval_results/hle.yaml", item("cais/hle", "hle", 9.1))
    unchecked = state(main, prs_checked=False)
    assert decided_by_main([want("hle", 9.1)], unchecked, tolerance=0.005)
    assert decided_by_main([want("hle", 20)], unchecked, tolerance=0.005)  # conflict on main
    assert not decided_by_main([want("hle", 9.1), want("mmlu_pro")], unchecked, tolerance=0.005)
    missing = RepoState(("x/y",), "x/y", exists=False)
    assert decided_by_main([want()], missing, tolerance=0.005)


@given(st.floats(0, 1, allow_nan=False), st.floats(0.001, 1, allow_nan=False))
def test_a_fraction_equals_its_percentage(fraction: float, tolerance: float) -> None:
    percent = fraction * 100
    if percent > 1:
        assert same_value(fraction, percent, tolerance)
        assert normalised_value(fraction, percent) == pytest.approx(percent)
    assert same_value(percent, percent, tolerance)
    assert not same_value(None, percent, tolerance)


@pytest.mark.slow
@given(st.randoms(use_true_random=False))
def test_the_plan_does_not_depend_on_input_order(rng: random.Random) -> None:
    main = file(".eval_results/hle.yaml", item("cais/hle", "hle", 9.1))
    entries = [want("hle", 9.1, line=1), want("mmlu_pro", 41.2, line=2), want("gpqa", 3, line=3)]
    entries += [want("gpqa", 3, notes="With tools", line=4)]
    expected = diff_repo(entries, state(main), web_base=WEB)
    shuffled = entries[:]
    rng.shuffle(shuffled)
    assert diff_repo(shuffled, state(main), web_base=WEB) == expected


# --- the conflict's difference, in a researcher's words (issue 14 §5f) ------------------------


def test_a_conflict_difference_reads_like_a_researcher_would_say_it() -> None:
    main = file(".eval_results/mmlu_pro.yaml", item("TIGER-Lab/MMLU-Pro", "mmlu_pro", 46.2))
    (entry,) = diff_repo([want(value=44.35)], state(main), web_base=WEB).entries
    assert entry.diff == (
        "main (.eval_results/mmlu_pro.yaml): Hub 46.2 vs ours 44.35; "
        "date added (2025-01-15); source link added"
    )
    assert "root[" not in entry.diff and "NoneType" not in entry.diff


def test_a_conflict_difference_names_each_changed_field() -> None:
    text = (
        "- dataset: {id: TIGER-Lab/MMLU-Pro, task_id: mmlu_pro}\n  value: 0.38\n"
        "  date: '2024-03-01'\n  source: {url: 'https://x.org/run', name: X}\n"
    )
    in_pr = file(".eval_results/mmlu_pro.yaml", text)
    (entry,) = diff_repo(
        [want(value=41.2, notes="5-shot")], state(prs=(pr(in_pr),)), web_base=WEB
    ).entries
    assert entry.status is Status.SCORE_CONFLICT
    assert entry.diff == (
        "PR #3 (.eval_results/mmlu_pro.yaml): Hub 0.38 (= 38 on the 0–100 scale) vs ours 41.2; "
        "notes added ('5-shot'); date 2024-03-01 on the Hub vs ours 2025-01-15; "
        "source link differs (https://x.org/run on the Hub)"
    )
