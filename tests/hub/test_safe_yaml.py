"""hub/safe_yaml.py: the bounded loader refuses what would blow up, before constructing it, and
raises only YAML errors for any text."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from eeesync.hub.safe_yaml import YamlLimitError, YamlLimits, load
from tests.hostile import alias_bomb, deep_nesting, many_entries

REAL = (
    "- dataset: {id: Idavidrein/gpqa, task_id: gpqa_diamond}\n  value: 0.412\n"
    "  date: 2025-01-15\n  source: {url: 'https://x.org/a', name: A}\n  notes: With tools\n"
    "- {dataset: {id: cais/hle, task_id: hle}, value: '9.5', verifyToken: abc}\n"
)


def test_real_files_load_as_safe_load() -> None:
    assert load(REAL) == yaml.safe_load(REAL)
    merged = "- &a {x: 1}\n- {<<: *a, y: 2}\n"
    assert load(merged) == yaml.safe_load(merged)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (deep_nesting(20_000).decode(), "nest"),
        ("- " * 40 + "x", "nested deeper than 32 levels"),
        (alias_bomb("notes").decode(), "more than 32 aliases"),
        ("- &a [*a]", "refers to itself"),
        (many_entries(1_001).decode(), "more than 1000 entries"),
        ("- &n '" + "x" * 600_000 + "'\n" + "- *n\n" * 10, "characters of text"),
        ("- &n [" + ",".join(["1"] * 9_000) + "]\n" + "- *n\n" * 10, "YAML nodes"),
    ],
)
def test_limits_refuse(text: str, words: str) -> None:
    with pytest.raises(yaml.MarkedYAMLError) as info:
        load(text)
    assert words in str(info.value) and info.value.problem_mark is not None


def test_limits_are_parameters() -> None:
    with pytest.raises(YamlLimitError, match="more than 2 entries"):
        load("[1, 2, 3]", YamlLimits(max_entries=2))
    assert load("[1, 2]", YamlLimits(max_entries=2)) == [1, 2]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("- !!float abc", "!!float value 'abc' is invalid"),
        ("- !!int abc", "!!int value 'abc' is invalid"),
        ("- !!timestamp foo", "!!timestamp value 'foo' is invalid"),
        ("- !!bool maybe", "!!bool value 'maybe' is invalid"),
        ("- d: 2024-02-30", "!!timestamp value '2024-02-30' is invalid (day is out of range"),
        ("- d: 2024-01-01 25:00:00", "!!timestamp value '2024-01-01 25:00:00' is invalid"),
    ],
)
def test_invalid_typed_values_are_constructor_errors_with_a_line(text: str, words: str) -> None:
    with pytest.raises(yaml.constructor.ConstructorError) as info:
        load(text)
    assert words in str(info.value) and "line 1" in str(info.value)


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("-:&*!{}[],'\"?|> \n\tabc019.#%@`")), max_size=120)
    | st.text(max_size=120)
)
def test_any_text_loads_or_raises_a_yaml_error(text: str) -> None:
    try:
        loaded = load(text)
    except yaml.YAMLError as exc:
        assert str(exc)  # a message for people
    else:
        plain = (type(None), str, int, float, bool, list, dict, dt.date, bytes, set)
        assert isinstance(loaded, plain)
