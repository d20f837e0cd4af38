"""Who is calling and what they may see: accounts per token, and the repo a route acts on.

Access model: any token (or none) is accepted. Each token acts as an account, named by the
token → account map given to `LocalHub(accounts=...)`; unknown tokens and requests without a token
act as `local-user`. Commits, PRs and comments are attributed to that account and `whoami`
answers with it. A private repo answers RepoNotFound (401) to requests without a token; a gated
repo answers GatedRepo (403) to downloads (see `file_routes.py`), as the Hub does for a user who
was not approved.
"""

from __future__ import annotations

from collections.abc import Mapping

from eeesync.errors import LocalHubError
from eeesync.localhub import api, names
from eeesync.localhub.repodata import Repo
from eeesync.localhub.storage import DEFAULT_USER, HubState, not_found_repo
from eeesync.localhub.web import Request, RouteParams


class Access:
    """The state plus the token → account map: what every route handler needs to start."""

    def __init__(
        self,
        state: HubState,
        accounts: Mapping[str, str] | None = None,
        *,
        default_account: str = DEFAULT_USER,
    ) -> None:
        self.state = state
        self.accounts = check_accounts(accounts or {})
        self.default_account = names.check_name_part(default_account, "account name")

    def account(self, req: Request) -> str:
        """The account the request's token acts as (`default_account` if unknown or absent)."""
        return self.accounts.get(req.token or "", self.default_account)

    def repo(self, req: Request, p: RouteParams) -> Repo:
        """The repo a route names (case-insensitive lookup); call with the state lock held."""
        names.check_repo_type(p.repo_type)
        names.check_repo_id(p.repo_id)
        repo = self.state.repo(p.repo_id, p.repo_type)
        if repo.private and not req.has_token:
            exc = not_found_repo(p.repo_type, p.repo_id)
            exc.status = 401
            raise exc
        return repo


def check_accounts(accounts: Mapping[str, str]) -> dict[str, str]:
    """A token → account map with non-empty tokens and valid account names (they are namespaces)."""
    checked: dict[str, str] = {}
    for token, account in accounts.items():
        if not isinstance(token, str) or not token.strip() or token != token.strip():
            raise LocalHubError("account tokens must be non-empty strings without spaces")
        if not isinstance(account, str):
            raise LocalHubError(f"account name {account!r} must be a string")
        checked[token] = names.check_name_part(account, "account name")
    return checked


def repo_url(req: Request, repo_type: str, repo_id: str) -> str:
    """The repo's web URL, which the client parses answers by (`create_repo`, `create_commit`)."""
    return f"{req.base_url}/{api.url_prefix(repo_type)}{repo_id}"
