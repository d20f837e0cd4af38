"""How eeesync writes things for people, the same in every view, message and PR description:
shortened shas, counted nouns, and markdown that text from a record can never break out of.

A leaf: the views render with it, and apply writes PR descriptions with it (apply cannot import
the views, so these live below both).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence


def short_sha(value: str | None, length: int = 7) -> str:
    """A sha or digest shortened for people ("" when there is none).

    `sha256:<hex>` gives its hex digits. A folder datastore's own `folder-<hex>` digest keeps
    its prefix (`folder-af4548d`): it is no commit anyone could look up, and must not read as one.

    Example:
        >>> short_sha("af4548d31d92e0c1"), short_sha("sha256:0123abcd", 4)
        ('af4548d', '0123')
        >>> short_sha("folder-af4548d31d92")
        'folder-af4548d'
    """
    if not value:
        return ""
    if value.startswith("folder-"):
        return "folder-" + value.removeprefix("folder-")[:length]
    return value.split(":")[-1][:length]


def plural(count: int, singular: str, many: str | None = None) -> str:
    """`1 file`, `2 files`; `many` for irregular nouns (`entry`, `entries`)."""
    return f"{count} {singular if count == 1 else (many or singular + 's')}"


# --- Markdown (GitHub-flavoured, as the Hub renders PR descriptions) ----------------------------

#: Every character that starts markdown syntax inline or in a table cell: emphasis, code, links
#: and images (`[`), HTML, entities (`&lt;` would show as `<`), headings, strikethrough, table
#: pipes, and the escape itself.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~&])")
_LINE_BREAKS = re.compile(r"\r\n?|\n|\u2028|\u2029")
#: What a link target may not hold raw: whitespace ends it, `<`/`>` close it early.
_URL_UNSAFE = re.compile(r"[\s<>]")


def md_escape(text: str) -> str:
    """Plain text that renders as itself inside markdown, table cells included: markdown
    characters are backslash-escaped and line breaks become `<br>` (a newline would end the
    table row and start a block of the text's choosing: a heading, a list, raw HTML)."""
    return "<br>".join(_MD_SPECIAL.sub(r"\\\1", line) for line in _LINE_BREAKS.split(text))


def md_code(text: str) -> str:
    """An inline code span that survives backticks, table pipes and line breaks in `text`."""
    text = _LINE_BREAKS.sub(" ", text)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    escaped = text.replace("|", "\\|")  # GFM splits table cells on `|` even in code spans
    return f"{fence}{pad}{escaped}{pad}{fence}"


def md_link(label: str, url: str | None) -> str:
    """A link whose target survives spaces, `>` and line breaks; the escaped label alone
    without a url."""
    if not url:
        return md_escape(label)
    target = _URL_UNSAFE.sub(lambda m: "".join(f"%{b:02X}" for b in m[0].encode()), url)
    return f"[{md_escape(label)}](<{target}>)"


def md_table(headers: Sequence[str], rows: Iterable[Sequence[str]], align: str = "") -> list[str]:
    """A GFM table; `align` holds one of l/r per column (default left). Cells are markdown
    already (escape text with `md_escape`)."""
    marks = {"l": "---", "r": "---:"}
    aligns = align.ljust(len(headers), "l")
    lines = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join(marks[a] for a in aligns) + "|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines
