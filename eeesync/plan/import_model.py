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

#: Version of the import plan file (`kind: "import"`); apply refuses an unknown major.
IMPORT_FORMAT_VERSION = "1.0"
IMPORT_KIND = "import"
#: The datastore collection imported records go to unless configured otherwise.
DEFAULT_COLLECTION = "hf_community_evals"


class ImportStatus(enum.StrEnum):
    """What happens to one Hub score. The values are written in the import plan file."""

    READY = "ready"
    FROM_EEE = "from_eee"
    ALREADY_IN_EEE = "already_in_eee"
    EEE_DIFFERS = "eee_differs"
    PR_ONLY = "pr_only"
    AUDIT_ERROR = "audit_error"
    SKIPPED = "skipped"

    @property
    def meaning(self) -> str:
        return IMPORT_STATUSES[self][0]

    @property
    def needs_attention(self) -> bool:
        return IMPORT_STATUSES[self][1]


#: Statuses: the one table (meaning for people, needs a reviewer's attention), in view order.
IMPORT_STATUSES: dict[ImportStatus, tuple[str, bool]] = {
    ImportStatus.READY: ("not in EEE: a new record carries it", False),
    ImportStatus.FROM_EEE: ("its source is the EEE datastore: never imported back", False),
    ImportStatus.ALREADY_IN_EEE: ("EEE holds this setup with the same value", False),
    ImportStatus.EEE_DIFFERS: ("EEE holds another value for this setup", True),
    ImportStatus.PR_ONLY: ("only in an open PR: imported with --include-prs", False),
    ImportStatus.AUDIT_ERROR: ("its eval file could not be read", True),
    ImportStatus.SKIPPED: ("not importable (see reason)", True),
}
IMPORT_STATUS_ORDER: tuple[ImportStatus, ...] = tuple(IMPORT_STATUSES)


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
