"""`eeesync.toml` + environment → one frozen `Config`.

`cli/main.py` is the only caller: it finds the file (working directory or a parent, or
`--config`), applies `EEESYNC_*` / `HF_ENDPOINT` / `HF_TOKEN` overrides, then flags, and passes
the result down. No other module reads the environment. Errors name the file, key and line.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import attrs

from eeesync.errors import ConfigError

CONFIG_NAME = "eeesync.toml"
DEFAULT_ENDPOINT = "https://huggingface.co"
DEFAULT_DATASTORE = "evaleval/EEE_datastore"
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


@attrs.frozen
class Config:
    """Everything a run needs, resolved. Paths are absolute; `*_input` keep what the user wrote."""

    #: Datastore locator as written (`OWNER/NAME[@REV]` or a folder path relative to the config).
    datastore_input: str = DEFAULT_DATASTORE
    #: Folder datastores: the Hub dataset repo that `source.url` backlinks point at.
    datastore_link_repo: str = DEFAULT_DATASTORE
    collections: tuple[str, ...] = ()
    #: Endpoint as written: `https://…`, `http://127.0.0.1:PORT` or `local:PATH`.
    endpoint_input: str = DEFAULT_ENDPOINT
    #: Never written anywhere; `repr=False` keeps it out of logs and tracebacks.
    token: str | None = attrs.field(default=None, repr=False)
    #: `local:PATH` endpoints only: a seed folder loaded into an empty local Hub (the demo).
    hub_seed: Path | None = None
    concurrency: int = 8
    timeout: float = 20.0
    #: Absolute tolerance on the 0–100 scale when comparing a desired value to an existing one.
    tolerance: float = 0.005
    duplicates: DuplicatePolicy = "conflict"
    api_only_providers: tuple[str, ...] = DEFAULT_API_ONLY_PROVIDERS
    #: Check each task id against the benchmark dataset's `eval.yaml` (off for offline use).
    check_tasks: bool = True
    plan_dir: Path = Path("plans")
    cache_dir: Path = Path(".eeesync")
    #: Raw `[benchmarks.<key>]` tables; `registry.load_registry` validates them.
    benchmark_overrides: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict)
    #: Where the config came from (None = defaults only) and the folder relative paths start at.
    config_path: Path | None = None
    base_dir: Path = attrs.field(factory=Path.cwd)

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
            "collections": list(self.collections),
            "endpoint": self.endpoint_input,
            "tolerance": self.tolerance,
            "duplicates": self.duplicates,
            "api_only_providers": list(self.api_only_providers),
            "check_tasks": self.check_tasks,
            "benchmarks": self.benchmark_overrides,
        }
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


_SCHEMA: dict[str, dict[str, type | tuple[type, ...]]] = {
    "datastore": {"locator": str, "collections": list, "link_repo": str},
    "hub": {"endpoint": str, "seed": str, "concurrency": int, "timeout": (int, float)},
    "sync": {
        "tolerance": (int, float),
        "duplicates": str,
        "api_only_providers": list,
        "check_tasks": bool,
    },
    "paths": {"plans": str, "cache": str},
}


def _line_of(text: str, section: str | None, key: str) -> int | None:
    """1-based line where `key` is set inside `[section]`, or where table `[key]` starts when
    `section` is None (tomllib reports no positions for valid documents)."""
    current: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        header = re.match(r"^\[+\s*([^\]]+?)\s*\]+", stripped)
        if header:
            current = header.group(1)
            if section is None and (current == key or current.startswith(f"{key}.")):
                return number
            continue
        if current == section and re.match(rf"^{re.escape(key)}\s*=", stripped):
            return number
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

    `overrides` keys are `Config` field names whose value is not None.
    """
    values: dict[str, Any] = {"base_dir": cwd}
    if path is not None:
        data, text = read_config_file(path)
        values.update(_from_file(data, text, path))
        values["config_path"] = path
        values["base_dir"] = path.parent
    values.update(_from_env(env))
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    try:
        config = Config(**values)
    except (TypeError, ValueError) as exc:  # pragma: no cover - guarded by the checks above
        raise ConfigError(str(exc), path=str(path) if path else None) from exc
    return attrs.evolve(
        config,
        plan_dir=config.resolve_path(config.plan_dir),
        cache_dir=config.resolve_path(config.cache_dir),
        hub_seed=config.resolve_path(config.hub_seed) if config.hub_seed else None,
    )


def _from_file(data: dict[str, Any], text: str, path: Path) -> dict[str, Any]:
    def fail(message: str, section: str | None, key: str) -> ConfigError:
        name = f"{section}.{key}" if section else key
        return ConfigError(message, path=str(path), key=name, line=_line_of(text, section, key))

    out: dict[str, Any] = {}
    for section, table in data.items():
        if section == "benchmarks":
            if not isinstance(table, dict) or not all(isinstance(v, dict) for v in table.values()):
                raise fail("must hold one table per benchmark key", None, "benchmarks")
            out["benchmark_overrides"] = table
            continue
        if section not in _SCHEMA:
            raise fail(
                f"unknown section; expected one of {', '.join(sorted(_SCHEMA))}, benchmarks",
                None,
                section,
            )
        if not isinstance(table, dict):
            raise fail("must be a table", None, section)
        for key, value in table.items():
            expected = _SCHEMA[section].get(key)
            if expected is None:
                raise fail(
                    f"unknown key; expected one of {', '.join(_SCHEMA[section])}", section, key
                )
            wrong_bool = isinstance(value, bool) and expected is not bool
            if wrong_bool or not isinstance(value, expected):
                raise fail(f"has the wrong type {type(value).__name__}", section, key)
        out.update(_section_values(section, table, fail))
    return out


def _section_values(section: str, table: dict[str, Any], fail: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if section == "datastore":
        if "locator" in table:
            out["datastore_input"] = table["locator"].strip()
        if "link_repo" in table:
            out["datastore_link_repo"] = table["link_repo"].strip()
        if "collections" in table:
            names = table["collections"]
            if not all(isinstance(n, str) and n.strip() for n in names):
                raise fail("must be a list of collection names", section, "collections")
            out["collections"] = tuple(names)
    elif section == "hub":
        if "endpoint" in table:
            out["endpoint_input"] = _check_endpoint(
                table["endpoint"], lambda m: fail(m, section, "endpoint")
            )
        if "seed" in table:
            out["hub_seed"] = Path(table["seed"])
        if "concurrency" in table:
            if not 1 <= table["concurrency"] <= 64:
                raise fail("must be between 1 and 64", section, "concurrency")
            out["concurrency"] = table["concurrency"]
        if "timeout" in table:
            out["timeout"] = float(table["timeout"])
    elif section == "sync":
        if "tolerance" in table:
            if not 0 <= table["tolerance"] <= 5:
                raise fail(
                    "must be between 0 and 5 (points on the 0–100 scale)", section, "tolerance"
                )
            out["tolerance"] = float(table["tolerance"])
        if "duplicates" in table:
            if table["duplicates"] not in ("conflict", "latest"):
                raise fail('must be "conflict" or "latest"', section, "duplicates")
            out["duplicates"] = table["duplicates"]
        if "api_only_providers" in table:
            out["api_only_providers"] = tuple(
                p.strip().lower() for p in table["api_only_providers"]
            )
        if "check_tasks" in table:
            out["check_tasks"] = table["check_tasks"]
    elif section == "paths":
        if "plans" in table:
            out["plan_dir"] = Path(table["plans"])
        if "cache" in table:
            out["cache_dir"] = Path(table["cache"])
    return out


def _check_endpoint(value: str, fail: Any) -> str:
    value = value.strip().rstrip("/")
    if value.startswith("local:") and len(value) > len("local:"):
        return value
    if re.match(r"^https?://[^\s/]+(:\d+)?$", value):
        return value
    raise fail('must be "https://huggingface.co", an http(s) URL, or "local:PATH"')


def _from_env(env: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}

    def fail(message: str, name: str) -> ConfigError:
        return ConfigError(message, key=name)

    if env.get("HF_ENDPOINT"):
        out["endpoint_input"] = _check_endpoint(
            env["HF_ENDPOINT"], lambda m: fail(m, "HF_ENDPOINT")
        )
    if env.get("EEESYNC_ENDPOINT"):
        out["endpoint_input"] = _check_endpoint(
            env["EEESYNC_ENDPOINT"], lambda m: fail(m, "EEESYNC_ENDPOINT")
        )
    if env.get("EEESYNC_DATASTORE"):
        out["datastore_input"] = env["EEESYNC_DATASTORE"].strip()
    if env.get("EEESYNC_COLLECTIONS"):
        out["collections"] = tuple(
            c.strip() for c in env["EEESYNC_COLLECTIONS"].split(",") if c.strip()
        )
    if env.get("EEESYNC_CONCURRENCY"):
        try:
            out["concurrency"] = int(env["EEESYNC_CONCURRENCY"])
        except ValueError as exc:
            raise fail("must be a whole number", "EEESYNC_CONCURRENCY") from exc
    if env.get("EEESYNC_PLAN_DIR"):
        out["plan_dir"] = Path(env["EEESYNC_PLAN_DIR"])
    if env.get("EEESYNC_CACHE_DIR"):
        out["cache_dir"] = Path(env["EEESYNC_CACHE_DIR"])
    token = env.get("HF_TOKEN") or env.get("HUGGING_FACE_HUB_TOKEN")
    if token:
        out["token"] = token
    return out
