"""Repos of one local Hub: the index in memory, saving to the state folder, repo-level changes.

`RepoStore` holds the lock every store shares, loads the state folder, hands out commit and event
ids, and creates, finds, configures, lists and deletes repos. What happens inside a repo is the
other stores' job (`discussions.py`, `commits.py`); `storage.HubState` wires them together.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

from eeesync.errors import LocalHubError
from eeesync.localhub import names, statedir
from eeesync.localhub.blobs import BlobStore
from eeesync.localhub.repodata import REPO_TYPES, Blob, Commit, Repo, now_iso

#: The user every request acts as: the local Hub accepts any token (or none).
DEFAULT_USER = "local-user"

_INITIAL_GITATTRIBUTES = (
    b"*.bin filter=lfs diff=lfs merge=lfs -text\n"
    b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n"
    b"*.parquet filter=lfs diff=lfs merge=lfs -text\n"
)


def not_found_repo(repo_type: str, repo_id: str) -> LocalHubError:
    return LocalHubError(
        f"Repository Not Found: {repo_type} {repo_id!r} does not exist",
        status=404,
        code="RepoNotFound",
    )


class RepoStore:
    """The index of repos (in memory, written through to disk), ids, and repo-level changes."""

    def __init__(self, root: Path, lock: threading.RLock, blobs: BlobStore) -> None:
        self.root = root
        self.lock = lock
        self.blobs = blobs
        self._repos: dict[tuple[str, str], Repo] = {}
        #: (type, lower-case one-segment id) -> the key of the repo it redirects to.
        self._aliases: dict[tuple[str, str], tuple[str, str]] = {}
        self._sorted: dict[str, list[str]] = {t: [] for t in REPO_TYPES}
        self._bulk_depth = 0
        self._dirty: dict[tuple[str, str], Repo] = {}
        self._serial = 0
        self.nonce = statedir.load_nonce(root)
        for repo in statedir.load_repos(root):
            self._index(repo)

    # --- index and saving --------------------------------------------------------------------

    def _index(self, repo: Repo) -> None:
        self._repos[repo.key] = repo
        for alias in repo.aliases:
            self._aliases[(repo.type, alias.lower())] = repo.key
        bisect.insort(self._sorted[repo.type], repo.key[1])

    def _save(self, repo: Repo) -> None:
        if self._bulk_depth:
            self._dirty[repo.key] = repo
            return
        statedir.save_repo(self.root, repo)

    @contextlib.contextmanager
    def changing(self, repo_id: str, repo_type: str) -> Iterator[Repo]:
        """Hold the lock, find the repo, and save it if the block ends without an error."""
        with self.lock:
            repo = self.repo(repo_id, repo_type)
            yield repo
            self._save(repo)

    @contextlib.contextmanager
    def bulk(self) -> Iterator[None]:
        """Defer repo writes until the block ends (fast seeding of many repos)."""
        with self.lock:
            self._bulk_depth += 1
        try:
            yield
        finally:
            with self.lock:
                self._bulk_depth -= 1
                if not self._bulk_depth:
                    dirty, self._dirty = self._dirty, {}
                    for repo in dirty.values():
                        if repo.key in self._repos:
                            self._save(repo)

    # --- ids ---------------------------------------------------------------------------------

    def new_commit(
        self,
        repo: Repo,
        *,
        parents: tuple[str, ...],
        tree: dict[str, Blob],
        title: str,
        message: str,
        author: str,
    ) -> Commit:
        """Add a commit object to the repo (no branch moves) and return it."""
        # Commit ids are salted with the state folder's nonce and a serial number: the client's
        # download cache is keyed by repo id + commit id (not by endpoint), so two test servers
        # must never hand out the same id for different content.
        self._serial += 1
        date = now_iso()
        digest = hashlib.sha1(usedforsecurity=False)
        for part in (self.nonce, str(self._serial), repo.type, repo.id, *parents, date, author):
            digest.update(part.encode() + b"\0")
        digest.update(title.encode() + b"\0" + message.encode() + b"\0")
        for path in sorted(tree):
            digest.update(f"{path}\0{tree[path].oid}\0".encode())
        commit = Commit(
            oid=digest.hexdigest(),
            parents=parents,
            tree=tree,
            title=title,
            message=message,
            author=author,
            date=date,
        )
        repo.commits[commit.oid] = commit
        return commit

    def event_id(self) -> str:
        """A fresh discussion event id (salted like commit ids)."""
        self._serial += 1
        seed = f"{self.nonce}:{self._serial}".encode()
        return hashlib.sha1(seed, usedforsecurity=False).hexdigest()[:24]

    # --- repos -------------------------------------------------------------------------------

    def repo(self, repo_id: str, repo_type: str = "model") -> Repo:
        """The repo, found case-insensitively or by an alias like `gpt2` (the Hub redirects both
        to the canonical id)."""
        repo_type = names.check_repo_type(repo_type)
        names.check_repo_id(repo_id)
        key = (repo_type, repo_id.lower())
        found = self._repos.get(self._aliases.get(key, key))
        if found is None:
            raise not_found_repo(repo_type, repo_id)
        return found

    def exists(self, repo_id: str, repo_type: str) -> bool:
        """Whether the repo (or alias) exists; False for invalid ids too (never raises)."""
        key = (repo_type, repo_id.lower())
        with self.lock:
            return key in self._repos or key in self._aliases

    def add_alias(self, alias: str, repo_id: str, *, repo_type: str = "model") -> None:
        """Let the one-segment id `alias` (like `gpt2`) redirect to `repo_id`, as on the Hub,
        where `gpt2` answers as `openai-community/gpt2`. An alias in use elsewhere is a 409."""
        if "/" in alias:
            raise LocalHubError(f"an alias is a one-segment id like 'gpt2', not {alias!r}")
        names.check_repo_id(alias)
        with self.changing(repo_id, repo_type) as repo:
            taken = self._aliases.get((repo.type, alias.lower()))
            if taken is not None and taken != repo.key:
                raise LocalHubError(f"{alias} already redirects to another repo", status=409)
            if taken is None:
                repo.aliases.append(alias)
                self._aliases[(repo.type, alias.lower())] = repo.key

    def create_repo(
        self,
        repo_id: str,
        *,
        repo_type: str = "model",
        private: bool = False,
        exist_ok: bool = False,
        author: str = DEFAULT_USER,
    ) -> str:
        """Create a repo with an initial commit (`.gitattributes`, as the Hub does).

        Returns the canonical id. A case variant of an existing id is the same repo (409).
        """
        repo_type = names.check_repo_type(repo_type)
        if "/" not in repo_id:
            raise LocalHubError(
                f"invalid repo id {repo_id!r}: create 'namespace/{repo_id}' and add the "
                f"one-segment id with add_alias({repo_id!r}, 'namespace/{repo_id}') (on the Hub, "
                "such ids redirect to a namespaced repo)",
                status=400,
            )
        names.check_repo_id(repo_id, namespaced=True)
        with self.lock:
            existing = self._repos.get((repo_type, repo_id.lower()))
            if existing is not None:
                if exist_ok:
                    return existing.id
                raise LocalHubError(
                    f"You already created this {repo_type} repo: {existing.id}", status=409
                )
            repo = Repo(type=repo_type, id=repo_id, created_at=now_iso(), private=private)
            initial = self.new_commit(
                repo,
                parents=(),
                tree={".gitattributes": self.blobs.write(_INITIAL_GITATTRIBUTES)},
                title="initial commit",
                message="",
                author=author,
            )
            repo.branches["main"] = initial.oid
            self._index(repo)
            self._save(repo)
            return repo.id

    def delete_repo(self, repo_id: str, *, repo_type: str = "model") -> None:
        """Remove a repo and its document (blobs stay: they may be shared)."""
        with self.lock:
            repo = self.repo(repo_id, repo_type)
            del self._repos[repo.key]
            for alias in repo.aliases:
                self._aliases.pop((repo.type, alias.lower()), None)
            self._sorted[repo.type].remove(repo.key[1])
            self._dirty.pop(repo.key, None)
            statedir.repo_path(self.root, repo).unlink(missing_ok=True)

    def set_gated(
        self, repo_id: str, gated: bool | str = "manual", *, repo_type: str = "model"
    ) -> None:
        """Gate a repo: downloads then fail with `GatedRepo` (403), as for a user not approved."""
        if gated is True:
            gated = "manual"
        if gated not in (False, "auto", "manual"):
            raise LocalHubError(f"gated must be False, 'auto' or 'manual', not {gated!r}")
        with self.changing(repo_id, repo_type) as repo:
            repo.gated = gated

    def set_discussions_disabled(
        self, repo_id: str, disabled: bool = True, *, repo_type: str = "model"
    ) -> None:
        """Turn a repo's discussions off (or on): new PRs and discussions are then refused."""
        with self.changing(repo_id, repo_type) as repo:
            repo.discussions_disabled = disabled

    def set_private(self, repo_id: str, private: bool = True, *, repo_type: str = "model") -> None:
        """Make a repo private: requests without a token then get `RepoNotFound`."""
        with self.changing(repo_id, repo_type) as repo:
            repo.private = private

    def set_official_benchmark(
        self, repo_id: str, official: bool = True, *, repo_type: str = "dataset"
    ) -> None:
        """Flag a dataset as an official benchmark: it is then tagged `benchmark:official` and
        listed by `list_datasets(benchmark="official")`. Only datasets can be (400 otherwise)."""
        if repo_type != "dataset":
            raise LocalHubError(
                f"only datasets can be official benchmarks, not a {repo_type} repo", status=400
            )
        with self.changing(repo_id, repo_type) as repo:
            repo.official_benchmark = official

    def list_repos(
        self,
        repo_type: str,
        *,
        author: str | None = None,
        search: str | Sequence[str] | None = None,
        after: str | None = None,
        limit: int = 1000,
        include_private: bool = True,
        official_benchmark: bool = False,
    ) -> tuple[list[Repo], bool]:
        """Repos sorted by id (case-insensitively) after the cursor; `True` if more follow.

        `author` is the exact namespace (any letter case); each `search` term must be a substring
        of the full id, ignoring letter case, as on the Hub. `official_benchmark` keeps only
        official benchmark datasets.
        """
        author_key = author.lower() if author else None
        terms = [search] if isinstance(search, str) else list(search or ())
        search_keys = [t.lower() for t in terms if t]
        with self.lock:
            keys = self._sorted[names.check_repo_type(repo_type)]
            start = bisect.bisect_right(keys, after) if after else 0
            found: list[Repo] = []
            for key in keys[start:]:
                if author_key is not None and key.split("/")[0] != author_key:
                    continue
                if any(term not in key for term in search_keys):
                    continue
                repo = self._repos[(repo_type, key)]
                if repo.private and not include_private:
                    continue
                if official_benchmark and not repo.official_benchmark:
                    continue
                if len(found) == limit:
                    return found, True
                found.append(repo)
            return found, False
