"""Model aliases: a checked-in file that maps EEE model ids to Hub model repos, reviewed like code.

Many EEE adapters build model ids from display names (`alibaba/qwen2.5-72b-instruct` is
`Qwen/Qwen2.5-72B-Instruct` on the Hub), so the record's id names no repo. Like Terraform's
`moved` blocks, `model-aliases.toml` (beside eeesync.toml; `[aliases] file`) says where such a
record's scores go. Only an alias a person wrote (or uncommented: `eeesync models suggest`
writes its proposals commented out) is ever used: eeesync never publishes to a guessed repo.

    [[alias]]
    from = "alibaba/qwen2.5-72b-instruct"   # an EEE model id (any letter case) …
    to = "Qwen/Qwen2.5-72B-Instruct"        # … is published on this Hub repo

    [[alias]]
    from = "meta/llama-3.1-8b-instruct*"    # a glob (* ? [abc]) maps every matching id
    to = "meta-llama/Llama-3.1-8B-Instruct"

    [[alias]]
    from = "meta/llama-3.1-8b-instruct-turbo"
    to = "meta-llama/Llama-3.1-8B-Instruct"
    deployment = true                        # see "Deployments" below

An exact `from` wins over globs; among globs the first in the file wins. `note` is free text for
reviewers. A model id that matches no alias is published on its own id, as before.

Deployments: an id that names a hosted API deployment of an open model (HELM's `…-turbo` ids are
Together deployments; a record with `deployment_type = "externally_managed"` names its
`inference_platform`) measures the provider's serving, not necessarily the open weights. Such an
id may alias to the open repo only when the user allows it: `deployment = true` on the alias, or
the provider in `[aliases] allow_deployments = ["together"]` in eeesync.toml. Otherwise the
record is skipped (`deployment_alias_not_allowed`) with that hint.

The file's sha256 is recorded in the plan (`inputs.alias_digest`): a changed alias file changes
the plan.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Mapping
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
from huggingface_hub.errors import HFValidationError

# Public validator, re-exported by huggingface_hub.utils without being listed in its __all__.
from huggingface_hub.utils import validate_repo_id  # type: ignore[attr-defined]

from eeesync.errors import ConfigError
from eeesync.tomlkeys import line_of

if TYPE_CHECKING:
    from eeesync.config import Config

ALIAS_FILE = "model-aliases.toml"
_GLOB = re.compile(r"[*?\[]")
_HEADER = re.compile(r"^\s*\[\[\s*alias\s*\]\]")
_KEYS = frozenset({"from", "to", "deployment", "note"})
#: HELM serves these open models through Together and names them `…-turbo`
#: in EEE's HELM records; the suffix is how such an id shows it is a deployment.
_TURBO_PROVIDER = "together"


@attrs.frozen
class Alias:
    source: str  # `from`: an EEE model id or a glob, lower-cased
    target: str  # `to`: the Hub repo id, as written
    deployment: bool = False
    line: int | None = None

    @property
    def is_glob(self) -> bool:
        return _GLOB.search(self.source) is not None


@attrs.frozen
class AliasMatch:
    """What an alias says about one model id."""

    repo_id: str  # where to publish
    alias: Alias
    #: None: allowed. Else why not: a deployment id without the user's permission.
    refused: str | None = None


@attrs.frozen
class AliasTable:
    exact: Mapping[str, Alias] = attrs.field(factory=dict)
    globs: tuple[Alias, ...] = ()
    allow_deployments: frozenset[str] = frozenset()
    digest: str = ""  # "sha256:<hex>" of the file; "" = no file
    path: str = ""

    def __len__(self) -> int:
        return len(self.exact) + len(self.globs)

    def find(self, model_id: str) -> Alias | None:
        key = model_id.strip().lower()
        found = self.exact.get(key)
        if found is not None:
            return found
        return next((a for a in self.globs if fnmatchcase(key, a.source)), None)

    def resolve(
        self, model_id: str, *, deployment_type: str = "", inference_platform: str = ""
    ) -> AliasMatch | None:
        """The alias for `model_id` (None: no alias), refused when it maps a deployment id the
        user did not allow."""
        alias = self.find(model_id)
        if alias is None:
            return None
        provider = deployment_provider(model_id, deployment_type, inference_platform)
        if provider is None or alias.deployment or provider in self.allow_deployments:
            return AliasMatch(alias.target, alias)
        where = f"{self.path}:{alias.line}" if alias.line else self.path
        return AliasMatch(
            alias.target,
            alias,
            refused=(
                f"{model_id} is a {provider} deployment; the alias to {alias.target} ({where}) "
                f'needs `deployment = true`, or [aliases] allow_deployments = ["{provider}"] '
                "in eeesync.toml"
            ),
        )


NO_ALIASES = AliasTable()


def deployment_provider(model_id: str, deployment_type: str = "", platform: str = "") -> str | None:
    """The provider an id is a hosted deployment on, or None for an ordinary model id."""
    if model_id.strip().lower().endswith("-turbo"):
        return _TURBO_PROVIDER
    if deployment_type.strip().lower() == "externally_managed":
        name = platform.strip().lower()
        return name if name and name != "unknown" else "unknown"
    return None


def load_aliases(path: Path | None, *, allow_deployments: tuple[str, ...] = ()) -> AliasTable:
    """Read and check the alias file; a missing file is no aliases. `ConfigError` names the
    file, line and key of anything wrong."""
    allowed = frozenset(p.strip().lower() for p in allow_deployments)
    if path is None or not path.is_file():
        return AliasTable(allow_deployments=allowed)
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
        data = tomllib.loads(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the alias file: {exc}", path=str(path)) from exc
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"at line (\d+)", str(exc))
        raise ConfigError(
            f"invalid TOML: {exc}", path=str(path), line=int(found.group(1)) if found else None
        ) from exc
    unknown = sorted(set(data) - {"alias"})
    if unknown:
        raise ConfigError(
            f"unknown table or key {unknown[0]!r}: the file holds [[alias]] tables only",
            path=str(path),
            line=line_of(text, (unknown[0],)),
        )
    items = data.get("alias", [])
    if not isinstance(items, list):
        raise ConfigError(
            "alias must be [[alias]] tables", path=str(path), line=line_of(text, ("alias",))
        )
    lines = [
        n
        for n, raw_line in enumerate(text.splitlines(), 1)
        if raw_line.strip().startswith("[[alias]]")
    ]
    exact: dict[str, Alias] = {}
    globs: list[Alias] = []
    for position, item in enumerate(items):
        line = lines[position] if position < len(lines) else None
        alias = _check(item, path, line)
        if alias.is_glob:
            globs.append(alias)
            continue
        if alias.source in exact:
            raise ConfigError(
                f"{alias.source} is aliased twice (first at line {exact[alias.source].line})",
                path=str(path),
                line=line,
                key="from",
            )
        exact[alias.source] = alias
    return AliasTable(
        exact=exact,
        globs=tuple(globs),
        allow_deployments=allowed,
        digest="sha256:" + hashlib.sha256(raw).hexdigest(),
        path=path.name,
    )


def load_configured_aliases(config: Config) -> AliasTable:
    """The aliases eeesync.toml's `[aliases]` names: what `plan` and `eeesync model` apply."""
    return load_aliases(
        config.resolve_path(config.alias_file), allow_deployments=config.allow_deployments
    )


def _check(item: Any, path: Path, line: int | None) -> Alias:
    def fail(problem: str, key: str | None = None) -> ConfigError:
        return ConfigError(problem, path=str(path), line=line, key=key)

    if not isinstance(item, dict):
        raise fail("each [[alias]] must be a table")
    extra = sorted(set(item) - _KEYS)
    if extra:
        raise fail(f"unknown key {extra[0]!r} (allowed: from, to, deployment, note)", extra[0])
    source, target = item.get("from"), item.get("to")
    if not isinstance(source, str) or not source.strip():
        raise fail("`from` must be an EEE model id or a glob", "from")
    if not isinstance(target, str) or not target.strip():
        raise fail("`to` must be a Hub model repo id (OWNER/NAME)", "to")
    target = target.strip()
    try:
        validate_repo_id(target)
    except HFValidationError as exc:
        raise fail(f"`to` {target!r} is not a valid Hub repo id: {exc}", "to") from exc
    if "/" not in target:
        raise fail(f"`to` {target!r} must look like OWNER/NAME", "to")
    deployment = item.get("deployment", False)
    if not isinstance(deployment, bool):
        raise fail("`deployment` must be true or false", "deployment")
    if "note" in item and not isinstance(item["note"], str):
        raise fail("`note` must be text", "note")
    return Alias(source.strip().lower(), target, deployment, line)
