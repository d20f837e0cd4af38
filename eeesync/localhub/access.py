"""Who is calling and what they may do: accounts per token, organisations, write access, and the
repo a route acts on.

Access model, as on the Hub:

- Each token declared in `LocalHub(accounts=...)` (token → account) acts as that account, with
  the Hub's write rules: the account and the members of an organisation (`orgs=`, org → member
  → role) whose role is `admin` or `write` own the repos in that namespace. Owners create and
  delete repos there, change settings, commit to branches and merge PRs. A PR's or discussion's
  author and the owners may close or reopen it, rename it and push to its `refs/pr/N`;
  everybody else may only open PRs and discussions and comment. A refusal is a 403.
- Any other token, and requests without one, act as `local-user` and may do anything (seed
  scripts and tests create repos in every namespace with one token).
- A token listed in `LocalHub(revoked_tokens=...)` is refused on every route with 401, as the
  Hub answers an invalid or expired token.

Commits, PRs and comments are attributed to the acting account and `whoami` answers with it
(and its organisations). A private repo answers RepoNotFound (401) to requests without a
token; a gated repo answers GatedRepo (403) to downloads (see `file_routes.py`), as the Hub
does for a user who was not approved.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs

from eeesync.errors import LocalHubError
from eeesync.localhub import api, names
from eeesync.localhub.repodata import Discussion, Repo
from eeesync.localhub.storage import DEFAULT_USER, HubState, not_found_repo
from eeesync.localhub.web import Request, RouteParams

#: Roles an organisation member can have on the Hub; the first two may write.
ORG_ROLES = ("admin", "write", "contributor", "read")
WRITE_ROLES = frozenset({"admin", "write"})


@attrs.frozen
class Caller:
    """The account a request acts as, and whether the Hub's write rules apply to it."""

    name: str
    #: False for undeclared tokens and tokenless requests: they may do anything.
    enforced: bool
    #: Organisations the account belongs to → its role there.
    orgs: Mapping[str, str] = attrs.field(factory=dict)

    def owns(self, repo_id: str) -> bool:
        """Whether the account may write to repos in this id's namespace."""
        if not self.enforced:
            return True
        namespace, sep, _ = repo_id.partition("/")
        if not sep:  # a one-segment id (`gpt2`): a legacy repo nobody here owns
            return False
        namespace = namespace.lower()
        if namespace == self.name.lower():
            return True
        return any(o.lower() == namespace and r in WRITE_ROLES for o, r in self.orgs.items())

    def may_moderate(self, repo: Repo, discussion: Discussion) -> bool:
        """Close, reopen, rename or push to a discussion/PR: its author or an owner."""
        return self.owns(repo.id) or discussion.author == self.name


class Access:
    """The state plus the accounts and organisations: what every route handler needs to start."""

    def __init__(
        self,
        state: HubState,
        accounts: Mapping[str, str] | None = None,
        *,
        orgs: Mapping[str, Mapping[str, str]] | None = None,
        default_account: str = DEFAULT_USER,
        revoked_tokens: Iterable[str] = (),
    ) -> None:
        self.state = state
        self.revoked_tokens = frozenset(revoked_tokens)
        self.accounts = check_accounts(accounts or {})
        self.orgs = check_orgs(orgs or {})
        self.default_account = names.check_name_part(default_account, "account name")

    def refuses(self, req: Request) -> LocalHubError | None:
        """The Hub's 401 to a revoked token (None: the token, if any, is accepted)."""
        if req.token is None or req.token not in self.revoked_tokens:
            return None
        return LocalHubError("Invalid credentials in Authorization header", status=401)

    def caller(self, req: Request) -> Caller:
        """Who the request acts as (`default_account`, unrestricted, if the token is unknown)."""
        name = self.accounts.get(req.token or "")
        if name is None:
            return Caller(self.default_account, enforced=False)
        memberships = {org: m[name] for org, m in self.orgs.items() if name in m}
        return Caller(name, enforced=True, orgs=memberships)

    def account(self, req: Request) -> str:
        """The account the request's token acts as (`default_account` if unknown or absent)."""
        return self.caller(req).name

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

    def require_owner(self, req: Request, repo_id: str, doing: str) -> None:
        """Refuse (403) unless the caller may write to `repo_id`'s namespace."""
        caller = self.caller(req)
        if not caller.owns(repo_id):
            raise forbidden(caller.name, doing, repo_id)

    def require_moderator(self, req: Request, repo: Repo, d: Discussion, doing: str) -> None:
        """Refuse (403) unless the caller wrote discussion `d` or owns the repo."""
        caller = self.caller(req)
        if not caller.may_moderate(repo, d):
            raise forbidden(caller.name, doing, f"{repo.id} #{d.num}")


def forbidden(account: str, doing: str, target: str) -> LocalHubError:
    """The Hub's refusal of a write the account has no rights to (huggingface_hub: a 403
    `HfHubHTTPError`)."""
    return LocalHubError(
        f"You don't have the rights to {doing} on {target}: {account} is not its owner "
        "(open a pull request instead)",
        status=403,
    )


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


def check_orgs(orgs: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, str]]:
    """An org → member → role map with valid names and the Hub's roles."""
    checked: dict[str, dict[str, str]] = {}
    for org, members in orgs.items():
        if not isinstance(org, str) or not isinstance(members, Mapping):
            raise LocalHubError(f"organisation {org!r} needs a mapping of member → role")
        names.check_name_part(org, "organisation name")
        checked[org] = {}
        for member, role in members.items():
            if not isinstance(member, str) or role not in ORG_ROLES:
                raise LocalHubError(
                    f"member {member!r} of {org}: the role must be one of {', '.join(ORG_ROLES)}"
                )
            checked[org][names.check_name_part(member, "account name")] = role
    return checked


def repo_url(req: Request, repo_type: str, repo_id: str) -> str:
    """The repo's web URL, which the client parses answers by (`create_repo`, `create_commit`)."""
    return f"{req.base_url}/{api.url_prefix(repo_type)}{repo_id}"
