"""What `eeesync plan` and `eeesync model` share: choosing collections from the command line.

Wiring only, like the commands themselves: flags are declared here, parsed in `cli/main.py`.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from eeesync.errors import UserError

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


def chosen_collections(args: argparse.Namespace, config: Config) -> tuple[str, ...]:
    """The collections named on the command line, else the configured ones (may be empty).

    Raises `UserError` when both names and `--all` are given.
    """
    if args.all and args.collections:
        raise UserError("give collection names or --all, not both")
    return tuple(args.collections) or config.collections
