"""`eeesync models suggest` (issue 11): proposals for missing models from a local Hub seeded with
the real repo names, written commented out; only an accepted (uncommented) alias publishes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from huggingface_hub import HfApi

from eeesync.cli.main import main
from eeesync.localhub import LocalHub
from eeesync.plan.file import read_plan
from eeesync.plan.model import Status
from eeesync.suggest import Suggestion, proposals_text, score, search_name
from tests.helpers import mmlu_overall_record, write_datastore, write_project_toml

#: The real repos, and look-alikes a search also finds (quantisations, fine-tunes, mirrors).
REAL = (
    "Qwen/Qwen2.5-72B-Instruct",
    "meta-llama/Llama-3.1-8B-Instruct",
    "moonshotai/Kimi-K2-Instruct",
    "01-ai/Yi-1.5-34B-Chat",
    "zai-org/GLM-4.5",
)
LOOKALIKES = (
    "bartowski/Qwen2.5-72B-Instruct-GGUF",
    "unsloth/Llama-3.1-8B-Instruct",
    "someone/Kimi-K2-Instruct-abliterated",
    "mirror/GLM-4.5",
)


def _record(model_id: str, score_value: float, **details: str) -> bytes:
    record = json.loads(mmlu_overall_record(model_id, score_value))
    if details:
        record["model_info"]["additional_details"] = details
    return json.dumps(record, sort_keys=True).encode()


#: The model id shapes EEE's adapters write.
RECORDS = [
    _record("alibaba/qwen2.5-72b-instruct", 0.71),  # llm-stats / helm style
    _record("meta/llama-3.1-8b-instruct", 0.44),  # helm
    _record("meta/llama-3.1-8b-instruct-turbo", 0.45),  # helm: a Together deployment
    _record("moonshot-ai/kimi-k2-instruct", 0.8),  # terminal-bench org map
    # mmlu_pro: letter case only, which the audit already resolves (never "missing")
    _record("01-ai/yi-1.5-34b-chat", 0.52, raw_model_name="Yi-1.5-34B-Chat"),
    _record("zhipu-ai/glm-4.5", 0.6),  # llm-stats provider slug
    _record("acme/nothing-like-it-2024-05-13", 0.3),  # no repo at all
]


@pytest.fixture
def project(tmp_path: Path, localhub: LocalHub, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_datastore(tmp_path / "ds", {"mmlu": RECORDS})
    api = HfApi(endpoint=localhub.url, token="x")
    for repo in (*REAL, *LOOKALIKES):
        api.create_repo(repo)
    write_project_toml(tmp_path, localhub.url)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _run(*args: str) -> int:
    return main(list(args), env={"COLUMNS": "250"})


def _missing(project: Path) -> int:
    plans = sorted((project / "plans").glob("*.plan.json"), key=lambda p: p.stat().st_mtime)
    return read_plan(plans[-1]).counts.get(Status.MISSING_HF_MODEL)


def _accept(path: Path, *, confidence: str) -> None:
    """What a reviewer does: uncomment the alias lines of the proposals they accept."""
    out, accepting = [], False
    for line in path.read_text().splitlines():
        if re.match(r"# \S+: (\w+) confidence", line):
            accepting = f": {confidence} confidence" in line
        if accepting and re.match(r"# (\[\[alias\]\]|from =|to =|deployment =)", line):
            line = line[2:]
        out.append(line)
    path.write_text("\n".join(out) + "\n")


def test_suggest_writes_reviewable_proposals_and_only_accepted_ones_publish(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run("plan", "-o", "plans/before.plan.json") == 0
    assert _missing(project) == 6
    capsys.readouterr()

    assert _run("models", "suggest") == 0
    out = capsys.readouterr().out
    # one search per distinct name: the -turbo id shares its search with the open id
    assert "5 of 6 missing models have a proposal; 5 Hub searches (1 cached)" in out
    aliases = (project / "model-aliases.toml").read_text()
    for repo in REAL:
        assert (f'# to = "{repo}"' in aliases) is (repo != "01-ai/Yi-1.5-34B-Chat")
    assert "# deployment = true" in aliases
    assert "bartowski" not in aliases and "unsloth" not in aliases

    # proposals are comments: nothing is published to them
    assert _run("plan", "-o", "plans/after-suggest.plan.json") == 0
    assert _missing(project) == 6
    # a second suggest run asks the Hub nothing and adds nothing
    capsys.readouterr()
    assert _run("models", "suggest") == 0
    out = capsys.readouterr().out
    assert "0 Hub searches (6 cached)" in out and "No new proposals" in out
    assert (project / "model-aliases.toml").read_text() == aliases

    _accept(project / "model-aliases.toml", confidence="high")
    assert _run("plan", "-o", "plans/accepted.plan.json") == 0
    out = capsys.readouterr().out
    plan = read_plan(project / "plans/accepted.plan.json")
    # alibaba, meta (open id), moonshot-ai, 01-ai, zhipu-ai found their repos
    assert plan.counts.get(Status.MISSING_HF_MODEL) == 2
    assert plan.counts.get(Status.READY) == 5
    assert "recorded as moonshot-ai/kimi-k2-instruct → published on" in out
    # the deployment proposal is medium: accepted, it carries deployment = true
    _accept(project / "model-aliases.toml", confidence="medium")
    assert _run("plan", "-o", "plans/all.plan.json") == 0
    final = read_plan(project / "plans/all.plan.json")
    assert final.counts.get(Status.MISSING_HF_MODEL) == 1  # acme/nothing-like-it
    llama = final.repo("meta-llama/Llama-3.1-8B-Instruct")
    assert llama is not None
    # the deployment's score (45) and the open model's (44) now meet on one repo: a person
    # sees the disagreement instead of one silently winning
    assert [e.status for e in llama.entries] == [Status.SOURCE_CONFLICT]
    assert llama.entries[0].conflicting_values == (44.0, 45.0)


def test_dry_run_writes_nothing(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run("plan") == 0
    assert _run("models", "suggest", "--dry-run") == 0
    assert not (project / "model-aliases.toml").exists()
    assert "Qwen/Qwen2.5-72B-Instruct" in capsys.readouterr().out


def test_no_plan_is_a_clear_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run("models", "suggest") == 1
    assert "no plan in" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("model_id", "name"),
    [
        ("meta/llama-3.1-8b-instruct-turbo", "llama-3.1-8b-instruct"),
        ("openai/gpt-4o-2024-05-13", "gpt-4o"),
        ("anthropic/claude-3-7-sonnet-20250219", "claude-3-7-sonnet"),
        ("org/family/model:rev", "model"),
        ("Qwen/Qwen2.5-Coder-32B-Instruct", "qwen2.5-coder-32b-instruct"),
    ],
)
def test_search_names_strip_what_adapters_add(model_id: str, name: str) -> None:
    assert search_name(model_id) == name


def test_scores_say_how_sure_they_are() -> None:
    ids = ["a/Kimi-K2-Instruct", "moonshotai/Kimi-K2-Instruct", "b/Kimi-K2-Instruct-GGUF"]
    assert score("moonshot-ai/kimi-k2-instruct", ids)[:2] == ("moonshotai/Kimi-K2-Instruct", "high")
    assert score("x/kimi-k2-instruct", ids[:1])[1] == "medium"
    assert score("x/kimi-k2-instruct", [*ids[:1], "c/kimi-k2-instruct"])[1] == "low"
    raw = score(
        "x/kimi-k2-instruct", ["c/kimi-k2-instruct", "d/Kimi-K2-Instruct"], ["Kimi-K2-Instruct"]
    )
    assert raw[:2] == ("d/Kimi-K2-Instruct", "medium")
    assert score("x/kimi", ids)[1] == "low"
    assert score("x/zzz", ids) == ("", "none", ("no Hub repo's name contains 'zzz'",))


def test_proposals_skip_ids_the_file_already_names() -> None:
    existing = '[[alias]]\nfrom = "a/b"\nto = "c/d"\n'
    text, count = proposals_text(
        [Suggestion("A/B", 1, "b", "c/d", "high"), Suggestion("e/f", 2, "f", "g/f", "low")],
        existing,
    )
    assert count == 1 and '# from = "e/f"' in text and '"a/b"' not in text.lower()
