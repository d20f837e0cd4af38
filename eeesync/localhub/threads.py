"""Discussion and PR threads: opening one, and the events added to it, in the Hub's API shape.

Pure functions over a `Repo` and its `Discussion`s; the caller supplies event ids (salted by the
state folder, see `repos.RepoStore._event_id`), holds `storage.lock` and saves the repo.
"""

from __future__ import annotations

from html import escape
from typing import Any

from eeesync.localhub.model import Discussion, Repo, now_iso


def add_event(
    discussion: Discussion, kind: str, author: str, data: dict[str, Any], *, event_id: str
) -> dict[str, Any]:
    """Append an event (`comment`, `commit`, `status-change`, `title-change`) and return it."""
    event = {
        "id": event_id,
        "type": kind,
        "createdAt": now_iso(),
        "author": {"name": author, "type": "user"},
        "data": data,
    }
    discussion.events.append(event)
    return event


def add_comment(discussion: Discussion, author: str, text: str, *, event_id: str) -> dict[str, Any]:
    """Append a comment event and return it."""
    now = now_iso()
    return add_event(
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
                "updatedAt": now,
                "author": {"name": author, "type": "user"},
            },
        },
        event_id=event_id,
    )


def open_thread(
    repo: Repo,
    *,
    title: str,
    description: str,
    author: str,
    event_id: str,
    is_pr: bool = False,
    draft: bool = False,
    base_branch: str | None = None,
    base_commit: str | None = None,
) -> Discussion:
    """Add discussion (or PR) number N to the repo. PRs get no head here: the caller sets it."""
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
    add_comment(thread, author, description, event_id=event_id)
    return thread
