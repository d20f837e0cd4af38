"""`eeesync show` end to end through `eeesync.cli.main.main`, as a user runs it."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from eeesync.cli.main import main
from eeesync.plan.file import serialize_plan, write_plan
from eeesync.views import render_markdown
from eeesync.views.common import ViewOptions, summary_line
from tests.plan_factory import make_plan

COLOUR_SGR = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-9]|4[0-9]|9[0-7]|10[0-7])(?:;[0-9;]*)?m")


@pytest.fixture
def plan_path(tmp_path: Path) -> Path:
    return write_plan(make_plan(), tmp_path / "plans" / "mmlu_pro-0f3c9a7.plan.json")


def run(argv, capsys, env=None):
    code = main(argv, env=env if env is not None else {"COLUMNS": "80"})
    out, err = capsys.readouterr()
    return code, out, err


def test_show_prints_the_plan_for_people(plan_path, capsys):
    code, out, err = run(["show", str(plan_path)], capsys)
    assert code == 0 and err == ""
    assert out.startswith("eeesync plan ")
    assert "Needs attention (13)" in out
    assert out.rstrip("\n").splitlines()[-1] == summary_line(make_plan())
    assert "\x1b" not in out  # not a terminal: no escapes at all
    # Only lines meant to be copied whole may be longer: the summary line, a command and the
    # YAML lines a PR adds.
    long = [line for line in out.splitlines() if len(line) > 80 and "    + " not in line]
    assert long == [
        f"  eeesync show {plan_path} --status already_present",
        summary_line(make_plan()),
    ]


def test_show_json_is_the_plan_file_byte_for_byte(plan_path, capsys):
    code, out, _ = run(["show", str(plan_path), "--format", "json"], capsys)
    assert code == 0
    assert out == plan_path.read_text(encoding="utf-8") == serialize_plan(make_plan())


def test_show_markdown_is_ready_to_paste(plan_path, capsys):
    code, out, _ = run(["show", str(plan_path), "--format", "markdown"], capsys)
    assert code == 0
    assert out == render_markdown(make_plan(), ViewOptions(plan_ref=str(plan_path)))
    assert out.startswith("# eeesync plan: `mmlu_pro` @ `0f3c9a7`\n")


def test_show_status_filter_repeated_or_comma_separated(plan_path, capsys):
    for argv in (
        ["--status", "score_conflict", "--status", "missing_hf_model"],
        ["--status", "score_conflict,missing-hf-model"],
    ):
        code, out, _ = run(["show", str(plan_path), *argv], capsys)
        assert code == 0
        assert "Score conflicts (2)" in out and "Missing model repos (2)" in out
        for hidden in ("Pull requests to open", "Skipped records", "Audit errors"):
            assert hidden not in out
        assert summary_line(make_plan()) in out  # the summary still counts the whole plan


def test_show_status_filter_applies_to_json(plan_path, capsys):
    code, out, _ = run(["show", str(plan_path), "--format", "json", "--status", "ready"], capsys)
    assert code == 0
    data = json.loads(out)
    assert {e["status"] for r in data["repos"] for e in r["entries"]} == {"ready"}


def test_show_relative_path_is_read_from_the_working_directory(plan_path, capsys, monkeypatch):
    monkeypatch.chdir(plan_path.parent.parent)
    code, out, _ = run(["show", "plans/mmlu_pro-0f3c9a7.plan.json", "--status", "ready"], capsys)
    assert code == 0 and "Pull requests to open (2)" in out


def test_unknown_status_is_a_usage_error(plan_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["show", str(plan_path), "--status", "bogus"], env={})
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert "unknown status 'bogus'; choose from ready, update_pr, withdraw, pending_pr" in err


def test_tampered_plan_is_refused_with_one_clean_error(plan_path, capsys):
    text = plan_path.read_text(encoding="utf-8")
    plan_path.write_text(text.replace('"value": 48.13', '"value": 98.13'), encoding="utf-8")
    code, out, err = run(["show", str(plan_path)], capsys)
    assert code == 1
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 2  # the error on one line, then what to do
    assert lines[0].startswith(f"Error: {plan_path}: digest mismatch")
    assert lines[1] == "Never edit a plan by hand: re-run `eeesync plan` to make a new one."
    assert "Traceback" not in err


def test_unknown_major_version_is_refused(plan_path, capsys):
    data = json.loads(plan_path.read_text(encoding="utf-8"))
    data["format_version"] = "2.0"
    plan_path.write_text(json.dumps(data), encoding="utf-8")
    code, _, err = run(["show", str(plan_path)], capsys)
    assert code == 1
    assert "format_version 2.0 is not supported" in err.splitlines()[0]
    assert "Traceback" not in err


def test_missing_plan_file(tmp_path, capsys):
    code, _, err = run(["show", str(tmp_path / "nope.plan.json")], capsys)
    assert code == 1
    assert err.splitlines()[0] == f"Error: plan file {tmp_path / 'nope.plan.json'} does not exist"


def test_colour_follows_no_color_flag_and_env(plan_path, capsys, monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")  # pretend stdout is a colour terminal
    _, coloured, _ = run(["show", str(plan_path)], capsys)
    assert COLOUR_SGR.search(coloured)
    _, flag, _ = run(["--no-color", "show", str(plan_path)], capsys)
    assert COLOUR_SGR.search(flag) is None
    _, env, _ = run(["show", str(plan_path)], capsys, env={"NO_COLOR": "1", "COLUMNS": "80"})
    assert COLOUR_SGR.search(env) is None
    assert summary_line(make_plan()) in env


@pytest.mark.parametrize("target", ["/dev/zero", "fifo", "folder"])
def test_show_refuses_what_is_not_a_regular_file(
    tmp_path: Path, target: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 14 §5d: `show /dev/zero` never ends, a FIFO blocks: both are clean errors."""
    path = Path(target) if target.startswith("/") else tmp_path / target
    if target == "fifo":
        os.mkfifo(path)
    elif target == "folder":
        path.mkdir()
    assert main(["show", str(path)], env={}) == 1
    err = capsys.readouterr().err
    assert "cannot read plan file" in err and "Traceback" not in err


def test_markdown_max_bytes_fits_and_links_the_full_plan(plan_path, capsys):
    full_code, full, _ = run(["show", str(plan_path), "--format", "markdown"], capsys)
    limit = len(full.encode()) - 1
    url = "https://example.org/plans/x.plan.json"
    argv = ["show", str(plan_path), "--format", "markdown", "--max-bytes", str(limit)]
    code, out, err = run([*argv, "--plan-url", url], capsys)
    assert full_code == code == 0 and err == ""
    assert len(out.encode()) <= limit
    assert "_… 1 more file not shown; full plan: [" in out and f"(<{url}>)_" in out


def test_max_bytes_too_small_or_misused_is_a_clean_error(plan_path, capsys):
    code, out, err = run(
        ["show", str(plan_path), "--format", "markdown", "--max-bytes", "50"], capsys
    )
    assert code == 1 and out == ""
    assert "more than --max-bytes 50" in err and "Raise --max-bytes to" in err
    code, out, err = run(["show", str(plan_path), "--max-bytes", "5000"], capsys)
    assert code == 1 and "--format markdown only" in err
    with pytest.raises(SystemExit) as exc:
        main(["show", str(plan_path), "--max-bytes", "0"])
    assert exc.value.code != 0 and "must be 1 or more" in capsys.readouterr().err
