"""Datastore locator: `OWNER/NAME[@REVISION]` or a folder → a `Locator` pinned to one revision.

First step of the pipeline (docs/architecture.md). A Hub revision (a branch, a tag, or none =
`main`) is resolved to its 40-hex commit sha *before* anything is read, so every index/object read
and every `source.url` backlink names the same immutable commit (the EEE project's own converter
pinned only bare repos and used `@main` verbatim, so its backlinks drifted as main moved).

Recognition rule for the text the user wrote (documented in README and `eeesync init`):

* it is a **folder** when it names an existing directory (relative to the config's folder), or
  when it starts with `./`, `../`, `/` or `~` (then it must exist);
* otherwise it is a **Hub dataset repo** `OWNER/NAME` with an optional `@REVISION` (a branch,
  a tag, a commit sha, or `refs/pr/N`: an open datastore PR, pinned to its head commit).

Two layouts are read (`[datastore] layout`, default "auto"):

* `flat` — the datastore's derived layout: `flat/indexes/by_collection/<collection>.jsonl` rows
  naming `flat/objects/…` with their sha256 (today's EEE_datastore main);
* `submission` — the layout contributors write and datastore PRs hold:
  `data/<collection>/<developer>/<model>/<uuid>.json` (datastore/submission.py).

"auto" picks `flat` when the indexes exist (the datastore repo has both: the indexes are
faster), else `submission` when `data/` exists; and `submission` for `@refs/pr/N` whenever
`data/` exists: a datastore PR adds records under `data/` only (contributors never write
`flat/`, which is rebuilt after the merge), so its indexes would not list them. A Hub repo's
layout is read from the file list the revision lookup returns anyway: no extra request.

Example:
    >>> resolve_locator("evaleval/EEE_datastore@v1", hub=hub, base_dir=Path.cwd(),
    ...                 link_repo="evaleval/EEE_datastore").revision
    '9bce4136e…'  (the commit the tag points at)
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import quote

import attrs
from huggingface_hub.errors import HFValidationError

# Public validator, re-exported by huggingface_hub.utils without being listed in its __all__.
from huggingface_hub.utils import validate_repo_id  # type: ignore[attr-defined]

from eeesync.config import DATASTORE_LAYOUTS
from eeesync.datastore.pinning import pin_folder
from eeesync.errors import DatastoreError, EeesyncError
from eeesync.fsutil import read_regular
from eeesync.hub.client import HubFailure, classify, http_status, unreachable

if TYPE_CHECKING:
    from eeesync.hub.client import Hub

#: Where the collection indexes live inside a datastore (repo or folder).
INDEX_DIR = "flat/indexes/by_collection"
#: Where contributors' records live (`data/<collection>/<developer>/<model>/<uuid>.json`).
SUBMISSION_DIR = "data"
Layout = Literal["flat", "submission"]

#: Largest file a folder's content digest reads (a record or an index file is smaller).
MAX_DIGESTED_BYTES = 256 * 1024 * 1024
_SHA_RE = re.compile(r"^[0-9a-f]{40}$")
_FOLDER_PREFIXES = ("./", "../", "/", "~", ".\\", "..\\")


@attrs.frozen
class Locator:
    """A datastore pinned to one revision."""

    input: str  # as the user wrote it
    kind: Literal["hub", "folder"]
    #: hub: the dataset repo; folder: the Hub repo the backlinks point at (config `link_repo`).
    repo_id: str
    #: hub: the resolved 40-hex commit sha (never a branch name); folder: the Hub commit it is a
    #: copy of (datastore/pinning.py), else "folder-" + 12 hex digest of its index files (a
    #: revision no Hub has: such links do not resolve).
    revision: str
    folder: Path | None = None
    #: How the revision was found: "hub", or a folder's "config" / "snapshot" / "local-dir" /
    #: "git"; "" = an unpinned folder.
    pinned_by: str = ""
    layout: Layout = "flat"

    @property
    def pinned(self) -> bool:
        """Links name a real commit of `repo_id` (a content digest does not)."""
        return (self.kind == "hub" or bool(self.pinned_by)) and bool(_SHA_RE.match(self.revision))

    def blob_url(self, object_path: str, *, web_base: str = "https://huggingface.co") -> str:
        """The pinned web link to one file of the datastore (the `source.url` backlink)."""
        return self.blob_linker(web_base=web_base)(object_path)

    def blob_linker(self, *, web_base: str = "https://huggingface.co") -> Callable[[str], str]:
        """`blob_url` for many files (a mapping run links every entry): the prefix once."""
        prefix = _blob_prefix(web_base, self.repo_id, self.revision)
        safe = _URL_SAFE.match

        def link(object_path: str) -> str:
            return prefix + (object_path if safe(object_path) else quote(object_path, safe="/"))

        return link

    @property
    def label(self) -> str:
        """For people: `repo@sha7` or the folder path."""
        if self.kind == "folder":
            return f"{self.input} ({self.revision})"
        return f"{self.repo_id}@{self.revision[:7]}"


_URL_SAFE = re.compile(r"^[A-Za-z0-9/._-]+$")


@functools.lru_cache(maxsize=64)
def _blob_prefix(web_base: str, repo_id: str, revision: str) -> str:
    return (
        f"{web_base.rstrip('/')}/datasets/{quote(repo_id, safe='/')}"
        f"/blob/{quote(revision, safe='')}/"
    )


def is_folder_locator(text: str, base_dir: Path) -> bool:
    """The recognition rule in the module docstring."""
    if text.startswith(_FOLDER_PREFIXES):
        return True
    try:
        return (base_dir / Path(text).expanduser()).is_dir()
    except OSError:  # a name too long for the file system cannot be a folder
        return False


def resolve_locator(
    text: str,
    *,
    hub: Hub | None,
    base_dir: Path,
    link_repo: str,
    link_revision: str | None = None,
    layout: str = "auto",
) -> Locator:
    """Parse `text` and pin it to a revision. Raises `DatastoreError` for a bad locator.

    `link_revision` (`[datastore] link_revision`) names a folder's commit explicitly; `layout`
    is "auto", "flat" or "submission" (module docstring)."""
    if layout not in DATASTORE_LAYOUTS:
        choices = ", ".join(DATASTORE_LAYOUTS)
        raise DatastoreError(f"datastore layout {layout!r} is not one of {choices}")
    stripped = text.strip()
    if not stripped:
        raise DatastoreError(
            "the datastore locator is empty",
            hint='Set [datastore] locator = "OWNER/NAME[@REVISION]" or a folder path.',
        )
    if is_folder_locator(stripped, base_dir):
        return _folder_locator(stripped, base_dir, link_repo, link_revision, layout)
    return _hub_locator(stripped, hub, layout)


def _folder_locator(
    text: str, base_dir: Path, link_repo: str, link_revision: str | None, layout: str
) -> Locator:
    folder = (base_dir / Path(text).expanduser()).resolve()
    if not folder.is_dir():
        raise DatastoreError(
            f"datastore folder {text} does not exist (looked at {folder})",
            hint="A locator starting with ./ ../ / or ~ is a local folder; "
            "write OWNER/NAME[@REVISION] for a Hub dataset repo.",
        )
    index_dir = folder / INDEX_DIR
    found = _folder_layout(folder, text, layout)
    _check_repo_id(link_repo, what="[datastore] link_repo")
    if found == "flat":
        # The index rows carry each object's sha256, so the indexes pin the objects too.
        named = [(p.name, p) for p in sorted(index_dir.glob("*.jsonl")) if p.is_file()]
    else:
        named = [(p.relative_to(folder).as_posix(), p) for p in submission_files(folder)]
    pin = pin_folder(folder, [p for _, p in named], link_revision=link_revision)
    return Locator(
        input=text,
        kind="folder",
        repo_id=link_repo,
        revision=pin.sha if pin is not None else folder_revision(named),
        folder=folder,
        pinned_by=pin.source if pin is not None else "",
        layout=found,
    )


def _folder_layout(folder: Path, text: str, layout: str) -> Layout:
    has_flat = (folder / INDEX_DIR).is_dir()
    has_data = (folder / SUBMISSION_DIR).is_dir()
    if layout == "flat" or (layout == "auto" and has_flat):
        if not has_flat:
            raise DatastoreError(f"datastore folder {text} has no {INDEX_DIR}/ (layout = flat)")
        return "flat"
    if not has_data:
        raise DatastoreError(
            f"datastore folder {text} has no {INDEX_DIR}/ and no {SUBMISSION_DIR}/ "
            "(is it an EEE datastore, or a folder of adapter output?)"
            if layout == "auto"
            else f"datastore folder {text} has no {SUBMISSION_DIR}/ (layout = submission)",
            hint=f"A submission folder holds {SUBMISSION_DIR}/<collection>/<developer>/<model>/"
            "<uuid>.json files.",
        )
    return "submission"


def submission_files(folder: Path) -> list[Path]:
    """Every `*.json` file under `folder/data/`, sorted (symlinked folders are not followed)."""
    found: list[Path] = []
    for parent, _dirs, files in os.walk(folder / SUBMISSION_DIR):
        found.extend(Path(parent, name) for name in files if name.endswith(".json"))
    return sorted(found)


def folder_revision(named: Sequence[tuple[str, Path]]) -> str:
    """`folder-` + 12 hex of sha256 over the given files' names and content hashes (the files
    that pin the datastore: the indexes, or every submitted record)."""
    outer = hashlib.sha256()
    for name, path in named:
        try:  # a FIFO would block, a huge file would not be read by the scan anyway
            data = read_regular(path, max_bytes=MAX_DIGESTED_BYTES)
        except OSError:
            data = b""  # unreadable or too large: the scan says so, naming the file
        outer.update(name.encode() + b"\0")
        outer.update(hashlib.sha256(data).digest())
    return "folder-" + outer.hexdigest()[:12]


def _check_repo_id(repo_id: str, *, what: str) -> None:
    try:
        validate_repo_id(repo_id)
    except HFValidationError as exc:
        raise DatastoreError(f"{what} {repo_id!r} is not a valid Hub repo id: {exc}") from exc
    if "/" not in repo_id:
        raise DatastoreError(f"{what} {repo_id!r} must look like OWNER/NAME")


def parse_hub_locator(text: str) -> tuple[str, str | None]:
    """`OWNER/NAME[@REVISION]` → (repo id, revision or None). Raises `DatastoreError`."""
    if text.count("@") > 1:
        raise DatastoreError(f"datastore {text!r} must be OWNER/NAME[@REVISION] (one @ at most)")
    repo_id, _, revision = text.partition("@")
    repo_id = repo_id.strip().strip("/")
    _check_repo_id(repo_id, what="datastore")
    if "@" in text:
        revision = revision.strip()
        if not revision:
            raise DatastoreError(f"datastore {text!r} has an empty revision after @")
        return repo_id, revision
    return repo_id, None


def _hub_locator(text: str, hub: Hub | None, layout: str) -> Locator:
    repo_id, revision = parse_hub_locator(text)
    if hub is None:
        raise DatastoreError(f"datastore {text!r} is a Hub repo but no Hub connection was given")
    wanted = revision or "main"
    try:
        info = hub.dataset_info(repo_id, revision=wanted)
    except Exception as exc:
        kind = classify(exc)
        if kind is None:
            raise  # not a Hub failure: a bug
        raise _locator_error(exc, kind, repo_id, wanted, hub) from exc
    sha = getattr(info, "sha", None)
    if not isinstance(sha, str) or not _SHA_RE.match(sha):
        raise DatastoreError(
            f"the Hub returned no commit sha for datastore {repo_id}@{wanted}; cannot pin it"
        )
    return Locator(
        input=text,
        kind="hub",
        repo_id=repo_id,
        revision=sha,
        folder=None,
        pinned_by="hub",
        layout=_hub_layout(info, layout, pull_request=wanted.startswith("refs/pr/")),
    )


def _hub_layout(info: object, layout: str, *, pull_request: bool) -> Layout:
    """The configured layout, or (auto) the one the revision's file list shows (module
    docstring). A repo with neither (or a list the Hub left out) is read as flat: its error
    names the missing index."""
    if layout != "auto":
        return "flat" if layout == "flat" else "submission"
    names = [getattr(s, "rfilename", "") for s in getattr(info, "siblings", None) or ()]
    has_data = any(n.startswith(SUBMISSION_DIR + "/") for n in names)
    if pull_request and has_data:
        return "submission"
    if any(n.startswith(INDEX_DIR + "/") for n in names):
        return "flat"
    return "submission" if has_data else "flat"


def _locator_error(
    exc: Exception, kind: HubFailure, repo_id: str, wanted: str, hub: Hub
) -> EeesyncError:
    """The error for a datastore revision the Hub would not resolve."""
    if kind is HubFailure.UNREACHABLE:
        return unreachable(exc, hub.endpoint)
    if kind is HubFailure.MISSING_REVISION:
        return DatastoreError(
            f"datastore {repo_id} has no revision {wanted!r}",
            hint="Use a branch, tag or commit sha that exists in the dataset repo.",
        )
    if kind is HubFailure.GATED:
        return DatastoreError(
            f"datastore {repo_id} is gated: accept its conditions on the Hub and log in"
        )
    if kind is HubFailure.MISSING_REPO:
        return DatastoreError(
            f"datastore dataset repo {repo_id} was not found on {hub.endpoint}",
            hint="Check the name (OWNER/NAME), or log in if it is private.",
        )
    status = http_status(exc) or "?"
    return DatastoreError(
        f"cannot resolve datastore {repo_id}@{wanted} on {hub.endpoint}: HTTP {status}"
    )
