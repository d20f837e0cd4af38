"""The Hub's HTTP routes that huggingface_hub 2.4 calls, as functions from `Request` to `Response`.

`Router.match` names the route (for counters, faults and rate-limit buckets) before it runs.
Route names: whoami, create_repo, delete_repo, validate_yaml, list_repos, repo_info,
repo_settings, tree, paths_info, refs, commits, preupload, commit, discussions,
create_discussion, discussion_details, discussion_comment, discussion_status, discussion_merge,
discussion_title, resolve_head, resolve_get, unknown.

Access model: any token (or none) is accepted. A private repo answers RepoNotFound (401) to
requests without a token; a gated repo answers GatedRepo (403) to downloads, as the Hub does for
a user who was not approved. Discussion filters: `status=open` lists open *and draft* PRs and
`status=closed` lists closed *and merged* ones, like the open/closed tabs of the Hub's UI.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

import yaml

from eeesync.errors import LocalHubError
from eeesync.localhub import api, names
from eeesync.localhub.model import Repo
from eeesync.localhub.storage import Storage, not_found_repo

_TYPES = {"models": "model", "datasets": "dataset"}
_UNSUPPORTED_TYPES = ("spaces", "kernels")
_REF_KINDS = ("pr", "heads", "tags", "convert")
_LIST_IGNORED = {
    "sort",
    "direction",
    "full",
    "config",
    "cardData",
    "cursor",
    "limit",
    "author",
    "search",
    "expand",
    "expand[]",
}
_DISCUSSION_TYPES = ("all", "discussion", "pull_request")
_DISCUSSION_STATUSES = {
    "all": ("open", "draft", "closed", "merged"),
    "open": ("open", "draft"),
    "closed": ("closed", "merged"),
}
DISCUSSIONS_PAGE = 50


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


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    content_type: str = "application/json"


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


def _str_field(data: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise LocalHubError(f"field {key!r} must be a string", status=400)
    return value


def _take_revision(segments: list[str]) -> tuple[str, list[str]]:
    """A revision is one quoted segment (`refs%2Fpr%2F1`); accept the unquoted form too."""
    if not segments or not segments[0]:
        raise LocalHubError("missing revision in path", status=400)
    if segments[0] == "refs" and len(segments) >= 3 and segments[1] in _REF_KINDS:
        return "/".join(segments[:3]), segments[3:]
    return segments[0], segments[1:]


Handler = Callable[[], Response]


class Router:
    """Matches requests to routes and runs them against one `Storage`."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        #: Page sizes (the Hub's are 1000 for trees and repo lists, 50 for commits).
        self.tree_page_size = 1000
        self.list_page_size = 1000
        self.commits_page_size = 50

    # --- matching ----------------------------------------------------------------------------

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
            return "unknown", "other", self._unknown(req)
        if m not in ("GET", "HEAD"):
            return "resolve_get", "resolvers", self._method_not_allowed(req)
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
            return name, handler if m == method else self._method_not_allowed(req)
        if not s or (s[0] not in _TYPES and s[0] not in _UNSUPPORTED_TYPES):
            return "unknown", self._unknown(req)
        if s[0] in _UNSUPPORTED_TYPES:

            def unsupported() -> Response:
                names.check_repo_type(s[0][:-1])  # always raises: a clear 400
                return Response(status=400)

            return "unknown", unsupported
        repo_type = _TYPES[s[0]]
        if len(s) == 1:
            if m != "GET":
                return "list_repos", self._method_not_allowed(req)
            return "list_repos", lambda: self.list_repos(req, repo_type)
        if len(s) < 3:
            return "unknown", self._unknown(req)
        ns, name, rest = s[1], s[2], s[3:]
        verb = rest[0] if rest else ""
        table: dict[tuple[str, str], tuple[str, Callable[[], Response]]] = {
            ("", "GET"): ("repo_info", lambda: self.repo_info(req, repo_type, ns, name, rest)),
            ("revision", "GET"): (
                "repo_info",
                lambda: self.repo_info(req, repo_type, ns, name, rest),
            ),
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
        if verb == "discussions":
            return self._match_discussions(req, m, repo_type, ns, name, rest[1:])
        known_verbs = {v for v, _ in table}
        if verb not in known_verbs or (verb == "" and rest) or (verb == "refs" and len(rest) > 1):
            return "unknown", self._unknown(req)
        entry = table.get((verb, m))
        if entry is None:
            route_name = next(n for (v, _), (n, _h) in table.items() if v == verb)
            return route_name, self._method_not_allowed(req)
        return entry

    def _match_discussions(
        self, req: Request, m: str, repo_type: str, ns: str, name: str, rest: list[str]
    ) -> tuple[str, Handler]:
        if not rest:
            if m == "GET":
                return "discussions", lambda: self.discussions(req, repo_type, ns, name)
            if m == "POST":
                return "create_discussion", lambda: self.create_discussion(req, repo_type, ns, name)
            return "discussions", self._method_not_allowed(req)
        num = rest[0]
        if len(rest) == 1:
            if m != "GET":
                return "discussion_details", self._method_not_allowed(req)
            return "discussion_details", lambda: self.discussion_details(
                req, repo_type, ns, name, num
            )
        if len(rest) == 2 and rest[1] in ("comment", "status", "merge", "title"):
            action = rest[1]
            if m != "POST":
                return f"discussion_{action}", self._method_not_allowed(req)
            return f"discussion_{action}", lambda: self.discussion_action(
                req, repo_type, ns, name, num, action
            )
        return "unknown", self._unknown(req)

    @staticmethod
    def _unknown(req: Request) -> Handler:
        def fail() -> Response:
            path = "/" + "/".join(req.segments)
            raise LocalHubError(f"unknown route: {req.method} {path}", status=404)

        return fail

    @staticmethod
    def _method_not_allowed(req: Request) -> Handler:
        def fail() -> Response:
            path = "/" + "/".join(req.segments)
            raise LocalHubError(f"method {req.method} is not allowed on {path}", status=405)

        return fail

    # --- helpers -----------------------------------------------------------------------------

    def _repo(self, req: Request, repo_type: str, ns: str, name: str) -> Repo:
        """The repo (case-insensitive lookup); call with the storage lock held."""
        names.check_name_part(ns, "namespace")
        names.check_name_part(name, "repo name")
        repo_id = f"{ns}/{name}"
        repo = self.storage.repo(repo_id, repo_type)
        if repo.private and not req.has_token:
            exc = not_found_repo(repo_type, repo_id)
            exc.status = 401
            raise exc
        return repo

    def _repo_url(self, req: Request, repo: Repo) -> str:
        return f"{req.base_url}/{api.url_prefix(repo.type)}{repo.id}"

    # --- account and repo management ---------------------------------------------------------

    def whoami(self, req: Request) -> Response:
        if not req.has_token:
            raise LocalHubError("Invalid credentials in Authorization header", status=401)
        user = self.storage.user
        return json_response(
            {
                "type": "user",
                "id": user,
                "name": user,
                "fullname": "Local Hub user",
                "email": None,
                "emailVerified": False,
                "isPro": False,
                "orgs": [],
                "auth": {
                    "type": "access_token",
                    "accessToken": {"displayName": "local", "role": "write"},
                },
            }
        )

    def _repo_from_body(self, req: Request) -> tuple[str, str, dict[str, Any]]:
        data = req.json()
        name = _str_field(data, "name", required=True)
        assert name is not None
        organization = _str_field(data, "organization") or self.storage.user
        repo_type = names.check_repo_type(_str_field(data, "type"))
        return f"{organization}/{name}", repo_type, data

    def create_repo(self, req: Request) -> Response:
        repo_id, repo_type, data = self._repo_from_body(req)
        private = data.get("visibility") == "private" or data.get("private") is True
        try:
            canonical = self.storage.create_repo(repo_id, repo_type=repo_type, private=private)
        except LocalHubError as exc:
            if exc.status != 409:
                raise
            # The Hub's 409 still carries the repo URL: `create_repo(exist_ok=True)` reads it.
            resp = error_response(exc)
            existing = self.storage.repo(repo_id, repo_type).id
            url = f"{req.base_url}/{api.url_prefix(repo_type)}{existing}"
            resp.body = json.dumps({"error": str(exc), "url": url}).encode()
            return resp
        url = f"{req.base_url}/{api.url_prefix(repo_type)}{canonical}"
        return json_response({"url": url, "name": canonical, "id": canonical})

    def delete_repo(self, req: Request) -> Response:
        repo_id, repo_type, _ = self._repo_from_body(req)
        self.storage.delete_repo(repo_id, repo_type=repo_type)
        return json_response({})

    def settings(self, req: Request, repo_type: str, ns: str, name: str) -> Response:
        data = req.json()
        with self.storage.lock:
            repo = self._repo(req, repo_type, ns, name)
            if "gated" in data:
                self.storage.set_gated(repo.id, data["gated"], repo_type=repo_type)
            if "visibility" in data or "private" in data:
                private = data.get("visibility") == "private" or data.get("private") is True
                self.storage.set_private(repo.id, private, repo_type=repo_type)
        return json_response({})

    def validate_yaml(self, req: Request) -> Response:
        content = _str_field(req.json(), "content") or ""
        match = re.match(r"^---\s*\n(.*?)\n---\s*(\n|$)", content, re.DOTALL)
        if match:
            try:
                yaml.safe_load(match.group(1))
            except yaml.YAMLError as exc:
                message = "invalid YAML metadata: " + " ".join(str(exc).split())
                # The client turns `errors[].message` into its ValueError.
                return json_response(
                    {"error": message, "errors": [{"message": message}]}, status=400
                )
        return json_response({"errors": [], "warnings": []})

    # --- reading repos -----------------------------------------------------------------------

    def list_repos(self, req: Request, repo_type: str) -> Response:
        unsupported = sorted(set(req.query) - _LIST_IGNORED)
        if unsupported:
            raise LocalHubError(
                f"query parameter(s) {unsupported} are not supported by the local Hub "
                "(supported: author, search, expand, limit, cursor)",
                status=400,
            )
        expand = api.check_expand(req.query.get("expand", []) + req.query.get("expand[]", []))
        limit = min(req.int_param("limit", self.list_page_size, minimum=1), self.list_page_size)
        after = _decode_cursor(req.param("cursor"))
        with self.storage.lock:
            repos, more = self.storage.list_repos(
                repo_type,
                author=req.param("author"),
                search=req.param("search"),
                after=after,
                limit=limit,
                include_private=req.has_token,
            )
            items = [api.list_item(self.storage, r, expand) for r in repos]
        headers = []
        if more and repos:
            query = {k: v for k, v in req.query.items() if k != "cursor"}
            query["cursor"] = [_encode_cursor(repos[-1].key[1])]
            url = f"{req.base_url}/api/{repo_type}s?{urlencode(query, doseq=True)}"
            headers.append(("Link", f'<{url}>; rel="next"'))
        return json_response(items, headers=headers)

    def repo_info(
        self, req: Request, repo_type: str, ns: str, name: str, rest: list[str]
    ) -> Response:
        revision = "main"
        if rest:
            revision, extra = _take_revision(rest[1:])
            if extra:
                raise LocalHubError(f"unexpected path after revision: {'/'.join(extra)}")
        expand = api.check_expand(req.query.get("expand", []) + req.query.get("expand[]", []))
        with self.storage.lock:
            repo = self._repo(req, repo_type, ns, name)
            commit = self.storage.resolve(repo, revision)
            info = api.repo_info(self.storage, repo, commit, expand=expand, blobs=req.flag("blobs"))
        return json_response(info)

    def tree(self, req: Request, repo_type: str, ns: str, name: str, rest: list[str]) -> Response:
        revision, path_parts = _take_revision(rest)
        folder = names.check_folder_path("/".join(path_parts))
        offset = req.int_param("cursor", 0)
        with self.storage.lock:
            repo = self._repo(req, repo_type, ns, name)
            commit = self.storage.resolve(repo, revision)
            entries = api.tree(commit, folder, recursive=req.flag("recursive"))
        page = entries[offset : offset + self.tree_page_size]
        headers = []
        if offset + self.tree_page_size < len(entries):
            query = {k: v for k, v in req.query.items() if k != "cursor"}
            query["cursor"] = [str(offset + self.tree_page_size)]
            path = "/".join(
                _quote(p)
                for p in [
                    "api",
                    f"{repo_type}s",
                    repo.id.split("/")[0],
                    repo.id.split("/")[1],
                    "tree",
                    revision,
                ]
            )
            if folder:
                path += "/" + _quote(folder)
            headers.append(
                ("Link", f'<{req.base_url}/{path}?{urlencode(query, doseq=True)}>; rel="next"')
            )
        return json_response(page, headers=headers)

    def paths_info(
        self, req: Request, repo_type: str, ns: str, name: str, rest: list[str]
    ) -> Response:
        revision, extra = _take_revision(rest)
        if extra:
            raise LocalHubError(f"unexpected path after revision: {'/'.join(extra)}")
        form = parse_qs(req.body.decode("utf-8", "replace"))
        paths = [names.check_folder_path(p) for p in form.get("paths", [])]
        with self.storage.lock:
            repo = self._repo(req, repo_type, ns, name)
            commit = self.storage.resolve(repo, revision)
            return json_response(api.paths_info(commit, [p for p in paths if p]))

    def refs(self, req: Request, repo_type: str, ns: str, name: str) -> Response:
        with self.storage.lock:
            repo = self._repo(req, repo_type, ns, name)
            return json_response(api.refs(repo, include_prs=req.flag("include_prs")))

    def commits(
        self, req: Request, repo_type: str, ns: str, name: str, rest: list[str]
    ) -> Response:
        revision, _ = _take_revision(rest)
        page_num = req.int_param("p", 0)
        size = self.commits_page_size
        with self.storage.lock:
            repo = self._repo(req, repo_type, ns, name)
            items = api.history(repo, self.storage.resolve(repo, revision))
        headers = []
        if (page_num + 1) * size < len(items):
            query = {k: v for k, v in req.query.items() if k != "p"}
            query["p"] = [str(page_num + 1)]
            path = f"api/{repo_type}s/{repo.id}/commits/{_quote(revision)}"
            headers.append(
                ("Link", f'<{req.base_url}/{path}?{urlencode(query, doseq=True)}>; rel="next"')
            )
        return json_response(items[page_num * size : (page_num + 1) * size], headers=headers)

    def resolve(
        self, req: Request, repo_type: str, ns: str, name: str, rest: list[str]
    ) -> Response:
        revision, path_parts = _take_revision(rest)
        path = names.check_file_path("/".join(path_parts))
        with self.storage.lock:
            repo = self._repo(req, repo_type, ns, name)
            commit = self.storage.resolve(repo, revision)
            if repo.gated:
                raise LocalHubError(
                    f"Access to {repo_type} {repo.id} is restricted: you must be approved to "
                    "access it (gated repo)",
                    status=403,
                    code="GatedRepo",
                )
            blob = commit.tree.get(path)
        commit_header = ("X-Repo-Commit", commit.oid)
        if blob is None:
            resp = error_response(
                LocalHubError(
                    f"Entry not found: {path} at revision {commit.oid}",
                    status=404,
                    code="EntryNotFound",
                )
            )
            resp.headers.append(commit_header)
            return resp
        headers = [commit_header, ("ETag", f'"{blob.oid}"'), ("Accept-Ranges", "bytes")]
        if req.method == "HEAD":
            headers.append(("Content-Length", str(blob.size)))
            return Response(headers=headers, content_type="application/octet-stream")
        data = self.storage.read_blob(blob.oid)
        status, data = _apply_range(req.headers.get("range"), data, headers)
        return Response(
            status=status, body=data, headers=headers, content_type="application/octet-stream"
        )

    # --- writing -----------------------------------------------------------------------------

    def preupload(
        self, req: Request, repo_type: str, ns: str, name: str, rest: list[str]
    ) -> Response:
        revision, _ = _take_revision(rest)
        files = req.json().get("files")
        if not isinstance(files, list) or not all(isinstance(f, dict) for f in files):
            raise LocalHubError("preupload body needs 'files': a list of objects", status=400)
        paths = [names.check_file_path(_str_field(f, "path", required=True) or "") for f in files]
        with self.storage.lock:
            repo = self._repo(req, repo_type, ns, name)
            tree = self.storage.resolve(repo, revision).tree
            answer = [
                {
                    # Regular (non-LFS) uploads only: the commit then carries the content.
                    "path": path,
                    "uploadMode": "regular",
                    "shouldIgnore": False,
                    # An existing blob id lets the client skip files that did not change.
                    "oid": tree[path].oid if path in tree else None,
                }
                for path in paths
            ]
        return json_response({"files": answer})

    def commit(self, req: Request, repo_type: str, ns: str, name: str, rest: list[str]) -> Response:
        revision, _ = _take_revision(rest)
        header, files, folders = _parse_commit_body(req.body)
        summary = _str_field(header, "summary") or ""
        description = _str_field(header, "description") or ""
        parent = _str_field(header, "parentCommit")
        if parent is not None and not re.fullmatch(r"[0-9a-fA-F]{5,40}", parent):
            raise LocalHubError(f"invalid parentCommit {parent!r}", status=400)
        create_pr = req.flag("create_pr")
        with self.storage.lock:
            repo = self._repo(req, repo_type, ns, name)
            result = self.storage.commit(
                repo.id,
                files,
                repo_type=repo_type,
                revision=revision,
                message=summary,
                description=description,
                parent_commit=parent,
                create_pr=create_pr,
                deleted_folders=folders,
            )
        base = self._repo_url(req, repo)
        return json_response(
            {
                "success": True,
                "commitOid": result.oid,
                "commitUrl": f"{base}/commit/{result.oid}",
                "pullRequestUrl": f"{base}/discussions/{result.pr_num}" if result.pr_num else None,
            }
        )

    # --- discussions -------------------------------------------------------------------------

    def discussions(self, req: Request, repo_type: str, ns: str, name: str) -> Response:
        kind = req.param("type", "all") or "all"
        status = req.param("status", "all") or "all"
        if kind not in _DISCUSSION_TYPES:
            raise LocalHubError(f"invalid type {kind!r}: use one of {_DISCUSSION_TYPES}")
        if status not in _DISCUSSION_STATUSES:
            raise LocalHubError(f"invalid status {status!r}: use all, open or closed")
        author = req.param("author")
        page = req.int_param("p", 0)
        with self.storage.lock:
            repo = self._repo(req, repo_type, ns, name)
            everything = sorted(repo.discussions.values(), key=lambda d: -d.num)
            selected = [
                d
                for d in everything
                if d.status in _DISCUSSION_STATUSES[status]
                and (kind == "all" or d.is_pr == (kind == "pull_request"))
                and (author is None or d.author == author)
            ]
            start = page * DISCUSSIONS_PAGE
            items = [api.discussion(repo, d) for d in selected[start : start + DISCUSSIONS_PAGE]]
            closed = sum(1 for d in everything if d.status in ("closed", "merged"))
        return json_response(
            {
                "discussions": items,
                "count": len(selected),
                "start": start,
                "numClosedDiscussions": closed,
            }
        )

    def create_discussion(self, req: Request, repo_type: str, ns: str, name: str) -> Response:
        data = req.json()
        title = _str_field(data, "title", required=True) or ""
        description = _str_field(data, "description") or ""
        with self.storage.lock:
            repo = self._repo(req, repo_type, ns, name)
            num = self.storage.create_discussion(
                repo.id,
                title=title,
                description=description,
                pull_request=bool(data.get("pullRequest")),
                repo_type=repo_type,
            )
        return json_response({"num": num, "url": f"{self._repo_url(req, repo)}/discussions/{num}"})

    def discussion_details(
        self, req: Request, repo_type: str, ns: str, name: str, num: str
    ) -> Response:
        number = _discussion_num(num)
        with self.storage.lock:
            repo = self._repo(req, repo_type, ns, name)
            found = self.storage.discussion(repo, number)
            return json_response(
                api.discussion_details(self.storage, repo, found, with_diff=req.flag("diff"))
            )

    def discussion_action(
        self, req: Request, repo_type: str, ns: str, name: str, num: str, action: str
    ) -> Response:
        number = _discussion_num(num)
        data = req.json() if req.body.strip() else {}
        comment = _str_field(data, "comment")
        with self.storage.lock:
            repo_id = self._repo(req, repo_type, ns, name).id
            if action == "comment":
                event = self.storage.comment(repo_id, number, comment or "", repo_type=repo_type)
                return json_response({"newMessage": event})
            if action == "status":
                status = _str_field(data, "status", required=True) or ""
                event = self.storage.set_discussion_status(
                    repo_id, number, status, comment=comment, repo_type=repo_type
                )
                return json_response({"newStatus": event})
            if action == "title":
                title = _str_field(data, "title", required=True) or ""
                event = self.storage.rename_discussion(repo_id, number, title, repo_type=repo_type)
                return json_response({"newTitle": event})
            self.storage.merge_pr(repo_id, number, comment=comment, repo_type=repo_type)
            return json_response({})


# --- small parsers -------------------------------------------------------------------------------


def _quote(segment: str) -> str:
    return quote(segment, safe="")


def _encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str | None) -> str | None:
    if not cursor:
        return None
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise LocalHubError(f"invalid cursor {cursor!r}", status=400) from exc


def _discussion_num(raw: str) -> int:
    if not raw.isdigit() or int(raw) < 1:
        raise LocalHubError(f"invalid discussion number {raw!r}", status=400)
    return int(raw)


def _apply_range(
    header: str | None, data: bytes, headers: list[tuple[str, str]]
) -> tuple[int, bytes]:
    """Honour a single `Range: bytes=A-[B]` (resumed downloads); anything else gets 200."""
    match = re.fullmatch(r"bytes=(\d+)-(\d*)", (header or "").strip())
    if not match:
        return 200, data
    start = int(match.group(1))
    end = int(match.group(2)) if match.group(2) else len(data) - 1
    if start >= len(data) or end < start:
        headers.append(("Content-Range", f"bytes */{len(data)}"))
        return 416, b""
    end = min(end, len(data) - 1)
    headers.append(("Content-Range", f"bytes {start}-{end}/{len(data)}"))
    return 206, data[start : end + 1]


def _parse_commit_body(body: bytes) -> tuple[dict[str, Any], dict[str, bytes | None], list[str]]:
    """The NDJSON commit payload: header, file additions/deletions, folder deletions."""
    header: dict[str, Any] | None = None
    files: dict[str, bytes | None] = {}
    folders: list[str] = []
    for number, line in enumerate(body.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            key, value = item["key"], item["value"]
            if not isinstance(value, dict):
                raise TypeError("value must be an object")
        except (ValueError, KeyError, TypeError) as exc:
            raise LocalHubError(f"invalid commit payload line {number}: {exc}", status=400) from exc
        if key == "header":
            header = value
        elif key == "file":
            path = names.check_file_path(_str_field(value, "path", required=True) or "")
            content = _str_field(value, "content", required=True) or ""
            if value.get("encoding", "base64") == "base64":
                try:
                    files[path] = base64.b64decode(content, validate=True)
                except binascii.Error as exc:
                    raise LocalHubError(f"invalid base64 content for {path}", status=400) from exc
            else:
                files[path] = content.encode()
        elif key == "deletedFile":
            files[names.check_file_path(_str_field(value, "path", required=True) or "")] = None
        elif key == "deletedFolder":
            folders.append(_str_field(value, "path", required=True) or "")
        elif key == "lfsFile":
            raise LocalHubError(
                "LFS files are not supported by the local Hub (preupload always answers "
                "'regular', so the client sends content inline)",
                status=400,
            )
        else:
            raise LocalHubError(f"unknown commit operation {key!r} on line {number}", status=400)
    if header is None:
        raise LocalHubError("commit payload has no header line", status=400)
    return header, files, folders
