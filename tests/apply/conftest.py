"""Plans whose preconditions come from the real local Hub state, for the apply tests.

`seed_repo` puts a model repo (optionally with an existing `.eval_results` file) on the local
Hub; `plan_for` reads each repo's state through the ordinary client, exactly as the audit
does, and builds a sealed plan that adds one MMLU-Pro entry per repo (kept existing entries
included, via the real merge step).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import EntryNotFoundError
from huggingface_hub.hf_api import RepoFile

from eeesync.config import Config
from eeesync.hub.client import Hub, RetryPolicy
from eeesync.localhub import LocalHub
from eeesync.plan import file as plan_file
from eeesync.plan.diff import action_id
from eeesync.plan.merge import merge_file
from eeesync.plan.model import (
    FileBlob,
    FileChange,
    OpenPullRequest,
    Plan,
    Preconditions,
    RepoPlan,
    Status,
)
from tests import plan_factory as pf

TARGET = ".eval_results/mmlu_pro.yaml"
EXISTING_YAML = (
    "- dataset:\n    id: cais/hle\n    task_id: hle\n  value: 9.1\n"
    "  source:\n    url: https://example.org/hle\n    name: someone\n"
)
FAST_RETRY = RetryPolicy(attempts=8, base_wait=0.02, max_wait=0.2)


def seed_repo(hub: LocalHub, repo_id: str, *, existing: str | None = None) -> None:
    """Create `repo_id` on the local Hub; with `existing`, main holds that file at TARGET."""
    hub.storage.create_repo(repo_id, exist_ok=True)
    if existing is not None:
        hub.storage.commit(repo_id, {TARGET: existing.encode()}, message="add scores")


def repo_state(api: HfApi, repo_id: str) -> tuple[Preconditions, str | None]:
    """Preconditions as the audit records them, plus the target file's text on main."""
    info = api.model_info(repo_id)
    main_sha = info.sha or ""
    refs = api.list_repo_refs(repo_id, include_pull_requests=True)
    heads = {int(r.ref.rsplit("/", 1)[-1]): r.target_commit for r in refs.pull_requests or []}
    prs = [
        OpenPullRequest(num=d.num, status=d.status, head_sha=heads.get(d.num, ""), title=d.title)
        for d in api.get_repo_discussions(repo_id, discussion_type="pull_request")
        if d.status in ("open", "draft")
    ]
    blob: str | None = None
    try:
        for item in api.list_repo_tree(repo_id, path_in_repo=".eval_results", revision=main_sha):
            if isinstance(item, RepoFile) and item.path == TARGET:
                blob = item.blob_id
    except EntryNotFoundError:
        pass
    text = None
    if blob is not None:
        path = api.hf_hub_download(repo_id, TARGET, revision=main_sha)
        text = Path(path).read_text(encoding="utf-8")
    pre = Preconditions(
        main_sha=main_sha,
        open_prs=tuple(sorted(prs, key=lambda p: p.num)),
        file_blobs=(FileBlob(TARGET, blob),),
    )
    return pre, text


def ready_repo(api: HfApi, repo_id: str, value: float, *, line: int = 1) -> RepoPlan:
    """A repo plan adding one MMLU-Pro entry to whatever main holds (kept by `merge_file`)."""
    pre, text = repo_state(api, repo_id)
    wanted = pf.desired(repo_id, "mmlu_pro", value, line=line)
    content = merge_file(text, [wanted.entry])
    change = FileChange(
        path=TARGET,
        content=content,
        sha256=hashlib.sha256(content.encode()).hexdigest(),
        base_blob_id=pre.file_blobs[0].blob_id,
        added=1,
    )
    return RepoPlan(
        repo_id=repo_id,
        requested_ids=(repo_id,),
        entries=(pf.planned(Status.READY, wanted),),
        preconditions=pre,
        files=(change,),
        action_id=action_id(repo_id, [change]),
    )


def plan_for(api: HfApi, endpoint: str, repo_ids: Sequence[str]) -> Plan:
    repos = [ready_repo(api, r, 40.0 + i / 10, line=i + 1) for i, r in enumerate(repo_ids)]
    return pf.plan_of(repos, endpoint=endpoint)


def write(plan: Plan, folder: Path, name: str = "test.plan.json") -> Path:
    return plan_file.write_plan(plan, folder / name)


def open_prs(api: HfApi, repo_id: str) -> list[int]:
    return sorted(
        d.num
        for d in api.get_repo_discussions(repo_id, discussion_type="pull_request")
        if d.status in ("open", "draft")
    )


def eeesync_hub(localhub: LocalHub) -> Hub:
    """The `Hub` eeesync uses, pointed at the local Hub, with quick retries for tests."""
    api = HfApi(endpoint=localhub.url, token="test-token", library_name="eeesync")
    return Hub(api, localhub.url, localhub.url, localhub.url, FAST_RETRY)


@pytest.fixture
def hub(localhub: LocalHub) -> Iterator[Hub]:
    yield eeesync_hub(localhub)


@pytest.fixture
def config(localhub: LocalHub, tmp_path: Path) -> Config:
    return Config(endpoint_input=localhub.url, cache_dir=tmp_path / "cache", base_dir=tmp_path)
