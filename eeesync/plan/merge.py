"""The file on main + our new entries → the exact bytes to commit (the merge step of `plan`).

A PR never deletes anybody's score: the merge works at the YAML-item level. The existing text is
kept byte for byte and our entries are appended as new items of its top-level list, so other
people's entries, comments and formatting survive untouched, even entries we cannot interpret.
Our entries are serialised with huggingface_hub's `eval_result_entries_to_yaml` (the format's
owner, see https://huggingface.co/docs/hub/eval-results) and `yaml.safe_dump`.

Pure: no I/O. The result is re-parsed and checked before it is returned, so a file whose shape
the merge cannot extend safely raises `MergeError` instead of producing a damaging commit.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import yaml
from huggingface_hub import EvalResultEntry, eval_result_entries_to_yaml

from eeesync.plan.model import EvalEntry

#: No line folding: long source URLs stay on one line, which keeps diffs readable.
_YAML_WIDTH = 1_000_000


class MergeError(ValueError):
    """The existing file cannot be extended without risking other entries (for people)."""


def to_hub_entry(entry: EvalEntry) -> EvalResultEntry:
    """Our `EvalEntry` as huggingface_hub's `EvalResultEntry` (the library type stays here)."""
    return EvalResultEntry(
        dataset_id=entry.dataset_id,
        task_id=entry.task_id,
        value=entry.value,
        date=entry.date,
        source_url=entry.source_url,
        source_name=entry.source_name if entry.source_url else None,
        notes=entry.notes,
    )


def entries_to_items(entries: Sequence[EvalEntry]) -> list[dict[str, Any]]:
    """The YAML items (plain dicts, in the spec's key order) for our entries."""
    return eval_result_entries_to_yaml([to_hub_entry(e) for e in entries])


def dump_items(items: list[dict[str, Any]], *, flow: bool = False) -> str:
    # `date` stays a str, so PyYAML quotes a date-like value ('2025-01-15'): the spec asks for it.
    text: str = yaml.safe_dump(
        items,
        sort_keys=False,
        allow_unicode=True,
        width=_YAML_WIDTH,
        default_flow_style=flow,
    )
    return text


def render_new_file(entries: Sequence[EvalEntry]) -> str:
    """The content of a file that does not exist on main yet."""
    return dump_items(entries_to_items(entries))


@attrs.frozen
class MergedFile:
    """A merged file and where our entries landed in it.

    `added_span` is `[start, end)` in UTF-8 bytes of `content`: exactly the text the merge
    inserted (our entries, plus the `, ` or final newline it needed to join them on), so
    `content` with that span cut out is the existing file byte for byte. It is recorded for
    people (views mark those lines) and never for apply, which commits `content` only.
    """

    content: str
    added_span: tuple[int, int]


def merge_file(existing: str | None, entries: Sequence[EvalEntry]) -> str:
    """The exact new content of one `.eval_results` file (see `merge`, which also says where
    our entries landed)."""
    return merge(existing, entries).content


def merge(existing: str | None, entries: Sequence[EvalEntry]) -> MergedFile:
    """The exact new content of one `.eval_results` file: every existing item kept, ours added.

    `existing` is the file's text on main (None: the file does not exist). Entries are appended
    in the order given; the caller sorts them.

    Raises `MergeError` when the existing text is not a YAML list (of anything) that can be
    extended in place, or when the merged text would not read back as existing + ours.

    Example:
        >>> text = "- dataset: {id: cais/hle, task_id: hle}\\n  value: 9.1\\n"
        >>> new = EvalEntry(dataset_id="TIGER-Lab/MMLU-Pro", task_id="mmlu_pro", value=41.2)
        >>> merged = merge(text, [new])
        >>> print(merged.content, end="")
        - dataset: {id: cais/hle, task_id: hle}
          value: 9.1
        - dataset:
            id: TIGER-Lab/MMLU-Pro
            task_id: mmlu_pro
          value: 41.2
        >>> merged.added_span
        (53, 127)
    """
    new_items = entries_to_items(entries)
    if existing is None:
        content = dump_items(new_items)
        return MergedFile(content, (0, _size(content)))
    old_items, root = _existing_items(existing)
    if root is None:
        # Empty or comment-only file: keep whatever text is there, then our list.
        before, inserted, after = existing, _newline_for(existing) + dump_items(new_items), ""
    elif isinstance(root, yaml.SequenceNode) and root.flow_style and not root.value:
        before, inserted, after = _replace_emptied(existing, root, new_items)
    elif isinstance(root, yaml.SequenceNode) and root.flow_style:
        before, inserted, after = _append_flow(existing, root, new_items)
    else:
        before, inserted, after = existing, _append_block(existing, root, new_items), ""
    merged = before + inserted + after
    _verify(merged, old_items, new_items)
    start = _size(before)
    return MergedFile(merged, (start, start + _size(inserted)))


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


# --- Reading the existing file ------------------------------------------------------------------


def _existing_items(text: str) -> tuple[list[Any], yaml.Node | None]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise MergeError(f"the file on main is not valid YAML: {_one_line(exc)}") from exc
    if root is None or data is None:
        return [], None
    if not isinstance(root, yaml.SequenceNode) or not isinstance(data, list):
        raise MergeError("the file on main is not a YAML list of entries")
    # Oddities such as a `...` end marker after the list are caught by `_verify`: appended text
    # would land outside the list and the result would not read back as existing + ours.
    return data, root


def _newline_for(text: str) -> str:
    """The newline to add before appending to `text` ("" when it ends with one or is empty)."""
    return "" if not text or text.endswith("\n") else "\n"


def _append_block(text: str, root: yaml.Node, items: list[dict[str, Any]]) -> str:
    """What to append for block-style items at the root list's own indentation."""
    indent = " " * root.start_mark.column
    block = dump_items(items)
    if indent:
        block = "".join(indent + line if line.strip() else line for line in block.splitlines(True))
    return _newline_for(text) + block


def _replace_emptied(
    text: str, root: yaml.Node, items: list[dict[str, Any]]
) -> tuple[str, str, str]:
    """An emptied file (`[]`, an owner removed every entry): our entries take the place of the
    empty list in block style, as in a new file, rather than as one long flow line."""
    start, end = root.start_mark.index, root.end_mark.index
    lines = dump_items(items).splitlines(True)
    indent = " " * root.start_mark.column  # the first line follows the text before `[`
    block = lines[0] + "".join(indent + line if line.strip() else line for line in lines[1:])
    return text[:start], block, text[end:].removeprefix("\n")


def _append_flow(text: str, root: yaml.Node, items: list[dict[str, Any]]) -> tuple[str, str, str]:
    """Flow-style items go before the closing `]` of a flow list (`[{...}, {...}]`): the text
    before them, the inserted text and the text after."""
    end = root.end_mark.index  # just past the closing bracket
    close = text.rfind("]", 0, end)
    if close < 0:  # pragma: no cover - a flow sequence always ends with `]`
        raise MergeError("cannot find the end of the list in the file on main")
    inner = dump_items(items, flow=True).strip()
    if not (inner.startswith("[") and inner.endswith("]")):  # pragma: no cover - safe_dump form
        raise MergeError("could not serialise the new entries in flow style")
    inner = inner[1:-1].strip()
    before = text[:close].rstrip()
    separator = "" if before.endswith("[") else ", "
    return text[: len(before)], separator + inner, text[len(before) :]


def _verify(merged: str, old_items: list[Any], new_items: list[dict[str, Any]]) -> None:
    """The merged text must read back as exactly the old items followed by ours."""
    try:
        data = yaml.safe_load(merged)
    except yaml.YAMLError as exc:
        raise MergeError(f"merging would produce invalid YAML: {_one_line(exc)}") from exc
    expected = [*old_items, *yaml.safe_load(dump_items(new_items))]
    # Compare canonical dumps, not objects: `.nan != .nan`, yet it is the same entry.
    if _canonical(data) != _canonical(expected):
        raise MergeError("merging would change the entries already in the file; not writing it")


def _canonical(data: Any) -> str:
    text: str = yaml.safe_dump(data, sort_keys=True, allow_unicode=True, width=_YAML_WIDTH)
    return text


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


# --- Updating entries in place (`[policy] update_main`) -----------------------------------------

#: The fields an in-place update may change, as key paths inside one item.
_UPDATED_FIELDS: tuple[tuple[str, ...], ...] = (("value",), ("date",), ("source", "url"))


def update_in_place(text: str, pick: Callable[[int, Any], EvalEntry | None]) -> str:
    """`text` with the value, date and source link of the items `pick(index, item)` returns a
    new entry for replaced by that entry's, every other byte kept (an item's missing date stays
    missing). Raises `MergeError` when the result would not read back as exactly that change.

    Example:
        >>> text = "- dataset: {id: d, task_id: t}  # ours\\n  value: 40.0\\n"
        >>> new = EvalEntry(dataset_id="d", task_id="t", value=47.0)
        >>> print(update_in_place(text, lambda i, item: new), end="")
        - dataset: {id: d, task_id: t}  # ours
          value: 47.0
    """
    items, root = _existing_items(text)
    if root is None or not isinstance(root, yaml.SequenceNode):
        raise MergeError("the file on main holds no entries to update")
    replacements: list[tuple[int, int, str]] = []
    expected = copy.deepcopy(items)
    for index, (node, item) in enumerate(zip(root.value, items, strict=True)):
        new = pick(index, item)
        if new is None:
            continue
        if not isinstance(node, yaml.MappingNode) or not isinstance(item, dict):
            raise MergeError(f"entry {index + 1} on main is not a mapping")
        fresh = entries_to_items([new])[0]
        for path in _UPDATED_FIELDS:
            scalar = _scalar_at(node, path)
            wanted = _value_at(fresh, path)
            if scalar is None or wanted is None:
                continue
            replacements.append((scalar.start_mark.index, scalar.end_mark.index, _render(wanted)))
            _set_at(expected[index], path, wanted)
    edited = text
    for start, end, rendered in sorted(replacements, reverse=True):
        edited = edited[:start] + rendered + edited[end:]
    try:
        data = yaml.safe_load(edited)
    except yaml.YAMLError as exc:
        raise MergeError(f"updating would produce invalid YAML: {_one_line(exc)}") from exc
    if _canonical(data) != _canonical(expected):
        raise MergeError("updating would change more than the outdated entries; not writing it")
    return edited


def _scalar_at(node: yaml.Node, path: tuple[str, ...]) -> yaml.ScalarNode | None:
    for key in path:
        if not isinstance(node, yaml.MappingNode):
            return None
        found = next((v for k, v in node.value if getattr(k, "value", None) == key), None)
        if found is None:
            return None
        node = found
    return node if isinstance(node, yaml.ScalarNode) else None


def _value_at(item: dict[str, Any], path: tuple[str, ...]) -> Any:
    current: Any = item
    for key in path:
        if not isinstance(current, dict) or key not in current:
            return None
        current = current[key]
    return current


def _set_at(item: Any, path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        item = item[key]
    item[path[-1]] = value


def _render(value: Any) -> str:
    """One scalar as `dump_items` writes it (dates quoted, floats as floats), on one line."""
    text: str = yaml.safe_dump(
        value, allow_unicode=True, width=_YAML_WIDTH, default_flow_style=True
    )
    return text.split("\n", 1)[0]
