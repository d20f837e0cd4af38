"""A contributor plans Community Evals PRs from their open datastore PR: the datastore repo's
main holds the flat layout (and `data/`), the PR adds a record under `data/` only, and
`eeesync plan --datastore OWNER/NAME@refs/pr/N` plans from the PR's head; the links name that
head's commit and `eeesync apply` accepts and publishes them. Then the same from a folder of
adapter output pinned to a commit."""

from __future__ import annotations

from pathlib import Path

import pytest
from huggingface_hub import CommitOperationAdd, HfApi

from eeesync.cli.main import main
from eeesync.localhub import LocalHub
from eeesync.plan.file import read_plan
from eeesync.plan.model import Plan, Status
from tests.helpers import (
    MMLU_DATASET,
    MMLU_FILE,
    MMLU_TASK,
    eval_yaml,
    mmlu_overall_record,
    plan_folder_datastore,
    submission_path,
    write_datastore,
    write_submission,
)

pytestmark = pytest.mark.slow

REPO = "evaleval/EEE_datastore"
ALPHA = mmlu_overall_record("acme/alpha", 0.5)  # on the datastore's main, and on acme/alpha
BETA = mmlu_overall_record("acme/beta", 0.6)  # only in the datastore PR


def _statuses(plan: Plan) -> dict[str, tuple[Status, str]]:
    return {
        e.desired.repo_id: (e.status, e.desired.entry.source_url or "")
        for repo in plan.repos
        for e in repo.entries
    }


def test_plan_and_apply_from_an_open_datastore_pr(
    tmp_path: Path,
    localhub: LocalHub,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    api = HfApi(endpoint=localhub.url, token="contributor")
    store = write_datastore(tmp_path / "store", {"mmlu": [ALPHA]})
    write_submission(store, {"mmlu": [ALPHA]})
    api.create_repo(REPO, repo_type="dataset")
    api.upload_folder(folder_path=str(store), repo_id=REPO, repo_type="dataset")
    added = submission_path("mmlu", BETA)
    pr = api.create_commit(
        REPO,
        [CommitOperationAdd(added, BETA)],
        commit_message="[Submission] acme/beta on MMLU-Pro",
        repo_type="dataset",
        create_pr=True,
    )
    for model in ("acme/alpha", "acme/beta"):
        api.create_repo(model)
    api.upload_file(
        path_or_fileobj=eval_yaml((MMLU_DATASET, MMLU_TASK, 50.0)),
        path_in_repo=MMLU_FILE,
        repo_id="acme/alpha",
    )
    (tmp_path / "eeesync.toml").write_text(
        f'[datastore]\nlocator = "{REPO}"\ncollections = ["mmlu"]\n'
        f'[hub]\nendpoint = "{localhub.url}"\n[sync]\ncheck_tasks = false\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)

    assert main(["plan", "--datastore", f"{REPO}@{pr.pr_revision}", "-o", "p.json"]) == 0
    plan = read_plan(tmp_path / "p.json")
    assert plan.inputs.datastore_revision == pr.oid
    assert plan.inputs.datastore_input == f"{REPO}@refs/pr/1"
    statuses = _statuses(plan)
    assert statuses["acme/alpha"][0] is Status.ALREADY_PRESENT
    status, link = statuses["acme/beta"]
    assert status is Status.READY
    assert link.endswith(f"/datasets/{REPO}/blob/{pr.oid}/{added}")
    (beta,) = [e for r in plan.repos for e in r.entries if e.desired.repo_id == "acme/beta"]
    assert beta.desired.provenance is not None and beta.desired.provenance.line == 0

    # main's flat indexes know nothing of the PR's record
    assert main(["plan", "-o", "main.json"]) == 0
    assert "acme/beta" not in _statuses(read_plan(tmp_path / "main.json"))

    capsys.readouterr()
    assert main(["apply", "p.json", "--confirm", "OPEN PRS", "--message", "m"]) == 0
    (opened,) = api.get_repo_discussions("acme/beta", discussion_type="pull_request")
    written = api.hf_hub_download(
        "acme/beta", MMLU_FILE, revision=f"refs/pr/{opened.num}", cache_dir=tmp_path / "dl"
    )
    assert link in Path(written).read_text(encoding="utf-8")


def test_adapter_output_pinned_to_a_commit_links_to_that_commit(
    tmp_path: Path, localhub: LocalHub
) -> None:
    """The folder is what the datastore holds at `link_revision`: links are checked against
    that commit, file by file, and a file edited since is not published."""
    api = HfApi(endpoint=localhub.url, token="contributor")
    files = write_submission(tmp_path / "ds", {"c": [ALPHA, BETA]})
    api.create_repo(REPO, repo_type="dataset")
    sha = api.upload_folder(folder_path=str(tmp_path / "ds"), repo_id=REPO, repo_type="dataset").oid
    for model in ("acme/alpha", "acme/beta"):
        api.create_repo(model)
    (tmp_path / "ds" / submission_path("c", BETA)).write_bytes(
        mmlu_overall_record("acme/beta", 0.61)
    )

    plan = plan_folder_datastore(
        tmp_path, localhub, datastore_link_repo=REPO, datastore_link_revision=sha
    )
    assert (plan.inputs.datastore_revision, plan.inputs.datastore_pinned_by) == (sha, "config")
    statuses = _statuses(plan)
    assert statuses["acme/alpha"][0] is Status.READY
    assert statuses["acme/alpha"][1].endswith(f"/blob/{sha}/{submission_path('c', ALPHA)}")
    assert "acme/beta" not in statuses
    (skip,) = [s for s in plan.skipped if s.reason == "source_link_differs"]
    assert skip.object_path == submission_path("c", BETA) and skip.object_path in files
