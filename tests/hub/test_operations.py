"""hub/operations.py: each Hub operation eeesync performs, with the real client against the local
Hub; reads are retried inside the operation, writes are sent once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from huggingface_hub.errors import HfHubHTTPError
from huggingface_hub.hf_api import RepoFile

from eeesync.hub.client import Hub
from eeesync.localhub import FaultConfig, LocalHub
from tests.hub.conftest import make_hub

REPO = "acme/model"
DATA = "acme/bench"


@pytest.fixture
def seeded(localhub: LocalHub) -> LocalHub:
    storage = localhub.storage
    storage.create_repo(REPO)
    storage.commit(REPO, {".eval_results/a.yaml": b"- x: 1\n"}, message="a")
    storage.open_pr(REPO, {".eval_results/b.yaml": b"- y: 2\n"}, title="Add b")
    storage.create_repo(DATA, repo_type="dataset")
    storage.commit(DATA, {"eval.yaml": b"tasks: []\n"}, repo_type="dataset", message="e")
    storage.set_official_benchmark(DATA)
    return localhub


def _reads(hub: Hub) -> dict[str, Callable[[], Any]]:
    """Each read operation, with what a correct answer looks like."""
    main = hub.model_info(REPO).sha
    assert main is not None
    return {
        "whoami": lambda: hub.whoami()["name"],
        "model_info": lambda: hub.model_info(REPO, expand=["sha"]).id,
        "dataset_info": lambda: hub.dataset_info(DATA, revision="main").id,
        "list_models": lambda: [m.id for m in hub.list_models(author="acme")],
        "list_datasets": lambda: [d.id for d in hub.list_datasets(benchmark="official")],
        "list_repo_tree": lambda: [
            f.path for f in hub.list_repo_tree(REPO, ".eval_results", revision=main)
        ],
        "get_paths_info": lambda: [
            f.path
            for f in hub.get_paths_info(REPO, [".eval_results/a.yaml", "nope"], revision=main)
            if isinstance(f, RepoFile)
        ],
        "read_file": lambda: hub.read_file(REPO, ".eval_results/a.yaml", revision=main),
        "list_pull_requests": lambda: [d.num for d in hub.list_pull_requests(REPO)],
        "pr_heads": lambda: sorted(hub.pr_heads(REPO)),
        "get_discussion_details": lambda: hub.get_discussion_details(REPO, 1).title,
    }


EXPECTED = {
    "whoami": "local-user",
    "model_info": REPO,
    "dataset_info": DATA,
    "list_models": [REPO],
    "list_datasets": [DATA],
    "list_repo_tree": [".eval_results/a.yaml"],
    "get_paths_info": [".eval_results/a.yaml"],
    "read_file": b"- x: 1\n",
    "list_pull_requests": [1],
    "pr_heads": [1],
    "get_discussion_details": "Add b",
}


#: Listings huggingface_hub pages itself: it retries their 5xx with its own (second-long) waits.
PAGED = {"list_models", "list_datasets", "list_repo_tree"}


def test_each_read_answers_and_retries_a_failing_hub(seeded: LocalHub) -> None:
    hub = make_hub(seeded, token="test-token")
    reads = _reads(hub)
    assert set(reads) == set(EXPECTED)
    for name, read in reads.items():
        assert read() == EXPECTED[name], name
        if name in PAGED:
            continue
        before = hub.retries
        seeded.set_faults(FaultConfig(rate_5xx=1.0, max_faults=2))
        assert read() == EXPECTED[name], name  # two 5xx answers, then the real one
        assert hub.retries == before + 2, name
        seeded.set_faults(FaultConfig())


def test_open_commit_to_and_close_a_pull_request(seeded: LocalHub) -> None:
    hub = make_hub(seeded, token="test-token")
    main = hub.model_info(REPO).sha
    opened = hub.open_pull_request(
        REPO,
        {".eval_results/c.yaml": b"- z: 3\n"},
        title="Add c",
        description="why",
        parent_commit=main,
    )
    num = opened.pr_num
    assert num == 2 and hub.get_discussion_details(REPO, num).title == "Add c"
    head = hub.pr_heads(REPO)[num]
    hub.commit_to_pull_request(
        REPO, num, {".eval_results/d.yaml": b"- w: 4\n"}, message="and d", parent_commit=head
    )
    new_head = hub.pr_heads(REPO)[num]
    assert new_head != head
    files = {f.path for f in hub.list_repo_tree(REPO, ".eval_results", revision=new_head)}
    assert files == {".eval_results/a.yaml", ".eval_results/c.yaml", ".eval_results/d.yaml"}
    hub.close_pull_request(REPO, num, comment="superseded")
    assert {d.num: d.status for d in hub.list_pull_requests(REPO)}[num] == "closed"


def test_a_write_is_sent_once_even_when_it_fails(seeded: LocalHub) -> None:
    hub = make_hub(seeded, token="test-token")
    main = hub.model_info(REPO).sha
    seeded.set_faults(FaultConfig(rate_5xx=1.0, routes=frozenset({"commit"})))
    seeded.reset_counters()
    with pytest.raises(HfHubHTTPError):
        hub.open_pull_request(
            REPO, {"x.yaml": b"x"}, title="t", description="d", parent_commit=main
        )
    assert seeded.counters()["commit"] == 1 and hub.retries == 0
