"""Which repo a route acts on, and whether the caller may see it: the base of the route classes.

Access model: any token (or none) is accepted. A private repo answers RepoNotFound (401) to
requests without a token; a gated repo answers GatedRepo (403) to downloads (see
`file_routes.py`), as the Hub does for a user who was not approved.
"""

from __future__ import annotations

from eeesync.localhub import api, names
from eeesync.localhub.model import Repo
from eeesync.localhub.storage import Storage, not_found_repo
from eeesync.localhub.web import Request


class RouteBase:
    """Route handlers share one `Storage`; the route modules each add a group of handlers."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    def _repo(self, req: Request, repo_type: str, ns: str, name: str) -> Repo:
        """The repo (case-insensitive lookup); call with the storage lock held."""
        names.check_name_part(ns, "namespace")
        names.check_name_part(name, "repo name")
        repo_id = f"{ns}/{name}"
        repo = self.storage.repo(repo_id, repo_type)
        if repo.private and not req.has_token:
            exc = not_found_repo(repo_type, repo_id)
            exc.status = 401
            raise exc
        return repo


def repo_url(req: Request, repo_type: str, repo_id: str) -> str:
    """The repo's web URL, which the client parses answers by (`create_repo`, `create_commit`)."""
    return f"{req.base_url}/{api.url_prefix(repo_type)}{repo_id}"
