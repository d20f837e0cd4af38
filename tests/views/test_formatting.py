"""The one number rule (views/formatting.py) and the markdown helpers (eeesync/text.py) every
view uses."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from eeesync.model_report import Spread
from eeesync.text import md_code, md_escape, md_link, md_table
from eeesync.views import markdown, model_view
from eeesync.views.formatting import format_value


def test_one_nan_rule_in_the_plan_and_the_model_views() -> None:
    nan = float("nan")
    assert format_value(nan) == "?" and format_value(None) == "?"
    # The model view used to print "nan" here: it now shares the plan views' rule.
    assert model_view.spread_text(Spread("acc", 1, nan, nan)) == "acc: 1 result, ?"
    assert "nan" not in model_view.spread_text(Spread("acc", 2, nan, 0.5))


def test_the_views_use_the_shared_helpers() -> None:
    # One module: neither view keeps its own copy of the markdown helpers or number rule.
    assert not hasattr(model_view, "format_score")
    assert model_view.format_value is format_value is markdown.format_value
    assert not hasattr(markdown, "_MD_SPECIAL") and not hasattr(model_view, "_MD_SPECIAL")


@given(st.floats(allow_nan=True, allow_infinity=False))
def test_format_value_is_a_number_or_unknown(value: float) -> None:
    shown = format_value(value)
    if math.isnan(value):
        assert shown == "?"
    else:
        assert math.isclose(float(shown), value, rel_tol=1e-5, abs_tol=1e-300)


@given(st.text())
def test_escaped_text_stays_one_table_cell(text: str) -> None:
    escaped = md_escape(text)
    assert "\n" not in escaped and "\r" not in escaped
    # Every pipe is escaped, so a table row keeps its columns.
    assert escaped.count("|") == escaped.count("\\|")
    row = md_table(["a", "b"], [[escaped, md_code(text)]])[2]
    unescaped_pipes = row.replace("\\|", "").count("|")
    assert unescaped_pipes == 3


def test_links_and_aligned_tables() -> None:
    assert md_link("a_b", None) == "a\\_b"
    assert md_link("x", "https://h/a b>") == "[x](<https://h/a%20b%3E>)"
    assert md_table(["k", "v"], [["1", "2"]], align="lr")[1] == "|---|---:|"
