"""EEE records + the benchmark registry → the `.eval_results` entries each model should have.

The last step of the "desired state" half (docs/architecture.md), pure: no I/O, no clock, no Hub.
One record yields at most one entry per (benchmark, variant); every record or result that
matches a benchmark but cannot be published becomes a `SkippedItem` with a reason below. Records
with no result for a registered benchmark are only counted (`unmatched_records`): listing the
~200,000 of them in every plan would bury the skips that matter.

Entries are our own `EvalEntry`, holding what huggingface_hub's `EvalResultEntry` holds (its one
invariant, a source_url next to source_name, always holds here); `plan/merge.py` builds the
`EvalResultEntry` of every entry it writes and serialises it with `eval_result_entries_to_yaml`
(which orders the keys but dumps no YAML, and drops keys whose value is `None`).

Rules (each pinned by tests/test_mapping.py):

* value on the 0–100 scale: `metric_unit` percent → as is, proportion → ×100; without a unit,
  `max_score` 100 / 1 decides; else the benchmark's `scale`; else skipped. A unit that
  contradicts `max_score`, a non-zero `min_score`, a result outside the range, and
  `lower_is_better` metrics are refused.
* `date`: the result's `evaluation_timestamp`, else the record's, as `YYYY-MM-DD` (UTC). Epoch
  seconds or ISO-8601. A timestamp that is present but unreadable skips the entry
  (`invalid_timestamp`) rather than publishing a score with a made-up or missing date.
* `source.url` = the pinned blob URL of the object; `source.name` = "EvalEval".
* model id: `model_info.id`, stripped, must pass huggingface_hub's `validate_repo_id` (so a
  hostile id such as `../../x` never reaches a path or a request).
* API-only models: `model_availability` / `deployment_type` first (an explicit open-weights
  value wins over the provider list), then the configured provider namespaces
  (`openai/gpt-oss*` stays: open weights).
* several results for one (benchmark, variant) in a record → the first preferred metric, else
  `ambiguous_result`. A variant benchmark (GPQA) needs evidence of the variant (row/result
  subset, dataset name, result id, a variant-only hf_repo, a per-source rule or a default
  variant), else `variant_unknown`.
* duplicates across records for one (repo, dataset, task, notes): equal values (within 1e-9)
  collapse to one entry (the newest record); different values form a `conflicts` group
  (`duplicates="conflict"`), or the newest record wins (`duplicates="latest"`). Under "latest",
  records that tie on the newest timestamp but disagree still form a conflict group: there is
  no honest winner to pick.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any, Literal

import attrs
from huggingface_hub.errors import HFValidationError

# Public validator, re-exported by huggingface_hub.utils without being listed in its __all__.
from huggingface_hub.utils import validate_repo_id  # type: ignore[attr-defined]

from eeesync.aliases import NO_ALIASES, AliasTable
from eeesync.config import DEFAULT_API_ONLY_PROVIDERS
from eeesync.datastore.bulk import gc_paused
from eeesync.datastore.reasons import DATASTORE_REASONS
from eeesync.datastore.records import (
    ModelInfo,
    Record,
    Result,
    result_subset,
    text_of,
    timestamp_of,
)
from eeesync.plan.model import (
    SOURCE_NAME,
    DesiredEntry,
    EvalEntry,
    Provenance,
    SkippedItem,
    UnmatchedGroup,
)
from eeesync.registry import (
    Benchmark,
    Registry,
    TaskCheck,
    Variant,
    normalise_name,
    remember,
    tokens,
)
from eeesync.setups import setup_notes, stated_notes

if TYPE_CHECKING:
    from eeesync.datastore.locator import Locator

MAPPING_REASONS: dict[str, str] = {
    "invalid_model_id": "model_info.id is not a valid Hub repo id (e.g. `../../x`)",
    "api_only_model": "the model is API-only / closed weights: it has no Hub repo to update",
    "ambiguous_result": "several results match one benchmark and none is a preferred metric",
    "sub_score_only": "the record has only subject/category scores of the benchmark, no overall",
    "variant_unknown": "the result does not say which variant (e.g. GPQA diamond/main) it is",
    "variant_conflict": "the result names two different variants",
    "missing_score": "score_details.score is missing",
    "non_numeric_score": "the score is not a number (a string, a boolean, …)",
    "non_finite_score": "the score is NaN or infinite",
    "score_out_of_range": "the score is outside its scale (or too large to be a score)",
    "unknown_scale": "metric_unit / max_score do not say whether the score is 0–1 or 0–100",
    "lower_is_better": "the metric is lower-is-better; Community Evals shows higher-is-better",
    "invalid_timestamp": "an evaluation timestamp is present but is not epoch seconds / ISO-8601",
    "unknown_task": "the benchmark's eval.yaml defines none of the task id and its aliases",
    "task_check_failed": "the benchmark's eval.yaml could not be read to confirm the task id",
    "deployment_alias_not_allowed": "an alias maps a hosted deployment id to an open repo, and "
    "the user did not allow it (alias `deployment = true` or [aliases] allow_deployments)",
}
#: Every reason code a `SkippedItem` can carry (datastore + mapping), for views and docs.
REASONS: dict[str, str] = {**DATASTORE_REASONS, **MAPPING_REASONS}

SAME_VALUE = 1e-9
_PERCENT_UNITS = frozenset({"percent", "percentage", "%", "pct"})
_PROPORTION_UNITS = frozenset({"proportion", "fraction", "ratio", "probability"})
_EPOCH_RE = re.compile(r"^\d{1,12}(?:\.\d+)?$")
_EPOCH_MAX = 4102444800.0  # 2100-01-01: anything later is not an evaluation date
_OPEN_WORDS = frozenset({"open", "public", "opensource"})
_CLOSED_WORDS = frozenset({"closed", "proprietary", "api", "private", "commercial"})
#: metric units that are not a score (llm-stats writes a cost next to the score, in usd)
_SCORE_UNITS = _PERCENT_UNITS | _PROPORTION_UNITS
_PLAIN_NUMBERS = (int, float)  # by class: a bool is not a score
_HUGE = 10**300  # an int score beyond this takes `scale_score` (float() would overflow)
_UNKNOWN: Any = object()  # "not memoised yet" (None is a memoised "not publishable")
_NOTHING: Mapping[str, Any] = {}


@attrs.frozen
class MappingOptions:
    """How to map: the config's settings and a run's filters (`Stages.mapping_options`)."""

    duplicates: Literal["conflict", "latest"] = "conflict"
    api_only_providers: tuple[str, ...] = DEFAULT_API_ONLY_PROVIDERS
    web_base: str = "https://huggingface.co"
    benchmark_filter: tuple[str, ...] = ()  # registry keys; () = all
    model_filter: str = ""  # fnmatch glob on the model id, case-insensitive; "" = all
    #: Reviewed model aliases (model-aliases.toml): EEE id → the Hub repo to publish on.
    aliases: AliasTable = NO_ALIASES
    shard: tuple[int, int] = (1, 1)  # (K, N): only model ids in shard K of N


@attrs.frozen
class MappingResult:
    """The desired state. A (repo, dataset, task, notes) key is in `desired` or in one
    `conflicts` group, never both."""

    desired: tuple[DesiredEntry, ...]
    conflicts: tuple[tuple[DesiredEntry, ...], ...]
    skipped: tuple[SkippedItem, ...]
    records_seen: int = 0
    unmatched_records: int = 0  # no result for any (selected) benchmark: counted, not skipped
    #: results no benchmark of the registry recognises, per (collection, evaluation name)
    unmatched: tuple[UnmatchedGroup, ...] = ()
    filtered_out: int = 0  # excluded by the model filter
    #: records whose model id the model filter matched, and the ids it passed over (so a
    #: filter that matched nothing can name the nearest ids)
    filter_matched: int = 0
    passed_over_ids: frozenset[str] = frozenset()
    duplicates_collapsed: int = 0  # same-value entries merged into one


# --- Small rules --------------------------------------------------------------------------------


class NotPublishable(Exception):
    """Why one result or record cannot be published (`reason`: a `MAPPING_REASONS` key).

    Raised by the rule functions below (`scale_score`, `evaluation_date`, …). A mapping run turns
    it into a `SkippedItem` at once, so it never escapes `map_records`: per-record problems are
    data, which is also why it is not one of the run-stopping errors of `eeesync.errors`.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason, self.message = reason, message


@functools.lru_cache(maxsize=65536)
def in_shard(model_id: str, shard: int, count: int) -> bool:
    """Whether a model belongs to shard `shard` (1-based) of `count`: by the sha256 of its
    lower-cased id, so every spelling of a repo lands in one shard, on every machine."""
    digest = hashlib.sha256(model_id.strip().lower().encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count == shard - 1


def check_model_id(raw_id: str) -> str:
    """The recorded id, stripped and validated. Raises `NotPublishable("invalid_model_id")`."""
    repo_id = raw_id.strip()
    try:
        validate_repo_id(repo_id)
    except HFValidationError as exc:
        raise NotPublishable(
            "invalid_model_id", f"model id {raw_id!r} is not a Hub repo id: {exc}"
        ) from exc
    return repo_id


def api_only_reason(model: ModelInfo, providers: Sequence[str]) -> str | None:
    """Why the model is API-only (for people), or None when it may have a Hub repo.

    Schema 0.3 facts first: `model_availability` `open_weights` → has weights, `closed_weights`
    (or any closed/proprietary/api word) → API-only; `deployment_type` `self_deployed` → the
    evaluator ran the weights itself, so they exist; `externally_managed` (a hosted endpoint,
    which serves open models too) and `unknown` say nothing, like an absent value. Only then the
    configured provider namespaces (`openai/gpt-oss*` stays: open weights).
    """
    availability = set(tokens(model.availability))
    if availability & _OPEN_WORDS:
        return None  # the record says open weights: the provider list does not overrule it
    if availability & _CLOSED_WORDS:
        return f"model_availability is {model.availability!r}"
    if "weights" in availability:
        return None  # e.g. "weights_available"
    deployment = set(tokens(model.deployment_type))
    if deployment & {"closed", "proprietary"} or {"api", "only"} <= deployment:
        return f"deployment_type is {model.deployment_type!r}"
    if {"self", "deployed"} <= deployment or deployment & {"local", "selfhosted"}:
        return None  # the evaluator ran the weights: they exist
    model_id = model.id.strip().lower()
    if model_id.startswith("openai/gpt-oss"):
        return None  # OpenAI's open-weights models live on the Hub
    for prefix, whole_namespace in _provider_prefixes(tuple(providers)):
        if (
            model_id.startswith(prefix)
            if not whole_namespace
            else (model_id == prefix or model_id.startswith(prefix + "/"))
        ):
            return f"provider {prefix!r} is API-only (sync.api_only_providers)"
    return None


@functools.lru_cache(maxsize=16)
def _provider_prefixes(providers: tuple[str, ...]) -> tuple[tuple[str, bool], ...]:
    """(lower-cased prefix, names a whole namespace) per configured provider, blanks dropped."""
    prefixes = (p.strip().lower().rstrip("/") for p in providers)
    return tuple((prefix, "/" not in prefix) for prefix in prefixes if prefix)


@functools.lru_cache(maxsize=4096)  # records of one run share a few timestamps
def parse_timestamp(text: str) -> datetime | None:
    """Epoch seconds or ISO-8601 → aware UTC datetime; None when unreadable."""
    text = text.strip()
    if _EPOCH_RE.match(text):
        seconds = float(text)
        if not 0 <= seconds < _EPOCH_MAX:
            return None
        return datetime.fromtimestamp(seconds, tz=UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment if 1900 <= moment.year < 2100 else None


@functools.lru_cache(maxsize=4096)
def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@functools.lru_cache(maxsize=4096)
def evaluation_date(result_ts: str | None, record_ts: str | None) -> tuple[str | None, str]:
    """(`YYYY-MM-DD` or None, ISO instant for ordering or ""). Raises `NotPublishable`."""
    for where, text in (("result", result_ts), ("record", record_ts)):
        if text is None:
            continue
        moment = parse_timestamp(text)
        if moment is None:
            raise NotPublishable(
                "invalid_timestamp",
                f"{where} evaluation_timestamp {text!r} is neither epoch seconds nor ISO-8601",
            )
        return moment.date().isoformat(), _iso(moment)
    return None, ""


def scale_score(result: Result, benchmark: Benchmark) -> float:
    """The score on the 0–100 scale. Raises `NotPublishable` with the reason."""
    score = result.score
    label = result.label
    if score is None:
        raise NotPublishable("missing_score", f"{label}: score_details.score is missing")
    if isinstance(score, bool) or not isinstance(score, int | float):
        raise NotPublishable("non_numeric_score", f"{label}: score {score!r} is not a number")
    try:
        number = float(score)
    except OverflowError:
        raise NotPublishable("score_out_of_range", f"{label}: score {score} is too large") from None
    if not math.isfinite(number):
        raise NotPublishable("non_finite_score", f"{label}: score {score!r} is not finite")
    factor = scale_rule(result, benchmark)
    value = round(number * factor, 10)
    if not 0.0 <= value <= 100.0:
        raise NotPublishable(
            "score_out_of_range",
            f"{label}: score {score!r} × {factor:g} = {value:g} is outside 0–100",
        )
    return value


def scale_rule(result: Result, benchmark: Benchmark) -> float:
    """The factor that puts any score of the result's metric on 0–100. It reads the metric
    only (`metric_config` and the benchmark's `scale`), never the score, so the mapping
    memoises it per metric. Raises `NotPublishable` when the metric is not publishable."""
    label = result.label
    if result.lower_is_better is True or str(result.lower_is_better).lower() == "true":
        raise NotPublishable("lower_is_better", f"{label}: the metric is lower-is-better")
    factor = _scale_factor(result, benchmark)
    min_score = finite_number(result.min_score)
    if min_score not in (None, 0.0):
        raise NotPublishable("unknown_scale", f"{label}: min_score is {result.min_score!r}, not 0")
    return factor


def finite_number(value: Any) -> float | None:
    """A JSON number as a finite float; None for anything else (booleans, text, NaN, huge)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _scale_factor(result: Result, benchmark: Benchmark) -> float:
    unit = result.metric_unit
    max_score = finite_number(result.max_score)
    label = result.label
    if unit in _PERCENT_UNITS:
        if max_score not in (None, 100.0):
            raise NotPublishable(
                "unknown_scale", f"{label}: metric_unit {unit!r} but max_score {max_score:g}"
            )
        return 1.0
    if unit in _PROPORTION_UNITS:
        if max_score not in (None, 1.0):
            raise NotPublishable(
                "unknown_scale", f"{label}: metric_unit {unit!r} but max_score {max_score:g}"
            )
        return 100.0
    if unit:
        raise NotPublishable(
            "unknown_scale", f"{label}: metric_unit {unit!r} is not percent/proportion"
        )
    if max_score == 100.0:
        return 1.0
    if max_score == 1.0:
        return 100.0
    if benchmark.scale == "percent" and max_score is None:
        return 1.0
    if benchmark.scale == "proportion" and max_score is None:
        return 100.0
    shown = "absent" if result.max_score is None else repr(result.max_score)
    raise NotPublishable(
        "unknown_scale",
        f"{label}: no metric_unit and max_score is {shown}: cannot tell 0–1 from 0–100",
    )


def _contains(haystack: tuple[str, ...], needle: tuple[str, ...]) -> bool:
    size = len(needle)
    return size > 0 and any(
        haystack[i : i + size] == needle for i in range(len(haystack) - size + 1)
    )


def variant_evidence(record: Record, result: Mapping[str, Any]) -> tuple[str, tuple[str, ...]]:
    """(`hf_repo` lower-cased, the texts that may name a variant) of one raw result."""
    raw_source, raw_metric = result.get("source_data"), result.get("metric_config")
    source: Mapping[str, Any] = raw_source if isinstance(raw_source, dict) else {}
    metric: Mapping[str, Any] = raw_metric if isinstance(raw_metric, dict) else {}
    hf_repo = str(source.get("hf_repo") or "").strip().lower()
    hints = (
        record.row.subset,
        result_subset(result),
        source.get("dataset_name"),
        result.get("evaluation_result_id"),
        metric.get("metric_id"),
        result.get("evaluation_name"),
    )
    return hf_repo, tuple(h for h in hints if isinstance(h, str) and h.strip())


def choose_variant(
    benchmark: Benchmark, hf_repo: str, hints: Sequence[str], source_name: str
) -> Variant:
    """Which variant the evidence names; else the source's rule; else the default variant.

    Raises `NotPublishable` when it names two variants or none can be told (no guessing).
    """
    hint_tokens = [tokens(h) for h in hints]
    found: list[str] = []
    for variant in benchmark.variants:
        by_repo = hf_repo and hf_repo in {r.lower() for r in variant.hf_repos}
        by_word = any(_contains(h, tokens(m)) for m in variant.match for h in hint_tokens)
        if by_repo or by_word:
            found.append(variant.name)
    if len(found) > 1:
        raise NotPublishable("variant_conflict", f"the result names variants {', '.join(found)}")
    if found:
        return benchmark.variant(found[0])  # type: ignore[return-value]
    rules = dict(benchmark.source_variants)
    for source_key in (source_name.lower(), hf_repo):
        if source_key and source_key in rules:
            return benchmark.variant(rules[source_key])  # type: ignore[return-value]
    if benchmark.default_variant:
        return benchmark.variant(benchmark.default_variant)  # type: ignore[return-value]
    names = "/".join(v.name for v in benchmark.variants)
    raise NotPublishable(
        "variant_unknown",
        f"{benchmark.name} result names no variant ({names}); not published under a guess",
    )


def detect_variant(benchmark: Benchmark, record: Record, result: Mapping[str, Any]) -> Variant:
    """Which variant a result is, from evidence only. Raises `NotPublishable`."""
    hf_repo, hints = variant_evidence(record, result)
    return choose_variant(benchmark, hf_repo, hints, record.source.name)


def _display_name(result: Mapping[str, Any]) -> str:
    """How coverage names an unmatched result: its evaluation name, else its dataset name."""
    name = result.get("evaluation_name")
    if name.__class__ is not str or not name.strip():
        source = result.get("source_data")
        name = source.get("dataset_name") if source.__class__ is dict else None
    return name if name.__class__ is str and name.strip() else ""


def _clean_name(name: str) -> str:
    return " ".join(name.split())[:200] or "(unnamed)"


def unmatched_groups(left_behind: Mapping[str, Mapping[str, int]]) -> tuple[UnmatchedGroup, ...]:
    """Counted groups, most results first (then collection, name): the plan's coverage."""
    merged: dict[tuple[str, str], int] = {}
    for collection, names in left_behind.items():
        for raw_name, count in names.items():
            key = (collection, _clean_name(raw_name))
            merged[key] = merged.get(key, 0) + count
    groups = [UnmatchedGroup(c, name, count) for (c, name), count in merged.items()]
    return tuple(sorted(groups, key=lambda g: (-g.results, g.collection, g.evaluation_name)))


def _assumed_prompt(benchmark: Benchmark, record: Record) -> str:
    """The benchmark's `source_setups` prompt for the record's source, read from the raw
    `source_metadata` (building `record.source` for every published entry costs more)."""
    meta = record.raw.get("source_metadata")
    name = meta.get("source_name") if meta.__class__ is dict else None
    if name.__class__ is not str:
        return ""
    return dict(benchmark.source_setups).get(name.strip().lower(), "")


def _is_score(result: Mapping[str, Any]) -> bool:
    """False for a result whose unit says it is not a score (a cost in usd, seconds, …)."""
    metric = result.get("metric_config")
    unit = metric.get("metric_unit") if isinstance(metric, dict) else None
    return not isinstance(unit, str) or not unit.strip() or unit.strip().lower() in _SCORE_UNITS


def _names(result: Mapping[str, Any]) -> tuple[str, str, str, str]:
    """(result id, metric id, dataset name, evaluation name) of a raw result, "" when absent."""
    metric, source = result.get("metric_config"), result.get("source_data")
    values = (
        result.get("evaluation_result_id"),
        metric.get("metric_id") if metric.__class__ is dict else None,
        source.get("dataset_name") if source.__class__ is dict else None,
        result.get("evaluation_name"),
    )
    a, b, c, d = (v if v.__class__ is str else "" for v in values)
    return a, b, c, d


def _is_sub_score(target: _Target, texts: tuple[str, str, str, str]) -> bool:
    """A sub-score names a subject/category (a `sub_scores` glob) and is not the overall score
    (a preferred metric id, or one of the benchmark's dataset names)."""
    result_id, metric_id, dataset_name, _ = (t.strip() for t in texts)
    if result_id.lower() in target.ranks or metric_id.lower() in target.ranks:
        return False
    if dataset_name and normalise_name(dataset_name) in target.names:
        return False
    lowered = [" ".join(t.lower().split()) for t in texts if t]
    return any(fnmatchcase(text, glob) for glob in target.sub_globs for text in lowered)


def _lower_is_better(result: Mapping[str, Any]) -> bool:
    metric = result.get("metric_config")
    return isinstance(metric, dict) and metric.get("lower_is_better") is True


def _preference(result: Mapping[str, Any], ranks: Mapping[str, int]) -> int | None:
    """The best rank (0 = most preferred) of the result's id or metric id, None if unranked."""
    metric = result.get("metric_config")
    ids = (
        str(result.get("evaluation_result_id") or "").strip().lower(),
        str(metric.get("metric_id") or "").strip().lower() if isinstance(metric, dict) else "",
    )
    found = [ranks[i] for i in ids if i in ranks]
    return min(found) if found else None


# --- The mapping --------------------------------------------------------------------------------


@attrs.frozen
class _Target:
    """Where a benchmark's (variant's) results go; built once per run and benchmark/variant."""

    key: tuple[str, str | None]  # (benchmark key, variant name)
    benchmark: Benchmark
    variant: Variant | None
    task_id: str
    task_aliases: tuple[str, ...]
    file_path: str
    notes: str | None  # the variant's notes (setup facts are added per result)
    ranks: Mapping[str, int]  # preferred metric id (lower-cased) → rank, best first
    names: frozenset[str]  # the benchmark's dataset_names, normalised (overall scores)
    sub_globs: tuple[str, ...]  # `sub_scores`, lower-cased

    @classmethod
    def of(cls, benchmark: Benchmark, variant: Variant | None) -> _Target:
        name = (variant.file_name if variant else None) or benchmark.file_name
        ranks: dict[str, int] = {}
        for rank, metric in enumerate(benchmark.preferred_metrics):
            ranks.setdefault(metric.lower(), rank)
        return cls(
            key=(benchmark.key, variant.name if variant else None),
            benchmark=benchmark,
            variant=variant,
            task_id=variant.task_id if variant else benchmark.task_id,
            task_aliases=variant.task_aliases if variant else benchmark.task_aliases,
            file_path=f".eval_results/{name}",
            notes=variant.notes if variant else None,
            ranks=ranks,
            names=frozenset(normalise_name(n) for n in benchmark.dataset_names),
            sub_globs=tuple(g.lower() for g in benchmark.sub_scores),
        )


#: One recognised result of a record: (benchmark, position in evaluation_results, raw item).
_Match = tuple[Benchmark, int, dict[str, Any]]
#: A result of one target: (position in evaluation_results, raw item).
_Found = tuple[int, dict[str, Any]]


@attrs.frozen
class MappedBatch:
    """What a `Mapper` accumulated over some records (`Mapper.take` / `Mapper.absorb`)."""

    candidates: list[DesiredEntry]
    skipped: list[SkippedItem]
    seen: int
    unmatched: int
    filtered: int
    left_behind: dict[str, dict[str, int]]
    filter_matched: int
    passed_over_ids: set[str]


@attrs.define
class Mapper:
    """One mapping run. Verdicts that depend only on a few strings that repeat across thousands
    of records (a model id, a variant's evidence) are memoised per run: the full datastore has
    ~229,000 records for ~22,000 models (benchmarks/bench_datastore.py).

    `map_record` accumulates; `finish` turns the accumulated state into the `MappingResult`.
    A run split over processes (`eeesync.parallel_map`) maps in each worker, moves what it
    accumulated with `take`, and `absorb`s the batches in row order in the parent.
    """

    registry: Registry
    locator: Locator
    options: MappingOptions
    tasks: TaskCheck | None
    candidates: list[DesiredEntry] = attrs.field(factory=list)
    skipped: list[SkippedItem] = attrs.field(factory=list)
    seen: int = 0
    unmatched: int = 0
    filtered: int = 0
    filter_matched: int = 0
    passed_over_ids: set[str] = attrs.field(factory=set)
    #: Told each repo id an entry is built for, as it is built (the plan starts its audit).
    on_repo: Callable[[str], None] | None = None
    _task_cache: dict[tuple[str, str], tuple[str, tuple[str, ...]] | NotPublishable] = attrs.field(
        factory=dict
    )
    _variant_cache: dict[tuple[str, str, tuple[str, ...], str], Variant | NotPublishable] = (
        attrs.field(factory=dict)
    )
    _targets: dict[tuple[str, str | None], _Target] = attrs.field(factory=dict)
    _sub_cache: dict[tuple[str, ...], bool] = attrs.field(factory=dict)
    _model_cache: dict[tuple[Any, ...], tuple[str | NotPublishable, str]] = attrs.field(
        factory=dict
    )
    _scale_cache: dict[tuple[Any, ...], float | None] = attrs.field(factory=dict)
    _rank_cache: dict[tuple[Any, ...], int | None] = attrs.field(factory=dict)
    #: collection → evaluation name → results no benchmark recognises
    left_behind: dict[str, dict[str, int]] = attrs.field(factory=dict)
    #: the pinned datastore link of an object path (`Locator.blob_url`)
    link: Callable[[str], str] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.link = self.locator.blob_linker(web_base=self.options.web_base)

    def map_all(self, records: Iterable[Record]) -> None:
        """`map_record` each record; `records` may be a whole datastore scan, so the cyclic
        collector is paused meanwhile (see eeesync.datastore.bulk)."""
        with gc_paused():
            for record in records:
                self.map_record(record)

    def take(self) -> MappedBatch:
        """What was accumulated since the last `take` (memos are kept: they are per run)."""
        batch = MappedBatch(
            self.candidates,
            self.skipped,
            self.seen,
            self.unmatched,
            self.filtered,
            self.left_behind,
            self.filter_matched,
            self.passed_over_ids,
        )
        self.candidates, self.skipped, self.left_behind = [], [], {}
        self.seen = self.unmatched = self.filtered = self.filter_matched = 0
        self.passed_over_ids = set()
        return batch

    def absorb(self, batch: MappedBatch) -> None:
        """Add a batch mapped elsewhere, as if its records had been mapped here, in order."""
        if self.on_repo is not None:
            for entry in batch.candidates:
                self.on_repo(entry.repo_id)
        self.candidates += batch.candidates
        self.skipped += batch.skipped
        self.seen += batch.seen
        self.unmatched += batch.unmatched
        self.filtered += batch.filtered
        self.filter_matched += batch.filter_matched
        self.passed_over_ids |= batch.passed_over_ids
        for collection, names in batch.left_behind.items():
            counts = self.left_behind.setdefault(collection, {})
            for name, count in names.items():
                counts[name] = counts.get(name, 0) + count

    @gc_paused()  # a whole datastore's entries are alive: each collection would walk them all
    def finish(self) -> MappingResult:
        """Resolve duplicates and order everything into the `MappingResult`."""
        desired, conflicts, collapsed = _resolve_duplicates(
            self.candidates, self.options.duplicates
        )
        skipped = sorted(
            self.skipped, key=lambda s: (s.collection, s.line, s.object_path, s.benchmark, s.reason)
        )
        return MappingResult(
            desired=tuple(desired),
            conflicts=tuple(conflicts),
            skipped=tuple(skipped),
            records_seen=self.seen,
            unmatched_records=self.unmatched,
            unmatched=unmatched_groups(self.left_behind),
            filtered_out=self.filtered,
            filter_matched=self.filter_matched,
            passed_over_ids=frozenset(self.passed_over_ids),
            duplicates_collapsed=collapsed,
        )

    def skip(
        self, record: Record, reason: str, message: str, benchmark: str = "", model_id: str = ""
    ) -> None:
        row = record.row
        self.skipped.append(
            SkippedItem(
                reason=reason,
                message=f"{row.where}: {row.object_path}: {message}",
                collection=row.collection,
                line=row.line,
                object_path=row.object_path,
                model_id=model_id or record.model.id,
                benchmark=benchmark,
            )
        )

    def map_record(self, record: Record) -> None:
        self.seen += 1
        find = self.registry.find_benchmarks
        wanted = self.options.benchmark_filter
        matches: dict[str, list[_Match]] | None = None
        unmatched: dict[str, int] | None = None
        for index, raw in enumerate(record.raw_results):
            recognised = find(raw)
            if not recognised:
                if unmatched is None:
                    unmatched = self.left_behind.setdefault(record.row.collection, {})
                # keyed by the raw name (cheap: most results of a scan land here); names are
                # cleaned once per distinct spelling in `unmatched_groups`
                name = raw.get("evaluation_name")
                if name.__class__ is not str or not name:
                    name = _display_name(raw)
                unmatched[name] = unmatched.get(name, 0) + 1
                continue
            for benchmark in recognised:
                if not wanted or benchmark.key in wanted:
                    if matches is None:
                        matches = {}
                    matches.setdefault(benchmark.key, []).append((benchmark, index, raw))
        if matches is None:
            self.unmatched += 1
            return
        verdict, model_id = self.record_model(record)
        pattern = self.options.model_filter
        if pattern:
            if not fnmatchcase(model_id.lower(), pattern.lower()):
                self.filtered += 1
                self.passed_over_ids.add(model_id)
                return
            self.filter_matched += 1
        if self.options.shard[1] > 1:
            # By the repo it publishes to (an alias target), so a repo is in one shard only.
            repo = verdict if isinstance(verdict, str) else model_id
            if not in_shard(repo, *self.options.shard):
                self.filtered += 1
                return
        if isinstance(verdict, NotPublishable):
            shown = "" if verdict.reason == "invalid_model_id" else model_id
            self.skip(record, verdict.reason, verdict.message, ", ".join(matches), shown)
            return
        recorded_as = model_id if model_id != verdict else ""  # an alias sent it elsewhere
        for group in matches.values():
            self.map_benchmark(record, verdict, recorded_as, group[0][0], group)

    def record_model(self, record: Record) -> tuple[str | NotPublishable, str]:
        """(`model_verdict` of the record's model, its id as recorded), memoised on the raw
        `model_info` facts the verdict reads, so `record.model` is built once per model."""
        info = record.raw["model_info"]  # a dict with a string id (`record_problem`)
        extra = info.get("additional_details")
        if extra.__class__ is not dict:
            extra = _NOTHING
        key = (
            info.get("id"),
            info.get("model_availability", _UNKNOWN),
            info.get("deployment_type", _UNKNOWN),
            info.get("inference_platform"),
            extra.get("model_availability"),
            extra.get("deployment_type"),
        )
        try:
            found = self._model_cache.get(key)
        except TypeError:  # an unhashable fact (a list): judged, not memoised
            return self.model_verdict(record.model), record.model.id
        if found is None:
            found = (self.model_verdict(record.model), record.model.id)
            remember(self._model_cache, key, found)
        return found

    def model_verdict(self, model: ModelInfo) -> str | NotPublishable:
        """The repo id to publish to, or why the model has none (invalid id, API-only).
        Memoised by `record_model`."""
        alias = self.options.aliases.resolve(
            model.id,
            deployment_type=model.deployment_type,
            inference_platform=model.inference_platform,
        )
        try:
            if alias is not None and alias.refused:
                raise NotPublishable("deployment_alias_not_allowed", alias.refused)
            repo_id = alias.repo_id if alias is not None else check_model_id(model.id)
        except NotPublishable as skip:
            return NotPublishable(skip.reason, skip.message)  # no traceback kept alive
        # A reviewed alias names the repo: the provider list judges that namespace.
        judged = model if alias is None else attrs.evolve(model, id=repo_id)
        api_only = api_only_reason(judged, self.options.api_only_providers)
        if api_only is None:
            return repo_id
        return NotPublishable("api_only_model", f"{repo_id}: {api_only}")

    def variant(
        self, benchmark: Benchmark, record: Record, raw: dict[str, Any]
    ) -> Variant | NotPublishable:
        """`detect_variant`, memoised on its evidence."""
        hf_repo, hints = variant_evidence(record, raw)
        # Only a benchmark with per-source rules reads the source name (built on first use).
        source_name = record.source.name if benchmark.source_variants else ""
        key = (benchmark.key, hf_repo, hints, source_name)
        verdict = self._variant_cache.get(key)
        if verdict is None:
            try:
                verdict = choose_variant(benchmark, hf_repo, hints, source_name)
            except NotPublishable as skip:
                verdict = NotPublishable(skip.reason, skip.message)  # no traceback kept alive
            remember(self._variant_cache, key, verdict)
        return verdict

    def target(self, benchmark: Benchmark, variant_name: str | None) -> _Target:
        key = (benchmark.key, variant_name)
        target = self._targets.get(key)
        if target is None:
            variant = benchmark.variant(variant_name) if variant_name else None
            target = self._targets[key] = _Target.of(benchmark, variant)
        return target

    def map_benchmark(
        self,
        record: Record,
        repo_id: str,
        recorded_as: str,
        benchmark: Benchmark,
        found: list[_Match],
    ) -> None:
        groups: dict[str | None, list[_Found]] = {}
        for _, index, raw in found:
            if benchmark.variants:
                variant = self.variant(benchmark, record, raw)
                if isinstance(variant, NotPublishable):
                    self.skip(record, variant.reason, variant.message, benchmark.key, repo_id)
                    continue
                groups.setdefault(variant.name, []).append((index, raw))
            else:
                groups.setdefault(None, []).append((index, raw))
        for variant_name, results in groups.items():
            target = self.target(benchmark, variant_name)
            try:
                index, raw = self.choose(target, results)
                entry = self.build(record, repo_id, recorded_as, target, index, raw)
                self.candidates.append(entry)
                if self.on_repo is not None:
                    self.on_repo(repo_id)
            except NotPublishable as skip:
                self.skip(record, skip.reason, skip.message, benchmark.key, repo_id)

    def choose(self, target: _Target, results: list[_Found]) -> _Found:
        """The one result to publish of those that matched the target. Decided on the raw
        dicts: a record such as the MMLU-Pro leaderboard's has 15 matching results, and one is
        published. Raises `NotPublishable` (sub-scores only, ambiguous)."""
        if len(results) > 1:
            # Fast path (the MMLU-Pro leaderboard's 15 results): one usable result is the
            # best-ranked preferred metric. A preferred metric is the overall score by
            # definition, so no sub-score check is needed. A cost next to the score
            # (llm-stats) is not a candidate; one result alone is judged by `value`.
            best: int | None = None
            top: list[_Found] = []
            for found in results:
                raw = found[1]
                if _lower_is_better(raw):
                    continue
                rank = self.preference(target, raw)
                if rank is None or (best is not None and rank > best):
                    continue
                if rank == best:
                    top.append(found)
                else:
                    best, top = rank, [found]
            if len(top) == 1 and _is_score(top[0][1]):
                return top[0]
            scores = [found for found in results if _is_score(found[1])] or results
        else:
            scores = results
        if target.sub_globs:
            overall = [found for found in scores if not self.sub_score(target, found[1])]
            if not overall:
                labels = [Result.from_raw(i, raw).label for i, raw in scores[:4]]
                shown = ", ".join(labels) + (" …" if len(scores) > 4 else "")
                raise NotPublishable(
                    "sub_score_only",
                    f"only subject/category scores of {target.benchmark.name} ({shown}): "
                    "a sub-score is never published as the overall task",
                )
            scores = overall
        if len(scores) == 1:
            return scores[0]
        usable = [found for found in scores if not _lower_is_better(found[1])]
        if len(usable) == 1:
            return usable[0]
        ranked = [(self.preference(target, found[1]), found) for found in usable or scores]
        best = min((rank for rank, _ in ranked if rank is not None), default=None)
        chosen = [found for rank, found in ranked if rank is not None and rank == best]
        if best is not None and len(chosen) == 1:
            return chosen[0]
        labels = [Result.from_raw(i, raw).label for i, raw in scores[:6]]
        shown = ", ".join(labels) + (" …" if len(scores) > 6 else "")
        raise NotPublishable(
            "ambiguous_result",
            f"{len(scores)} results match {target.benchmark.name} ({shown}) and "
            f"{'several share' if chosen else 'none is'} a preferred metric "
            f"({', '.join(target.benchmark.preferred_metrics) or 'none configured'})",
        )

    def preference(self, target: _Target, raw: Mapping[str, Any]) -> int | None:
        """`_preference`, memoised on the raw ids (the same few repeat in every record)."""
        metric = raw.get("metric_config")
        key = (
            target.key,
            raw.get("evaluation_result_id"),
            metric.get("metric_id") if metric.__class__ is dict else None,
        )
        try:
            return self._rank_cache[key]
        except KeyError:
            return remember(self._rank_cache, key, _preference(raw, target.ranks))
        except TypeError:  # an unhashable id (a list): not worth a memo
            return _preference(raw, target.ranks)

    def sub_score(self, target: _Target, raw: Mapping[str, Any]) -> bool:
        """Whether a result is a subject/category score (`sub_scores`), memoised on its names:
        the same few ids ("mmlu_pro/biology") repeat in every record of a collection."""
        texts = _names(raw)
        key = (target.benchmark.key, *texts)
        verdict = self._sub_cache.get(key)
        if verdict is None:
            verdict = remember(self._sub_cache, key, _is_sub_score(target, texts))
        return verdict

    def task_for(self, target: _Target) -> tuple[str, tuple[str, ...]]:
        """(the task id to write, the target's other ids). Raises `NotPublishable`."""
        cache_key = (target.benchmark.key, target.task_id)
        found = self._task_cache.get(cache_key)
        if found is None:
            found = self._task_cache[cache_key] = self._resolve_task(target)
        if isinstance(found, NotPublishable):
            raise NotPublishable(found.reason, found.message)
        return found

    def _resolve_task(self, target: _Target) -> tuple[str, tuple[str, ...]] | NotPublishable:
        ids = (target.task_id, *target.task_aliases)
        resolved: str | None = target.task_id
        if self.tasks is not None:
            status = self.tasks.status(target.benchmark.key)
            if status is None or not status.ok:
                detail = status.error if status is not None else "not checked"
                return NotPublishable("task_check_failed", f"cannot confirm the task id: {detail}")
            resolved = self.tasks.resolve(target.benchmark.key, target.task_id, target.task_aliases)
        if resolved is None:
            return NotPublishable(
                "unknown_task",
                f"eval.yaml of {target.benchmark.dataset_id} defines none of {', '.join(ids)}",
            )
        return resolved, tuple(t for t in ids if t != resolved)

    def value(self, benchmark: Benchmark, index: int, raw: dict[str, Any]) -> tuple[float, float]:
        """(the score on 0–100, the score as recorded): `scale_score`'s answer, with the
        metric's `scale_rule` memoised on the metric facts it reads (a collection repeats a
        few metric configs in every record). Anything the rule does not accept, and any score
        that is not a plain finite in-range number, takes `scale_score` for its reason."""
        details = raw.get("score_details")
        score = details.get("score") if details.__class__ is dict else None
        metric = raw.get("metric_config")
        if score.__class__ in _PLAIN_NUMBERS and metric.__class__ is dict:
            unit, top, bottom = (metric.get(k) for k in ("metric_unit", "max_score", "min_score"))
            lower = metric.get("lower_is_better")
            # classes too: True == 1 == 1.0 as keys, but not as these fields
            key: tuple[Any, ...] = (benchmark.key, unit, top.__class__, top, bottom.__class__)
            key += (bottom, lower.__class__, lower)
            try:
                factor = self._scale_cache.get(key, _UNKNOWN)
            except TypeError:  # an unhashable metric field (a list): no memo, no fast path
                factor = None
            if factor is _UNKNOWN:
                factor = remember(self._scale_cache, key, self._rule(benchmark, index, raw))
            if factor is not None and (score.__class__ is float or -_HUGE < score < _HUGE):
                value = round(float(score) * factor, 10)
                if 0.0 <= value <= 100.0:  # False for NaN and infinities too
                    return value, float(score)
        result = Result.from_raw(index, raw)
        return scale_score(result, benchmark), float(result.score)

    @staticmethod
    def _rule(benchmark: Benchmark, index: int, raw: dict[str, Any]) -> float | None:
        try:
            return scale_rule(Result.from_raw(index, raw), benchmark)
        except NotPublishable:
            return None

    def build(
        self,
        record: Record,
        repo_id: str,
        recorded_as: str,
        target: _Target,
        index: int,
        raw: dict[str, Any],
    ) -> DesiredEntry:
        benchmark = target.benchmark
        value, raw_value = self.value(benchmark, index, raw)
        result_ts = timestamp_of(raw.get("evaluation_timestamp"))
        date, instant = evaluation_date(result_ts, record.timestamp)
        if not instant and record.retrieved_timestamp:
            retrieved = parse_timestamp(record.retrieved_timestamp)
            instant = _iso(retrieved) if retrieved else ""
        task_id, aliases = self.task_for(target)
        # a score imported from the Hub states its notes exactly ("" = the default setup)
        stated = stated_notes(raw)
        if stated is not None:
            notes = stated or None
        elif benchmark.setup:
            notes = setup_notes(
                record.raw,
                raw,
                benchmark.setup,
                benchmark.default_setup,
                prefix=target.notes,
                assumed_prompt=_assumed_prompt(benchmark, record)
                if benchmark.source_setups
                else "",
            )
        else:
            notes = target.notes
        row = record.row
        url = self.link(row.object_path)
        metric = raw.get("metric_config")
        result_id = text_of(raw.get("evaluation_result_id"))
        metric_id = text_of(metric.get("metric_id")) if metric.__class__ is dict else ""
        return DesiredEntry(
            repo_id=repo_id,
            benchmark=benchmark.key,
            file_path=target.file_path,
            entry=EvalEntry(
                dataset_id=benchmark.dataset_id,
                task_id=task_id,
                value=value,
                date=date,
                source_url=url,
                source_name=SOURCE_NAME,
                notes=notes,
            ),
            task_aliases=aliases,
            dataset_aliases=benchmark.dataset_aliases,
            provenance=Provenance(
                collection=row.collection,
                line=row.line,
                object_path=row.object_path,
                sha256=row.sha256,
                evaluation_id=record.evaluation_id,
                result_id=result_id or str(index),
                timestamp=instant,
                source_url=url,
            ),
            raw_value=raw_value,
            metric=metric_id or result_id or text_of(raw.get("evaluation_name")),
            recorded_as=recorded_as,
        )


def _key(entry: DesiredEntry) -> tuple[str, str, str, str]:
    return (entry.repo_id.lower(), *entry.entry.key())


def _order(entry: DesiredEntry) -> tuple[str, str, str, str, str, str, int]:
    where = entry.provenance
    return (
        entry.repo_id.lower(),
        entry.file_path,
        *entry.entry.key(),
        where.collection if where else "",
        where.line if where else 0,
    )


def _newest_first(group: list[DesiredEntry]) -> None:
    """Sort in place: newest timestamp first, then the earliest (collection, line)."""
    group.sort(
        key=lambda e: (e.provenance.collection, e.provenance.line) if e.provenance else ("", 0)
    )
    group.sort(key=lambda e: e.provenance.timestamp if e.provenance else "", reverse=True)


def _distinct_values(entries: Sequence[DesiredEntry]) -> list[float]:
    values: list[float] = []
    for value in sorted(e.entry.value for e in entries):
        if not values or value - values[-1] > SAME_VALUE:
            values.append(value)
    return values


def _resolve_duplicates(
    candidates: Iterable[DesiredEntry], policy: str
) -> tuple[list[DesiredEntry], list[tuple[DesiredEntry, ...]], int]:
    groups: dict[tuple[str, str, str, str], list[DesiredEntry]] = {}
    for entry in candidates:
        groups.setdefault(_key(entry), []).append(entry)
    desired: list[DesiredEntry] = []
    conflicts: list[tuple[DesiredEntry, ...]] = []
    collapsed = 0
    for group in groups.values():
        if len(group) == 1:  # most keys: nothing to order or compare
            desired.append(group[0])
            continue
        _newest_first(group)
        if len(_distinct_values(group)) == 1:
            desired.append(group[0])
            collapsed += len(group) - 1
            continue
        if policy == "latest":
            newest = group[0].provenance.timestamp if group[0].provenance else ""
            tied = [e for e in group if (e.provenance.timestamp if e.provenance else "") == newest]
            if newest and len(_distinct_values(tied)) == 1:
                desired.append(tied[0])
                continue
        conflicts.append(tuple(sorted(group, key=lambda e: (e.entry.value, _order(e)))))
    desired.sort(key=_order)
    conflicts.sort(key=lambda g: _order(g[0])[:5])
    return desired, conflicts, collapsed


def map_records(
    records: Iterable[Record],
    registry: Registry,
    locator: Locator,
    *,
    options: MappingOptions,
    tasks: TaskCheck | None = None,
    on_repo: Callable[[str], None] | None = None,
) -> MappingResult:
    """Map records (any iterable: streaming keeps memory flat) to the desired entries.

    `tasks` None skips the eval.yaml check (offline use, `sync.check_tasks = false`): the
    registry's task ids are written as they are. `on_repo(repo_id)` is called for every entry
    built, as soon as it is built (repeats included), so the caller can start work on that repo.
    """
    mapper = Mapper(registry, locator, options, tasks, on_repo=on_repo)
    mapper.map_all(records)
    return mapper.finish()
