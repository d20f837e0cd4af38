"""docs/plan-format.md is checked against the plan model (what cattrs unstructures).

Every field of every class in the plan appears in the doc, and every key the doc's tables and
`{…}` lists name exists at that place in the model: the doc can neither miss nor invent a field.
"""

from __future__ import annotations

import re
import typing
from pathlib import Path

import attrs

from eeesync.plan import model
from eeesync.plan.file import to_dict
from tests.plan_factory import make_plan

DOC = Path(__file__).resolve().parents[2] / "docs" / "plan-format.md"
#: The class each field table of the doc describes, by its heading.
SECTIONS: dict[str, type] = {
    "Top level": model.Plan,
    "`inputs`": model.Inputs,
    "`repos[]`": model.RepoPlan,
    "`entries[]`": model.PlannedEntry,
    "`skipped[]`": model.SkippedItem,
}


def _attrs_class(tp: object) -> type | None:
    """The attrs class inside a field type (`X`, `X | None`, `tuple[X, ...]`), if any."""
    if isinstance(tp, type) and attrs.has(tp):
        return tp
    for arg in typing.get_args(tp):
        found = _attrs_class(arg)
        if found is not None:
            return found
    return None


def _fields(cls: type) -> dict[str, object]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in attrs.fields(cls)}


def _classes() -> list[type]:
    seen: list[type] = []
    todo: list[type] = [model.Plan]
    while todo:
        cls = todo.pop()
        if cls in seen:
            continue
        seen.append(cls)
        todo += [c for t in _fields(cls).values() if (c := _attrs_class(t)) is not None]
    return seen


def _resolve(cls: type, path: str) -> type | None:
    """Follow `a.b[].c` from `cls`; the attrs class at its end (None: a plain value)."""
    current: type | None = cls
    for part in path.replace("[]", "").split("."):
        assert current is not None, f"{path}: {part} is inside a plain value"
        fields = _fields(current)
        assert part in fields, f"the doc names {path!r}, but {current.__name__} has no {part!r}"
        current = _attrs_class(fields[part])
    return current


def _sections() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    parts = re.split(r"^#{2,3} (.+)$", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def _key_rows(body: str) -> list[tuple[str, str]]:
    """`(key, rest of the row)` of the tables whose first column is `key` (not `status`)."""
    rows, in_key_table = [], False
    for line in body.splitlines():
        if not line.startswith("|"):
            in_key_table = False
        elif line.startswith("| key |"):
            in_key_table = True
        elif in_key_table and (match := re.match(r"^\| `([a-z_.\[\]]+)` \|(.*)$", line)):
            rows.append((match.group(1), match.group(2)))
    return rows


def test_every_model_field_is_in_the_doc() -> None:
    text = DOC.read_text(encoding="utf-8")
    named = set(re.findall(r"`([a-z_]+)", text)) | {
        name for group in re.findall(r"\{([^}]*)\}", text) for name in re.findall(r"\w+", group)
    }
    named |= {
        part
        for path in re.findall(r"`([a-z_.\[\]]+)`", text)
        for part in re.split(r"[.\[\]]+", path)
    }
    missing = [
        f"{cls.__name__}.{name}" for cls in _classes() for name in _fields(cls) if name not in named
    ]
    assert not missing, f"fields missing from {DOC.name}: {missing}"
    # And what cattrs writes is exactly those fields (no renaming or extra keys on the way).
    data = to_dict(make_plan())
    # `unmatched` (1.1) is left out when there is none, like a 1.0 plan
    assert set(data) == set(_fields(model.Plan)) - {"unmatched"}
    covered = attrs.evolve(make_plan(), unmatched=(model.UnmatchedGroup("c", "x", 1),))
    assert set(to_dict(covered)) == set(_fields(model.Plan))


def test_the_doc_names_no_field_the_model_lacks() -> None:
    sections = _sections()
    assert set(SECTIONS) <= set(sections), "a documented section was renamed or removed"
    checked = 0
    for heading, cls in SECTIONS.items():
        body = sections[heading]
        for key, rest in _key_rows(body):
            inner = _resolve(cls, key)
            checked += 1
            # `{a, b: …}` in the row lists the fields of the objects at `key`.
            for group in re.findall(r"\{([^}]*)\}", rest):
                assert inner is not None, f"{key}: a {{…}} list but no object there"
                for name in re.findall(r"(?:^|,)\s*(\w+)", group):
                    _resolve(inner, name)
                    checked += 1
        if heading == "`skipped[]`":
            (group,) = re.findall(r"`\{([^}]*)\}`", body)
            for name in re.findall(r"\w+", group):
                _resolve(cls, name)
                checked += 1
    assert checked > 40
