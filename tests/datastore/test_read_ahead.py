"""The folder scan's read-ahead thread (datastore/scan.py `_read_ahead`): rows come back in
order, a consumer that stops early stops the thread, and a failure in the thread reaches the
consumer instead of hanging it."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from eeesync.datastore.scan import _read_ahead


def _alive() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "eeesync-read-ahead"]


def test_rows_come_back_in_order_across_batches() -> None:
    rows: list[Any] = list(range(1000))
    got = list(_read_ahead(lambda row: row * 2, rows, batch=7, depth=2))
    assert got == [(row, row * 2) for row in rows]
    assert not _alive()


def test_a_consumer_that_stops_early_stops_the_thread() -> None:
    loaded: list[int] = []

    def load(row: Any) -> Any:
        loaded.append(row)
        return row

    stream = _read_ahead(load, list(range(100_000)), batch=10, depth=2)
    assert next(stream) == (0, 0)
    stream.close()  # what a `for` loop left by `break` or an exception does
    assert not _alive()
    assert len(loaded) < 100  # it stopped a few batches ahead, not at the end


def test_a_failure_in_the_thread_is_raised_in_the_consumer() -> None:
    def load(row: Any) -> Any:
        if row == 25:
            raise RuntimeError("disk on fire")
        return row

    stream = _read_ahead(load, list(range(100)), batch=10)
    with pytest.raises(RuntimeError, match="disk on fire"):
        list(stream)
    assert not _alive()
