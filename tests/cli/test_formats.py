"""The one output switch: `--format text|markdown|json` (and `--json`) on every command with views.

`cli/main.py` adds the flags with the command's own formats: `--help` offers only those, and any
other is a usage error (exit 1) naming them, never a silent fallback.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eeesync.cli.main import build_parser, main
from eeesync.localhub import LocalHub
from tests.cli.test_plan_cli import project  # noqa: F401 - the fixture

VIEW_COMMANDS = {
    "plan": ("text", "markdown", "json"),
    "show": ("text", "markdown", "json"),
    "model": ("text", "markdown", "json"),
    "apply": ("text", "json"),
    "benchmarks": ("text", "json"),
}
_ARGS = {"plan": [], "show": ["p.json"], "model": ["acme/a"], "apply": ["p.json"], "benchmarks": []}


@pytest.mark.parametrize("command", sorted(VIEW_COMMANDS))
def test_every_view_command_takes_format_and_the_json_alias(command: str) -> None:
    parser = build_parser()
    for fmt in VIEW_COMMANDS[command]:
        args = parser.parse_args([command, *_ARGS[command], "--format", fmt])
        assert args.format == fmt
    assert parser.parse_args([command, *_ARGS[command]]).format == "text"
    assert parser.parse_args([command, *_ARGS[command], "--json"]).format == "json"


@pytest.mark.parametrize("command", sorted(VIEW_COMMANDS))
def test_help_offers_only_the_formats_a_command_has(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main([command, "--help"], env={})
    assert f"--format {{{','.join(VIEW_COMMANDS[command])}}}" in capsys.readouterr().out


@pytest.mark.parametrize("command", ["apply", "benchmarks"])
def test_a_format_without_a_view_is_a_usage_error_naming_the_ones_it_has(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main([command, *_ARGS[command], "--format", "markdown"], env={})
    assert exited.value.code == 1
    assert "invalid choice: 'markdown' (choose from 'text', 'json')" in capsys.readouterr().err


def test_a_bad_format_name_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["show", "p.json", "--format", "yaml"], env={})
    assert exited.value.code == 1
    assert "invalid choice: 'yaml'" in capsys.readouterr().err


def test_benchmarks_json_alias_equals_format_json(
    tmp_path: Path, localhub: LocalHub, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "eeesync.toml"
    config.write_text(f'[hub]\nendpoint = "{localhub.url}"\n')
    assert main(["--config", str(config), "benchmarks", "--json"], env={}) == 0
    alias = capsys.readouterr().out
    assert main(["--config", str(config), "benchmarks", "--format", "json"], env={}) == 0
    assert capsys.readouterr().out == alias
    json.loads(alias)


def test_plan_markdown_is_clean_markdown_and_the_paths_go_to_stderr(
    project: Path,  # noqa: F811 - the fixture
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["plan", "--format", "markdown", "-o", "p.json"], env={"COLUMNS": "80"}) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("#")
    assert "Plan written to" not in captured.out
    assert "Plan written to p.json" in captured.err
    assert "To open these PRs, run: eeesync apply p.json" in captured.err
    # The same markdown `show` renders from the file.
    assert main(["show", "p.json", "--format", "markdown"], env={}) == 0
    assert capsys.readouterr().out == captured.out
