"""Aggregate objects: verify size + sha256, then parse tolerantly into a typed `Record`.

Third step of the pipeline (docs/architecture.md). EEE records come in schema 0.2.0 … 0.3.x;
this reader checks only the keys eeesync needs (`schema_version`, `evaluation_id`, `model_info.id`,
`evaluation_results[]`) and ignores every other key, so the next minor schema version still
reads (the EEE project's own converter used a strict `extra="forbid"` model, so every new key
broke it). Any failure
is a `SkippedItem` naming the index line and the object path; the run goes on.

Results are parsed on first access (`Record.results`): the mapping looks at the raw result
dicts first and builds `Result`s only for the few that match a benchmark, which keeps a 229,000
record scan fast (see benchmarks/bench_datastore.py).
JSON is decoded with orjson when it is installed (`bulk.py`), else with `json`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar, overload

import attrs
from huggingface_hub.utils.sha import git_hash

from eeesync.datastore.bulk import FAST_LOADS
from eeesync.datastore.index import IndexRow
from eeesync.plan.model import SkippedItem

_VERSION_RE = re.compile(r"^\s*(\d+)\.(\d+)(?:\.(\d+))?")
#: Oldest schema minor (within major 0) this reader understands; newer minors are read as-is.
MIN_SCHEMA_MINOR = 2


def text_of(value: Any) -> str:
    """A recorded string, stripped; "" for anything else."""
    return value.strip() if isinstance(value, str) else ""


def _opt_text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def timestamp_of(value: Any) -> str | None:
    """Timestamps are strings in the schema, but some writers emit numbers: keep their text."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return repr(value)
    return _opt_text(value)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


@attrs.frozen(slots=True)
class ModelInfo:
    """`model_info`: who/what was evaluated. `id` is as recorded (the mapping validates it)."""

    id: str
    name: str = ""
    developer: str = ""
    inference_platform: str = ""
    availability: str = ""  # additional_details.model_availability (0.3.x), lower-cased
    deployment_type: str = ""  # additional_details.deployment_type (0.3.x), lower-cased

    @classmethod
    def from_raw(cls, data: Mapping[str, Any]) -> ModelInfo:
        extra = _mapping(data.get("additional_details"))
        availability = data.get("model_availability", extra.get("model_availability"))
        deployment = data.get("deployment_type", extra.get("deployment_type"))
        return cls(
            id=text_of(data.get("id")),
            name=text_of(data.get("name")),
            developer=text_of(data.get("developer")),
            inference_platform=text_of(data.get("inference_platform")),
            availability=text_of(availability).lower(),
            deployment_type=text_of(deployment).lower(),
        )


@attrs.frozen(slots=True)
class SourceMeta:
    """Who ran the evaluation and how (for the model view and PR descriptions)."""

    name: str = ""  # source_metadata.source_name, e.g. "HF Open LLM v2"
    organization: str = ""  # source_metadata.source_organization_name
    organization_url: str = ""
    evaluator_relationship: str = ""  # "first_party" / "third_party"
    source_type: str = ""  # "documentation", "evaluation_run", …
    eval_library: str = ""  # eval_library.name (0.2.2+), e.g. "lm-eval-harness"
    eval_library_version: str = ""
    retrieved_timestamp: str | None = None
    generation_config: Mapping[str, Any] | None = None  # record-level settings, if any

    @classmethod
    def from_raw(cls, data: Mapping[str, Any]) -> SourceMeta:
        meta = _mapping(data.get("source_metadata"))
        library = _mapping(data.get("eval_library"))
        generation = data.get("generation_config")
        return cls(
            name=text_of(meta.get("source_name")),
            organization=text_of(meta.get("source_organization_name")),
            organization_url=text_of(meta.get("source_organization_url")),
            evaluator_relationship=text_of(meta.get("evaluator_relationship")),
            source_type=text_of(meta.get("source_type")),
            eval_library=text_of(library.get("name")),
            eval_library_version=text_of(library.get("version")),
            retrieved_timestamp=timestamp_of(data.get("retrieved_timestamp")),
            generation_config=generation if isinstance(generation, dict) else None,
        )


def _urls(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(u for u in value if isinstance(u, str))
    return ()


def result_subset(data: Mapping[str, Any]) -> str | None:
    """The subset a result names, if any: generation or source `additional_details.subset`."""
    generation = _mapping(_mapping(data.get("generation_config")).get("additional_details"))
    source = _mapping(data.get("source_data"))
    for value in (
        generation.get("subset"),
        _mapping(source.get("additional_details")).get("subset"),
        source.get("subset"),
    ):
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


@attrs.frozen(slots=True)
class Result:
    """One `evaluation_results[]` item, read tolerantly. `score` is as recorded (unchecked).

    The fields are what the mapping reads for every result it publishes; the properties that
    describe the result's source (for the model view) are read from `raw` on first use.
    """

    index: int  # position in evaluation_results (0-based)
    result_id: str  # evaluation_result_id ("" before schema 0.2.2)
    evaluation_name: str
    timestamp: str | None
    metric_id: str
    metric_unit: str
    min_score: Any
    max_score: Any
    lower_is_better: Any
    score: Any
    raw: Mapping[str, Any]

    @classmethod
    def from_raw(cls, index: int, data: Mapping[str, Any]) -> Result:
        metric = data.get("metric_config")
        if not isinstance(metric, dict):
            metric = {}
        score_details = data.get("score_details")
        unit = metric.get("metric_unit")
        return cls(
            index=index,
            result_id=text_of(data.get("evaluation_result_id")),
            evaluation_name=text_of(data.get("evaluation_name")),
            timestamp=timestamp_of(data.get("evaluation_timestamp")),
            metric_id=text_of(metric.get("metric_id")),
            metric_unit=unit.strip().lower() if isinstance(unit, str) else "",
            min_score=metric.get("min_score"),
            max_score=metric.get("max_score"),
            lower_is_better=metric.get("lower_is_better"),
            score=score_details.get("score") if isinstance(score_details, dict) else None,
            raw=data,
        )

    @property
    def _source(self) -> Mapping[str, Any]:
        return _mapping(self.raw.get("source_data"))

    @functools.cached_property
    def source_type(self) -> str:
        return text_of(self._source.get("source_type")).lower()

    @functools.cached_property
    def hf_repo(self) -> str:
        return text_of(self._source.get("hf_repo"))

    @functools.cached_property
    def benchmark_hf_repo(self) -> str:
        return text_of(_mapping(self._source.get("additional_details")).get("benchmark_hf_repo"))

    @functools.cached_property
    def dataset_name(self) -> str:
        return text_of(self._source.get("dataset_name"))

    @functools.cached_property
    def urls(self) -> tuple[str, ...]:
        return _urls(self._source.get("url"))

    @functools.cached_property
    def subset(self) -> str | None:
        return result_subset(self.raw)

    @functools.cached_property
    def metric_name(self) -> str:
        return text_of(_mapping(self.raw.get("metric_config")).get("metric_name"))

    @property
    def label(self) -> str:
        """For people: the result id, else its name, else its position."""
        return self.result_id or self.evaluation_name or f"evaluation_results[{self.index}]"


_T = TypeVar("_T")


class _once(Generic[_T]):
    """`functools.cached_property` without its lock: before Python 3.12 it takes an RLock on
    every first read, and a scan reads four views of each of ~229,000 records. A record is
    read by one thread (at worst two threads would compute the same value twice)."""

    def __init__(self, compute: Callable[[Any], _T]) -> None:
        self.compute = compute
        self.name = compute.__name__
        self.__doc__ = compute.__doc__

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> _once[_T]: ...
    @overload
    def __get__(self, instance: object, owner: type | None = None) -> _T: ...
    def __get__(self, instance: object, owner: type | None = None) -> _T | _once[_T]:
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.compute(instance)
        return value


@attrs.frozen(slots=False)  # a dict, so that the views below cost a dict read once built
class Record:
    """One verified aggregate object: the raw JSON, its required keys checked
    (`record_problem`), and typed views of it.

    The views are built on first use: the mapping decides from `raw_results` alone, and most
    records of a scan are never looked at again (benchmarks/bench_datastore.py). Two records
    are equal when their index rows are (the row carries the object's sha256).
    """

    row: IndexRow
    raw: Mapping[str, Any] = attrs.field(repr=False, eq=False)

    @_once
    def schema_version(self) -> str:
        return str(self.raw["schema_version"]).strip()

    @_once
    def evaluation_id(self) -> str:
        return str(self.raw["evaluation_id"]).strip()

    @_once
    def timestamp(self) -> str | None:
        """The record-level evaluation_timestamp, as recorded."""
        return timestamp_of(self.raw.get("evaluation_timestamp"))

    @_once
    def retrieved_timestamp(self) -> str | None:
        """As recorded (the mapping's fallback date for ordering records)."""
        return timestamp_of(self.raw.get("retrieved_timestamp"))

    @_once
    def model(self) -> ModelInfo:
        return ModelInfo.from_raw(self.raw["model_info"])

    @_once
    def source(self) -> SourceMeta:
        return SourceMeta.from_raw(self.raw)

    @property
    def raw_results(self) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = self.raw["evaluation_results"]
        return results

    @_once
    def results(self) -> tuple[Result, ...]:
        return tuple(Result.from_raw(i, r) for i, r in enumerate(self.raw_results))


def object_skip(row: IndexRow, reason: str, message: str) -> SkippedItem:
    """The object named by `row` gives no record (`reason` from `DATASTORE_REASONS`)."""
    return SkippedItem(
        reason=reason,
        message=f"{row.location}: {message}",
        collection=row.collection,
        line=row.line,
        object_path=row.object_path,
    )


def verify_object(row: IndexRow, data: bytes) -> SkippedItem | None:
    """Check size then sha256 (or a submission file's git blob id) against the row, before
    anything parses the bytes. A folder's submission file has nothing to check them against."""
    if row.size_bytes is not None and len(data) != row.size_bytes:
        return object_skip(
            row, "size_mismatch", f"size is {len(data)} bytes, {_said(row)} {row.size_bytes}"
        )
    if row.sha256:
        digest = hashlib.sha256(data).hexdigest()
        if digest != row.sha256:
            return object_skip(
                row, "sha256_mismatch", f"sha256 is {digest}, {_said(row)} {row.sha256}"
            )
    elif row.blob_id:
        blob = git_hash(data)
        if blob != row.blob_id:
            return object_skip(
                row, "blob_id_mismatch", f"git blob id is {blob}, {_said(row)} {row.blob_id}"
            )
    return None


def _said(row: IndexRow) -> str:
    return "the index says" if row.line else "the listing says"


def parse_record(row: IndexRow, data: bytes) -> Record | SkippedItem:
    """Decode verified bytes into a `Record`, or say why not."""
    parsed = decode_object(row, data)
    return parsed if isinstance(parsed, SkippedItem) else record_from_json(row, parsed)


def decode_object(row: IndexRow, data: bytes) -> dict[str, Any] | SkippedItem:
    """Verified bytes → the JSON object, or why they are not one."""
    if FAST_LOADS is not None:
        try:
            fast = FAST_LOADS(data)
        except ValueError:  # orjson.JSONDecodeError: `json` below decides and says why
            pass
        else:
            if isinstance(fast, dict):
                return fast
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return object_skip(row, "not_utf8", f"not UTF-8 at byte {exc.start}")
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        return object_skip(row, "bad_json", f"invalid JSON at line {exc.lineno}: {exc.msg}")
    except RecursionError:
        return object_skip(row, "bad_json", "JSON nested too deeply")
    if not isinstance(raw, dict):
        return object_skip(row, "not_an_object", f"JSON is a {type(raw).__name__}, not an object")
    return raw


@functools.lru_cache(maxsize=256)
def _supported_version(version: str) -> bool:
    match = _VERSION_RE.match(version)
    return (
        match is not None and int(match.group(1)) == 0 and int(match.group(2)) >= MIN_SCHEMA_MINOR
    )


def record_from_json(row: IndexRow, raw: dict[str, Any]) -> Record | SkippedItem:
    """Check the required keys of a decoded aggregate object and build the `Record`."""
    return record_problem(row, raw) or Record(row, raw)


def record_problem(row: IndexRow, raw: dict[str, Any]) -> SkippedItem | None:
    """Why a decoded object is not a usable record (None: it is)."""
    version = raw.get("schema_version")
    if not isinstance(version, str) or not _supported_version(version):
        return object_skip(
            row,
            "unsupported_schema_version",
            f"schema_version {version!r} is not supported (this eeesync reads 0.2 … 0.x)",
        )
    evaluation_id = raw.get("evaluation_id")
    if not isinstance(evaluation_id, str) or not evaluation_id.strip():
        return object_skip(row, "schema_error", "evaluation_id is missing or not a string")
    model = raw.get("model_info")
    if not isinstance(model, dict):
        return object_skip(row, "schema_error", "model_info is missing or not an object")
    model_id = model.get("id")
    if not isinstance(model_id, str) or not model_id.strip():
        return object_skip(row, "schema_error", "model_info.id is missing or not a string")
    results = raw.get("evaluation_results")
    if not isinstance(results, list):
        return object_skip(row, "schema_error", "evaluation_results is missing or not a list")
    for position, item in enumerate(results):
        if not isinstance(item, dict):
            return object_skip(
                row, "schema_error", f"evaluation_results[{position}] is not an object"
            )
    return None
