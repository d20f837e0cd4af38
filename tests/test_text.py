"""eeesync/text.py: short shas, counted nouns and markdown escaping, one of each for every view
and for apply's PR descriptions."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from eeesync.text import md_code, md_escape, md_table, plural, short_sha


@pytest.mark.parametrize(
    ("value", "length", "shown"),
    [
        ("af4548d31d92e0c1", 7, "af4548d"),
        ("sha256:0123456789abcdef", 12, "0123456789ab"),
        # A folder's content digest is no commit: it keeps its prefix (was cut to `folder-`).
        ("folder-af4548d31d92", 7, "folder-af4548d"),
        ("", 7, ""),
        (None, 7, ""),
    ],
)
def test_short_sha(value: str | None, length: int, shown: str) -> None:
    assert short_sha(value, length) == shown


def test_plural() -> None:
    assert plural(1, "file") == "1 file"
    assert plural(0, "file") == "0 files"
    assert plural(2, "entry", "entries") == "2 entries"


#: Text as records hold it: letters, every ASCII punctuation, spaces and line breaks.
_RECORD_TEXT = st.text(
    alphabet=st.sampled_from([*string.ascii_letters, *string.punctuation, " ", "\n", "\r", "é"]),
    max_size=60,
)


def _cells(markdown: str) -> list[str]:
    """Each table body cell as a reader sees it (a `<br>` is a line break); fails on any
    other markup."""
    tokens = MarkdownIt("commonmark").enable(["table", "strikethrough"]).parse(markdown)
    assert [t.type for t in tokens if t.type.startswith("tr_")].count("tr_open") == 2
    cells = []
    for token in tokens:
        if token.type != "inline" or token.map is None or token.map[0] == 0:
            continue
        parts = []
        for child in token.children or ():
            if child.type == "html_inline":
                assert child.content == "<br>"
                parts.append("\n")
            elif child.type == "code_inline":
                parts.append(f"`{child.content}`")
            else:
                assert child.type == "text", child.type
                parts.append(child.content)
        cells.append("".join(parts))
    return cells


@given(_RECORD_TEXT)
def test_escaped_text_reads_as_itself_in_a_table_cell(text: str) -> None:
    # The code span's cell parses too: `_cells` fails on any markup but text, code and `<br>`.
    (cell, _code) = _cells("\n".join(md_table(["a", "b"], [[md_escape(text), md_code(text)]])))
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    # The cell is trimmed; everything else is the text itself, line breaks included.
    assert cell == "\n".join(lines).strip(" ")
