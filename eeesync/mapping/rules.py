"""The mapping's rules, each once, as pure functions of the raw record and result dicts.

docs/mapping-rules.md states each rule and the spellings it treats as one. The rules never
build the typed views of `datastore/records.py` to decide (a `Result` is only a label for
people); `rulebook.py` memoises them per run, keyed on the facts each one reads.

A rule that may refuse returns its answer or a `NotPublishable` (a value, so that a memo keeps
refusals as it keeps answers); `scale_score`, `evaluation_date` and `check_model_id` raise it,
for callers that want one value.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from typing import Any

import attrs
from huggingface_hub.errors import HFValidationError

# Public validator, re-exported by huggingface_hub.utils without being listed in its __all__.
from huggingface_hub.utils import validate_repo_id  # type: ignore[attr-defined]

from eeesync.aliases import AliasTable
from eeesync.datastore.reasons import DATASTORE_REASONS
from eeesync.datastore.records import ModelInfo, result_subset, text_of
from eeesync.registry import Benchmark, TaskCheck, Variant, normalise_name, tokens

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


class NotPublishable(Exception):
    """Why one result or record cannot be published (`reason`: a `MAPPING_REASONS` key).

    A mapping run turns it into a `SkippedItem` at once, so it never escapes `map_records`:
    per-record problems are data, which is also why it is not one of the run-stopping errors
    of `eeesync.errors`.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason, self.message = reason, message

    def about(self, label: str) -> NotPublishable:
        """The same refusal, its message prefixed with what it is about (a result's label)."""
        return NotPublishable(self.reason, f"{label}: {self.message}")


# --- Spellings ----------------------------------------------------------------------------------

_TRUE_WORDS = frozenset({"true", "yes", "1"})
_FALSE_WORDS = frozenset({"false", "no", "0"})


def flag(value: Any) -> bool | None:
    """A recorded yes/no: `true`/`false`, the numbers 1/0 (`1.0` too), or the words "true",
    "yes", "1" / "false", "no", "0" in any case and spacing. None for anything else."""
    kind = value.__class__
    if kind is bool:
        return bool(value)
    if kind is int or kind is float:
        return True if value == 1 else False if value == 0 else None
    if kind is str:
        word = value.strip().lower()
        return True if word in _TRUE_WORDS else False if word in _FALSE_WORDS else None
    return None


def finite_number(value: Any) -> float | None:
    """A JSON number as a finite float (1 and 1.0 alike); None for anything else (booleans,
    text, NaN, infinities, integers too large for a float)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def result_label(raw: Mapping[str, Any], index: int) -> str:
    """For people: the result id, else its name, else its position."""
    return (
        text_of(raw.get("evaluation_result_id"))
        or text_of(raw.get("evaluation_name"))
        or f"evaluation_results[{index}]"
    )


def _metric(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    metric = raw.get("metric_config")
    return metric if metric.__class__ is dict else _NOTHING


_NOTHING: Mapping[str, Any] = {}


# --- Lower is better ----------------------------------------------------------------------------


def lower_is_better(raw: Mapping[str, Any]) -> bool:
    """Whether the result's metric says lower is better (`flag` spellings of true)."""
    return flag(_metric(raw).get("lower_is_better")) is True


# --- Scale --------------------------------------------------------------------------------------

_PERCENT_UNITS = frozenset({"percent", "percentage", "%", "pct"})
_PROPORTION_UNITS = frozenset({"proportion", "fraction", "ratio", "probability"})
#: metric units that are a score ("" too: no unit); llm-stats writes a cost next to the score,
#: in usd
_SCORE_UNITS = _PERCENT_UNITS | _PROPORTION_UNITS | {""}


def metric_facts(raw: Mapping[str, Any], scale: str) -> tuple[Any, ...]:
    """What `scale_factor` reads, as a memo key: (the benchmark's scale, metric_unit, the
    class and value of max_score, of min_score, and whether lower is better). The classes
    keep `True` apart from 1 (equal as keys, not as bounds: a boolean is not a number)."""
    metric = _metric(raw)
    top, bottom = metric.get("max_score"), metric.get("min_score")
    lower = flag(metric.get("lower_is_better")) is True
    return (scale, metric.get("metric_unit"), top.__class__, top, bottom.__class__, bottom, lower)


def scale_factor(facts: tuple[Any, ...]) -> float | NotPublishable:
    """The factor that puts any score of a metric on 0–100 (`metric_facts` of its result),
    or why that metric's scores are not published. It never reads the score."""
    scale, raw_unit, _, raw_max, _, raw_min, lower = facts
    if lower:
        return NotPublishable("lower_is_better", "the metric is lower-is-better")
    unit = raw_unit.strip().lower() if isinstance(raw_unit, str) else ""
    max_score = finite_number(raw_max)
    if unit in _PERCENT_UNITS or unit in _PROPORTION_UNITS:
        factor, expected = (1.0, 100.0) if unit in _PERCENT_UNITS else (100.0, 1.0)
        if max_score not in (None, expected):
            return NotPublishable(
                "unknown_scale", f"metric_unit {unit!r} but max_score {max_score:g}"
            )
    elif unit:
        return NotPublishable("unknown_scale", f"metric_unit {unit!r} is not percent/proportion")
    elif max_score == 100.0 or (max_score is None and scale == "percent"):
        factor = 1.0
    elif max_score == 1.0 or (max_score is None and scale == "proportion"):
        factor = 100.0
    else:
        shown = "absent" if raw_max is None else repr(raw_max)
        return NotPublishable(
            "unknown_scale", f"no metric_unit and max_score is {shown}: cannot tell 0–1 from 0–100"
        )
    if finite_number(raw_min) not in (None, 0.0):
        return NotPublishable("unknown_scale", f"min_score is {raw_min!r}, not 0")
    return factor


def scaled(
    raw: Mapping[str, Any], factor: float | NotPublishable, index: int
) -> tuple[float, float]:
    """(the result's score on 0–100, its score as recorded) with its metric's `scale_factor`
    answer. The score is judged first (a missing score is reported as such, whatever its
    metric says). Raises `NotPublishable`."""
    details = raw.get("score_details")
    score = details.get("score") if details.__class__ is dict else None
    if score is None:
        raise NotPublishable("missing_score", "score_details.score is missing").about(
            result_label(raw, index)
        )
    if score.__class__ is bool or not isinstance(score, int | float):
        raise NotPublishable("non_numeric_score", f"score {score!r} is not a number").about(
            result_label(raw, index)
        )
    try:
        number = float(score)
    except OverflowError:
        raise NotPublishable("score_out_of_range", f"score {score} is too large").about(
            result_label(raw, index)
        ) from None
    if not math.isfinite(number):
        raise NotPublishable("non_finite_score", f"score {score!r} is not finite").about(
            result_label(raw, index)
        )
    if isinstance(factor, NotPublishable):
        raise factor.about(result_label(raw, index))
    value = round(number * factor, 10)
    if not 0.0 <= value <= 100.0:
        raise NotPublishable(
            "score_out_of_range", f"score {score!r} × {factor:g} = {value:g} is outside 0–100"
        ).about(result_label(raw, index))
    return value, number


def scale_score(raw: Mapping[str, Any], scale: str = "auto", index: int = 0) -> float:
    """The raw result's score on the 0–100 scale (`scale`: the benchmark's). Raises
    `NotPublishable` with the reason."""
    return scaled(raw, scale_factor(metric_facts(raw, scale)), index)[0]


# --- Date ---------------------------------------------------------------------------------------

_EPOCH_RE = re.compile(r"^\d{1,12}(?:\.\d+)?$")
_EPOCH_MAX = 4102444800.0  # 2100-01-01: anything later is not an evaluation date


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


def iso_instant(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def dates(
    stamps: tuple[str | None, str | None, str | None],
) -> tuple[str | None, str] | NotPublishable:
    """(result evaluation_timestamp, record evaluation_timestamp, record retrieved_timestamp),
    as `timestamp_of` reads them → (`YYYY-MM-DD` or None, the ISO instant that orders
    duplicates or ""). The result's timestamp wins over the record's; a present but unreadable
    one refuses the entry rather than dating it wrongly. Without either, the entry has no
    date and is ordered by when the record was retrieved."""
    result_ts, record_ts, retrieved_ts = stamps
    for where, text in (("result", result_ts), ("record", record_ts)):
        if text is None:
            continue
        moment = parse_timestamp(text)
        if moment is None:
            return NotPublishable(
                "invalid_timestamp",
                f"{where} evaluation_timestamp {text!r} is neither epoch seconds nor ISO-8601",
            )
        return moment.date().isoformat(), iso_instant(moment)
    retrieved = parse_timestamp(retrieved_ts) if retrieved_ts is not None else None
    return None, iso_instant(retrieved) if retrieved is not None else ""


def evaluation_date(result_ts: str | None, record_ts: str | None) -> tuple[str | None, str]:
    """The date of `dates` (and its instant), raising its `NotPublishable`."""
    found = dates((result_ts, record_ts, None))
    if isinstance(found, NotPublishable):
        raise found
    return found


# --- Model verdict ------------------------------------------------------------------------------

_OPEN_WORDS = frozenset({"open", "public", "opensource"})
_CLOSED_WORDS = frozenset({"closed", "proprietary", "api", "private", "commercial"})


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


_ABSENT: Any = object()  # a key the record does not write (unlike one it writes as null)


def model_facts(info: Mapping[str, Any]) -> tuple[Any, ...]:
    """What `model_verdict` reads of a raw `model_info`, as a memo key. The verdict reads
    strings only (anything else counts as absent), so values equal as keys mean the same."""
    extra = info.get("additional_details")
    if extra.__class__ is not dict:
        extra = _NOTHING
    return (
        info.get("id"),
        info.get("model_availability", _ABSENT),
        info.get("deployment_type", _ABSENT),
        info.get("inference_platform"),
        extra.get("model_availability"),
        extra.get("deployment_type"),
    )


def model_verdict(
    facts: tuple[Any, ...], *, aliases: AliasTable, providers: Sequence[str]
) -> str | NotPublishable:
    """The repo id a model publishes to (its reviewed alias, else its own id), or why it has
    none (invalid id, a refused deployment alias, API-only), from its `model_facts`."""
    raw_id, availability, deployment, platform, extra_availability, extra_deployment = facts
    info: dict[str, Any] = {
        "id": raw_id,
        "inference_platform": platform,
        "additional_details": {
            "model_availability": extra_availability,
            "deployment_type": extra_deployment,
        },
    }
    if availability is not _ABSENT:
        info["model_availability"] = availability
    if deployment is not _ABSENT:
        info["deployment_type"] = deployment
    model = ModelInfo.from_raw(info)
    alias = aliases.resolve(
        model.id, deployment_type=model.deployment_type, inference_platform=model.inference_platform
    )
    if alias is not None and alias.refused:
        return NotPublishable("deployment_alias_not_allowed", alias.refused)
    try:
        repo_id = alias.repo_id if alias is not None else check_model_id(model.id)
    except NotPublishable as skip:
        return NotPublishable(skip.reason, skip.message)  # no traceback kept alive
    # A reviewed alias names the repo: the provider list judges that namespace.
    judged = model if alias is None else attrs.evolve(model, id=repo_id)
    api_only = api_only_reason(judged, providers)
    if api_only is None:
        return repo_id
    return NotPublishable("api_only_model", f"{repo_id}: {api_only}")


# --- Variant ------------------------------------------------------------------------------------


def _contains(haystack: tuple[str, ...], needle: tuple[str, ...]) -> bool:
    size = len(needle)
    return size > 0 and any(
        haystack[i : i + size] == needle for i in range(len(haystack) - size + 1)
    )


def variant_evidence(row_subset: str | None, raw: Mapping[str, Any]) -> tuple[str, tuple[str, ...]]:
    """(`hf_repo` lower-cased, the texts that may name a variant) of one raw result and the
    subset its index row names. Strings only: values equal as keys mean the same."""
    raw_source = raw.get("source_data")
    source: Mapping[str, Any] = raw_source if isinstance(raw_source, dict) else {}
    metric = _metric(raw)
    hf_repo = str(source.get("hf_repo") or "").strip().lower()
    hints = (
        row_subset,
        result_subset(raw),
        source.get("dataset_name"),
        raw.get("evaluation_result_id"),
        metric.get("metric_id"),
        raw.get("evaluation_name"),
    )
    return hf_repo, tuple(h for h in hints if isinstance(h, str) and h.strip())


def choose_variant(
    benchmark: Benchmark, hf_repo: str, hints: Sequence[str], source_name: str
) -> Variant | NotPublishable:
    """Which variant the evidence names; else the source's rule (`source_name`: the record's
    source, lower-case insensitive); else the default variant. Refused when the evidence names
    two variants or none can be told (no guessing)."""
    hint_tokens = [tokens(h) for h in hints]
    found: list[str] = []
    for variant in benchmark.variants:
        by_repo = hf_repo and hf_repo in {r.lower() for r in variant.hf_repos}
        by_word = any(_contains(h, tokens(m)) for m in variant.match for h in hint_tokens)
        if by_repo or by_word:
            found.append(variant.name)
    if len(found) > 1:
        return NotPublishable("variant_conflict", f"the result names variants {', '.join(found)}")
    rules = dict(benchmark.source_variants)
    name = (
        found[0]
        if found
        else next((rules[k] for k in (source_name.lower(), hf_repo) if k and k in rules), None)
        or benchmark.default_variant
    )
    chosen = benchmark.variant(name) if name else None
    if chosen is not None:
        return chosen
    names = "/".join(v.name for v in benchmark.variants)
    return NotPublishable(
        "variant_unknown",
        f"{benchmark.name} result names no variant ({names}); not published under a guess",
    )


def source_name(record: Mapping[str, Any]) -> str:
    """`source_metadata.source_name` of a raw record, stripped ("" when absent)."""
    meta = record.get("source_metadata")
    return text_of(meta.get("source_name")) if meta.__class__ is dict else ""


# --- Choice among results, sub-scores -----------------------------------------------------------


@attrs.frozen(eq=False)  # compared and hashed by identity: one per (benchmark, variant) and run
class Target:
    """Where a benchmark's (variant's) results go, with what the choice rules read."""

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
    def of(cls, benchmark: Benchmark, variant: Variant | None) -> Target:
        name = (variant.file_name if variant else None) or benchmark.file_name
        ranks: dict[str, int] = {}
        for rank, metric in enumerate(benchmark.preferred_metrics):
            ranks.setdefault(metric.lower(), rank)
        return cls(
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


def task_ids(
    target: Target, *, tasks: TaskCheck | None
) -> tuple[str, tuple[str, ...]] | NotPublishable:
    """(the task id to write, the target's other ids): the first of its task id and aliases
    that the benchmark's eval.yaml defines (`tasks` None: no check, the registry's id), or why
    none can be written."""
    ids = (target.task_id, *target.task_aliases)
    resolved: str | None = target.task_id
    benchmark = target.benchmark
    if tasks is not None:
        status = tasks.status(benchmark.key)
        if status is None or not status.ok:
            detail = status.error if status is not None else "not checked"
            return NotPublishable("task_check_failed", f"cannot confirm the task id: {detail}")
        resolved = tasks.resolve(benchmark.key, target.task_id, target.task_aliases)
    if resolved is None:
        return NotPublishable(
            "unknown_task",
            f"eval.yaml of {benchmark.dataset_id} defines none of {', '.join(ids)}",
        )
    return resolved, tuple(t for t in ids if t != resolved)


#: What the choice reads of one result for one target: (its preferred-metric rank or None,
#: whether it is a sub-score, whether it is a score at all, whether lower is better).
Role = tuple[int | None, bool, bool, bool]
#: A result of one target: (position in evaluation_results, raw item).
Found = tuple[int, dict[str, Any]]


def role_facts(target: Target, raw: Mapping[str, Any]) -> tuple[Any, ...]:
    """What `result_role` reads of a raw result, as a memo key: the target, the result id,
    metric id, dataset name, evaluation name, metric_unit and lower_is_better as recorded.
    The rule reads strings only and `flag`s, so values equal as keys mean the same."""
    metric, source = raw.get("metric_config"), raw.get("source_data")
    if metric.__class__ is not dict:
        metric = _NOTHING
    return (
        target,
        raw.get("evaluation_result_id"),
        metric.get("metric_id"),
        source.get("dataset_name") if source.__class__ is dict else None,
        raw.get("evaluation_name"),
        metric.get("metric_unit"),
        metric.get("lower_is_better"),
    )


def result_role(facts: tuple[Any, ...]) -> Role:
    """The `Role` of a result (`role_facts`). Its rank is the best (0 = most preferred) of its
    result id's and metric id's; a sub-score names a subject/category (a `sub_scores` glob)
    and is not an overall score (ranked, or named by a dataset name of the benchmark); a
    metric_unit other than percent/proportion (a cost in usd, seconds) is not a score."""
    target, *names, unit, lower = facts
    texts = [t if isinstance(t, str) else "" for t in names]
    result_id, metric_id, dataset_name, _ = (t.strip().lower() for t in texts)
    score = not isinstance(unit, str) or unit.strip().lower() in _SCORE_UNITS
    lower_is_better = flag(lower) is True
    found = [target.ranks[i] for i in (result_id, metric_id) if i in target.ranks]
    if found:
        return min(found), False, score, lower_is_better
    if dataset_name and normalise_name(dataset_name) in target.names:
        return None, False, score, lower_is_better
    lowered = [" ".join(t.lower().split()) for t in texts if t]
    sub = any(fnmatchcase(text, glob) for glob in target.sub_globs for text in lowered)
    return None, sub, score, lower_is_better


def choose_result(
    target: Target, results: Sequence[Found], role: Callable[[tuple[Any, ...]], Role]
) -> Found:
    """The one result to publish of those that matched the target (`role`: `result_role`, or
    a memo of it). One result is judged as it is (its own reasons come later). Of several:
    costs and other non-scores go (unless nothing else is left), then sub-scores (none left:
    `sub_score_only`), then lower-is-better results (unless nothing else is left); one left
    wins, else the unique best-ranked preferred metric, else `ambiguous_result`. Raises
    `NotPublishable`."""
    if len(results) == 1:
        return results[0]
    judged = [(found, role(role_facts(target, found[1]))) for found in results]
    scores = [pair for pair in judged if pair[1][2]] or judged
    if target.sub_globs:
        overall = [pair for pair in scores if not pair[1][1]]
        if not overall:
            labels = [result_label(raw, i) for (i, raw), _ in scores[:4]]
            shown = ", ".join(labels) + (" …" if len(scores) > 4 else "")
            raise NotPublishable(
                "sub_score_only",
                f"only subject/category scores of {target.benchmark.name} ({shown}): "
                "a sub-score is never published as the overall task",
            )
        scores = overall
    usable = [pair for pair in scores if not pair[1][3]] or scores
    if len(usable) == 1:
        return usable[0][0]
    best = min((pair[1][0] for pair in usable if pair[1][0] is not None), default=None)
    chosen = [found for found, (rank, *_) in usable if rank is not None and rank == best]
    if len(chosen) == 1:
        return chosen[0]
    labels = [result_label(raw, i) for (i, raw), _ in scores[:6]]
    shown = ", ".join(labels) + (" …" if len(scores) > 6 else "")
    raise NotPublishable(
        "ambiguous_result",
        f"{len(scores)} results match {target.benchmark.name} ({shown}) and "
        f"{'several share' if chosen else 'none is'} a preferred metric "
        f"({', '.join(target.benchmark.preferred_metrics) or 'none configured'})",
    )
