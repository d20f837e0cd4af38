"""Hub writes at a pace the Hub accepts: an hourly cap, and a shared hold on a 429.

huggingface_hub never retries a commit or a PR creation, and the Hub limits repo commits and
discussions apart from its read quota. A `WritePace` is shared by the worker threads of one
apply: each write waits for its turn first. Turns are spaced `3600 / per_hour` seconds apart
when `[apply] max_writes_per_hour` is set (a large apply is spread over hours; what a stopped
run did not reach stays pending in its journal), and a 429 on any write holds *every* writer
for the server's `Retry-After` (or `RateLimit` reset), so one refusal does not become a burst
of them. After a hold the writers that waited through it resume one at a time, at least
`RESUME_SPACING_S` apart (or `3600 / per_hour`, if longer), so they do not all meet the limit
again at the same instant; once they have gone, writes go at the run's own pace again (a
spacing kept for the rest of the run made one 429 cap a run at 3,600 writes an hour).

`send` is for writes that a 429 refused unprocessed and that can simply be sent again after the
hold (comments, status changes). A PR-creating commit (apply's, and the import's to the
datastore) is never sent twice blindly: after a failure `wait_to_retry` waits (the same hold on
a 429), then the caller re-reads the Hub, where the write may have landed, before another try.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from eeesync.hub.client import RetryPolicy, http_status, is_retryable, retry_after_seconds

T = TypeVar("T")

#: A hold longer than this is cut short (the Hub's windows are 5 minutes to an hour); the
#: write then goes and, refused again, holds again.
MAX_HOLD_S = 3600.0
#: Wait when a 429 names no delay.
DEFAULT_HOLD_S = 30.0
#: After a 429, the least time between the turns of the writers that waited through the hold.
RESUME_SPACING_S = 1.0
#: 429s one `send` waits out before giving up (the action is then retried by a later run).
SEND_ATTEMPTS = 5


class WritePace:
    """When the next write may go: spacing for an hourly cap, and holds after 429s."""

    def __init__(
        self,
        per_hour: int | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if per_hour is not None and per_hour < 1:
            raise ValueError("per_hour must be at least 1")
        self.per_hour = per_hour
        self._clock = clock
        self._lock = threading.Lock()
        #: Seconds between two turns (0: none unless a cap is set).
        self._spacing = 0.0 if per_hour is None else 3600.0 / per_hour
        self._next_slot = 0.0  # the earliest start of the next spaced write
        self._held_until = 0.0  # no write before this (a 429's Retry-After)
        self.writes = 0
        self.holds = 0  # 429s that held the writers
        self.waited_s = 0.0

    def turn(self, stop: threading.Event) -> bool:
        """Wait until this write may go (and take its slot). False: `stop` was set meanwhile
        (Ctrl-C): do not write."""
        waited_through_hold = False
        while True:
            with self._lock:
                now = self._clock()
                waited_through_hold |= self._held_until > now
                start = max(now, self._held_until, self._next_slot)
                if start <= now:
                    spacing = self._spacing
                    if waited_through_hold:
                        spacing = max(spacing, RESUME_SPACING_S)
                    self._next_slot = now + spacing
                    self.writes += 1
                    return True
                wait = start - now
                self.waited_s += wait
            if stop.wait(wait):
                return False

    def hold(self, seconds: float | None) -> float:
        """A write was refused with 429: nobody writes for `seconds` (the server's hint);
        returns the hold applied. The writers that wait through it then go one at a time."""
        held = min(MAX_HOLD_S, DEFAULT_HOLD_S if seconds is None else seconds + 0.05)
        with self._lock:
            self._held_until = max(self._held_until, self._clock() + held)
            self.holds += 1
        return held


def is_too_many_requests(exc: BaseException) -> bool:
    return http_status(exc) == 429


def send(
    pace: WritePace,
    stop: threading.Event,
    fn: Callable[..., T],
    /,
    *args: object,
    turn_taken: bool = False,
    **kwargs: object,
) -> T:
    """Send one write in its turn (`turn_taken`: the caller already waited for it); after a
    429 hold every writer and send it again (at most `SEND_ATTEMPTS` times). Any other failure
    is raised at once (writes are not retried blindly). Raises `InterruptedError` when `stop`
    is set while waiting."""
    for attempt in range(1, SEND_ATTEMPTS + 1):
        if (attempt > 1 or not turn_taken) and not pace.turn(stop):
            raise InterruptedError("stopped before the write was sent")
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            if not is_too_many_requests(exc) or attempt == SEND_ATTEMPTS:
                raise
            pace.hold(retry_after_seconds(exc))
    raise AssertionError("unreachable")  # pragma: no cover


def wait_to_retry(
    pace: WritePace,
    stop: threading.Event,
    exc: BaseException,
    *,
    attempt: int,
    attempts: int,
    policy: RetryPolicy,
) -> bool:
    """After write `attempt` (of at most `attempts`) failed with `exc`: wait, and say whether
    to try again (re-read the Hub first: the write may have landed). A 429 holds every writer
    for its `Retry-After` (the next try waits for its turn); another transient failure waits
    the read backoff. False: not worth another try, out of attempts, or `stop` was set."""
    if not is_retryable(exc) or attempt >= attempts or stop.is_set():
        return False
    if is_too_many_requests(exc):
        pace.hold(retry_after_seconds(exc))
        return not stop.is_set()
    hint = retry_after_seconds(exc)
    backoff = min(policy.max_wait, policy.base_wait * 2 ** (attempt - 1))
    wait_s = min(policy.max_wait, hint + 0.05) if hint is not None else backoff
    return not stop.wait(wait_s * (1 + random.random() * 0.1))
