"""`GET /api/datasets/{id}/leaderboard`: every score reported against a benchmark dataset.

Computed like the Hub's, from the model repos' `.eval_results/*.yaml` files: each valid entry
whose `dataset.id` is the benchmark (any letter case) on a repo's main, and each entry an open
or draft PR adds (files the PR changes, entries not already on main) with its `pullRequest`
number. Items carry what `huggingface_hub.DatasetLeaderboardEntry` parses: `rank`, `modelId`,
`value`, `filename`, `verified` (the entry has a `verifyToken`), `source` (`url`, `name`,
`isExternal`), `author` (the model's namespace, `{"type": "user", "name": …}`), `pullRequest`
and `notes`. There is no task field, as on the Hub. By default (and with `base_model=true`)
models whose card declares a `base_model` are left out, as the Hub's default view does;
`base_model=false` lists every model.

Files are parsed with the client's bounded reader (`eeesync.hub.state.parse_eval_file`): a
hostile file lists nothing and never stops the answer. Parses are kept per blob id.
"""

from __future__ import annotations

import re
import threading
from typing import Any
from urllib.parse import urlsplit

from eeesync.errors import LocalHubError
from eeesync.hub.state import ACTIVE_PR_STATUSES, HubEntry, is_eval_path, parse_eval_file
from eeesync.localhub.access import Access
from eeesync.localhub.repodata import Blob, Commit, Repo
from eeesync.localhub.web import Request, Response, RouteParams, json_response

#: Files larger than this are not parsed (the client's own cap on a stranger's file).
MAX_FILE_BYTES = 1024 * 1024
_BASE_MODEL = re.compile(rb"^base_model\s*:", re.MULTILINE)


class LeaderboardRoutes:
    """The leaderboard handler, with a per-blob cache of parsed entries."""

    def __init__(self, access: Access) -> None:
        self.access = access
        self.state = access.state
        self._parsed: dict[str, tuple[HubEntry, ...]] = {}
        self._cache_lock = threading.Lock()

    def leaderboard(self, req: Request, p: RouteParams) -> Response:
        if p.repo_type != "dataset":
            raise LocalHubError("leaderboards exist for datasets only", status=404)
        flag = (req.param("base_model") or "true").lower()
        base_only = flag not in ("false", "0")
        with self.state.lock:
            dataset = self.access.repo(req, p)
            wanted = dataset.id.lower()
            repos, _ = self.state.list_repos("model", limit=10**9, include_private=req.has_token)
            rows: list[dict[str, Any]] = []
            for repo in repos:
                if base_only and self._declares_base_model(repo.head):
                    continue
                rows.extend(self._rows(repo, wanted))
        rows.sort(key=lambda r: (-r["value"], r["modelId"].lower(), r.get("pullRequest") or 0))
        for rank, row in enumerate(rows, start=1):
            row["rank"] = rank
        return json_response(rows)

    def _rows(self, repo: Repo, wanted: str) -> list[dict[str, Any]]:
        main = repo.head
        rows = []
        on_main: set[tuple[str, str, str, str, float]] = set()
        for path, blob in _eval_files(main):
            for entry in self._entries(blob):
                if entry.dataset_id.lower() == wanted and entry.value is not None:
                    rows.append(_row(repo, path, entry, None))
                    on_main.add(_key(path, entry))
        for num, pr in sorted(repo.discussions.items()):
            if not pr.is_pr or pr.status not in ACTIVE_PR_STATUSES or num not in repo.pr_heads:
                continue
            head = repo.commits[repo.pr_heads[num]]
            for path, blob in _eval_files(head):
                if main.tree.get(path) == blob:
                    continue  # the PR does not change this file
                for entry in self._entries(blob):
                    if entry.dataset_id.lower() != wanted or entry.value is None:
                        continue
                    if _key(path, entry) not in on_main:
                        rows.append(_row(repo, path, entry, num))
        return rows

    def _declares_base_model(self, commit: Commit) -> bool:
        """The model card's YAML front matter names a `base_model` (a derivative model)."""
        blob = commit.tree.get("README.md")
        if blob is None or blob.size > MAX_FILE_BYTES:
            return False
        text = self.state.read_blob(blob.oid)
        if not text.startswith(b"---"):
            return False
        return _BASE_MODEL.search(text[3:].split(b"\n---", 1)[0]) is not None

    def _entries(self, blob: Blob) -> tuple[HubEntry, ...]:
        with self._cache_lock:
            cached = self._parsed.get(blob.oid)
        if cached is not None:
            return cached
        entries: tuple[HubEntry, ...] = ()
        if blob.size <= MAX_FILE_BYTES:
            try:
                entries = parse_eval_file("", self.state.read_blob(blob.oid)).entries
            except Exception:  # a stranger's file lists nothing; the answer goes on
                entries = ()
        with self._cache_lock:
            self._parsed[blob.oid] = entries
        return entries


def _eval_files(commit: Commit) -> list[tuple[str, Blob]]:
    return sorted((path, blob) for path, blob in commit.tree.items() if is_eval_path(path))


def _key(path: str, entry: HubEntry) -> tuple[str, str, str, str, float]:
    return (path, entry.dataset_id.lower(), entry.task_id, entry.notes or "", entry.value or 0.0)


def _row(repo: Repo, path: str, entry: HubEntry, pr_num: int | None) -> dict[str, Any]:
    row: dict[str, Any] = {
        "modelId": repo.id,
        "value": entry.value,
        "filename": path,
        "verified": entry.verified,
        "author": {"type": "user", "name": repo.id.split("/")[0]},
    }
    if entry.source_url:
        source: dict[str, Any] = {
            "url": entry.source_url,
            "isExternal": urlsplit(entry.source_url).hostname != "huggingface.co",
        }
        if entry.source_name:
            source["name"] = entry.source_name
        row["source"] = source
    if pr_num is not None:
        row["pullRequest"] = pr_num
    if entry.notes:
        row["notes"] = entry.notes
    return row
