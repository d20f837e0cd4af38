"""`eeesync localhub serve` (`eeesync/cli/localhub.py`), run as a real subprocess."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError

from eeesync.cli import localhub
from eeesync.cli.main import _Parser, main
from tests.localhub.helpers import add

# Runs the command module through the same parser class and App as `eeesync`, without building
# the other subcommands (their modules are developed in parallel).
# A shell without job control starts background jobs with SIGINT ignored, and children inherit
# that: restore Python's Ctrl-C handler so the test does not depend on how CI was started.
DRIVER = """
import signal
import sys
signal.signal(signal.SIGINT, signal.default_int_handler)
from pathlib import Path
from rich.console import Console
from eeesync.cli import localhub
from eeesync.cli.main import App, _Parser
parser = _Parser(prog="eeesync localhub")
localhub.add_arguments(parser)
args = parser.parse_args(sys.argv[1:])
console = Console(no_color=True, width=200)
app = App(console=console, err_console=Console(stderr=True), env={}, cwd=Path.cwd())
sys.exit(localhub.run(args, app))
"""


def test_serve_prints_the_url_serves_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    state = tmp_path / "state"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            DRIVER,
            "serve",
            str(state),
            "--port",
            "0",
            "--latency-ms",
            "1",
            "--fault-seed",
            "3",
            "--account",
            "hf_tokA=alice",
            "--account",
            "hf_tokE=eve",
            "--org",
            "acme=alice:admin",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:\d+", first)
        assert match, first
        api = HfApi(endpoint=match.group(0), token="t")
        api.create_repo("acme/model-a")
        api.create_commit("acme/model-a", [add("a.txt", "a")], commit_message="a")
        assert api.list_repo_files("acme/model-a") == [".gitattributes", "a.txt"]
        assert api.whoami()["name"] == "local-user"
        alice = HfApi(endpoint=match.group(0), token="hf_tokA")
        assert alice.whoami()["name"] == "alice"
        alice.create_commit("acme/model-a", [add("b.txt", "b")], commit_message="b")
        assert api.list_repo_commits("acme/model-a")[0].authors == ["alice"]
        eve = HfApi(endpoint=match.group(0), token="hf_tokE")
        with pytest.raises(HfHubHTTPError) as refused:  # not a member of acme
            eve.create_commit("acme/model-a", [add("c.txt", "c")], commit_message="c")
        assert refused.value.response.status_code == 403
    finally:
        proc.send_signal(signal.SIGINT)
        try:  # generous: a loaded CI machine is slow to schedule the server's threads
            out, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            pytest.fail(f"the server did not stop within 60 s of Ctrl-C:\n{out}\n{err}")
    assert proc.returncode == 0, err
    assert "Stopped." in out
    assert (state / "repos" / "models" / "acme" / "model-a.json").is_file()


def test_serve_seeds_a_new_folder_from_a_seed_folder_and_leaves_a_state_alone(
    tmp_path: Path,
) -> None:
    seed = tmp_path / "seed"
    seed.mkdir()
    (seed / "seed.toml").write_text(
        'format = 1\n\n[[repos]]\nid = "acme/Seeded"\nreadme = "hi"\n', encoding="utf-8"
    )
    state = tmp_path / "state"
    for _ in range(2):  # the second time DIR holds a state: served as it is
        proc = subprocess.Popen(
            [sys.executable, "-c", DRIVER, "serve", str(state), "--seed", str(seed)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert proc.stdout is not None
            match = re.search(r"http://127\.0\.0\.1:\d+", proc.stdout.readline())
            assert match
            api = HfApi(endpoint=match.group(0), token="t")
            assert api.model_info("acme/seeded").id == "acme/Seeded"
        finally:
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=60)
    assert "already holds a local Hub state: serving it as it is, not seeded" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["localhub"],
        ["localhub", "serve"],
        ["localhub", "serve", "d", "--rate-429", "1.5"],
        ["localhub", "serve", "d", "--drop-rate", "x"],
        ["localhub", "serve", "d", "--latency-ms", "-5"],
        ["localhub", "serve", "d", "--latency-ms", "nan"],
        ["localhub", "serve", "d", "--latency-ms", "soon"],
        ["localhub", "serve", "d", "--port", "99999"],
        ["localhub", "serve", "d", "--port", "-1"],
        ["localhub", "serve", "d", "--retry-after", "-1"],
        ["localhub", "serve", "d", "--rate-limit-window", "0"],
        ["localhub", "serve", "d", "--account", "hf_secret"],
        ["localhub", "serve", "d", "--account", "hf_secret=not/valid"],
        ["localhub", "serve", "d", "--fault-seed", "folder"],
    ],
)
def test_bad_arguments_are_usage_errors(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv, env={})
    assert exit_info.value.code == 1  # a usage message, not a traceback (exit 3)
    err = capsys.readouterr().err
    assert "error" in err and "Traceback" not in err
    assert "hf_secret" not in err  # tokens are never echoed


def test_fail_rate_is_an_alias_of_rate_5xx() -> None:
    parser = _Parser(prog="eeesync localhub")
    localhub.add_arguments(parser)
    args = parser.parse_args(
        ["serve", "d", "--fail-rate", "0.2", "--rate-limit", "--rate-limit-window", "5"]
    )
    assert args.rate_5xx == 0.2 and args.rate_limit and args.rate_limit_window == 5
    args = parser.parse_args(["serve", "d", "--account", "tA=alice", "--account", "tB=bob"])
    assert dict(args.accounts) == {"tA": "alice", "tB": "bob"}
    args = parser.parse_args(["serve", "d", "--org", "acme=alice", "--org", "acme=bob:read"])
    assert localhub._orgs(args.orgs) == {"acme": {"alice": "write", "bob": "read"}}
    with pytest.raises(SystemExit):
        parser.parse_args(["serve", "d", "--org", "acme=bob:owner"])
    args = parser.parse_args(["serve", "d", "--write-limit", "5", "--write-window", "60"])
    limits = localhub._rate_limits(args)
    assert limits is not None and (limits.writes_quota, limits.writes_window_s) == (5, 60)
    assert limits.api_quota > 10**6  # reads are not limited unless --rate-limit
    assert localhub._rate_limits(parser.parse_args(["serve", "d"])) is None
    assert parser.parse_args(["serve", "d", "--port", "65535"]).port == 65535


def test_busy_port_and_bad_state_are_user_errors(tmp_path: Path) -> None:
    from rich.console import Console

    from eeesync.cli.main import App
    from eeesync.errors import UserError
    from eeesync.localhub import LocalHub

    parser = _Parser(prog="eeesync localhub")
    localhub.add_arguments(parser)
    app = App(console=Console(), err_console=Console(stderr=True), env={}, cwd=tmp_path)
    with LocalHub(tmp_path / "busy") as busy:
        args = parser.parse_args(["serve", str(tmp_path / "other"), "--port", str(busy.port)])
        with pytest.raises(UserError, match="cannot serve"):
            localhub.run(args, app)
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "hub.json").write_text("not json")
    with pytest.raises(UserError, match="unusable local Hub state"):
        localhub.run(parser.parse_args(["serve", str(tmp_path / "broken")]), app)
