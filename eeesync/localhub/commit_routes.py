"""Routes for commits: history (`list_repo_commits`), preupload, and the NDJSON commit itself."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from typing import Any

from eeesync.errors import LocalHubError
from eeesync.localhub import api, names
from eeesync.localhub.access import Access, repo_url
from eeesync.localhub.commits import PR_REF
from eeesync.localhub.repodata import Repo
from eeesync.localhub.web import (
    Request,
    Response,
    RouteParams,
    json_response,
    next_link,
    quote_segment,
    str_field,
    take_revision,
)


class CommitRoutes:
    """Handlers for history, preupload and commits."""

    def __init__(self, access: Access) -> None:
        self.access = access
        self.state = access.state
        #: Page size of commit listings (the Hub's is 50).
        self.commits_page_size = 50

    def commits(self, req: Request, p: RouteParams) -> Response:
        revision, _ = take_revision(p.rest)
        page_num = req.int_param("p", 0)
        size = self.commits_page_size
        with self.state.lock:
            repo = self.access.repo(req, p)
            items = api.history(repo, self.state.resolve(repo, revision))
        headers = []
        if (page_num + 1) * size < len(items):
            path = f"api/{repo.type}s/{repo.id}/commits/{quote_segment(revision)}"
            headers.append(next_link(req, path, "p", str(page_num + 1)))
        return json_response(items[page_num * size : (page_num + 1) * size], headers=headers)

    def preupload(self, req: Request, p: RouteParams) -> Response:
        revision, _ = take_revision(p.rest)
        files = req.json().get("files")
        if not isinstance(files, list) or not all(isinstance(f, dict) for f in files):
            raise LocalHubError("preupload body needs 'files': a list of objects", status=400)
        paths = [_path_field(f) for f in files]
        with self.state.lock:
            repo = self.access.repo(req, p)
            tree = self.state.resolve(repo, revision).tree
            answer = [
                {
                    # Regular (non-LFS) uploads only: the commit then carries the content.
                    "path": path,
                    "uploadMode": "regular",
                    "shouldIgnore": False,
                    # An existing blob id lets the client skip files that did not change.
                    "oid": tree[path].oid if path in tree else None,
                }
                for path in paths
            ]
        return json_response({"files": answer})

    def commit(self, req: Request, p: RouteParams) -> Response:
        revision, _ = take_revision(p.rest)
        header, files, folders = _parse_commit_body(req.body)
        summary = str_field(header, "summary") or ""
        description = str_field(header, "description") or ""
        parent = str_field(header, "parentCommit")
        if parent is not None and not re.fullmatch(r"[0-9a-fA-F]{5,40}", parent):
            raise LocalHubError(f"invalid parentCommit {parent!r}", status=400)
        create_pr = req.flag("create_pr")
        with self.state.lock:
            repo = self.access.repo(req, p)
            self._check_may_commit(req, repo, revision, create_pr=create_pr)
            result = self.state.commit(
                repo.id,
                files,
                repo_type=repo.type,
                revision=revision,
                message=summary,
                description=description,
                parent_commit=parent,
                create_pr=create_pr,
                deleted_folders=folders,
                author=self.access.account(req),
            )
        base = repo_url(req, repo.type, repo.id)
        return json_response(
            {
                "success": True,
                "commitOid": result.oid,
                "commitUrl": f"{base}/commit/{result.oid}",
                "pullRequestUrl": f"{base}/discussions/{result.pr_num}" if result.pr_num else None,
            }
        )

    def _check_may_commit(
        self, req: Request, repo: Repo, revision: str, *, create_pr: bool
    ) -> None:
        """Anyone may open a PR; a PR's author and the owners push to its ref; only owners
        commit to a branch."""
        if create_pr:
            return
        match = PR_REF.fullmatch(revision)
        if match and int(match.group(1)) in repo.discussions:
            pr = repo.discussions[int(match.group(1))]
            self.access.require_moderator(req, repo, pr, f"push to {revision}")
        else:
            self.access.require_owner(req, repo.id, f"commit to {revision}")


def _path_field(data: Mapping[str, Any]) -> str:
    return names.check_file_path(str_field(data, "path", required=True) or "")


def _parse_commit_body(body: bytes) -> tuple[dict[str, Any], dict[str, bytes | None], list[str]]:
    """The NDJSON commit payload: header, file additions/deletions, folder deletions."""
    header: dict[str, Any] | None = None
    files: dict[str, bytes | None] = {}
    folders: list[str] = []
    for number, line in enumerate(body.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            key, value = item["key"], item["value"]
            if not isinstance(value, dict):
                raise TypeError("value must be an object")
        except (ValueError, KeyError, TypeError) as exc:
            raise LocalHubError(f"invalid commit payload line {number}: {exc}", status=400) from exc
        if key == "header":
            header = value
        elif key == "file":
            path = _path_field(value)
            content = str_field(value, "content", required=True) or ""
            if value.get("encoding", "base64") == "base64":
                try:
                    files[path] = base64.b64decode(content, validate=True)
                except binascii.Error as exc:
                    raise LocalHubError(f"invalid base64 content for {path}", status=400) from exc
            else:
                files[path] = content.encode()
        elif key == "deletedFile":
            files[_path_field(value)] = None
        elif key == "deletedFolder":
            folders.append(str_field(value, "path", required=True) or "")
        elif key == "lfsFile":
            raise LocalHubError(
                "LFS files are not supported by the local Hub (preupload always answers "
                "'regular', so the client sends content inline)",
                status=400,
            )
        else:
            raise LocalHubError(f"unknown commit operation {key!r} on line {number}", status=400)
    if header is None:
        raise LocalHubError("commit payload has no header line", status=400)
    return header, files, folders
