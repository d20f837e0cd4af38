"""Routes for discussions and pull requests: listing, opening, details, and the four actions
(comment, status, title, merge).

Filters: `status=open` lists open *and draft* PRs and `status=closed` lists closed *and merged*
ones, like the open/closed tabs of the Hub's UI.
"""

from __future__ import annotations

from eeesync.errors import LocalHubError
from eeesync.localhub import api
from eeesync.localhub.access import RouteBase, repo_url
from eeesync.localhub.web import Request, Response, json_response, str_field

_DISCUSSION_TYPES = ("all", "discussion", "pull_request")
_DISCUSSION_STATUSES = {
    "all": ("open", "draft", "closed", "merged"),
    "open": ("open", "draft"),
    "closed": ("closed", "merged"),
}
DISCUSSIONS_PAGE = 50


class DiscussionRoutes(RouteBase):
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
        title = str_field(data, "title", required=True) or ""
        description = str_field(data, "description") or ""
        with self.storage.lock:
            repo = self._repo(req, repo_type, ns, name)
            num = self.storage.create_discussion(
                repo.id,
                title=title,
                description=description,
                pull_request=bool(data.get("pullRequest")),
                repo_type=repo_type,
            )
        url = f"{repo_url(req, repo.type, repo.id)}/discussions/{num}"
        return json_response({"num": num, "url": url})

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
        comment = str_field(data, "comment")
        with self.storage.lock:
            repo_id = self._repo(req, repo_type, ns, name).id
            if action == "comment":
                event = self.storage.comment(repo_id, number, comment or "", repo_type=repo_type)
                return json_response({"newMessage": event})
            if action == "status":
                status = str_field(data, "status", required=True) or ""
                event = self.storage.set_discussion_status(
                    repo_id, number, status, comment=comment, repo_type=repo_type
                )
                return json_response({"newStatus": event})
            if action == "title":
                title = str_field(data, "title", required=True) or ""
                event = self.storage.rename_discussion(repo_id, number, title, repo_type=repo_type)
                return json_response({"newTitle": event})
            self.storage.merge_pr(repo_id, number, comment=comment, repo_type=repo_type)
            return json_response({})


def _discussion_num(raw: str) -> int:
    if not raw.isdigit() or int(raw) < 1:
        raise LocalHubError(f"invalid discussion number {raw!r}", status=400)
    return int(raw)
