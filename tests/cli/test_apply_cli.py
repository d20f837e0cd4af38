"""`eeesync apply` and `eeesync force-unlock` through the real entry point and the local Hub."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from huggingface_hub import HfApi
from rich.console import Console

from eeesync.apply.journal import journal_path
from eeesync.apply.lock import acquire_lock
from eeesync.cli import apply as apply_cli
from eeesync.cli.main import App, build_parser, main
from eeesync.localhub import LocalHub
from eeesync.plan.file import read_plan
from eeesync.plan.model import FORMAT_VERSION
from tests import plan_factory as pf
from tests.apply.conftest import open_prs, plan_for, seed_repo, write

REPOS = ("acme/one", "acme/two")
CONFIRMED = ("--confirm", "OPEN PRS", "--message", "m")


@pytest.fixture
def setup(localhub: LocalHub, hub_api: HfApi, tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    for repo in REPOS:
        seed_repo(localhub, repo)
    plan_path = write(plan_for(hub_api, localhub.url, REPOS), tmp_path / "plans")
    config = tmp_path / "eeesync.toml"
    config.write_text(
        f'[hub]\nendpoint = "{localhub.url}"\n\n[paths]\ncache = ".eeesync"\n', encoding="utf-8"
    )
    yield config, plan_path


def _main(config: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["--no-color", "--config", str(config), *args], env={"COLUMNS": "200"})
    out, err = capsys.readouterr()
    return code, out, err


def _nothing_written(hub_api: HfApi, plan_path: Path) -> None:
    assert not journal_path(plan_path).exists()
    assert all(open_prs(hub_api, r) == [] for r in REPOS)


def test_no_terminal_and_no_flags_writes_nothing(
    setup: tuple[Path, Path], hub_api: HfApi, capsys: pytest.CaptureFixture[str]
) -> None:
    config, plan_path = setup
    code, out, err = _main(config, "apply", str(plan_path), capsys=capsys)
    assert code == 1
    assert "no terminal to confirm at" in err and '--confirm "OPEN PRS"' in err
    assert "acme/one" in out  # the preview was shown first
    _nothing_written(hub_api, plan_path)


@pytest.mark.parametrize(
    "flags, expected",
    [
        (["--confirm", "open prs", "--message", "m"], "--confirm must be exactly"),
        (["--confirm", "OPEN PRS"], "non-empty commit message"),
        (["--confirm", "OPEN PRS", "--message", "   "], "non-empty commit message"),
        (["--message", "m"], "no terminal to confirm at"),
    ],
)
def test_wrong_or_partial_flags_write_nothing(
    setup: tuple[Path, Path],
    hub_api: HfApi,
    capsys: pytest.CaptureFixture[str],
    flags: list[str],
    expected: str,
) -> None:
    config, plan_path = setup
    code, _, err = _main(config, "apply", str(plan_path), *flags, capsys=capsys)
    assert code == 1
    assert expected in err
    _nothing_written(hub_api, plan_path)


def _run_at_terminal(config: Path, plan_path: Path, typed: list[str]) -> tuple[int, str]:
    """Run the command as if at a terminal where the user types `typed` lines."""
    args = build_parser().parse_args(["--config", str(config), "apply", str(plan_path)])
    out = io.StringIO()
    console = Console(file=out, width=200, no_color=True)
    app = App(console=console, err_console=console, env={}, cwd=config.parent, config_path=config)
    answers = iter(typed)

    def read_line(prompt: str) -> str:
        out.write(prompt + "\n")
        try:
            return next(answers)
        except StopIteration:
            raise EOFError from None

    terminal = apply_cli.Terminal(is_interactive=lambda: True, read_line=read_line)
    try:
        code = apply_cli.run(args, app, terminal=terminal)
    except Exception as exc:  # UserError: main() would print it and exit 1
        out.write(f"Error: {exc}\n")
        code = 1
    return code, out.getvalue()


@pytest.mark.parametrize(
    "typed, expected",
    [
        (["open prs"], "approval phrase was not typed"),
        (["yes"], "approval phrase was not typed"),
        ([], "approval phrase was not typed"),  # EOF
        (["OPEN PRS", ""], "non-empty commit message"),
        (["OPEN PRS"], "non-empty commit message"),  # EOF at the message
    ],
)
def test_terminal_refusals_write_nothing(
    setup: tuple[Path, Path], hub_api: HfApi, typed: list[str], expected: str
) -> None:
    config, plan_path = setup
    code, text = _run_at_terminal(config, plan_path, typed)
    assert code == 1
    assert expected in text
    _nothing_written(hub_api, plan_path)


def test_typed_confirmation_at_a_terminal_opens_the_prs(
    setup: tuple[Path, Path], hub_api: HfApi
) -> None:
    config, plan_path = setup
    code, text = _run_at_terminal(config, plan_path, ["OPEN PRS", "Add MMLU-Pro results"])
    assert code == 0, text
    assert "Approval:" in text and "Commit message (PR title):" in text
    for repo in REPOS:
        assert open_prs(hub_api, repo) == [1]
        assert hub_api.get_discussion_details(repo, 1).title == "Add MMLU-Pro results"
    assert "Apply complete: 2 opened" in text


def test_flags_approve_without_a_terminal_and_rerun_opens_nothing(
    setup: tuple[Path, Path], hub_api: HfApi, capsys: pytest.CaptureFixture[str]
) -> None:
    config, plan_path = setup
    flags = ["apply", str(plan_path), "--confirm", "OPEN PRS", "--message", "Add evals"]
    code, out, err = _main(config, *flags, capsys=capsys)
    assert code == 0, err
    assert "opened PR #1" in out and "Apply complete: 2 opened" in out
    assert f"Journal: {journal_path(plan_path)}" in out
    code, out, err = _main(config, *flags, capsys=capsys)
    assert code == 0, err
    # The journal says the plan is finished: nothing is read from the Hub or written again.
    assert "This plan was finished by an earlier apply" in out
    assert "nothing left to apply" in out
    assert all(open_prs(hub_api, r) == [1] for r in REPOS)


def test_pr_links_name_the_loopback_hub_the_prs_are_on(
    setup: tuple[Path, Path], localhub: LocalHub, capsys: pytest.CaptureFixture[str]
) -> None:
    config, plan_path = setup
    code, out, err = _main(config, "apply", str(plan_path), *CONFIRMED, capsys=capsys)
    assert code == 0, err
    link = f"{localhub.url.rstrip('/')}/acme/one/discussions/1"
    assert f"opened PR #1 {link}" in out and "huggingface.co/acme" not in out
    journal = journal_path(plan_path).read_text(encoding="utf-8")
    assert link in journal and "huggingface.co/acme" not in journal


def test_json_emits_ndjson_with_a_version_first(
    setup: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config, plan_path = setup
    flags = ["apply", str(plan_path), "--confirm", "OPEN PRS", "--message", "m", "--json"]
    code, out, err = _main(config, *flags, capsys=capsys)
    assert code == 0, err
    events = [json.loads(line) for line in out.splitlines()]
    assert events[0]["type"] == "version" and events[0]["tool"] == "eeesync"
    kinds = [e["type"] for e in events]
    assert kinds.count("apply_complete") == 2 and kinds[-1] == "summary"
    assert events[-1]["opened"] == 2
    done = [e for e in events if e["type"] == "apply_complete"]
    assert {e["pr_num"] for e in done} == {1}
    assert "Apply complete" in err  # human text went to stderr


def test_stale_summary_ends_with_the_refresh_command(
    setup: tuple[Path, Path], localhub: LocalHub, capsys: pytest.CaptureFixture[str]
) -> None:
    config, plan_path = setup
    localhub.storage.commit(REPOS[0], {"README.md": b"x"}, message="moved")
    flags = ["apply", str(plan_path), "--confirm", "OPEN PRS", "--message", "m"]
    code, out, _ = _main(config, *flags, capsys=capsys)
    assert code == 1
    assert "acme/one: stale, will be skipped: main moved" in out
    assert "1 opened" in out and "1 stale" in out
    assert out.rstrip().endswith("eeesync plan mmlu_pro")


def test_tampered_plan_is_refused(
    setup: tuple[Path, Path], hub_api: HfApi, capsys: pytest.CaptureFixture[str]
) -> None:
    config, plan_path = setup
    text = plan_path.read_text().replace('"value": 40.0', '"value": 99.0')
    assert text != plan_path.read_text()
    plan_path.write_text(text)
    flags = ["apply", str(plan_path), "--confirm", "OPEN PRS", "--message", "m"]
    code, _, err = _main(config, *flags, capsys=capsys)
    assert code == 1 and "digest mismatch" in err
    _nothing_written(hub_api, plan_path)


def test_unknown_major_format_version_is_refused(
    setup: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config, plan_path = setup
    plan_path.write_text(
        plan_path.read_text().replace(
            f'"format_version": "{FORMAT_VERSION}"', '"format_version": "2.0"'
        )
    )
    code, _, err = _main(config, "apply", str(plan_path), capsys=capsys)
    assert code == 1 and "format_version 2.0 is not supported" in err


def test_plan_for_another_endpoint_is_refused(
    setup: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, _ = setup
    other = write(pf.make_plan(), tmp_path, "other.plan.json")
    code, _, err = _main(config, "apply", str(other), "--confirm", "OPEN PRS", capsys=capsys)
    assert code == 1 and "was made for the Hub at https://huggingface.co" in err


def test_the_real_hub_without_a_token_says_how_to_log_in(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "eeesync.toml"
    config.write_text('[hub]\nendpoint = "https://huggingface.co"\n', encoding="utf-8")
    plan_path = write(pf.make_plan(), tmp_path)
    code, _, err = _main(config, "apply", str(plan_path), capsys=capsys)
    assert code == 1
    assert "needs a Hugging Face token" in err and "hf auth login" in err


def test_a_second_concurrent_apply_is_refused_then_force_unlock_clears(
    setup: tuple[Path, Path], hub_api: HfApi, capsys: pytest.CaptureFixture[str]
) -> None:
    config, plan_path = setup
    plan = read_plan(plan_path)
    held = acquire_lock(config.parent / ".eeesync", plan.digest)
    flags = ["apply", str(plan_path), "--confirm", "OPEN PRS", "--message", "m"]
    code, _, err = _main(config, *flags, capsys=capsys)
    assert code == 1
    assert "is being applied by" in err and held.info.id in err
    _nothing_written(hub_api, plan_path)
    code, out, _ = _main(config, "force-unlock", held.info.id, capsys=capsys)
    assert code == 0 and f"Removed the apply lock {held.info.id}" in out
    assert "still running" in out  # this test process holds it
    code, _, err = _main(config, "force-unlock", "unknown", capsys=capsys)
    assert code == 1 and "no apply lock with id unknown" in err
    code, _, err = _main(config, *flags, capsys=capsys)
    assert code == 0, err
    held.release()


def test_max_prs_flag(
    setup: tuple[Path, Path], hub_api: HfApi, capsys: pytest.CaptureFixture[str]
) -> None:
    config, plan_path = setup
    flags = ["apply", str(plan_path), "--confirm", "OPEN PRS", "--message", "m", "--max-prs", "1"]
    code, out, _ = _main(config, *flags, capsys=capsys)
    assert code == 0
    assert "1 opened" in out and "1 pending" in out and "again to open the pending PRs" in out
    assert sum(len(open_prs(hub_api, r)) for r in REPOS) == 1


def test_apply_takes_no_planning_flags(
    setup: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config, plan_path = setup
    with pytest.raises(SystemExit) as exited:
        main(["--config", str(config), "apply", str(plan_path), "--model", "x*"], env={})
    assert exited.value.code == 1
    assert "unrecognized arguments: --model" in capsys.readouterr().err


def test_show_reports_apply_progress_from_the_journal(
    setup: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config, plan_path = setup
    code, out, _ = _main(config, "show", str(plan_path), capsys=capsys)
    assert code == 0 and "Apply progress" not in out  # nothing applied yet
    flags = ["apply", str(plan_path), "--confirm", "OPEN PRS", "--message", "m", "--max-prs", "1"]
    assert _main(config, *flags, capsys=capsys)[0] == 0
    code, out, _ = _main(config, "show", str(plan_path), capsys=capsys)
    assert code == 0 and "Apply progress: 1 opened, 1 pending." in out


def test_the_shipped_cli_ignores_the_old_test_crash_variable(
    setup: tuple[Path, Path], hub_api: HfApi, capsys: pytest.CaptureFixture[str]
) -> None:
    """Crash points are a hook the tests inject (tests/apply/crash_hook.py), never something
    the production CLI reads from the environment."""
    config, plan_path = setup
    code = main(
        ["--no-color", "--config", str(config), "apply", str(plan_path), *CONFIRMED],
        env={"COLUMNS": "200", "EEESYNC_TEST_CRASH_AT": "nowhere"},
    )
    assert code == 0, capsys.readouterr().err
    assert all(len(open_prs(hub_api, r)) == 1 for r in REPOS)
