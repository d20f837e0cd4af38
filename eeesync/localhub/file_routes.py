"""Routes for files in a repo: tree listings, paths-info and downloads (`resolve`, with ranges)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs

from eeesync.errors import LocalHubError
from eeesync.localhub import api, names
from eeesync.localhub.access import Access
from eeesync.localhub.web import (
    Request,
    Response,
    RouteParams,
    error_response,
    json_response,
    next_link,
    quote_segment,
    take_revision,
)


class FileRoutes:
    """Handlers for tree listings, paths-info and downloads."""

    def __init__(self, access: Access) -> None:
        self.access = access
        self.state = access.state
        #: Page size of tree listings (the Hub's is 1000).
        self.tree_page_size = 1000

    def tree(self, req: Request, p: RouteParams) -> Response:
        revision, path_parts = take_revision(p.rest)
        folder = names.check_folder_path("/".join(path_parts))
        offset = req.int_param("cursor", 0)
        with self.state.lock:
            repo = self.access.repo(req, p)
            commit = self.state.resolve(repo, revision)
            entries = api.tree(commit, folder, recursive=req.flag("recursive"))
        page = entries[offset : offset + self.tree_page_size]
        headers = []
        if offset + self.tree_page_size < len(entries):
            parts = ["api", f"{repo.type}s", *repo.id.split("/"), "tree", revision]
            path = "/".join(quote_segment(p) for p in parts)
            if folder:
                path += "/" + quote_segment(folder)
            headers.append(next_link(req, path, "cursor", str(offset + self.tree_page_size)))
        return json_response(page, headers=headers)

    def paths_info(self, req: Request, p: RouteParams) -> Response:
        revision, extra = take_revision(p.rest)
        if extra:
            raise LocalHubError(f"unexpected path after revision: {'/'.join(extra)}")
        form = parse_qs(req.body.decode("utf-8", "replace"))
        paths = [names.check_folder_path(path) for path in form.get("paths", [])]
        with self.state.lock:
            repo = self.access.repo(req, p)
            commit = self.state.resolve(repo, revision)
            return json_response(api.paths_info(commit, [path for path in paths if path]))

    def resolve(self, req: Request, p: RouteParams) -> Response:
        revision, path_parts = take_revision(p.rest)
        path = names.check_file_path("/".join(path_parts))
        with self.state.lock:
            repo = self.access.repo(req, p)
            commit = self.state.resolve(repo, revision)
            if repo.gated:
                raise LocalHubError(
                    f"Access to {repo.type} {repo.id} is restricted: you must be approved to "
                    "access it (gated repo)",
                    status=403,
                    code="GatedRepo",
                )
            blob = commit.tree.get(path)
        commit_header = ("X-Repo-Commit", commit.oid)
        if blob is None:
            resp = error_response(
                LocalHubError(
                    f"Entry not found: {path} at revision {commit.oid}",
                    status=404,
                    code="EntryNotFound",
                )
            )
            resp.headers.append(commit_header)
            return resp
        headers = [commit_header, ("ETag", f'"{blob.oid}"'), ("Accept-Ranges", "bytes")]
        if req.method == "HEAD":
            headers.append(("Content-Length", str(blob.size)))
            return Response(headers=headers, content_type="application/octet-stream")
        data = self.state.read_blob(blob.oid)
        status, data = _apply_range(req.headers.get("range"), data, headers)
        return Response(
            status=status, body=data, headers=headers, content_type="application/octet-stream"
        )


def _apply_range(
    header: str | None, data: bytes, headers: list[tuple[str, str]]
) -> tuple[int, bytes]:
    """Honour a single `Range: bytes=A-[B]` (resumed downloads); anything else gets 200."""
    match = re.fullmatch(r"bytes=(\d+)-(\d*)", (header or "").strip())
    if not match:
        return 200, data
    start = int(match.group(1))
    end = int(match.group(2)) if match.group(2) else len(data) - 1
    if start >= len(data) or end < start:
        headers.append(("Content-Range", f"bytes */{len(data)}"))
        return 416, b""
    end = min(end, len(data) - 1)
    headers.append(("Content-Range", f"bytes {start}-{end}/{len(data)}"))
    return 206, data[start : end + 1]
