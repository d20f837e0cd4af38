"""docs/json-events.md is the contract of `apply --json`: what is emitted matches it.

The doc's tables are parsed (one `### \\`type\\`` section per message, one row per field with
"Always" yes/no); every message a real apply emits, and every message shape the view can build,
must have a documented type, every field documented, and every "always" field present.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from eeesync.apply.outcome import Outcome
from eeesync.apply.report import ActionResult, ApplyEvent, ApplyReport
from eeesync.views import apply_view
from tests.cli.test_apply_cli import _main, setup  # noqa: F401 - the fixture
from tests.views.test_apply_view import EVERY_CHECK, EVERY_RESULT, PLAN

DOC = Path(__file__).resolve().parents[2] / "docs" / "json-events.md"
_SECTION = re.compile(r"^### `(\w+)`$", re.M)
_ROW = re.compile(r"^\| `(\w+)` \| [^|]+ \| (yes|no) \|", re.M)


def documented() -> dict[str, tuple[set[str], set[str]]]:
    """type → (all documented fields, fields present in every message)."""
    text = DOC.read_text(encoding="utf-8")
    parts = _SECTION.split(text)
    types: dict[str, tuple[set[str], set[str]]] = {}
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        rows = _ROW.findall(body)
        assert rows, f"section {name} has no field table"
        types[name] = ({f for f, _ in rows}, {f for f, always in rows if always == "yes"})
    return types


def check_against_doc(message: dict[str, Any]) -> None:
    types = documented()
    kind = message.get("type")
    assert kind in types, f"message type {kind!r} is not in {DOC.name}"
    fields, always = types[kind]
    assert message["ui_version"] == apply_view.JSON_UI_VERSION
    assert set(message) <= fields, f"{kind}: undocumented fields {set(message) - fields}"
    assert always <= set(message), f"{kind}: missing {always - set(message)}"


def test_the_doc_states_the_current_ui_version() -> None:
    assert f"Current: `{apply_view.JSON_UI_VERSION}`" in DOC.read_text(encoding="utf-8")
    assert set(documented()) == {
        "version",
        "preview",
        "apply_start",
        "apply_complete",
        "apply_errored",
        "stale",
        "skipped",
        "summary",
    }


def test_a_real_apply_stream_matches_the_doc(
    setup: tuple[Path, Path],  # noqa: F811 - the fixture
    capsys: pytest.CaptureFixture[str],
) -> None:
    config, plan_path = setup
    flags = ["apply", str(plan_path), "--confirm", "OPEN PRS", "--message", "m", "--json"]
    code, out, err = _main(config, *flags, capsys=capsys)
    assert code == 0, err
    events = [json.loads(line) for line in out.splitlines()]
    assert [e["type"] for e in events][:2] == ["version", "preview"]
    assert events[-1]["type"] == "summary"
    for event in events:
        check_against_doc(event)
    # A rerun: nothing to approve, the short summary.
    code, out, err = _main(config, *flags, capsys=capsys)
    assert code == 0, err
    for event in (json.loads(line) for line in out.splitlines()):
        check_against_doc(event)


@pytest.mark.parametrize("state", list(Outcome))
def test_every_finishing_event_matches_the_doc(state: Outcome) -> None:
    result = ActionResult("acme/one", "a1", state, error="boom" if state is Outcome.FAILED else "")
    check_against_doc(apply_view.event_message(ApplyEvent.finished(result)))
    started = ApplyEvent("apply_start", "acme/one", "a1", attempt=2)
    check_against_doc(apply_view.event_message(started))


def test_every_summary_and_preview_matches_the_doc() -> None:
    for report in (ApplyReport(PLAN, tuple(EVERY_RESULT.values())), ApplyReport(PLAN, ())):
        check_against_doc(apply_view.report_message(report))
    check_against_doc(apply_view.nothing_to_open_message(EVERY_CHECK))
    check_against_doc(apply_view.preview_message(EVERY_CHECK))
    check_against_doc(apply_view.version_message())
