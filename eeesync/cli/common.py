"""What the commands share: opening the configured Hub, choosing collections, flags that set
config values.

Wiring only, like the commands themselves: flags are declared here, parsed in `cli/main.py`.
This is the one place that turns the config's `[hub]` into a client, and the one place that
starts the in-process local Hub for a `local:PATH` endpoint (hub/ never imports localhub).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eeesync.config import check_flag
from eeesync.errors import ConfigError, UserError
from eeesync.fsutil import make_writable_folder
from eeesync.hub.client import WEB_BASE, Hub, RetryPolicy, connect_hub

if TYPE_CHECKING:
    from eeesync.config import Config


def add_collection_arguments(parser: argparse.ArgumentParser, *, verb: str) -> None:
    """`COLLECTION ...` and `--all`; `verb` says what the command does with them ("plan")."""
    parser.add_argument(
        "collections",
        nargs="*",
        default=[],  # without a default argparse calls an empty `*` positional required
        metavar="COLLECTION",
        help=f"collections to {verb} (default: [datastore] collections in eeesync.toml)",
    )
    parser.add_argument("--all", action="store_true", help=f"{verb} every collection")


def setting_flag(name: str) -> Callable[[str], Any]:
    """An argparse `type=` checking a flag that sets a config value (`config.FLAGS`) through the
    same path as the file and the environment; a bad value is a usage error (exit 1)."""

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


@contextmanager
def open_hub(config: Config, *, retry: RetryPolicy | None = None) -> Iterator[Hub]:
    """Open the configured Hub. `local:PATH` starts the local Hub in-process for the duration."""
    if not config.is_local_endpoint:
        # No configured token: let huggingface_hub find a saved login (`hf auth login`).
        yield connect_hub(
            config.endpoint_input,
            token=config.token or None,
            timeout=config.timeout,
            retry=retry,
            max_eval_file_bytes=config.max_eval_file_bytes,
        )
        return
    from eeesync.localhub import LocalHub  # imported lazily: only the local endpoint needs it

    state_dir = usable_local_dir(config.local_hub_dir(), config.endpoint_input)
    if config.hub_seed is not None and not (state_dir.exists() and any(state_dir.iterdir())):
        from eeesync.localhub.seed_folder import seed_local_hub

        seed_local_hub(state_dir, config.hub_seed)
    with LocalHub(state_dir) as server:
        # A rehearsal of the real Hub: links look like the real Hub's, no token is sent.
        yield connect_hub(
            server.url,
            endpoint=config.endpoint_input,
            web_base=WEB_BASE,
            token=False,
            timeout=config.timeout,
            retry=retry,
            max_eval_file_bytes=config.max_eval_file_bytes,
            # Its PRs exist only there: shown with its address, not as huggingface.co pages.
            pr_base=config.endpoint_input,
        )


def usable_local_dir(path: Path, endpoint: str) -> Path:
    """The folder of a `local:PATH` endpoint, created and proven writable (a file, `/proc` or a
    read-only place is a clean error here, not a traceback from deep in the local Hub)."""
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{endpoint}: {path} is not a folder", key="hub.endpoint")
    try:
        make_writable_folder(path)
    except OSError as exc:
        raise ConfigError(
            f"{endpoint}: the folder {path} cannot be used for the local Hub "
            f"({exc.strerror or type(exc).__name__})",
            key="hub.endpoint",
        ) from exc
    return path
