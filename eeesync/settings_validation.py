"""One cattrs converter for every settings table (eeesync.toml, `EEESYNC_*`, flags, registry
overrides), and its errors turned into `file:line: key.path: problem` messages.

Values are strict (no `"3"` → 3, no `1` → True): a TOML file has real types, and environment
variables and flags are decoded to them before they are structured here. Checks that need a
field name raise `Invalid` from an attrs validator, because cattrs reports a class's `__init__`
errors without the attribute they came from.
"""

from __future__ import annotations

import difflib
import math
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.errors import (
    AttributeValidationNote,
    BaseValidationError,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_structure_fn

from eeesync.errors import ConfigError
from eeesync.tomlkeys import line_of

T = TypeVar("T")
Path_ = tuple[str | int, ...]


class Invalid(ValueError):
    """A value that has the right type but is not allowed (raised by the validators below)."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(problem)
        self.field, self.problem = field, problem


def check(predicate: Callable[[Any], bool], problem: str) -> Callable[[Any, Any, Any], None]:
    """An attrs validator: `problem` (naming the field) unless `predicate(value)` holds."""

    def validate(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is not None and not predicate(value):
            raise Invalid(attribute.name, problem)

    return validate


def in_range(low: float, high: float) -> Callable[[Any], bool]:
    return lambda value: math.isfinite(value) and low <= value <= high


def positive_finite(value: float) -> bool:
    return math.isfinite(value) and value > 0


def non_empty_strings(values: Iterable[str]) -> bool:
    return all(v.strip() for v in values)


_TYPE_NAMES = {str: "a string", int: "a whole number", float: "a number", bool: "true or false"}


def _strict(kind: type) -> Callable[[Any, Any], Any]:
    def structure(value: Any, _type: Any) -> Any:
        accepted = (int, float) if kind is float else kind
        if (isinstance(value, bool) and kind is not bool) or not isinstance(value, accepted):
            raise TypeError(f"must be {_TYPE_NAMES[kind]}, not {_describe(value)}")
        return kind(value)

    return structure


def _describe(value: Any) -> str:
    names = {bool: "a boolean", str: "a string", int: "a number", float: "a number"}
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list | tuple):
        return "a list"
    return names.get(type(value), type(value).__name__)


def _tables_only(converter: cattrs.Converter) -> Callable[[Any], Any]:
    """Attrs classes are built from tables only (cattrs would iterate a string or number)."""

    def factory(cls: Any) -> Callable[[Any, Any], Any]:
        inner = make_dict_structure_fn(cls, converter, _cattrs_forbid_extra_keys=True)

        def structure(value: Any, _type: Any) -> Any:
            if not isinstance(value, Mapping):
                raise TypeError(f"must be a table, not {_describe(value)}")
            return inner(value, cls)

        return structure

    return factory


def _lists_only(converter: cattrs.Converter) -> Callable[[Any], Any]:
    """`tuple[X, ...]` fields take a list (cattrs would split a string into characters)."""

    def factory(cls: Any) -> Callable[[Any, Any], Any]:
        (item,) = {a for a in typing.get_args(cls) if a is not Ellipsis}

        def structure(value: Any, _type: Any) -> Any:
            if not isinstance(value, list | tuple):
                raise TypeError(f"must be a list, not {_describe(value)}")
            errors, out = [], []
            for index, element in enumerate(value):
                try:
                    out.append(converter.structure(element, item))
                except Exception as exc:  # collected like cattrs does, with the index
                    exc.__notes__ = [
                        *getattr(exc, "__notes__", []),
                        IterableValidationNote(f"Structuring {cls} @ index {index}", index, item),
                    ]
                    errors.append(exc)
            if errors:
                raise IterableValidationError(f"While structuring {cls}", errors, cls)
            return tuple(out)

        return structure

    return factory


def _is_homogeneous_tuple(cls: Any) -> bool:
    args = typing.get_args(cls)
    return typing.get_origin(cls) is tuple and len(args) == 2 and args[1] is Ellipsis


def make_converter() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=True)
    for kind in (str, int, float, bool):
        converter.register_structure_hook(kind, _strict(kind))
    converter.register_structure_hook_factory(attrs.has, _tables_only(converter))
    converter.register_structure_hook_factory(_is_homogeneous_tuple, _lists_only(converter))
    return converter


CONVERTER = make_converter()


def problems(exc: BaseException, path: Path_ = ()) -> list[tuple[Path_, str]]:
    """Every (key path, problem) inside a cattrs structuring error."""
    out: list[tuple[Path_, str]] = []
    if isinstance(exc, ClassValidationError | IterableValidationError):
        with_notes, without = exc.group_exceptions()
        for sub, note in with_notes:
            step: str | int = note.name if isinstance(note, AttributeValidationNote) else note.index
            out += problems(sub, (*path, step))
        for sub in without:
            out += problems(sub, path)
    elif isinstance(exc, ForbiddenExtraKeysError):
        known = [a.name for a in attrs.fields(exc.cl)]
        for extra in sorted(exc.extra_fields):
            out.append(((*path, extra), unknown_key(extra, known)))
    elif isinstance(exc, Invalid):
        out.append(((*path, exc.field), exc.problem))
    elif isinstance(exc, AttributeError):  # cattrs read `.items()` / `.get` of a non-table
        out.append((path, "must be a table"))
    else:
        out.append((path, str(exc) or type(exc).__name__))
    return out


def unknown_key(name: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    hint = f'did you mean "{close[0]}"? ' if close else ""
    return f"unknown key; {hint}expected one of {', '.join(known)}"


def dotted(path: Path_) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


def structure(
    data: Any,
    cls: type[T],
    *,
    locate: Callable[[Path_], tuple[str | None, int | None, str]],
    error: type[ConfigError] = ConfigError,
) -> T:
    """`data` as a `cls`, or `error` for the first problem. `locate(path)` says where a key
    came from: (file or variable, line, key name to show)."""
    try:
        return CONVERTER.structure(data, cls)
    # TypeError / ValueError: the top-level value itself is wrong (not a table).
    except (BaseValidationError, ForbiddenExtraKeysError, TypeError, ValueError) as exc:
        found = problems(exc) or [((), str(exc))]
        path, problem = found[0]
        where, line, key = locate(path)
        more = f" (and {len(found) - 1} more problem(s))" if len(found) > 1 else ""
        raise error(problem + more, path=where, line=line, key=key) from None


def file_locator(
    path: str | None, text: str | None, prefix: Path_ = ()
) -> Callable[[Path_], tuple[str | None, int | None, str]]:
    """`locate` for values read from a TOML file (`prefix`: where `data` sits in the file)."""

    def locate(at: Path_) -> tuple[str | None, int | None, str]:
        full = (*prefix, *at)
        names = [str(s) for s in full if not isinstance(s, int)]
        line = line_of(text, names) if text is not None and names else None
        return path, line, dotted(full)

    return locate
