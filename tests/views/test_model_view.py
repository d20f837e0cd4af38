"""`eeesync/views/model_view.py`: the model view as text (80 columns), markdown and JSON.

Views are tested with hand-built `ModelReport` values (Alembic's render tests): no Hub, no files.
"""

from __future__ import annotations

import io
import json

import attrs
import pytest
from rich.console import Console

from eeesync.hub.state import HubEntry
from eeesync.model_report import (
    Badge,
    BenchmarkGroup,
    HubOnlyEntry,
    HubStatus,
    ModelReport,
    ResultRow,
    Spread,
)
from eeesync.plan.model import Existing, OpenPullRequest, SkippedItem, Status
from eeesync.views.model_view import (
    JSON_VERSION,
    hub_label,
    render_model_json,
    render_model_markdown,
    render_model_report,
)

HUB = "https://huggingface.co"
MODEL = "01-ai/Yi-1.5-34B-Chat"
PR_URL = f"{HUB}/{MODEL}/discussions/3"


def row(
    metric: str, value: float, raw: float, *, hub: HubStatus | None = None, **kw: object
) -> ResultRow:
    fields: dict[str, object] = {
        "metric": metric,
        "evaluation_name": metric,
        "raw_score": raw,
        "raw_text": f"{raw:g}",
        "value": value,
        "source_name": "MMLU-Pro Leaderboard",
        "source_organization": "TIGER-Lab",
        "evaluator_relationship": "third_party",
        "harness": "lm-evaluation-harness",
        "harness_version": "0.4.9",
        "generation": (("num_fewshot", "5"), ("temperature", "0")),
        "date": "2025-04-30",
        "collection": "MMLU-Pro",
        "line": 1,
        "object_path": "flat/objects/67/6f/676f4465-ce78-411a-9f5a-c97b3d2eac4f.json",
        "datastore_url": f"{HUB}/datasets/evaleval/EEE_datastore/blob/abc/flat/objects/x.json",
        "recorded_id": "01-ai/yi-1.5-34b-chat",
        "evaluation_id": "mmlu-pro/01-ai_yi-1.5-34b-chat/1",
        "result_id": "mmlu_pro/overall",
        "hub": hub,
    }
    fields.update(kw)
    return ResultRow(**fields)  # type: ignore[arg-type]


def on_main(value: float, raw: str) -> Existing:
    return Existing(
        "main", ".eval_results/leaderboard.yaml", value, raw, url=f"{HUB}/{MODEL}/blob/x"
    )


def in_pr(value: float) -> Existing:
    return Existing("pr", ".eval_results/mmlu_pro.yaml", value, f"{value:g}", 3, PR_URL)


def make_view(**changes: object) -> ModelReport:
    mmlu_rows = (
        row(
            "mmlu_pro",
            63.7,
            0.637,
            hub=HubStatus(Status.ALREADY_PRESENT, "main has it", (on_main(63.7, "0.637"),)),
        ),
        row(
            "mmlu_pro",
            48.8,
            0.488,
            source_name="HF Open LLM v2",
            source_organization="Hugging Face",
            evaluator_relationship="first_party",
            generation=(("precision", "bfloat16"),),
            collection="hfopenllm_v2",
            line=7,
            hub=HubStatus(Status.PENDING_PR, "in PR", (in_pr(48.8),)),
        ),
        row(
            "mmlu_pro/biology",
            71.41,
            0.7141,
            note="not published: not the record's headline result",
        ),
    )
    groups = (
        BenchmarkGroup(
            "MMLU-Pro",
            "mmlu_pro",
            "TIGER-Lab/MMLU-Pro",
            mmlu_rows,
            (Spread("mmlu_pro", 2, 48.8, 63.7), Spread("mmlu_pro/biology", 1, 71.41, 71.41)),
        ),
        BenchmarkGroup(
            "HLE",
            "hle",
            "cais/hle",
            (
                row(
                    "hle",
                    10.0,
                    0.1,
                    hub=HubStatus(Status.SCORE_CONFLICT, "differs", (on_main(12.0, "12.0"),)),
                ),
            ),
            (Spread("hle", 1, 10.0, 10.0),),
        ),
        BenchmarkGroup(
            "GSM8K",
            "gsm8k",
            "openai/gsm8k",
            (
                row(
                    "gsm8k",
                    80.71,
                    0.8071,
                    hub=HubStatus(Status.READY, "absent", file_path=".eval_results/gsm8k.yaml"),
                ),
            ),
            (Spread("gsm8k", 1, 80.71, 80.71),),
        ),
        BenchmarkGroup(
            "IFEval | strict",
            "",
            "",
            (row("ifeval", 70.0, 0.7),),
            (Spread("ifeval", 1, 70.0, 70.0),),
        ),
    )
    view = ModelReport(
        query="01-ai/yi-1.5-34b-chat",
        model_id=MODEL,
        recorded_ids=("01-ai/yi-1.5-34b-chat",),
        hub_exists=True,
        hub_error="",
        hub_url=f"{HUB}/{MODEL}",
        main_sha="90d224f0" * 5,
        open_prs=(OpenPullRequest(3, "open", "b" * 40, "Add MMLU-Pro", PR_URL),),
        datastore="evaleval/EEE_datastore",
        datastore_revision="abc123",
        collections=("MMLU-Pro", "hfopenllm_v2"),
        groups=groups,
        skipped=(SkippedItem("api_only_model", "openai/gpt-4o: provider 'openai' is API-only"),),
        records=3,
    )
    return attrs.evolve(view, **changes)


def text_of(view: ModelReport, width: int = 80) -> str:
    out = io.StringIO()
    console = Console(file=out, width=width, no_color=True, highlight=False)
    render_model_report(view, console, "text")
    return out.getvalue()


def test_text_view_fits_80_columns_and_groups_by_benchmark() -> None:
    text = text_of(make_view())
    assert max(len(line) for line in text.splitlines()) <= 80
    order = [text.index(name) for name in ("MMLU-Pro", "HLE", "GSM8K", "IFEval")]
    assert order == sorted(order)
    assert "spread mmlu_pro: 2 results, 48.8–63.7 (spread 14.9)" in text
    # A single result has no spread worth a line.
    assert "spread hle" not in text
    assert "recorded as 01-ai/yi-1.5-34b-chat" in text
    assert "1 open PR" in text


def test_text_view_shows_the_settings_that_explain_a_difference() -> None:
    text = text_of(make_view())
    assert "precision=bfloat16" in text
    assert "first party" in text and "third party" in text
    assert "lm-evaluation-harness" in text and "0.4.9" in text
    assert "2025-04-30" in text
    assert "MMLU-Pro:1" in text and "hfopenllm_v2:7" in text  # datastore locations


@pytest.mark.parametrize(
    ("metric", "expected"),
    [
        ("mmlu_pro", "on main (leaderboard.yaml)"),
        ("hle", "conflict: the Hub has 12 in main (leaderboard.yaml)"),
        ("gsm8k", "absent: plan opens a PR adding it to gsm8k.yaml"),
        ("ifeval", "not a Community Evals benchmark"),
    ],
)
def test_hub_labels(metric: str, expected: str) -> None:
    view = make_view()
    found = next(r for g in view.groups for r in g.rows if r.metric == metric)
    assert hub_label(found) == expected


def test_pending_label_names_the_pr() -> None:
    pending = next(
        r
        for g in make_view().groups
        for r in g.rows
        if r.hub is not None and r.hub.status is Status.PENDING_PR
    )
    assert hub_label(pending) == "in open PR #3"


def test_no_hub_repo_is_clearly_marked() -> None:
    text = text_of(
        make_view(hub_exists=False, hub_url="", main_sha="", open_prs=(), model_id="a/b")
    )
    assert "no model repo named a/b — datastore side only" in text


def test_unreadable_hub_is_marked() -> None:
    text = text_of(make_view(hub_exists=None, hub_error="cannot read x: HTTP 503"))
    assert "could not be read: cannot read x: HTTP 503" in text


def test_empty_view_suggests_all() -> None:
    text = text_of(make_view(groups=(), records=0))
    assert "No results for this model" in text and "--all" in text


def test_markdown_has_a_table_per_benchmark_with_links() -> None:
    md = render_model_markdown(make_view())
    assert md.startswith(f"## [{MODEL}](<{HUB}/{MODEL}>)")
    assert md.count("| Metric | Score (0–100) |") == 4
    assert f"[in open PR \\#3](<{PR_URL}>)" in md
    assert "- spread mmlu\\_pro: 2 results, 48.8–63.7 (spread 14.9)" in md
    assert "### IFEval \\| strict" in md  # a pipe never breaks the table
    assert "`api_only_model`" in md
    for line in md.splitlines():
        if line.startswith("| mmlu"):
            assert line.count(" | ") == 9  # ten cells


def test_json_is_the_whole_view_with_a_version() -> None:
    data = json.loads(render_model_json(make_view()))
    assert (data["kind"], data["version"]) == ("eeesync.model_view", JSON_VERSION)
    assert data["model_id"] == MODEL
    groups = {g["benchmark"]: g for g in data["groups"]}
    first = groups["MMLU-Pro"]["rows"][0]
    assert first["hub"]["status"] == "already_present"
    assert first["hub"]["existing"][0]["value"] == 63.7
    assert groups["MMLU-Pro"]["spreads"][0] == {
        "metric": "mmlu_pro",
        "count": 2,
        "low": 48.8,
        "high": 63.7,
    }
    assert groups["IFEval | strict"]["rows"][0]["hub"] is None


def test_json_and_markdown_are_printed_verbatim() -> None:
    view = make_view()
    for fmt, expected in (
        ("json", render_model_json(view)),
        ("markdown", render_model_markdown(view)),
    ):
        out = io.StringIO()
        render_model_report(view, Console(file=out, width=40), fmt)  # type: ignore[arg-type]
        assert out.getvalue() == expected


def _subjects(count: int) -> tuple[ResultRow, ...]:
    """`count` sub-scores of the first MMLU-Pro run (the same record as its headline)."""
    return tuple(
        row(
            f"mmlu_pro/subject_{i:02}",
            40.0 + i,
            (40.0 + i) / 100,
            note="not published: not the record's headline result",
            sub_score=True,
            result_id=f"mmlu_pro/subject_{i:02}",
        )
        for i in range(count)
    )


def folded_view() -> ModelReport:
    view = make_view()
    mmlu = view.groups[0]
    subjects = _subjects(14)
    spreads = mmlu.spreads + tuple(
        Spread(r.metric, 1, r.value or 0, r.value or 0) for r in subjects
    )
    folded = attrs.evolve(mmlu, rows=mmlu.rows[:2] + subjects, spreads=spreads)
    return attrs.evolve(view, groups=(folded, *view.groups[1:]))


def markdown_of(view: ModelReport, *, all_metrics: bool = False) -> str:
    out = io.StringIO()
    console = Console(file=out, width=80, no_color=True, highlight=False)
    render_model_report(view, console, "markdown", all_metrics=all_metrics)
    return out.getvalue()


def test_a_runs_sub_scores_fold_into_one_line_under_its_headline() -> None:
    view = folded_view()
    text = text_of(view)
    assert "14 sub-scores" in text and "(40–53)" in text
    assert "headline result" not in text and "subject_" not in text
    assert "14 sub-scores folded (--all-metrics)" in " ".join(text.split())
    # right after the run's headline row, before the other source's row
    body = text[text.index("Metric") :]
    assert body.index("63.7") < body.index("14 sub-scores") < body.index("48.8")

    everything = io.StringIO()
    console = Console(file=everything, width=120, no_color=True, highlight=False)
    render_model_report(view, console, "text", all_metrics=True)
    listed = everything.getvalue()
    assert all(f"subject_{i:02}" in listed for i in range(14)) and "sub-scores" not in listed

    def lines(out: str) -> int:
        return len(out[out.index("MMLU-Pro  ") : out.index("HLE  ")].splitlines())

    assert lines(listed) - lines(text_of(view, width=120)) >= 25  # 28 lines → 2


def test_markdown_folds_sub_scores_and_their_spreads() -> None:
    view = folded_view()
    folded = markdown_of(view)
    assert "| 14 sub\\-scores (40–53) |" in folded or "| 14 sub-scores (40–53) |" in folded
    assert "subject" not in folded and "14 sub-scores folded" in folded
    listed = markdown_of(view, all_metrics=True)
    assert listed.count("subject\\_") >= 28  # each row and its spread line
    assert "folded" not in listed


def test_json_lists_every_result_and_marks_the_sub_scores() -> None:
    data = json.loads(render_model_json(folded_view()))
    rows = data["groups"][0]["rows"]
    assert [r["sub_score"] for r in rows] == [False, False] + [True] * 14


def test_badges_of_hub_entries_in_every_format() -> None:
    verified = HubStatus(
        Status.ALREADY_PRESENT,
        "main has it",
        (on_main(63.7, "0.637"), in_pr(63.7)),
        badges=(Badge("author", verified=True), Badge("community")),
    )
    first = attrs.evolve(make_view().groups[0].rows[0], hub=verified)
    assert hub_label(first) == "on main (leaderboard.yaml) [author, verified; community]"
    entry = HubEntry(0, "cais/hle", "hle", 9.1, "9.1", verified=True)
    only = (
        HubOnlyEntry(
            entry, "pr", ".eval_results/hle.yaml", "u", 3, PR_URL, Badge("community", verified=True)
        ),
        HubOnlyEntry(attrs.evolve(entry, verified=False), "main", ".eval_results/hle.yaml", "u"),
    )
    mmlu = make_view().groups[0]
    view = make_view(groups=(attrs.evolve(mmlu, rows=(first,)),), hub_only=only)
    text = text_of(view, width=100)
    assert "[author, verified; community]" in text
    assert "community, verified" in text and "author" in text.split("On the Hub, not")[1]
    markdown = markdown_of(view)
    assert "\\[author, verified; community\\]" in markdown
    assert "| community, verified |" in markdown and "| author |" in markdown
    data = json.loads(render_model_json(view))
    assert data["groups"][0]["rows"][0]["hub"]["badges"] == [
        {"kind": "author", "verified": True},
        {"kind": "community", "verified": False},
    ]
    assert [h["badge"] for h in data["hub_only"]] == [
        {"kind": "community", "verified": True},
        {"kind": "author", "verified": False},
    ]


def test_a_record_from_the_submission_layout_is_named_by_its_file() -> None:
    first = make_view().groups[0].rows[0]
    submitted = attrs.evolve(first, line=0, object_path="data/MMLU-Pro/01-ai/yi/u1.json")
    view = make_view(groups=(attrs.evolve(make_view().groups[0], rows=(submitted,)),))
    assert "MMLU-Pro:u1.json" in text_of(view, width=120)
    assert "[MMLU-Pro:u1.json](" in markdown_of(view)
