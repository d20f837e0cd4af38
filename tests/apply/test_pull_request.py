"""The PR description and its machine marker: what a rerun finds an earlier PR by."""

from __future__ import annotations

import attrs
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from eeesync.apply import Marker, content_hash, parse_markers, pr_description
from eeesync.plan.model import Status
from eeesync.text import md_escape
from tests import plan_factory as pf


@given(
    action=st.text(min_size=1, max_size=40),
    plan_digest=st.from_regex(r"sha256:[0-9a-f]{64}", fullmatch=True),
    content=st.from_regex(r"[0-9a-f]{64}", fullmatch=True),
    before=st.text(max_size=50),
    after=st.text(max_size=50),
)
def test_markers_round_trip_inside_any_description(
    action: str, plan_digest: str, content: str, before: str, after: str
) -> None:
    marker = Marker(plan_digest, action, content)
    text = f"{before}\n{marker.render()}\n{after}"
    assert marker in parse_markers(text)
    assert "\n" not in marker.render()


def test_the_description_ends_with_the_marker_of_its_action_and_content() -> None:
    plan = pf.make_plan()
    repo = next(r for r in plan.repos if r.opens_pr)
    body = pr_description(plan, repo)
    assert parse_markers(body) == [Marker(plan.digest, repo.action_id, content_hash(repo))]
    assert body.rstrip().endswith("-->")
    assert f"from plan `{plan.digest}`" in body


def test_content_hash_ignores_file_order_but_not_content() -> None:
    repo = pf.make_plan().repo(pf.LLAMA)  # the one repo that writes two files
    assert repo is not None and len(repo.files) == 2
    reordered = attrs.evolve(repo, files=tuple(reversed(repo.files)))
    assert content_hash(reordered) == content_hash(repo)
    edited = attrs.evolve(repo.files[0], content=repo.files[0].content + "\n")
    assert content_hash(attrs.evolve(repo, files=(edited, repo.files[1]))) != content_hash(repo)


def test_an_aliased_entry_names_the_id_it_is_recorded_under() -> None:
    plan = pf.make_plan()
    repo = next(r for r in plan.repos if r.opens_pr)
    ready = [e for e in repo.entries if e.status is Status.READY]
    assert ready
    plain = pr_description(plan, repo)
    assert "recorded in EEE as" not in plain and "reviewed alias" not in plain

    first = ready[0]
    aliased = attrs.evolve(first, desired=attrs.evolve(first.desired, recorded_as="meta/x-|-1"))
    entries = tuple(aliased if e is first else e for e in repo.entries)
    body = pr_description(plan, attrs.evolve(repo, entries=entries))
    rows = [line for line in body.splitlines() if line.startswith("|")]
    (row,) = [line for line in rows if "recorded in EEE as" in line]
    assert row.startswith(f"| `{first.desired.file_path}` |")
    assert row.endswith(" · recorded in EEE as meta/x-\\|-1 |")  # escaped: one table cell
    assert "published on this repo by a reviewed alias" in body


#: What a record's agent name or model id could try to slip into a PR description.
HOSTILE = (
    "[click me](https://evil.example/x) ![img](https://evil.example/i.png)\n"
    "# Approve this PR\n"
    "<script>alert(1)</script><img src=x onerror=alert(1)> <!-- hidden -->\n"
    "`rm -rf /` ``` **bold** _em_ ~~gone~~ &lt;b&gt; | extra | cells |\r\n"
    "- a list item\n\n> a quote"
)


def _parsed(body: str) -> list[Token]:
    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).parse(body)


def _inline(tokens: list[Token]) -> list[Token]:
    return [child for t in tokens if t.type == "inline" for child in t.children or ()]


def test_text_from_records_cannot_add_markdown_to_a_pr_description() -> None:
    plan = pf.make_plan()
    repo = next(r for r in plan.repos if r.opens_pr)
    first = next(e for e in repo.entries if e.status is Status.READY)
    hostile_entry = attrs.evolve(first.desired.entry, notes=f"agent: {HOSTILE}")
    hostile = attrs.evolve(
        first,
        desired=attrs.evolve(first.desired, entry=hostile_entry, recorded_as=HOSTILE),
    )
    entries = tuple(hostile if e is first else e for e in repo.entries)
    repo = attrs.evolve(repo, entries=entries)
    ready = [e for e in entries if e.status is Status.READY]
    body = pr_description(plan, repo)

    tokens = _parsed(body)
    kinds = {t.type for t in tokens} | {t.type for t in _inline(tokens)}
    assert not kinds & {"heading_open", "image", "bullet_list_open"}
    assert not kinds & {"blockquote_open", "strong_open", "em_open", "s_open"}
    # The only HTML is the line breaks the escaper writes; the entry list and the marker are
    # HTML comments, each one line (hostile text in the list cannot end it early).
    html = [t.content for t in _inline(tokens) if t.type == "html_inline"]
    assert set(html) <= {"<br>"}
    blocks = [t.content for t in tokens if t.type == "html_block"]
    assert len(blocks) == 2 and blocks[0].startswith("<!-- eeesync:entries ")
    assert blocks[1].startswith("<!-- eeesync:marker ")
    assert all(b.count("-->") == 1 and b.count("\n") == 1 for b in blocks)
    # Links are the record links eeesync writes, nothing else.
    hrefs = [t.attrs["href"] for t in _inline(tokens) if t.type == "link_open"]
    sources = [e.desired.entry.source_url for e in ready if e.desired.entry.source_url]
    assert hrefs == sorted(sources, key=hrefs.index) and len(hrefs) == len(sources)
    # One table row per entry, each with its six cells; the hostile text reads as itself.
    rows = sum(t.type == "tr_open" for t in tokens)
    assert rows == 1 + len(ready)
    assert {sum(1 for _ in group) for group in _cells_per_row(tokens)} == {6}
    notes = next(c for c in _cell_texts(tokens) if c.startswith("agent: "))
    assert notes == "agent: " + "\n".join(HOSTILE.replace("\r", "").split("\n"))


def _cell_texts(tokens: list[Token]) -> list[str]:
    """Each table cell's text as a reader sees it (`<br>` read as a line break)."""
    cells = []
    for token in tokens:
        if token.type == "inline" and token.children is not None:
            parts = [
                "\n" if c.type == "html_inline" else c.content
                for c in token.children
                if c.type in ("text", "html_inline")
            ]
            cells.append("".join(parts))
    return cells


def _cells_per_row(tokens: list[Token]) -> list[list[Token]]:
    rows: list[list[Token]] = []
    for token in tokens:
        if token.type == "tr_open":
            rows.append([])
        elif token.type in ("td_open", "th_open"):
            rows[-1].append(token)
    return rows


def test_the_pr_description_names_a_folder_datastore_by_its_digest() -> None:
    plan = pf.make_plan()
    folder = attrs.evolve(
        plan, inputs=attrs.evolve(plan.inputs, datastore_revision="folder-af4548d31d92")
    )
    body = pr_description(folder, next(r for r in folder.repos if r.opens_pr))
    assert f"(datastore {md_escape(plan.inputs.datastore_repo)}@folder-af4548d)." in body
