"""Reading ~229,000 objects quickly: optional orjson decoding, and pausing the cyclic collector.

Both are measured by benchmarks/bench_datastore.py; neither changes what a run reads.

* `FAST_LOADS` is orjson's decoder when orjson is installed (about twice as fast as `json` on
  aggregate objects, which is most of a scan's time). Callers try it first and give whatever it
  refuses (NaN literals, lone surrogates, numbers beyond a double, bad UTF-8) to `json`, which
  then decides and words the reason, so a run reads the same with or without orjson. One
  difference is left: orjson reads an integer beyond 64 bits as a float (`json` keeps an int).
  `index.py` sends such rows to `json`; in an aggregate object it can only change how a skip
  message prints an absurd number, never whether or why the result is skipped.
* `gc_paused()` turns the cyclic garbage collector off for a bulk read. A scan allocates
  millions of dicts and lists and keeps some of them; every full collection walks all that are
  alive, which cost a third of the time of a 40,000-record `read_datastore`. Parsed JSON has no
  reference cycles, and reference counting still frees everything else as usual.
"""

from __future__ import annotations

import gc
import importlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


def _fast_loads() -> Callable[[bytes], Any] | None:
    try:
        module = importlib.import_module("orjson")
    except ImportError:
        return None
    loads: Callable[[bytes], Any] = module.loads
    return loads


#: `orjson.loads` when orjson is installed, else None. It raises a `ValueError` subclass.
FAST_LOADS = _fast_loads()


@contextmanager
def gc_paused() -> Iterator[None]:
    """Disable the cyclic garbage collector inside the block (as it was, after it)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
