"""hub/evalfile_fetch.py against the local Hub: the size cap applies before the download (PR
tree sizes, `Content-Length` on main), a PR changing too many eval files is not read, and any
failure while parsing one file is that file's one-line error."""

from __future__ import annotations

import attrs
import huggingface_hub
import pytest

from eeesync.hub import audit as audit_module
from eeesync.hub import state as state_module
from eeesync.hub.audit import audit_repos
from eeesync.hub.client import Hub
from eeesync.hub.evalfile_fetch import guarded_parse
from eeesync.hub.state import RepoState
from eeesync.localhub import LocalHub
from tests.hub.conftest import make_hub

GPQA = b"- dataset: {id: Idavidrein/gpqa, task_id: gpqa_diamond}\n  value: 0.412\n"
BIG = GPQA + b"# " + b"x" * 4000 + b"\n"  # valid, 4 KB


def audit_one(hub: Hub, repo_id: str) -> RepoState:
    return audit_repos(hub, {repo_id: [repo_id]}, decided_by_main=lambda _k, _s: False)[repo_id]


@pytest.fixture
def small_cap_hub(localhub: LocalHub) -> Hub:
    return attrs.evolve(make_hub(localhub), max_eval_file_bytes=1024)


def test_a_file_over_the_cap_on_main_is_unreadable(localhub: LocalHub, small_cap_hub: Hub) -> None:
    s = localhub.storage
    s.create_repo("acme/m")
    s.commit("acme/m", {".eval_results/big.yaml": BIG, ".eval_results/ok.yaml": GPQA}, message="a")
    state = audit_one(small_cap_hub, "acme/m")
    big, ok = state.main_files
    assert big.unreadable and big.entries == () and big.text == ""
    assert "over the 1024-byte limit ([hub] max_eval_file_bytes)" in big.error
    assert not ok.error and ok.entries


def test_a_pr_file_over_the_cap_is_never_downloaded(localhub: LocalHub, small_cap_hub: Hub) -> None:
    s = localhub.storage
    s.create_repo("acme/m")
    s.open_pr("acme/m", {".eval_results/big.yaml": BIG}, title="big")
    localhub.reset_counters()
    state = audit_one(small_cap_hub, "acme/m")
    (pr,) = state.prs
    (big,) = pr.files
    assert big.unreadable and f"{len(BIG)} bytes, over the 1024-byte limit" in big.error
    assert "resolvers" not in localhub.counters()  # refused from the tree listing's size


def test_a_pr_changing_too_many_eval_files_is_not_read(
    localhub: LocalHub, hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit_module, "MAX_EVAL_FILES", 3)
    s = localhub.storage
    s.create_repo("acme/m")
    s.open_pr("acme/m", {f".eval_results/{i}.yaml": GPQA for i in range(4)}, title="many")
    localhub.reset_counters()
    (pr,) = audit_one(hub, "acme/m").prs
    assert pr.files == () and "4 eval files on this PR, over the 3 eeesync reads" in pr.error
    assert "resolvers" not in localhub.counters()


def test_any_exception_while_parsing_is_the_files_one_line_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def explode(_items: object) -> object:
        raise RecursionError("maximum recursion depth exceeded\nwhile calling")

    # A failure inside huggingface_hub's parser (third-party code) must not escape.
    monkeypatch.setattr(state_module, "parse_eval_result_entries", explode)
    parsed = guarded_parse(".eval_results/x.yaml", GPQA)
    assert parsed.error == (
        ".eval_results/x.yaml: cannot be read (RecursionError: maximum recursion depth "
        "exceeded while calling)"
    )
    assert parsed.text == GPQA.decode() and huggingface_hub.parse_eval_result_entries


def test_many_item_problems_make_one_short_line() -> None:
    data = b"".join(b"- just text\n" for _ in range(500))
    parsed = guarded_parse(".eval_results/x.yaml", data)
    assert len(parsed.error) <= 300 and "\n" not in parsed.error
