"""The HTTP side of the local Hub: a threaded server on 127.0.0.1 and the request pipeline.

Pipeline per request (`HubApp.handle`): name the route → count it (and the requests in flight)
→ injected latency → rate limit → injected fault (429, 500/503, dropped connection) → run the
route. Each connection has its own thread and the latency is a sleep in it (outside any lock),
so concurrent requests wait out their latency together, as they would on the real Hub. Paths
are split on `/` *before* each segment is unquoted, so `refs%2Fpr%2F1` stays one revision
segment.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote

from eeesync.errors import LocalHubError
from eeesync.localhub.access import Access
from eeesync.localhub.faults import Counters, Fault, FaultConfig, FaultInjector, InFlight
from eeesync.localhub.ratelimit import (
    BUCKETS,
    WRITE_ROUTES,
    WRITES,
    RateLimitConfig,
    RateLimiter,
)
from eeesync.localhub.routes import Router
from eeesync.localhub.storage import HubState
from eeesync.localhub.web import Request, Response, error_response

logger = logging.getLogger(__name__)

#: Largest request body accepted (commits carry file contents inline, base64-encoded).
MAX_BODY_BYTES = 512 * 1024 * 1024


class HubApp:
    """Everything between a parsed request and its response; no sockets here."""

    def __init__(
        self,
        storage: HubState,
        *,
        faults: FaultConfig | None = None,
        rate_limits: RateLimitConfig | None = None,
        accounts: Mapping[str, str] | None = None,
        orgs: Mapping[str, Mapping[str, str]] | None = None,
        revoked_tokens: Iterable[str] = (),
    ) -> None:
        self.storage = storage
        self.router = Router(Access(storage, accounts, orgs=orgs, revoked_tokens=revoked_tokens))
        self.injector = FaultInjector(faults)
        self.limiter = RateLimiter(rate_limits) if rate_limits else None
        self.counters = Counters()
        self.in_flight = InFlight()

    def handle(self, req: Request) -> Response | None:
        """The response, or None to drop the connection without answering."""
        name, bucket, handler = self.router.match(req)
        self.counters.add(name, bucket)
        refused = self.router.access.refuses(req)
        if refused is not None:
            return error_response(refused)
        self.in_flight.enter(bucket)
        try:
            return self._answer(name, bucket, handler)
        finally:
            self.in_flight.leave(bucket)

    def _answer(self, name: str, bucket: str, handler: Callable[[], Response]) -> Response | None:
        decision = self.injector.decide(name, bucket)
        if decision.delay_s:
            time.sleep(decision.delay_s)
        limit_headers: tuple[tuple[str, str], ...] = ()
        if self.limiter is not None and bucket in BUCKETS:
            verdict = self.limiter.check(bucket)
            limit_headers = verdict.headers
            if not verdict.allowed:
                self.counters.add(f"ratelimited.{bucket}")
                resp = error_response(
                    LocalHubError(
                        f"You have exceeded the '{bucket}' rate limit of the local Hub; "
                        f"retry after {verdict.reset_s} seconds",
                        status=429,
                    )
                )
                resp.headers.extend(limit_headers)
                return resp
            refused = self._over_write_quota(name)
            if refused is not None:
                return refused
        if decision.fault is Fault.DROP:
            self.counters.add("faults.drop")
            return None
        if decision.fault is Fault.TOO_MANY_REQUESTS:
            self.counters.add("faults.429")
            resp = error_response(LocalHubError("Too many requests (injected)", status=429))
            resp.headers.append(("Retry-After", str(self.injector.config.retry_after_s)))
            return resp
        if decision.fault is Fault.SERVER_ERROR:
            self.counters.add("faults.5xx")
            return error_response(
                LocalHubError(f"Injected server error {decision.status}", status=decision.status)
            )
        try:
            resp = handler()
        except LocalHubError as exc:
            resp = error_response(exc)
        except Exception as exc:  # a bug in the local Hub: answer 500, keep serving
            logger.exception("local Hub route %s failed", name)
            resp = error_response(
                LocalHubError(f"internal error in the local Hub: {exc!r}", status=500)
            )
        resp.headers.extend(limit_headers)
        return resp

    def _over_write_quota(self, name: str) -> Response | None:
        """The 429 of a write beyond `writes_quota` (None: within it, or not a write)."""
        limiter = self.limiter
        if limiter is None or limiter.config.writes_quota is None or name not in WRITE_ROUTES:
            return None
        verdict = limiter.check(WRITES)
        if verdict.allowed:
            return None
        self.counters.add(f"ratelimited.{WRITES}")
        resp = error_response(
            LocalHubError(
                "You have exceeded the local Hub's write rate limit; "
                f"retry after {verdict.reset_s} seconds",
                status=429,
            )
        )
        resp.headers.append(("Retry-After", str(verdict.reset_s)))
        return resp


def parse_target(target: str) -> tuple[list[str], dict[str, list[str]]]:
    """Request target -> (unquoted path segments, query). Raises a 400 on a malformed target."""
    if target.startswith(("http://", "https://")):
        slash = target.find("/", target.find("//") + 2)
        target = target[slash:] if slash >= 0 else "/"
    path, _, query = target.partition("#")[0].partition("?")
    if not path.startswith("/"):
        raise LocalHubError(f"malformed request target {target!r}", status=400)
    raw = path.split("/")[1:]
    if raw and raw[-1] == "":
        raw.pop()  # a trailing slash names the same resource
    return [unquote(s, errors="strict") for s in raw], parse_qs(query, keep_blank_values=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the client pools connections
    server_version = "eeesync-localhub"
    sys_version = ""
    disable_nagle_algorithm = True  # headers and body go out in two writes
    timeout = 300  # idle keep-alive connections end eventually
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        self._handle()

    do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            total = 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                total += size
                if total > MAX_BODY_BYTES:
                    raise LocalHubError("request body too large", status=413)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0 or length > MAX_BODY_BYTES:
            raise LocalHubError("request body too large", status=413)
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        try:
            body = self._read_body()
            segments, query = parse_target(self.path)
            headers = {k.lower(): v for k, v in self.headers.items()}
            req = Request(self.command, segments, query, headers, body, self.server.base_url)
        except (LocalHubError, ValueError, UnicodeDecodeError) as exc:
            self.close_connection = True  # the body may not have been read
            error = (
                exc
                if isinstance(exc, LocalHubError)
                else LocalHubError(f"malformed request: {exc}", status=400)
            )
            self._send(error_response(error))
            return
        resp = self.server.app.handle(req)
        if resp is None:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._send(resp)

    def _send(self, resp: Response) -> None:
        self.send_response(resp.status)
        self.send_header("Content-Type", resp.content_type)
        has_length = False
        for key, value in resp.headers:
            has_length = has_length or key.lower() == "content-length"
            self.send_header(key, value)
        if not has_length:
            self.send_header("Content-Length", str(len(resp.body)))
        self.end_headers()
        if self.command != "HEAD" and resp.body:
            self.wfile.write(resp.body)


class _Server(ThreadingHTTPServer):
    """A threaded server that can close its open keep-alive connections on stop."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, port: int, app: HubApp) -> None:
        self.app = app
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        # Loopback only: the local Hub has no authentication.
        super().__init__(("127.0.0.1", port), _Handler)
        self.base_url = f"http://127.0.0.1:{self.server_address[1]}"

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._connections_lock:
            open_now = list(self._connections)
        for conn in open_now:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up mid-request (timeouts, dropped pools) are routine, not bugs.
        logger.debug("connection error from %s", client_address, exc_info=True)


def make_server(port: int, app: HubApp) -> _Server:
    """Bind the server to 127.0.0.1:`port` (0 picks a free port)."""
    return _Server(port, app)
