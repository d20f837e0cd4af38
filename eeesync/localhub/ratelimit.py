"""Fixed-window rate limits like the Hub's: an "api" bucket (`/api/…`) and a "resolvers" bucket
(`/resolve/…` downloads), each with a quota per window.

Every answer in a limited bucket carries the headers the Hub sends and huggingface_hub parses
(`parse_ratelimit_headers`) to decide how long to wait:

    RateLimit: "api";r=REMAINING;t=SECONDS_TO_RESET
    RateLimit-Policy: "fixed window";"api";q=QUOTA;w=WINDOW_SECONDS

and a request over quota gets 429 with those headers plus `Retry-After`.

Writes (`WRITE_ROUTES`: commits, opening discussions and PRs, comments, status and title
changes, merges) can have a quota of their own (`writes_quota` per `writes_window_s`, off by
default), as the Hub limits repo commits and discussions apart from its read quota; a write
over it gets 429 with `Retry-After` only (no `RateLimit` header: clients pace reads by those).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

BUCKETS = ("api", "resolvers")
#: The write quota's bucket, counted on top of "api" for the routes below.
WRITES = "writes"
WRITE_ROUTES = frozenset(
    {
        "commit",
        "create_discussion",
        "discussion_comment",
        "discussion_comment_edit",
        "discussion_status",
        "discussion_title",
        "discussion_merge",
    }
)


@dataclass(frozen=True)
class RateLimitConfig:
    """Quotas per window. The defaults are the Hub's free tier (1,000 / 5,000 per 5 minutes)."""

    api_quota: int = 1000
    resolvers_quota: int = 5000
    window_s: int = 300
    #: Writes per `writes_window_s` (None: writes count in "api" only).
    writes_quota: int | None = None
    writes_window_s: int = 3600

    def __post_init__(self) -> None:
        if self.api_quota < 0 or self.resolvers_quota < 0 or self.window_s < 1:
            raise ValueError("quotas must be >= 0 and window_s >= 1")
        if (self.writes_quota is not None and self.writes_quota < 0) or self.writes_window_s < 1:
            raise ValueError("writes_quota must be >= 0 and writes_window_s >= 1")

    def quota(self, bucket: str) -> int:
        if bucket == WRITES:
            return self.writes_quota or 0
        return self.api_quota if bucket == "api" else self.resolvers_quota

    def window(self, bucket: str) -> int:
        return self.writes_window_s if bucket == WRITES else self.window_s


@dataclass(frozen=True)
class Verdict:
    """Whether a request may go on, and the headers to send either way."""

    allowed: bool
    headers: tuple[tuple[str, str], ...]
    reset_s: int


class RateLimiter:
    """One fixed window per bucket, starting with the first request after the previous ends."""

    def __init__(
        self, config: RateLimitConfig, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.config = config
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}

    def check(self, bucket: str) -> Verdict:
        """Count one request in `bucket` (if under quota) and say whether it is allowed."""
        quota, window = self.config.quota(bucket), self.config.window(bucket)
        now = self._clock()
        with self._lock:
            start, used = self._windows.get(bucket, (now, 0))
            if now >= start + window:
                start, used = now, 0
            allowed = used < quota
            if allowed:
                used += 1
            self._windows[bucket] = (start, used)
        reset = max(0, math.ceil(start + window - now))
        headers: tuple[tuple[str, str], ...] = (
            ("RateLimit", f'"{bucket}";r={quota - used};t={reset}'),
            ("RateLimit-Policy", f'"fixed window";"{bucket}";q={quota};w={window}'),
        )
        if not allowed:
            headers += (("Retry-After", str(reset)),)
        return Verdict(allowed, headers, reset)
