"""hub/audit.py against the local Hub: heads, eval files on main and in open/draft PRs,
request economy, the cache, and faults that become audit errors (never "missing")."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import attrs
import pytest
from huggingface_hub import HfApi
from huggingface_hub.utils.sha import git_hash
from hypothesis import given, settings
from hypothesis import strategies as st

from eeesync.cache import AuditCache
from eeesync.errors import HubUnavailableError
from eeesync.hub.audit import audit_repos
from eeesync.hub.client import Hub, RetryPolicy
from eeesync.hub.state import RepoState, is_eval_path, parse_eval_file
from eeesync.localhub import FaultConfig, LocalHub

GPQA = b"- dataset: {id: Idavidrein/gpqa, task_id: gpqa_diamond}\n  value: 0.412\n"
HLE = b"- dataset:\n    id: cais/hle\n    task_id: hle\n  value: '9.5'\n  date: 2025-01-15\n"


def never(_key: str, _state: RepoState) -> bool:
    return False


def audit(
    hub: Hub,
    *ids: str,
    decided: Callable[[str, RepoState], bool] = never,
    cache: AuditCache | None = None,
) -> dict[str, RepoState]:
    wanted: dict[str, list[str]] = {}
    for repo_id in ids:
        wanted.setdefault(repo_id.lower(), []).append(repo_id)
    return audit_repos(hub, wanted, decided_by_main=decided, concurrency=4, cache=cache)


# --- parsing -----------------------------------------------------------------------------------


def test_parse_normalises_dates_and_numeric_strings() -> None:
    parsed = parse_eval_file(".eval_results/hle.yaml", HLE)
    (entry,) = parsed.entries
    assert parsed.error == "" and parsed.blob_id == git_hash(HLE)
    assert (entry.dataset_id, entry.task_id, entry.value, entry.raw_value) == (
        "cais/hle",
        "hle",
        9.5,
        "9.5",
    )
    assert entry.date == "2025-01-15"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"dataset: {id: a, task_id: b}\nvalue: 1\n", "top level is a dict, expected a list"),
        (b"- [unclosed\n", "invalid YAML (line 2)"),
        (b"- just text\n", "entry 1 is a str, expected a mapping"),
        (b"- dataset: {id: a, task_id: b}\n", "entry 1 lacks the required key value"),
        (b"- dataset: {id: a}\n  value: 1\n", "lacks the required key dataset.task_id"),
        (b"\xff\xfe- a\n", "not UTF-8"),
    ],
)
def test_malformed_files_are_named_with_the_problem(data: bytes, message: str) -> None:
    parsed = parse_eval_file(".eval_results/x.yaml", data)
    assert parsed.error.startswith(".eval_results/x.yaml: ") and message in parsed.error


def test_valid_items_of_a_partly_malformed_file_are_kept() -> None:
    parsed = parse_eval_file(".eval_results/x.yaml", GPQA + b"- 42\n")
    assert len(parsed.entries) == 1 and "entry 2" in parsed.error


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_parsing_never_raises(data: bytes) -> None:
    parsed = parse_eval_file(".eval_results/x.yaml", data)
    assert parsed.blob_id == git_hash(data)


def test_eval_paths() -> None:
    assert is_eval_path(".eval_results/a.yaml") and is_eval_path(".eval_results/sub/b.YML")
    assert not is_eval_path("README.md") and not is_eval_path("eval_results/a.yaml")
    assert not is_eval_path(".eval_results/notes.txt")


# --- one repo end to end -----------------------------------------------------------------------


def test_canonical_id_main_files_and_a_draft_pr(localhub: LocalHub, hub: Hub) -> None:
    s = localhub.storage
    s.create_repo("Acme/Model-7B")
    s.commit("Acme/Model-7B", {".eval_results/gpqa.yaml": GPQA, "README.md": b"hi"}, message="a")
    s.open_pr("Acme/Model-7B", {".eval_results/hle.yaml": HLE}, title="Add HLE", draft=True)
    closed = s.open_pr("Acme/Model-7B", {".eval_results/old.yaml": HLE}, title="Old")
    s.set_discussion_status("Acme/Model-7B", closed, "closed")
    s.open_pr("Acme/Model-7B", {"README.md": b"typo"}, title="Fix typo")

    state = audit(hub, "acme/model-7b")["acme/model-7b"]
    main_sha = HfApi(endpoint=localhub.url).model_info("Acme/Model-7B").sha
    assert state.repo_id == "Acme/Model-7B" and state.requested_ids == ("acme/model-7b",)
    assert state.exists and state.main_sha == main_sha and not state.error
    (gpqa,) = state.main_files
    assert gpqa.path == ".eval_results/gpqa.yaml" and gpqa.blob_id == git_hash(GPQA)
    assert gpqa.text == GPQA.decode() and gpqa.entries[0].value == 0.412
    assert state.prs_checked and [(p.num, p.status) for p in state.prs] == [
        (1, "draft"),
        (3, "open"),
    ]
    draft, typo = state.prs
    assert [f.path for f in draft.files] == [".eval_results/hle.yaml"]
    assert draft.title == "Add HLE"
    assert draft.url == "https://huggingface.co/Acme/Model-7B/discussions/1"
    refs = HfApi(endpoint=localhub.url).list_repo_refs("Acme/Model-7B", include_pull_requests=True)
    heads = {r.ref: r.target_commit for r in refs.pull_requests or []}
    assert draft.head_sha == heads["refs/pr/1"]
    assert typo.files == ()  # changes no eval file


def test_missing_repo_is_missing(localhub: LocalHub, hub: Hub) -> None:
    localhub.storage.create_repo("acme/real")
    states = audit(hub, "acme/real", "acme/ghost")
    assert states["acme/ghost"].exists is False and states["acme/ghost"].error == ""
    assert states["acme/real"].exists is True


def test_gated_files_are_unreadable_not_missing(localhub: LocalHub, hub: Hub) -> None:
    localhub.storage.create_repo("acme/gated")
    localhub.storage.commit("acme/gated", {".eval_results/gpqa.yaml": GPQA}, message="a")
    localhub.storage.set_gated("acme/gated")
    state = audit(hub, "acme/gated")["acme/gated"]
    assert state.exists
    (f,) = state.main_files
    assert f.unreadable and "gated" in f.error


def test_persistent_errors_are_audit_errors_for_that_repo_only(
    localhub: LocalHub, hub: Hub
) -> None:
    for name in ("solo/a", "other/b"):
        localhub.storage.create_repo(name)
    audit(hub, "solo/a")  # warm the connection before the faults
    localhub.set_faults(FaultConfig(rate_5xx=1.0, routes=frozenset({"discussions"})))
    states = audit(hub, "solo/a", "other/b")
    for state in states.values():
        assert state.exists and not state.error
        assert state.pr_error.startswith("cannot list open PRs: HTTP 5")


def test_prs_are_not_listed_when_main_decides(localhub: LocalHub, hub: Hub) -> None:
    localhub.storage.create_repo("acme/m")
    localhub.storage.commit("acme/m", {".eval_results/gpqa.yaml": GPQA}, message="a")
    localhub.reset_counters()
    state = audit(hub, "acme/m", decided=lambda _k, s: bool(s.main_files))["acme/m"]
    assert not state.prs_checked
    counts = localhub.counters()
    assert "discussions" not in counts and "refs" not in counts
    assert counts["api"] == 1 and counts["resolvers"] == 1


def test_many_repos_of_one_author_cost_one_listing(localhub: LocalHub, hub: Hub) -> None:
    s = localhub.storage
    with s.bulk():
        for i in range(30):
            s.create_repo(f"Big-Org/model-{i:02d}")
        s.create_repo("Big-Org/unwanted")
    ids = [f"big-org/MODEL-{i:02d}" for i in range(30)]
    localhub.reset_counters()
    states = audit(hub, *ids, decided=lambda _k, _s: True)
    assert all(st_.exists and st_.repo_id.startswith("Big-Org/model-") for st_ in states.values())
    counts = localhub.counters()
    # one probe (model_info) + one author listing for the other 29 repos
    assert counts.get("repo_info", 0) == 1 and counts["list_repos"] == 1
    assert counts["api"] == 2


def test_429_and_5xx_storms_give_the_fault_free_result(localhub: LocalHub, hub: Hub) -> None:
    s = localhub.storage
    for i in range(6):
        s.create_repo(f"org{i % 3}/m{i}")
        s.commit(f"org{i % 3}/m{i}", {".eval_results/gpqa.yaml": GPQA}, message="a")
    s.open_pr("org0/m0", {".eval_results/hle.yaml": HLE}, title="HLE")
    ids = [f"org{i % 3}/m{i}" for i in range(6)] + ["org9/ghost"]
    clean = audit(hub, *ids)
    localhub.set_faults(FaultConfig(rate_429=0.25, rate_5xx=0.15, retry_after_s=0, seed=7))
    stormy = audit(hub, *ids)
    assert stormy == clean
    assert localhub.counters().get("faults.429", 0) > 0 and hub.retries > 0


def test_a_hub_that_cannot_be_reached_is_one_clear_error(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    hub = Hub(HfApi(endpoint=url, token=False), url, url, url, RetryPolicy(base_wait=0.01))
    with pytest.raises(HubUnavailableError, match="cannot reach the Hub"):
        audit(hub, "acme/a", "acme/b")


class RecordingTask:
    def __init__(self, ticks: list[str], name: str) -> None:
        self.ticks, self.name = ticks, name

    def advance(self, steps: int = 1) -> None:
        self.ticks.append(f"{self.name} +{steps}")

    def complete(self) -> None:
        self.ticks.append(f"{self.name} done")


class RecordingProgress:
    """An `eeesync.progress.Progress` that writes down every call."""

    def __init__(self) -> None:
        self.ticks: list[str] = []

    def task(self, description: str, total: int) -> RecordingTask:
        self.ticks.append(f"start {description} {total}")
        return RecordingTask(self.ticks, description.split()[0])

    def note(self, message: str) -> None:
        self.ticks.append(f"note {message}")


def test_progress_ticks(localhub: LocalHub, hub: Hub) -> None:
    localhub.storage.create_repo("a/x")
    progress = RecordingProgress()
    audit_repos(
        hub,
        {"a/x": ["a/x"], "b/y": ["b/y"]},
        decided_by_main=never,
        progress=progress,
    )
    ticks = progress.ticks
    assert ticks[:2] == ["start Looking up model repos 2", "start Auditing model repos 2"]
    assert ticks.count("Looking +1") == 2 and ticks.count("Auditing +1") == 2


# --- the audit cache ---------------------------------------------------------------------------


def _seed_cached_repo(localhub: LocalHub) -> None:
    s = localhub.storage
    s.create_repo("acme/m")
    s.commit("acme/m", {".eval_results/gpqa.yaml": GPQA}, message="a")
    s.open_pr("acme/m", {".eval_results/hle.yaml": HLE}, title="HLE")


def test_warm_audit_downloads_nothing_again(localhub: LocalHub, hub: Hub, tmp_path: Path) -> None:
    _seed_cached_repo(localhub)
    cache = AuditCache(tmp_path / "audit")
    cold = audit(hub, "acme/m", cache=cache)
    localhub.reset_counters()
    warm = audit(hub, "acme/m", cache=AuditCache(tmp_path / "audit"))
    assert warm == cold
    counts = localhub.counters()
    assert "resolvers" not in counts and "tree" not in counts


def test_a_changed_hub_is_never_hidden_by_the_cache(
    localhub: LocalHub, hub: Hub, tmp_path: Path
) -> None:
    _seed_cached_repo(localhub)
    audit(hub, "acme/m", cache=AuditCache(tmp_path / "audit"))
    new = GPQA.replace(b"0.412", b"0.5")
    localhub.storage.commit("acme/m", {".eval_results/gpqa.yaml": new}, message="b")
    localhub.storage.commit(
        "acme/m", {".eval_results/hle.yaml": HLE + HLE}, revision="refs/pr/1", message="c"
    )
    state = audit(hub, "acme/m", cache=AuditCache(tmp_path / "audit"))["acme/m"]
    assert state.main_files[0].entries[0].value == 0.5
    in_pr = {f.path: f for f in state.prs[0].files}
    assert len(in_pr[".eval_results/hle.yaml"].entries) == 2


def test_a_failed_read_is_never_cached(localhub: LocalHub, hub: Hub, tmp_path: Path) -> None:
    _seed_cached_repo(localhub)
    localhub.set_faults(FaultConfig(rate_5xx=1.0, routes=frozenset({"resolvers"})))
    broken = audit(hub, "acme/m", cache=AuditCache(tmp_path / "audit"))["acme/m"]
    assert broken.main_files[0].unreadable
    localhub.set_faults(None)
    fixed = audit(hub, "acme/m", cache=AuditCache(tmp_path / "audit"))["acme/m"]
    assert not fixed.main_files[0].unreadable and fixed.main_files[0].entries


def test_force_reads_no_cache_but_refreshes_it(
    localhub: LocalHub, hub: Hub, tmp_path: Path
) -> None:
    _seed_cached_repo(localhub)
    audit(hub, "acme/m", cache=AuditCache(tmp_path / "audit"))
    localhub.reset_counters()
    forced = AuditCache(tmp_path / "audit", read=False)
    audit(hub, "acme/m", cache=forced)
    assert localhub.counters()["resolvers"] == 2 and forced.hits == 0


def test_a_corrupt_cache_entry_is_a_miss(localhub: LocalHub, hub: Hub, tmp_path: Path) -> None:
    _seed_cached_repo(localhub)
    cold = audit(hub, "acme/m", cache=AuditCache(tmp_path / "audit"))
    for path in (tmp_path / "audit").rglob("*.json"):
        path.write_text("{not json")
    cache = AuditCache(tmp_path / "audit")
    assert audit(hub, "acme/m", cache=cache) == cold
    assert cache.hits == 0 and cache.misses == 2


def test_states_are_frozen_values() -> None:
    state = RepoState(("a/b",), "a/b")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        state.repo_id = "x"  # type: ignore[misc]
