"""Injected trouble and request counters: latency, 429 + Retry-After, 500/503, dropped connections.

Decisions come from a seeded `random.Random`, so a sequential run repeats exactly. The config is
replaced at run time with `LocalHub.set_faults` (which restarts the random sequence from the
seed). `max_faults` makes scripted scenarios easy: `FaultConfig(rate_429=1.0, max_faults=2)` is
"two 429s, then success".
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum


class Fault(StrEnum):
    """What to do with one request instead of answering it normally."""

    NONE = "none"
    TOO_MANY_REQUESTS = "429"
    SERVER_ERROR = "5xx"
    DROP = "drop"


@dataclass(frozen=True)
class FaultConfig:
    """Fault injection settings. Rates are shares of requests in [0, 1].

    Attributes:
        latency_ms: delay added to every matching request.
        jitter_ms: extra random delay in [0, jitter_ms).
        rate_429: share answered 429 with `Retry-After: retry_after_s`.
        rate_5xx: share answered 500 or 503 (half each).
        drop_rate: share whose connection is closed without an answer.
        seed: seed of the random sequence.
        routes: only requests whose route name (e.g. "tree", "resolve_head", "repo_info") or
            bucket ("api", "resolvers") is listed get faults and latency; None = all.
        max_faults: stop injecting 429/5xx/drops after this many (None = no limit).
    """

    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    rate_429: float = 0.0
    retry_after_s: int = 1
    rate_5xx: float = 0.0
    drop_rate: float = 0.0
    seed: int = 0
    routes: frozenset[str] | None = None
    max_faults: int | None = None

    def __post_init__(self) -> None:
        for name in ("rate_429", "rate_5xx", "drop_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")
        if self.rate_429 + self.rate_5xx + self.drop_rate > 1.0 + 1e-9:
            raise ValueError("rate_429 + rate_5xx + drop_rate must not exceed 1")
        if self.latency_ms < 0 or self.jitter_ms < 0 or self.retry_after_s < 0:
            raise ValueError("latency_ms, jitter_ms and retry_after_s must not be negative")
        if self.routes is not None and not isinstance(self.routes, frozenset):
            object.__setattr__(self, "routes", frozenset(self.routes))


@dataclass(frozen=True)
class Decision:
    """The injector's verdict for one request."""

    delay_s: float
    fault: Fault
    status: int = 0


class FaultInjector:
    """Draws a `Decision` per request from the config's seeded random sequence."""

    def __init__(self, config: FaultConfig | None = None) -> None:
        self.config = config or FaultConfig()
        self._random = random.Random(self.config.seed)
        self._injected = 0
        self._lock = threading.Lock()

    @property
    def active(self) -> bool:
        c = self.config
        return bool(c.latency_ms or c.jitter_ms or c.rate_429 or c.rate_5xx or c.drop_rate)

    def decide(self, route: str, bucket: str) -> Decision:
        c = self.config
        if not self.active or (c.routes is not None and not ({route, bucket} & c.routes)):
            return Decision(0.0, Fault.NONE)
        with self._lock:
            delay = (c.latency_ms + c.jitter_ms * self._random.random()) / 1000.0
            draw = self._random.random()
            exhausted = c.max_faults is not None and self._injected >= c.max_faults
            fault, status = Fault.NONE, 0
            if exhausted:
                pass
            elif draw < c.drop_rate:
                fault = Fault.DROP
            elif draw < c.drop_rate + c.rate_429:
                fault, status = Fault.TOO_MANY_REQUESTS, 429
            elif draw < c.drop_rate + c.rate_429 + c.rate_5xx:
                fault, status = Fault.SERVER_ERROR, self._random.choice((500, 503))
            if fault is not Fault.NONE:
                self._injected += 1
        return Decision(delay, fault, status)


class Counters:
    """Thread-safe request counts by route name, bucket and outcome."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def add(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._counts[key] += 1

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()


class InFlight:
    """Requests being answered right now, by bucket, and the most at once since the last reset
    (shows whether a client's concurrency reached the server, latency sleeps included)."""

    def __init__(self) -> None:
        self._now: Counter[str] = Counter()
        self._peak: Counter[str] = Counter()
        self._lock = threading.Lock()

    def enter(self, bucket: str) -> None:
        with self._lock:
            self._now[bucket] += 1
            self._peak[bucket] = max(self._peak[bucket], self._now[bucket])

    def leave(self, bucket: str) -> None:
        with self._lock:
            self._now[bucket] -= 1

    def peaks(self) -> dict[str, int]:
        with self._lock:
            return dict(self._peak)

    def reset(self) -> None:
        """Peaks start again from the requests in flight now."""
        with self._lock:
            self._peak = Counter({k: v for k, v in self._now.items() if v > 0})
