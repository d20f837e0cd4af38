"""Spend the Hub's quota without hitting it: one budget per quota bucket, fed by the headers.

The Hub counts requests per fixed window in buckets ("api" for `/api/…`, "resolvers" for
`/resolve/…` downloads; free tier: 1,000 and 5,000 per 5 minutes) and says where a caller
stands on every answer (IETF draft ratelimit headers, parsed by huggingface_hub's
`parse_ratelimit_headers`):

    RateLimit: "api";r=REMAINING;t=SECONDS_TO_RESET
    RateLimit-Policy: "fixed window";"api";q=QUOTA;w=WINDOW_SECONDS

A `Pacer` keeps one `Budget` per bucket, shared by every worker thread talking to one Hub
(keyed by its URL). Each request takes one unit *before* it is sent (an httpx request hook on
the client huggingface_hub uses); when the budget of the current window is spent, the worker
waits for the window to reset instead of sending a request the Hub would refuse with a 429.
Every answer refreshes the estimate (the lower of the local count and the Hub's figure, minus
requests still in flight, so a concurrent burst never overdraws it). A Hub that sends no such
headers (the local Hub without limits) is never paced. A 429 that still comes (another client
spending the same quota) is handled by the retry in `client.py`; its headers empty the budget.
"""

from __future__ import annotations

import math
import threading
import time
import weakref
from collections.abc import Callable

import attrs
import httpx2
from huggingface_hub.utils._http import RateLimitInfo, parse_ratelimit_headers

BUCKETS = ("api", "resolvers")
#: Seconds added to a wait for the window to reset: the Hub rounds `t` up, and its clock is
#: not ours.
RESET_MARGIN = 0.05
#: At most this many in-flight requests are reserved from the Hub's figure (64 workers at most).
MAX_RESERVED = 64
#: Seconds the other workers wait for the first answer of a bucket (which says if it is limited)
#: or of a window whose quota they have spent (which says when it resets).
PROBE_WAIT = 2.0


def bucket_of(path: str) -> str | None:
    """Which quota bucket a request path is counted in (None: not a counted request)."""
    if "/resolve/" in path:
        return "resolvers"
    if path.startswith("/api/"):
        return "api"
    return None


@attrs.frozen
class BudgetView:
    """One bucket as it stands (for progress, reports and benchmarks)."""

    bucket: str
    quota: int | None  # None: the Hub sent no policy (not limited, or not yet known)
    window_s: int | None
    remaining: int | None
    sent: int
    #: Quota windows in which this run sent at least one request.
    windows: int
    #: Times a worker waited for a window to reset, and the seconds spent waiting.
    waits: int
    waited_s: float
    refused: int  # answers with status 429

    def expected_windows(self, requests: int) -> int | None:
        """Windows `requests` more requests need at this quota (None: not limited)."""
        if not self.quota:
            return None
        beyond = max(0, requests - (self.remaining or 0))
        return math.ceil(beyond / self.quota)

    def describe(self) -> str:
        if self.quota is None:
            return f"{self.bucket}: no quota announced"
        return f"{self.bucket}: {self.quota:,} requests per {self.window_s} s window"


class Budget:
    """The requests left in the current window of one bucket, as far as this client knows."""

    def __init__(
        self, bucket: str, *, clock: Callable[[], float] = time.monotonic, margin: int = 0
    ) -> None:
        self.bucket = bucket
        self.margin = margin
        self._clock = clock
        self._cond = threading.Condition()
        self.quota: int | None = None
        self.window_s: int | None = None
        self.remaining: int | None = None
        self.reset_at: float | None = None
        #: When this client saw the current window start (answers older than it are stale).
        self._rolled_at: float | None = None
        self.in_flight = 0
        self._answered = False
        self.sent = 0
        self.windows = 0
        self._window_used = False
        self.waits = 0
        self.waited_s = 0.0
        self.refused = 0

    def acquire(self) -> None:
        """Take one request from the budget, waiting for the window to reset if it is spent."""
        with self._cond:
            waited = False
            began = self._clock()
            unknown_since: float | None = None  # since when the window's reset is unknown
            while True:
                now = self._clock()
                self._roll(now)
                if not self._answered and self.in_flight > 0 and now - began < PROBE_WAIT:
                    # Until the first answer says whether there is a quota, one at a time
                    # (bounded: a request that never gets an answer must not block the rest).
                    self._cond.wait(0.1)
                    continue
                if self.remaining is None or self.remaining > 0:
                    break
                if self.reset_at is None:
                    # Spent before any answer of this window said when it resets (a window
                    # just rolled over and more workers wait than its quota): the answers in
                    # flight will say. Bounded, as above; with none in flight (a quota of 0),
                    # only the Hub's answer can say when to retry, so the request goes.
                    unknown_since = now if unknown_since is None else unknown_since
                    if self.in_flight > 0 and now - unknown_since < PROBE_WAIT:
                        self._cond.wait(0.1)
                        continue
                    break
                unknown_since = None
                if not waited:
                    waited = True
                    self.waits += 1
                self._cond.wait(max(0.005, self.reset_at - now + RESET_MARGIN))
            if waited:
                self.waited_s += self._clock() - began
            if self.remaining is not None:
                self.remaining -= 1
            self.in_flight += 1
            self.sent += 1
            if not self._window_used:
                self._window_used = True
                self.windows += 1

    def _roll(self, now: float) -> None:
        """Start the next window once the current one has reset (caller holds the lock)."""
        if self.reset_at is not None and now >= self.reset_at:
            self.remaining = None if self.quota is None else self.quota
            self.reset_at = None
            self._rolled_at = now
            self._window_used = False
            self._cond.notify_all()

    def observe(self, info: RateLimitInfo | None, *, status: int) -> None:
        """An answer came back for a request taken with `acquire`: update from its headers."""
        with self._cond:
            self.in_flight = max(0, self.in_flight - 1)
            self._answered = True
            if status == 429:
                self.refused += 1
            if info is None:
                self._cond.notify_all()
                return
            now = self._clock()
            self._roll(now)
            if info.limit is not None:
                self.quota = info.limit
            if info.window_seconds is not None:
                self.window_s = info.window_seconds
            reset_at = now + info.reset_in_seconds
            half = (self.window_s or 2) / 2
            if self._rolled_at is not None and reset_at < self._rolled_at + half:
                self._cond.notify_all()  # an answer from the window that already ended
                return
            # Requests still in flight may not have been counted by the Hub yet: reserve them.
            # (Capped: a request whose answer never came must not shrink the budget forever.)
            hub_says = info.remaining - min(self.in_flight, MAX_RESERVED) - self.margin
            if self.reset_at is not None and reset_at > self.reset_at + half:
                self.remaining = None  # the Hub started a window we did not see start
            self.remaining = hub_says if self.remaining is None else min(self.remaining, hub_says)
            self.reset_at = reset_at if self.reset_at is None else min(self.reset_at, reset_at)
            if status == 429:
                self.remaining = 0
            self._cond.notify_all()

    def release(self) -> None:
        """A request taken with `acquire` got no answer (a network error)."""
        with self._cond:
            self.in_flight = max(0, self.in_flight - 1)
            self._answered = True  # no answer either way: do not hold the others back
            self._cond.notify_all()

    def view(self) -> BudgetView:
        with self._cond:
            return BudgetView(
                bucket=self.bucket,
                quota=self.quota,
                window_s=self.window_s,
                remaining=self.remaining,
                sent=self.sent,
                windows=self.windows,
                waits=self.waits,
                waited_s=round(self.waited_s, 3),
                refused=self.refused,
            )


class Pacer:
    """The budgets of one Hub (one per bucket), shared by all its workers."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.budgets = {name: Budget(name, clock=clock) for name in BUCKETS}

    def before(self, path: str) -> None:
        bucket = bucket_of(path)
        if bucket is not None:
            self.budgets[bucket].acquire()

    def after(self, path: str, response: httpx2.Response) -> None:
        bucket = bucket_of(path)
        if bucket is None:
            return
        info = parse_ratelimit_headers(response.headers)
        named = info.resource_type if info is not None else bucket
        if info is not None and named != bucket and named in self.budgets:
            # The Hub counted it elsewhere: our guess took a unit from the wrong budget.
            self.budgets[bucket].observe(None, status=response.status_code)
            self.budgets[named].observe(info, status=response.status_code)
            return
        self.budgets[bucket].observe(info, status=response.status_code)

    def failed(self, path: str) -> None:
        bucket = bucket_of(path)
        if bucket is not None:
            self.budgets[bucket].release()

    def views(self) -> tuple[BudgetView, ...]:
        return tuple(self.budgets[name].view() for name in BUCKETS)


# --- Wiring into the client huggingface_hub uses ------------------------------------------------

_PACERS: weakref.WeakValueDictionary[str, Pacer] = weakref.WeakValueDictionary()
_LOCK = threading.Lock()


def pacer_for(url: str) -> Pacer:
    """The shared pacer of the Hub at `url` (one quota per Hub), and the hooks installed."""
    key = url.rstrip("/")
    with _LOCK:
        pacer = _PACERS.get(key)
        if pacer is None:
            pacer = _PACERS[key] = Pacer()
    install_hooks()
    return pacer


def _find(request: httpx2.Request) -> tuple[Pacer, str] | None:
    url = str(request.url)
    for base, pacer in list(_PACERS.items()):
        if url.startswith(base + "/"):
            return pacer, url[len(base) :].split("?", 1)[0]
    return None


def _on_request(request: httpx2.Request) -> None:
    found = _find(request)
    if found is not None:
        pacer, path = found
        pacer.before(path)
        request.extensions["eeesync_paced"] = True


def _on_response(response: httpx2.Response) -> None:
    request = response.request
    if not request.extensions.get("eeesync_paced"):
        return
    request.extensions["eeesync_paced"] = False  # redirects reuse hooks: count once
    found = _find(request)
    if found is not None:
        pacer, path = found
        pacer.after(path, response)


def install_hooks() -> None:
    """Add the pacing hooks to huggingface_hub's shared HTTP client (idempotent: a client that
    huggingface_hub recreates gets them on the next `pacer_for`)."""
    from huggingface_hub.utils._http import get_session

    client = get_session()
    hooks = client.event_hooks
    if _on_request in hooks.get("request", []):
        return
    client.event_hooks = {
        **hooks,
        "request": [*hooks.get("request", []), _on_request],
        "response": [*hooks.get("response", []), _on_response],
    }
