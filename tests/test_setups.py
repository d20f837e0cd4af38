"""Setup facts → `notes` (eeesync/setups.py): what each generic reader takes from a record."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eeesync.setups import FACTS, setup_facts, setup_notes


def result(
    details: dict[str, Any] | None = None, args: dict[str, Any] | None = None
) -> dict[str, Any]:
    generation: dict[str, Any] = {}
    if details is not None:
        generation["additional_details"] = details
    if args is not None:
        generation["generation_args"] = args
    return {"generation_config": generation}


@pytest.mark.parametrize(
    ("details", "expected"),
    [
        ({"prompt_style": "5-shot CoT"}, "5-shot CoT"),
        # HELM writes JSON-quoted strings
        ({"use_chain_of_thought": '"true"', "use_few_shot": '"false"'}, "0-shot CoT"),
        ({"use_chain_of_thought": "true", "use_few_shot": "false"}, "0-shot CoT"),
        ({"use_chain_of_thought": "false", "use_few_shot": "false"}, "0-shot"),
        (
            {"use_few_shot": "true", "num_shots": '"8"', "use_chain_of_thought": "true"},
            "8-shot CoT",
        ),
        ({"use_few_shot": "true"}, "few-shot"),
        ({"use_chain_of_thought": "true"}, "CoT"),
        ({"subset": '"gpqa_main"'}, ""),
    ],
)
def test_prompt_fact(details: dict[str, Any], expected: str) -> None:
    assert setup_facts({}, result(details), ("prompt",)) == ((expected,) if expected else ())


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (result({"reasoning_effort": "high"}), "high reasoning"),
        (result({"reasoning_effort": "none"}), ""),
        (result({}, {"reasoning": True}), "reasoning"),
        (result({}, {"reasoning": False}), ""),
        (result({"reasoning_effort": "low"}, {"reasoning": True}), "low reasoning"),
    ],
)
def test_reasoning_fact(item: dict[str, Any], expected: str) -> None:
    assert setup_facts({}, item, ("reasoning",)) == ((expected,) if expected else ())


def test_tools_agent_and_source_facts() -> None:
    tools = result(args={"agentic_eval_config": {"available_tools": [{"name": "bash"}]}})
    assert setup_facts({}, tools, ("tools",)) == ("With tools",)
    assert (
        setup_facts({}, result(args={"agentic_eval_config": {"available_tools": []}}), ("tools",))
        == ()
    )
    terminal = {"model_info": {"additional_details": {"agent_name": "Terminus 2"}}}
    assert setup_facts(terminal, {}, ("agent",)) == ("agent: Terminus 2",)
    swe = {"model_info": {"additional_details": {"submission_name": "SWE-agent + Qwen"}}}
    assert setup_facts(swe, {}, ("agent",)) == ("agent: SWE-agent + Qwen",)
    mmlu = {"source_metadata": {"additional_details": {"leaderboard_data_source": "Self-Reported"}}}
    assert setup_facts(mmlu, {}, ("source",)) == ("Self-Reported",)


def test_notes_leave_out_the_default_setup_and_keep_the_variant_first() -> None:
    item = result({"prompt_style": "5-shot  cot", "reasoning_effort": "high"})
    assert setup_notes({}, item, ("prompt", "reasoning"), ("5-shot CoT",)) == "high reasoning"
    assert setup_notes({}, item, ("prompt",), ("5-shot CoT",)) is None
    assert (
        setup_notes({}, item, ("prompt",), (), prefix="GPQA Diamond") == "GPQA Diamond, 5-shot cot"
    )
    # facts a benchmark does not list are never read into its notes
    assert setup_notes({}, item, (), ()) is None
    # a source's assumed prompt stands in only when the record states none
    assert setup_notes({}, result({}), ("prompt",), (), assumed_prompt="5-shot") == "5-shot"
    assert setup_notes({}, item, ("prompt",), (), assumed_prompt="5-shot") == "5-shot cot"


_junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)


@given(
    record=st.dictionaries(
        st.sampled_from(["model_info", "generation_config", "source_metadata"]), _junk
    ),
    item=st.dictionaries(
        st.sampled_from(["generation_config", "source_data", "metric_config"]), _junk
    ),
)
def test_untrusted_shapes_never_crash_and_defaults_never_appear(
    record: dict[str, Any], item: dict[str, Any]
) -> None:
    facts = setup_facts(record, item, FACTS)
    assert all(isinstance(f, str) and f for f in facts)
    notes = setup_notes(record, item, FACTS, facts)  # every stated fact declared default
    assert notes is None
