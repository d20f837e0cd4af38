"""The mapping's per-run memos decide exactly as the rules they memoise (eeesync/mapping.py):
scale rules per metric, model verdicts per raw `model_info`, metric ranks per raw id; and the
plan types survive the trip between processes (`pickled_by_fields`)."""

from __future__ import annotations

import math
import pickle
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eeesync.datastore.index import IndexRow
from eeesync.datastore.records import Result
from eeesync.mapping import Mapper, MappingOptions, NotPublishable, scale_score
from eeesync.plan.model import DesiredEntry, EvalEntry, Provenance, SkippedItem, pickled_by_fields
from tests.helpers import mmlu_record
from tests.test_mapping import LOCATOR, REGISTRY, make_record, run

#: Values that look alike to a dict (True == 1 == 1.0) but not to the rules.
FIELD_VALUES = st.sampled_from(
    [None, 0, 0.0, 1, 1.0, True, False, 100, 100.0, 10, -1, "100", "1", [1], {"a": 1}]
)
UNITS = st.sampled_from([None, "", "percent", "Percent", "%", "proportion", "points", "usd", 1])
LOWER = st.sampled_from([None, True, False, 1, 0, "true", "True", "false", [True]])
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


def outcome(compute: Any, *args: Any) -> tuple[str, Any]:
    try:
        value = compute(*args)
    except NotPublishable as exc:
        return "skip", (exc.reason, exc.message)
    return "value", value


def raw_result(metric: dict[str, Any] | None, score: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {"evaluation_name": "MMLU-Pro", "score_details": {"score": score}}
    if metric is not None:
        raw["metric_config"] = metric
    return raw


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.none(), METRICS), SCORES), min_size=1, max_size=6))
def test_memoised_value_equals_scale_score(results: list[tuple[Any, Any]]) -> None:
    """In one run (memos shared), every result gets `scale_score`'s value or its exact skip."""
    mapper = Mapper(REGISTRY, LOCATOR, MappingOptions(), None)
    benchmark = REGISTRY.get("mmlu_pro")
    for index, (metric, score) in enumerate(results * 2):  # twice: the second pass hits memos
        raw = raw_result(metric, score)
        expected = outcome(scale_score, Result.from_raw(index, raw), benchmark)
        got = outcome(lambda *args: mapper.value(*args)[0], benchmark, index, raw)
        assert got[0] == expected[0], (metric, score)
        if got[0] == "skip":
            assert got == expected
        else:
            assert got[1] == expected[1] or (math.isnan(got[1]) and math.isnan(expected[1]))


def test_a_memoised_rule_is_not_shared_between_equal_looking_values() -> None:
    """min_score true is no bound (a bool is not a number), min_score 1 is refused; equal as
    dict keys, so the memo keys carry the value's class too. Likewise lower_is_better."""
    mapper = Mapper(REGISTRY, LOCATOR, MappingOptions(), None)
    benchmark = REGISTRY.get("mmlu_pro")
    for accepted, refused, reason in (
        ({"min_score": True}, {"min_score": 1}, "unknown_scale"),
        ({"lower_is_better": 1}, {"lower_is_better": True}, "lower_is_better"),
    ):
        metric = {"max_score": 1.0} | accepted
        assert mapper.value(benchmark, 0, raw_result(metric, 0.5)) == (50.0, 0.5)
        with pytest.raises(NotPublishable) as skip:
            mapper.value(benchmark, 0, raw_result({"max_score": 1.0} | refused, 0.5))
        assert skip.value.reason == reason


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


def test_ranks_of_unhashable_ids_are_judged_without_a_memo() -> None:
    record = mmlu_record()
    overall = record["evaluation_results"][0]
    metric = overall["metric_config"] | {"metric_id": ["mmlu_pro/overall"]}
    odd = overall | {"evaluation_result_id": ["mmlu_pro/overall"], "metric_config": metric}
    record["evaluation_results"].append(odd)
    result = run(make_record(record))
    (entry,) = result.desired  # the list ids rank nowhere: the preferred metric wins
    assert entry.provenance.result_id == overall["evaluation_result_id"]


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
