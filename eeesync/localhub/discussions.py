"""Discussions and pull requests of a repo: opening, comments, titles, statuses and merges.

`DiscussionStore` adds these to `CommitStore`; `storage.Storage` is the finished class. Threads
and their events are built by `threads.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eeesync.errors import LocalHubError
from eeesync.localhub import refs, threads
from eeesync.localhub.commits import CommitStore
from eeesync.localhub.model import Blob, Commit, Discussion, Repo


class DiscussionStore(CommitStore):
    """`CommitStore` plus discussions and pull requests."""

    # --- opening -----------------------------------------------------------------------------

    def open_pr(
        self,
        repo_id: str,
        files: Mapping[str, bytes | None],
        *,
        title: str,
        description: str = "",
        repo_type: str = "model",
        draft: bool = False,
        base: str = "main",
        parent_commit: str | None = None,
    ) -> int:
        """Open a PR with `files` against branch `base` (as `create_commit(create_pr=True)`).

        `draft=True` leaves it in the draft status; with no files the PR is empty.
        """
        if not files:
            with self._changing(repo_id, repo_type) as repo:
                refs.commit_target(repo, base, create_pr=True)
                start = self.resolve(repo, parent_commit or base)
                pr = threads.open_thread(
                    repo,
                    title=title,
                    description=description,
                    author=self.user,
                    event_id=self._event_id(),
                    is_pr=True,
                    draft=draft,
                    base_branch=base.removeprefix("refs/heads/"),
                    base_commit=start.oid,
                )
                repo.pr_heads[pr.num] = start.oid
                return pr.num
        with self.lock:
            result = self.commit(
                repo_id,
                files,
                repo_type=repo_type,
                revision=base,
                message=title,
                description=description,
                parent_commit=parent_commit,
                create_pr=True,
            )
            assert result.pr_num is not None
            if draft:
                with self._changing(repo_id, repo_type) as repo:
                    repo.discussions[result.pr_num].status = "draft"
            return result.pr_num

    def create_discussion(
        self,
        repo_id: str,
        *,
        title: str,
        description: str = "",
        pull_request: bool = False,
        repo_type: str = "model",
    ) -> int:
        """Open a discussion, or (like the Hub's `create_pull_request`) an empty draft PR."""
        title = _title(title)
        if pull_request:
            return self.open_pr(
                repo_id, {}, title=title, description=description, repo_type=repo_type, draft=True
            )
        with self._changing(repo_id, repo_type) as repo:
            return threads.open_thread(
                repo,
                title=title,
                description=description,
                author=self.user,
                event_id=self._event_id(),
            ).num

    # --- reading -----------------------------------------------------------------------------

    def discussion(self, repo: Repo, num: int) -> Discussion:
        """Discussion `num` of a repo (read under the lock)."""
        found = repo.discussions.get(num)
        if found is None:
            raise LocalHubError(f"Discussion #{num} not found in {repo.id}", status=404)
        return found

    def pr_changes(self, repo: Repo, pr: Discussion) -> tuple[Commit, Commit]:
        """(base commit, head commit) of a PR: the diff a merge applies."""
        head = repo.commits[repo.pr_heads[pr.num]]
        base = repo.commits[pr.base_commit or head.oid]
        return base, head

    def conflicts(self, repo: Repo, pr: Discussion) -> list[str]:
        """Files the PR changes that its target branch also changed differently since."""
        if pr.base_branch not in repo.branches or pr.status == "merged":
            return []
        base, head = self.pr_changes(repo, pr)
        target = repo.commits[repo.branches[pr.base_branch]].tree
        conflicting = []
        for path in sorted(set(base.tree) | set(head.tree)):
            before, after = base.tree.get(path), head.tree.get(path)
            if before != after and target.get(path) not in (before, after):
                conflicting.append(path)
        return conflicting

    # --- changing ----------------------------------------------------------------------------

    def comment(
        self, repo_id: str, num: int, text: str, *, repo_type: str = "model"
    ) -> dict[str, Any]:
        """Add a comment; returns the event."""
        if not text.strip():
            raise LocalHubError("a comment must not be empty", status=400)
        with self._changing(repo_id, repo_type) as repo:
            return self._comment(self.discussion(repo, num), text)

    def rename_discussion(
        self, repo_id: str, num: int, title: str, *, repo_type: str = "model"
    ) -> dict[str, Any]:
        """Change a discussion's title; returns the `title-change` event."""
        title = _title(title)
        with self._changing(repo_id, repo_type) as repo:
            discussion = self.discussion(repo, num)
            event = self._event(discussion, "title-change", {"from": discussion.title, "to": title})
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
    ) -> dict[str, Any]:
        """Set `open`, `closed` or `draft` (a maintainer closing or reopening); returns the event.

        `merged` is only reached through `merge_pr`.
        """
        if status not in ("open", "closed", "draft"):
            raise LocalHubError(
                f"invalid status {status!r}: use 'open' or 'closed' (merge with merge_pr)",
                status=400,
            )
        with self._changing(repo_id, repo_type) as repo:
            discussion = self.discussion(repo, num)
            if discussion.status == "merged":
                raise LocalHubError(f"#{num} is merged; its status cannot change", status=400)
            if status == "draft" and not discussion.is_pr:
                raise LocalHubError("only pull requests can be drafts", status=400)
            return self._change_status(discussion, status, comment)

    def merge_pr(
        self, repo_id: str, num: int, *, comment: str | None = None, repo_type: str = "model"
    ) -> str:
        """Merge PR `num` into its target branch: a new commit there, status `merged`.

        Returns the merge commit id. Refuses closed or merged PRs (400) and conflicts (409).
        """
        with self._changing(repo_id, repo_type) as repo:
            pr = self.discussion(repo, num)
            if not pr.is_pr:
                raise LocalHubError(f"#{num} is a discussion, not a pull request", status=400)
            if pr.status in ("closed", "merged"):
                raise LocalHubError(f"pull request #{num} is {pr.status}", status=400)
            if pr.base_branch not in repo.branches:
                raise LocalHubError(f"target branch {pr.base_branch} no longer exists", status=400)
            conflicting = self.conflicts(repo, pr)
            if conflicting:
                raise LocalHubError(
                    f"pull request #{num} has conflicts in: {', '.join(conflicting)}", status=409
                )
            base, head = self.pr_changes(repo, pr)
            target = repo.commits[repo.branches[pr.base_branch]]
            merge = self._new_commit(
                repo,
                parents=(target.oid, head.oid),
                tree=_merged_tree(target.tree, base.tree, head.tree),
                title=pr.title,
                message=f"Merge pull request #{num}",
                author=self.user,
            )
            repo.branches[pr.base_branch] = merge.oid
            pr.merge_commit = merge.oid
            self._change_status(pr, "merged", comment)
            return merge.oid

    # --- events by the storage's user ----------------------------------------------------------

    def _event(self, discussion: Discussion, kind: str, data: dict[str, Any]) -> dict[str, Any]:
        return threads.add_event(discussion, kind, self.user, data, event_id=self._event_id())

    def _comment(self, discussion: Discussion, text: str) -> dict[str, Any]:
        return threads.add_comment(discussion, self.user, text, event_id=self._event_id())

    def _change_status(
        self, discussion: Discussion, status: str, comment: str | None
    ) -> dict[str, Any]:
        # The closing (or merging) comment comes before the status change, as on the Hub.
        if comment:
            self._comment(discussion, comment)
        discussion.status = status
        return self._event(discussion, "status-change", {"status": status})


def _title(title: str) -> str:
    """The stripped title; an empty one is a 400."""
    if not title.strip():
        raise LocalHubError("a discussion needs a title", status=400)
    return title.strip()


def _merged_tree(
    target: Mapping[str, Blob], base: Mapping[str, Blob], head: Mapping[str, Blob]
) -> dict[str, Blob]:
    """The target tree with every path the PR changed (base -> head) set as in the head."""
    tree = dict(target)
    for path in set(base) | set(head):
        after = head.get(path)
        if after is None:
            tree.pop(path, None)
        else:
            tree[path] = after
    return tree
