"""The import plan's views: text a Hub file holds cannot break out of the markdown tables."""

from __future__ import annotations

import attrs

from eeesync.imports.submit import description
from eeesync.plan import import_file
from eeesync.plan.import_model import (
    IMPORT_FORMAT_VERSION,
    IMPORT_KIND,
    HubScore,
    ImportCounts,
    ImportEntry,
    ImportInputs,
    ImportPlan,
    ImportStatus,
)
from eeesync.views.import_view import render_import_markdown, summary_line

HOSTILE = "x | y\n# owned <script>"


def plan_with_notes(notes: str) -> ImportPlan:
    score = HubScore(
        model_id="acme/m",
        benchmark="mmlu_pro",
        dataset_id="TIGER-Lab/MMLU-Pro",
        value=41.2,
        file_path=".eval_results/mmlu_pro.yaml",
        revision="main",
        task_id="mmlu_pro",
        notes=notes,
        commit="a" * 40,
        file_url="https://huggingface.co/acme/m/blob/" + "a" * 40 + "/.eval_results/mmlu_pro.yaml",
    )
    inputs = ImportInputs(
        "c", "e", "r", "d", "evaleval/EEE_datastore", "b" * 40, "hf", ("mmlu_pro",)
    )
    plan = ImportPlan(
        kind=IMPORT_KIND,
        format_version=IMPORT_FORMAT_VERSION,
        tool_version="0",
        created_at="2026-01-01T00:00:00Z",
        inputs=inputs,
        entries=(ImportEntry(ImportStatus.READY, score, fingerprint="sha256:1", record_path="p"),),
        records=(),
        counts=ImportCounts({}, 0),
    )
    return import_file.seal(plan)


def test_markdown_rows_stay_rows_whatever_the_notes_say() -> None:
    text = render_import_markdown(plan_with_notes(HOSTILE))
    row = next(line for line in text.splitlines() if line.startswith("| acme/m"))
    assert row.count(" | ") == 5  # six cells: the notes' pipe is escaped
    assert "\n# owned" not in text and "<script>" not in text
    assert summary_line(plan_with_notes("")).startswith("Import plan: 1 score to add in 0 new")


def test_the_pr_body_escapes_record_text_and_the_typed_message() -> None:
    body = description(plan_with_notes(HOSTILE), "msg <b>")
    assert "<script>" not in body and "msg <b>" not in body
    row = next(line for line in body.splitlines() if line.startswith("| acme/m"))
    assert row.count(" | ") == 6
    assert "[aaaaaaa](<https://huggingface.co/acme/m/blob/" in row


def test_markdown_links_both_sources_of_a_difference() -> None:
    from eeesync.plan.import_model import EeeScore

    base = plan_with_notes("")
    eee = (EeeScore(48.8, "https://huggingface.co/datasets/e/d/blob/b/flat/objects/x_y.json"),)
    entry = attrs.evolve(base.entries[0], status=ImportStatus.EEE_DIFFERS, eee=eee)
    text = render_import_markdown(import_file.seal(attrs.evolve(base, entries=(entry,))))
    assert "[mmlu\\_pro.yaml](<https://huggingface.co/acme/m/blob/" in text
    assert (
        "[x\\_y.json](<https://huggingface.co/datasets/e/d/blob/b/flat/objects/x_y.json>)" in text
    )
