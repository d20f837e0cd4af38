"""Commits: file changes applied to a tree and written to a branch, an open PR or a new PR.

`CommitStore` adds `commit` (and `resolve`, from `refs.py`) to `RepoStore`; it is the base of
the discussion and PR methods in `discussions.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import NamedTuple

from eeesync.errors import LocalHubError
from eeesync.localhub import names, refs, threads
from eeesync.localhub.model import Blob
from eeesync.localhub.repos import RepoStore


class CommitResult(NamedTuple):
    """What a commit produced: the new commit id and, for `create_pr`, the PR number."""

    oid: str
    pr_num: int | None


class CommitStore(RepoStore):
    """`RepoStore` plus revisions and commits."""

    resolve = staticmethod(refs.resolve)

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
        author: str | None = None,
    ) -> CommitResult:
        """Commit `files` (path -> bytes, or None to delete) to a branch or `refs/pr/N`.

        With `create_pr`, open PR N (numbered with the discussions) on `refs/pr/N`, based on
        `parent_commit` or the branch head; the description becomes its first comment. Without
        it, a `parent_commit` that is not the head is refused with 412 (the branch moved).
        """
        author = author or self.user
        if not message.strip():
            raise LocalHubError("commit message must not be empty", status=400)
        for path in files:
            names.check_file_path(path)
        folders = [names.check_file_path(p.rstrip("/")) for p in deleted_folders]
        with self._changing(repo_id, repo_type) as repo:
            target = refs.commit_target(repo, revision, create_pr=create_pr)
            head = self.resolve(repo, revision)
            base = head
            if parent_commit is not None:
                if create_pr:
                    base = self.resolve(repo, parent_commit)
                elif not head.oid.startswith(parent_commit.lower()):
                    raise LocalHubError(
                        f"A commit has happened since. Please refresh and try again: "
                        f"parent commit {parent_commit} is not the head of {revision} ({head.oid})",
                        status=412,
                    )
            tree = apply_changes(base.tree, files, folders, write_blob=self.write_blob)
            commit = self._new_commit(
                repo,
                parents=(base.oid,),
                tree=tree,
                title=message.strip(),
                message=description,
                author=author,
            )
            pr_num: int | None = None
            if create_pr:
                pr_num = threads.open_thread(
                    repo,
                    title=message.strip(),
                    description=description,
                    author=author,
                    event_id=self._event_id(),
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
                threads.add_event(
                    repo.discussions[pr_num],
                    "commit",
                    author,
                    {"subject": commit.title, "oid": commit.oid},
                    event_id=self._event_id(),
                )
            return CommitResult(commit.oid, pr_num)


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
