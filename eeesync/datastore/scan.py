"""Scan an EEE datastore: locator → collection indexes → verified, parsed records.

The "desired state" half of the pipeline starts here (docs/architecture.md):

    resolve_locator → open_datastore (indexes) → DatastoreScan.records() → mapping.map_records

A submission-layout datastore (`data/<collection>/…/<uuid>.json`, datastore/submission.py) has
no indexes: its listing gives the rows, and the same reads, checks and skips follow.

Hub datastores are read through huggingface_hub at the resolved commit sha only
(`list_repo_tree`, and a GET of `/datasets/<repo>/resolve/<sha>/<path>` through
huggingface_hub's own HTTP session, URL builder and error mapping: one request per object
instead of `hf_hub_download`'s HEAD + GET, and no second copy in the HF cache). Objects are
cached by sha256 in `ObjectCache`, downloaded concurrently (bounded), verified (size + sha256)
before parsing, and parsed in index order so results are deterministic.

Use `open_datastore(...).records()` to stream a large run into `mapping.map_records` (flat memory:
~440 MiB peak for the full 229k-record datastore), and `read_datastore` to hold a small one in
memory (held whole, the full datastore is several GB of parsed JSON).
"""

from __future__ import annotations

import functools
import hashlib
import os
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from eeesync.datastore import submission
from eeesync.datastore.bulk import gc_paused
from eeesync.datastore.index import (
    IndexRow,
    check_collection_name,
    chosen_collections,
    index_path,
    read_index,
)
from eeesync.datastore.locator import INDEX_DIR, Locator, is_folder_locator
from eeesync.datastore.records import (
    Record,
    object_skip,
    parse_record,
    verify_object,
)
from eeesync.errors import DatastoreError
from eeesync.fsutil import open_regular, read_fd_bounded, read_regular
from eeesync.hub.client import HubFailure, classify, http_status
from eeesync.plan.model import IndexDigest, SkippedItem
from eeesync.progress import NO_PROGRESS, Progress

if TYPE_CHECKING:
    from eeesync.cache import ObjectCache
    from eeesync.hub.client import Hub

#: Seconds for one object/index GET (objects are a few KB; this only catches a hung server).
READ_TIMEOUT = 60.0
#: Rows between two progress-bar updates (per-row updates would dominate a fast local scan).
PROGRESS_EVERY = 500
#: Largest datastore object or index file read from a folder (objects are a few KB; the
#: largest index is a few MB).
MAX_OBJECT_BYTES = 256 * 1024 * 1024


@attrs.frozen
class DatastoreRead:
    """Everything read from a datastore for one run."""

    locator: Locator
    indexes: tuple[IndexDigest, ...]
    records: tuple[Record, ...]  # verified + parsed, in (collection, line) order
    skipped: tuple[SkippedItem, ...]  # rows/objects that gave no record, sorted by location
    collections: tuple[str, ...] = ()


# --- Reading bytes ------------------------------------------------------------------------------


def _hub_get(hub: Hub, repo_id: str, revision: str, path: str) -> bytes:
    """One datastore file at the pinned revision (indexes and objects can be large: a longer
    timeout than a Hub answer's)."""
    return hub.read_file(
        repo_id, path, revision=revision, repo_type="dataset", timeout=READ_TIMEOUT
    )


def _folder_collections(index_dir: Path) -> list[str]:
    stems = (p.name[: -len(".jsonl")] for p in index_dir.glob("*.jsonl") if p.is_file())
    return sorted(stems, key=str.lower)


def check_folder_collections(
    datastore_input: str, base_dir: Path, collections: Sequence[str], *, layout: str = "auto"
) -> None:
    """Refuse unknown collection names of a flat folder datastore before the Hub is opened: a
    typo must not leave a freshly made local Hub behind. (A Hub datastore's names, and the
    submission layout's, are checked when it is opened, as is everything else.)"""
    if not collections or layout == "submission":
        return
    if not is_folder_locator(datastore_input, base_dir):
        return
    index_dir = base_dir / Path(datastore_input).expanduser() / INDEX_DIR
    if not index_dir.is_dir():
        return
    chosen_collections(collections, _folder_collections(index_dir))


def list_collections(locator: Locator, *, hub: Hub | None) -> list[str]:
    """Names of the datastore's collections (`flat/indexes/by_collection/*.jsonl` stems, or
    the folders under `data/` of the submission layout)."""
    if locator.layout == "submission":
        return list(submission.list_collections(locator, hub=hub))
    if locator.kind == "folder":
        assert locator.folder is not None
        return _folder_collections(locator.folder / INDEX_DIR)
    entries = submission.hub_tree(locator, hub, INDEX_DIR, recursive=False)
    names = []
    for entry in entries:
        path = getattr(entry, "path", "")
        parent, _, name = path.rpartition("/")
        if parent == INDEX_DIR and name.endswith(".jsonl") and hasattr(entry, "size"):
            names.append(name[: -len(".jsonl")])
    return sorted(names, key=str.lower)


def _read_index_bytes(
    locator: Locator, collection: str, *, hub: Hub | None, cache: ObjectCache | None, force: bool
) -> bytes:
    path = index_path(collection)
    if locator.kind == "folder":
        assert locator.folder is not None
        try:
            return read_regular(locator.folder / path, max_bytes=MAX_OBJECT_BYTES)
        except OSError as exc:
            raise DatastoreError(f"cannot read index {locator.folder / path}: {exc}") from exc
    assert hub is not None
    if cache is not None and not force:
        cached = cache.get_index(locator.repo_id, locator.revision, path)
        if cached is not None:
            return cached
    try:
        data = _hub_get(hub, locator.repo_id, locator.revision, path)
    except Exception as exc:
        kind = classify(exc)
        if kind is None:
            raise
        raise DatastoreError(
            f"cannot read index {path} from {locator.label}: {type(exc).__name__}"
            f"{' (not found)' if kind is HubFailure.MISSING_ENTRY else ''}"
        ) from exc
    if cache is not None:
        cache.put_index(locator.repo_id, locator.revision, path, data)
    return data


# --- The scan -----------------------------------------------------------------------------------


@attrs.define
class DatastoreScan:
    """Indexes read and checked; `records()` streams the objects. Skips accumulate in `skipped`."""

    locator: Locator
    collections: tuple[str, ...]
    indexes: tuple[IndexDigest, ...]
    rows: list[IndexRow]
    skipped: list[SkippedItem]
    hub: Hub | None = None
    cache: ObjectCache | None = None
    force: bool = False
    #: Objects fetched from the network during `records()` (for reports and tests).
    downloads: int = 0
    #: Guards `downloads` (`_load_hub` runs on many threads; `+=` is not atomic).
    _count_lock: threading.Lock = attrs.field(factory=threading.Lock, repr=False)

    @functools.cached_property
    def _base(self) -> str:
        assert self.locator.folder is not None
        return str(self.locator.folder) + os.sep

    def _load_folder(self, row: IndexRow) -> bytes | SkippedItem:
        # A str join + os.open/os.read: a pathlib join and a buffered file object per object
        # are measurable at 229k objects (benchmarks/bench_datastore.py). object_path is a
        # checked relative path (index.py), and "/" separates folders on every platform.
        try:
            # Regular files only (a FIFO would block, /dev/zero never end), size-bounded.
            fd, _size = open_regular(self._base + row.object_path)
        except FileNotFoundError:
            return object_skip(row, "object_missing", "the object file does not exist")
        except OSError as exc:
            return object_skip(row, "read_error", f"cannot read the object: {exc.strerror}")
        try:
            data = read_fd_bounded(fd, MAX_OBJECT_BYTES, first=row.size_bytes)
        except OSError as exc:
            return object_skip(row, "read_error", f"cannot read the object: {exc.strerror}")
        finally:
            os.close(fd)
        return verify_object(row, data) or data

    def _load_hub(self, row: IndexRow) -> bytes | SkippedItem:
        assert self.hub is not None
        if self.cache is not None and not self.force:
            cached = self._cached(row)
            if cached is not None and verify_object(row, cached) is None:
                return cached
        try:
            data = _hub_get(self.hub, self.locator.repo_id, self.locator.revision, row.object_path)
        except Exception as exc:
            kind = classify(exc)
            if kind is HubFailure.MISSING_ENTRY:
                return object_skip(row, "object_missing", "not found at the pinned revision")
            if kind is None:
                raise
            status = http_status(exc)
            detail = f"HTTP {status}" if status else type(exc).__name__
            return object_skip(row, "download_error", f"download failed: {detail}")
        with self._count_lock:
            self.downloads += 1
        problem = verify_object(row, data)
        if problem is not None:
            return problem
        if self.cache is not None:
            if row.sha256:
                self.cache.put_object(row.sha256, data)
            else:  # a submission file known by its git blob id
                self.cache.put_index(self.locator.repo_id, self._key(row), row.object_path, data)
        return data

    def _cached(self, row: IndexRow) -> bytes | None:
        assert self.cache is not None
        if row.sha256:
            return self.cache.get_object(row.sha256)
        return self.cache.get_index(self.locator.repo_id, self._key(row), row.object_path)

    def _key(self, row: IndexRow) -> str:
        """A submission file's cache key: its git blob id names its bytes (checked again on a
        hit), so a file a later commit leaves alone stays cached; else the commit."""
        return f"blob-{row.blob_id}" if row.blob_id else self.locator.revision

    def records(
        self,
        *,
        concurrency: int = 8,
        progress: Progress = NO_PROGRESS,
    ) -> Iterator[Record]:
        """Verified, parsed records in (collection, line) order; problems go to `skipped`."""
        task = progress.task(f"Reading {self.locator.label}", total=len(self.rows))
        pending = 0
        loaded = (
            _in_order(self._load_hub, self.rows, concurrency)
            if self.locator.kind == "hub"
            else _read_ahead(self._load_folder, self.rows)
        )
        for row, data in loaded:
            pending += 1
            if pending >= PROGRESS_EVERY:
                task.advance(pending)
                pending = 0
            if isinstance(data, SkippedItem):
                self.skipped.append(data)
                continue
            if not row.sha256:  # a submission file: its sha256 is known once it is read
                row = attrs.evolve(row, sha256=hashlib.sha256(data).hexdigest())
            parsed = parse_record(row, data)
            if isinstance(parsed, SkippedItem):
                self.skipped.append(parsed)
            else:
                yield parsed
        task.complete()


_DONE = object()


def _read_ahead(
    load: Callable[[IndexRow], bytes | SkippedItem],
    rows: Sequence[IndexRow],
    *,
    batch: int = 64,
    depth: int = 8,
) -> Iterator[tuple[IndexRow, bytes | SkippedItem]]:
    """`load` every row on one background thread, `batch` rows at a time and at most `depth`
    batches ahead, yielding in input order.

    Opening, reading and hashing a file release the GIL, so on a second core they overlap the
    caller's JSON decoding and mapping (benchmarks/bench_datastore.py); batches keep the
    hand-over cost per object negligible. The thread stops when the caller does.
    """
    handover: queue.Queue[object] = queue.Queue(maxsize=depth)
    stopped = threading.Event()

    def offer(item: object) -> bool:
        while not stopped.is_set():
            try:
                handover.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for start in range(0, len(rows), batch):
                chunk = [(row, load(row)) for row in rows[start : start + batch]]
                if not offer(chunk):
                    return
        except BaseException as exc:  # re-raised in the caller's thread
            offer(exc)
        offer(_DONE)

    reader = threading.Thread(target=work, name="eeesync-read-ahead", daemon=True)
    reader.start()
    try:
        while (item := handover.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield from item  # type: ignore[misc]
    finally:
        stopped.set()
        reader.join()


def _in_order(
    load: Callable[[IndexRow], bytes | SkippedItem], rows: Sequence[IndexRow], concurrency: int
) -> Iterator[tuple[IndexRow, bytes | SkippedItem]]:
    """Run `load` on a bounded thread pool, yielding results in input order."""
    workers = concurrency  # 1..64: checked where the config and flags are read
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="eeesync-read") as pool:
        window: deque[tuple[IndexRow, Future[bytes | SkippedItem]]] = deque()
        upcoming = iter(rows)
        try:
            for row in upcoming:
                window.append((row, pool.submit(load, row)))
                if len(window) >= workers * 4:
                    break
            while window:
                row, future = window.popleft()
                following = next(upcoming, None)
                if following is not None:
                    window.append((following, pool.submit(load, following)))
                yield row, future.result()
        finally:
            for _, future in window:  # the consumer stopped early: drop queued downloads
                future.cancel()


def open_datastore(
    locator: Locator,
    collections: Sequence[str] | None,
    *,
    hub: Hub | None,
    cache: ObjectCache | None = None,
    force: bool = False,
    concurrency: int = 8,
) -> DatastoreScan:
    """Read and check the collection indexes (collections None = all of them), `concurrency`
    index files at once from a Hub datastore (one request each: read one by one, a cold run over
    many collections would wait for each in turn).

    Raises `DatastoreError` for a bad or unknown collection name or an unreadable index (the
    first one in collection order, as reading them one by one would).
    """
    if collections is not None and isinstance(collections, str):
        collections = [collections]
    if collections is not None and len(collections) == 0:
        raise DatastoreError("no collection given: name one or more, or read them all")
    for name in collections or ():
        check_collection_name(name)
    if locator.kind == "hub" and hub is None:
        raise DatastoreError(f"datastore {locator.input} is on the Hub: a Hub connection is needed")
    if locator.layout == "submission":
        names, files, stray, listed = submission.read_listing(locator, collections, hub=hub)
        return DatastoreScan(
            locator=locator,
            collections=names,
            indexes=tuple(listed),
            rows=files,
            skipped=stray,
            hub=hub,
            cache=cache,
            force=force,
        )
    wanted = chosen_collections(collections, list_collections(locator, hub=hub))
    rows: list[IndexRow] = []
    skipped: list[SkippedItem] = []
    digests: list[IndexDigest] = []
    read = functools.partial(_read_index_bytes, locator, hub=hub, cache=cache, force=force)
    width = min(concurrency, len(wanted)) if locator.kind == "hub" else 1
    if width > 1:
        with ThreadPoolExecutor(max_workers=width, thread_name_prefix="eeesync-index") as pool:
            # map() yields in input order and re-raises the first failure in that order.
            contents = list(pool.map(read, wanted))
    else:
        contents = [read(c) for c in wanted]
    with gc_paused():  # ~229,000 rows kept alive: collections would walk them again and again
        for collection, data in zip(wanted, contents, strict=True):
            got, bad, count = read_index(data, collection)
            rows.extend(got)
            skipped.extend(bad)
            digest = hashlib.sha256(data).hexdigest()
            digests.append(IndexDigest(collection=collection, sha256=digest, rows=count))
    return DatastoreScan(
        locator=locator,
        collections=wanted,
        indexes=tuple(digests),
        rows=rows,
        skipped=skipped,
        hub=hub,
        cache=cache,
        force=force,
    )


def read_datastore(
    locator: Locator,
    collections: Sequence[str] | None,
    *,
    hub: Hub | None,
    cache: ObjectCache | None,
    force: bool = False,
    concurrency: int = 8,
    progress: Progress = NO_PROGRESS,
) -> DatastoreRead:
    """Read whole collections into memory: for small datastores and tests. A large run streams
    with `open_datastore(...).records()` (the whole datastore parsed is several GB)."""
    scan = open_datastore(
        locator, collections, hub=hub, cache=cache, force=force, concurrency=concurrency
    )
    with gc_paused():
        records = tuple(scan.records(concurrency=concurrency, progress=progress))
    return DatastoreRead(
        locator=locator,
        indexes=scan.indexes,
        records=records,
        skipped=tuple(sorted(scan.skipped, key=_location)),
        collections=scan.collections,
    )


def _location(item: SkippedItem) -> tuple[str, int, str, str]:
    return (item.collection, item.line, item.object_path, item.reason)
