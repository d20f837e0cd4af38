"""The local Hub's state: repos, refs (branches and `refs/pr/N`), discussions and blobs on disk.

Everything is held in memory (loaded once at start) and written through to the state folder on
every change, so a restarted Hub sees the same state:

    STATE/hub.json                         format version + a random nonce (salts commit ids)
    STATE/objects/ab/cdef…                 file contents by git blob sha1, shared by all repos
    STATE/repos/models/NS/NAME.json        one JSON document per repo (see `model.repo_to_json`)
    STATE/repos/datasets/NS/NAME.json

Documents are replaced atomically (temp file + `os.replace`). Paths on disk are built only from
validated repo ids and hex oids, so nothing outside the state folder is ever read or written.

This is also the fast seeding API for tests, benchmarks and the demo (no HTTP involved):

    storage = hub.storage                      # or Storage(path) with no server at all
    storage.create_repo("acme/model-a")
    storage.commit("acme/model-a", {".eval_results/hle.yaml": b"- ..."}, message="Add HLE")
    num = storage.open_pr("acme/model-a", {"README.md": b"hi"}, title="Fix", description="...")
    storage.set_discussion_status("acme/model-a", num, "closed")
    with storage.bulk():                       # defer disk writes while seeding many repos
        ...

Every method raises `eeesync.errors.LocalHubError` with the HTTP status and Hub error code the
server answers with (RepoNotFound, RevisionNotFound, EntryNotFound).
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import json
import os
import re
import secrets
import threading
from collections.abc import Iterable, Iterator, Mapping
from html import escape
from pathlib import Path
from typing import Any, NamedTuple

from huggingface_hub.utils.sha import git_hash

from eeesync.errors import LocalHubError
from eeesync.localhub import names
from eeesync.localhub.model import (
    FORMAT_VERSION,
    REPO_TYPES,
    Blob,
    Commit,
    Discussion,
    Repo,
    now_iso,
    repo_from_json,
    repo_to_json,
)

#: The user every request acts as: the local Hub accepts any token (or none).
DEFAULT_USER = "local-user"

_INITIAL_GITATTRIBUTES = (
    b"*.bin filter=lfs diff=lfs merge=lfs -text\n"
    b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n"
    b"*.parquet filter=lfs diff=lfs merge=lfs -text\n"
)
_PR_REF = re.compile(r"refs/pr/(\d+)")
_HEX = re.compile(r"[0-9a-f]{7,40}")
_OID = re.compile(r"[0-9a-f]{40}")
# Small blobs are kept in memory after the first read: downloads dominate benchmark traffic.
_BLOB_CACHE_MAX_BYTES = 64 * 1024 * 1024
_BLOB_CACHE_MAX_ITEM = 1024 * 1024


class CommitResult(NamedTuple):
    """What a commit produced: the new commit id and, for `create_pr`, the PR number."""

    oid: str
    pr_num: int | None


def not_found_repo(repo_type: str, repo_id: str) -> LocalHubError:
    return LocalHubError(
        f"Repository Not Found: {repo_type} {repo_id!r} does not exist",
        status=404,
        code="RepoNotFound",
    )


class Storage:
    """All repos of one local Hub, in memory and on disk. Thread-safe (one lock).

    `Repo` objects returned by `repo()` are live: read them while holding `storage.lock`.
    """

    def __init__(self, root: Path, *, user: str = DEFAULT_USER) -> None:
        self.root = Path(root).resolve()
        self.user = user
        self.lock = threading.RLock()
        self._repos: dict[tuple[str, str], Repo] = {}
        self._sorted: dict[str, list[str]] = {t: [] for t in REPO_TYPES}
        self._bulk_depth = 0
        self._dirty: dict[tuple[str, str], Repo] = {}
        self._serial = 0
        self._blob_cache: dict[str, bytes] = {}
        self._blob_cache_bytes = 0
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "objects").mkdir(exist_ok=True)
        self.nonce = self._load_meta()
        self._load_repos()

    # --- loading and saving ------------------------------------------------------------------

    def _load_meta(self) -> str:
        path = self.root / "hub.json"
        if path.exists():
            try:
                meta = json.loads(path.read_text("utf-8"))
                if meta.get("format") != FORMAT_VERSION:
                    raise ValueError(f"unknown format {meta.get('format')!r}")
                return str(meta["nonce"])
            except (ValueError, KeyError, OSError) as exc:
                raise LocalHubError(
                    f"{path}: unusable local Hub state ({exc})", status=500
                ) from exc
        nonce = secrets.token_hex(16)
        self._write_atomic(path, json.dumps({"format": FORMAT_VERSION, "nonce": nonce}).encode())
        return nonce

    def _load_repos(self) -> None:
        for repo_type in REPO_TYPES:
            folder = self.root / "repos" / f"{repo_type}s"
            for path in sorted(folder.glob("*/*.json")):
                try:
                    repo = repo_from_json(json.loads(path.read_bytes()))
                    names.check_repo_id(repo.id)
                    if repo.type != repo_type or self._repo_file(repo) != path:
                        raise ValueError("file name does not match the repo inside")
                except (ValueError, KeyError, TypeError, LocalHubError) as exc:
                    raise LocalHubError(
                        f"{path}: unreadable repo state ({exc})", status=500
                    ) from exc
                self._index(repo)

    def _index(self, repo: Repo) -> None:
        self._repos[repo.key] = repo
        bisect.insort(self._sorted[repo.type], repo.key[1])

    def _repo_file(self, repo: Repo) -> Path:
        namespace, name = repo.id.split("/")
        return self.root / "repos" / f"{repo.type}s" / namespace / f"{name}.json"

    def _save(self, repo: Repo) -> None:
        if self._bulk_depth:
            self._dirty[repo.key] = repo
            return
        path = self._repo_file(repo)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._write_atomic(path, json.dumps(repo_to_json(repo), separators=(",", ":")).encode())

    @staticmethod
    def _write_atomic(path: Path, data: bytes) -> None:
        # Callers hold the lock, so one temp name per target is enough.
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)

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

    # --- blobs -------------------------------------------------------------------------------

    def _blob_path(self, oid: str) -> Path:
        if not _OID.fullmatch(oid):
            raise LocalHubError(f"invalid blob id {oid!r}", status=400)
        return self.root / "objects" / oid[:2] / oid[2:]

    def write_blob(self, data: bytes) -> Blob:
        """Store `data` (once per content) and return its git blob id and size."""
        oid = git_hash(data)
        path = self._blob_path(oid)
        if not path.exists():
            path.parent.mkdir(exist_ok=True)
            tmp = path.with_name(f"{path.name}.{threading.get_ident()}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)
        return Blob(oid, len(data))

    def read_blob(self, oid: str) -> bytes:
        """The content of a blob (cached in memory when small)."""
        cached = self._blob_cache.get(oid)
        if cached is not None:
            return cached
        try:
            data = self._blob_path(oid).read_bytes()
        except FileNotFoundError as exc:
            raise LocalHubError(f"blob {oid} is missing from the state folder", status=500) from exc
        if len(data) <= _BLOB_CACHE_MAX_ITEM:
            with self.lock:
                if self._blob_cache_bytes + len(data) > _BLOB_CACHE_MAX_BYTES:
                    self._blob_cache.clear()
                    self._blob_cache_bytes = 0
                self._blob_cache[oid] = data
                self._blob_cache_bytes += len(data)
        return data

    # --- repos -------------------------------------------------------------------------------

    def repo(self, repo_id: str, repo_type: str = "model") -> Repo:
        """The repo, found case-insensitively (the Hub redirects to the canonical id)."""
        repo_type = names.check_repo_type(repo_type)
        names.check_repo_id(repo_id)
        found = self._repos.get((repo_type, repo_id.lower()))
        if found is None:
            raise not_found_repo(repo_type, repo_id)
        return found

    def create_repo(
        self,
        repo_id: str,
        *,
        repo_type: str = "model",
        private: bool = False,
        exist_ok: bool = False,
    ) -> str:
        """Create a repo with an initial commit (`.gitattributes`, as the Hub does).

        Returns the canonical id. A case variant of an existing id is the same repo (409).
        """
        repo_type = names.check_repo_type(repo_type)
        names.check_repo_id(repo_id)
        with self.lock:
            existing = self._repos.get((repo_type, repo_id.lower()))
            if existing is not None:
                if exist_ok:
                    return existing.id
                raise LocalHubError(
                    f"You already created this {repo_type} repo: {existing.id}", status=409
                )
            now = now_iso()
            repo = Repo(type=repo_type, id=repo_id, created_at=now, private=private)
            blob = self.write_blob(_INITIAL_GITATTRIBUTES)
            initial = self._new_commit(
                repo,
                parents=(),
                tree={".gitattributes": blob},
                title="initial commit",
                message="",
                author=self.user,
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
            self._sorted[repo.type].remove(repo.key[1])
            self._dirty.pop(repo.key, None)
            self._repo_file(repo).unlink(missing_ok=True)

    def set_gated(
        self, repo_id: str, gated: bool | str = "manual", *, repo_type: str = "model"
    ) -> None:
        """Gate a repo: downloads then fail with `GatedRepo` (403), as for a user not approved."""
        if gated is True:
            gated = "manual"
        if gated not in (False, "auto", "manual"):
            raise LocalHubError(f"gated must be False, 'auto' or 'manual', not {gated!r}")
        with self.lock:
            repo = self.repo(repo_id, repo_type)
            repo.gated = gated
            self._save(repo)

    def set_private(self, repo_id: str, private: bool = True, *, repo_type: str = "model") -> None:
        """Make a repo private: requests without a token then get `RepoNotFound`."""
        with self.lock:
            repo = self.repo(repo_id, repo_type)
            repo.private = private
            self._save(repo)

    def list_repos(
        self,
        repo_type: str,
        *,
        author: str | None = None,
        search: str | None = None,
        after: str | None = None,
        limit: int = 1000,
        include_private: bool = True,
    ) -> tuple[list[Repo], bool]:
        """Repos sorted by id (case-insensitively) after the cursor; `True` if more follow."""
        author_key = author.lower() if author else None
        search_key = search.lower() if search else None
        with self.lock:
            keys = self._sorted[names.check_repo_type(repo_type)]
            start = bisect.bisect_right(keys, after) if after else 0
            found: list[Repo] = []
            for key in keys[start:]:
                if author_key is not None and key.split("/")[0] != author_key:
                    continue
                if search_key is not None and search_key not in key:
                    continue
                repo = self._repos[(repo_type, key)]
                if repo.private and not include_private:
                    continue
                if len(found) == limit:
                    return found, True
                found.append(repo)
            return found, False

    # --- revisions ---------------------------------------------------------------------------

    @staticmethod
    def resolve(repo: Repo, revision: str) -> Commit:
        """A branch (`main`, `refs/heads/main`), `refs/pr/N`, or a (prefix of a) commit id."""
        oid = repo.branches.get(revision.removeprefix("refs/heads/"))
        if oid is None and (match := _PR_REF.fullmatch(revision)):
            oid = repo.pr_heads.get(int(match.group(1)))
        if oid is None and _HEX.fullmatch(revision):
            if revision in repo.commits:
                oid = revision
            else:
                matches = [c for c in repo.commits if c.startswith(revision)]
                oid = matches[0] if len(matches) == 1 else None
        if oid is None:
            raise LocalHubError(
                f"Invalid rev id: {revision} (no such branch, PR ref or commit in {repo.id})",
                status=404,
                code="RevisionNotFound",
            )
        return repo.commits[oid]

    def _new_commit(
        self,
        repo: Repo,
        *,
        parents: tuple[str, ...],
        tree: dict[str, Blob],
        title: str,
        message: str,
        author: str,
    ) -> Commit:
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

    # --- commits -----------------------------------------------------------------------------

    def commit(
        self,
        repo_id: str,
        files: Mapping[str, bytes | None],
        *,
        repo_type: str = "model",
        revision: str = "main",
        message: str = "Upload files",
        description: str = "",
        parent_commit: str | None = None,
        create_pr: bool = False,
        deleted_folders: Iterable[str] = (),
        author: str | None = None,
    ) -> CommitResult:
        """Commit `files` (path -> bytes, or None to delete) to a branch or `refs/pr/N`.

        With `create_pr`, open PR N (numbered with the discussions) on `refs/pr/N`, based on
        `parent_commit` or the branch head; the description becomes its first comment. Without
        it, a `parent_commit` that is not the head is refused with 412 (the branch moved).
        """
        author = author or self.user
        if not message.strip():
            raise LocalHubError("commit message must not be empty", status=400)
        for path in files:
            names.check_file_path(path)
        folders = [names.check_file_path(p.rstrip("/")) for p in deleted_folders]
        with self.lock:
            repo = self.repo(repo_id, repo_type)
            kind, target = self._commit_target(repo, revision, create_pr=create_pr)
            head = self.resolve(repo, revision)
            base = head
            if parent_commit is not None:
                if create_pr:
                    base = self.resolve(repo, parent_commit)
                elif not head.oid.startswith(parent_commit.lower()):
                    raise LocalHubError(
                        f"A commit has happened since. Please refresh and try again: "
                        f"parent commit {parent_commit} is not the head of {revision} ({head.oid})",
                        status=412,
                    )
            tree = self._apply_changes(repo, base.tree, files, folders)
            commit = self._new_commit(
                repo,
                parents=(base.oid,),
                tree=tree,
                title=message.strip(),
                message=description,
                author=author,
            )
            pr_num: int | None = None
            if create_pr:
                pr_num = self._open_pr(
                    repo,
                    title=message.strip(),
                    description=description,
                    base_branch=str(target),
                    base_commit=base.oid,
                    author=author,
                    draft=False,
                )
                repo.pr_heads[pr_num] = commit.oid
                self._add_event(
                    repo.discussions[pr_num],
                    "commit",
                    author,
                    {"subject": commit.title, "oid": commit.oid},
                )
            elif kind == "pr":
                assert isinstance(target, int)
                repo.pr_heads[target] = commit.oid
                self._add_event(
                    repo.discussions[target],
                    "commit",
                    author,
                    {"subject": commit.title, "oid": commit.oid},
                )
                pr_num = target
            else:
                repo.branches[str(target)] = commit.oid
            self._save(repo)
            return CommitResult(commit.oid, pr_num)

    def _commit_target(
        self, repo: Repo, revision: str, *, create_pr: bool
    ) -> tuple[str, str | int]:
        branch = revision.removeprefix("refs/heads/")
        if branch in repo.branches:
            return "branch", branch
        match = _PR_REF.fullmatch(revision)
        if match and int(match.group(1)) in repo.pr_heads:
            num = int(match.group(1))
            if create_pr:
                raise LocalHubError(
                    f"cannot open a PR against {revision}: PRs target a branch", status=400
                )
            status = repo.discussions[num].status
            if status in ("merged", "closed"):
                raise LocalHubError(
                    f"cannot push to {revision}: pull request #{num} is {status}", status=400
                )
            return "pr", num
        raise LocalHubError(
            f"Invalid rev id: {revision} is not a branch or an open PR ref of {repo.id}",
            status=404,
            code="RevisionNotFound",
        )

    def _apply_changes(
        self,
        repo: Repo,
        base: Mapping[str, Blob],
        files: Mapping[str, bytes | None],
        deleted_folders: Iterable[str],
    ) -> dict[str, Blob]:
        tree = dict(base)
        for folder in deleted_folders:
            prefix = folder + "/"
            doomed = [p for p in tree if p.startswith(prefix)]
            if not doomed:
                raise LocalHubError(
                    f"A folder with this name doesn't exist: {folder}",
                    status=404,
                    code="EntryNotFound",
                )
            for p in doomed:
                del tree[p]
        for path, data in files.items():
            if data is None:
                if path not in tree:
                    raise LocalHubError(
                        f"A file with this name doesn't exist: {path}",
                        status=404,
                        code="EntryNotFound",
                    )
                del tree[path]
        for path, data in files.items():
            if data is None:
                continue
            # git cannot hold a file and a folder of the same name.
            parts = path.split("/")
            for i in range(1, len(parts)):
                if "/".join(parts[:i]) in tree:
                    raise LocalHubError(
                        f"cannot add {path}: {'/'.join(parts[:i])} is a file", status=400
                    )
            if path not in tree and any(p.startswith(path + "/") for p in tree):
                raise LocalHubError(f"cannot add {path}: it is a folder", status=400)
            tree[path] = self.write_blob(data)
        return tree

    # --- discussions and pull requests -------------------------------------------------------

    def _event_id(self) -> str:
        self._serial += 1
        seed = f"{self.nonce}:{self._serial}".encode()
        return hashlib.sha1(seed, usedforsecurity=False).hexdigest()[:24]

    def _add_event(
        self, discussion: Discussion, kind: str, author: str, data: dict[str, Any]
    ) -> dict[str, Any]:
        event = {
            "id": self._event_id(),
            "type": kind,
            "createdAt": now_iso(),
            "author": {"name": author, "type": "user"},
            "data": data,
        }
        discussion.events.append(event)
        return event

    def _add_comment(self, discussion: Discussion, author: str, text: str) -> dict[str, Any]:
        now = now_iso()
        return self._add_event(
            discussion,
            "comment",
            author,
            {
                "edited": False,
                "hidden": False,
                "numEdits": 0,
                "editors": [author],
                "latest": {
                    "raw": text,
                    "html": f"<p>{escape(text)}</p>",
                    "updatedAt": now,
                    "author": {"name": author, "type": "user"},
                },
            },
        )

    def _open_pr(
        self,
        repo: Repo,
        *,
        title: str,
        description: str,
        base_branch: str,
        base_commit: str,
        author: str,
        draft: bool,
    ) -> int:
        num = repo.next_discussion_num()
        pr = Discussion(
            num=num,
            title=title,
            is_pr=True,
            status="draft" if draft else "open",
            author=author,
            created_at=now_iso(),
            base_branch=base_branch,
            base_commit=base_commit,
        )
        repo.discussions[num] = pr
        # The Hub shows the PR description as the first comment of the thread.
        self._add_comment(pr, author, description)
        return num

    def open_pr(
        self,
        repo_id: str,
        files: Mapping[str, bytes | None],
        *,
        title: str,
        description: str = "",
        repo_type: str = "model",
        draft: bool = False,
        base: str = "main",
        parent_commit: str | None = None,
    ) -> int:
        """Open a PR with `files` against branch `base` (as `create_commit(create_pr=True)`).

        `draft=True` leaves it in the draft status; with no files the PR is empty.
        """
        if not files:
            with self.lock:
                repo = self.repo(repo_id, repo_type)
                self._commit_target(repo, base, create_pr=True)
                start = self.resolve(repo, parent_commit or base)
                num = self._open_pr(
                    repo,
                    title=title,
                    description=description,
                    base_branch=base.removeprefix("refs/heads/"),
                    base_commit=start.oid,
                    author=self.user,
                    draft=draft,
                )
                repo.pr_heads[num] = start.oid
                self._save(repo)
                return num
        with self.lock:
            result = self.commit(
                repo_id,
                files,
                repo_type=repo_type,
                revision=base,
                message=title,
                description=description,
                parent_commit=parent_commit,
                create_pr=True,
            )
            assert result.pr_num is not None
            if draft:
                repo = self.repo(repo_id, repo_type)
                repo.discussions[result.pr_num].status = "draft"
                self._save(repo)
            return result.pr_num

    def create_discussion(
        self,
        repo_id: str,
        *,
        title: str,
        description: str = "",
        pull_request: bool = False,
        repo_type: str = "model",
    ) -> int:
        """Open a discussion, or (like the Hub's `create_pull_request`) an empty draft PR."""
        if not title.strip():
            raise LocalHubError("a discussion needs a title", status=400)
        if pull_request:
            return self.open_pr(
                repo_id,
                {},
                title=title.strip(),
                description=description,
                repo_type=repo_type,
                draft=True,
            )
        with self.lock:
            repo = self.repo(repo_id, repo_type)
            num = repo.next_discussion_num()
            discussion = Discussion(
                num=num,
                title=title.strip(),
                is_pr=False,
                status="open",
                author=self.user,
                created_at=now_iso(),
            )
            repo.discussions[num] = discussion
            self._add_comment(discussion, self.user, description)
            self._save(repo)
            return num

    def discussion(self, repo: Repo, num: int) -> Discussion:
        """Discussion `num` of a repo (read under the lock)."""
        found = repo.discussions.get(num)
        if found is None:
            raise LocalHubError(f"Discussion #{num} not found in {repo.id}", status=404)
        return found

    def comment(
        self, repo_id: str, num: int, text: str, *, repo_type: str = "model"
    ) -> dict[str, Any]:
        """Add a comment; returns the event."""
        if not text.strip():
            raise LocalHubError("a comment must not be empty", status=400)
        with self.lock:
            repo = self.repo(repo_id, repo_type)
            event = self._add_comment(self.discussion(repo, num), self.user, text)
            self._save(repo)
            return event

    def rename_discussion(
        self, repo_id: str, num: int, title: str, *, repo_type: str = "model"
    ) -> dict[str, Any]:
        """Change a discussion's title; returns the `title-change` event."""
        if not title.strip():
            raise LocalHubError("a discussion needs a title", status=400)
        with self.lock:
            repo = self.repo(repo_id, repo_type)
            discussion = self.discussion(repo, num)
            event = self._add_event(
                discussion,
                "title-change",
                self.user,
                {"from": discussion.title, "to": title.strip()},
            )
            discussion.title = title.strip()
            self._save(repo)
            return event

    def set_discussion_status(
        self,
        repo_id: str,
        num: int,
        status: str,
        *,
        comment: str | None = None,
        repo_type: str = "model",
    ) -> dict[str, Any]:
        """Set `open`, `closed` or `draft` (a maintainer closing or reopening); returns the event.

        `merged` is only reached through `merge_pr`.
        """
        if status not in ("open", "closed", "draft"):
            raise LocalHubError(
                f"invalid status {status!r}: use 'open' or 'closed' (merge with merge_pr)",
                status=400,
            )
        with self.lock:
            repo = self.repo(repo_id, repo_type)
            discussion = self.discussion(repo, num)
            if discussion.status == "merged":
                raise LocalHubError(f"#{num} is merged; its status cannot change", status=400)
            if status == "draft" and not discussion.is_pr:
                raise LocalHubError("only pull requests can be drafts", status=400)
            if comment:
                self._add_comment(discussion, self.user, comment)
            discussion.status = status
            event = self._add_event(discussion, "status-change", self.user, {"status": status})
            self._save(repo)
            return event

    def pr_changes(self, repo: Repo, pr: Discussion) -> tuple[Commit, Commit]:
        """(base commit, head commit) of a PR: the diff a merge applies."""
        head = repo.commits[repo.pr_heads[pr.num]]
        base = repo.commits[pr.base_commit or head.oid]
        return base, head

    def conflicts(self, repo: Repo, pr: Discussion) -> list[str]:
        """Files the PR changes that its target branch also changed differently since."""
        if pr.base_branch not in repo.branches or pr.status == "merged":
            return []
        base, head = self.pr_changes(repo, pr)
        target = repo.commits[repo.branches[pr.base_branch]].tree
        conflicting = []
        for path in sorted(set(base.tree) | set(head.tree)):
            before, after = base.tree.get(path), head.tree.get(path)
            if before != after and target.get(path) not in (before, after):
                conflicting.append(path)
        return conflicting

    def merge_pr(
        self, repo_id: str, num: int, *, comment: str | None = None, repo_type: str = "model"
    ) -> str:
        """Merge PR `num` into its target branch: a new commit there, status `merged`.

        Returns the merge commit id. Refuses closed or merged PRs (400) and conflicts (409).
        """
        with self.lock:
            repo = self.repo(repo_id, repo_type)
            pr = self.discussion(repo, num)
            if not pr.is_pr:
                raise LocalHubError(f"#{num} is a discussion, not a pull request", status=400)
            if pr.status in ("closed", "merged"):
                raise LocalHubError(f"pull request #{num} is {pr.status}", status=400)
            if pr.base_branch not in repo.branches:
                raise LocalHubError(f"target branch {pr.base_branch} no longer exists", status=400)
            conflicting = self.conflicts(repo, pr)
            if conflicting:
                raise LocalHubError(
                    f"pull request #{num} has conflicts in: {', '.join(conflicting)}", status=409
                )
            base, head = self.pr_changes(repo, pr)
            target = repo.commits[repo.branches[pr.base_branch]]
            tree = dict(target.tree)
            for path in set(base.tree) | set(head.tree):
                after = head.tree.get(path)
                if after is None:
                    tree.pop(path, None)
                else:
                    tree[path] = after
            merge = self._new_commit(
                repo,
                parents=(target.oid, head.oid),
                tree=tree,
                title=pr.title,
                message=f"Merge pull request #{num}",
                author=self.user,
            )
            repo.branches[pr.base_branch] = merge.oid
            if comment:
                self._add_comment(pr, self.user, comment)
            pr.status = "merged"
            pr.merge_commit = merge.oid
            self._add_event(pr, "status-change", self.user, {"status": "merged"})
            self._save(repo)
            return merge.oid
