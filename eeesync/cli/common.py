"""What the commands share: choosing collections, flags that set config values.

Wiring only, like the commands themselves: flags are declared here, parsed in `cli/main.py`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from eeesync.config import check_flag
from eeesync.errors import ConfigError, UserError

if TYPE_CHECKING:
    from eeesync.config import Config


def add_collection_arguments(parser: argparse.ArgumentParser, *, verb: str) -> None:
    """`COLLECTION ...` and `--all`; `verb` says what the command does with them ("plan")."""
    parser.add_argument(
        "collections",
        nargs="*",
        metavar="COLLECTION",
        help=f"collections to {verb} (default: [datastore] collections in eeesync.toml)",
    )
    parser.add_argument("--all", action="store_true", help=f"{verb} every collection")


def setting_flag(name: str) -> Callable[[str], Any]:
    """An argparse `type=` checking a flag that sets a config value (`config.FLAGS`) through the
    same path as the file and the environment; a bad value is a usage error (exit 2)."""

    def parse(text: str) -> Any:
        try:
            return check_flag(name, text)
        except ConfigError as exc:
            raise argparse.ArgumentTypeError(exc.problem) from None

    return parse


def chosen_collections(args: argparse.Namespace, config: Config) -> tuple[str, ...]:
    """The collections named on the command line, else the configured ones (may be empty).

    Raises `UserError` when both names and `--all` are given.
    """
    if args.all and args.collections:
        raise UserError("give collection names or --all, not both")
    return tuple(args.collections) or config.collections
