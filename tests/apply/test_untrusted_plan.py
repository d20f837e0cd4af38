"""Issue 14 §4: apply writes only what a plan may contain, whatever the plan file says.

The digest is a checksum anyone can recompute (`seal`), so each test hand-edits a real plan,
re-seals it and applies it against the local Hub: the edited repo is refused with a reason
before anything is written, the untouched repo in the same plan still gets its PR.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import attrs
import pytest
from huggingface_hub import HfApi

from eeesync.apply import ApplyOptions, Outcome, apply_plan, prepare_apply
from eeesync.apply.journal import Event, journal_path, read_journal
from eeesync.errors import PlanFileError
from eeesync.hub.client import Hub
from eeesync.localhub import LocalHub
from eeesync.plan.diff import action_id
from eeesync.plan.file import read_plan, seal
from eeesync.plan.model import Plan, PlannedEntry, RepoPlan
from eeesync.registry import load_registry
from tests.apply.conftest import EXISTING_YAML, open_prs, plan_for, seed_repo, write

EDITED, UNTOUCHED = "acme/edited", "acme/untouched"
Edit = Callable[[RepoPlan], RepoPlan]


def _change(repo: RepoPlan, content: str, *, path: str | None = None) -> RepoPlan:
    """`repo` writing `content` (to `path`), with the sha256 and action id recomputed."""
    old = repo.files[0]
    change = attrs.evolve(
        old,
        path=path or old.path,
        content=content,
        sha256=hashlib.sha256(content.encode()).hexdigest(),
    )
    return attrs.evolve(repo, files=(change,), action_id=action_id(repo.repo_id, [change]))


def _entries(repo: RepoPlan, **fields: object) -> RepoPlan:
    """The repo's planned entries with `fields` changed in their `EvalEntry` (consistently)."""

    def edit(planned: PlannedEntry) -> PlannedEntry:
        desired = planned.desired
        entry = attrs.evolve(desired.entry, **fields)  # type: ignore[misc]
        return attrs.evolve(planned, desired=attrs.evolve(desired, entry=entry))

    return attrs.evolve(repo, entries=tuple(edit(e) for e in repo.entries))


def _tampered(plan: Plan, edit: Edit) -> Plan:
    repos = tuple(edit(r) if r.repo_id == EDITED else r for r in plan.repos)
    return seal(attrs.evolve(plan, repos=repos))  # the recomputed digest: a checksum only


def _replace(old: str, new: str) -> Edit:
    """Edit both the content and the planned entries the same way (a careful attacker)."""

    def edit(repo: RepoPlan) -> RepoPlan:
        content = repo.files[0].content
        assert old in content, (old, content)
        return _change(repo, content.replace(old, new))

    return edit


def _as_new_file(repo: RepoPlan) -> RepoPlan:
    """Claim the file is new (base blob None) while main has it: it would replace main's."""
    change = attrs.evolve(repo.files[0], base_blob_id=None)
    return attrs.evolve(repo, files=(change,), action_id=action_id(repo.repo_id, [change]))


def _in_data(repo: RepoPlan) -> str:
    """A link that climbs out of a submission-layout path: `data/c/../../x/y.json`."""
    url = _url(repo)
    return url[: url.index("flat/objects/")] + "data/c/../../x/y.json"


def _url(repo: RepoPlan) -> str:
    url = repo.entries[0].desired.entry.source_url
    assert url is not None
    return url


EVIL_URL = "https://evil.example/datasets/x/blob/main/payload.json"

#: name → (edit, words the refusal must contain)
EDITS: dict[str, tuple[Edit, str]] = {
    "config_json": (
        lambda r: _change(r, '{"architectures": ["Evil"]}\n', path="config.json"),
        "'config.json' is not a file a plan may write",
    ),
    "traversal": (
        lambda r: _change(r, r.files[0].content, path=".eval_results/../config.yaml"),
        "is not a file a plan may write",
    ),
    "nested_folder": (
        lambda r: _change(r, r.files[0].content, path=".eval_results/a/mmlu_pro.yaml"),
        "is not a file a plan may write",
    ),
    "value_935": (
        lambda r: _entries(
            _replace("value: 40.0", "value: 935.86")(r),
            value=935.86,
        ),
        "value 935.86 is outside 0–100",
    ),
    "invalid_yaml": (
        lambda r: _change(r, r.files[0].content + "- dataset: {id: [unclosed\n"),
        "not valid YAML",
    ),
    "foreign_source": (
        lambda r: _entries(_replace(_url(r), EVIL_URL)(r), source_url=EVIL_URL),
        "is not a file of the plan's pinned datastore revision",
    ),
    "other_revision": (
        lambda r: _entries(
            _replace(_url(r), _url(r).replace("/blob/", "/blob/f00d" * 10 + "/x/"))(r),
            source_url=_url(r).replace("/blob/", "/blob/f00d" * 10 + "/x/"),
        ),
        "is not a file of the plan's pinned datastore revision",
    ),
    "submission_traversal": (
        lambda r: _entries(_replace(_url(r), _in_data(r))(r), source_url=_in_data(r)),
        "is not a file of the plan's pinned datastore revision",
    ),
    "unknown_dataset": (
        lambda r: _entries(
            _replace("id: TIGER-Lab/MMLU-Pro", "id: evil/not-a-benchmark")(r),
            dataset_id="evil/not-a-benchmark",
        ),
        "dataset/task is not in the plan's benchmark registry",
    ),
    "extra_key": (
        lambda r: _change(r, r.files[0].content + "  verifyToken: forged\n"),
        "not a Community Evals entry (unexpected keys)",
    ),
    "content_not_planned": (
        _replace("value: 40.0", "value: 41.0"),  # the entries still say 40.0
        "the new entries are not the plan's ready entries",
    ),
    "altered_kept_part": (
        _replace("value: 9.1", "value: 99.1"),  # someone else's score on main, changed
        "the part kept from the file on main is not the Hub's bytes",
    ),
    "claims_new_file": (
        lambda r: _as_new_file(_change(r, r.files[0].content[len(EXISTING_YAML) :])),
        "the plan merges onto (none), main holds",
    ),
    "misleading_added_span": (  # the review would mark someone else's lines as ours
        lambda r: attrs.evolve(r, files=(attrs.evolve(r.files[0], added_span=(0, 10)),)),
        "added_span does not mark the added entries",
    ),
    "dropped_kept_part": (
        lambda r: _change(r, r.files[0].content[len(EXISTING_YAML) :]),  # only our entry
        "the part kept from the file on main is not the Hub's bytes",
    ),
}


@pytest.fixture
def plan_path(localhub: LocalHub, hub_api: HfApi, tmp_path: Path) -> Path:
    seed_repo(localhub, EDITED, existing=EXISTING_YAML)
    seed_repo(localhub, UNTOUCHED)
    return write(plan_for(hub_api, localhub.url, [EDITED, UNTOUCHED]), tmp_path)


@pytest.mark.parametrize("name", sorted(EDITS))
def test_a_hand_edited_plan_with_a_recomputed_digest_is_refused_before_any_write(
    name: str, hub: Hub, hub_api: HfApi, plan_path: Path
) -> None:
    edit, reason = EDITS[name]
    plan = _tampered(read_plan(plan_path), edit)
    path = write(plan, plan_path.parent, f"{name}.plan.json")
    assert read_plan(path).digest == plan.digest  # the file itself is "valid"
    main_before = hub_api.model_info(EDITED).sha
    preview = prepare_apply(hub, plan, path, registry=load_registry())
    states = {c.repo.repo_id: c for c in preview.checks}
    assert states[EDITED].state is Outcome.REFUSED
    assert reason in states[EDITED].error
    assert states[UNTOUCHED].state is Outcome.PENDING
    report = apply_plan(hub, preview, ApplyOptions(message="Add eval results"))
    results = {r.repo_id: r for r in report.results}
    assert results[EDITED].state is Outcome.REFUSED and reason in results[EDITED].error
    assert results[UNTOUCHED].state is Outcome.OPENED
    assert not report.ok
    # Nothing written to the edited repo: no PR ref, main unchanged.
    assert not hub_api.list_repo_refs(EDITED, include_pull_requests=True).pull_requests
    assert hub_api.model_info(EDITED).sha == main_before
    skipped = [r for r in read_journal(journal_path(path)) if r.repo_id == EDITED]
    assert [(r.event, r.outcome) for r in skipped] == [(Event.SKIP, Outcome.REFUSED)]


def test_an_honest_plan_passes_every_check(hub: Hub, plan_path: Path) -> None:
    preview = prepare_apply(hub, read_plan(plan_path), plan_path, registry=load_registry())
    assert [c.state for c in preview.checks] == [Outcome.PENDING, Outcome.PENDING]


def test_a_plan_made_with_another_registry_is_refused(hub: Hub, plan_path: Path) -> None:
    plan = read_plan(plan_path)
    other = seal(attrs.evolve(plan, inputs=attrs.evolve(plan.inputs, registry_digest="sha256:0")))
    with pytest.raises(PlanFileError, match="benchmark registry"):
        prepare_apply(hub, other, plan_path, registry=load_registry())
    assert not journal_path(plan_path).exists()


def test_the_cli_refuses_an_edited_plan_with_exit_1_and_a_reason(
    localhub: LocalHub, plan_path: Path, hub_api: HfApi, capsys: pytest.CaptureFixture[str]
) -> None:
    from eeesync.cli.main import main

    plan = _tampered(read_plan(plan_path), EDITS["config_json"][0])
    path = write(plan, plan_path.parent, "edited.plan.json")
    config = plan_path.parent / "eeesync.toml"
    config.write_text(f'[hub]\nendpoint = "{localhub.url}"\n', encoding="utf-8")
    approve = ["--confirm", "OPEN PRS", "--message", "Add eval results"]
    code = main(
        ["--no-color", "--config", str(config), "apply", str(path), *approve],
        env={"COLUMNS": "200"},
    )
    out, _ = capsys.readouterr()
    assert code == 1
    assert "acme/edited: refused: 'config.json' is not a file a plan may write" in out
    assert "1 opened" in out and "1 refused." in out
    assert open_prs(hub_api, EDITED) == [] and open_prs(hub_api, UNTOUCHED) == [1]
    assert not any(
        f.endswith("config.json") for f in hub_api.list_repo_files(EDITED, revision="main")
    )
