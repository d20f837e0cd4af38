"""The only place that builds `HfApi`: endpoint, token, read retries, and
the only place that tells Hub failures apart (`classify`, `describe`).

Reads are retried with backoff honouring `Retry-After` / `RateLimit` (huggingface_hub retries
only some of its calls itself: `model_info`, discussions and refs raise on the first 429).
Writes that create things (the commit POST) are never retried here: see `apply/run.py`.
"""

from __future__ import annotations

import enum
import functools
import ipaddress
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Literal, TypeVar
from urllib.parse import urlsplit

import attrs
import httpx2
from huggingface_hub import HfApi
from huggingface_hub.errors import (
    EntryNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    LocalEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.utils._http import parse_ratelimit_headers

from eeesync.errors import HubUnavailableError
from eeesync.hub.operations import HubOperations
from eeesync.hub.pace import Pacer, pacer_for

T = TypeVar("T")

#: Status codes that say "try again later", never "missing". 401/403 are included because the
#: Hub answers them transiently under load; they become `audit_error` if they persist.
RETRY_STATUSES = frozenset({401, 403, 408, 429, 500, 502, 503, 504})
NETWORK_ERRORS: tuple[type[BaseException], ...] = (
    httpx2.TimeoutException,
    httpx2.NetworkError,
    httpx2.RemoteProtocolError,
)
WEB_BASE = "https://huggingface.co"
#: `X-Error-Code` values that are the Hub's definitive answer: retrying cannot change them.
DEFINITIVE_ERROR_CODES = frozenset(
    {"RepoNotFound", "GatedRepo", "RevisionNotFound", "EntryNotFound"}
)


@attrs.frozen
class RetryPolicy:
    attempts: int = 8  # a storm of 30% failures still gets through: 0.3**8 ≈ 7e-5 per read
    base_wait: float = 0.5
    max_wait: float = 30.0
    #: A wait the server asked for (`Retry-After`, `RateLimit` reset) is honoured up to this:
    #: the Hub's quota windows are 5 minutes, and waiting is cheaper than an audit error.
    max_hinted_wait: float = 330.0
    #: "Connection refused" rarely heals in seconds: try once more, then report it.
    connect_attempts: int = 2


@attrs.define
class Hub(HubOperations):
    """An open connection to a Hub: the client plus the URLs links should use. Its operations
    (`hub.model_info(…)`, `hub.open_pull_request(…)`, …) are in `hub/operations.py`."""

    api: HfApi
    #: The HTTP endpoint requests go to (for `local:PATH`, the in-process server's URL).
    url: str
    #: The endpoint as configured (recorded in plans; apply refuses a plan for another one).
    endpoint: str
    #: Base of the links shown to people and written to PR descriptions. `local:PATH`
    #: rehearses the real Hub, so its links look like the real Hub's.
    web_base: str
    retry: RetryPolicy = attrs.field(factory=RetryPolicy)
    #: Seconds to wait for one HTTP answer on eeesync's own requests (file downloads).
    timeout: float = 20.0
    #: Largest `.eval_results` file the audit reads (a stranger's file must not cost gigabytes).
    max_eval_file_bytes: int = 1024 * 1024
    #: Counts retried reads (for reports and benchmarks).
    retries: int = 0
    _lock: threading.Lock = attrs.field(factory=threading.Lock, repr=False)
    #: The quota budgets of this Hub, shared with every `Hub` for the same URL (`hub/pace.py`).
    pacer: Pacer = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        self.pacer = pacer_for(self.url)

    #: Base of PR links when it is not `web_base`: a local Hub's PRs exist only there, so they
    #: are shown as `local:PATH/<repo>/discussions/<n>` (stable: no ephemeral port in plans or
    #: journals) or on the loopback server's URL, never as huggingface.co pages.
    pr_base: str | None = None

    def pr_url(self, repo_id: str, num: int) -> str:
        """A PR's link as people see it: on `web_base` (or `pr_base`), so plans, journals and
        PR lists agree (the server's own URL would name the local Hub's ephemeral port)."""
        return f"{self.pr_base or self.web_base}/{repo_id}/discussions/{num}"

    def call(self, fn: Callable[..., T], /, *args: object, **kwargs: object) -> T:
        """Run a *read* with retries on 429/5xx/401/403/timeouts. Re-raises the last error.
        The operations use it; code outside hub/ calls an operation instead."""
        bound = functools.partial(fn, *args, **kwargs)
        return call_with_retry(bound, policy=self.retry, on_retry=self._count)

    def _count(self) -> None:
        with self._lock:
            self.retries += 1


def retry_after_seconds(exc: BaseException) -> float | None:
    """The server's own wait hint (`Retry-After`, or the `RateLimit` reset), if any."""
    response = getattr(exc, "response", None)
    if response is None:
        return None
    headers = response.headers
    value = headers.get("Retry-After")
    if value is not None:
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
    info = parse_ratelimit_headers(headers)
    if info is not None and info.remaining == 0:
        return float(info.reset_in_seconds)
    return None


# --- Telling failures apart ----------------------------------------------------------------------


class HubFailure(enum.StrEnum):
    """What a failed Hub request means. `classify` is the only code that decides it: the rest
    of eeesync switches on this value instead of on huggingface_hub's exception types."""

    #: The Hub's definitive "no such repo": a 404, or the `RepoNotFound` error code (which the
    #: Hub also sends with a 401 to an anonymous caller asking for a missing or private repo).
    MISSING_REPO = "missing_repo"
    #: The repo exists but this token may not read it. Never "missing".
    GATED = "gated"
    MISSING_REVISION = "missing_revision"
    #: No such file or folder at that revision (`EntryNotFound`, or a plain 404).
    MISSING_ENTRY = "missing_entry"
    #: 401/403/408/429/500/502/503/504 (`RETRY_STATUSES`) without a definitive error code: try
    #: again later, or check the token. Never "missing".
    TRANSIENT = "transient"
    #: No answer at all: connection refused, DNS, timeout, dropped connection.
    UNREACHABLE = "unreachable"
    #: Any other refusal (400, 409, 413, 501, …), or a wrapped failure with no Hub cause.
    OTHER = "other"

    @property
    def missing(self) -> bool:
        """The Hub answered that the thing does not exist (retrying cannot change it)."""
        return self in _MISSING


_MISSING = frozenset(
    {HubFailure.MISSING_REPO, HubFailure.MISSING_REVISION, HubFailure.MISSING_ENTRY}
)


def classify(exc: BaseException) -> HubFailure | None:
    """What a failed Hub call means; None when `exc` is not a Hub failure at all (a bug, or a
    local problem such as a full disk), which callers re-raise or handle themselves.

    Decided by type, then by status and `X-Error-Code`, never by message text:

    - `GatedRepoError` is checked before `RepositoryNotFoundError` (it subclasses it);
    - huggingface_hub turns a bare 401 on https into `RepositoryNotFoundError`: without the
      `RepoNotFound` error code (or a 404) that is an auth problem, `TRANSIENT`, never missing;
    - `hf_hub_download` hides a 5xx, a 429 or a dropped connection behind
      `LocalEntryNotFoundError` (an `EntryNotFoundError`): its cause decides, never "missing".

    Example:
        >>> try:
        ...     hub.model_info("nobody/nothing")
        ... except Exception as exc:
        ...     classify(exc)
        <HubFailure.MISSING_REPO: 'missing_repo'>
    """
    if isinstance(exc, LocalEntryNotFoundError):
        cause = exc.__cause__
        found = classify(cause) if cause is not None else None
        return HubFailure.OTHER if found is None else found
    if isinstance(exc, NETWORK_ERRORS):
        return HubFailure.UNREACHABLE
    if not isinstance(exc, HfHubHTTPError):
        return None
    status = http_status(exc)
    code = _error_code(exc)
    if isinstance(exc, GatedRepoError):  # before RepositoryNotFoundError: it is a subclass
        return HubFailure.GATED
    if isinstance(exc, RepositoryNotFoundError):
        if code == "RepoNotFound" or status == 404:
            return HubFailure.MISSING_REPO
        return HubFailure.TRANSIENT if status in RETRY_STATUSES else HubFailure.OTHER
    if isinstance(exc, RevisionNotFoundError):
        return HubFailure.MISSING_REVISION
    if isinstance(exc, EntryNotFoundError):
        return HubFailure.MISSING_ENTRY
    if status is None:
        return HubFailure.OTHER
    if status in RETRY_STATUSES and code not in DEFINITIVE_ERROR_CODES:
        return HubFailure.TRANSIENT
    if status == 404:  # a tree listing of a missing folder, a file GET without an error code
        return HubFailure.MISSING_ENTRY
    return HubFailure.OTHER


def http_status(exc: BaseException) -> int | None:
    """The HTTP status of a refused request (None when no response came back)."""
    response = getattr(_cause(exc), "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def describe(exc: BaseException, *, detail: bool = False) -> str:
    """A one-line, token-free description of a failed Hub call, for people.

    Short by default (`HTTP 503: <server message>`, `HTTP 403: the repo is gated …`, or the
    exception type when no answer came: `ConnectTimeout`). `detail=True` is for apply's
    results: the server message or the error's first line, and the text of any other exception.
    """
    root = _cause(exc)
    status = http_status(root)
    if detail:
        if isinstance(root, HfHubHTTPError) and status is not None:
            text = root.server_message or str(root).splitlines()[0]
            return f"HTTP {status}: {text}".strip()
        first = str(exc).splitlines()[0] if str(exc) else ""
        return f"{type(exc).__name__}: {first}".strip().rstrip(":")
    head = f"HTTP {status}" if status is not None else type(root).__name__
    if classify(exc) is HubFailure.GATED:
        return f"{head}: the repo is gated and this token has no access"
    message = getattr(root, "server_message", None) or ""
    message = " ".join(str(message).split())[:200]
    return f"{head}: {message}" if message else head


def is_retryable(exc: BaseException) -> bool:
    """A read worth repeating: `TRANSIENT` or `UNREACHABLE`. `hf_hub_download`'s wrapped
    failures are not: it has already retried its own request."""
    if isinstance(exc, LocalEntryNotFoundError):
        return False
    return classify(exc) in (HubFailure.TRANSIENT, HubFailure.UNREACHABLE)


def _cause(exc: BaseException) -> BaseException:
    """The failure `hf_hub_download` wrapped in `LocalEntryNotFoundError`, else `exc` itself."""
    if isinstance(exc, LocalEntryNotFoundError) and exc.__cause__ is not None:
        return exc.__cause__
    return exc


def _error_code(exc: BaseException) -> str | None:
    """The Hub's `X-Error-Code` on a failed response (None when absent)."""
    response = getattr(exc, "response", None)
    return None if response is None else response.headers.get("X-Error-Code")


def call_with_retry(
    fn: Callable[..., T],
    /,
    *args: object,
    policy: RetryPolicy = RetryPolicy(),
    on_retry: Callable[[], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    **kwargs: object,
) -> T:
    """Call `fn`, retrying retryable failures with jittered exponential backoff."""
    for attempt in range(1, policy.attempts + 1):
        try:
            return fn(*args, **kwargs)
        except BaseException as exc:
            if attempt == policy.attempts or not is_retryable(exc):
                raise
            if isinstance(exc, httpx2.ConnectError) and attempt >= policy.connect_attempts:
                raise
            hint = retry_after_seconds(exc)
            backoff = min(policy.max_wait, policy.base_wait * 2 ** (attempt - 1))
            wait = min(policy.max_hinted_wait, hint + 0.05) if hint is not None else backoff
            if on_retry is not None:
                on_retry()
            sleep(wait * (1 + random.random() * 0.1))
    raise AssertionError("unreachable")  # pragma: no cover


def connect_hub(
    url: str,
    *,
    endpoint: str | None = None,
    web_base: str | None = None,
    token: str | Literal[False] | None = None,
    timeout: float = 20.0,
    retry: RetryPolicy | None = None,
    max_eval_file_bytes: int = 1024 * 1024,
    pr_base: str | None = None,
) -> Hub:
    """A client for the Hub at `url`, from plain values (the CLI reads the config).

    Args:
        endpoint: the endpoint as configured, recorded in plans (default: `url`).
        web_base: base of the links shown to people (default: `url`; https://huggingface.co
            for a loopback `url`, which rehearses the real Hub).
        token: None lets huggingface_hub find a saved login (`hf auth login`); False sends none.
        timeout: seconds for one HTTP answer on eeesync's own requests.
        max_eval_file_bytes: the largest `.eval_results` file the audit reads.
        pr_base: base of PR links when not `web_base` (default: `url` for a loopback `url`,
            whose PRs exist only on that server, never on huggingface.co).
    """
    api = HfApi(endpoint=url, token=token, library_name="eeesync")
    # A local Hub rehearses the real one: its links look like the real Hub's, so a plan (and
    # its digest) never depends on the port it happened to get.
    rehearsal = is_rehearsal_endpoint(url)
    web_base = web_base or (WEB_BASE if rehearsal else url)
    # A PR link must name the Hub the PR is on: https://huggingface.co/…/discussions/N would
    # be a real, unrelated page.
    if pr_base is None and rehearsal and web_base != url:
        pr_base = url.rstrip("/")
    return Hub(
        api,
        url,
        endpoint or url,
        web_base,
        retry or RetryPolicy(),
        timeout=timeout,
        max_eval_file_bytes=max_eval_file_bytes,
        pr_base=pr_base,
    )


def is_rehearsal_endpoint(endpoint: str) -> bool:
    """`local:PATH`, or an http(s) URL whose host is this machine: a local Hub, never the real
    one. The one test of "is this a local endpoint" (links, tokens, pinning all ask it).

    This machine is `localhost`, any loopback address (`127.x.y.z`, `[::1]`) and the
    unspecified address `0.0.0.0` (a connection to it reaches this machine); a trailing slash
    or path does not matter. A name that only starts like one (`127.0.0.1.example.com`) is not.
    """
    if endpoint.startswith("local:"):
        return True
    parts = urlsplit(endpoint.strip())
    if parts.scheme not in ("http", "https"):
        return False
    try:
        host = parts.hostname or ""
    except ValueError:  # a malformed [IPv6] host
        return False
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


@contextmanager
def hub_failures(endpoint: str, *, request: str = "a request") -> Iterator[None]:
    """Turn a Hub failure that escaped every per-record and per-repo handler into a
    `HubUnavailableError`: the Hub is unusable for this command, not one repo.

    `request` names what was refused, for the message ("a request the plan needs").
    """
    try:
        yield
    except Exception as exc:
        kind = classify(exc)
        if kind is HubFailure.UNREACHABLE:
            raise unreachable(exc, endpoint) from exc
        if kind is None:
            raise
        raise HubUnavailableError(
            f"the Hub at {endpoint} refused {request} (HTTP {http_status(exc) or '?'})",
            hint="Retry later; if it persists, check the token (HF_TOKEN) and the endpoint.",
        ) from exc


def unreachable(exc: BaseException, endpoint: str) -> HubUnavailableError:
    """The newcomer-facing error for "the Hub cannot be reached at all"."""
    return HubUnavailableError(
        f"cannot reach the Hub at {endpoint}: {type(_cause(exc)).__name__}",
        hint=(
            "Check your network connection (and HF_ENDPOINT / [hub] endpoint in eeesync.toml). "
            'To rehearse offline, set [hub] endpoint = "local:.eeesync/localhub".'
        ),
    )
