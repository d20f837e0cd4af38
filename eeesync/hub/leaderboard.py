"""A benchmark's leaderboard (one request) and the eval files behind its rows, pinned.

`HfApi.get_dataset_leaderboard` lists every score reported against a benchmark dataset, on main
and in open PRs (`pullRequest`), with model, value, file, source, author and verified flag, but
no task id: the task, date and the entry's own source come from the file, read once per (repo,
file, revision) at the commit the server answered from (`X-Repo-Commit`), so the reading is
pinned without a second request. Rows and files are untrusted: a row that does not have the
documented shape is dropped with a reason, a file goes through the bounded reader
(`evalfile_fetch`).
"""

from __future__ import annotations

import math
from typing import Any

import attrs
from huggingface_hub.utils.sha import git_hash

from eeesync.hub.client import Hub, classify, describe
from eeesync.hub.evalfile_fetch import FileTooLarge, fetch_capped_pinned, guarded_parse
from eeesync.hub.state import EvalFile, is_eval_path

#: The longest text kept from a row field (ids, names, notes): rows are a stranger's input.
MAX_FIELD_CHARS = 500


@attrs.frozen
class LeaderboardRow:
    """One leaderboard item, as plain checked data."""

    model_id: str
    value: float
    filename: str
    verified: bool = False
    source_url: str = ""
    source_name: str = ""
    author: str = ""  # the account or organisation the Hub names as the model's author
    author_type: str = ""  # "org" or "user"
    pull_request: int | None = None  # the score lives in this open PR (community)
    notes: str = ""


@attrs.frozen
class Leaderboard:
    dataset_id: str
    rows: tuple[LeaderboardRow, ...] = ()
    dropped: tuple[str, ...] = ()  # rows that were not of the documented shape, with why
    error: str = ""  # the leaderboard could not be read at all


@attrs.frozen
class PinnedFile:
    """An eval file read at a revision, with the commit sha it was served from."""

    file: EvalFile
    commit: str = ""  # "" when the read failed


def read_leaderboard(hub: Hub, dataset_id: str) -> Leaderboard:
    """Every row of the dataset's leaderboard, derivatives included (`base_model_only=False`).
    A failure is the leaderboard's `error`; only bugs raise."""
    try:
        items = hub.dataset_leaderboard(dataset_id)
    except Exception as exc:
        if classify(exc) is None and not isinstance(exc, (OSError, ValueError, TypeError)):
            raise
        return Leaderboard(dataset_id, error=f"leaderboard of {dataset_id}: {describe(exc)}")
    rows: list[LeaderboardRow] = []
    dropped: list[str] = []
    for index, item in enumerate(items):
        row = _row(item)
        if isinstance(row, str):
            dropped.append(f"leaderboard of {dataset_id}, row {index + 1}: {row}")
        else:
            rows.append(row)
    return Leaderboard(dataset_id, tuple(rows), tuple(dropped))


def _row(item: Any) -> LeaderboardRow | str:
    model_id = getattr(item, "model_id", None)
    filename = getattr(item, "filename", None)
    value = getattr(item, "value", None)
    if not isinstance(model_id, str) or model_id.count("/") != 1 or len(model_id) > 200:
        return f"model id {str(model_id)[:80]!r} is not OWNER/NAME"
    if not isinstance(filename, str) or not is_eval_path(filename) or ".." in filename:
        return f"{model_id}: file {str(filename)[:80]!r} is not an .eval_results file"
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return f"{model_id}: value {str(value)[:40]!r} is not a finite number"
    pr = getattr(item, "pull_request", None)
    if pr is not None and (isinstance(pr, bool) or not isinstance(pr, int) or pr < 1):
        return f"{model_id}: pull request {str(pr)[:20]!r} is not a PR number"
    source = getattr(item, "source", None)
    source = source if isinstance(source, dict) else {}
    author = getattr(item, "author", None)
    author_name = getattr(author, "name", None) or getattr(author, "username", None) or ""
    author_type = "org" if type(author).__name__ == "Organization" else "user"
    return LeaderboardRow(
        model_id=model_id,
        value=float(value),
        filename=filename,
        verified=getattr(item, "verified", False) is True,
        source_url=_text(source.get("url")),
        source_name=_text(source.get("name")),
        author=_text(author_name),
        author_type=author_type,
        pull_request=pr,
        notes=_text(getattr(item, "notes", None)),
    )


def _text(value: Any) -> str:
    return " ".join(value.split())[:MAX_FIELD_CHARS] if isinstance(value, str) else ""


def read_pinned_file(hub: Hub, repo_id: str, path: str, revision: str) -> PinnedFile:
    """One eval file at `revision` (a branch or `refs/pr/N`), parsed, with the commit it came
    from. A failed or refused read is an `unreadable` file; only bugs raise."""
    try:
        data, commit = fetch_capped_pinned(hub, repo_id, path, revision)
    except FileTooLarge as exc:
        return PinnedFile(EvalFile(path, None, error=f"{path}: not read: {exc}", unreadable=True))
    except Exception as exc:
        if classify(exc) is None and not isinstance(exc, OSError):
            raise
        return PinnedFile(
            EvalFile(path, None, error=f"{path}: cannot download: {describe(exc)}", unreadable=True)
        )
    parsed = guarded_parse(path, data)
    if parsed.blob_id is None:
        parsed = attrs.evolve(parsed, blob_id=git_hash(data))
    return PinnedFile(parsed, commit)
