"""The HTTP routes huggingface_hub 2.4 calls: one declarative table, matched per request.

Each route is (method, path pattern, route name, rate-limit bucket, handler). The route name keys
counters and fault targeting; the bucket is the rate-limit bucket ("api", "resolvers"). Pattern
placeholders:

    {type}   models | datasets (spaces and kernels match, then answer a clear 400)
    {repo}   a repo id: `name` or `namespace/name` (one or two segments, as on the Hub)
    {num}    one segment (a discussion number, checked by the handler)
    {rest*}  every remaining segment (a revision, then a path in the repo)

A path that two routes could read (a one-segment id next to a two-segment one, e.g.
`/api/models/acme/refs`) goes to the reading whose repo exists, else to the first in the table.

The handlers live in one module per group: `repo_routes.py` (account, repos, refs),
`file_routes.py` (tree, paths-info, downloads), `commit_routes.py` (history, preupload, commit)
and `discussion_routes.py`; `access.py` holds the access model and accounts, `web.py` the
request and response.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from eeesync.errors import LocalHubError
from eeesync.localhub import names
from eeesync.localhub.access import Access
from eeesync.localhub.commit_routes import CommitRoutes
from eeesync.localhub.discussion_routes import DiscussionRoutes
from eeesync.localhub.file_routes import FileRoutes
from eeesync.localhub.repo_routes import RepoRoutes
from eeesync.localhub.web import Request, Response, RouteParams

__all__ = ["Route", "Router"]

_TYPES = {"models": "model", "datasets": "dataset", "spaces": "space", "kernels": "kernel"}

RouteHandler = Callable[[Request, RouteParams], Response]
#: What `Router.match` returns: route name, bucket, and the call that answers the request.
Matched = tuple[str, str, Callable[[], Response]]


@dataclass(frozen=True)
class Route:
    """One row of the route table."""

    method: str
    pattern: str
    name: str
    bucket: str
    handler: RouteHandler
    #: The repo type when the pattern has no {type} (downloads).
    repo_type: str = "model"

    def matches(self, segments: list[str]) -> Iterator[RouteParams]:
        """Every way the pattern reads `segments` (two-segment repo ids first)."""
        parts = self.pattern.strip("/").split("/") if self.pattern != "/" else []
        yield from _read(parts, segments, {"repo_type": self.repo_type})


def _read(parts: list[str], segments: list[str], got: dict[str, str]) -> Iterator[RouteParams]:
    if not parts:
        if not segments:
            yield RouteParams(
                repo_type=got["repo_type"], repo_id=got.get("repo_id", ""), num=got.get("num", "")
            )
        return
    part, later = parts[0], parts[1:]
    if part == "{rest*}":
        yield RouteParams(
            repo_type=got["repo_type"],
            repo_id=got.get("repo_id", ""),
            num=got.get("num", ""),
            rest=tuple(segments),
        )
        return
    if not segments:
        return
    if part == "{repo}":
        for width in (2, 1):
            if len(segments) >= width:
                repo_id = "/".join(segments[:width])
                yield from _read(later, segments[width:], {**got, "repo_id": repo_id})
        return
    if part == "{type}":
        if segments[0] in _TYPES:
            yield from _read(later, segments[1:], {**got, "repo_type": _TYPES[segments[0]]})
        return
    if part == "{num}":
        yield from _read(later, segments[1:], {**got, "num": segments[0]})
        return
    if part == segments[0]:
        yield from _read(later, segments[1:], got)


class Router:
    """The route table over one `Access` (state + accounts), built once.

    The handler groups are attributes (`repos`, `files`, `commits`, `discussions`); their page
    sizes (`repos.list_page_size`, `files.tree_page_size`, `commits.commits_page_size`) can be
    changed per router.
    """

    def __init__(self, access: Access) -> None:
        self.access = access
        self.repos = RepoRoutes(access)
        self.files = FileRoutes(access)
        self.commits = CommitRoutes(access)
        self.discussions = DiscussionRoutes(access)
        r, f, c, d = self.repos, self.files, self.commits, self.discussions
        repo = "/api/{type}/{repo}"
        thread = f"{repo}/discussions/{{num}}"
        download, data = "/{repo}/resolve/{rest*}", "/datasets/{repo}/resolve/{rest*}"
        self.table: tuple[Route, ...] = (
            Route("GET", "/api/whoami-v2", "whoami", "api", r.whoami),
            Route("POST", "/api/repos/create", "create_repo", "api", r.create_repo),
            Route("DELETE", "/api/repos/delete", "delete_repo", "api", r.delete_repo),
            Route("POST", "/api/validate-yaml", "validate_yaml", "api", r.validate_yaml),
            Route("GET", "/api/{type}", "list_repos", "api", r.list_repos),
            Route("GET", repo, "repo_info", "api", r.repo_info),
            Route("GET", f"{repo}/revision/{{rest*}}", "repo_info", "api", r.revision_info),
            Route("PUT", f"{repo}/settings", "repo_settings", "api", r.settings),
            Route("GET", f"{repo}/refs", "refs", "api", r.refs),
            Route("GET", f"{repo}/tree/{{rest*}}", "tree", "api", f.tree),
            Route("POST", f"{repo}/paths-info/{{rest*}}", "paths_info", "api", f.paths_info),
            Route("GET", f"{repo}/commits/{{rest*}}", "commits", "api", c.commits),
            Route("POST", f"{repo}/preupload/{{rest*}}", "preupload", "api", c.preupload),
            Route("POST", f"{repo}/commit/{{rest*}}", "commit", "api", c.commit),
            Route("GET", f"{repo}/discussions", "discussions", "api", d.discussions),
            Route("POST", f"{repo}/discussions", "create_discussion", "api", d.create_discussion),
            Route("GET", thread, "discussion_details", "api", d.discussion_details),
            Route("POST", f"{thread}/comment", "discussion_comment", "api", d.comment),
            Route("POST", f"{thread}/status", "discussion_status", "api", d.status),
            Route("POST", f"{thread}/title", "discussion_title", "api", d.title),
            Route("POST", f"{thread}/merge", "discussion_merge", "api", d.merge),
            Route("GET", data, "resolve_get", "resolvers", f.resolve, "dataset"),
            Route(
                "HEAD", f"/datasets{download}", "resolve_head", "resolvers", f.resolve, "dataset"
            ),
            Route("GET", download, "resolve_get", "resolvers", f.resolve),
            Route("HEAD", download, "resolve_head", "resolvers", f.resolve),
        )

    def match(self, req: Request) -> Matched:
        """(route name, rate-limit bucket, call) for a request. Never raises: the call does."""
        found = [(route, p) for route in self.table for p in route.matches(req.segments)]
        allowed = [(route, p) for route, p in found if route.method == req.method]
        if allowed:
            route, params = self._choose(allowed)
            return route.name, route.bucket, lambda: _run(route, req, params)
        if found:
            route = found[0][0]
            message = f"method {req.method} is not allowed on /{'/'.join(req.segments)}"
            return route.name, route.bucket, _refuse(message, status=405)
        bucket = "api" if req.segments[:1] == ["api"] else "other"
        message = f"unknown route: {req.method} /{'/'.join(req.segments)}"
        return "unknown", bucket, _refuse(message, status=404)

    def _choose(self, candidates: list[tuple[Route, RouteParams]]) -> tuple[Route, RouteParams]:
        if len(candidates) > 1:
            for route, p in candidates:
                if p.repo_id and self.access.state.repos.exists(p.repo_id, p.repo_type):
                    return route, p
        return candidates[0]


def _run(route: Route, req: Request, params: RouteParams) -> Response:
    names.check_repo_type(params.repo_type)  # spaces and kernels: a clear 400
    return route.handler(req, params)


def _refuse(message: str, *, status: int) -> Callable[[], Response]:
    """A call that answers with an error: matching never raises, running the route does."""

    def fail() -> Response:
        raise LocalHubError(message, status=status)

    return fail
