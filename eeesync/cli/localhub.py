"""`eeesync localhub serve DIR [--seed FOLDER]`: run the local Hub in the foreground until Ctrl-C.

`--seed FOLDER` loads a seed folder (`seed.toml`, as `[hub] seed`) into DIR when DIR is new or
empty, so a standalone server can serve the demo's Hub; `--fault-seed N` seeds the random
sequence of injected faults. One server per DIR: a second one (or a command using the same
folder as `local:DIR`) is refused, see `localhub/statedir.lock_state`.
"""

from __future__ import annotations

import argparse
import math
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from eeesync.errors import LocalHubError, UserError
from eeesync.localhub import FaultConfig, LocalHub, RateLimitConfig
from eeesync.localhub.access import check_accounts, check_orgs
from eeesync.localhub.seed_folder import seed_local_hub

if TYPE_CHECKING:
    from eeesync.cli.main import App

HELP = "run the local Hub: an offline Hugging Face Hub on 127.0.0.1 for tests and rehearsals"


def _share(value: str) -> float:
    share = float(value)
    if not 0.0 <= share <= 1.0:
        raise argparse.ArgumentTypeError(f"{value} is not a share between 0 and 1")
    return share


def _milliseconds(value: str) -> float:
    try:
        ms = float(value)
    except ValueError:
        ms = math.nan
    if not math.isfinite(ms) or ms < 0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of milliseconds >= 0")
    return ms


def _whole(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """A parser of whole numbers in [minimum, maximum] with a usage message otherwise."""

    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            number = minimum - 1
        if number < minimum or (maximum is not None and number > maximum):
            bounds = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
            raise argparse.ArgumentTypeError(f"{value!r} is not a whole number {bounds}")
        return number

    return parse


def _account(value: str) -> tuple[str, str]:
    """`TOKEN=NAME`: requests with this bearer token act as account NAME."""
    token, sep, name = value.partition("=")
    if not sep or not token.strip() or not name.strip():
        # Never echo the value: it holds a token.
        raise argparse.ArgumentTypeError("expected TOKEN=NAME, e.g. hf_tokA=alice")
    try:
        check_accounts({token.strip(): name.strip()})
    except LocalHubError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return token.strip(), name.strip()


def _org(value: str) -> tuple[str, str, str]:
    """`ORG=ACCOUNT[:ROLE]`: ACCOUNT is a member of organisation ORG (role `write` by default)."""
    org, sep, member = value.partition("=")
    member, _, role = member.partition(":")
    role = role or "write"
    try:
        if not sep:
            raise LocalHubError("expected ORG=ACCOUNT[:ROLE], e.g. acme=alice:admin")
        check_orgs({org: {member: role}})
    except LocalHubError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return org, member, role


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare `serve` and its flags."""
    sub = parser.add_subparsers(dest="localhub_command", metavar="ACTION")
    sub.required = True
    serve = sub.add_parser(
        "serve",
        help="serve DIR until Ctrl-C, printing the URL",
        description="Serve the local Hub whose state lives in DIR.",
    )
    serve.add_argument("dir", type=Path, metavar="DIR", help="state folder (created if missing)")
    serve.add_argument(
        "--port", type=_whole(0, 65535), default=0, help="port on 127.0.0.1 (0 = pick one)"
    )
    serve.add_argument(
        "--latency-ms", type=_milliseconds, default=0.0, help="delay added per request"
    )
    serve.add_argument(
        "--rate-429",
        type=_share,
        default=0.0,
        help="share of requests answered 429 with Retry-After",
    )
    serve.add_argument(
        "--retry-after",
        type=_whole(0),
        default=1,
        help="Retry-After seconds sent with injected 429s (default 1)",
    )
    serve.add_argument(
        "--rate-5xx",
        "--fail-rate",
        dest="rate_5xx",
        type=_share,
        default=0.0,
        help="share of requests answered 500 or 503",
    )
    serve.add_argument(
        "--drop-rate",
        type=_share,
        default=0.0,
        help="share of connections closed without an answer",
    )
    serve.add_argument(
        "--fault-seed", type=int, default=0, help="seed of the injected faults' random sequence"
    )
    serve.add_argument(
        "--seed",
        type=Path,
        metavar="FOLDER",
        help="seed folder (holding seed.toml, like [hub] seed) loaded when DIR is new or empty",
    )
    serve.add_argument(
        "--rate-limit",
        action="store_true",
        help="enforce the Hub's free-tier limits (1000 api / 5000 downloads)",
    )
    serve.add_argument(
        "--rate-limit-window",
        type=_whole(1),
        default=300,
        help="rate-limit window in seconds (default 300)",
    )
    serve.add_argument(
        "--write-limit",
        type=_whole(0),
        default=None,
        metavar="N",
        help="answer 429 with Retry-After to writes (commits, PRs, comments, status changes, "
        "merges) beyond N per --write-window",
    )
    serve.add_argument(
        "--write-window",
        type=_whole(1),
        default=3600,
        metavar="SECONDS",
        help="window of --write-limit in seconds (default 3600)",
    )
    serve.add_argument(
        "--account",
        dest="accounts",
        metavar="TOKEN=NAME",
        type=_account,
        action="append",
        default=[],
        help="requests with this token act as account NAME, with the Hub's write rules "
        "(repeatable); other tokens act as local-user and may do anything",
    )
    serve.add_argument(
        "--org",
        dest="orgs",
        metavar="ORG=ACCOUNT[:ROLE]",
        type=_org,
        action="append",
        default=[],
        help="ACCOUNT is a member of organisation ORG (role admin, write (default), contributor "
        "or read; admin and write own ORG's repos); repeatable",
    )


def _orgs(memberships: list[tuple[str, str, str]]) -> dict[str, dict[str, str]]:
    orgs: dict[str, dict[str, str]] = {}
    for org, member, role in memberships:
        orgs.setdefault(org, {})[member] = role
    return orgs


def _seed(state_dir: Path, seed: Path, app: App) -> None:
    """Load `seed` into a new or empty `state_dir` (as `[hub] seed` does); leave a state alone."""
    if state_dir.exists() and (not state_dir.is_dir() or any(state_dir.iterdir())):
        app.err_console.print(
            f"{state_dir} already holds a local Hub state: serving it as it is, not seeded "
            f"from {seed} (delete it to start over from the seed)",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        return
    seed_local_hub(state_dir, seed)


#: The read quotas of a Hub that limits writes only (no read is ever near them).
_UNLIMITED = 10**9


def _rate_limits(args: argparse.Namespace) -> RateLimitConfig | None:
    if not args.rate_limit and args.write_limit is None:
        return None
    reads = {} if args.rate_limit else {"api_quota": _UNLIMITED, "resolvers_quota": _UNLIMITED}
    return RateLimitConfig(
        window_s=args.rate_limit_window,
        writes_quota=args.write_limit,
        writes_window_s=args.write_window,
        **reads,
    )


def run(args: argparse.Namespace, app: App) -> int:
    faults = FaultConfig(
        latency_ms=args.latency_ms,
        rate_429=args.rate_429,
        retry_after_s=args.retry_after,
        rate_5xx=args.rate_5xx,
        drop_rate=args.drop_rate,
        seed=args.fault_seed,
    )
    limits = _rate_limits(args)
    if args.seed is not None:
        _seed(args.dir, args.seed, app)
    try:
        hub = LocalHub(
            args.dir,
            port=args.port,
            faults=faults,
            rate_limits=limits,
            accounts=dict(args.accounts),
            orgs=_orgs(args.orgs),
        )
        hub.start()
    except LocalHubError as exc:  # an unusable state folder: the user can fix it
        raise UserError(
            str(exc), hint="Point DIR at an empty folder or a local Hub state folder."
        ) from exc
    except OSError as exc:
        raise UserError(
            f"cannot serve on 127.0.0.1:{args.port}: {exc.strerror or exc}",
            hint="Pick another --port, or 0 for any free one.",
        ) from exc
    try:
        app.console.print(f"Local Hub serving {hub.storage.root} at {hub.url}", soft_wrap=True)
        app.console.print(
            f'Use it with: HfApi(endpoint="{hub.url}") or HF_ENDPOINT={hub.url} · Ctrl-C to stop',
            soft_wrap=True,
        )
        app.console.file.flush()
        threading.Event().wait()  # until Ctrl-C
    except KeyboardInterrupt:
        app.console.print("Stopped.")
    finally:
        hub.stop()
    return 0
