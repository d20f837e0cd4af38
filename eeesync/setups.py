"""What a record says about the *setup* of one result: the facts that become an entry's `notes`.

Community Evals keeps two setups of one benchmark apart with `notes` (the Hub's own
entries write `agent: Terminus 2`, "With tools", "high reasoning"; the spec's example is
"8-shot CoT"), and omits notes for the benchmark's default setup. Each reader below is generic:
it knows where EEE adapters write one kind of fact, never which benchmark it is reading. Which
facts make up a benchmark's notes, and which fact texts are its default setup, is registry data
(`setup` / `default_setup` in `eeesync/benchmarks.toml`).

Facts (the text each one contributes):

* `prompt`    shots and chain-of-thought: a recorded `prompt_style` as written ("5-shot CoT"),
              else HELM's `use_few_shot` / `use_chain_of_thought` (JSON-quoted strings such as
              `"true"`) and a shot count → "0-shot CoT", "5-shot", "few-shot CoT", "CoT".
* `reasoning` `reasoning_effort` "high" → "high reasoning"; `generation_args.reasoning: true`
              with no effort → "reasoning". "none" / false say nothing.
* `tools`     a non-empty `agentic_eval_config.available_tools` → "With tools".
* `agent`     `agent_name` (else the SWE-bench `submission_name`) → "agent: <name>".
* `source`    the leaderboard's data source (`leaderboard_data_source`: "TIGER-Lab",
              "Self-Reported") as written.

Pure and cheap: it runs only for the few results that are published.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

#: Every fact name a benchmark's `setup` may list, in the order notes are written.
FACTS: tuple[str, ...] = ("prompt", "reasoning", "tools", "agent", "source")

_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})
_NO_EFFORT = frozenset({"", "none", "null", "off", "false", "disabled"})


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    """A recorded value as clean text. HELM writes JSON-quoted strings (`"\\"gpqa_main\\""`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if not isinstance(value, str):
        return ""
    text = value.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        try:
            decoded = json.loads(text)
        except ValueError:
            return text
        return _text(decoded)
    return " ".join(text.split())


_EMPTY: Mapping[str, Any] = {}

#: Every key a reader looks up in the `additional_details` places below.
_KEYS = frozenset(
    {
        "prompt_style",
        "prompt_setting",
        "use_few_shot",
        "use_chain_of_thought",
        "chain_of_thought",
        "cot",
        "num_shots",
        "n_shots",
        "num_fewshot",
        "max_train_instances",
        "reasoning_effort",
        "with_tools",
        "tool_use",
        "agent_name",
        "agent",
        "submission_name",
        "leaderboard_data_source",
        "data_source",
    }
)


class _Stated(NamedTuple):
    """What one result's record states about its setup, as a hashable value: the found
    `additional_details` texts (result-level first: a record may hold results run under
    different settings, then the record's generation config, model and source metadata), and
    the two facts read from `generation_args`. Notes are a function of it (memoised below:
    the full datastore publishes tens of thousands of entries from a few distinct setups)."""

    found: tuple[tuple[str, str], ...]
    reasoning_arg: str  # generation_args.reasoning, as clean lower-cased text
    with_tools: bool  # generation_args.agentic_eval_config.available_tools is a non-empty list

    def first(self, *keys: str) -> str:
        found = dict(self.found)
        for key in keys:
            text = found.get(key)
            if text:
                return text
        return ""


def _stated(record: Mapping[str, Any], result: Mapping[str, Any]) -> _Stated:
    # `x.__class__ is dict` rather than isinstance: this runs for every published entry
    generation = result.get("generation_config")
    generation = generation if generation.__class__ is dict else _EMPTY
    record_generation = record.get("generation_config")
    record_generation = record_generation if record_generation.__class__ is dict else _EMPTY
    args = generation.get("generation_args") or record_generation.get("generation_args")
    found: dict[str, str] = {}
    for holder in (
        generation,
        result.get("source_data"),
        result.get("metric_config"),
        record_generation,
        record.get("model_info"),
        record.get("source_metadata"),
    ):
        place = holder.get("additional_details") if holder.__class__ is dict else None
        # most places hold none of our keys: `isdisjoint` answers that without building a set
        if place.__class__ is dict and not _KEYS.isdisjoint(place):
            for key in place.keys() & _KEYS:
                if key not in found:
                    text = _text(place[key])
                    if text:
                        found[key] = text
    if args.__class__ is not dict or not args:
        return _Stated(tuple(found.items()), "", False)
    agentic = _map(args.get("agentic_eval_config"))
    tools = agentic.get("available_tools")
    return _Stated(
        tuple(found.items()),
        _text(args.get("reasoning")).lower(),
        isinstance(tools, list) and bool(tools),
    )


def _prompt(where: _Stated) -> str:
    if not where.found:
        return ""
    style = where.first("prompt_style", "prompt_setting")
    if style:
        return style
    few_shot = where.first("use_few_shot").lower()
    cot = where.first("use_chain_of_thought", "chain_of_thought", "cot").lower()
    count = where.first("num_shots", "n_shots", "num_fewshot", "max_train_instances")
    shots = ""
    if few_shot in _FALSE:
        shots = "0-shot"
    elif re.fullmatch(r"\d+(?:\.0)?", count):
        shots = f"{int(float(count))}-shot"
    elif few_shot in _TRUE:
        shots = "few-shot"
    with_cot = cot in _TRUE
    return " ".join(part for part in (shots, "CoT" if with_cot else "") if part)


def _reasoning(where: _Stated) -> str:
    effort = where.first("reasoning_effort")
    if effort.lower() not in _NO_EFFORT:
        return f"{effort} reasoning"
    if not effort and where.reasoning_arg in _TRUE:
        return "reasoning"
    return ""


def _tools(where: _Stated) -> str:
    if where.with_tools:
        return "With tools"
    return "With tools" if where.first("with_tools", "tool_use").lower() in _TRUE else ""


def _agent(where: _Stated) -> str:
    name = where.first("agent_name", "agent", "submission_name")
    return f"agent: {name}" if name else ""


def _source(where: _Stated) -> str:
    return where.first("leaderboard_data_source", "data_source")


_READERS: dict[str, Callable[[_Stated], str]] = {
    "prompt": _prompt,
    "reasoning": _reasoning,
    "tools": _tools,
    "agent": _agent,
    "source": _source,
}


def _fold(text: str) -> str:
    return " ".join(text.lower().split())


@functools.lru_cache(maxsize=4096)
def _texts(stated: _Stated, facts: tuple[str, ...], assumed_prompt: str) -> tuple[str, ...]:
    out = []
    for name in FACTS:
        if name in facts:
            text = _READERS[name](stated) or (assumed_prompt if name == "prompt" else "")
            if text:
                out.append(text)
    return tuple(out)


@functools.lru_cache(maxsize=4096)
def _notes(
    stated: _Stated,
    facts: tuple[str, ...],
    default: tuple[str, ...],
    prefix: str | None,
    assumed_prompt: str,
) -> str | None:
    defaults = frozenset(_fold(d) for d in default)
    parts = [prefix] if prefix else []
    stated_texts = _texts(stated, facts, assumed_prompt)
    parts += [f for f in stated_texts if f not in defaults and _fold(f) not in defaults]
    return ", ".join(parts) or None


def setup_facts(
    record: Mapping[str, Any],
    result: Mapping[str, Any],
    facts: Sequence[str],
    assumed_prompt: str = "",
) -> tuple[str, ...]:
    """The texts of `facts` (names from `FACTS`) that the record states, in `FACTS` order.
    `assumed_prompt` stands for the prompt fact when the record states none (a registry rule
    for a source known to run one protocol and not to record it)."""
    if not facts:
        return ()
    return _texts(_stated(record, result), tuple(facts), assumed_prompt)


#: A result's exact Community Evals `notes` ("" = none), as `eeesync import` records a score
#: read from the Hub: it is the setup as the Hub names it, so it is taken as written.
STATED_NOTES_KEY = "community_evals_notes"


def stated_notes(result: Mapping[str, Any]) -> str | None:
    """The notes a result states exactly (`STATED_NOTES_KEY`); None when it states none."""
    generation = result.get("generation_config")
    if generation.__class__ is not dict:
        return None
    details = generation.get("additional_details")
    if details.__class__ is not dict:
        return None
    text = details.get(STATED_NOTES_KEY)
    return text if isinstance(text, str) else None


def setup_notes(
    record: Mapping[str, Any],
    result: Mapping[str, Any],
    facts: Sequence[str],
    default: Sequence[str] = (),
    *,
    prefix: str | None = None,
    assumed_prompt: str = "",
) -> str | None:
    """The entry's `notes`: `prefix` (a variant's notes) and every stated fact that is not
    part of the default setup (compared without case or extra spaces), joined with ", ".
    None when nothing is left: the default setup has no notes."""
    if not facts:
        return prefix or None
    stated = _stated(record, result)
    return _notes(stated, tuple(facts), tuple(default), prefix, assumed_prompt)
