"""The record types of a local Hub (`Repo`, `Commit`, `Discussion`, `Blob`) and their JSON form.

Plain data with small queries and no I/O: `storage.py` persists and mutates it, `api.py` renders
it in the shapes the Hub's HTTP API uses. Git semantics the client relies on are kept: blob ids
are git blob sha1s (`huggingface_hub.utils.sha.git_hash`), a commit snapshots a whole tree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

#: Bump when the on-disk JSON changes incompatibly; `Storage` refuses other versions.
FORMAT_VERSION = 1

REPO_TYPES = ("model", "dataset")
#: Statuses a discussion or PR can have on the Hub.
STATUSES = ("open", "draft", "closed", "merged")


class Blob(NamedTuple):
    """A file in a tree: its git blob sha1 and its size in bytes."""

    oid: str
    size: int


def now_iso() -> str:
    """The current time as the Hub writes it: ISO-8601 in UTC with milliseconds and a `Z`."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass(slots=True)
class Commit:
    """One commit: parents plus the full tree (path -> blob), like a git commit object."""

    oid: str
    parents: tuple[str, ...]
    tree: dict[str, Blob]
    title: str
    message: str
    author: str
    date: str


@dataclass(slots=True)
class Discussion:
    """A discussion or pull request. `events` are stored in the API's shape (see `api.py`)."""

    num: int
    title: str
    is_pr: bool
    status: str
    author: str
    created_at: str
    events: list[dict[str, Any]] = field(default_factory=list)
    #: For PRs: the branch the PR targets ("main") and the commit it started from (diff base).
    base_branch: str | None = None
    base_commit: str | None = None
    merge_commit: str | None = None

    @property
    def ref(self) -> str:
        return f"refs/pr/{self.num}"

    @property
    def num_comments(self) -> int:
        return sum(1 for e in self.events if e.get("type") == "comment")


@dataclass(slots=True)
class Repo:
    """A model or dataset repo: branches, PR refs, every commit and every discussion."""

    type: str
    id: str
    created_at: str
    private: bool = False
    #: False, "auto" or "manual", as the Hub reports it.
    gated: bool | str = False
    #: A dataset the Hub lists as an official benchmark (`list_datasets(benchmark="official")`).
    official_benchmark: bool = False
    #: Old one-segment ids that redirect here, as `gpt2` does to `openai-community/gpt2`.
    aliases: list[str] = field(default_factory=list)
    #: The owner turned discussions off: opening a PR or a discussion is refused (403).
    discussions_disabled: bool = False
    branches: dict[str, str] = field(default_factory=dict)
    pr_heads: dict[int, str] = field(default_factory=dict)
    commits: dict[str, Commit] = field(default_factory=dict)
    discussions: dict[int, Discussion] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        """The lookup key: ids differing only in letter case name the same repo, as on the Hub."""
        return (self.type, self.id.lower())

    @property
    def tags(self) -> list[str]:
        """The tags the Hub reports (only those the local Hub models)."""
        return ["benchmark:official"] if self.official_benchmark else []

    @property
    def head(self) -> Commit:
        return self.commits[self.branches["main"]]

    def next_discussion_num(self) -> int:
        # Discussions and PRs share one sequence of numbers, as on the Hub.
        return max(self.discussions, default=0) + 1


# --- JSON on disk --------------------------------------------------------------------------------


def repo_to_json(repo: Repo) -> dict[str, Any]:
    """The repo as one JSON document (written atomically by `storage.py`)."""
    return {
        "format": FORMAT_VERSION,
        "type": repo.type,
        "id": repo.id,
        "createdAt": repo.created_at,
        "private": repo.private,
        "gated": repo.gated,
        "officialBenchmark": repo.official_benchmark,
        "aliases": repo.aliases,
        "discussionsDisabled": repo.discussions_disabled,
        "branches": repo.branches,
        "prHeads": {str(num): oid for num, oid in repo.pr_heads.items()},
        "commits": [
            {
                "oid": c.oid,
                "parents": list(c.parents),
                "tree": {path: [b.oid, b.size] for path, b in c.tree.items()},
                "title": c.title,
                "message": c.message,
                "author": c.author,
                "date": c.date,
            }
            for c in repo.commits.values()
        ],
        "discussions": [
            {
                "num": d.num,
                "title": d.title,
                "isPullRequest": d.is_pr,
                "status": d.status,
                "author": d.author,
                "createdAt": d.created_at,
                "events": d.events,
                "baseBranch": d.base_branch,
                "baseCommit": d.base_commit,
                "mergeCommit": d.merge_commit,
            }
            for d in repo.discussions.values()
        ],
    }


def repo_from_json(data: dict[str, Any]) -> Repo:
    """Read back what `repo_to_json` wrote. Raises KeyError/ValueError on a damaged document."""
    if data.get("format") != FORMAT_VERSION:
        raise ValueError(f"unknown repo format {data.get('format')!r} (expected {FORMAT_VERSION})")
    commits = {
        c["oid"]: Commit(
            oid=c["oid"],
            parents=tuple(c["parents"]),
            tree={path: Blob(oid, size) for path, (oid, size) in c["tree"].items()},
            title=c["title"],
            message=c["message"],
            author=c["author"],
            date=c["date"],
        )
        for c in data["commits"]
    }
    discussions = {
        d["num"]: Discussion(
            num=d["num"],
            title=d["title"],
            is_pr=d["isPullRequest"],
            status=d["status"],
            author=d["author"],
            created_at=d["createdAt"],
            events=d["events"],
            base_branch=d.get("baseBranch"),
            base_commit=d.get("baseCommit"),
            merge_commit=d.get("mergeCommit"),
        )
        for d in data["discussions"]
    }
    return Repo(
        type=data["type"],
        id=data["id"],
        created_at=data["createdAt"],
        private=data["private"],
        gated=data["gated"],
        # Absent from documents written before official benchmarks existed.
        official_benchmark=bool(data.get("officialBenchmark", False)),
        aliases=[str(a) for a in data.get("aliases", [])],
        discussions_disabled=bool(data.get("discussionsDisabled", False)),
        branches=dict(data["branches"]),
        pr_heads={int(num): oid for num, oid in data["prHeads"].items()},
        commits=commits,
        discussions=discussions,
    )
