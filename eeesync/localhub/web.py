"""HTTP requests and responses of the local Hub, and the small parsers all routes share.

No storage here: `server.py` builds a `Request`, a route (see `routes.py`) answers a `Response`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from eeesync.errors import LocalHubError

_REF_KINDS = ("pr", "heads", "tags", "convert")


@dataclass
class Request:
    """One parsed HTTP request. `segments` are the path split on `/`, then each unquoted;
    `headers` has lower-case names."""

    method: str
    segments: list[str]
    query: dict[str, list[str]]
    headers: Mapping[str, str]
    body: bytes
    base_url: str

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def flag(self, name: str) -> bool:
        return (self.param(name) or "").lower() in ("1", "true")

    def int_param(self, name: str, default: int, *, minimum: int = 0) -> int:
        raw = self.param(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise LocalHubError(f"query parameter {name}={raw!r} must be an integer >= {minimum}")
        return value

    @property
    def token(self) -> str | None:
        """The bearer token of the `Authorization` header, if any."""
        value = self.headers.get("authorization", "").strip()
        scheme, _, rest = value.partition(" ")
        token = rest.strip() if scheme.lower() == "bearer" else value
        return token or None

    @property
    def has_token(self) -> bool:
        return bool(self.headers.get("authorization", "").strip())

    def json(self) -> dict[str, Any]:
        """The body as a JSON object, or a 400 naming the problem."""
        try:
            data = json.loads(self.body or b"null")
        except (ValueError, UnicodeDecodeError) as exc:
            raise LocalHubError(f"invalid JSON body: {exc}", status=400) from exc
        if not isinstance(data, dict):
            raise LocalHubError("invalid JSON body: expected an object", status=400)
        return data


@dataclass(frozen=True)
class RouteParams:
    """What a route's path pattern captured: repo type and id, a discussion number, the rest."""

    repo_type: str = "model"
    repo_id: str = ""
    num: str = ""
    rest: tuple[str, ...] = ()


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    content_type: str = "application/json"


Handler = Callable[[Request, RouteParams], Response]


def json_response(
    data: Any, *, status: int = 200, headers: list[tuple[str, str]] | None = None
) -> Response:
    body = json.dumps(data, separators=(",", ":")).encode()
    return Response(status=status, body=body, headers=headers or [])


def error_response(exc: LocalHubError) -> Response:
    """`{"error": msg}` plus `X-Error-Code`/`X-Error-Message`: over plain http the client maps
    errors to its exception types only through the header."""
    message = str(exc)
    # Header values must be one ASCII line: a message may quote client input with newlines.
    one_line = " ".join(message.split())
    headers = [("X-Error-Message", one_line.encode("ascii", "replace").decode())]
    if exc.code:
        headers.append(("X-Error-Code", exc.code))
    return json_response({"error": message}, status=exc.status, headers=headers)


def next_link(req: Request, path: str, param: str, value: str) -> tuple[str, str]:
    """The `Link: <…>; rel="next"` header of a paged answer: this query with `param=value`."""
    query = {k: v for k, v in req.query.items() if k != param}
    query[param] = [value]
    return ("Link", f'<{req.base_url}/{path}?{urlencode(query, doseq=True)}>; rel="next"')


def quote_segment(segment: str) -> str:
    """One path segment, `/` included, quoted (`refs/pr/1` -> `refs%2Fpr%2F1`)."""
    return quote(segment, safe="")


def str_field(data: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
    """A string field of a JSON object; missing is None unless `required` (then a 400)."""
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise LocalHubError(f"field {key!r} must be a string", status=400)
    return value


def take_revision(segments: Sequence[str]) -> tuple[str, list[str]]:
    """A revision is one quoted segment (`refs%2Fpr%2F1`); accept the unquoted form too."""
    if not segments or not segments[0]:
        raise LocalHubError("missing revision in path", status=400)
    if segments[0] == "refs" and len(segments) >= 3 and segments[1] in _REF_KINDS:
        return "/".join(segments[:3]), list(segments[3:])
    return segments[0], list(segments[1:])
