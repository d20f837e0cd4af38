"""Routes for the account and whole repos: whoami, create, delete, settings, YAML check, listing,
repo info and refs."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from typing import Any

import yaml

from eeesync.errors import LocalHubError
from eeesync.localhub import api, names
from eeesync.localhub.access import Access, repo_url
from eeesync.localhub.web import (
    Request,
    Response,
    RouteParams,
    error_response,
    json_response,
    next_link,
    str_field,
    take_revision,
)

# Query parameters `list_models`/`list_datasets` send that are accepted (some then ignored).
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
    "filter",
}
#: The only `filter=` value the local Hub understands (datasets only).
OFFICIAL_BENCHMARK = "benchmark:official"


class RepoRoutes:
    """Handlers for the account and whole repos."""

    def __init__(self, access: Access) -> None:
        self.access = access
        self.state = access.state
        #: Page size of repo listings (the Hub's is 1000).
        self.list_page_size = 1000

    # --- account and repo management ---------------------------------------------------------

    def whoami(self, req: Request, p: RouteParams) -> Response:
        if not req.has_token:
            raise LocalHubError("Invalid credentials in Authorization header", status=401)
        caller = self.access.caller(req)
        user = caller.name
        orgs = [
            {"type": "org", "name": org, "fullname": org, "roleInOrg": role}
            for org, role in sorted(caller.orgs.items())
        ]
        return json_response(
            {
                "type": "user",
                "id": user,
                "name": user,
                "fullname": "Local Hub user",
                "email": None,
                "emailVerified": False,
                "isPro": False,
                "orgs": orgs,
                "auth": {
                    "type": "access_token",
                    "accessToken": {"displayName": "local", "role": "write"},
                },
            }
        )

    def _repo_from_body(self, req: Request) -> tuple[str, str, dict[str, Any]]:
        data = req.json()
        name = str_field(data, "name", required=True)
        assert name is not None
        organization = str_field(data, "organization") or self.access.account(req)
        repo_type = names.check_repo_type(str_field(data, "type"))
        return f"{organization}/{name}", repo_type, data

    def create_repo(self, req: Request, p: RouteParams) -> Response:
        repo_id, repo_type, data = self._repo_from_body(req)
        self.access.require_owner(req, repo_id, "create a repo")
        try:
            canonical = self.state.create_repo(
                repo_id,
                repo_type=repo_type,
                private=_wants_private(data),
                author=self.access.account(req),
            )
        except LocalHubError as exc:
            if exc.status != 409:
                raise
            # The Hub's 409 still carries the repo URL: `create_repo(exist_ok=True)` reads it.
            resp = error_response(exc)
            existing = self.state.repo(repo_id, repo_type).id
            url = repo_url(req, repo_type, existing)
            resp.body = json.dumps({"error": str(exc), "url": url}).encode()
            return resp
        url = repo_url(req, repo_type, canonical)
        return json_response({"url": url, "name": canonical, "id": canonical})

    def delete_repo(self, req: Request, p: RouteParams) -> Response:
        repo_id, repo_type, _ = self._repo_from_body(req)
        self.access.require_owner(req, repo_id, "delete the repo")
        self.state.delete_repo(repo_id, repo_type=repo_type)
        return json_response({})

    def settings(self, req: Request, p: RouteParams) -> Response:
        data = req.json()
        with self.state.lock:
            repo = self.access.repo(req, p)
            self.access.require_owner(req, repo.id, "change the settings")
            if "gated" in data:
                self.state.set_gated(repo.id, data["gated"], repo_type=repo.type)
            if "visibility" in data or "private" in data:
                self.state.set_private(repo.id, _wants_private(data), repo_type=repo.type)
        return json_response({})

    def validate_yaml(self, req: Request, p: RouteParams) -> Response:
        content = str_field(req.json(), "content") or ""
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

    def list_repos(self, req: Request, p: RouteParams) -> Response:
        repo_type = names.check_repo_type(p.repo_type)
        unsupported = sorted(set(req.query) - _LIST_IGNORED)
        if unsupported:
            raise LocalHubError(
                f"query parameter(s) {unsupported} are not supported by the local Hub "
                "(supported: author, search, expand, limit, cursor, filter=benchmark:official)",
                status=400,
            )
        filters = req.query.get("filter", [])
        unknown = sorted(set(filters) - {OFFICIAL_BENCHMARK})
        if unknown or (filters and repo_type != "dataset"):
            raise LocalHubError(
                f"filter value(s) {unknown or filters} are not supported by the local Hub on "
                f"{repo_type}s (supported: filter=benchmark:official on datasets)",
                status=400,
            )
        expand = _expand(req)
        limit = min(req.int_param("limit", self.list_page_size, minimum=1), self.list_page_size)
        after = _decode_cursor(req.param("cursor"))
        with self.state.lock:
            repos, more = self.state.list_repos(
                repo_type,
                author=req.param("author"),
                search=req.query.get("search", []),
                after=after,
                limit=limit,
                include_private=req.has_token,
                official_benchmark=OFFICIAL_BENCHMARK in filters,
            )
            items = [api.list_item(self.state, r, expand) for r in repos]
        headers = []
        if more and repos:
            cursor = _encode_cursor(repos[-1].key[1])
            headers.append(next_link(req, f"api/{repo_type}s", "cursor", cursor))
        return json_response(items, headers=headers)

    def repo_info(self, req: Request, p: RouteParams) -> Response:
        expand = _expand(req)
        with self.state.lock:
            repo = self.access.repo(req, p)
            commit = self.state.resolve(repo, "main")
            info = api.repo_info(self.state, repo, commit, expand=expand, blobs=req.flag("blobs"))
        return json_response(info)

    def revision_info(self, req: Request, p: RouteParams) -> Response:
        revision, extra = take_revision(p.rest)
        if extra:
            raise LocalHubError(f"unexpected path after revision: {'/'.join(extra)}")
        expand = _expand(req)
        with self.state.lock:
            repo = self.access.repo(req, p)
            commit = self.state.resolve(repo, revision)
            info = api.repo_info(self.state, repo, commit, expand=expand, blobs=req.flag("blobs"))
        return json_response(info)

    def refs(self, req: Request, p: RouteParams) -> Response:
        with self.state.lock:
            repo = self.access.repo(req, p)
            return json_response(api.refs(repo, include_prs=req.flag("include_prs")))


def _wants_private(data: Mapping[str, Any]) -> bool:
    return data.get("visibility") == "private" or data.get("private") is True


def _expand(req: Request) -> list[str]:
    # Clients send `expand=a&expand=b` or `expand[]=a`: accept both.
    return api.check_expand(req.query.get("expand", []) + req.query.get("expand[]", []))


def _encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str | None) -> str | None:
    if not cursor:
        return None
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise LocalHubError(f"invalid cursor {cursor!r}", status=400) from exc
