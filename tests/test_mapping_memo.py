"""Each memoised rule of a run (eeesync/mapping/rulebook.py) answers as the plain rule of
eeesync/mapping/rules.py on the same input, with its memo shared over inputs whose facts look
alike to a dict (True == 1 == 1.0); equivalent spellings of a fact get one outcome
(docs/mapping-rules.md); and the plan types survive the trip between processes."""

from __future__ import annotations

import copy
import math
import pickle
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eeesync.aliases import NO_ALIASES
from eeesync.config import DEFAULT_API_ONLY_PROVIDERS
from eeesync.datastore.index import IndexRow
from eeesync.datastore.records import timestamp_of
from eeesync.mapping import NotPublishable, flag, lower_is_better, scale_score
from eeesync.mapping.rulebook import Rulebook
from eeesync.mapping.rules import (
    Target,
    choose_result,
    choose_variant,
    dates,
    model_facts,
    model_verdict,
    result_role,
    role_facts,
    source_name,
    variant_evidence,
)
from eeesync.memo import Memo
from eeesync.plan.model import DesiredEntry, EvalEntry, Provenance, SkippedItem, pickled_by_fields
from tests.helpers import mmlu_record
from tests.test_mapping import REGISTRY, make_record, run

MMLU_PRO = REGISTRY.get("mmlu_pro")
TRUE_SPELLINGS = [True, "true", "True", " TRUE ", "yes", "1", 1, 1.0]
FALSE_SPELLINGS = [False, "false", "False", "no", "0", 0, 0.0]
#: Values that look alike to a dict (True == 1 == 1.0) but not to every rule.
FIELD_VALUES = st.sampled_from(
    [None, 0, 0.0, 1, 1.0, True, False, 100, 100.0, 10, -1, "100", "1", [1], {"a": 1}]
)
UNITS = st.sampled_from([None, "", "percent", "Percent", "%", "proportion", "points", "usd", 1])
LOWER = st.sampled_from([None, *TRUE_SPELLINGS, *FALSE_SPELLINGS, "maybe", 2, [True]])
SCORES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-5, max_value=200),
    st.sampled_from([10**400, True, False, "0.5", None, [0.5]]),
)
METRICS = st.fixed_dictionaries(
    {},
    optional={
        "metric_unit": UNITS,
        "max_score": FIELD_VALUES,
        "min_score": FIELD_VALUES,
        "lower_is_better": LOWER,
    },
)


def rulebook() -> Rulebook:
    return Rulebook(
        REGISTRY,
        aliases=NO_ALIASES,
        api_only_providers=DEFAULT_API_ONLY_PROVIDERS,
        tasks=None,
        link=str,
    )


def told(value: Any) -> tuple[str, Any]:
    """("value", the answer) or ("skip", (reason, message)) of a rule's answer."""
    if isinstance(value, NotPublishable):
        return "skip", (value.reason, value.message)
    return "value", value


def outcome(compute: Any, *args: Any) -> tuple[str, Any]:
    """`told` of `compute(*args)`, raised refusals included."""
    try:
        return told(compute(*args))
    except NotPublishable as exc:
        return told(exc)


def same(got: tuple[str, Any], expected: tuple[str, Any]) -> bool:
    nan = (
        got[0] == expected[0] == "value"
        and isinstance(got[1], float)
        and math.isnan(got[1])
        and math.isnan(expected[1])
    )
    return got == expected or nan


def raw_result(metric: dict[str, Any] | None, score: Any, **extra: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {"evaluation_name": "MMLU-Pro", "score_details": {"score": score}}
    if metric is not None:
        raw["metric_config"] = metric
    return raw | extra


# --- Scale and lower-is-better ----------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.one_of(st.none(), METRICS), SCORES), min_size=1, max_size=6),
    st.sampled_from(["auto", "percent", "proportion"]),
)
def test_memoised_value_equals_scale_score(results: list[tuple[Any, Any]], scale: str) -> None:
    """In one run (memos shared), every result gets `scale_score`'s value or its exact skip."""
    rules = rulebook()
    for index, (metric, score) in enumerate(results * 2):  # twice: the second pass hits memos
        raw = raw_result(metric, score)
        expected = outcome(scale_score, raw, scale, index)
        got = outcome(lambda *args: rules.value(*args)[0], raw, scale, index)
        assert same(got, expected), (metric, score)


def respelt(key: str, value: Any, draw: Any) -> Any:
    """Another spelling of the same metric fact: a flag's words and numbers, an integral
    bound as int or float, a unit's case and spacing."""
    if key == "lower_is_better":
        known = flag(value)
        return (
            value
            if known is None
            else draw(st.sampled_from(TRUE_SPELLINGS if known else FALSE_SPELLINGS))
        )
    if key in ("max_score", "min_score") and value.__class__ is int:
        return float(value)
    if key in ("max_score", "min_score") and value.__class__ is float and value.is_integer():
        return int(value)
    if key == "metric_unit" and isinstance(value, str):
        return f" {value.upper()} "
    return value


@settings(max_examples=300, deadline=None)
@given(METRICS, SCORES, st.data())
def test_equivalent_spellings_scale_alike(metric: dict[str, Any], score: Any, data: Any) -> None:
    """`true`/"true"/1 for lower_is_better, 1/1.0 for a bound, "percent"/" PERCENT ": the same
    value or the same reason (messages quote the record as written)."""
    other = {key: respelt(key, value, data.draw) for key, value in metric.items()}
    first = outcome(scale_score, raw_result(metric, score))
    second = outcome(scale_score, raw_result(other, score))
    assert first[0] == second[0], (metric, other)
    if first[0] == "skip":
        assert first[1][0] == second[1][0]
    else:
        assert same(first, second)


@pytest.mark.parametrize("spelling", TRUE_SPELLINGS)
def test_every_spelling_of_true_is_lower_is_better(spelling: Any) -> None:
    raw = raw_result({"max_score": 1.0, "lower_is_better": spelling}, 0.5)
    assert lower_is_better(raw)
    with pytest.raises(NotPublishable) as skip:
        scale_score(raw)
    assert skip.value.reason == "lower_is_better"


@pytest.mark.parametrize("spelling", [*FALSE_SPELLINGS, None, "maybe", 2, [True]])
def test_false_or_unreadable_lower_is_better_is_higher_is_better(spelling: Any) -> None:
    raw = raw_result({"max_score": 1.0, "lower_is_better": spelling}, 0.5)
    assert not lower_is_better(raw) and scale_score(raw) == 50.0


def test_a_memoised_rule_is_not_shared_between_equal_looking_values() -> None:
    """A boolean is not a number: max_score true says nothing (scale unknown), max_score 1
    says 0–1; min_score true is no bound, min_score 1 is refused. Equal as dict keys, so the
    memo keys carry the value's class too."""
    rules = rulebook()
    assert rules.value(raw_result({"max_score": 1}, 0.5), "auto", 0) == (50.0, 0.5)
    with pytest.raises(NotPublishable, match="max_score is True"):
        rules.value(raw_result({"max_score": True}, 0.5), "auto", 0)
    assert rules.value(raw_result({"max_score": 1.0, "min_score": True}, 0.5), "auto", 0)
    with pytest.raises(NotPublishable, match="min_score is 1, not 0"):
        rules.value(raw_result({"max_score": 1.0, "min_score": 1}, 0.5), "auto", 0)


# --- Dates ----------------------------------------------------------------------------------------

STAMPS = st.one_of(
    st.none(),
    st.integers(min_value=-10, max_value=5_000_000_000),
    st.floats(min_value=0, max_value=5e9, allow_nan=False),
    st.sampled_from(
        ["2024-07-16", "2024-07-16T23:59:59-02:00", "1721088000", " 1721088000 ", "yesterday", ""]
    ),
    st.booleans(),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(STAMPS, STAMPS, STAMPS), min_size=1, max_size=6))
def test_memoised_dates_equal_the_rule(stamps: list[tuple[Any, Any, Any]]) -> None:
    rules = rulebook()
    for result_ts, record_ts, retrieved_ts in stamps * 2:
        record = mmlu_record(timestamp=record_ts)
        record["retrieved_timestamp"] = retrieved_ts
        raw = {"evaluation_timestamp": result_ts}
        expected = outcome(dates, tuple(map(timestamp_of, (result_ts, record_ts, retrieved_ts))))
        assert outcome(rules.dated, raw, make_record(record)) == expected


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=0, max_value=4_000_000_000))
def test_epoch_seconds_date_alike_however_written(seconds: int) -> None:
    spellings = [seconds, float(seconds), str(seconds), f" {seconds} ", f"{seconds}.0"]
    answers = {dates((timestamp_of(s), None, None)) for s in spellings}
    assert len(answers) == 1


# --- Model verdict --------------------------------------------------------------------------------

MODEL_TEXT = st.sampled_from(
    [
        "open_weights",
        "Open_Weights",
        "closed_weights",
        "self_deployed",
        "externally_managed",
        "api",
        "",
    ]
)
MODEL_VALUE = st.one_of(MODEL_TEXT, st.sampled_from([None, True, 1, 1.0, 0, ["api"]]))
MODEL_IDS = st.sampled_from(
    ["someorg/model", " someorg/model ", "openai/gpt-4o", "openai/gpt-oss-20b", "../../x", "a"]
)
MODEL_INFOS = st.fixed_dictionaries(
    {"id": MODEL_IDS},
    optional={
        "model_availability": MODEL_VALUE,
        "deployment_type": MODEL_VALUE,
        "inference_platform": MODEL_VALUE,
        "additional_details": st.fixed_dictionaries(
            {}, optional={"model_availability": MODEL_VALUE, "deployment_type": MODEL_VALUE}
        ),
    },
)


@settings(max_examples=200, deadline=None)
@given(st.lists(MODEL_INFOS, min_size=1, max_size=8))
def test_memoised_model_verdicts_equal_the_rule(infos: list[dict[str, Any]]) -> None:
    rules = rulebook()
    for info in infos * 2:
        record = mmlu_record()
        record["model_info"] = info
        verdict, recorded = rules.record_model(make_record(record))
        expected = model_verdict(
            model_facts(info), aliases=NO_ALIASES, providers=DEFAULT_API_ONLY_PROVIDERS
        )
        assert told(verdict) == told(expected), info
        assert recorded == info["id"].strip()


@settings(max_examples=100, deadline=None)
@given(MODEL_INFOS)
def test_model_facts_decide_alike_in_any_case(info: dict[str, Any]) -> None:
    """Availability and deployment words compare without case."""
    upper = copy.deepcopy(info)
    for holder in (upper, upper.get("additional_details") or {}):
        for key in ("model_availability", "deployment_type"):
            if isinstance(holder.get(key), str):
                holder[key] = holder[key].upper()

    def judge(facts: dict[str, Any]) -> tuple[str, Any]:
        verdict = model_verdict(
            model_facts(facts), aliases=NO_ALIASES, providers=DEFAULT_API_ONLY_PROVIDERS
        )
        return ("skip", verdict.reason) if isinstance(verdict, NotPublishable) else ("ok", verdict)

    assert judge(info) == judge(upper)


def model_record(model_info: dict[str, Any], line: int) -> Any:
    record = mmlu_record()
    record["model_info"] = model_info
    return make_record(record, line=line)


def test_model_verdicts_are_memoised_on_every_fact_they_read() -> None:
    """A top-level `model_availability: null` hides the nested one; an absent one does not."""
    nested = {"additional_details": {"model_availability": "closed_weights"}}
    shown_null = model_record({"id": "someorg/model", "model_availability": None, **nested}, 1)
    absent = model_record({"id": "someorg/model", **nested}, 2)
    unhashable = model_record({"id": "someorg/model", "deployment_type": ["api"]}, 3)
    result = run(shown_null, absent, unhashable)
    assert [e.provenance.line for e in result.desired] == [1]
    assert [(s.line, s.reason) for s in result.skipped] == [(2, "api_only_model")]
    assert result.duplicates_collapsed == 1  # line 3: the same model, same score, published


# --- Variant --------------------------------------------------------------------------------------

VARIANT_TEXT = st.sampled_from(
    ["diamond", "GPQA Diamond", "main", "gpqa_main", "extended", "GPQA", "", " ", "x"]
)
VARIANT_VALUE = st.one_of(VARIANT_TEXT, st.sampled_from([None, 1, True, ["diamond"]]))
VARIANT_RESULTS = st.fixed_dictionaries(
    {
        "evaluation_name": VARIANT_VALUE,
        "source_data": st.fixed_dictionaries(
            {"hf_repo": st.sampled_from(["Idavidrein/gpqa", "", "other/x"])},
            optional={"dataset_name": VARIANT_VALUE, "subset": VARIANT_VALUE},
        ),
    },
    optional={"evaluation_result_id": VARIANT_VALUE},
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(VARIANT_RESULTS, st.sampled_from([None, "diamond", "main"])),
        min_size=1,
        max_size=6,
    ),
    st.sampled_from(["", "HF Open LLM v2", "hf open llm v2"]),
)
def test_memoised_variants_equal_the_rule(
    results: list[tuple[dict[str, Any], str | None]], source: str
) -> None:
    benchmark = attrs.evolve(REGISTRY.get("gpqa"), source_variants=(("hf open llm v2", "main"),))
    rules = rulebook()
    rules.benchmarks["gpqa"] = benchmark
    for raw, subset in results * 2:
        record = mmlu_record()
        record["source_metadata"]["source_name"] = source
        parsed = make_record(record, subset=subset)
        hf_repo, hints = variant_evidence(subset, raw)
        expected = choose_variant(benchmark, hf_repo, hints, source_name(parsed.raw))
        assert outcome(rules.variant, benchmark, parsed, raw) == told(expected)


def shouted(value: Any) -> Any:
    """Every string in `value` upper-cased (keys kept)."""
    if isinstance(value, str):
        return value.upper()
    if isinstance(value, dict):
        return {key: shouted(item) for key, item in value.items()}
    return value


@settings(max_examples=100, deadline=None)
@given(VARIANT_RESULTS, st.sampled_from([None, "diamond", "Main"]))
def test_variant_evidence_decides_alike_in_any_case(raw: dict[str, Any], subset: Any) -> None:
    gpqa = REGISTRY.get("gpqa")
    first = choose_variant(gpqa, *variant_evidence(subset, raw), "")
    second = choose_variant(gpqa, *variant_evidence(shouted(subset), shouted(raw)), "")
    assert told(first) == told(second)


# --- Choice among results, sub-scores -------------------------------------------------------------

RESULT_IDS = st.sampled_from(
    [
        "mmlu_pro/overall",
        "MMLU_Pro/Overall",
        "mmlu-pro::chain-of-thought-correctness",
        "mmlu_pro/biology",
        "mmlu_pro/law",
        "mmlu pro - history",
        "something",
        "",
    ]
)
CHOICE_RESULTS = st.fixed_dictionaries(
    {"evaluation_result_id": st.one_of(RESULT_IDS, st.sampled_from([None, 1]))},
    optional={
        "evaluation_name": st.sampled_from(["MMLU-Pro", "MMLU Pro - Biology", ""]),
        "source_data": st.fixed_dictionaries(
            {}, optional={"dataset_name": st.sampled_from(["MMLU-Pro", "MMLU Pro - Law", ""])}
        ),
        "metric_config": st.fixed_dictionaries(
            {},
            optional={
                "metric_id": RESULT_IDS,
                "metric_unit": st.sampled_from(["proportion", "usd", "", None]),
                "lower_is_better": LOWER,
            },
        ),
    },
)


def choice(compute: Any, *args: Any) -> tuple[str, Any]:
    try:
        index, _ = compute(*args)
    except NotPublishable as exc:
        return "skip", (exc.reason, exc.message)
    return "chosen", index


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(CHOICE_RESULTS, min_size=1, max_size=5), min_size=1, max_size=4))
def test_memoised_choice_equals_the_rule(records: list[list[dict[str, Any]]]) -> None:
    rules = rulebook()
    target = rules.targets[("mmlu_pro", None)]
    plain = Target.of(MMLU_PRO, None)
    for results in records * 2:
        found = list(enumerate(results))
        expected = choice(choose_result, plain, found, result_role)
        assert choice(rules.choose, target, found) == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(CHOICE_RESULTS, min_size=1, max_size=5), st.data())
def test_lower_is_better_spellings_choose_alike(results: list[dict[str, Any]], data: Any) -> None:
    """Respelling every lower_is_better flag (true → "true" / 1 / "YES", …) changes nothing."""
    other = copy.deepcopy(results)
    for raw in other:
        metric = raw.get("metric_config") or {}
        known = flag(metric.get("lower_is_better"))
        if known is not None:
            spellings = TRUE_SPELLINGS if known else FALSE_SPELLINGS
            metric["lower_is_better"] = data.draw(st.sampled_from(spellings))
    target = Target.of(MMLU_PRO, None)
    first = choice(choose_result, target, list(enumerate(results)), result_role)
    second = choice(choose_result, target, list(enumerate(other)), result_role)
    assert first[0] == second[0]
    assert (first[1][0] if first[0] == "skip" else first[1]) == (
        second[1][0] if second[0] == "skip" else second[1]
    )


def test_memoised_roles_equal_the_rule() -> None:
    """Rank, sub-score, score and lower-is-better verdicts, memoised on the raw names."""
    rules = rulebook()
    target = rules.targets[("mmlu_pro", None)]
    for raw in (
        {"evaluation_result_id": "mmlu_pro/biology"},
        {"evaluation_result_id": "mmlu_pro/overall", "metric_config": {"lower_is_better": 1}},
        {"evaluation_name": "MMLU Pro - Biology", "source_data": {"dataset_name": "MMLU-Pro"}},
        {"evaluation_name": "MMLU Pro - Biology", "metric_config": {"metric_unit": "usd"}},
        {"evaluation_result_id": 1, "metric_config": {"metric_id": True}},
        {"evaluation_result_id": ["mmlu_pro/overall"]},
    ):
        facts = role_facts(target, raw)
        assert rules.role.judge(facts) == rules.role.judge(facts) == result_role(facts)


def test_ranks_of_unhashable_ids_are_judged_as_no_id() -> None:
    record = mmlu_record()
    overall = record["evaluation_results"][0]
    metric = overall["metric_config"] | {"metric_id": ["mmlu_pro/overall"]}
    odd = overall | {"evaluation_result_id": ["mmlu_pro/overall"], "metric_config": metric}
    record["evaluation_results"].append(odd)
    result = run(make_record(record))
    (entry,) = result.desired  # the list ids rank nowhere: the preferred metric wins
    assert entry.provenance.result_id == overall["evaluation_result_id"]


# --- The memo itself, and the trip between processes ----------------------------------------------


def test_a_memo_computes_once_per_key_and_judges_unhashable_keys_without_keeping_them() -> None:
    calls: list[Any] = []

    def rule(key: Any) -> int:
        calls.append(key)
        return len(key)

    memo = Memo(rule)
    assert memo["ab"] == memo["ab"] == 2 and calls == ["ab"]
    assert memo.judge(("a", ["b"])) == 2 and len(memo) == 1
    assert pickle.loads(pickle.dumps(Memo(len))) == {}


def test_plan_types_pickle_by_their_fields() -> None:
    where = Provenance("c", 3, "flat/objects/ab/cd/x.json", "0" * 64, "e", "r", "t", "u")
    entry = EvalEntry("a/b", "t", 50.0, "2025-01-01", "u", "EvalEval", "5-shot")
    desired = DesiredEntry("o/m", "mmlu_pro", ".eval_results/x.yaml", entry, ("x",), where)
    skipped = SkippedItem("api_only_model", "why", "c", 3, "p", "o/m", "mmlu_pro")
    row = IndexRow("c", 3, "flat/objects/ab/cd/x.json", "0" * 64, 10, subset="diamond")
    for value in (where, entry, desired, skipped, row):
        assert value.__reduce__() == (type(value), attrs.astuple(value, recurse=False))
        assert pickle.loads(pickle.dumps(value, 5)) == value


def test_pickled_by_fields_refuses_fields_outside_init() -> None:
    @attrs.frozen
    class Derived:
        a: int
        b: int = attrs.field(init=False, default=0)

    with pytest.raises(TypeError, match="plain __init__ argument"):
        pickled_by_fields(Derived)
