"""Discussion and PR threads: opening one, comments, titles and statuses, as events in the Hub's
API shape.

`DiscussionStore` works on repos found through a `RepoStore`; what a PR holds (its commits, its
merge) is `commits.CommitStore`'s. Events are stored exactly as the API returns them.
"""

from __future__ import annotations

from html import escape
from typing import Any

from eeesync.errors import LocalHubError
from eeesync.localhub.repodata import Discussion, Repo, now_iso
from eeesync.localhub.repos import DEFAULT_USER, RepoStore


class DiscussionStore:
    """Discussions and the thread side of PRs, in the repos of `repos`."""

    def __init__(self, repos: RepoStore) -> None:
        self.repos = repos

    # --- threads and events (callers hold the lock and save the repo) -------------------------

    def open_thread(
        self,
        repo: Repo,
        *,
        title: str,
        description: str,
        author: str,
        is_pr: bool = False,
        draft: bool = False,
        base_branch: str | None = None,
        base_commit: str | None = None,
    ) -> Discussion:
        """Add discussion (or PR) number N to the repo. PRs get no head here: the caller sets it."""
        if repo.discussions_disabled:
            raise LocalHubError("Discussions are disabled for this repo", status=403)
        thread = Discussion(
            num=repo.next_discussion_num(),
            title=title,
            is_pr=is_pr,
            status="draft" if draft else "open",
            author=author,
            created_at=now_iso(),
            base_branch=base_branch,
            base_commit=base_commit,
        )
        repo.discussions[thread.num] = thread
        # The Hub shows the description as the first comment of the thread.
        self.add_comment(thread, author, description)
        return thread

    def add_event(
        self, discussion: Discussion, kind: str, author: str, data: dict[str, Any]
    ) -> dict[str, Any]:
        """Append an event (`comment`, `commit`, `status-change`, `title-change`); return it."""
        event = {
            "id": self.repos.event_id(),
            "type": kind,
            "createdAt": now_iso(),
            "author": {"name": author, "type": "user"},
            "data": data,
        }
        discussion.events.append(event)
        return event

    def add_comment(self, discussion: Discussion, author: str, text: str) -> dict[str, Any]:
        """Append a comment event and return it."""
        return self.add_event(
            discussion,
            "comment",
            author,
            {
                "edited": False,
                "hidden": False,
                "numEdits": 0,
                "editors": [author],
                "latest": {
                    "raw": text,
                    "html": f"<p>{escape(text)}</p>",
                    "updatedAt": now_iso(),
                    "author": {"name": author, "type": "user"},
                },
            },
        )

    def change_status(
        self, discussion: Discussion, status: str, comment: str | None, author: str
    ) -> dict[str, Any]:
        """Set the status (with an optional comment first, as on the Hub); return the event."""
        if comment:
            self.add_comment(discussion, author, comment)
        discussion.status = status
        return self.add_event(discussion, "status-change", author, {"status": status})

    # --- the seeding and route API ------------------------------------------------------------

    def discussion(self, repo: Repo, num: int) -> Discussion:
        """Discussion `num` of a repo (read under the lock)."""
        found = repo.discussions.get(num)
        if found is None:
            raise LocalHubError(f"Discussion #{num} not found in {repo.id}", status=404)
        return found

    def create_discussion(
        self,
        repo_id: str,
        *,
        title: str,
        description: str = "",
        repo_type: str = "model",
        author: str = DEFAULT_USER,
    ) -> int:
        """Open a discussion (not a PR: see `CommitStore.open_pr`); returns its number."""
        title = check_title(title)
        with self.repos.changing(repo_id, repo_type) as repo:
            return self.open_thread(repo, title=title, description=description, author=author).num

    def comment(
        self,
        repo_id: str,
        num: int,
        text: str,
        *,
        repo_type: str = "model",
        author: str = DEFAULT_USER,
    ) -> dict[str, Any]:
        """Add a comment; returns the event."""
        if not text.strip():
            raise LocalHubError("a comment must not be empty", status=400)
        with self.repos.changing(repo_id, repo_type) as repo:
            return self.add_comment(self.discussion(repo, num), author, text)

    def edit_comment(
        self,
        repo_id: str,
        num: int,
        comment_id: str,
        text: str,
        *,
        repo_type: str = "model",
        author: str = DEFAULT_USER,
    ) -> dict[str, Any]:
        """Replace a comment's text, as `HfApi.edit_discussion_comment` does on the Hub: only
        its author may (403 otherwise). Returns the updated event."""
        if not text.strip():
            raise LocalHubError("a comment must not be empty", status=400)
        with self.repos.changing(repo_id, repo_type) as repo:
            discussion = self.discussion(repo, num)
            event = next(
                (
                    e
                    for e in discussion.events
                    if e["type"] == "comment" and str(e["id"]).lower() == comment_id.lower()
                ),
                None,
            )
            if event is None:
                raise LocalHubError(f"Comment {comment_id} not found in #{num}", status=404)
            if event["author"]["name"] != author:
                raise LocalHubError("only a comment's author may edit it", status=403)
            data = event["data"]
            data["edited"] = True
            data["numEdits"] = int(data.get("numEdits", 0)) + 1
            data["latest"] = {
                "raw": text,
                "html": f"<p>{escape(text)}</p>",
                "updatedAt": now_iso(),
                "author": {"name": author, "type": "user"},
            }
            return event

    def rename_discussion(
        self,
        repo_id: str,
        num: int,
        title: str,
        *,
        repo_type: str = "model",
        author: str = DEFAULT_USER,
    ) -> dict[str, Any]:
        """Change a discussion's title; returns the `title-change` event."""
        title = check_title(title)
        with self.repos.changing(repo_id, repo_type) as repo:
            discussion = self.discussion(repo, num)
            event = self.add_event(
                discussion, "title-change", author, {"from": discussion.title, "to": title}
            )
            discussion.title = title
            return event

    def set_discussion_status(
        self,
        repo_id: str,
        num: int,
        status: str,
        *,
        comment: str | None = None,
        repo_type: str = "model",
        author: str = DEFAULT_USER,
    ) -> dict[str, Any]:
        """Set `open`, `closed` or `draft` (a maintainer closing or reopening); returns the event.

        `merged` is only reached through `CommitStore.merge_pr`.
        """
        if status not in ("open", "closed", "draft"):
            raise LocalHubError(
                f"invalid status {status!r}: use 'open' or 'closed' (merge with merge_pr)",
                status=400,
            )
        with self.repos.changing(repo_id, repo_type) as repo:
            discussion = self.discussion(repo, num)
            if discussion.status == "merged":
                raise LocalHubError(f"#{num} is merged; its status cannot change", status=400)
            if status == "draft" and not discussion.is_pr:
                raise LocalHubError("only pull requests can be drafts", status=400)
            return self.change_status(discussion, status, comment, author)


def check_title(title: str) -> str:
    """The stripped title; an empty one is a 400."""
    if not title.strip():
        raise LocalHubError("a discussion needs a title", status=400)
    return title.strip()
