"""plan/merge.py: the file on main + our entries → exact bytes; never drops an existing entry."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from huggingface_hub import parse_eval_result_entries
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eeesync.plan.merge import MergeError, merge, merge_file, render_new_file
from eeesync.plan.model import EvalEntry

OURS = EvalEntry(
    dataset_id="TIGER-Lab/MMLU-Pro",
    task_id="mmlu_pro",
    value=41.2,
    date="2025-01-15",
    source_url="https://huggingface.co/datasets/evaleval/EEE_datastore/blob/abc/flat/o.json",
    source_name="EvalEval",
)
OURS_ITEM = {
    "dataset": {"id": "TIGER-Lab/MMLU-Pro", "task_id": "mmlu_pro"},
    "value": 41.2,
    "date": "2025-01-15",
    "source": {
        "url": "https://huggingface.co/datasets/evaleval/EEE_datastore/blob/abc/flat/o.json",
        "name": "EvalEval",
    },
}


def test_new_file_uses_the_spec_key_order_and_quotes_the_date() -> None:
    text = render_new_file([OURS])
    assert text.splitlines()[:5] == [
        "- dataset:",
        "    id: TIGER-Lab/MMLU-Pro",
        "    task_id: mmlu_pro",
        "  value: 41.2",
        "  date: '2025-01-15'",
    ]
    assert yaml.safe_load(text) == [OURS_ITEM]
    # huggingface_hub reads back what we wrote.
    (entry,) = parse_eval_result_entries(yaml.safe_load(text))
    assert (entry.dataset_id, entry.value, entry.date) == ("TIGER-Lab/MMLU-Pro", 41.2, "2025-01-15")
    assert merge_file(None, [OURS]) == text


def test_block_list_keeps_existing_bytes_and_appends_ours() -> None:
    existing = (
        "# maintained by the model authors\n"
        "- dataset: {id: cais/hle, task_id: hle}\n"
        "  value: 9.1   # as reported\n"
        "  custom_key: kept\n"
        "- just a string someone wrote\n"
    )
    merged = merge_file(existing, [OURS])
    assert merged.startswith(existing)
    data = yaml.safe_load(merged)
    assert data[:2] == yaml.safe_load(existing)
    assert data[2] == OURS_ITEM


def test_missing_final_newline_is_added_before_appending() -> None:
    existing = "- dataset: {id: cais/hle, task_id: hle}\n  value: 9.1"
    merged = merge_file(existing, [OURS])
    assert merged.startswith(existing + "\n")
    assert len(yaml.safe_load(merged)) == 2


def test_flow_list_gets_our_items_before_the_closing_bracket() -> None:
    existing = "[{dataset: {id: cais/hle, task_id: hle}, value: 9.1}]  # trailing comment\n"
    merged = merge_file(existing, [OURS])
    assert merged.endswith("]  # trailing comment\n")
    assert yaml.safe_load(merged) == [*yaml.safe_load(existing), OURS_ITEM]


@pytest.mark.parametrize(
    ("emptied", "kept"),
    [("[]\n", ""), ("[]", ""), ("# emptied by the owner\n[ ]\n", "# emptied by the owner\n")],
)
def test_an_emptied_file_gets_a_block_list_as_a_new_file_does(emptied: str, kept: str) -> None:
    """An owner who emptied the file left `[]`: our entries replace it in block style, not as
    one flow line `[{dataset: {id: …}, …}]`."""
    merged = merge(emptied, [OURS, OURS])
    assert merged.content == kept + render_new_file([OURS, OURS])
    inserted, rest = _cut(merged.content, merged.added_span)
    assert rest == kept and inserted == render_new_file([OURS, OURS])


def test_empty_flow_list_and_comment_only_file() -> None:
    assert yaml.safe_load(merge_file("[]\n", [OURS])) == [OURS_ITEM]
    merged = merge_file("# nothing yet\n", [OURS])
    assert merged.startswith("# nothing yet\n")
    assert yaml.safe_load(merged) == [OURS_ITEM]
    assert yaml.safe_load(merge_file("", [OURS])) == [OURS_ITEM]


def test_indented_root_list_is_extended_at_its_own_indentation() -> None:
    existing = "  - dataset: {id: cais/hle, task_id: hle}\n    value: 9.1\n"
    merged = merge_file(existing, [OURS])
    assert merged.startswith(existing)
    assert yaml.safe_load(merged) == [*yaml.safe_load(existing), OURS_ITEM]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("dataset: {id: x, task_id: y}\nvalue: 1\n", "not a YAML list"),
        ("- a: [1, 2\n", "not valid YAML"),
        ("- a: 1\n...\n", "invalid YAML"),
    ],
)
def test_files_that_cannot_be_extended_safely_are_refused(text: str, message: str) -> None:
    with pytest.raises(MergeError, match=message):
        merge_file(text, [OURS])


# --- property: merging never drops (or changes) an existing entry ------------------------------

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12),
)
_keys = st.text(st.characters(min_codepoint=97, max_codepoint=122), min_size=1, max_size=8)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_keys, inner, max_size=3)),
    max_leaves=6,
)
_entry_items = st.fixed_dictionaries(
    {
        "dataset": st.fixed_dictionaries(
            {"id": st.sampled_from(["cais/hle", "Idavidrein/gpqa"]), "task_id": _keys}
        ),
        "value": st.one_of(st.floats(0, 100, allow_nan=False), st.text(max_size=5)),
    },
    optional={"notes": st.text(max_size=10), "extra": _values},
)
_items = st.lists(st.one_of(_entry_items, _values), max_size=6)
_new_entries = st.lists(
    st.builds(
        EvalEntry,
        dataset_id=st.sampled_from(["TIGER-Lab/MMLU-Pro", "cais/hle"]),
        task_id=_keys,
        value=st.floats(0, 100, allow_nan=False),
        date=st.one_of(st.none(), st.dates().map(lambda d: d.isoformat())),
        notes=st.one_of(st.none(), st.text(max_size=10)),
    ),
    min_size=1,
    max_size=3,
)


def _existing_text(items: list[Any], *, flow: bool, indent: int, comment: bool) -> str:
    """Someone else's eval file: `items` as block or flow YAML, indented, maybe commented."""
    text = yaml.safe_dump(items, default_flow_style=flow, allow_unicode=True, sort_keys=False)
    if indent and not flow and items:
        text = "".join(" " * indent + line for line in text.splitlines(True))
    if comment:
        text = "# someone else's file\n" + text
    return text


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    items=_items,
    flow=st.booleans(),
    indent=st.integers(0, 3),
    comment=st.booleans(),
    new=_new_entries,
)
def test_merging_never_drops_an_existing_entry(
    items: list[Any], flow: bool, indent: int, comment: bool, new: list[EvalEntry]
) -> None:
    text = _existing_text(items, flow=flow, indent=indent, comment=comment)
    existing = yaml.safe_load(text)
    try:
        merged = merge_file(text, new)
    except MergeError:
        # Refusing is allowed (the plan then writes nothing); damaging is not.
        return
    data = yaml.safe_load(merged)
    assert isinstance(data, list)
    kept = existing or []
    assert data[: len(kept)] == kept
    assert len(data) == len(kept) + len(new)
    ours = parse_eval_result_entries(data[len(kept) :])
    assert [(e.dataset_id, e.task_id, e.value) for e in ours] == [
        (n.dataset_id, n.task_id, n.value) for n in new
    ]


# --- what merge records: where our entries landed (`added_span`, for people) -------------------


def _cut(content: str, span: tuple[int, int]) -> tuple[str, str]:
    """(the text inside the UTF-8 byte span, the content without it)."""
    data = content.encode("utf-8")
    start, end = span
    return data[start:end].decode("utf-8"), (data[:start] + data[end:]).decode("utf-8")


def _ours_in(inserted: str, *, flow: bool) -> Any:
    """Parse the inserted text; in a flow list it is `, {…}, {…}` (or `{…}` in `[]`)."""
    return yaml.safe_load(f"[{inserted.removeprefix(', ')}]" if flow else inserted)


@pytest.mark.parametrize(
    ("existing", "flow"),
    [
        (None, False),
        ("", False),
        ("# nothing yet", False),
        ("- dataset: {id: cais/hle, task_id: hle}\n  value: 9.1", False),
        ("  - dataset: {id: cais/hle, task_id: hle}\n    value: 9.1\n", False),
        ("[{dataset: {id: cais/hle, task_id: hle}, value: 9.1}]  # c\n", True),
        ("[\n  {dataset: {id: cais/hle, task_id: hle}, value: 9.1}\n]\n", True),
    ],
)
def test_merge_records_exactly_the_text_it_inserted(existing: str | None, flow: bool) -> None:
    merged = merge(existing, [OURS, OURS])
    assert merged.content == merge_file(existing, [OURS, OURS])
    inserted, rest = _cut(merged.content, merged.added_span)
    assert rest == (existing or "")
    assert _ours_in(inserted, flow=flow) == [OURS_ITEM, OURS_ITEM]


def test_a_flow_list_keeps_the_text_before_its_closing_bracket() -> None:
    existing = "[\n  {dataset: {id: cais/hle, task_id: hle}, value: 9.1}\n]\n"
    merged = merge(existing, [OURS]).content
    assert merged.endswith("\n]\n")  # ours join the last item's line; `]` stays on its own


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    items=_items,
    flow=st.booleans(),
    indent=st.integers(0, 3),
    comment=st.booleans(),
    final_newline=st.booleans(),
    new=_new_entries,
)
def test_the_recorded_span_is_exactly_our_entries_and_the_rest_is_main_byte_for_byte(
    items: list[Any],
    flow: bool,
    indent: int,
    comment: bool,
    final_newline: bool,
    new: list[EvalEntry],
) -> None:
    text = _existing_text(items, flow=flow, indent=indent, comment=comment)
    if not final_newline:
        text = text.removesuffix("\n")
    try:
        merged = merge(text, new)
    except MergeError:
        return  # refusing is allowed (covered above); a wrong span is not
    inserted, rest = _cut(merged.content, merged.added_span)
    root = yaml.compose(text, Loader=yaml.SafeLoader)  # `[]` is a flow list, even unasked
    in_flow = isinstance(root, yaml.SequenceNode) and root.flow_style
    if in_flow and not root.value:  # an emptied file: its `[]` becomes our block list
        start, end = root.start_mark.index, root.end_mark.index
        assert rest == text[:start] + text[end:].removeprefix("\n")
        assert inserted == render_new_file(new)
        return
    assert rest == text
    assert _ours_in(inserted, flow=in_flow) == yaml.safe_load(render_new_file(new))
