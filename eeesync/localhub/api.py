"""Renders state objects in the JSON shapes of the Hub's HTTP API (what huggingface_hub parses),
including the raw `git diff` text of a PR's details.

Pure functions over live `Repo` objects; callers hold `storage.lock`. Field names follow the
Hub (camelCase); each shape is the one huggingface_hub's client method parses (the tests under
tests/localhub/ call those methods).
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from eeesync.errors import LocalHubError
from eeesync.localhub import evalresults
from eeesync.localhub.repodata import Blob, Commit, Discussion, Repo
from eeesync.localhub.storage import HubState

#: Properties `expand=` may ask for (the Hub knows more; asking for those is a 400 here).
EXPANDABLE = frozenset(
    {
        "author",
        "cardData",
        "createdAt",
        "disabled",
        "downloads",
        "downloadsAllTime",
        "evalResults",
        "gated",
        "lastModified",
        "likes",
        "private",
        "sha",
        "siblings",
        "tags",
        "trendingScore",
        "usedStorage",
    }
)


def url_prefix(repo_type: str) -> str:
    """The path prefix of a repo's web URLs: none for models, `datasets/` for datasets."""
    return "" if repo_type == "model" else f"{repo_type}s/"


def check_expand(expand: Iterable[str]) -> list[str]:
    wanted = list(dict.fromkeys(expand))
    unknown = [e for e in wanted if e not in EXPANDABLE]
    if unknown:
        raise LocalHubError(
            f"unsupported expand value(s) {unknown}; the local Hub supports {sorted(EXPANDABLE)}",
            status=400,
        )
    return wanted


def _siblings(commit: Commit, *, blobs: bool) -> list[dict[str, Any]]:
    if blobs:
        return [
            {"rfilename": path, "blobId": blob.oid, "size": blob.size}
            for path, blob in sorted(commit.tree.items())
        ]
    return [{"rfilename": path} for path in sorted(commit.tree)]


def _property(storage: HubState, repo: Repo, commit: Commit, name: str, blobs: bool) -> Any:
    if name == "sha":
        return commit.oid
    if name == "siblings":
        return _siblings(commit, blobs=blobs)
    if name == "lastModified":
        return commit.date
    if name == "createdAt":
        return repo.created_at
    if name == "private":
        return repo.private
    if name == "gated":
        return repo.gated
    if name == "author":
        return repo.id.split("/")[0]
    if name == "disabled":
        return False
    if name in ("downloads", "downloadsAllTime", "likes", "trendingScore"):
        return 0
    if name == "tags":
        return repo.tags
    if name == "cardData":
        return None
    if name == "usedStorage":
        return sum(b.size for b in commit.tree.values())
    if name == "evalResults":
        pairs = ((path, blob.oid) for path, blob in commit.tree.items())
        return evalresults.eval_results(pairs, storage.read_blob)
    raise AssertionError(name)  # guarded by check_expand


_DEFAULT_INFO = (
    "author",
    "sha",
    "lastModified",
    "createdAt",
    "private",
    "gated",
    "disabled",
    "downloads",
    "likes",
    "tags",
    "siblings",
    "usedStorage",
)


def repo_info(
    storage: HubState, repo: Repo, commit: Commit, *, expand: list[str], blobs: bool
) -> dict[str, Any]:
    """`GET /api/{t}s/{id}[/revision/{rev}]`: everything by default, only `expand` if given.

    `evalResults` is only computed when asked for: the Hub does the same (it is costly).
    """
    info: dict[str, Any] = {"_id": repo.key[1], "id": repo.id}
    if repo.type == "model":
        info["modelId"] = repo.id
    for name in expand or _DEFAULT_INFO:
        info[name] = _property(storage, repo, commit, name, blobs)
    return info


_DEFAULT_LIST = {
    "model": ("author", "private", "createdAt", "downloads", "likes", "tags"),
    # The Hub's dataset listing says a little more by default than its model listing.
    "dataset": (
        "author",
        "sha",
        "lastModified",
        "private",
        "gated",
        "disabled",
        "createdAt",
        "downloads",
        "likes",
        "tags",
    ),
}


def list_item(storage: HubState, repo: Repo, expand: list[str]) -> dict[str, Any]:
    """One entry of `GET /api/models` or `/api/datasets`: a short summary, or the `expand` set."""
    head = repo.head
    item: dict[str, Any] = {"_id": repo.key[1], "id": repo.id}
    for name in expand or _DEFAULT_LIST[repo.type]:
        item[name] = _property(storage, repo, head, name, blobs=False)
    if repo.type == "model" and not expand:
        item["modelId"] = repo.id
    return item


def _entries(commit: Commit, paths: Iterable[str]) -> list[dict[str, Any]]:
    """The tree entries of `paths` (files, and folders with an oid over every file under
    them), in the order given. One pass over the commit's files hashes every folder at once:
    a folder hashed by its own scan made a listing of a large collection quadratic."""
    paths = list(paths)
    folders = {p: hashlib.sha1(usedforsecurity=False) for p in paths if p not in commit.tree}
    for path in sorted(commit.tree):
        parts = path.split("/")
        line = f"{path}\0{commit.tree[path].oid}\0".encode()
        for depth in range(1, len(parts)):
            digest = folders.get("/".join(parts[:depth]))
            if digest is not None:
                digest.update(line)
    return [
        {"type": "directory", "oid": folders[p].hexdigest(), "size": 0, "path": p}
        if p in folders
        else {"type": "file", "oid": commit.tree[p].oid, "size": commit.tree[p].size, "path": p}
        for p in paths
    ]


def tree(commit: Commit, folder: str, *, recursive: bool) -> list[dict[str, Any]]:
    """`list_repo_tree`: entries under `folder` ("" = root); a missing folder is EntryNotFound."""
    prefix = f"{folder}/" if folder else ""
    paths: set[str] = set()
    for path in commit.tree:
        if not path.startswith(prefix):
            continue
        rest = path[len(prefix) :].split("/")
        depth = len(rest) if recursive else 1
        for i in range(1, min(depth, len(rest)) + 1):
            paths.add(prefix + "/".join(rest[:i]))
    if folder and not paths:
        kind = "is a file, not a folder" if folder in commit.tree else "does not exist"
        raise LocalHubError(
            f"{folder} {kind} at revision {commit.oid}", status=404, code="EntryNotFound"
        )
    return _entries(commit, sorted(paths))


def paths_info(commit: Commit, paths: Iterable[str]) -> list[dict[str, Any]]:
    """`get_paths_info`: the entries that exist among `paths` (missing ones are left out)."""
    wanted = dict.fromkeys(p.strip("/") for p in paths)
    folders = {"/".join(p.split("/")[:i]) for p in commit.tree for i in range(1, p.count("/") + 1)}
    return _entries(commit, [p for p in wanted if p in commit.tree or p in folders])


def refs(repo: Repo, *, include_prs: bool) -> dict[str, Any]:
    """`list_repo_refs`: branches, no tags or converts, and PR refs when asked."""
    out: dict[str, Any] = {
        "branches": [
            {"name": name, "ref": f"refs/heads/{name}", "targetCommit": oid}
            for name, oid in sorted(repo.branches.items())
        ],
        "converts": [],
        "tags": [],
    }
    if include_prs:
        out["pullRequests"] = [
            {"name": f"refs/pr/{num}", "ref": f"refs/pr/{num}", "targetCommit": oid}
            for num, oid in sorted(repo.pr_heads.items())
        ]
    return out


def history(repo: Repo, commit: Commit) -> list[dict[str, Any]]:
    """`list_repo_commits`: the first-parent chain from `commit`, newest first."""
    out = []
    current: Commit | None = commit
    while current is not None:
        out.append(
            {
                "id": current.oid,
                "authors": [{"user": current.author}],
                "date": current.date,
                "title": current.title,
                "message": current.message,
            }
        )
        current = repo.commits[current.parents[0]] if current.parents else None
    return out


def discussion(repo: Repo, d: Discussion) -> dict[str, Any]:
    """One entry of `get_repo_discussions`."""
    return {
        "num": d.num,
        "title": d.title,
        "status": d.status,
        "isPullRequest": d.is_pr,
        "createdAt": d.created_at,
        "author": {"name": d.author, "type": "user"},
        "repo": {"name": repo.id, "type": repo.type},
        "pinned": False,
        "numComments": d.num_comments,
        "topReactions": [],
    }


def discussion_details(
    storage: HubState, repo: Repo, d: Discussion, *, with_diff: bool
) -> dict[str, Any]:
    """`get_discussion_details`: the summary plus events, and for PRs the changes and diff."""
    out = discussion(repo, d)
    out["events"] = d.events
    if d.is_pr:
        base, head = storage.pr_changes(repo, d)
        changes: dict[str, Any] = {"base": f"refs/heads/{d.base_branch}", "headCommit": head.oid}
        if d.merge_commit:
            changes["mergeCommitId"] = d.merge_commit
        out["changes"] = changes
        out["filesWithConflicts"] = storage.conflicts(repo, d)
        if with_diff:
            out["diff"] = tree_diff(base.tree, head.tree, storage.read_blob)
    return out


# --- diffs ---------------------------------------------------------------------------------------


def _lines(data: bytes) -> list[str] | None:
    """Text lines, or None for binary content (git prints "Binary files differ")."""
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8").splitlines(keepends=True)
    except UnicodeDecodeError:
        return None


def tree_diff(
    old: Mapping[str, Blob], new: Mapping[str, Blob], read: Callable[[str], bytes]
) -> str:
    """A `git diff` of every path that differs between two trees, sorted by path."""
    out: list[str] = []
    for path in sorted(set(old) | set(new)):
        before, after = old.get(path), new.get(path)
        if before == after:
            continue
        out.append(f"diff --git a/{path} b/{path}\n")
        if before is None:
            out.append("new file mode 100644\n")
        elif after is None:
            out.append("deleted file mode 100644\n")
        old_oid = before.oid[:7] if before else "0000000"
        new_oid = after.oid[:7] if after else "0000000"
        out.append(f"index {old_oid}..{new_oid}" + (" 100644\n" if before and after else "\n"))
        old_lines = _lines(read(before.oid)) if before else []
        new_lines = _lines(read(after.oid)) if after else []
        if old_lines is None or new_lines is None:
            out.append(f"Binary files a/{path} and b/{path} differ\n")
            continue
        body = difflib.unified_diff(
            old_lines,
            new_lines,
            fromfile=f"a/{path}" if before else "/dev/null",
            tofile=f"b/{path}" if after else "/dev/null",
        )
        for line in body:
            out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)
