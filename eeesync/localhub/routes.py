"""The HTTP routes huggingface_hub 2.4 calls: which route a request names, and its handler.

`Router.match` names the route (for counters, faults and rate-limit buckets) before it runs.
Route names: whoami, create_repo, delete_repo, validate_yaml, list_repos, repo_info,
repo_settings, tree, paths_info, refs, commits, preupload, commit, discussions,
create_discussion, discussion_details, discussion_comment, discussion_status, discussion_merge,
discussion_title, resolve_head, resolve_get, unknown.

The handlers live in one module per group: `repo_routes.py` (account, repos, refs),
`file_routes.py` (tree, paths-info, downloads), `commit_routes.py` (history, preupload, commit)
and `discussion_routes.py`; `access.py` holds the access model, `web.py` the request and response.
"""

from __future__ import annotations

from eeesync.errors import LocalHubError
from eeesync.localhub import names
from eeesync.localhub.commit_routes import CommitRoutes
from eeesync.localhub.discussion_routes import DiscussionRoutes
from eeesync.localhub.file_routes import FileRoutes
from eeesync.localhub.repo_routes import RepoRoutes
from eeesync.localhub.web import Handler, Request, Response, error_response, json_response

# Re-exported: `server.py` and older callers import the HTTP types from here.
__all__ = ["Handler", "Request", "Response", "Router", "error_response", "json_response"]

_TYPES = {"models": "model", "datasets": "dataset"}
_UNSUPPORTED_TYPES = ("spaces", "kernels")


class Router(RepoRoutes, FileRoutes, CommitRoutes, DiscussionRoutes):
    """Matches requests to routes and runs them against one `Storage`.

    Page sizes (`list_page_size`, `tree_page_size`, `commits_page_size`) can be set per router.
    """

    def match(self, req: Request) -> tuple[str, str, Handler]:
        """(route name, rate-limit bucket, handler) for a request. Never raises."""
        s, m = req.segments, req.method
        if s and s[0] == "api":
            name, handler = self._match_api(req, s[1:], m)
            return name, "api", handler
        # Downloads: /{ns}/{name}/resolve/... and /datasets/{ns}/{name}/resolve/...
        if len(s) >= 4 and s[2] == "resolve":
            offset, repo_type = 0, "model"
        elif len(s) >= 5 and s[0] == "datasets" and s[3] == "resolve":
            offset, repo_type = 1, "dataset"
        else:
            return "unknown", "other", _unknown(req)
        if m not in ("GET", "HEAD"):
            return "resolve_get", "resolvers", _method_not_allowed(req)
        ns, name, rest = s[offset], s[offset + 1], s[offset + 3 :]
        return (
            "resolve_head" if m == "HEAD" else "resolve_get",
            "resolvers",
            lambda: self.resolve(req, repo_type, ns, name, rest),
        )

    def _match_api(self, req: Request, s: list[str], m: str) -> tuple[str, Handler]:
        routes: dict[tuple[str, ...], tuple[str, str, Handler]] = {
            ("whoami-v2",): ("whoami", "GET", lambda: self.whoami(req)),
            ("repos", "create"): ("create_repo", "POST", lambda: self.create_repo(req)),
            ("repos", "delete"): ("delete_repo", "DELETE", lambda: self.delete_repo(req)),
            ("validate-yaml",): ("validate_yaml", "POST", lambda: self.validate_yaml(req)),
        }
        fixed = routes.get(tuple(s))
        if fixed is not None:
            name, method, handler = fixed
            return name, handler if m == method else _method_not_allowed(req)
        if not s or (s[0] not in _TYPES and s[0] not in _UNSUPPORTED_TYPES):
            return "unknown", _unknown(req)
        if s[0] in _UNSUPPORTED_TYPES:

            def unsupported() -> Response:
                names.check_repo_type(s[0][:-1])  # always raises: a clear 400
                return Response(status=400)

            return "unknown", unsupported
        repo_type = _TYPES[s[0]]
        if len(s) == 1:
            if m != "GET":
                return "list_repos", _method_not_allowed(req)
            return "list_repos", lambda: self.list_repos(req, repo_type)
        if len(s) < 3:
            return "unknown", _unknown(req)
        ns, name, rest = s[1], s[2], s[3:]
        verb = rest[0] if rest else ""
        if verb == "discussions":
            return self._match_discussions(req, m, repo_type, ns, name, rest[1:])
        info: tuple[str, Handler] = (
            "repo_info",
            lambda: self.repo_info(req, repo_type, ns, name, rest),
        )
        table: dict[tuple[str, str], tuple[str, Handler]] = {
            ("", "GET"): info,
            ("revision", "GET"): info,
            ("settings", "PUT"): ("repo_settings", lambda: self.settings(req, repo_type, ns, name)),
            ("tree", "GET"): ("tree", lambda: self.tree(req, repo_type, ns, name, rest[1:])),
            ("paths-info", "POST"): (
                "paths_info",
                lambda: self.paths_info(req, repo_type, ns, name, rest[1:]),
            ),
            ("refs", "GET"): ("refs", lambda: self.refs(req, repo_type, ns, name)),
            ("commits", "GET"): (
                "commits",
                lambda: self.commits(req, repo_type, ns, name, rest[1:]),
            ),
            ("preupload", "POST"): (
                "preupload",
                lambda: self.preupload(req, repo_type, ns, name, rest[1:]),
            ),
            ("commit", "POST"): ("commit", lambda: self.commit(req, repo_type, ns, name, rest[1:])),
        }
        known_verbs = {v for v, _ in table}
        if verb not in known_verbs or (verb == "" and rest) or (verb == "refs" and len(rest) > 1):
            return "unknown", _unknown(req)
        entry = table.get((verb, m))
        if entry is None:
            route_name = next(n for (v, _), (n, _h) in table.items() if v == verb)
            return route_name, _method_not_allowed(req)
        return entry

    def _match_discussions(
        self, req: Request, m: str, repo_type: str, ns: str, name: str, rest: list[str]
    ) -> tuple[str, Handler]:
        if not rest:
            if m == "GET":
                return "discussions", lambda: self.discussions(req, repo_type, ns, name)
            if m == "POST":
                return "create_discussion", lambda: self.create_discussion(req, repo_type, ns, name)
            return "discussions", _method_not_allowed(req)
        num = rest[0]
        if len(rest) == 1:
            if m != "GET":
                return "discussion_details", _method_not_allowed(req)
            return "discussion_details", lambda: self.discussion_details(
                req, repo_type, ns, name, num
            )
        if len(rest) == 2 and rest[1] in ("comment", "status", "merge", "title"):
            action = rest[1]
            if m != "POST":
                return f"discussion_{action}", _method_not_allowed(req)
            return f"discussion_{action}", lambda: self.discussion_action(
                req, repo_type, ns, name, num, action
            )
        return "unknown", _unknown(req)


def _unknown(req: Request) -> Handler:
    return _refuse(f"unknown route: {req.method} /{'/'.join(req.segments)}", status=404)


def _method_not_allowed(req: Request) -> Handler:
    return _refuse(f"method {req.method} is not allowed on /{'/'.join(req.segments)}", status=405)


def _refuse(message: str, *, status: int) -> Handler:
    """A handler that answers with an error: matching never raises, running the route does."""

    def fail() -> Response:
        raise LocalHubError(message, status=status)

    return fail
