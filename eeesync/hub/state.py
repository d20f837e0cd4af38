"""What the Hub holds for a model repo, as plain data: the audit's result and the diff's input.

`hub/audit.py` fills these types through huggingface_hub; `plan/diff.py` and `cache.py` read
them. They live apart from the audit's I/O so the plan and the cache can import the vocabulary
without importing the client (no package cycle). `parse_eval_file` is pure: bytes → `EvalFile`.
Format of the files: https://huggingface.co/docs/hub/eval-results
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, Protocol

import attrs
import yaml
from huggingface_hub import parse_eval_result_entries
from huggingface_hub.utils.sha import git_hash

from eeesync.hub.safe_yaml import load as load_bounded

EVAL_DIR = ".eval_results"
#: PR statuses whose files count as "on the Hub" (the community badge). Drafts included: they
#: are one click from open, and a second PR with the same score would be a duplicate.
ACTIVE_PR_STATUSES = frozenset({"open", "draft"})

# --- The audited state --------------------------------------------------------------------------


@attrs.frozen
class HubEntry:
    """One item of an existing `.eval_results` file, as read (values as written + normalised)."""

    index: int  # position in the file's list (0-based)
    dataset_id: str
    task_id: str
    value: float | None  # None when the value is not a finite number
    raw_value: str  # as written in the file (for people)
    notes: str | None = None
    date: str | None = None
    source_url: str | None = None
    source_name: str | None = None
    verified: bool = False  # carries a verifyToken
    source_org: str | None = None
    source_user: str | None = None


@attrs.frozen
class EvalFile:
    """One `.eval_results/*.yaml` file at a revision."""

    path: str
    blob_id: str | None  # git blob sha1 (None when it could not be downloaded)
    entries: tuple[HubEntry, ...] = ()
    #: Non-empty when the file is malformed (entries then holds the items that did parse).
    error: str = ""
    #: The file could not be read at all (download failed): it could hold anything.
    unreadable: bool = False
    text: str = ""  # the exact content (main: merge appends to it)


@attrs.frozen
class ListedEntry:
    """One entry a PR of ours says (in its description's entry list) that it holds."""

    file_path: str
    dataset_id: str
    task_id: str
    value: float
    notes: str | None = None
    date: str | None = None
    source_url: str | None = None
    collection: str = ""  # the datastore collection the record came from
    benchmark: str = ""  # registry key

    def as_hub_entry(self, index: int) -> HubEntry:
        return HubEntry(
            index=index,
            dataset_id=self.dataset_id,
            task_id=self.task_id,
            value=self.value,
            raw_value=f"{self.value:g}",
            notes=self.notes,
            date=self.date,
            source_url=self.source_url,
        )


@attrs.frozen
class PullRequestState:
    """A PR and the eval files it changes compared with main.

    Open and draft PRs are in `RepoState.prs`; closed and merged ones (the repo's history) in
    `RepoState.past_prs`. A PR is *ours* (`listed` is not None) only when the audit's account
    opened it and its description carries eeesync's marker: `listed` is then the entry list
    of that description, which says what the PR held even when `refs/pr/N` is gone.
    """

    num: int
    status: str  # "open", "draft", "closed" or "merged"
    title: str
    url: str
    head_sha: str
    files: tuple[EvalFile, ...] = ()
    error: str = ""  # its files could not be read
    author: str = ""
    listed: tuple[ListedEntry, ...] | None = None
    comment_id: str = ""  # ours: the description's comment id (apply refreshes it)
    closed_by: str = ""  # closed PRs: who changed the status last ("" when not read)
    closed_at: str = ""

    @property
    def ours(self) -> bool:
        return self.listed is not None

    def held_files(self) -> tuple[EvalFile, ...]:
        """What the PR holds: ours from its entry list, anyone else's from its files."""
        if self.listed is None:
            return self.files
        by_path: dict[str, list[HubEntry]] = {}
        for listed in self.listed:
            entries = by_path.setdefault(listed.file_path, [])
            entries.append(listed.as_hub_entry(len(entries)))
        return tuple(EvalFile(path, None, tuple(items)) for path, items in sorted(by_path.items()))


@attrs.frozen
class RepoState:
    """What the Hub holds for one model repo, as far as the plan needs it."""

    requested_ids: tuple[str, ...]  # spellings used by the datastore records
    repo_id: str  # canonical id (the first requested id when unknown)
    exists: bool = True
    main_sha: str = ""
    main_files: tuple[EvalFile, ...] = ()
    prs: tuple[PullRequestState, ...] = ()
    #: Closed and merged PRs that matter to the plan: ours, and others' closed ones whose files
    #: were read (see `hub/audit.py`).
    past_prs: tuple[PullRequestState, ...] = ()
    #: False when the PR listing was skipped because main already decides every entry.
    prs_checked: bool = False
    error: str = ""  # the repo could not be read: every entry is an audit_error
    pr_error: str = ""  # the PRs could not be listed

    def main_file(self, path: str) -> EvalFile | None:
        return next((f for f in self.main_files if f.path == path), None)


class AuditStore(Protocol):
    """Where the audit keeps what it downloaded (`cache.AuditCache`), keyed by immutable shas."""

    def get_main(self, repo_id: str, main_sha: str) -> tuple[EvalFile, ...] | None: ...

    def put_main(self, repo_id: str, main_sha: str, files: tuple[EvalFile, ...]) -> None: ...

    def get_pr(self, repo_id: str, main_sha: str, head_sha: str) -> tuple[EvalFile, ...] | None: ...

    def put_pr(
        self, repo_id: str, main_sha: str, head_sha: str, files: tuple[EvalFile, ...]
    ) -> None: ...


# --- Parsing existing files ----------------------------------------------------------------------


def is_eval_path(path: str) -> bool:
    """A Community Evals file: any `*.yaml`/`*.yml` under `.eval_results/` (nested included)."""
    lowered = path.lower()
    return path.startswith(EVAL_DIR + "/") and lowered.endswith((".yaml", ".yml"))


def parse_eval_file(path: str, data: bytes) -> EvalFile:
    """Parse one file safely: bounded YAML (`hub/safe_yaml.py`), shape, huggingface_hub's parser.

    Unquoted dates become strings and numeric strings numbers. A problem with an item makes the
    file malformed (`error` names the item) but the items that did parse are kept.

    Example:
        >>> f = parse_eval_file(".eval_results/gpqa.yaml",
        ...     b"- dataset: {id: Idavidrein/gpqa, task_id: gpqa_diamond}\\n  value: '0.412'\\n")
        >>> f.entries[0].value, f.error
        (0.412, '')
    """
    blob_id = git_hash(data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return EvalFile(path, blob_id, error=f"{path}: not UTF-8 text ({exc.reason})")
    try:
        loaded = load_bounded(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        return EvalFile(path, blob_id, error=f"{path}: invalid YAML{line}: {problem}", text=text)
    if loaded is None:
        return EvalFile(path, blob_id, text=text)  # empty (or comments only): no entries
    if not isinstance(loaded, list):
        kind = type(loaded).__name__
        return EvalFile(
            path, blob_id, error=f"{path}: top level is a {kind}, expected a list", text=text
        )
    entries: list[HubEntry] = []
    problems: list[str] = []
    for index, item in enumerate(loaded):
        parsed = _parse_item(index, item)
        if isinstance(parsed, str):
            problems.append(parsed)
        else:
            entries.append(parsed)
    error = f"{path}: " + "; ".join(problems) if problems else ""
    return EvalFile(path, blob_id, tuple(entries), error=error, text=text)


def _parse_item(index: int, item: Any) -> HubEntry | str:
    label = f"entry {index + 1}"
    if not isinstance(item, dict):
        return f"{label} is a {type(item).__name__}, expected a mapping"
    item = _normalised_item(item)
    try:
        parsed = parse_eval_result_entries([item])
    except KeyError as exc:
        key = str(exc.args[0])
        return f"{label} lacks the required key {'dataset.' + key if key != 'value' else key}"
    except (TypeError, ValueError, AttributeError) as exc:
        return f"{label} is invalid: {exc}"
    if not parsed:
        return f"{label} is an error record, not an entry"
    entry = parsed[0]
    if not isinstance(entry.dataset_id, str) or not isinstance(entry.task_id, str):
        return f"{label} has a non-text dataset.id or task_id"
    raw = entry.value
    return HubEntry(
        index=index,
        dataset_id=entry.dataset_id.strip(),
        task_id=entry.task_id.strip(),
        value=_number(raw),
        raw_value=str(raw),
        notes=_text(entry.notes),
        date=_text(entry.date),
        source_url=_text(entry.source_url),
        source_name=_text(entry.source_name),
        verified=bool(entry.verify_token),
        source_org=_text(entry.source_org),
        source_user=_text(entry.source_user),
    )


def _normalised_item(item: dict[Any, Any]) -> dict[Any, Any]:
    """Unquoted YAML dates load as `date` objects: the format says strings."""
    item = dict(item)
    if isinstance(item.get("date"), (dt.date, dt.datetime)):
        item["date"] = item["date"].isoformat()
    dataset = item.get("dataset")
    if isinstance(dataset, dict):
        item["dataset"] = {
            k: (str(v) if isinstance(v, (int, float)) else v) for k, v in dataset.items()
        }
    return item


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip().rstrip("%"))
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return str(value).strip() or None
