"""`eeesync model`: Hub entries no datastore result maps to, and unreadable eval files (pure)."""

from __future__ import annotations

import attrs

from eeesync.hub.state import EvalFile, HubEntry, PullRequestState, RepoState
from eeesync.model_report import hub_only_entries, unreadable_files
from tests.plan_factory import HUB, desired

REPO = "org/model"
OURS = attrs.evolve(desired(REPO, "mmlu_pro", 50.0, notes="5-shot"), task_aliases=("mmlu-pro",))


def item(index: int, dataset: str, task: str, value: str, notes: str | None = None) -> HubEntry:
    return HubEntry(index, dataset, task, float(value), value, notes=notes)


def state(main: tuple[EvalFile, ...], prs: tuple[PullRequestState, ...] = ()) -> RepoState:
    return RepoState((REPO,), REPO, main_sha="m" * 40, main_files=main, prs=prs, prs_checked=True)


def test_what_the_datastore_maps_to_is_not_listed_the_rest_is() -> None:
    dataset = OURS.entry.dataset_id
    main = EvalFile(
        ".eval_results/mmlu_pro.yaml",
        "b" * 40,
        (
            item(0, dataset.upper(), "MMLU-PRO", "0.5", "5-shot"),  # ours via alias, any case
            item(1, dataset, "mmlu_pro", "48"),  # no notes: the same leaderboard as ours
            item(2, dataset, "mmlu_pro", "61", "With tools"),  # another setup: not ours
            item(3, "cais/hle", "hle", "9.1"),
        ),
    )
    copy = EvalFile(".eval_results/hle.yaml", "c" * 40, (item(0, "cais/hle", "hle", "9.1"),))
    new = EvalFile(".eval_results/gsm8k.yaml", "d" * 40, (item(0, "openai/gsm8k", "main", "80"),))
    pr = PullRequestState(
        4, "draft", "PR title", f"{HUB}/{REPO}/discussions/4", "h" * 40, (copy, new)
    )
    found = hub_only_entries(state((main,), (pr,)), [OURS], HUB)
    assert [(f.location, f.pr_num, f.entry.task_id, f.entry.notes) for f in found] == [
        ("main", None, "mmlu_pro", "With tools"),
        ("main", None, "hle", None),
        ("pr", 4, "main", None),  # the PR's copy of main's HLE entry is listed once, under main
    ]
    assert found[0].url == f"{HUB}/{REPO}/blob/{'m' * 40}/.eval_results/mmlu_pro.yaml"
    assert found[2].pr_url == f"{HUB}/{REPO}/discussions/4"


def test_unreadable_and_malformed_files_with_their_reason() -> None:
    broken = EvalFile(".eval_results/a.yaml", "a" * 40, error=".eval_results/a.yaml: invalid YAML")
    gone = EvalFile(
        ".eval_results/b.yaml",
        None,
        error=".eval_results/b.yaml: cannot download: 500",
        unreadable=True,
    )
    fine = EvalFile(".eval_results/c.yaml", "c" * 40)
    pr = PullRequestState(2, "open", "t", f"{HUB}/{REPO}/discussions/2", "h" * 40, error="403")
    found = unreadable_files(state((broken, gone, fine), (pr,)), HUB)
    assert [(f.location, f.path, f.reason) for f in found] == [
        ("main", ".eval_results/a.yaml", "invalid YAML"),
        ("main", ".eval_results/b.yaml", "cannot download: 500"),
        ("pr", "", "403"),
    ]


def test_a_repo_that_could_not_be_read_or_does_not_exist_lists_nothing() -> None:
    main = (EvalFile(".eval_results/x.yaml", "x" * 40, (item(0, "cais/hle", "hle", "1"),)),)
    for bad in (
        attrs.evolve(state(main), error="timeout"),
        attrs.evolve(state(main), exists=False),
    ):
        assert hub_only_entries(bad, [OURS], HUB) == () and unreadable_files(bad, HUB) == ()
