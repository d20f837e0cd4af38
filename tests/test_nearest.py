"""`eeesync/nearest.py`: the names offered after a typo."""

from __future__ import annotations

from eeesync.nearest import nearest

IDS = [
    "meta-llama/Llama-3.1-8B-Instruct",
    "meta-llama/Llama-3.2-1B",
    "01-ai/Yi-1.5-34B-Chat",
    "01-ai/Yi-1.5-9B-Chat",
    "google/gemma-2-9b",
]


def test_a_misspelt_id_any_letter_case() -> None:
    assert nearest("01-AI/yi-1.5-34b-chta", IDS)[0] == "01-ai/Yi-1.5-34B-Chat"


def test_a_glob_is_compared_by_what_it_spells_before_its_first_wildcard() -> None:
    assert nearest("meta-lama/*", IDS)[:2] == [
        "meta-llama/Llama-3.1-8B-Instruct",
        "meta-llama/Llama-3.2-1B",
    ]


def test_ties_are_alphabetical_and_the_limit_holds() -> None:
    assert nearest("acme-labs/*", ["acme/b", "acme/a", "acme/c"], limit=2) == ["acme/a", "acme/b"]


def test_nothing_close_or_nothing_spelt_gives_no_hint() -> None:
    assert nearest("zzzz/qqqq", IDS) == []
    assert nearest("*llama*", IDS) == []
