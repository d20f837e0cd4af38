"""Routes for discussions and pull requests: listing, opening, details, and the actions
(comment, edit a comment, status, title, merge).

Filters: `status=open` lists open *and draft* PRs and `status=closed` lists closed *and merged*
ones, like the open/closed tabs of the Hub's UI.
"""

from __future__ import annotations

from typing import Any

from eeesync.errors import LocalHubError
from eeesync.localhub import api
from eeesync.localhub.access import Access, repo_url
from eeesync.localhub.repodata import Repo
from eeesync.localhub.web import Request, Response, RouteParams, json_response, str_field

_DISCUSSION_TYPES = ("all", "discussion", "pull_request")
_DISCUSSION_STATUSES = {
    "all": ("open", "draft", "closed", "merged"),
    "open": ("open", "draft"),
    "closed": ("closed", "merged"),
}
DISCUSSIONS_PAGE = 50


class DiscussionRoutes:
    """Handlers for discussions and pull requests."""

    def __init__(self, access: Access) -> None:
        self.access = access
        self.state = access.state

    def discussions(self, req: Request, p: RouteParams) -> Response:
        kind = req.param("type", "all") or "all"
        status = req.param("status", "all") or "all"
        if kind not in _DISCUSSION_TYPES:
            raise LocalHubError(f"invalid type {kind!r}: use one of {_DISCUSSION_TYPES}")
        if status not in _DISCUSSION_STATUSES:
            raise LocalHubError(f"invalid status {status!r}: use all, open or closed")
        author = req.param("author")
        page = req.int_param("p", 0)
        with self.state.lock:
            repo = self.access.repo(req, p)
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

    def create_discussion(self, req: Request, p: RouteParams) -> Response:
        data = req.json()
        title = str_field(data, "title", required=True) or ""
        description = str_field(data, "description") or ""
        with self.state.lock:
            repo = self.access.repo(req, p)
            num = self.state.create_discussion(
                repo.id,
                title=title,
                description=description,
                pull_request=bool(data.get("pullRequest")),
                repo_type=repo.type,
                author=self.access.account(req),
            )
        url = f"{repo_url(req, repo.type, repo.id)}/discussions/{num}"
        return json_response({"num": num, "url": url})

    def discussion_details(self, req: Request, p: RouteParams) -> Response:
        number = _discussion_num(p.num)
        with self.state.lock:
            repo = self.access.repo(req, p)
            found = self.state.discussion(repo, number)
            return json_response(
                api.discussion_details(self.state, repo, found, with_diff=req.flag("diff"))
            )

    def comment(self, req: Request, p: RouteParams) -> Response:
        with self.state.lock:
            repo, number, data = self._action(req, p)
            event = self.state.comment(
                repo.id,
                number,
                str_field(data, "comment") or "",
                repo_type=repo.type,
                author=self.access.account(req),
            )
        return json_response({"newMessage": event})

    def edit_comment(self, req: Request, p: RouteParams) -> Response:
        if len(p.rest) != 2 or p.rest[1] != "edit":
            raise LocalHubError(f"unknown comment action {'/'.join(p.rest)!r}", status=404)
        with self.state.lock:
            repo, number, data = self._action(req, p)
            event = self.state.edit_comment(
                repo.id,
                number,
                p.rest[0],
                str_field(data, "content", required=True) or "",
                repo_type=repo.type,
                author=self.access.account(req),
            )
        return json_response({"updatedComment": event})

    def status(self, req: Request, p: RouteParams) -> Response:
        with self.state.lock:
            repo, number, data = self._action(req, p)
            self._require_moderator(req, repo, number, "change the status")
            event = self.state.set_discussion_status(
                repo.id,
                number,
                str_field(data, "status", required=True) or "",
                comment=str_field(data, "comment"),
                repo_type=repo.type,
                author=self.access.account(req),
            )
        return json_response({"newStatus": event})

    def title(self, req: Request, p: RouteParams) -> Response:
        with self.state.lock:
            repo, number, data = self._action(req, p)
            self._require_moderator(req, repo, number, "rename")
            event = self.state.rename_discussion(
                repo.id,
                number,
                str_field(data, "title", required=True) or "",
                repo_type=repo.type,
                author=self.access.account(req),
            )
        return json_response({"newTitle": event})

    def merge(self, req: Request, p: RouteParams) -> Response:
        with self.state.lock:
            repo, number, data = self._action(req, p)
            self.access.require_owner(req, repo.id, f"merge pull request #{number}")
            self.state.merge_pr(
                repo.id,
                number,
                comment=str_field(data, "comment"),
                repo_type=repo.type,
                author=self.access.account(req),
            )
        return json_response({})

    def _require_moderator(self, req: Request, repo: Repo, number: int, doing: str) -> None:
        self.access.require_moderator(req, repo, self.state.discussion(repo, number), doing)

    def _action(self, req: Request, p: RouteParams) -> tuple[Repo, int, dict[str, Any]]:
        """(repo, discussion number, JSON body) for the four actions; hold the lock."""
        number = _discussion_num(p.num)
        data = req.json() if req.body.strip() else {}
        return self.access.repo(req, p), number, data


def _discussion_num(raw: str) -> int:
    if not raw.isdigit() or int(raw) < 1:
        raise LocalHubError(f"invalid discussion number {raw!r}", status=400)
    return int(raw)
