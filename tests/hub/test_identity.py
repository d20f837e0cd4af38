"""`whoami` → the account that plans and applies, and the namespaces it owns."""

from __future__ import annotations

from typing import Any

import pytest

from eeesync.hub.identity import Identity, identity_of


def test_owned_namespaces_are_the_account_and_its_writable_organisations() -> None:
    answer = {
        "name": "alice",
        "orgs": [
            {"name": "acme", "roleInOrg": "admin"},
            {"name": "Beta", "roleInOrg": "write"},
            {"name": "readers", "roleInOrg": "read"},
            {"name": "helpers", "roleInOrg": "contributor"},
        ],
    }
    me = identity_of(answer)
    assert me == Identity("alice", ("Beta", "acme"))
    assert me.owns("alice/model") and me.owns("ACME/model") and me.owns("beta/x")
    assert not me.owns("readers/model") and not me.owns("helpers/model")
    assert not me.owns("gpt2")  # a one-segment legacy id belongs to no namespace


@pytest.mark.parametrize(
    "answer",
    [None, [], {}, {"name": ""}, {"name": 3}, "alice"],
)
def test_an_answer_without_a_name_is_no_identity(answer: Any) -> None:
    assert identity_of(answer) is None


def test_malformed_organisations_are_left_out() -> None:
    answer = {"name": "bob", "orgs": [None, "acme", {"name": 5, "roleInOrg": "admin"}, {}]}
    assert identity_of(answer) == Identity("bob", ())
    assert identity_of({"name": "bob", "orgs": {"acme": "admin"}}) == Identity("bob", ())
