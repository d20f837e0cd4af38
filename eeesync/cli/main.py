"""The `eeesync` entry point: parser, the only catch-all error handler, exit codes, dispatch.

Each subcommand lives in `eeesync/cli/<name>.py` (`models suggest` in `models_suggest.py`, so
that it does not read as a twin of `model.py`) and exposes `HELP`, `add_arguments(parser)`
(declares its flags; parsing happens here) and `run(args, app) -> int`. A command with output
views also exposes `FORMATS` (the view formats it has, a subset of text, markdown and json):
this module gives it the one output switch, `--format` with exactly those (`--json` = `--format
json`), so `args.format` is always a view the command has; any other is a usage error (exit 1).

Exit codes (Terraform's): 0 success (and "no changes" with --detailed-exitcode), 1 an error a
user can fix, usage errors included, 2 only "changes pending" with --detailed-exitcode (so it is
unambiguous), 3 unexpected error (a bug), 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn

import attrs
from rich.console import Console
from rich.markup import escape

from eeesync import __version__
from eeesync.config import Config, find_config, load_config
from eeesync.errors import ConfigError, UserError

COMMANDS = (
    "plan",
    "import",
    "show",
    "apply",
    "force-unlock",
    "benchmarks",
    "model",
    "models",
    "init",
    "localhub",
)
EXIT_OK, EXIT_ERROR, EXIT_BUG, EXIT_INTERRUPTED = 0, 1, 3, 130
# A usage error is an error a user can fix: 1, never 2, which `--detailed-exitcode` reserves.
EXIT_USAGE = EXIT_ERROR


@attrs.define
class App:
    """What every command gets: consoles, the environment and a way to load the config once."""

    console: Console
    err_console: Console
    env: Mapping[str, str]
    cwd: Path
    config_path: Path | None = None
    _config: Config | None = None

    def config(self, **overrides: Any) -> Config:
        """Load `eeesync.toml` (from --config, or the nearest one), env and flag overrides."""
        if self._config is None:
            path = self.config_path or find_config(self.cwd)
            if self.config_path is not None and not self.config_path.is_file():
                raise ConfigError(
                    f"config file {self.config_path} does not exist",
                    hint="Run `eeesync init` to write a starter eeesync.toml.",
                )
            self._config = load_config(path, env=self.env, cwd=self.cwd, overrides=overrides)
            for deprecation in self._config.deprecations:
                self.err_console.print(f"warning: {deprecation}", markup=False, highlight=False)
        return self._config


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error (exit 1, not argparse's 2) instead of usage + error."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"eeesync: error: {message} (see `{self.prog} --help`)\n")


#: Commands whose module is not named after the command.
_MODULE_OF = {"models": "models_suggest", "import": "import_scores"}


def _command_module(name: str) -> ModuleType:
    module = _MODULE_OF.get(name, name.replace("-", "_"))
    return importlib.import_module(f"eeesync.cli.{module}")


def _add_format_arguments(parser: argparse.ArgumentParser, formats: Sequence[str]) -> None:
    """The one output switch, on every command with views: only the formats it has (`--help`
    offers no format the command would refuse; another is a usage error naming them)."""
    parser.add_argument(
        "--format",
        choices=formats,
        default="text",
        help=f"output format: {', '.join(formats)} (default text)",
    )
    parser.add_argument(
        "--json", dest="format", action="store_const", const="json", help="same as --format json"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="eeesync",
        description="Plan and apply Every Eval Ever results as Hugging Face Community Evals PRs.",
    )
    parser.add_argument("--version", action="version", version=f"eeesync {__version__}")
    parser.add_argument("--config", type=Path, help="path to eeesync.toml (default: nearest one)")
    parser.add_argument("--no-color", action="store_true", help="plain output without colour")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in COMMANDS:
        module = _command_module(name)
        command = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(command)
        if hasattr(module, "FORMATS"):
            _add_format_arguments(command, module.FORMATS)
    return parser


def _consoles(no_color: bool, env: Mapping[str, str]) -> tuple[Console, Console]:
    plain = no_color or bool(env.get("NO_COLOR"))
    width = None if sys.stdout.isatty() else int(env.get("COLUMNS", "100") or 100)
    console = Console(no_color=plain, width=width, soft_wrap=False, highlight=False)
    err = Console(stderr=True, no_color=plain, highlight=False)
    return console, err


def main(argv: Sequence[str] | None = None, *, env: Mapping[str, str] | None = None) -> int:
    env = dict(os.environ) if env is None else env
    parser = build_parser()
    args = parser.parse_args(argv)
    console, err = _consoles(args.no_color, env)
    app = App(console=console, err_console=err, env=env, cwd=Path.cwd(), config_path=args.config)
    try:
        return int(_command_module(args.command).run(args, app))
    except UserError as exc:
        # soft_wrap: the error stays one line (for logs and CI) however narrow the terminal.
        err.print(f"[bold red]Error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        if exc.hint:
            err.print(exc.hint, markup=False, highlight=False, soft_wrap=True)
        return EXIT_ERROR
    except KeyboardInterrupt:
        err.print("Interrupted.")
        return EXIT_INTERRUPTED
    except Exception:  # the one catch-all: anything else is a bug
        err.print(f"An unexpected error occurred (eeesync {__version__}); please report it:")
        err.print(traceback.format_exc(), markup=False, highlight=False)
        return EXIT_BUG


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
