"""`LocalHub`: the in-process handle that starts, configures and stops one local Hub server."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType

from eeesync.errors import LocalHubError
from eeesync.localhub.faults import FaultConfig, FaultInjector
from eeesync.localhub.ratelimit import RateLimitConfig, RateLimiter
from eeesync.localhub.server import HubApp, _Server, make_server
from eeesync.localhub.statedir import lock_state
from eeesync.localhub.storage import HubState


class LocalHub:
    """A Hub on 127.0.0.1 whose state lives in `state_dir`.

    The state is loaded when the object is built, so `hub.storage` can seed repos before
    `start()`. From then until `stop()` it holds the folder's lock (`statedir.lock_state`): a
    second `LocalHub` on the same folder, in this process or another, raises
    `LocalHubInUseError` instead of silently overwriting this one's writes. Example:

        with LocalHub(tmp_path / "hub") as hub:
            api = HfApi(endpoint=hub.url, token="any")
            api.create_repo("acme/model-a")
            hub.set_faults(FaultConfig(rate_429=1.0, retry_after_s=0, max_faults=1))

    `accounts` (token → account) and `orgs` (organisation → member → role) declare accounts
    that the Hub's write rules apply to (see `access.py`); any other token may do anything,
    except `revoked_tokens`, which every route answers with 401 (an invalid or expired token).
    """

    def __init__(
        self,
        state_dir: Path,
        *,
        port: int = 0,
        faults: FaultConfig | None = None,
        rate_limits: RateLimitConfig | None = None,
        accounts: Mapping[str, str] | None = None,
        orgs: Mapping[str, Mapping[str, str]] | None = None,
        revoked_tokens: Iterable[str] = (),
    ) -> None:
        Path(state_dir).mkdir(parents=True, exist_ok=True)
        self._lock = lock_state(Path(state_dir))
        try:
            self.storage = HubState(Path(state_dir))
        except BaseException:
            self._lock.release()
            raise
        self.app = HubApp(
            self.storage,
            faults=faults,
            rate_limits=rate_limits,
            accounts=accounts,
            orgs=orgs,
            revoked_tokens=revoked_tokens,
        )
        self._port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Serve in a background thread until `stop()`."""
        if self._server is not None:
            raise LocalHubError("the local Hub is already running", status=500)
        if not self._lock.held:  # restarted after stop(): the folder may have a new user
            self._lock = lock_state(self.storage.root)
        self._server = make_server(self._port, self.app)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"localhub-{self._server.server_address[1]}",
            daemon=True,
        )
        self._thread.start()
        self._lock.name_url(self._server.base_url)

    def stop(self) -> None:
        """Stop serving and close open connections (state is already on disk)."""
        server, thread = self._server, self._thread
        if server is None:
            self._lock.release()
            return
        self._server = self._thread = None
        try:
            server.shutdown()
            server.close_connections()
            server.server_close()
            if thread is not None:
                thread.join(timeout=5)
        finally:
            self._lock.release()  # after the last request: it may still write

    def __enter__(self) -> LocalHub:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def url(self) -> str:
        """`http://127.0.0.1:PORT` of the running server."""
        if self._server is None:
            raise LocalHubError("the local Hub is not running; call start() first", status=500)
        return self._server.base_url

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    # --- run-time configuration --------------------------------------------------------------

    @property
    def faults(self) -> FaultConfig:
        return self.app.injector.config

    def set_faults(self, faults: FaultConfig | None) -> None:
        """Replace the fault settings (None = no faults); the random sequence restarts."""
        self.app.injector = FaultInjector(faults)

    @property
    def rate_limits(self) -> RateLimitConfig | None:
        limiter = self.app.limiter
        return limiter.config if limiter is not None else None

    def set_rate_limits(self, rate_limits: RateLimitConfig | None) -> None:
        """Replace the rate limits (None = off); windows start afresh."""
        self.app.limiter = RateLimiter(rate_limits) if rate_limits else None

    def counters(self) -> dict[str, int]:
        """Requests by route name, by bucket ("api", "resolvers", "other") and by outcome
        ("faults.429", "faults.5xx", "faults.drop", "ratelimited.api", …)."""
        return self.app.counters.snapshot()

    def peak_in_flight(self) -> dict[str, int]:
        """The most requests answered at once since the last reset, by bucket ("api",
        "resolvers", "other"), latency sleeps included."""
        return self.app.in_flight.peaks()

    def reset_counters(self) -> None:
        self.app.counters.reset()
        self.app.in_flight.reset()
