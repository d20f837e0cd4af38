"""`eeesync.toml` + environment → one frozen `Config`.

`cli/main.py` is the only caller: it finds the file (working directory or a parent, or
`--config`), applies `EEESYNC_*` / `HF_ENDPOINT` / `HF_TOKEN` overrides, then flags, and passes
the result down. No other module reads the environment. The three layers are checked by one
path (`Settings` through `settings_validation.structure`); errors name the file, key and line, or
the variable or flag.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, cast
from urllib.parse import urlsplit

import attrs

from eeesync.errors import ConfigError
from eeesync.settings_validation import (
    Path_,
    check,
    dotted,
    file_locator,
    in_range,
    non_empty_strings,
    positive_finite,
    structure,
)
from eeesync.tomlkeys import line_of

CONFIG_NAME = "eeesync.toml"
DEFAULT_MAX_EVAL_FILE_BYTES = 1024 * 1024
MAX_EVAL_FILE_BYTES = 256 * 1024 * 1024
DEFAULT_ENDPOINT = "https://huggingface.co"
DEFAULT_DATASTORE = "evaleval/EEE_datastore"
DATASTORE_LAYOUTS = ("auto", "flat", "submission")
DEFAULT_API_ONLY_PROVIDERS = (
    "anthropic",
    "gemini",
    "google/gemini",
    "grok",
    "mistral",
    "openai",
    "xai",
    "cohere",
)
DuplicatePolicy = Literal["conflict", "latest"]
DUPLICATE_POLICIES = ("conflict", "latest")
DEFAULT_PARALLELISM = 8
#: Upper bound of `[hub] parallelism` / `EEESYNC_PARALLELISM` / `--parallelism` (and of
#: `download_parallelism`): more threads only earn more 429s from the Hub.
MAX_PARALLELISM = 64
#: Datastore objects downloaded at once (`[hub] download_parallelism`). Wider than the audit:
#: downloads are `/resolve/` requests, counted in the Hub's larger "resolvers" quota bucket
#: (5,000 vs 1,000 "api" requests per 5 minutes), and the pacer keeps them inside it.
DEFAULT_DOWNLOAD_PARALLELISM = 32
SHA_PROBLEM = "must be a full 40-hex commit sha (a branch or tag moves; a backlink must not)"
ENDPOINT_PROBLEM = 'must be "https://huggingface.co", an http(s) URL, or "local:PATH"'
CREDENTIALS_PROBLEM = (
    "must not hold a user name or password (user:password@host): plans record the endpoint, "
    "so the token goes in HF_TOKEN or `hf auth login`"
)


# --- The file's tables: the one place each setting's type and allowed values are declared -------


def _strip(value: str) -> str:
    return value.strip()


def _clean_endpoint(value: str) -> str:
    return value.strip().rstrip("/")


def _is_endpoint(value: str) -> bool:
    if value.startswith("local:"):
        return len(value) > len("local:")
    if re.match(r"^https?://[^\s/]+(:\d+)?$", value) is None:
        return False
    try:  # what httpx will parse: `http://[::1` or a port over 65535 fail here, not mid-run
        parts = urlsplit(value)
        return bool(parts.hostname) and (parts.port is None or parts.port > 0)
    except ValueError:
        return False


def _no_credentials(value: str) -> bool:
    """`http://user:password@host` would put a secret in every plan file (they go to git)."""
    return value.startswith("local:") or "@" not in value.split("://", 1)[-1]


def _providers(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(v.strip().lower() for v in values)


@attrs.frozen
class DatastoreSection:
    locator: str = attrs.field(
        default=DEFAULT_DATASTORE, converter=_strip, validator=check(bool, "must not be empty")
    )
    collections: tuple[str, ...] = attrs.field(
        default=(), validator=check(non_empty_strings, "must be a list of collection names")
    )
    link_repo: str = attrs.field(
        default=DEFAULT_DATASTORE, converter=_strip, validator=check(bool, "must not be empty")
    )
    #: Folder datastores: the commit of `link_repo` the folder is a copy of (when the folder
    #: itself does not say: not a Hub snapshot, `hf download --local-dir` or git checkout).
    link_revision: str | None = attrs.field(
        default=None,
        converter=attrs.converters.optional(_strip),
        validator=check(lambda v: re.fullmatch(r"[0-9a-fA-F]{40}", v) is not None, SHA_PROBLEM),
    )
    #: "flat" (indexes + objects), "submission" (`data/<collection>/<developer>/<model>/
    #: <uuid>.json`, as contributors write it) or "auto": flat when the indexes exist.
    layout: str = attrs.field(
        default="auto",
        validator=check(lambda v: v in DATASTORE_LAYOUTS, 'must be "auto", "flat" or "submission"'),
    )


@attrs.frozen
class HubSection:
    endpoint: str = attrs.field(
        default=DEFAULT_ENDPOINT,
        converter=_clean_endpoint,
        validator=[
            check(_no_credentials, CREDENTIALS_PROBLEM),
            check(_is_endpoint, ENDPOINT_PROBLEM),
        ],
    )
    seed: str | None = None
    #: Model repos audited at once (`--parallelism`, `EEESYNC_PARALLELISM`; `concurrency` is
    #: its deprecated spelling).
    parallelism: int = attrs.field(
        default=DEFAULT_PARALLELISM,
        validator=check(
            in_range(1, MAX_PARALLELISM), f"must be a whole number from 1 to {MAX_PARALLELISM}"
        ),
    )
    #: Datastore objects downloaded at once by `plan`, `model` and `benchmarks`
    #: (`--download-parallelism`, `EEESYNC_DOWNLOAD_PARALLELISM`).
    download_parallelism: int = attrs.field(
        default=DEFAULT_DOWNLOAD_PARALLELISM,
        validator=check(
            in_range(1, MAX_PARALLELISM), f"must be a whole number from 1 to {MAX_PARALLELISM}"
        ),
    )
    timeout: float = attrs.field(
        default=20.0, validator=check(positive_finite, "must be a number of seconds above 0")
    )
    #: Largest `.eval_results` file the audit reads (a stranger's file must not cost gigabytes).
    max_eval_file_bytes: int = attrs.field(
        default=DEFAULT_MAX_EVAL_FILE_BYTES,
        validator=check(
            in_range(1024, MAX_EVAL_FILE_BYTES),
            f"must be a whole number of bytes from 1024 to {MAX_EVAL_FILE_BYTES}",
        ),
    )


@attrs.frozen
class SyncSection:
    tolerance: float = attrs.field(
        default=0.005,
        validator=check(in_range(0, 5), "must be between 0 and 5 (points on the 0–100 scale)"),
    )
    duplicates: str = attrs.field(
        default="conflict",
        validator=check(lambda v: v in DUPLICATE_POLICIES, 'must be "conflict" or "latest"'),
    )
    api_only_providers: tuple[str, ...] = attrs.field(
        default=DEFAULT_API_ONLY_PROVIDERS,
        converter=_providers,
        validator=check(non_empty_strings, "must be a list of provider names"),
    )
    check_tasks: bool = True


@attrs.frozen
class PathsSection:
    plans: str = attrs.field(default="plans", validator=check(bool, "must not be empty"))
    cache: str = attrs.field(default=".eeesync", validator=check(bool, "must not be empty"))


@attrs.frozen
class AliasesSection:
    #: The model alias file (eeesync/aliases.py), relative to eeesync.toml.
    file: str = attrs.field(
        default="model-aliases.toml", converter=_strip, validator=check(bool, "must not be empty")
    )
    #: Providers whose hosted deployment ids may alias to the open repo (e.g. ["together"]).
    allow_deployments: tuple[str, ...] = attrs.field(
        default=(),
        converter=_providers,
        validator=check(lambda v: all(v), "must be a list of provider names"),
    )


@attrs.frozen
class PolicySection:
    #: Let apply propose a PR that updates an `outdated_on_main` entry (off: needs attention).
    update_main: bool = False
    #: The checked-in opt-out list (`eeesync/policy.py`), relative to eeesync.toml.
    opt_out_file: str = attrs.field(
        default="opt-out.toml", converter=_strip, validator=check(bool, "must not be empty")
    )
    #: The checked-in list of declines to reconsider, relative to eeesync.toml.
    reconsider_file: str = attrs.field(
        default="reconsider.toml", converter=_strip, validator=check(bool, "must not be empty")
    )


#: `[apply] mode`: "pr" opens PRs everywhere; "direct-when-owner" commits to main on repos the
#: account (or one of its organisations with write access) owns.
APPLY_MODES = ("pr", "direct-when-owner")
#: Largest `[apply] max_writes_per_hour` (a write every ~0.4 s).
MAX_WRITES_PER_HOUR = 10_000


@attrs.frozen
class ApplySection:
    #: Who runs the sync, said in every PR description (e.g. "the EEE maintainers, @name").
    contact: str = attrs.field(default="", converter=_strip)
    mode: str = attrs.field(
        default="pr",
        validator=check(lambda v: v in APPLY_MODES, 'must be "pr" or "direct-when-owner"'),
    )
    #: At most this many Hub writes (commits, PRs, comments, status changes) per hour; None: no
    #: pace but the Hub's own (429s are waited out either way).
    max_writes_per_hour: int | None = attrs.field(
        default=None,
        validator=check(
            in_range(1, MAX_WRITES_PER_HOUR),
            f"must be a whole number from 1 to {MAX_WRITES_PER_HOUR}",
        ),
    )


def _tables(value: dict[str, Any]) -> bool:
    return all(isinstance(v, dict) for v in value.values())


@attrs.frozen
class Settings:
    """`eeesync.toml` as written, checked (unknown keys are errors). `load_config` structures the
    file merged with environment and flag values into this, then resolves it into `Config`."""

    datastore: DatastoreSection = DatastoreSection()
    hub: HubSection = HubSection()
    sync: SyncSection = SyncSection()
    paths: PathsSection = PathsSection()
    aliases: AliasesSection = AliasesSection()
    policy: PolicySection = PolicySection()
    apply: ApplySection = ApplySection()
    #: Raw `[benchmarks.<key>]` tables; `registry.load_registry` checks their fields.
    benchmarks: dict[str, dict[str, Any]] = attrs.field(
        factory=dict, validator=check(_tables, "must hold one table per benchmark key")
    )


@attrs.frozen
class Config:
    """Everything a run needs, resolved. Paths are absolute; `*_input` keep what the user wrote."""

    #: Datastore locator as written (`OWNER/NAME[@REV]` or a folder path relative to the config).
    datastore_input: str = DEFAULT_DATASTORE
    #: Folder datastores: the Hub dataset repo that `source.url` backlinks point at.
    datastore_link_repo: str = DEFAULT_DATASTORE
    #: Folder datastores: the commit of `datastore_link_repo` they are a copy of (None: detect).
    datastore_link_revision: str | None = None
    #: "auto", "flat" or "submission" (`[datastore] layout`).
    datastore_layout: str = "auto"
    collections: tuple[str, ...] = ()
    #: Endpoint as written: `https://…`, `http://127.0.0.1:PORT` or `local:PATH`.
    endpoint_input: str = DEFAULT_ENDPOINT
    #: Never written anywhere; `repr=False` keeps it out of logs and tracebacks.
    token: str | None = attrs.field(default=None, repr=False)
    #: `local:PATH` endpoints only: a seed folder loaded into an empty local Hub (the demo).
    hub_seed: Path | None = None
    #: Model repos audited at once (the "api" quota bucket).
    parallelism: int = DEFAULT_PARALLELISM
    #: Datastore objects downloaded at once (the "resolvers" quota bucket).
    download_parallelism: int = DEFAULT_DOWNLOAD_PARALLELISM
    timeout: float = 20.0
    #: Largest `.eval_results` file the audit reads; a larger one blocks the repo's entries.
    max_eval_file_bytes: int = DEFAULT_MAX_EVAL_FILE_BYTES
    #: Absolute tolerance on the 0–100 scale when comparing a desired value to an existing one.
    tolerance: float = 0.005
    duplicates: DuplicatePolicy = "conflict"
    api_only_providers: tuple[str, ...] = DEFAULT_API_ONLY_PROVIDERS
    #: Check each task id against the benchmark dataset's `eval.yaml` (off for offline use).
    check_tasks: bool = True
    plan_dir: Path = Path("plans")
    cache_dir: Path = Path(".eeesync")
    #: The model alias file (`[aliases] file`); a missing file means no aliases.
    alias_file: Path = Path("model-aliases.toml")
    #: `[aliases] allow_deployments`: providers whose deployment ids may alias to open repos.
    allow_deployments: tuple[str, ...] = ()
    #: `[policy] update_main`: apply proposes updates of `outdated_on_main` entries.
    update_main: bool = False
    #: The checked-in opt-out list and reconsidered declines (a missing file: none).
    opt_out_file: Path = Path("opt-out.toml")
    reconsider_file: Path = Path("reconsider.toml")
    #: `[apply] contact`: who runs the sync, said in every PR description.
    apply_contact: str = ""
    #: `[apply] mode`: "pr", or "direct-when-owner" (one commit on main of owned repos).
    apply_mode: str = "pr"
    #: `[apply] max_writes_per_hour` (None: off).
    max_writes_per_hour: int | None = None
    #: Raw `[benchmarks.<key>]` tables; `registry.load_registry` validates them.
    benchmark_overrides: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict)
    #: Where the config came from (None = defaults only) and the folder relative paths start at.
    config_path: Path | None = None
    base_dir: Path = attrs.field(factory=Path.cwd)
    #: Deprecated spellings this config used (printed once by the CLI as warnings).
    deprecations: tuple[str, ...] = attrs.field(default=(), eq=False)

    @property
    def is_local_endpoint(self) -> bool:
        return self.endpoint_input.startswith("local:")

    def local_hub_dir(self) -> Path:
        """The state folder of a `local:PATH` endpoint, relative to the config file."""
        return self.resolve_path(self.endpoint_input.removeprefix("local:"))

    def resolve_path(self, value: str | Path) -> Path:
        path = Path(value).expanduser()
        return path if path.is_absolute() else (self.base_dir / path)

    def digest(self) -> str:
        """sha256 over the settings that change what a plan contains (never the token, never paths
        that differ between machines)."""
        payload = {
            "datastore": self.datastore_input,
            "link_repo": self.datastore_link_repo,
            "link_revision": self.datastore_link_revision,
            "collections": list(self.collections),
            "endpoint": self.endpoint_input,
            "tolerance": self.tolerance,
            "duplicates": self.duplicates,
            "api_only_providers": list(self.api_only_providers),
            "check_tasks": self.check_tasks,
            "benchmarks": self.benchmark_overrides,
            "allow_deployments": list(self.allow_deployments),
            "update_main": self.update_main,
        }
        if self.datastore_layout != "auto":  # the default keeps earlier plans' digests
            payload["layout"] = self.datastore_layout
        if self.apply_mode != "pr":  # plans say per repo how it is written
            payload["apply_mode"] = self.apply_mode
        raw = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(raw.encode()).hexdigest()


# --- Finding and reading the file ---------------------------------------------------------------


def find_config(start: Path) -> Path | None:
    """The nearest `eeesync.toml` in `start` or one of its parents."""
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def read_config_file(path: Path) -> tuple[dict[str, Any], str]:
    """Parse the TOML file; a syntax error names the line tomllib reports."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the config file: {exc}", path=str(path)) from exc
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"at line (\d+)", str(exc))
        line = int(found.group(1)) if found else None
        raise ConfigError(f"invalid TOML: {exc}", path=str(path), line=line) from exc


def load_config(
    path: Path | None,
    *,
    env: Mapping[str, str],
    cwd: Path,
    overrides: Mapping[str, Any] | None = None,
) -> Config:
    """Build the `Config`: file (if any), then environment, then `overrides` (from flags).

    `overrides` keys are names from `FLAGS` whose value is not None. All three layers are merged
    into one table and structured once through `Settings`, so each value is checked the same way
    whichever layer it came from; an error names the file and line, the variable or the flag.
    """
    data: dict[str, Any] = {}
    text: str | None = None
    if path is not None:
        data, text = read_config_file(path)
    origins: dict[Path_, str] = {}  # key path → the variable or flag that set it
    aliases: dict[Path_, Path_] = {}  # key path → the deprecated spelling the file used
    deprecations: list[str] = []
    _alias_file_keys(data, aliases, deprecations, path, text)
    layers = {**_from_env(env, deprecations), **_from_flags(overrides)}
    for key_path, (label, value) in layers.items():
        _put(data, key_path, value)
        origins[key_path] = label
    in_file = file_locator(str(path) if path else None, text)

    def locate(at: Path_) -> tuple[str | None, int | None, str]:
        for size in range(len(at), 0, -1):
            if at[:size] in origins:
                return None, None, f"{origins[at[:size]]} ({dotted(at)})"
            if at[:size] in aliases:
                return in_file((*aliases[at[:size]], *at[size:]))
        return in_file(at)

    settings = structure(data, Settings, locate=locate)
    token = env.get("HF_TOKEN") or env.get("HUGGING_FACE_HUB_TOKEN") or None
    base_dir = path.parent if path is not None else cwd
    config = Config(
        datastore_input=settings.datastore.locator,
        datastore_link_repo=settings.datastore.link_repo,
        datastore_link_revision=settings.datastore.link_revision,
        datastore_layout=settings.datastore.layout,
        collections=settings.datastore.collections,
        endpoint_input=settings.hub.endpoint,
        token=token,
        hub_seed=Path(settings.hub.seed) if settings.hub.seed else None,
        parallelism=settings.hub.parallelism,
        download_parallelism=settings.hub.download_parallelism,
        timeout=settings.hub.timeout,
        max_eval_file_bytes=settings.hub.max_eval_file_bytes,
        tolerance=settings.sync.tolerance,
        duplicates=cast(DuplicatePolicy, settings.sync.duplicates),
        api_only_providers=settings.sync.api_only_providers,
        check_tasks=settings.sync.check_tasks,
        plan_dir=Path(settings.paths.plans),
        cache_dir=Path(settings.paths.cache),
        alias_file=Path(settings.aliases.file),
        allow_deployments=settings.aliases.allow_deployments,
        update_main=settings.policy.update_main,
        opt_out_file=Path(settings.policy.opt_out_file),
        reconsider_file=Path(settings.policy.reconsider_file),
        apply_contact=settings.apply.contact,
        apply_mode=settings.apply.mode,
        max_writes_per_hour=settings.apply.max_writes_per_hour,
        benchmark_overrides=settings.benchmarks,
        config_path=path,
        base_dir=base_dir,
        deprecations=tuple(dict.fromkeys(deprecations)),
    )
    return attrs.evolve(
        config,
        plan_dir=config.resolve_path(config.plan_dir),
        cache_dir=config.resolve_path(config.cache_dir),
        alias_file=config.resolve_path(config.alias_file),
        opt_out_file=config.resolve_path(config.opt_out_file),
        reconsider_file=config.resolve_path(config.reconsider_file),
        hub_seed=config.resolve_path(config.hub_seed) if config.hub_seed else None,
    )


def _put(data: dict[str, Any], key_path: Path_, value: Any) -> None:
    table = data
    for step in key_path[:-1]:
        inner = table.get(str(step))
        if not isinstance(inner, dict):
            inner = table[str(step)] = {}
        table = inner
    table[str(key_path[-1])] = value


#: Deprecated spellings that still work: (section, old key) → new key.
_KEY_ALIASES = {("hub", "concurrency"): "parallelism"}
#: Deprecated environment variables: old → new.
_ENV_ALIASES = {"EEESYNC_CONCURRENCY": "EEESYNC_PARALLELISM"}


def _alias_file_keys(
    data: dict[str, Any],
    aliases: dict[Path_, Path_],
    deprecations: list[str],
    path: Path | None,
    text: str | None,
) -> None:
    for (section, old), new in _KEY_ALIASES.items():
        table = data.get(section)
        if not isinstance(table, dict) or old not in table:
            continue
        line = line_of(text, (section, old)) if text is not None else None
        if new in table:
            raise ConfigError(
                f"set only one of {old} (deprecated) and {new}",
                path=str(path) if path else None,
                line=line,
                key=f"{section}.{old}",
            )
        table[new] = table.pop(old)
        aliases[(section, new)] = (section, old)
        deprecations.append(f"[{section}] {old} is deprecated: call it {new}")


def _from_env(env: Mapping[str, str], deprecations: list[str]) -> dict[Path_, tuple[str, Any]]:
    """Environment values as key path → (variable, value), decoded to the file's types."""
    out: dict[Path_, tuple[str, Any]] = {}
    names = {
        "HF_ENDPOINT": ("hub", "endpoint"),
        "EEESYNC_ENDPOINT": ("hub", "endpoint"),  # wins over HF_ENDPOINT
        "EEESYNC_DATASTORE": ("datastore", "locator"),
        "EEESYNC_COLLECTIONS": ("datastore", "collections"),
        "EEESYNC_CONCURRENCY": ("hub", "parallelism"),
        "EEESYNC_PARALLELISM": ("hub", "parallelism"),  # wins over its deprecated alias
        "EEESYNC_DOWNLOAD_PARALLELISM": ("hub", "download_parallelism"),
        "EEESYNC_PLAN_DIR": ("paths", "plans"),
        "EEESYNC_CACHE_DIR": ("paths", "cache"),
    }
    for name, key_path in names.items():
        text = env.get(name)
        if not text:
            continue
        if name in _ENV_ALIASES:
            deprecations.append(f"{name} is deprecated: call it {_ENV_ALIASES[name]}")
        out[key_path] = (name, decode(key_path, text))
    return out


#: Keys a variable or flag gives as a whole number.
_WHOLE_NUMBERS = {("hub", "parallelism"), ("hub", "download_parallelism")}


def decode(key_path: Path_, text: str) -> Any:
    """A variable's or flag's text as the type the file would hold (a whole number stays text
    when it is not one, so structuring reports it like a wrong type in the file)."""
    if key_path == ("datastore", "collections"):
        return tuple(c.strip() for c in text.split(",") if c.strip())
    if key_path in _WHOLE_NUMBERS and re.fullmatch(
        r"[ \t]*[+-]?[0-9]+[ \t]*", text, flags=re.ASCII
    ):
        return int(text)
    return text


def check_flag(name: str, text: str) -> Any:
    """One flag's value, decoded and checked exactly as `load_config` checks it (for argparse,
    which reports a bad flag before any config is read). ConfigError naming the flag."""
    key_path, flag = FLAGS[name]
    data: dict[str, Any] = {}
    value = decode(key_path, text)
    _put(data, key_path, value)
    structure(data, Settings, locate=lambda at: (None, None, f"{flag} ({dotted(at)})"))
    return value


#: Flag overrides `load_config` accepts: name → (key path, the flag to name in errors).
FLAGS: dict[str, tuple[Path_, str]] = {
    "datastore_input": (("datastore", "locator"), "--datastore"),
    "collections": (("datastore", "collections"), "--collection"),
    "parallelism": (("hub", "parallelism"), "--parallelism"),
    "download_parallelism": (("hub", "download_parallelism"), "--download-parallelism"),
}


def _from_flags(overrides: Mapping[str, Any] | None) -> dict[Path_, tuple[str, Any]]:
    out: dict[Path_, tuple[str, Any]] = {}
    for name, value in (overrides or {}).items():
        if value is None:
            continue
        key_path, flag = FLAGS[name]
        out[key_path] = (flag, value)
    return out
