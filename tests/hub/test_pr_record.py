"""The entry list in our PR descriptions: what it renders reads back exactly, whatever the text
of a record holds; any description (anyone can write one) parses without raising."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eeesync.hub.pr_record import (
    MAX_LISTED_ENTRIES,
    parse_entry_list,
    parse_markers,
    render_entry_list,
)
from eeesync.hub.state import ListedEntry

text = st.text(max_size=40)
entries = st.builds(
    ListedEntry,
    file_path=st.text(min_size=1, max_size=30),
    dataset_id=st.text(min_size=1, max_size=30),
    task_id=st.text(min_size=1, max_size=30),
    value=st.floats(min_value=0, max_value=100),
    notes=st.none() | text,
    date=st.none() | text,
    source_url=st.none() | text,
    collection=text,
    benchmark=text,
)


@given(st.lists(entries, max_size=8), text, text)
def test_a_rendered_list_reads_back_and_stays_one_comment(
    listed: list[ListedEntry], before: str, after: str
) -> None:
    comment = render_entry_list(listed)
    assert "\n" not in comment and comment.count("-->") == 1 and comment.endswith("-->")
    body = f"{before.replace('<!--', '')}\n{comment}\n{after}"
    parsed = parse_entry_list(body)
    assert parsed is not None and sorted(parsed, key=repr) == sorted(listed, key=repr)


@given(st.text(max_size=400))
def test_any_description_parses_without_raising(body: str) -> None:
    parse_entry_list(body)
    parse_markers(body)
    parse_entry_list("<!-- eeesync:entries {" + body + "} -->")


def test_a_list_we_cannot_read_whole_says_nothing() -> None:
    good = render_entry_list([ListedEntry("f.yaml", "d", "t", 1.0)])
    assert parse_entry_list(good.replace('"value":1.0', '"value":"1"')) is None
    assert parse_entry_list(good.replace('"v":1', '"v":2')) is None
    too_many = [ListedEntry("f.yaml", "d", f"t{i}", 1.0) for i in range(MAX_LISTED_ENTRIES + 1)]
    with pytest.raises(ValueError, match=str(MAX_LISTED_ENTRIES)):
        render_entry_list(too_many)
