"""The submission layout: `data/<collection>/<developer>/<model>/<uuid>.json` files → rows.

What contributors write (their adapters' output) and what a datastore PR holds, read from a
folder or from a Hub dataset repo at the locator's pinned commit (a branch, a tag, or
`refs/pr/N`'s head). There is no index: one listing (a folder walk, or one recursive
`list_repo_tree`) gives every file with its size and, on the Hub, its git blob id (or LFS
sha256), which the read then checks as it checks an index row's sha256 (`records.verify_object`).
Each file becomes an `IndexRow` with `line` 0 (no index line: messages name the file, and the
row's sha256 is filled in from the bytes read when the listing could not give it).

Collections are the folder names under `data/`. A `.json` file elsewhere (wrong depth, an
unusable name) or larger than `MAX_RECORD_BYTES` is skipped with a reason naming it; other
files (a record's `<uuid>_samples.jsonl` companion, a README) are not records and are passed
over.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from eeesync.datastore.index import IndexRow, chosen_collections
from eeesync.datastore.locator import SUBMISSION_DIR, Locator
from eeesync.errors import DatastoreError
from eeesync.hub.client import HubFailure, classify
from eeesync.plan.model import IndexDigest, SkippedItem

if TYPE_CHECKING:
    from eeesync.hub.client import Hub

#: Largest record read (EEE aggregate records are a few KB to a few MB); a larger file is
#: skipped before a byte of it is read or downloaded.
MAX_RECORD_BYTES = 32 * 1024 * 1024
#: Path parts of a record: data / collection / developer / model / <uuid>.json.
_PARTS = 5


@attrs.frozen
class ListedFile:
    """One file under `data/`, as the listing gave it."""

    path: str  # relative to the datastore root, "/"-separated
    size: int | None  # None: a folder file that could not be examined (its read says why)
    blob_id: str = ""  # Hub: the git blob id of a plain file
    sha256: str = ""  # Hub: the LFS sha256 of an LFS file


def read_listing(
    locator: Locator, collections: Sequence[str] | None, *, hub: Hub | None
) -> tuple[tuple[str, ...], list[IndexRow], list[SkippedItem], list[IndexDigest]]:
    """(the collections read, their rows, skips, one digest per collection). `collections`
    None: every collection, and the stray records directly under `data/`; else those named
    (an unknown name is a `DatastoreError` naming the nearest ones)."""
    available, top = _list_top(locator, hub)
    wanted = chosen_collections(collections, available, found=f"under {SUBMISSION_DIR}/")
    rows: list[IndexRow] = []
    skipped = [
        _skip(f, "", _WHERE) for f in top if collections is None and f.path.endswith(".json")
    ]
    digests: list[IndexDigest] = []
    for name in wanted:
        files = _list_collection(locator, hub, name)
        digest = hashlib.sha256()
        for listed in files:
            line = f"{listed.path}\0{listed.size}\0{listed.blob_id}{listed.sha256}\n"
            digest.update(line.encode())
        got, bad = _rows(name, files)
        rows += got
        skipped += bad
        digests.append(IndexDigest(collection=name, sha256=digest.hexdigest(), rows=len(files)))
    return wanted, rows, skipped, digests


def read_collection(
    locator: Locator, collection: str, *, hub: Hub | None
) -> tuple[list[IndexRow], list[SkippedItem]]:
    """(rows, skips) of one collection folder; a collection that does not exist has none (a
    folder some other run fills, such as the import's)."""
    return _rows(collection, _list_collection(locator, hub, collection))


def _rows(collection: str, files: Iterable[ListedFile]) -> tuple[list[IndexRow], list[SkippedItem]]:
    rows: list[IndexRow] = []
    skipped: list[SkippedItem] = []
    for listed in files:
        row = row_for(collection, listed)
        if isinstance(row, SkippedItem):
            skipped.append(row)
        elif row is not None:
            rows.append(row)
    return rows, skipped


def list_collections(locator: Locator, *, hub: Hub | None) -> tuple[str, ...]:
    """The folder names under `data/`."""
    return _list_top(locator, hub)[0]


_WHERE = f"not at {SUBMISSION_DIR}/<collection>/<developer>/<model>/<uuid>.json: not read"


def row_for(collection: str, listed: ListedFile) -> IndexRow | SkippedItem | None:
    """The row for one file of a collection; None for a file that is no record."""
    path = listed.path
    if not path.endswith(".json"):
        return None  # a `_samples.jsonl` companion, a README: not a record
    parts = path.split("/")
    if len(parts) != _PARTS:
        return _skip(listed, collection, _WHERE)
    bad = next((p for p in parts if _unusable(p)), None)
    if bad is not None:
        return _skip(listed, collection, f"path part {bad!r} is not a usable name: not read")
    if listed.size is not None and listed.size > MAX_RECORD_BYTES:
        return _skip(
            listed,
            collection,
            f"{listed.size} bytes, larger than a record may be ({MAX_RECORD_BYTES}): not read",
            reason="record_too_large",
        )
    return IndexRow(
        collection=collection,
        line=0,
        object_path=path,
        sha256=listed.sha256,
        size_bytes=listed.size,
        object_uuid=parts[-1][: -len(".json")],
        blob_id=listed.blob_id,
    )


def _unusable(part: str) -> bool:
    return (
        part in ("", ".", "..")
        or part != part.strip()
        or part.endswith(".")
        or any(c in part for c in "\\\0")
    )


def _skip(
    listed: ListedFile, collection: str, message: str, reason: str = "bad_submission_path"
) -> SkippedItem:
    return SkippedItem(
        reason=reason,
        message=f"{listed.path}: {message}",
        collection=collection,
        object_path=listed.path,
    )


def _list_top(locator: Locator, hub: Hub | None) -> tuple[tuple[str, ...], list[ListedFile]]:
    """(the collection folders, the files) directly under `data/`: one request on the Hub."""
    if locator.kind == "folder":
        assert locator.folder is not None
        folders: list[str] = []
        files: list[ListedFile] = []
        try:
            with os.scandir(locator.folder / SUBMISSION_DIR) as found:
                for item in found:
                    if item.is_dir(follow_symlinks=False):
                        folders.append(item.name)
                    else:
                        files.append(ListedFile(f"{SUBMISSION_DIR}/{item.name}", _size(item.path)))
        except OSError as exc:
            raise DatastoreError(f"cannot list {locator.folder / SUBMISSION_DIR}: {exc}") from exc
        return _sorted(folders), sorted(files, key=_by_path)
    entries = hub_tree(locator, hub, SUBMISSION_DIR, recursive=False)
    names = [e.path.rpartition("/")[2] for e in entries if not hasattr(e, "blob_id")]
    return _sorted(names), [_listed(e) for e in entries if hasattr(e, "blob_id")]


def _list_collection(locator: Locator, hub: Hub | None, name: str) -> list[ListedFile]:
    """Every file under `data/<name>/`, sorted by path (one paginated listing on the Hub)."""
    top = f"{SUBMISSION_DIR}/{name}"
    if locator.kind == "hub":
        return sorted(
            (
                _listed(e)
                for e in hub_tree(locator, hub, top, recursive=True)
                if hasattr(e, "blob_id")
            ),
            key=_by_path,
        )
    assert locator.folder is not None
    root = str(locator.folder)
    files: list[ListedFile] = []
    for parent, _dirs, names in os.walk(os.path.join(root, top)):  # symlinked folders: not followed
        relative = os.path.relpath(parent, root).replace(os.sep, "/")
        files.extend(ListedFile(f"{relative}/{n}", _size(os.path.join(parent, n))) for n in names)
    return sorted(files, key=_by_path)


def _size(path: str) -> int | None:
    try:
        return os.stat(path).st_size
    except OSError:
        return None  # the read says why, naming the file


def hub_tree(locator: Locator, hub: Hub | None, folder: str, *, recursive: bool) -> list[Any]:
    """The entries of `folder` in a Hub datastore at its pinned revision ([] when it does not
    exist); a Hub failure is a `DatastoreError` naming the folder."""
    if hub is None:
        raise DatastoreError(f"datastore {locator.input} is on the Hub: a Hub connection is needed")
    try:
        return hub.list_repo_tree(
            locator.repo_id,
            folder,
            revision=locator.revision,
            recursive=recursive,
            repo_type="dataset",
        )
    except Exception as exc:
        kind = classify(exc)
        if kind is HubFailure.MISSING_ENTRY:
            return []
        if kind is None:
            raise
        raise DatastoreError(
            f"cannot list {folder}/ in {locator.label}: {type(exc).__name__}"
        ) from exc


def _listed(entry: Any) -> ListedFile:
    size = getattr(entry, "size", None)
    lfs = getattr(entry, "lfs", None)
    return ListedFile(
        path=str(entry.path),
        size=size if isinstance(size, int) and not isinstance(size, bool) else None,
        blob_id="" if lfs is not None else str(entry.blob_id),
        sha256=str(getattr(lfs, "sha256", "")) if lfs is not None else "",
    )


def _by_path(listed: ListedFile) -> str:
    return listed.path


def _sorted(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(names, key=str.lower))
