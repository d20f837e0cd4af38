"""The CLI skeleton: --help, --version, one-line usage errors."""

from __future__ import annotations

import pytest

from eeesync import __version__
from eeesync.cli.main import COMMANDS, main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert __version__ in capsys.readouterr().out


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for name in COMMANDS:
        assert name in out


@pytest.mark.parametrize("argv", [["bogus"], ["plan", "--no-such-flag"], []])
def test_usage_errors_are_one_line_and_nonzero(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("eeesync: error:")
    assert len(err.splitlines()) == 1
