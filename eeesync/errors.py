"""Every exception eeesync raises, in one place.

Per-record and per-repo problems are *data* (a `skipped` item, an `audit_error` status), never
exceptions: only what stops a whole run is raised. `cli/main.py` prints a `UserError` as a clean
message (exit 1) and treats anything else as a bug.
"""

from __future__ import annotations


class EeesyncError(Exception):
    """Base of every eeesync exception."""


# --- Errors the user can fix -------------------------------------------------------------------


class UserError(EeesyncError):
    """A problem the user can fix; printed without a traceback, exit code 1."""

    #: One extra line telling the user what to do next (printed after the message).
    hint: str | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint


class ConfigError(UserError):
    """`eeesync.toml`, an `EEESYNC_*` variable or a flag is unusable.

    Reads `file:line: key.path: problem` (or `VARIABLE (key.path): problem`).
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        key: str | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        where = ":".join(str(p) for p in (path, line) if p is not None)
        prefix = f"{where}: " if where else ""
        keyed = f"{key}: " if key else ""
        super().__init__(f"{prefix}{keyed}{message}", hint=hint)
        self.path, self.key, self.line, self.problem = path, key, line, message


class DatastoreError(UserError):
    """The datastore cannot be used at all: bad locator, unknown collection, unreadable index."""


class RegistryError(ConfigError):
    """A benchmark definition (built-in or `[benchmarks.<key>]` override) is invalid."""


class PlanFileError(UserError):
    """A plan file is unreadable, was tampered with, or has an unknown format version."""


class ConfirmationError(UserError):
    """Apply was not confirmed (wrong phrase, empty message, no terminal without --confirm)."""


class MarkdownTooLargeError(UserError):
    """`show --format markdown --max-bytes N`: not even the minimal body fits in N bytes."""


class LockError(UserError):
    """Another apply holds the lock for this plan."""


class HubUnavailableError(UserError):
    """The Hub could not be reached at all (network down, wrong endpoint)."""


class TokenRejectedError(UserError):
    """The Hub answered 401/403 to `whoami`: the token is invalid, expired or revoked."""


class LocalHubInUseError(UserError):
    """Another local Hub serves the same state folder (`localhub/statedir.lock_state`)."""


# --- Local Hub ---------------------------------------------------------------------------------


class LocalHubError(EeesyncError):
    """The local Hub's storage refused an operation (the server maps it to an HTTP answer)."""

    def __init__(self, message: str, *, status: int = 400, code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code = status, code
