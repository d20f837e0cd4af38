"""The types of an import plan (`eeesync import`): Hub scores → new EEE records, as plain data.

The other direction of a plan: each row of a benchmark's Hub leaderboard becomes one `ImportEntry`
with a status (the import statuses table below, read by every view and the docs), and the
entries a new record carries are grouped into `RecordFile`s with their exact JSON bytes, so
`eeesync apply` of an import plan writes what the reviewer read. Like `plan/model.py`, a leaf:
no I/O; `plan/import_file.py` is the only code that knows the JSON form.
"""

from __future__ import annotations

import enum

import attrs

from eeesync.plan.model import StatusInfo

#: Version of the import plan file (`kind: "import"`); apply refuses an unknown major.
IMPORT_FORMAT_VERSION = "1.0"
IMPORT_KIND = "import"
#: The datastore collection imported records go to unless configured otherwise.
DEFAULT_COLLECTION = "hf_community_evals"


class ImportStatus(enum.StrEnum):
    """What happens to one Hub score. The values are written in the import plan file; all
    else eeesync says about a status is its row in `IMPORT_STATUS_TABLE` (the same kind of row
    as a sync plan's `STATUS_TABLE`)."""

    READY = "ready"
    FROM_EEE = "from_eee"
    ALREADY_IN_EEE = "already_in_eee"
    PR_ONLY = "pr_only"
    EEE_DIFFERS = "eee_differs"
    AUDIT_ERROR = "audit_error"
    SKIPPED = "skipped"

    @property
    def info(self) -> StatusInfo:
        return IMPORT_STATUS_TABLE[self]

    @property
    def meaning(self) -> str:
        return self.info.meaning

    @property
    def needs_attention(self) -> bool:
        return self.info.needs_attention


#: One row per import status, in the order every view lists them (the changes first, then what
#: needs a reviewer). The README's import status table is generated from it.
IMPORT_STATUS_TABLE: dict[ImportStatus, StatusInfo] = {
    ImportStatus.READY: StatusInfo(
        title="Scores to add to EEE",
        meaning="not in EEE: a new record carries it",
        detail="not in EEE: a new record carries it",
        todo="review the records; `eeesync apply` opens the datastore PR",
        style="bold green",
        opens_write=True,
        in_model_view=False,
    ),
    ImportStatus.FROM_EEE: StatusInfo(
        title="From EEE",
        meaning="its source is the EEE datastore",
        detail="its source link points into the EEE datastore: never imported back",
        todo="nothing",
        style="cyan",
        in_model_view=False,
    ),
    ImportStatus.ALREADY_IN_EEE: StatusInfo(
        title="Already in EEE",
        meaning="EEE holds this setup with the same value",
        detail="EEE holds this model + dataset + task + notes with the same value, or a "
        "record we wrote carries its fingerprint",
        todo="nothing",
        style="cyan",
        in_model_view=False,
        shown_by_default=False,
    ),
    ImportStatus.PR_ONLY: StatusInfo(
        title="Only in open pull requests",
        meaning="only in an open PR: imported with --include-prs",
        detail="a community score only in an open PR: imported only with `--include-prs`",
        todo="wait for the model author, or import it with `--include-prs`",
        style="cyan",
        in_model_view=False,
    ),
    ImportStatus.EEE_DIFFERS: StatusInfo(
        title="EEE holds another value",
        meaning="EEE holds another value for this setup",
        detail="EEE holds another value for this setup: both shown side by side, with both sources",
        todo="compare both sources; a difference EEE exists to explain, never overwritten",
        style="bold red",
        needs_attention=True,
        in_model_view=False,
    ),
    ImportStatus.AUDIT_ERROR: StatusInfo(
        title="Audit errors",
        meaning="its eval file could not be read",
        detail="its eval file could not be read (size cap, a 5xx, a timeout) or no longer "
        "holds the listed value",
        todo="read the reason; rerun later",
        style="bold red",
        needs_attention=True,
        in_model_view=False,
    ),
    ImportStatus.SKIPPED: StatusInfo(
        title="Skipped scores",
        meaning="not importable (see reason)",
        detail="a task the benchmark does not define, a value outside 0–100 (the reason says "
        "which)",
        todo="the reason code says which",
        style="yellow",
        needs_attention=True,
        in_model_view=False,
    ),
}
if list(IMPORT_STATUS_TABLE) != list(ImportStatus):
    raise AssertionError("IMPORT_STATUS_TABLE needs one row per ImportStatus, in its order")

IMPORT_STATUS_ORDER: tuple[ImportStatus, ...] = tuple(ImportStatus)


@attrs.frozen
class HubScore:
    """One Community Evals entry as the Hub shows it: leaderboard row + its file's entry."""

    model_id: str
    benchmark: str  # registry key
    dataset_id: str
    value: float  # as the Hub lists it
    file_path: str  # .eval_results/… in the model repo
    revision: str  # "main" or "refs/pr/N"
    task_id: str = ""  # "" when the file was not read
    notes: str = ""
    date: str = ""
    source_url: str = ""
    source_name: str = ""
    source_org: str = ""  # the entry's source.org, else source.user
    commit: str = ""  # sha the file was read at ("" when not read)
    file_url: str = ""  # the file at that sha, for people and the record's provenance
    pr_num: int | None = None
    verified: bool = False
    author: str = ""  # the model's author as the leaderboard names it

    @property
    def badge(self) -> str:
        """The model page's badge: author-submitted on main, community in an open PR."""
        return "community" if self.pr_num is not None else "author"


@attrs.frozen
class EeeScore:
    """A value the datastore holds for the same model, benchmark, task and setup."""

    value: float  # on the 0–100 scale
    source_url: str  # the datastore record (pinned link)
    collection: str = ""


@attrs.frozen
class ImportEntry:
    status: ImportStatus
    hub: HubScore
    reason: str = ""  # for people
    eee: tuple[EeeScore, ...] = ()  # already_in_eee / eee_differs: what EEE holds
    fingerprint: str = ""  # of (repo, dataset, task, notes, value); "" when not read
    record_path: str = ""  # ready: the record that carries it


@attrs.frozen
class RecordFile:
    """One new EEE record: its path in the datastore and its exact bytes."""

    path: str  # data/<collection>/<developer>/<model>/<uuid4>.json
    content: str
    sha256: str  # of `content`
    fingerprints: tuple[str, ...]  # of the entries it carries


@attrs.frozen
class ImportInputs:
    config_digest: str
    endpoint: str
    registry_digest: str
    datastore_input: str
    datastore_repo: str
    datastore_revision: str  # what "already in EEE" was judged against
    collection: str
    benchmarks: tuple[str, ...]
    include_prs: bool = False
    model_filter: str = ""
    #: Our own open import PR on the datastore when the plan was made (0: none) and its head:
    #: apply adds to it, and refuses as stale when it moved.
    import_pr: int = 0
    import_pr_head: str = ""


@attrs.frozen
class ImportCounts:
    by_status: dict[str, int]
    records: int

    def get(self, status: ImportStatus) -> int:
        return self.by_status.get(status.value, 0)

    @classmethod
    def of(cls, entries: tuple[ImportEntry, ...], records: tuple[RecordFile, ...]) -> ImportCounts:
        tally = {s.value: 0 for s in IMPORT_STATUS_ORDER}
        for entry in entries:
            tally[entry.status.value] += 1
        return cls(by_status=tally, records=len(records))


@attrs.frozen
class ImportPlan:
    """A whole import plan. `digest` covers everything except `created_at` and itself."""

    kind: str
    format_version: str
    tool_version: str
    created_at: str
    inputs: ImportInputs
    entries: tuple[ImportEntry, ...]
    records: tuple[RecordFile, ...]
    counts: ImportCounts
    digest: str = ""

    @property
    def has_changes(self) -> bool:
        return bool(self.records)
