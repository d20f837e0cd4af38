"""Checks on names that come from requests: repo ids, repo types, file paths in a repo.

Everything a client sends passes through here before it reaches storage, so a repo id or a file
path can never name anything outside the state folder (no `..`, no absolute paths, no `\\`).
"""

from __future__ import annotations

import re

from eeesync.errors import LocalHubError
from eeesync.localhub.repodata import REPO_TYPES

# Same character rules as huggingface_hub's `validate_repo_id`: word characters, `-` and `.`,
# no `--` or `..`, and no leading or trailing `-` or `.`.
_NAME = re.compile(r"^[\w\-.]{1,96}$")
_MAX_PATH = 1000


def check_repo_type(value: str | None) -> str:
    """`model` or `dataset` (None means model); anything else is a 400."""
    repo_type = value or "model"
    if repo_type not in REPO_TYPES:
        raise LocalHubError(
            f"unsupported repo type {repo_type!r}: the local Hub serves model and dataset repos",
            status=400,
        )
    return repo_type


def check_name_part(part: str, what: str) -> str:
    """One half of a repo id (namespace or name)."""
    if not _NAME.match(part) or "--" in part or ".." in part or part[0] in "-." or part[-1] in "-.":
        raise LocalHubError(
            f"invalid {what} {part!r}: use letters, digits, '_', '-' and '.', at most 96 "
            "characters, without '--' or '..' and not starting or ending with '-' or '.'",
            status=400,
        )
    return part


def check_repo_id(repo_id: str, *, namespaced: bool = False) -> str:
    """A repo id: `namespace/name`, or (unless `namespaced`) a one-segment id like `gpt2`.

    On the Hub a one-segment id is the old name of a repo that moved into a namespace
    (`gpt2` -> `openai-community/gpt2`); requests by it are redirected there.
    """
    parts = repo_id.split("/")
    if len(parts) not in ((2,) if namespaced else (1, 2)):
        raise LocalHubError(
            f"invalid repo id {repo_id!r}: expected 'namespace/name'"
            + ("" if namespaced else " or 'name'"),
            status=400,
        )
    if len(parts) == 2:
        check_name_part(parts[0], "namespace")
    check_name_part(parts[-1], "repo name")
    return repo_id


def check_file_path(path: str) -> str:
    """A path inside a repo: relative, `/`-separated, no `.`/`..`/empty segments, not `.git/`."""
    if not path or len(path) > _MAX_PATH:
        raise LocalHubError(f"invalid file path {path!r}: empty or too long", status=400)
    if "\\" in path or "\0" in path:
        raise LocalHubError(
            f"invalid file path {path!r}: backslashes and NUL bytes are not allowed", status=400
        )
    if path.startswith("/"):
        raise LocalHubError(f"invalid file path {path!r}: must be relative", status=400)
    segments = path.split("/")
    if any(s in ("", ".", "..") for s in segments):
        raise LocalHubError(
            f"invalid file path {path!r}: '.', '..' and empty segments are not allowed",
            status=400,
        )
    if segments[0] == ".git":
        raise LocalHubError(f"invalid file path {path!r}: '.git/' is reserved", status=400)
    return path


def check_folder_path(path: str) -> str:
    """A folder path (trailing `/` allowed); `""` is the repo root."""
    stripped = path.strip("/") if path.endswith("/") else path
    return "" if stripped == "" else check_file_path(stripped)
