"""Load a seed folder (`seed.toml` + content files) into a fresh local Hub state folder.

This is how the embedded demo gets its Hub: `[hub] seed = "examples/hub"` in `eeesync.toml`
makes `cli/common.open_hub` call `seed_local_hub` the first time the `local:` state folder is
empty. Seeding goes through the local Hub's storage API (no HTTP), is validated completely before
anything is written, and is atomic: the state is built in a sibling folder and moved into place.

The seed format (`seed.toml`)::

    format = 1

    [[repos]]
    id = "01-ai/Yi-1.5-34B-Chat"        # as the Hub spells it (lookups are case-insensitive)
    type = "model"                      # or "dataset"; default "model"
    official = true                     # datasets only: an official benchmark (default false)
    aliases = ["gpt2"]                  # optional: one-segment ids that redirect here
    readme = "..."                      # optional: README.md on main

    [[repos.files]]                     # files committed on main, in one commit
    path = ".eval_results/hle.yaml"
    source = "files/hle.yaml"           # relative to the seed folder ...
    # text = "- dataset: ..."           # ... or the content inline (exactly one of the two)

    [[repos.prs]]                       # PRs opened against main, numbered in order
    title = "Add HLE result"
    description = "..."                 # optional
    status = "open"                     # "open", "draft" or "closed"
    [[repos.prs.files]]
    path = ".eval_results/hle.yaml"
    text = "..."

Every problem raises `ConfigError` naming the seed file and the key (`repos[2].files[0].source`).
"""

from __future__ import annotations

import os
import re
import shutil
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from eeesync.errors import ConfigError, LocalHubError
from eeesync.localhub import names
from eeesync.localhub.storage import HubState

SEED_FILE = "seed.toml"
SEED_FORMAT = 1
PR_STATUSES = ("open", "draft", "closed")


@attrs.frozen
class SeedFile:
    """A file to commit: its path in the repo and its bytes."""

    path: str
    content: bytes


@attrs.frozen
class SeedPullRequest:
    title: str
    description: str
    status: str
    files: tuple[SeedFile, ...]


@attrs.frozen
class SeedRepo:
    repo_id: str
    repo_type: str
    files: tuple[SeedFile, ...]
    prs: tuple[SeedPullRequest, ...]
    #: Listed by `list_datasets(benchmark="official")` and tagged `benchmark:official`.
    official: bool = False
    #: One-segment ids (`gpt2`) that redirect to this repo.
    aliases: tuple[str, ...] = ()


def seed_local_hub(state_dir: Path, seed: Path) -> None:
    """Build a local Hub state in `state_dir` (absent or empty) from the seed folder `seed`.

    `seed` is the folder holding `seed.toml`, or the TOML file itself.

    Raises:
        ConfigError: the seed is unreadable or invalid, or `state_dir` already holds a state.

    Example:
        >>> seed_local_hub(Path(".eeesync/localhub"), Path("examples/hub"))  # doctest: +SKIP
    """
    seed_file = seed / SEED_FILE if seed.is_dir() else seed
    repos = read_seed(seed_file)
    if state_dir.exists() and (not state_dir.is_dir() or any(state_dir.iterdir())):
        raise ConfigError(
            f"the local Hub state folder {state_dir} is not empty; a seed is only loaded into a "
            "fresh state",
            path=str(seed_file),
            hint=f"Delete {state_dir} to start over from the seed.",
        )
    state_dir.parent.mkdir(parents=True, exist_ok=True)
    # Build next to the target and move it into place, so an interrupted or failed seeding never
    # leaves a half-seeded Hub that later runs would take for the real thing.
    staging = state_dir.parent / f".{state_dir.name}.seeding-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        storage = HubState(staging)
        with storage.bulk():
            for repo in repos:
                _load_repo(storage, repo, seed_file)
        if state_dir.exists():
            state_dir.rmdir()  # empty, checked above
        os.replace(staging, state_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def read_seed(seed_file: Path) -> tuple[SeedRepo, ...]:
    """Parse and validate `seed.toml` (and read every content file it names)."""
    try:
        data = tomllib.loads(seed_file.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(
            "the local Hub seed does not exist",
            path=str(seed_file),
            key="hub.seed",
            hint="Point [hub] seed in eeesync.toml at a folder holding seed.toml, or remove it.",
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the seed: {exc}", path=str(seed_file)) from exc
    except tomllib.TOMLDecodeError as exc:
        # Python < 3.14 has no `lineno` attribute; the message always says "(at line N, …)".
        found = re.search(r"at line (\d+)", str(exc))
        line = getattr(exc, "lineno", None) or (int(found.group(1)) if found else None)
        raise ConfigError(f"invalid TOML: {exc}", path=str(seed_file), line=line) from exc
    return _parse_seed(data, seed_file)


# --- Validation ----------------------------------------------------------------------------------


class _Fields:
    """Typed access to one TOML table; every error names the seed file and the key path."""

    def __init__(self, table: Any, where: str, seed_file: Path, allowed: tuple[str, ...]) -> None:
        self.where, self.seed_file = where, seed_file
        if not isinstance(table, dict):
            raise self.error("must be a table", "")
        unknown = sorted(set(table) - set(allowed))
        if unknown:
            raise self.error(f"unknown key; expected one of {', '.join(allowed)}", unknown[0])
        self.table: dict[str, Any] = table

    def error(self, message: str, key: str) -> ConfigError:
        name = f"{self.where}.{key}" if self.where and key else (self.where or key)
        return ConfigError(message, path=str(self.seed_file), key=name)

    def text(self, key: str, *, default: str | None = None) -> str:
        value = self.table.get(key, default)
        if value is None:
            raise self.error("is required", key)
        if not isinstance(value, str):
            raise self.error(f"must be a string, not {type(value).__name__}", key)
        return value

    def flag(self, key: str) -> bool:
        value = self.table.get(key, False)
        if not isinstance(value, bool):
            raise self.error(f"must be true or false, not {type(value).__name__}", key)
        return value

    def tables(self, key: str) -> list[Any]:
        value = self.table.get(key, [])
        if not isinstance(value, list):
            raise self.error(f"must be an array of tables ([[{self.where}.{key}]])", key)
        return value


def _parse_seed(data: Mapping[str, Any], seed_file: Path) -> tuple[SeedRepo, ...]:
    top = _Fields(dict(data), "", seed_file, ("format", "repos"))
    if top.table.get("format") != SEED_FORMAT:
        raise top.error(f"must be {SEED_FORMAT} (the seed format this eeesync reads)", "format")
    repos: list[SeedRepo] = []
    seen: dict[tuple[str, str], str] = {}
    for index, table in enumerate(top.tables("repos")):
        repo = _parse_repo(table, f"repos[{index}]", seed_file)
        key = (repo.repo_type, repo.repo_id.lower())
        if key in seen:
            # The Hub treats ids differing only in case as one repo.
            raise ConfigError(
                f"{repo.repo_id} is already seeded as {seen[key]}",
                path=str(seed_file),
                key=f"repos[{index}].id",
            )
        seen[key] = repo.repo_id
        repos.append(repo)
    return tuple(repos)


def _parse_repo(table: Any, where: str, seed_file: Path) -> SeedRepo:
    fields = _Fields(
        table, where, seed_file, ("id", "type", "official", "aliases", "readme", "files", "prs")
    )
    repo_id = fields.text("id")
    repo_type = fields.text("type", default="model")
    try:
        names.check_repo_id(repo_id, namespaced=True)
    except LocalHubError as exc:
        raise fields.error(str(exc), "id") from exc
    try:
        names.check_repo_type(repo_type)
    except LocalHubError as exc:
        raise fields.error(str(exc), "type") from exc
    aliases = fields.table.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise fields.error("must be a list of strings", "aliases")
    for alias in aliases:
        if "/" in alias:
            raise fields.error(f"{alias!r} is not a one-segment id like 'gpt2'", "aliases")
        try:
            names.check_repo_id(alias)
        except LocalHubError as exc:
            raise fields.error(str(exc), "aliases") from exc
    official = fields.flag("official")
    if official and repo_type != "dataset":
        raise fields.error(
            'only datasets can be official benchmarks (type = "dataset")', "official"
        )
    files = [
        _parse_file(t, f"{where}.files[{i}]", seed_file)
        for i, t in enumerate(fields.tables("files"))
    ]
    if "readme" in fields.table:
        files.insert(0, SeedFile("README.md", fields.text("readme").encode("utf-8")))
    _check_unique_paths(files, fields, "files")
    prs = tuple(
        _parse_pr(t, f"{where}.prs[{i}]", seed_file) for i, t in enumerate(fields.tables("prs"))
    )
    return SeedRepo(repo_id, repo_type, tuple(files), prs, official, tuple(aliases))


def _parse_pr(table: Any, where: str, seed_file: Path) -> SeedPullRequest:
    fields = _Fields(table, where, seed_file, ("title", "description", "status", "files"))
    title = fields.text("title")
    if not title.strip():
        raise fields.error("must not be empty", "title")
    status = fields.text("status", default="open")
    if status not in PR_STATUSES:
        raise fields.error(f"must be one of {', '.join(PR_STATUSES)}", "status")
    files = [
        _parse_file(t, f"{where}.files[{i}]", seed_file)
        for i, t in enumerate(fields.tables("files"))
    ]
    _check_unique_paths(files, fields, "files")
    return SeedPullRequest(title, fields.text("description", default=""), status, tuple(files))


def _parse_file(table: Any, where: str, seed_file: Path) -> SeedFile:
    fields = _Fields(table, where, seed_file, ("path", "source", "text"))
    path = fields.text("path")
    try:
        names.check_file_path(path)
    except LocalHubError as exc:
        raise fields.error(str(exc), "path") from exc
    has_source, has_text = "source" in fields.table, "text" in fields.table
    if has_source == has_text:
        raise fields.error("give exactly one of source (a file) or text (inline content)", "")
    if has_text:
        return SeedFile(path, fields.text("text").encode("utf-8"))
    source = fields.text("source")
    base = seed_file.parent.resolve()
    resolved = (base / source).resolve()
    # A seed names files inside its own folder only: it cannot pull in arbitrary local files.
    if Path(source).is_absolute() or not resolved.is_relative_to(base):
        raise fields.error(f"must be a path inside {base}", "source")
    try:
        return SeedFile(path, resolved.read_bytes())
    except OSError as exc:
        raise fields.error(f"cannot read {source}: {exc.strerror or exc}", "source") from exc


def _check_unique_paths(files: list[SeedFile], fields: _Fields, key: str) -> None:
    paths = [f.path for f in files]
    duplicates = sorted({p for p in paths if paths.count(p) > 1})
    if duplicates:
        raise fields.error(f"names {duplicates[0]} more than once (README.md counts)", key)


# --- Loading -------------------------------------------------------------------------------------


def _load_repo(storage: HubState, repo: SeedRepo, seed_file: Path) -> None:
    try:
        storage.create_repo(repo.repo_id, repo_type=repo.repo_type)
        if repo.official:
            storage.set_official_benchmark(repo.repo_id, repo_type=repo.repo_type)
        for alias in repo.aliases:
            storage.add_alias(alias, repo.repo_id, repo_type=repo.repo_type)
        if repo.files:
            storage.commit(
                repo.repo_id,
                {f.path: f.content for f in repo.files},
                repo_type=repo.repo_type,
                message="Seed the demo repo",
            )
        for pr in repo.prs:
            num = storage.open_pr(
                repo.repo_id,
                {f.path: f.content for f in pr.files},
                title=pr.title,
                description=pr.description,
                repo_type=repo.repo_type,
                draft=pr.status == "draft",
            )
            if pr.status == "closed":
                storage.set_discussion_status(repo.repo_id, num, "closed", repo_type=repo.repo_type)
    except LocalHubError as exc:  # pragma: no cover - the checks above make this unreachable
        raise ConfigError(f"{repo.repo_id}: {exc}", path=str(seed_file)) from exc
