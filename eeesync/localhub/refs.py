"""Revisions of a repo: what a branch, `refs/pr/N` or a commit id names, and where commits go.

Pure functions over a `Repo`; callers hold `storage.lock`.
"""

from __future__ import annotations

import re

from eeesync.errors import LocalHubError
from eeesync.localhub.model import Commit, Repo

_PR_REF = re.compile(r"refs/pr/(\d+)")
_HEX = re.compile(r"[0-9a-f]{7,40}")


def resolve(repo: Repo, revision: str) -> Commit:
    """A branch (`main`, `refs/heads/main`), `refs/pr/N`, or a (prefix of a) commit id."""
    oid = repo.branches.get(revision.removeprefix("refs/heads/"))
    if oid is None and (match := _PR_REF.fullmatch(revision)):
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
    match = _PR_REF.fullmatch(revision)
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
