"""The types that represent a plan: plain frozen data with small query helpers, no I/O.

This is a leaf module (like Terraform's `internal/plans`): the datastore, mapping, audit, views
and apply all speak these types, and `plan/file.py` is the only code that knows their JSON form.
Sequences are tuples sorted when built, so equal inputs give byte-equal plan files.

Fields documented as *for people* (`reason`, `message`, `diff`, `added_span`) explain a decision
in the UI; apply must never use them to decide anything (Terraform's `ActionReason` rule).
"""

from __future__ import annotations

import enum
import operator
from typing import Any, TypeVar

import attrs

#: 1.1: files[].added_span; 1.2: recorded_as, datastore_pinned_by, alias_digest, and
#: unmatched[], counts.unmatched, desired.dataset_aliases (coverage, issue 10); 1.3: the
#: lifecycle statuses, repos[].update_pr / delete_paths / close_pr / fixes_main,
#: inputs.policy_digest and inputs.prs_unknown; inputs.account, repos[].owned and
#: repos[].write (who applies, and how each repo is written).
FORMAT_VERSION = "1.3"
SOURCE_NAME = "EvalEval"

_C = TypeVar("_C", bound=type)


def pickled_by_fields(cls: _C) -> _C:
    """Pickle instances as (class, field values), rebuilt through `__init__`.

    attrs pickles a frozen slots class through Python-level `__getstate__` / `__setstate__`
    loops over its fields; a large folder scan moves about a million of these objects between
    processes (`eeesync.parallel_map`), and a C-level `attrgetter` halves the cost of that move
    (benchmarks/bench_datastore.py). For classes whose fields are all `__init__` arguments.
    """
    fields = attrs.fields(cls)
    if any(not f.init or f.alias != f.name for f in fields):
        raise TypeError(f"{cls.__name__}: every field must be a plain __init__ argument")
    values = operator.attrgetter(*(f.name for f in fields))

    def __reduce__(self: Any) -> tuple[type, tuple[Any, ...]]:
        return cls, values(self)

    setattr(cls, "__reduce__", __reduce__)  # noqa: B010 (mypy: a method is not assignable)
    return cls


class Status(enum.StrEnum):
    """What happens to one desired entry. The values are written in the plan file; everything
    else eeesync says about a status is its row in `STATUS_TABLE`."""

    READY = "ready"
    UPDATE_PR = "update_pr"
    WITHDRAW = "withdraw"
    PENDING_PR = "pending_pr"
    ALREADY_PRESENT = "already_present"
    DECLINED = "declined"
    REMOVED_BY_AUTHOR = "removed_by_author"
    OPTED_OUT = "opted_out"
    PRS_DISABLED = "prs_disabled"
    OUTDATED_ON_MAIN = "outdated_on_main"
    SCORE_CONFLICT = "score_conflict"
    MISSING_HF_MODEL = "missing_hf_model"
    SOURCE_CONFLICT = "source_conflict"
    AUDIT_ERROR = "audit_error"
    SKIPPED = "skipped"

    @property
    def info(self) -> StatusInfo:
        return STATUS_TABLE[self]

    @property
    def opens_write(self) -> bool:
        return self.info.opens_write

    @property
    def needs_attention(self) -> bool:
        """Statuses a reviewer should look at (the "needs attention" part of every view)."""
        return self.info.needs_attention


@attrs.frozen
class StatusInfo:
    """Everything the views and the docs say about one status: one row of `STATUS_TABLE`.

    How to add a status: add its value to `Status` and its row here (the views, `eeesync show
    --status`, the model view and the docs' status tables all read this row; a test renders every
    status in every view and checks the README and docs/plan-format.md tables against the rows),
    then decide it in `plan/diff.py`. A view shows a new status as a generic table of entries
    until someone writes it a dedicated section.
    """

    title: str  # the heading of its section in the plan views
    meaning: str  # one line, for the views' summary table
    detail: str  # the docs' meaning (README and docs/plan-format.md)
    todo: str  # the README's "what to do about it"
    style: str  # rich style of its name, heading and model-view label ("" = plain)
    needs_attention: bool = False  # a reviewer should look at it ("need attention" count)
    opens_write: bool = False  # apply writes something to the Hub for it (today: a PR)
    in_model_view: bool = True  # `eeesync model` counts and labels results with it
    shown_by_default: bool = True  # plan views list it without `--status`


#: One row per status, in the order every view lists them (the changes first, then what needs a
#: reviewer, so at a terminal the attention tables stay on screen).
STATUS_TABLE: dict[Status, StatusInfo] = {
    Status.READY: StatusInfo(
        title="Pull requests to open",
        meaning="not on the Hub: a PR adds it",
        detail="not on the Hub anywhere; the PR adds it",
        todo="review the diff; `eeesync apply` opens the PR",
        style="bold green",
        opens_write=True,
    ),
    Status.UPDATE_PR: StatusInfo(
        title="Updates to our open pull requests",
        meaning="our open PR gets the new value or entry",
        detail="our own open PR holds this entry with another value, date, notes or source "
        "record, or lacks it: apply commits the change to that PR (`repos[].update_pr`) and "
        "refreshes its description. At most one open eeesync PR per repo",
        todo="review the diff; `eeesync apply` pushes one commit to that PR (never a second PR)",
        style="bold green",
        opens_write=True,
    ),
    Status.WITHDRAW: StatusInfo(
        title="Withdrawn from our open pull requests",
        meaning="our open PR loses it: the datastore dropped it",
        detail="our own open PR holds this entry and the datastore no longer gives it (record "
        "removed or now skipped, model aliased elsewhere; only entries of the plan's collections "
        "and benchmark filter): apply removes it from the PR, or closes the PR with a comment "
        "when nothing is left. `desired` is the entry as the PR lists it",
        todo="`eeesync apply` removes it from the PR, or closes the PR with a comment when "
        "nothing is left",
        style="bold green",
        opens_write=True,
    ),
    Status.PENDING_PR: StatusInfo(
        title="Pending in open pull requests",
        meaning="same score in an open PR",
        detail="same score in an open or draft PR",
        todo="nothing; the model author merges or closes it",
        style="cyan",
    ),
    Status.ALREADY_PRESENT: StatusInfo(
        title="Already present on main",
        meaning="same score on main",
        detail="same score on main (0–1 values are compared ×100: 0.412 = 41.2; tolerance "
        "from `[sync] tolerance`)",
        todo="nothing",
        style="cyan",
        shown_by_default=False,
    ),
    Status.DECLINED: StatusInfo(
        title="Declined by the model author",
        meaning="a closed PR held it: never again",
        detail="a closed, unmerged PR held this entry (dataset, task, notes): one of ours (its "
        "description's entry list), or anyone's whose files are readable at `refs/pr/N`. "
        "`existing` names the PR, `reason` who closed it and when. Our own closing (a "
        "duplicate, a withdrawal) is not a decline",
        todo="nothing: never proposed again; a reviewed line in the reconsider file "
        "(`[policy] reconsider_file`) naming the repo and PR proposes it again",
        style="cyan",
    ),
    Status.REMOVED_BY_AUTHOR: StatusInfo(
        title="Removed by the model author",
        meaning="merged, then removed by the author",
        detail="a merged PR of ours added this entry, or an apply committed it to main "
        "directly (direct-when-owner, per the journal beside its plan), and main no longer "
        "has it",
        todo="nothing: never proposed again",
        style="cyan",
    ),
    Status.OPTED_OUT: StatusInfo(
        title="Opted out",
        meaning="repo or author on the opt-out list",
        detail="the repo or its author is on the opt-out list (`[policy] opt_out_file`): not "
        "audited, never proposed",
        todo="nothing",
        style="",
        shown_by_default=False,
    ),
    Status.PRS_DISABLED: StatusInfo(
        title="Pull requests disabled",
        meaning="the Hub refuses PRs on this repo",
        detail="an apply journal under the plan folder says the Hub refused a PR on this repo: "
        "reported, not retried every night",
        todo="nothing; ask the owner to enable discussions, then remove the journal line",
        style="yellow",
    ),
    Status.OUTDATED_ON_MAIN: StatusInfo(
        title="Outdated on main",
        meaning="main has an older datastore value",
        detail="main holds this entry with a source link into the datastore, and the datastore "
        "now gives another value. With `[policy] update_main = true` apply opens a PR that "
        "changes exactly that entry (`repos[].fixes_main`)",
        todo="compare (`eeesync model ID`); set `[policy] update_main = true` to let apply "
        "propose the update",
        style="yellow",
        needs_attention=True,
    ),
    Status.SCORE_CONFLICT: StatusInfo(
        title="Score conflicts",
        meaning="a different score on the Hub",
        detail="a different score on main or in an open/draft PR (`existing` holds both sides)",
        todo="compare both (`eeesync model ID`); talk to the model author; eeesync never "
        "overwrites",
        style="bold red",
        needs_attention=True,
    ),
    Status.MISSING_HF_MODEL: StatusInfo(
        title="Missing model repos",
        meaning="model repo does not exist",
        detail="the model repo does not exist (never used for 401/403/429/5xx: those are "
        "`audit_error`)",
        todo="check the id in the datastore (a renamed or deleted repo); nothing to publish",
        style="yellow",
        needs_attention=True,
    ),
    Status.SOURCE_CONFLICT: StatusInfo(
        title="Source conflicts",
        meaning="datastore records disagree",
        detail="several datastore records disagree on one (model, dataset, task, notes), e.g. "
        "bfloat16 vs float16 runs",
        todo="look at them side by side with `eeesync model ID`; fix the datastore, or set "
        '`[sync] duplicates = "latest"`',
        style="bold red",
        needs_attention=True,
    ),
    Status.AUDIT_ERROR: StatusInfo(
        title="Audit errors",
        meaning="Hub state could not be read",
        detail="the Hub state that could hold this entry could not be read (the repo, its PR "
        "list, or a malformed/unreadable file that is the entry's target file or mentions its "
        "dataset id; a 5xx, a timeout)",
        todo="read the reason; rerun later, or ask the author to fix the file; other entries "
        "of the repo proceed",
        style="bold red",
        needs_attention=True,
    ),
    Status.SKIPPED: StatusInfo(
        title="Skipped records",
        meaning="record unusable or not mappable",
        detail="the record or result is unusable or not mappable (bad hash, API-only model, "
        "unknown scale, no variant, …); listed in the top-level `skipped` list",
        todo="the reason code says which; `eeesync show PLAN --status skipped` lists them",
        style="yellow",
        needs_attention=True,
    ),
}
if list(STATUS_TABLE) != list(Status):
    raise AssertionError("STATUS_TABLE needs one row per Status, in the enum's order")

#: Order used by summaries and views (the table's).
STATUS_ORDER: tuple[Status, ...] = tuple(Status)


@pickled_by_fields
@attrs.frozen
class Provenance:
    """Where a desired entry came from in the datastore."""

    collection: str
    #: 1-based line in flat/indexes/by_collection/<collection>.jsonl; 0: a submission-layout
    #: file (no index)
    line: int
    object_path: str  # flat/objects/xx/yy/<uuid>.json, or data/<collection>/…/<uuid>.json
    sha256: str
    evaluation_id: str = ""
    result_id: str = ""  # evaluation_results[].evaluation_result_id (or its index when absent)
    timestamp: str = ""  # evaluation timestamp as recorded (for the "latest" duplicate policy)
    source_url: str = ""  # the pinned datastore blob URL of the object

    @property
    def label(self) -> str:
        """Short, for people: `collection:line`, or `collection:<file name>` without an index."""
        where = self.line or self.object_path.rpartition("/")[2]
        return f"{self.collection}:{where}"


@pickled_by_fields
@attrs.frozen
class EvalEntry:
    """One `.eval_results` entry, in our own type (huggingface_hub's `EvalResultEntry` stays at
    the edges: the audit reads it, merge builds it to serialise)."""

    dataset_id: str
    task_id: str
    value: float
    date: str | None = None
    source_url: str | None = None
    source_name: str | None = None
    notes: str | None = None

    def key(self) -> tuple[str, str, str]:
        """Identity on the Hub: (dataset id lower-cased, task id, notes or "")."""
        return (self.dataset_id.lower(), self.task_id, self.notes or "")


@pickled_by_fields
@attrs.frozen
class DesiredEntry:
    """A score eeesync wants on a model repo, from one datastore record."""

    repo_id: str  # as written in the record (validated); the audit finds the canonical id
    benchmark: str  # registry key, e.g. "mmlu_pro"
    file_path: str  # target file, e.g. ".eval_results/mmlu_pro.yaml"
    entry: EvalEntry
    task_aliases: tuple[str, ...] = ()  # other task ids that mean the same leaderboard
    provenance: Provenance | None = None
    dataset_aliases: tuple[str, ...] = ()  # other Hub ids of the same benchmark dataset (1.2)
    raw_value: float | None = None  # the score as recorded, before scaling (for people)
    metric: str = ""  # metric id or name as recorded (for people)
    #: The model id as the record spells it when a reviewed alias (model-aliases.toml) sent the
    #: entry to another repo; "" when the record's own id is the repo.
    recorded_as: str = ""


@pickled_by_fields
@attrs.frozen
class SkippedItem:
    """A record, result or row that produced no desired entry, with the reason."""

    reason: str  # machine code, e.g. "sha256_mismatch", "api_only_model", "unknown_task"
    message: str  # for people: what is wrong and where
    collection: str = ""
    line: int = 0
    object_path: str = ""
    model_id: str = ""
    benchmark: str = ""


@attrs.frozen
class UnmatchedGroup:
    """Results that no benchmark of the registry recognised, counted per (collection,
    evaluation name): what the sync leaves behind, without one item per result (1.2)."""

    collection: str
    evaluation_name: str  # evaluation_name, else source_data.dataset_name, else "(unnamed)"
    results: int


@attrs.frozen
class Existing:
    """A matching entry already on the Hub (main or an open/draft PR)."""

    location: str  # "main" or "pr"
    path: str  # file path in the repo
    value: float | None  # normalised to 0–100 (None when unreadable)
    raw_value: str = ""  # as written in the file (for people)
    pr_num: int | None = None
    pr_url: str | None = None
    url: str | None = None  # link to the file (blob URL) for people


@attrs.frozen
class PlannedEntry:
    """One desired entry with its status, in a repo's plan."""

    status: Status
    desired: DesiredEntry
    reason: str = ""  # for people
    existing: tuple[Existing, ...] = ()
    diff: str = ""  # for people: deepdiff summary against the existing entry
    conflicting_values: tuple[
        float, ...
    ] = ()  # source_conflict: the values the records disagree on


@attrs.frozen
class OpenPullRequest:
    """An open or draft PR on the model repo when the plan was made."""

    num: int
    status: str  # "open" or "draft"
    head_sha: str
    title: str = ""  # for people
    url: str = ""  # for people


@attrs.frozen
class FileBlob:
    """A target file's blob id on main (None: the file does not exist there)."""

    path: str
    blob_id: str | None


@attrs.frozen
class Preconditions:
    """The Hub facts a repo's action relied on; apply re-checks them (stale → skipped)."""

    main_sha: str
    open_prs: tuple[OpenPullRequest, ...] = ()
    file_blobs: tuple[FileBlob, ...] = ()


@attrs.frozen
class FileChange:
    """The exact content to commit for one file (existing main entries kept, ours added)."""

    path: str
    content: str  # the exact bytes to commit, UTF-8
    sha256: str  # of `content`
    base_blob_id: str | None  # blob on main the content was merged onto (None: new file)
    added: int  # entries added by this change
    #: For people (views mark those lines), never for apply, which commits `content` only
    #: (Terraform's ActionReason rule):
    #: `[start, end)` UTF-8 byte offsets of the text the merge inserted; `content` without it
    #: is the file on main byte for byte (but an emptied file's `[]`, which our block list
    #: replaces). None in a 1.0 plan, which did not record it.
    added_span: tuple[int, int] | None = None


WRITE_PR = "pr"
WRITE_DIRECT = "direct"


@attrs.frozen
class RepoPlan:
    """Everything planned for one model repo."""

    repo_id: str  # canonical id on the Hub (or as recorded when the repo is missing)
    requested_ids: tuple[str, ...]  # ids as the records spell them
    entries: tuple[PlannedEntry, ...]
    preconditions: Preconditions | None = None  # None when the repo could not be read
    files: tuple[FileChange, ...] = ()  # non-empty iff some entry is ready
    action_id: str = ""  # stable id of the PR action ("" when nothing to open)
    audit_error: str = ""  # for people: why the repo (or part of it) could not be read
    #: The planning account (`inputs.account`) or one of its organisations with write access
    #: owns this repo (1.3).
    owned: bool = False
    #: How apply writes `files` (1.3): WRITE_PR, or WRITE_DIRECT (one commit on main whose
    #: parent is `preconditions.main_sha`: `[apply] mode = "direct-when-owner"`, owned repos).
    write: str = "pr"
    #: Our open PR this action commits to (or closes); 0: the action opens a new PR.
    update_pr: int = 0
    #: Files the commit to `update_pr` deletes (new files of ours left with no entry).
    delete_paths: tuple[str, ...] = ()
    #: Close `update_pr` with a comment: nothing of it is wanted any more.
    close_pr: bool = False
    #: `[policy] update_main`: the action's PR edits `outdated_on_main` entries on main.
    fixes_main: bool = False

    @property
    def opens_pr(self) -> bool:
        """Apply has something to write for this repo (a new PR, a commit to ours, a close)."""
        return bool(self.files or self.delete_paths or self.close_pr)

    @property
    def direct(self) -> bool:
        """The files go to main in one commit instead of a PR."""
        return self.write == WRITE_DIRECT and bool(self.files)

    def count(self, status: Status) -> int:
        return sum(1 for e in self.entries if e.status is status)


@attrs.frozen
class IndexDigest:
    """sha256 of one collection index file as read."""

    collection: str
    sha256: str
    rows: int


@attrs.frozen
class Inputs:
    """What the plan was computed from."""

    config_digest: str
    collections: tuple[str, ...]
    datastore_input: str
    datastore_repo: str  # repo the backlinks point at
    datastore_revision: str  # resolved commit sha (or a folder content digest)
    indexes: tuple[IndexDigest, ...]
    registry_digest: str
    endpoint: str  # as configured: https://huggingface.co, http://…, local:PATH
    model_filter: str = ""  # --model GLOB
    benchmark_filter: tuple[str, ...] = ()  # --benchmark KEY…
    #: How `datastore_revision` was found: "hub", or a folder's "config" / "snapshot" /
    #: "local-dir" / "git"; "" = an unpinned folder (its links resolve nowhere).
    datastore_pinned_by: str = ""
    #: sha256 of the model alias file in effect ("" = none).
    alias_digest: str = ""
    #: `--shard K/N`: only model ids whose hash falls in shard K of N ("" = every model).
    #: Left out of the file when empty, so an unsharded plan reads as it always did.
    shard: str = ""
    #: sha256 of the opt-out list and reconsidered declines in effect ("" = none) (1.3).
    policy_digest: str = ""
    #: The plan had no token: it could not tell which PRs are ours (declines of ours, merged
    #: entries removed, our open PR to update are unknown; apply re-checks) (1.3).
    prs_unknown: bool = False
    #: The Hub account the plan was made as (`whoami` of its token; never the token), whose
    #: ownership `repos[].owned` records; "" = no token or unknown (1.3).
    account: str = ""


@attrs.frozen
class Counts:
    """Entries per status, plus repos and files to open."""

    by_status: dict[str, int]  # every status, in STATUS_ORDER
    repos: int
    prs_to_open: int
    files_to_write: int
    unmatched: int = 0  # results no benchmark recognised (1.2)

    def get(self, status: Status) -> int:
        return self.by_status.get(status.value, 0)

    @classmethod
    def of(
        cls,
        repos: tuple[RepoPlan, ...],
        skipped: tuple[SkippedItem, ...],
        unmatched: tuple[UnmatchedGroup, ...] = (),
    ) -> Counts:
        tally = {s.value: 0 for s in STATUS_ORDER}
        for repo in repos:
            for entry in repo.entries:
                tally[entry.status.value] += 1
        tally[Status.SKIPPED.value] += len(skipped)
        return cls(
            by_status=tally,
            repos=len(repos),
            prs_to_open=sum(1 for r in repos if r.opens_pr),
            files_to_write=sum(len(r.files) for r in repos),
            unmatched=sum(g.results for g in unmatched),
        )


@attrs.frozen
class Plan:
    """A whole plan. `digest` covers everything except `created_at` and itself."""

    format_version: str
    tool_version: str
    created_at: str
    inputs: Inputs
    repos: tuple[RepoPlan, ...]
    skipped: tuple[SkippedItem, ...]
    counts: Counts
    digest: str = ""
    unmatched: tuple[UnmatchedGroup, ...] = ()  # most results first (1.2)

    @property
    def has_changes(self) -> bool:
        return self.counts.prs_to_open > 0

    def repo(self, repo_id: str) -> RepoPlan | None:
        lowered = repo_id.lower()
        return next((r for r in self.repos if r.repo_id.lower() == lowered), None)
