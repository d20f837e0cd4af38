"""Collection indexes: `flat/indexes/by_collection/<name>.jsonl` → `IndexRow`s.

Second step of the pipeline (docs/architecture.md). Each JSONL row names one aggregate object and
its sha256/size. A bad row is data (a `SkippedItem` with the line number), never an exception: only
an index file that cannot be read at all stops a run. Collection names are validated before they
become paths, and an unknown name is answered with the nearest existing names.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from eeesync.datastore.bulk import FAST_LOADS
from eeesync.datastore.locator import INDEX_DIR
from eeesync.errors import DatastoreError
from eeesync.plan.model import SkippedItem, pickled_by_fields

_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")
#: Row fields that point at an object outside the datastore: never fetched (a plan reads only
#: the pinned datastore revision, so every backlink stays verifiable).
_OTHER_SOURCES = ("url", "local_path")


@pickled_by_fields
@attrs.frozen(slots=True)
class IndexRow:
    """One aggregate row of a collection index, checked for shape (not yet for content).

    A submission-layout file (datastore/submission.py) is a row too: `line` 0, `object_path`
    `data/…/<uuid>.json`, and `sha256` "" until its bytes are read unless the Hub listing gave
    it (LFS); `blob_id` is the git blob id the listing gave for a plain file."""

    collection: str
    line: int  # 1-based physical line in the index file; 0: a submission file (no index)
    object_path: str  # flat/objects/xx/yy/<uuid>.json (relative, no `..`)
    sha256: str  # lower-case hex
    size_bytes: int | None = None
    record_type: str = "aggregate"
    object_uuid: str = ""
    legacy_path: str = ""
    eval_schema_version: str = ""
    subset: str | None = None
    instance_level_available: bool | None = None
    instance_level_path: str | None = None
    blob_id: str = ""

    @property
    def index_path(self) -> str:
        return index_path(self.collection)

    @property
    def where(self) -> str:
        """For people: `flat/indexes/by_collection/<c>.jsonl:<line>` (a submission file: its
        path)."""
        return f"{self.index_path}:{self.line}" if self.line else self.object_path

    @property
    def location(self) -> str:
        """For messages: the index line and the object, or the submission file."""
        return f"{self.index_path}:{self.line}: {self.object_path}" if self.line else self.where


def index_path(collection: str) -> str:
    return f"{INDEX_DIR}/{collection}.jsonl"


def check_collection_name(name: str) -> str:
    """Refuse names that are not a single index file stem. Returns the name unchanged."""
    if not name or not name.strip():
        raise DatastoreError("a collection name must not be empty")
    if name != name.strip():
        raise DatastoreError(f"collection name {name!r} must not have surrounding whitespace")
    if name.lower().endswith(".jsonl"):
        raise DatastoreError(
            f"collection name {name!r}: pass the name without the .jsonl suffix "
            f"({name[: -len('.jsonl')]!r})"
        )
    if "/" in name or "\\" in name or name in (".", "..") or ".." in name or "\0" in name:
        raise DatastoreError(
            f"collection name {name!r} must be a single file stem under {INDEX_DIR}/ "
            "(no '/', '\\' or '..')"
        )
    return name


def _normalise(name: str) -> str:
    return re.sub(r"[-_ .]", "", name.lower())


def nearest_names(name: str, available: Iterable[str], *, limit: int = 5) -> list[str]:
    """Existing collection names close to `name`: substring matches first, then difflib."""
    pool = sorted(set(available), key=str.lower)
    wanted = _normalise(name)
    picks = [c for c in pool if wanted and (wanted in _normalise(c) or _normalise(c) in wanted)]
    by_norm = {_normalise(c): c for c in pool}
    for close in difflib.get_close_matches(wanted, list(by_norm), n=limit, cutoff=0.55):
        if by_norm[close] not in picks:
            picks.append(by_norm[close])
    return picks[:limit]


#: Where the flat layout's collections are found, for the unknown-collection hint.
INDEX_FILES = f"in {INDEX_DIR}/*.jsonl"


def chosen_collections(
    collections: Sequence[str] | None, available: Sequence[str], *, found: str = INDEX_FILES
) -> tuple[str, ...]:
    """The collections named (each once), or every available one for None; a name the
    datastore does not have is a `DatastoreError` naming the nearest ones and listing those
    `found` (where the layout read keeps them)."""
    if collections is None:
        return tuple(available)
    wanted = tuple(dict.fromkeys(collections))
    missing = [c for c in wanted if c not in available]
    if missing:
        raise unknown_collection_error(missing, available, found=found)
    return wanted


def unknown_collection_error(
    names: Sequence[str], available: Sequence[str], *, found: str = INDEX_FILES
) -> DatastoreError:
    parts = []
    nearest: list[str] = []
    for name in names:
        near = nearest_names(name, available)
        nearest += near
        parts.append(
            f"{name!r} (nearest: {', '.join(near)})" if near else f"{name!r} (no close names)"
        )
    shown = list(dict.fromkeys([*nearest, *sorted(available, key=str.lower)]))
    more = f" … and {len(shown) - 12} more" if len(shown) > 12 else ""
    hint = (
        f"Collections {found}, nearest first: {', '.join(shown[:12])}{more}."
        if shown
        else f"The datastore has no collection {found}."
    )
    return DatastoreError(f"unknown collection {'; '.join(parts)}", hint=hint)


def _skip(collection: str, line: int, reason: str, message: str, path: str = "") -> SkippedItem:
    where = f"{index_path(collection)}:{line}"
    return SkippedItem(
        reason=reason,
        message=f"{where}: {message}",
        collection=collection,
        line=line,
        object_path=path,
    )


_CANONICAL_PATH = re.compile(r"^flat/objects/[0-9A-Za-z]{2}/[0-9A-Za-z]{2}/[0-9A-Za-z_-]+\.json$")


def _safe_object_path(value: Any) -> str | None:
    """A relative `flat/objects/…/*.json` path with no traversal, or None."""
    if not isinstance(value, str) or not value:
        return None
    if _CANONICAL_PATH.match(value):  # the datastore's own layout: nothing more to check
        return value
    if value.startswith("/") or "\\" in value or "\0" in value or "//" in value:
        return None
    parts = value.split("/")
    if any(p in ("", ".", "..") for p in parts):
        return None
    if not value.startswith("flat/objects/") or not value.endswith(".json"):
        return None
    return value


def parse_row(collection: str, line: int, data: Any) -> IndexRow | SkippedItem:
    """Check one decoded index row."""
    if not isinstance(data, dict):
        return _skip(
            collection,
            line,
            "index_row_not_object",
            f"a row must be a JSON object, got {type(data).__name__}",
        )
    get = data.get  # one lookup: this runs for each of the datastore's ~229,000 rows
    raw_path = get("object_path")
    shown = raw_path if isinstance(raw_path, str) else ""
    for forbidden in _OTHER_SOURCES:
        if get(forbidden) is not None:
            return _skip(
                collection,
                line,
                "unsupported_row_source",
                f"row has {forbidden!r}; only object_path rows are read from a datastore",
                shown,
            )
    record_type = get("record_type", "aggregate")
    if record_type != "aggregate":
        return _skip(
            collection,
            line,
            "non_aggregate_row",
            f"record_type is {record_type!r}, not 'aggregate'",
            shown,
        )
    object_path = _safe_object_path(raw_path)
    if object_path is None:
        return _skip(
            collection,
            line,
            "bad_object_path",
            f"object_path {raw_path!r} is not a relative flat/objects/…/*.json path",
            shown,
        )
    sha = get("sha256")
    if sha is None or sha == "":
        return _skip(collection, line, "missing_sha256", "row has no sha256", object_path)
    if not isinstance(sha, str) or not _HEX64.match(sha):
        return _skip(
            collection, line, "bad_sha256", f"sha256 {sha!r} is not 64 hex digits", object_path
        )
    size = get("size_bytes")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
        return _skip(
            collection,
            line,
            "bad_size",
            f"size_bytes {size!r} is not a non-negative whole number",
            object_path,
        )
    subset = get("subset")
    if subset is not None and (not isinstance(subset, str) or not subset.strip()):
        return _skip(
            collection,
            line,
            "bad_subset",
            f"subset {subset!r} is not a non-empty string",
            object_path,
        )
    uuid, legacy, version = get("object_uuid"), get("legacy_path"), get("eval_schema_version")
    available = get("instance_level_available")
    instance_path = get("instance_level_path")
    return IndexRow(
        collection,
        line,
        object_path,
        sha.lower(),
        size,
        "aggregate",
        uuid if isinstance(uuid, str) else "",
        legacy if isinstance(legacy, str) else "",
        version if isinstance(version, str) else "",
        subset.strip() if isinstance(subset, str) else None,
        available if isinstance(available, bool) else None,
        instance_path if isinstance(instance_path, str) else None,
    )


def _decode_line(line: bytes) -> tuple[Any, str]:
    """(the line's JSON value, "") or (None, why it is not JSON)."""
    if FAST_LOADS is not None:
        try:
            decoded = FAST_LOADS(line)
        except ValueError:
            pass  # `json` decides below, and words the reason
        else:
            # orjson reads an integer beyond 64 bits as a float (`size_bytes`!): `json` keeps it.
            if not (isinstance(decoded, dict) and float in map(type, decoded.values())):
                return decoded, ""
    try:
        return json.loads(line.decode("utf-8")), ""
    except UnicodeDecodeError as exc:
        return None, f"line is not UTF-8 ({exc.reason})"
    except json.JSONDecodeError as exc:
        return None, f"invalid JSON: {exc.msg}"
    except RecursionError:
        return None, "invalid JSON: nested too deeply"


def read_index(data: bytes, collection: str) -> tuple[list[IndexRow], list[SkippedItem], int]:
    """Parse an index file's bytes → (rows, skipped rows, number of non-blank lines).

    Lines are decoded one by one, so one non-UTF-8 line costs only that line. A repeated
    object_path is read once (the later row is skipped as `duplicate_row`).
    """
    rows: list[IndexRow] = []
    skipped: list[SkippedItem] = []
    seen: set[str] = set()
    count = 0
    for number, raw_line in enumerate(data.split(b"\n"), start=1):
        if not raw_line.strip():
            continue
        count += 1
        decoded, problem = _decode_line(raw_line)
        if problem:
            skipped.append(_skip(collection, number, "bad_index_line", problem))
            continue
        parsed = parse_row(collection, number, decoded)
        if isinstance(parsed, SkippedItem):
            skipped.append(parsed)
        elif parsed.object_path in seen:
            skipped.append(
                _skip(
                    collection,
                    number,
                    "duplicate_row",
                    f"{parsed.object_path} is listed again; read once",
                    parsed.object_path,
                )
            )
        else:
            seen.add(parsed.object_path)
            rows.append(parsed)
    return rows, skipped, count
