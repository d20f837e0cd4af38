"""Server-side view of a model's `.eval_results/*.yaml` files for `expand=["evalResults"]`.

Spec: https://github.com/huggingface/hub-docs/blob/main/eval_results.yaml. Each file is a YAML
list of entries. The API answers one item per valid entry, `{"filename", "data": entry}`, and
one `{"filename", "error"}` per file that fails validation, which `parse_eval_result_entries`
in huggingface_hub logs and skips. The real Hub's validator is private; this one checks the
documented required fields and types, and never raises.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

import yaml

FOLDER = ".eval_results/"


def is_eval_results_file(path: str) -> bool:
    return path.startswith(FOLDER) and path.endswith(".yaml")


def _jsonable(value: Any, where: str) -> Any:
    """YAML values as JSON values; dates become ISO strings (the spec asks for quoted dates)."""
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, list):
        return [_jsonable(v, where) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v, where) for k, v in value.items()}
    raise ValueError(f"{where}: unsupported YAML value of type {type(value).__name__}")


def _check_entry(entry: Any, where: str) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: expected a mapping, got {type(entry).__name__}")
    dataset = entry.get("dataset")
    if not isinstance(dataset, dict):
        raise ValueError(f"{where}: 'dataset' is required and must be a mapping")
    for key in ("id", "task_id"):
        if not isinstance(dataset.get(key), str) or not dataset[key]:
            raise ValueError(f"{where}: 'dataset.{key}' is required and must be a string")
    if "revision" in dataset and not isinstance(dataset["revision"], str):
        raise ValueError(f"{where}: 'dataset.revision' must be a string")
    value = entry.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{where}: 'value' is required and must be a number")
    for key in ("verifyToken", "notes"):
        if key in entry and not isinstance(entry[key], str):
            raise ValueError(f"{where}: '{key}' must be a string")
    if "date" in entry and not isinstance(entry["date"], str | dt.date):
        raise ValueError(f"{where}: 'date' must be an ISO-8601 string")
    if "source" in entry:
        source = entry["source"]
        if not isinstance(source, dict) or not isinstance(source.get("url"), str):
            raise ValueError(f"{where}: 'source.url' is required when 'source' is given")
        for key in ("name", "user", "org"):
            if key in source and not isinstance(source[key], str):
                raise ValueError(f"{where}: 'source.{key}' must be a string")
    result: dict[str, Any] = _jsonable(entry, where)
    return result


def parse_file(filename: str, content: bytes) -> list[dict[str, Any]]:
    """The API items for one file: its entries, or a single `{filename, error}`."""
    try:
        loaded = yaml.safe_load(content.decode("utf-8"))
        if not isinstance(loaded, list):
            raise ValueError(f"expected a YAML list of entries, got {type(loaded).__name__}")
        entries = [_check_entry(e, f"entry {i}") for i, e in enumerate(loaded)]
    except (ValueError, yaml.YAMLError, UnicodeDecodeError) as exc:
        return [{"filename": filename, "error": str(exc).replace("\n", " ")}]
    return [{"filename": filename, "data": entry} for entry in entries]


def eval_results(
    files: Iterable[tuple[str, str]], read: Callable[[str], bytes]
) -> list[dict[str, Any]]:
    """Items for every `.eval_results/*.yaml` among `(path, blob oid)` pairs, sorted by path."""
    items: list[dict[str, Any]] = []
    for path, oid in sorted(files):
        if is_eval_results_file(path):
            items.extend(parse_file(path, read(oid)))
    return items
