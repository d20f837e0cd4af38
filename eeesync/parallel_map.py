"""Read and map a large folder datastore on several processes.

One Python process decodes, checks and maps ~5,000 aggregate objects a second
(benchmarks/bench_datastore.py), and JSON decoding and the mapping hold the GIL, so threads do
not help. A folder datastore of at least `MIN_ROWS` index rows is therefore cut into chunks of
rows that worker processes read, verify, parse and map; the parent absorbs their batches in row
order, so the result (and the plan) is the one `map_records(scan.records())` gives
(tests/test_parallel_map.py). A Hub datastore is read in the parent, where object downloads are
bounded and paced by the Hub's budgets.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor

import attrs

from eeesync.datastore.bulk import gc_paused
from eeesync.datastore.index import IndexRow
from eeesync.datastore.locator import Locator
from eeesync.datastore.scan import DatastoreScan
from eeesync.mapping import MappedBatch, Mapper, MappingOptions, MappingResult, map_records
from eeesync.plan.model import SkippedItem
from eeesync.progress import NO_PROGRESS, Progress
from eeesync.registry import Registry, TaskCheck

#: Below this many rows, starting processes (~1 s: each imports eeesync) costs more than it saves.
MIN_ROWS = 20_000
#: Rows per task: large enough that handing a batch back is cheap, small enough to stream.
CHUNK_ROWS = 2_000
MAX_WORKERS = 8


def default_workers() -> int:
    """The cores this process may run on (at most `MAX_WORKERS`)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_WORKERS))


@attrs.frozen
class _Job:
    """What every worker needs to map (sent once, when the worker starts)."""

    locator: Locator
    registry: Registry
    options: MappingOptions
    tasks: TaskCheck | None


_mapper: Mapper | None = None  # one per worker process: its memos last for the whole run


def _start_worker(job: _Job) -> None:
    global _mapper
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _mapper = Mapper(job.registry, job.locator, job.options, job.tasks)


def _map_rows(rows: Sequence[IndexRow]) -> tuple[MappedBatch, list[SkippedItem]]:
    """In a worker: read, verify, parse and map `rows`; (the mapped batch, the read skips)."""
    assert _mapper is not None, "worker not started"
    scan = DatastoreScan(
        locator=_mapper.locator, collections=(), indexes=(), rows=list(rows), skipped=[]
    )
    _mapper.map_all(scan.records())
    return _mapper.take(), scan.skipped


def map_scan(
    scan: DatastoreScan,
    registry: Registry,
    *,
    options: MappingOptions,
    tasks: TaskCheck | None = None,
    on_repo: Callable[[str], None] | None = None,
    concurrency: int = 8,
    progress: Progress = NO_PROGRESS,
    workers: int | None = None,
    min_rows: int = MIN_ROWS,
    chunk_rows: int = CHUNK_ROWS,
) -> MappingResult:
    """`map_records(scan.records(...))`, on `workers` processes (default: one per core) when
    the scan is a folder of at least `min_rows` rows. Read skips land in `scan.skipped` and
    `on_repo` is called in row order, as in one process."""
    count = default_workers() if workers is None else workers
    if scan.locator.kind != "folder" or count < 2 or len(scan.rows) < min_rows:
        records = scan.records(concurrency=concurrency, progress=progress)
        return map_records(
            records, registry, scan.locator, options=options, tasks=tasks, on_repo=on_repo
        )
    parent = Mapper(registry, scan.locator, options, tasks, on_repo=on_repo)
    chunks = [scan.rows[i : i + chunk_rows] for i in range(0, len(scan.rows), chunk_rows)]
    task = progress.task(f"Reading {scan.locator.label} ({count} processes)", total=len(scan.rows))
    job = _Job(scan.locator, registry, options, tasks)
    # spawn, not fork: the parent runs audit threads, and fork copies their locks mid-use
    context = multiprocessing.get_context("spawn")
    # The parent keeps every batch it absorbs: with the collector on, its collections walked
    # them again and again (half of the parent's CPU, which it shares with the workers).
    pool = ProcessPoolExecutor(count, context, initializer=_start_worker, initargs=(job,))
    with gc_paused(), pool:
        try:
            batches = pool.map(_map_rows, chunks)
            for rows, (batch, read_skips) in zip(chunks, batches, strict=True):
                scan.skipped += read_skips
                parent.absorb(batch)
                task.advance(len(rows))
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    task.complete()
    return parent.finish()
