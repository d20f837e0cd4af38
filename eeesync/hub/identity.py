"""Who the token is on the Hub (`whoami`): the account that plans and writes, and the
namespaces it owns (its own, and its organisations' where its role may write).

Only the account's *name* and organisation names are kept: they go into plans and journals,
the token never does.
"""

from __future__ import annotations

from typing import Any

import attrs

from eeesync.errors import TokenRejectedError
from eeesync.hub.client import Hub, is_rehearsal_endpoint

#: Stands in for a missing token when asking a local Hub who we are: it answers tokenless
#: requests as its default account, which is who a tokenless apply's writes are attributed to.
LOCAL_PROBE_TOKEN = "eeesync-local-whoami"
#: Organisation roles that may commit to the organisation's repos (`whoami` → `roleInOrg`).
WRITE_ROLES = frozenset({"admin", "write"})


@attrs.frozen
class Identity:
    """The token's account and the organisations it may write to."""

    name: str
    write_orgs: tuple[str, ...] = ()

    def owns(self, repo_id: str) -> bool:
        """Whether the account or one of its writable organisations owns `repo_id`."""
        namespace, sep, _ = repo_id.partition("/")
        if not sep:  # one-segment legacy ids (`gpt2`) belong to nobody we can be
            return False
        namespace = namespace.lower()
        return namespace == self.name.lower() or namespace in {o.lower() for o in self.write_orgs}


def whoami(hub: Hub) -> Identity | None:
    """The token's identity (None: no token, or the Hub does not say).

    Without a token a local Hub is asked with a stand-in, so its default account (the one a
    tokenless write is attributed to) is known. A token the Hub refuses (401/403) raises
    `TokenRejectedError` at once: every later request would be refused too.
    """
    token = hub.api.token if isinstance(hub.api.token, str) else None
    if not token and is_rehearsal_endpoint(hub.url):
        token = LOCAL_PROBE_TOKEN
    try:
        answer = hub.whoami(token=token or None)
    except TokenRejectedError:
        raise
    except Exception:  # no token, or the Hub does not say: nothing can be proven ours
        return None
    return identity_of(answer)


def identity_of(answer: Any) -> Identity | None:
    """An `Identity` from a `whoami` answer (untrusted: anything malformed is None or left out)."""
    name = answer.get("name") if isinstance(answer, dict) else None
    if not isinstance(name, str) or not name:
        return None
    orgs = answer.get("orgs")
    writable = sorted(
        {
            org["name"]
            for org in (orgs if isinstance(orgs, list) else [])
            if isinstance(org, dict)
            and isinstance(org.get("name"), str)
            and org.get("roleInOrg") in WRITE_ROLES
        }
    )
    return Identity(name, tuple(writable))
