"""Commits: file changes applied to a tree and written to a branch, an open PR or a new PR; PRs
opened with files, merged, and checked for conflicts; what a revision names.

`CommitStore` works on repos found through a `RepoStore`, stores file contents in the `BlobStore`
and opens PR threads through the `DiscussionStore`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import NamedTuple

from eeesync.errors import LocalHubError
from eeesync.localhub import names
from eeesync.localhub.blobs import BlobStore
from eeesync.localhub.discussions import DiscussionStore
from eeesync.localhub.repodata import Blob, Commit, Discussion, Repo
from eeesync.localhub.repos import DEFAULT_USER, RepoStore

PR_REF = re.compile(r"refs/pr/(\d+)")
_HEX = re.compile(r"[0-9a-f]{7,40}")


class CommitResult(NamedTuple):
    """What a commit produced: the new commit id and, for `create_pr`, the PR number."""

    oid: str
    pr_num: int | None


class CommitStore:
    """Revisions, commits and pull requests' content in the repos of `repos`."""

    def __init__(self, repos: RepoStore, blobs: BlobStore, discussions: DiscussionStore) -> None:
        self.repos = repos
        self.blobs = blobs
        self.discussions = discussions

    def resolve(self, repo: Repo, revision: str) -> Commit:
        """The commit a branch, `refs/pr/N` or (prefix of a) commit id names (see `resolve`)."""
        return resolve(repo, revision)

    def commit(
        self,
        repo_id: str,
        files: Mapping[str, bytes | None],
        *,
        repo_type: str = "model",
        revision: str = "main",
        message: str = "Upload files",
        description: str = "",
        parent_commit: str | None = None,
        create_pr: bool = False,
        deleted_folders: Iterable[str] = (),
        author: str = DEFAULT_USER,
    ) -> CommitResult:
        """Commit `files` (path -> bytes, or None to delete) to a branch or `refs/pr/N`.

        With `create_pr`, open PR N (numbered with the discussions) on `refs/pr/N`, based on
        `parent_commit` or the branch head; the description becomes its first comment. Without
        it, a `parent_commit` that is not the head is refused with 412 (the branch moved).
        """
        if not message.strip():
            raise LocalHubError("commit message must not be empty", status=400)
        for path in files:
            names.check_file_path(path)
        folders = [names.check_file_path(p.rstrip("/")) for p in deleted_folders]
        with self.repos.changing(repo_id, repo_type) as repo:
            target = commit_target(repo, revision, create_pr=create_pr)
            if create_pr and repo.discussions_disabled:
                raise LocalHubError("Discussions are disabled for this repo", status=403)
            head = resolve(repo, revision)
            base = head
            if parent_commit is not None:
                if create_pr:
                    base = resolve(repo, parent_commit)
                elif not head.oid.startswith(parent_commit.lower()):
                    raise LocalHubError(
                        f"A commit has happened since. Please refresh and try again: "
                        f"parent commit {parent_commit} is not the head of {revision} ({head.oid})",
                        status=412,
                    )
            tree = apply_changes(base.tree, files, folders, write_blob=self.blobs.write)
            commit = self.repos.new_commit(
                repo,
                parents=(base.oid,),
                tree=tree,
                title=message.strip(),
                message=description,
                author=author,
            )
            pr_num: int | None = None
            if create_pr:
                pr_num = self.discussions.open_thread(
                    repo,
                    title=message.strip(),
                    description=description,
                    author=author,
                    is_pr=True,
                    base_branch=str(target),
                    base_commit=base.oid,
                ).num
            elif isinstance(target, int):
                pr_num = target
            else:
                repo.branches[target] = commit.oid
            if pr_num is not None:
                repo.pr_heads[pr_num] = commit.oid
                self.discussions.add_event(
                    repo.discussions[pr_num],
                    "commit",
                    author,
                    {"subject": commit.title, "oid": commit.oid},
                )
            return CommitResult(commit.oid, pr_num)

    # --- pull requests -------------------------------------------------------------------------

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
        author: str = DEFAULT_USER,
    ) -> int:
        """Open a PR with `files` against branch `base` (as `create_commit(create_pr=True)`).

        `draft=True` leaves it in the draft status; with no files the PR is empty.
        """
        if not files:
            with self.repos.changing(repo_id, repo_type) as repo:
                commit_target(repo, base, create_pr=True)
                start = resolve(repo, parent_commit or base)
                pr = self.discussions.open_thread(
                    repo,
                    title=title,
                    description=description,
                    author=author,
                    is_pr=True,
                    draft=draft,
                    base_branch=base.removeprefix("refs/heads/"),
                    base_commit=start.oid,
                )
                repo.pr_heads[pr.num] = start.oid
                return pr.num
        with self.repos.lock:
            result = self.commit(
                repo_id,
                files,
                repo_type=repo_type,
                revision=base,
                message=title,
                description=description,
                parent_commit=parent_commit,
                create_pr=True,
                author=author,
            )
            assert result.pr_num is not None
            if draft:
                with self.repos.changing(repo_id, repo_type) as repo:
                    repo.discussions[result.pr_num].status = "draft"
            return result.pr_num

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

    def merge_pr(
        self,
        repo_id: str,
        num: int,
        *,
        comment: str | None = None,
        repo_type: str = "model",
        author: str = DEFAULT_USER,
    ) -> str:
        """Merge PR `num` into its target branch: a new commit there, status `merged`.

        Returns the merge commit id. Refuses closed or merged PRs (400) and conflicts (409).
        """
        with self.repos.changing(repo_id, repo_type) as repo:
            pr = self.discussions.discussion(repo, num)
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
            merge = self.repos.new_commit(
                repo,
                parents=(target.oid, head.oid),
                tree=_merged_tree(target.tree, base.tree, head.tree),
                title=pr.title,
                message=f"Merge pull request #{num}",
                author=author,
            )
            repo.branches[pr.base_branch] = merge.oid
            pr.merge_commit = merge.oid
            self.discussions.change_status(pr, "merged", comment, author)
            return merge.oid


# --- revisions (pure functions over a `Repo`; callers hold the lock) ------------------------------


def resolve(repo: Repo, revision: str) -> Commit:
    """A branch (`main`, `refs/heads/main`), `refs/pr/N`, or a (prefix of a) commit id."""
    oid = repo.branches.get(revision.removeprefix("refs/heads/"))
    if oid is None and (match := PR_REF.fullmatch(revision)):
        oid = repo.pr_heads.get(int(match.group(1)))
    if oid is None and _HEX.fullmatch(revision):
        if revision in repo.commits:
            oid = revision
        else:
            matches = [c for c in repo.commits if c.startswith(revision)]
            oid = matches[0] if len(matches) == 1 else None
    if oid is None:
        raise LocalHubError(
            f"Invalid rev id: {revision} (no such branch, PR ref or commit in {repo.id})",
            status=404,
            code="RevisionNotFound",
        )
    return repo.commits[oid]


def commit_target(repo: Repo, revision: str, *, create_pr: bool) -> str | int:
    """Where a commit to `revision` lands: a branch name, or the number of an open PR.

    Commit ids are not targets (git pushes to refs), and PRs target branches, not other PRs.
    """
    branch = revision.removeprefix("refs/heads/")
    if branch in repo.branches:
        return branch
    match = PR_REF.fullmatch(revision)
    if match and int(match.group(1)) in repo.pr_heads:
        num = int(match.group(1))
        if create_pr:
            raise LocalHubError(
                f"cannot open a PR against {revision}: PRs target a branch", status=400
            )
        status = repo.discussions[num].status
        if status in ("merged", "closed"):
            raise LocalHubError(
                f"cannot push to {revision}: pull request #{num} is {status}", status=400
            )
        return num
    raise LocalHubError(
        f"Invalid rev id: {revision} is not a branch or an open PR ref of {repo.id}",
        status=404,
        code="RevisionNotFound",
    )


# --- trees -----------------------------------------------------------------------------------


def apply_changes(
    base: Mapping[str, Blob],
    files: Mapping[str, bytes | None],
    deleted_folders: Iterable[str],
    *,
    write_blob: Callable[[bytes], Blob],
) -> dict[str, Blob]:
    """The tree after deleting `deleted_folders` and the `None` files, then adding the rest.

    Deleting what does not exist is EntryNotFound (404), as on the Hub.
    """
    tree = dict(base)
    for folder in deleted_folders:
        prefix = folder + "/"
        doomed = [p for p in tree if p.startswith(prefix)]
        if not doomed:
            raise LocalHubError(
                f"A folder with this name doesn't exist: {folder}",
                status=404,
                code="EntryNotFound",
            )
        for p in doomed:
            del tree[p]
    for path, data in files.items():
        if data is None:
            if path not in tree:
                raise LocalHubError(
                    f"A file with this name doesn't exist: {path}",
                    status=404,
                    code="EntryNotFound",
                )
            del tree[path]
    for path, data in files.items():
        if data is None:
            continue
        # git cannot hold a file and a folder of the same name.
        parts = path.split("/")
        for i in range(1, len(parts)):
            if "/".join(parts[:i]) in tree:
                raise LocalHubError(
                    f"cannot add {path}: {'/'.join(parts[:i])} is a file", status=400
                )
        if path not in tree and any(p.startswith(path + "/") for p in tree):
            raise LocalHubError(f"cannot add {path}: it is a folder", status=400)
        tree[path] = write_blob(data)
    return tree


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
