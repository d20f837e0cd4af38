"""Coverage in every plan: unmatched results as counted (collection, evaluation name) groups,
in the plan file, every summary, and `eeesync show PLAN --status unmatched` (text, markdown,
json)."""

from __future__ import annotations

import json
from pathlib import Path

import attrs
import pytest

from eeesync.cli.main import main
from eeesync.plan import file as plan_file
from eeesync.plan.model import FORMAT_VERSION, Plan, UnmatchedGroup
from eeesync.views import render_markdown
from eeesync.views.common import ViewOptions, coverage_line
from tests.plan_factory import make_plan

GROUPS = tuple(
    UnmatchedGroup("hfopenllm_v2", name, count)
    for name, count in [
        ("IFEval", 4_512),
        ("BBH", 4_512),
        ("MATH Level 5", 4_511),
        ("MUSR", 4_510),
        ("Mean score", 120),
        ("WildBench", 7),
        ("Omni-MATH", 3),
    ]
)


def covered_plan() -> Plan:
    return plan_file.seal(attrs.evolve(make_plan(), unmatched=GROUPS))


@pytest.fixture
def plan_path(tmp_path: Path) -> Path:
    return plan_file.write_plan(covered_plan(), tmp_path / "p.plan.json")


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(argv, env={"COLUMNS": "100"})
    return code, capsys.readouterr().out


def test_the_plan_file_carries_counted_groups(plan_path: Path) -> None:
    data = json.loads(plan_path.read_text())
    assert data["format_version"] == FORMAT_VERSION
    assert data["counts"]["unmatched"] == sum(g.results for g in GROUPS) == 18_175
    assert data["unmatched"][0] == {
        "collection": "hfopenllm_v2",
        "evaluation_name": "IFEval",
        "results": 4512,
    }
    assert plan_file.read_plan(plan_path) == covered_plan()


def test_a_1_0_plan_without_the_new_keys_still_reads() -> None:
    data = json.loads(plan_file.serialize_plan(make_plan()))
    data["format_version"] = "1.0"
    assert "unmatched" not in data and "unmatched" not in data["counts"]  # none: left out
    for repo in data["repos"]:
        for entry in repo["entries"]:
            assert "dataset_aliases" not in entry["desired"]
    content = {k: v for k, v in data.items() if k not in ("created_at", "digest")}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    import hashlib

    data["digest"] = "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
    plan = plan_file.parse_plan(json.dumps(data))
    assert plan.unmatched == () and plan.counts.unmatched == 0


def test_summary_names_the_count_and_the_top_pairs() -> None:
    line = coverage_line(covered_plan())
    assert line.startswith("Coverage: 18,175 results matched no benchmark (7 groups); top: ")
    assert "hfopenllm_v2 · IFEval (4,512)" in line and "and 2 more groups" in line
    assert "WildBench" not in line
    assert coverage_line(make_plan()) == "Coverage: every result matched a benchmark."


def test_text_summary_always_shows_coverage_and_the_status_lists_every_group(
    plan_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(["show", str(plan_path)], capsys)
    assert code == 0 and "Coverage: 18,175 results" in out
    assert f"eeesync show {plan_path} --status unmatched" in out
    assert "Omni-MATH" not in out
    code, out = run(["show", str(plan_path), "--status", "unmatched"], capsys)
    assert code == 0 and "Unmatched results (18,175 in 7 groups)" in out
    for group in GROUPS:
        assert group.evaluation_name in out
    assert "Pull requests to open" not in out  # only what was asked for


def test_markdown_lists_every_group(plan_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(
        ["show", str(plan_path), "--status", "unmatched", "--format", "markdown"], capsys
    )
    assert code == 0
    assert "## Unmatched results (18,175 in 7 groups)" in out
    assert "| hfopenllm\\_v2 | Omni-MATH | 3 |" in out
    default = render_markdown(covered_plan(), ViewOptions())
    assert "Coverage: 18,175 results" in default and "## Unmatched results" not in default


def test_json_selects_the_groups(plan_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(["show", str(plan_path), "--status", "unmatched", "--format", "json"], capsys)
    data = json.loads(out)
    assert code == 0 and data["repos"] == [] and data["skipped"] == []
    assert len(data["unmatched"]) == 7 and data["counts"]["unmatched"] == 18_175
    code, out = run(["show", str(plan_path), "--status", "ready", "--format", "json"], capsys)
    assert "unmatched" not in json.loads(out)  # absent means none (like a 1.0 plan)


def test_unknown_status_names_unmatched_as_a_choice(
    plan_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main(["show", str(plan_path), "--status", "nope"], env={})
    assert "unmatched" in capsys.readouterr().err
