"""Model aliases (issue 11): a reviewed file maps EEE ids to Hub repos; the plan applies it,
shows it, and records the file's digest. Deployment ids need the user's permission."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from huggingface_hub import HfApi
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from eeesync.aliases import deployment_provider, load_aliases
from eeesync.config import load_config
from eeesync.errors import ConfigError
from eeesync.localhub import LocalHub
from eeesync.plan.file import parse_plan, serialize_plan
from eeesync.plan.model import FORMAT_VERSION, Status
from eeesync.views import render_plan
from tests.helpers import mmlu_overall_record, plan_folder_datastore, write_datastore

QWEN = "Qwen/Qwen2.5-72B-Instruct"
LLAMA = "meta-llama/Llama-3.1-8B-Instruct"


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_exact_ids_win_over_globs_and_case_does_not_matter(tmp_path: Path) -> None:
    table = load_aliases(
        _write(
            tmp_path / "a.toml",
            "[[alias]]\n"
            'from = "meta/llama-3.1-8b-*"\n'
            'to = "someone/else"\n'
            "\n[[alias]]\n"
            'from = "Meta/Llama-3.1-8B-Instruct"\n'
            f'to = "{LLAMA}"\n',
        )
    )
    assert len(table) == 2 and table.digest.startswith("sha256:")
    exact = table.resolve("meta/llama-3.1-8b-instruct")
    assert exact is not None and exact.repo_id == LLAMA and exact.alias.line == 5
    glob = table.resolve("META/llama-3.1-8b-base")
    assert glob is not None and glob.repo_id == "someone/else"
    assert table.resolve("meta/llama-3-8b") is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('[[alias]]\nfrom = "a/b"\n', "`to` must be a Hub model repo id"),
        ('[[alias]]\nfrom = "a/b"\nto = "../x"\n', "is not a valid Hub repo id"),
        ('[[alias]]\nfrom = "a/b"\nto = "single"\n', "must look like OWNER/NAME"),
        ('[[alias]]\nfrom = "a/b"\nto = "c/d"\nwhy = 1\n', "unknown key 'why'"),
        ('[[alias]]\nfrom = "a/b"\nto = "c/d"\ndeployment = "yes"\n', "true or false"),
        ('[[alias]]\nfrom = "a/b"\nto = "c/d"\n[[alias]]\nfrom = "A/B"\nto = "e/f"\n', "twice"),
        ("[other]\nx = 1\n", "[[alias]] tables only"),
        ("[[alias]\n", "invalid TOML"),
    ],
)
def test_a_bad_alias_file_names_file_line_and_key(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_aliases(_write(tmp_path / "model-aliases.toml", text))
    message = str(caught.value)
    assert problem in message and "model-aliases.toml" in message


def test_a_missing_file_is_no_aliases(tmp_path: Path) -> None:
    table = load_aliases(tmp_path / "nope.toml")
    assert len(table) == 0 and table.digest == ""


@given(st.from_regex(r"[a-z][a-z0-9-]{0,12}/[a-z0-9][a-z0-9.-]{0,20}", fullmatch=True))
def test_turbo_ids_are_together_deployments_and_others_are_not(model_id: str) -> None:
    assert deployment_provider(model_id + "-turbo") == "together"
    if not model_id.endswith("-turbo"):
        assert deployment_provider(model_id) is None
    assert deployment_provider(model_id, "externally_managed", "Bedrock") == "bedrock"


def test_aliases_section_in_the_config(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "eeesync.toml",
        '[aliases]\nfile = "ids.toml"\nallow_deployments = ["Together"]\n',
    )
    config = load_config(path, env={}, cwd=tmp_path)
    assert config.alias_file == tmp_path / "ids.toml"
    assert config.allow_deployments == ("together",)
    _write(path, '[aliases]\n\nallow_deployments = [""]\n')
    with pytest.raises(ConfigError, match=r"eeesync.toml:3: aliases.allow_deployments"):
        load_config(path, env={}, cwd=tmp_path)


# --- In a plan ------------------------------------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path, localhub: LocalHub) -> Path:
    write_datastore(
        tmp_path / "ds",
        {
            "c": [
                mmlu_overall_record("alibaba/qwen2.5-72b-instruct", 0.7),
                mmlu_overall_record("meta/llama-3.1-8b-instruct-turbo", 0.4),
            ]
        },
    )
    api = HfApi(endpoint=localhub.url, token="x")
    for repo in (QWEN, LLAMA):
        api.create_repo(repo)
    return tmp_path


ALIASES = (
    "[[alias]]\n"
    'from = "alibaba/qwen2.5-72b-instruct"\n'
    f'to = "{QWEN}"\n'
    "\n[[alias]]\n"
    'from = "meta/llama-3.1-8b-instruct-turbo"\n'
    f'to = "{LLAMA}"\n'
)


def test_without_aliases_nothing_is_published_to_a_guess(project: Path, localhub: LocalHub) -> None:
    plan = plan_folder_datastore(project, localhub)
    assert plan.counts.get(Status.MISSING_HF_MODEL) == 2 and not plan.has_changes
    assert plan.inputs.alias_digest == ""


def test_an_alias_is_applied_shown_and_digested(project: Path, localhub: LocalHub) -> None:
    before = plan_folder_datastore(project, localhub)
    _write(project / "model-aliases.toml", ALIASES)
    plan = plan_folder_datastore(project, localhub)
    qwen = plan.repo(QWEN)
    assert qwen is not None and qwen.opens_pr
    (entry,) = qwen.entries
    assert entry.status is Status.READY
    assert entry.desired.recorded_as == "alibaba/qwen2.5-72b-instruct"
    # the deployment id is not allowed without the user's word
    assert [s.reason for s in plan.skipped] == ["deployment_alias_not_allowed"]
    assert "allow_deployments" in plan.skipped[0].message
    assert plan.inputs.alias_digest.startswith("sha256:") and plan.digest != before.digest
    assert parse_plan(serialize_plan(plan)) == plan
    out = io.StringIO()
    render_plan(plan, Console(file=out, width=200, no_color=True), "text")
    assert f"recorded as alibaba/qwen2.5-72b-instruct → published on {QWEN} (alias)" in (
        out.getvalue()
    )
    markdown = io.StringIO()
    render_plan(plan, Console(file=markdown, width=200, no_color=True), "markdown")
    assert "published on Qwen/Qwen2.5-72B-Instruct (alias)" in markdown.getvalue()
    # an edit to the file is a new plan input
    _write(project / "model-aliases.toml", ALIASES + "# reviewed\n")
    assert plan_folder_datastore(project, localhub).inputs.alias_digest != plan.inputs.alias_digest


def test_a_deployment_alias_needs_the_users_permission(project: Path, localhub: LocalHub) -> None:
    _write(project / "model-aliases.toml", ALIASES)
    allowed = plan_folder_datastore(project, localhub, allow_deployments=("together",))
    llama = allowed.repo(LLAMA)
    assert llama is not None and llama.opens_pr and not allowed.skipped
    _write(project / "model-aliases.toml", ALIASES + "deployment = true\n")
    per_alias = plan_folder_datastore(project, localhub)
    assert per_alias.repo(LLAMA) is not None and not per_alias.skipped
    data = json.loads(serialize_plan(per_alias))
    assert data["format_version"] == FORMAT_VERSION and data["inputs"]["alias_digest"]
