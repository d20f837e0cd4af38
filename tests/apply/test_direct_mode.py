"""`[apply] mode = "direct-when-owner"`, through the CLI against a local Hub with accounts: the
plan records who plans and which repos that account owns; owned repos get one commit on main
(parent = the planned main sha), everything else a PR; a moved main is stale, never
overwritten; the journal names the Hub account that wrote, never the machine's login."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from huggingface_hub import HfApi

from eeesync.apply import run as apply_run
from eeesync.apply.journal import journal_path, read_journal
from eeesync.cli.main import main
from eeesync.localhub import LocalHub
from eeesync.plan.file import read_plan
from tests.helpers import MMLU_FILE, mmlu_overall_record, write_datastore

ALICE, BOB = "tok-alice", "tok-bob"
OWNED_ORG, OWNED_OWN, STRANGERS = "acme/fresh", "alice/own", "beta/fresh"


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[LocalHub]:
    accounts = {ALICE: "alice", BOB: "bob"}
    with LocalHub(tmp_path / "hub", accounts=accounts, orgs={"acme": {"alice": "admin"}}) as h:
        for repo in (OWNED_ORG, OWNED_OWN, STRANGERS):
            h.storage.create_repo(repo)
        yield h


@pytest.fixture
def project(tmp_path: Path, hub: LocalHub, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    records = [
        mmlu_overall_record(r, 0.5 + i / 100)
        for i, r in enumerate(sorted((OWNED_ORG, OWNED_OWN, STRANGERS)))
    ]
    write_datastore(root / "ds", {"mmlu": records})
    (root / "eeesync.toml").write_text(
        '[datastore]\nlocator = "ds"\ncollections = ["mmlu"]\n'
        f'[hub]\nendpoint = "{hub.url}"\n[sync]\ncheck_tasks = false\n'
        '[apply]\nmode = "direct-when-owner"\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(root)
    return root


def _plan(token: str, capsys: pytest.CaptureFixture[str]) -> Path:
    assert (
        main(["plan", "--detailed-exitcode", "-o", "plans/p.plan.json"], env={"HF_TOKEN": token})
        == 2
    )
    capsys.readouterr()
    return Path("plans/p.plan.json")


def _apply(path: Path, token: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    argv = ["apply", str(path), "--confirm", "OPEN PRS", "--message", "Add results"]
    code = main(argv, env={"HF_TOKEN": token})
    return code, capsys.readouterr().out


def _prs(api: HfApi, repo: str) -> list[int]:
    return [d.num for d in api.get_repo_discussions(repo, discussion_type="pull_request")]


def test_owned_repos_get_one_commit_on_main_the_rest_prs(
    project: Path, hub: LocalHub, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _plan(ALICE, capsys)
    plan = read_plan(path)
    assert plan.inputs.account == "alice"
    how = {r.repo_id: (r.owned, r.write) for r in plan.repos}
    assert how == {
        OWNED_ORG: (True, "direct"),
        OWNED_OWN: (True, "direct"),
        STRANGERS: (False, "pr"),
    }
    assert main(["show", str(path)], env={}) == 0
    shown = capsys.readouterr().out
    assert "one commit to main (you own this repo)" in shown
    assert "alice (2 owned repos get a direct commit to main" in shown
    assert "Plan: 1 pull request to open and 2 direct commits to main (3 files" in shown

    api = HfApi(endpoint=hub.url, token=ALICE)
    planned_main = {r.repo_id: r.preconditions.main_sha for r in plan.repos if r.preconditions}
    code, out = _apply(path, ALICE, capsys)
    assert code == 0, out
    assert "2 committed to main" in out
    for repo in (OWNED_ORG, OWNED_OWN):
        head = api.list_repo_commits(repo)[0]
        assert head.title == "Add results" and head.authors == ["alice"]
        assert MMLU_FILE in api.list_repo_files(repo)
        assert _prs(api, repo) == []
        # One commit on top of the planned main.
        assert api.list_repo_commits(repo)[1].commit_id == planned_main[repo]
    assert len(_prs(api, STRANGERS)) == 1
    actors = {record.actor for record in read_journal(journal_path(path))}
    assert actors == {"alice"}  # the Hub account, not the machine's login


def test_a_moved_main_is_stale_and_never_overwritten(
    project: Path, hub: LocalHub, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _plan(ALICE, capsys)
    api = HfApi(endpoint=hub.url, token=ALICE)
    api.upload_file(path_or_fileobj=b"hi", path_in_repo="README.md", repo_id=OWNED_ORG)
    moved = api.model_info(OWNED_ORG).sha
    code, out = _apply(path, ALICE, capsys)
    assert code == 1, out
    assert api.model_info(OWNED_ORG).sha == moved
    assert MMLU_FILE not in api.list_repo_files(OWNED_ORG)


def test_main_moving_right_before_the_commit_is_refused_by_the_hub_and_stale(
    project: Path, hub: LocalHub, capsys: pytest.CaptureFixture[str]
) -> None:
    """The check passed, then an owner commit landed before ours: the Hub's parent-commit check
    (412) keeps it, and the action ends stale."""
    path = _plan(ALICE, capsys)
    api = HfApi(endpoint=hub.url, token=ALICE)

    def owner_commits(phase: str, index: int) -> None:
        if phase == "after_intent" and index == 0:
            api.upload_file(path_or_fileobj=b"hi", path_in_repo="README.md", repo_id=OWNED_ORG)

    apply_run.checkpoint = owner_commits
    try:
        code, out = _apply(path, ALICE, capsys)
    finally:
        apply_run.checkpoint = apply_run._no_checkpoint
    assert code == 1, out
    assert "main moved since" in out
    assert MMLU_FILE not in api.list_repo_files(OWNED_ORG)
    outcomes = {r.repo_id: r.outcome for r in read_journal(journal_path(path)) if r.outcome}
    assert outcomes[OWNED_ORG] == "stale"


def test_another_account_may_not_apply_a_direct_plan(
    project: Path, hub: LocalHub, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _plan(ALICE, capsys)
    code, out = _apply(path, BOB, capsys)
    assert code == 1
    assert "the plan commits to main as alice, but this token is bob" in out
    api = HfApi(endpoint=hub.url, token=BOB)
    assert MMLU_FILE not in api.list_repo_files(OWNED_ORG)


def test_a_stranger_plans_prs_everywhere(
    project: Path, hub: LocalHub, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = read_plan(_plan(BOB, capsys))
    assert plan.inputs.account == "bob"
    assert {(r.owned, r.write) for r in plan.repos} == {(False, "pr")}
