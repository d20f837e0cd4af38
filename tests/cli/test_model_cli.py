"""`eeesync model`: the command end to end (config file, local Hub, real client, all formats)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from huggingface_hub import CommitOperationAdd, HfApi

from eeesync.cli.main import main
from eeesync.localhub import LocalHub
from tests.helpers import (
    AETHER_BF16,
    AETHER_FP16,
    MMLU_PRO_022,
    build_datastore,
    eval_yaml,
    fixture,
)


@pytest.fixture
def project(tmp_path: Path, localhub: LocalHub, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder: eeesync.toml, a folder datastore and a seeded local Hub."""
    build_datastore(
        tmp_path / "ds",
        {
            "MMLU-Pro": [fixture(MMLU_PRO_022)],
            "hfopenllm_v2": [fixture(AETHER_BF16), fixture(AETHER_FP16)],
        },
    )
    localhub.storage.create_repo("01-ai/Yi-1.5-34B-Chat")
    (tmp_path / "eeesync.toml").write_text(
        f"""
[datastore]
locator = "./ds"
collections = ["MMLU-Pro"]

[hub]
endpoint = "{localhub.url}"

[sync]
check_tasks = false
""",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv, env={"COLUMNS": "80"})
    out, err = capsys.readouterr()
    return code, out, err


def test_text_view_of_a_miscased_id(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["model", "01-ai/yi-1.5-34b-chat"], capsys)
    assert code == 0, err
    assert "Model 01-ai/Yi-1.5-34B-Chat" in out
    assert "recorded as 01-ai/yi-1.5-34b-chat" in out
    assert "absent: plan opens a PR" in out
    assert max(len(line) for line in out.splitlines()) <= 80


def test_json_format(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["model", "01-AI/YI-1.5-34B-CHAT", "--format", "json"], capsys)
    assert code == 0
    data = json.loads(out)
    assert data["model_id"] == "01-ai/Yi-1.5-34B-Chat"
    (group,) = [g for g in data["groups"] if g["benchmark"] == "MMLU-Pro"]
    published = [r for r in group["rows"] if r["hub"] is not None]
    assert [(r["value"], r["hub"]["status"]) for r in published] == [(52.29, "ready")]
    assert len(group["rows"]) == 15  # the overall score and 14 subject scores, all listed


def test_markdown_format_and_named_collections(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        ["model", "daemontatox/aethertot", "hfopenllm_v2", "--format", "markdown"], capsys
    )
    assert code == 0
    assert out.startswith("## Daemontatox/AetherTOT")  # no repo on this Hub: no link
    assert "datastore side only" in out
    assert "- spread mmlu\\_pro (5-shot): 2 results, 37.78–38.04 (spread 0.26)" in out


def test_all_collections(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["model", "Daemontatox/AetherTOT", "--all", "--format", "json"], capsys)
    assert code == 0
    assert json.loads(out)["collections"] == ["hfopenllm_v2", "MMLU-Pro"]


def test_unknown_id_exits_1_with_a_clear_message(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["model", "nobody/nothing"], capsys)
    assert code == 1
    assert out == ""
    assert "unknown model nobody/nothing" in err
    assert "--all" in err
    assert "Traceback" not in err


def test_a_misspelt_id_names_the_nearest_recorded_ids(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["model", "01-ai/yi-1.5-34b-chta"], capsys)
    assert code == 1
    assert "unknown model 01-ai/yi-1.5-34b-chta" in err
    assert "Nearest model ids in those collections: 01-ai/yi-1.5-34b-chat." in err


def test_unknown_collection_names_the_nearest(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["model", "01-ai/Yi-1.5-34B-Chat", "hfopenllm"], capsys)
    assert code == 1
    assert "hfopenllm_v2" in err


def test_collections_and_all_together_are_refused(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["model", "a/b", "MMLU-Pro", "--all"], capsys)
    assert code == 1 and "not both" in err


def test_no_collection_anywhere(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = project / "eeesync.toml"
    config.write_text(config.read_text().replace('collections = ["MMLU-Pro"]', ""))
    code, _, err = run(["model", "a/b"], capsys)
    assert code == 1 and "no collection to search" in err and "--all" in err


YI = "01-ai/Yi-1.5-34B-Chat"


def seed_hub_only(url: str) -> None:
    """Yi's page: our MMLU-Pro score, an HLE score EEE does not know, a broken file, and an
    open PR with another unknown entry (plus a copy of the HLE entry, listed once)."""
    api = HfApi(endpoint=url, token="seed-token")
    hle = eval_yaml(("cais/hle", "hle", 9.1), notes="no tools")
    files = {
        ".eval_results/mmlu_pro.yaml": eval_yaml(("TIGER-Lab/MMLU-Pro", "mmlu_pro", 52.29)),
        ".eval_results/hle.yaml": hle,
        ".eval_results/broken.yaml": b"- dataset: {id: [unclosed\n",
    }
    api.create_commit(
        YI, [CommitOperationAdd(path, data) for path, data in files.items()], commit_message="seed"
    )
    more = hle + eval_yaml(("cais/hle", "hle_text", 8.0))
    api.create_commit(
        YI,
        [CommitOperationAdd(".eval_results/hle.yaml", more)],
        commit_message="More HLE",
        create_pr=True,
    )


def test_hub_entries_the_datastore_does_not_know_and_unreadable_files(
    project: Path, localhub: LocalHub, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_hub_only(localhub.url)
    code, out, err = run(["model", YI, "--format", "json"], capsys)
    assert code == 0, err
    data = json.loads(out)
    only = [
        (f["location"], f["pr_num"], f["entry"]["dataset_id"], f["entry"]["task_id"])
        for f in data["hub_only"]
    ]
    assert only == [("main", None, "cais/hle", "hle"), ("pr", 1, "cais/hle", "hle_text")]
    (broken,) = data["unreadable"]
    assert broken["location"] == "main" and broken["path"] == ".eval_results/broken.yaml"
    assert "invalid YAML" in broken["reason"]
    published = [r for g in data["groups"] for r in g["rows"] if r["hub"] is not None]
    assert [r["hub"]["status"] for r in published] == ["already_present"]

    code, out, _ = run(["model", YI], capsys)
    assert code == 0
    assert "On the Hub, not in the datastore (2)" in out
    assert "cais/hle/hle (no tools)" in out and "PR #1 · hle.yaml" in out
    assert re.search(r"cais/hle/hle_text +8 +PR #1", out)  # 8.0 as written is the same 8
    assert "Unreadable eval files (1)" in out
    assert "main · .eval_results/broken.yaml" in out and "invalid YAML" in out

    code, out, _ = run(["model", YI, "--format", "markdown"], capsys)
    assert code == 0
    assert "### On the Hub, not in the datastore (2)" in out
    assert "### Unreadable eval files (1)" in out


def test_no_hub_only_section_when_the_page_holds_only_what_eee_knows(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["model", YI], capsys)
    assert code == 0
    assert "not in the datastore" not in out and "Unreadable" not in out
    data = json.loads(run(["model", YI, "--format", "json"], capsys)[1])
    assert data["hub_only"] == [] and data["unreadable"] == []


def test_the_alias_file_beside_eeesync_toml_applies(
    project: Path, localhub: LocalHub, capsys: pytest.CaptureFixture[str]
) -> None:
    """The record's id names no repo of its own; the reviewed alias sends it to acme/Yi-Chat."""
    localhub.storage.create_repo("acme/Yi-Chat")
    (project / "model-aliases.toml").write_text(
        '[[alias]]\nfrom = "01-ai/yi-1.5-34b-chat"\nto = "acme/Yi-Chat"\n', encoding="utf-8"
    )
    code, out, err = run(["model", "acme/yi-chat"], capsys)
    assert code == 0, err
    assert "Model acme/Yi-Chat" in out
    assert "recorded as 01-ai/yi-1.5-34b-chat (alias)" in out
    assert "absent: plan opens a PR" in out


def test_a_runs_sub_scores_are_one_line_unless_all_metrics(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["model", YI], capsys)
    assert code == 0
    assert "headline result" not in out and "mmlu_pro/biology" not in out
    assert "14 sub-scores" in out and "(34.37–71.41)" in out
    assert out.count("MMLU-Pro:1") == 2  # the headline and its folded sub-scores
    section = out[out.index("MMLU-Pro  ") :]
    assert len(section.splitlines()) <= 16  # the 14 subjects took 28 lines
    markdown = run(["model", YI, "--format", "markdown"], capsys)[1]
    assert "14 sub\\-scores (34.37–71.41)" in markdown or "14 sub-scores (34.37–71.41)" in markdown
    assert "biology" not in markdown

    code, out, _ = run(["model", YI, "--all-metrics"], capsys)
    assert code == 0 and "sub-scores" not in out
    assert out.count("MMLU-Pro:1") == 15 and "mmlu_pro/biolog" in out  # one row per result
    assert "biology" in run(["model", YI, "--format", "markdown", "--all-metrics"], capsys)[1]
    rows = json.loads(run(["model", YI, "--format", "json"], capsys)[1])["groups"][0]["rows"]
    assert sorted(r["sub_score"] for r in rows) == [False] + [True] * 14


def test_each_hub_entry_shows_the_badge_of_the_model_page(
    project: Path, localhub: LocalHub, capsys: pytest.CaptureFixture[str]
) -> None:
    """An author-submitted, verified entry on main; a community entry in an open PR."""
    api = HfApi(endpoint=localhub.url, token="seed-token")
    verified = eval_yaml(("TIGER-Lab/MMLU-Pro", "mmlu_pro", 52.29)) + b"  verifyToken: t0k\n"
    api.create_commit(
        YI,
        [CommitOperationAdd(".eval_results/mmlu_pro.yaml", verified)],
        commit_message="seed",
    )
    api.create_commit(
        YI,
        [CommitOperationAdd(".eval_results/hle.yaml", eval_yaml(("cais/hle", "hle", 9.1)))],
        commit_message="HLE",
        create_pr=True,
    )
    assert main(["model", YI], env={"COLUMNS": "160"}) == 0
    out = capsys.readouterr().out
    assert "on main (mmlu_pro.yaml) [author, verified]" in out
    assert re.search(r"cais/hle/hle +9\.1 +PR #1 · hle\.yaml +community\b", out)
    markdown = run(["model", YI, "--format", "markdown"], capsys)[1]
    assert "on main (mmlu\\_pro.yaml) \\[author, verified\\]" in markdown
    assert "| community |" in markdown
    data = json.loads(run(["model", YI, "--format", "json"], capsys)[1])
    (published,) = [r for g in data["groups"] for r in g["rows"] if r["hub"] is not None]
    assert published["hub"]["badges"] == [{"kind": "author", "verified": True}]
    (only,) = data["hub_only"]
    assert only["badge"] == {"kind": "community", "verified": False}


def test_without_arguments_only_the_model_id_is_called_required(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Collections are optional (the config names them, or `--all`)."""
    with pytest.raises(SystemExit) as exited:
        main(["model"], env={})
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert "the following arguments are required: MODEL_ID (" in err
