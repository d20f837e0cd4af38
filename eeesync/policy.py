"""Checked-in sync decisions, reviewed like code: the opt-out list and reconsidered declines.

Two TOML files beside eeesync.toml (`[policy] opt_out_file`, `[policy] reconsider_file`); a
missing file means an empty list. Never command-line flags: a decision that changes what
eeesync proposes on someone else's repo is a reviewed line in git.

    # opt-out.toml: repos or authors that asked not to get eeesync PRs
    [[opt_out]]
    repo = "some-org/*"          # a glob on the repo id (any letter case)
    note = "asked by email, 2026-11-02"

    [[opt_out]]
    author = "someone"           # a glob on the namespace
    note = "…"

    # reconsider.toml: a decline (a closed PR) to propose again
    [[reconsider]]
    repo = "org/model"
    pr = 12
    note = "the author asked us to re-open it"

Both files' sha256 is recorded in the plan (`inputs.policy_digest`).
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import attrs

from eeesync.errors import ConfigError

_OPT_OUT_KEYS = frozenset({"repo", "author", "note"})
_RECONSIDER_KEYS = frozenset({"repo", "pr", "note"})
MAX_POLICY_BYTES = 4 * 1024 * 1024


@attrs.frozen
class OptOut:
    pattern: str  # lower-cased glob
    on_author: bool  # the glob is on the namespace, not the whole repo id
    note: str = ""

    def matches(self, repo_id: str) -> bool:
        subject = repo_id.lower().split("/")[0] if self.on_author else repo_id.lower()
        return fnmatchcase(subject, self.pattern)


@attrs.frozen
class SyncPolicy:
    opt_outs: tuple[OptOut, ...] = ()
    reconsidered: frozenset[tuple[str, int]] = frozenset()  # (repo id lower-cased, PR number)
    digest: str = ""  # sha256 over both files as read ("" when neither exists)

    def opted_out(self, repo_id: str) -> str:
        """Why the repo is opted out ("" when it is not)."""
        for rule in self.opt_outs:
            if rule.matches(repo_id):
                kind = "author" if rule.on_author else "repo"
                note = f" ({rule.note})" if rule.note else ""
                return f"the opt-out list names this {kind} ({rule.pattern}){note}: never proposed"
        return ""


def load_policy(opt_out_file: Path, reconsider_file: Path) -> SyncPolicy:
    """Both files, checked: an error names the file, the line and the key."""
    digest = hashlib.sha256()
    seen = False
    tables: list[list[tuple[dict[str, Any], int | None]]] = []
    for path, key in ((opt_out_file, "opt_out"), (reconsider_file, "reconsider")):
        items, raw = _read(path, key)
        tables.append(items)
        if raw is not None:
            seen = True
            digest.update(path.name.encode() + b"\0" + raw + b"\0")
    opt_outs = tuple(_opt_out(item, line, opt_out_file) for item, line in tables[0])
    reconsidered = frozenset(_reconsider(item, line, reconsider_file) for item, line in tables[1])
    return SyncPolicy(opt_outs, reconsidered, f"sha256:{digest.hexdigest()}" if seen else "")


def _read(path: Path, key: str) -> tuple[list[tuple[dict[str, Any], int | None]], bytes | None]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return [], None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", path=str(path)) from exc
    if len(raw) > MAX_POLICY_BYTES:
        raise ConfigError(f"larger than {MAX_POLICY_BYTES} bytes", path=str(path))
    try:
        text = raw.decode("utf-8")
        data = tomllib.loads(text)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"not valid TOML: {exc}", path=str(path)) from exc
    unknown = sorted(set(data) - {key})
    if unknown:
        raise ConfigError(f"unknown table (only [[{key}]])", path=str(path), key=unknown[0])
    items = data.get(key, [])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ConfigError(f"must be [[{key}]] tables", path=str(path), key=key)
    headers = [
        number
        for number, line in enumerate(text.splitlines(), start=1)
        if re.match(rf"^\s*\[\[\s*{key}\s*\]\]", line)
    ]
    lines = [headers[i] if i < len(headers) else None for i in range(len(items))]
    return list(zip(items, lines, strict=True)), raw


def _opt_out(item: dict[str, Any], line: int | None, path: Path) -> OptOut:
    _only(item, _OPT_OUT_KEYS, line, path)
    repo, author = item.get("repo"), item.get("author")
    if (repo is None) == (author is None):
        raise ConfigError("give exactly one of repo or author", path=str(path), line=line)
    pattern = repo if repo is not None else author
    if not isinstance(pattern, str) or not pattern.strip():
        raise ConfigError("must be a non-empty glob", path=str(path), line=line)
    return OptOut(pattern.strip().lower(), author is not None, _note(item, line, path))


def _reconsider(item: dict[str, Any], line: int | None, path: Path) -> tuple[str, int]:
    _only(item, _RECONSIDER_KEYS, line, path)
    repo, pr = item.get("repo"), item.get("pr")
    if not isinstance(repo, str) or repo.count("/") != 1:
        raise ConfigError("repo must be OWNER/NAME", path=str(path), line=line, key="repo")
    if isinstance(pr, bool) or not isinstance(pr, int) or pr < 1:
        raise ConfigError("pr must be a PR number", path=str(path), line=line, key="pr")
    _note(item, line, path)
    return repo.strip().lower(), pr


def _only(item: dict[str, Any], keys: frozenset[str], line: int | None, path: Path) -> None:
    unknown = sorted(set(item) - keys)
    if unknown:
        raise ConfigError("unknown key", path=str(path), line=line, key=unknown[0])


def _note(item: dict[str, Any], line: int | None, path: Path) -> str:
    note = item.get("note", "")
    if not isinstance(note, str):
        raise ConfigError("note must be text", path=str(path), line=line, key="note")
    return note
