"""The HTTP routes huggingface_hub 2.4 calls: one declarative table, matched per request.

Each route is (method, path pattern, route name, rate-limit bucket, handler). The route name keys
counters and fault targeting; the bucket is the rate-limit bucket ("api", "resolvers"). Pattern
placeholders:

    {type}   models | datasets (spaces and kernels match, then answer a clear 400)
    {repo}   a repo id: `namespace/name`, or a one-segment alias like `gpt2` (as on the Hub)
    {num}    one segment (a discussion number, checked by the handler)
    {rest*}  every remaining segment (a revision, then a path in the repo)

A path that two routes could read (a one-segment id next to a two-segment one, e.g.
`/api/models/acme/refs`) goes to the reading whose repo exists, else to the first in the table.

The handlers live in one module per group: `repo_routes.py` (account, repos, refs),
`file_routes.py` (tree, paths-info, downloads), `commit_routes.py` (history, preupload, commit)
and `discussion_routes.py`; `leaderboard.py` a benchmark's scores;
`access.py` holds the access model and accounts, `web.py` the
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
from eeesync.localhub.leaderboard import LeaderboardRoutes
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


@dataclass(frozen=True)
class _Shape:
    """A route's pattern with {repo} expanded to a fixed width: matching is then a length check
    and a comparison of the literal positions (no backtracking per request)."""

    route: Route
    size: int  # segments before {rest*}
    open_ended: bool  # ends with {rest*}
    literals: tuple[tuple[int, str], ...]
    type_at: int | None
    repo_at: int | None
    repo_width: int
    num_at: int | None

    @classmethod
    def expand(cls, route: Route) -> Iterator[_Shape]:
        """The route's shapes, two-segment repo ids first."""
        parts = route.pattern.strip("/").split("/")
        open_ended = parts[-1] == "{rest*}"
        if open_ended:
            parts = parts[:-1]
        for width in (2, 1) if "{repo}" in parts else (0,):
            literals: list[tuple[int, str]] = []
            type_at = repo_at = num_at = None
            i = 0
            for part in parts:
                if part == "{repo}":
                    repo_at, i = i, i + width
                    continue
                if part == "{type}":
                    type_at = i
                elif part == "{num}":
                    num_at = i
                else:
                    literals.append((i, part))
                i += 1
            yield cls(route, i, open_ended, tuple(literals), type_at, repo_at, width, num_at)

    def read(self, segments: list[str]) -> RouteParams | None:
        """The captured parameters if `segments` fit this shape, else None."""
        n = len(segments)
        if n < self.size or (n > self.size and not self.open_ended):
            return None
        for i, literal in self.literals:
            if segments[i] != literal:
                return None
        repo_type = self.route.repo_type
        if self.type_at is not None:
            found = _TYPES.get(segments[self.type_at])
            if found is None:
                return None
            repo_type = found
        at = self.repo_at
        return RouteParams(
            repo_type=repo_type,
            repo_id="/".join(segments[at : at + self.repo_width]) if at is not None else "",
            num=segments[self.num_at] if self.num_at is not None else "",
            rest=tuple(segments[self.size :]),
        )


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
        self.leaderboards = LeaderboardRoutes(access)
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
            Route(
                "GET", f"{repo}/leaderboard", "leaderboard", "api", self.leaderboards.leaderboard
            ),
            Route("GET", f"{repo}/tree/{{rest*}}", "tree", "api", f.tree),
            Route("POST", f"{repo}/paths-info/{{rest*}}", "paths_info", "api", f.paths_info),
            Route("GET", f"{repo}/commits/{{rest*}}", "commits", "api", c.commits),
            Route("POST", f"{repo}/preupload/{{rest*}}", "preupload", "api", c.preupload),
            Route("POST", f"{repo}/commit/{{rest*}}", "commit", "api", c.commit),
            Route("GET", f"{repo}/discussions", "discussions", "api", d.discussions),
            Route("POST", f"{repo}/discussions", "create_discussion", "api", d.create_discussion),
            Route("GET", thread, "discussion_details", "api", d.discussion_details),
            Route("POST", f"{thread}/comment", "discussion_comment", "api", d.comment),
            Route(
                "POST",
                f"{thread}/comment/{{rest*}}",
                "discussion_comment_edit",
                "api",
                d.edit_comment,
            ),
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
        self._shapes = tuple(shape for route in self.table for shape in _Shape.expand(route))
        self._first_literals = {
            lit for shape in self._shapes for at, lit in shape.literals if at == 0
        }
        # Shapes that can fit a path, by (segment count, first segment if some route starts
        # with it): a request checks only those, in table order.
        self._candidates: dict[tuple[int, str | None], tuple[_Shape, ...]] = {}

    def match(self, req: Request) -> Matched:
        """(route name, rate-limit bucket, call) for a request. Never raises: the call does."""
        found = [
            (shape.route, p)
            for shape in self._fitting(req.segments)
            if (p := shape.read(req.segments)) is not None
        ]
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

    def _fitting(self, segments: list[str]) -> tuple[_Shape, ...]:
        first = segments[0] if segments and segments[0] in self._first_literals else None
        key = (len(segments), first)
        shapes = self._candidates.get(key)
        if shapes is None:
            shapes = tuple(
                shape
                for shape in self._shapes
                if (shape.size == key[0] or (shape.open_ended and shape.size <= key[0]))
                and all(lit == first for at, lit in shape.literals if at == 0)
            )
            if len(self._candidates) < 1024:  # paths are client input: bound the cache
                self._candidates[key] = shapes
        return shapes

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
