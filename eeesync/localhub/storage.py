"""`HubState`: one local Hub's four stores (blobs, repos, discussions, commits) wired together,
their methods offered as one API; the state folder's layout.

Everything is held in memory (loaded once at start) and written through to the state folder on
every change, so a restarted Hub sees the same state:

    STATE/hub.json                         format version + a random nonce (salts commit ids)
    STATE/objects/ab/cdef…                 file contents by git blob sha1, shared by all repos
    STATE/repos/models/NS/NAME.json        one JSON document per repo (see `repodata.repo_to_json`)
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

`HubState` (also exported as `Storage`, its older name) holds one store per job, each given the
stores it uses (no inheritance):

    blobs        BlobStore (blobs.py): file contents by blob id
    repos        RepoStore (repos.py): the lock, the index, saving, ids; create, find, list, delete
    discussions  DiscussionStore (discussions.py): threads, comments, titles, statuses
    commits      CommitStore (commits.py): revisions, commits, PRs with files, merges, conflicts

and binds their methods as its own, so `storage.create_repo(...)` and the rest read as one API.
`statedir.py` holds the on-disk layout of `hub.json` and the repo documents.
"""

from __future__ import annotations

import threading
from pathlib import Path

from eeesync.localhub.blobs import BlobStore
from eeesync.localhub.commits import CommitResult, CommitStore
from eeesync.localhub.discussions import DiscussionStore, check_title
from eeesync.localhub.repos import DEFAULT_USER, RepoStore, not_found_repo

__all__ = ["DEFAULT_USER", "CommitResult", "HubState", "Storage", "not_found_repo"]


class HubState:
    """All repos of one local Hub, in memory and on disk. Thread-safe (one lock).

    `Repo` objects returned by `repo()` are live: read them while holding `state.lock`.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        self.blobs = BlobStore(self.root / "objects", self.lock)
        self.repos = RepoStore(self.root, self.lock, self.blobs)
        self.discussions = DiscussionStore(self.repos)
        self.commits = CommitStore(self.repos, self.blobs, self.discussions)
        self.nonce = self.repos.nonce
        # The seeding API: the stores' methods under one name.
        self.bulk = self.repos.bulk
        self.repo = self.repos.repo
        self.create_repo = self.repos.create_repo
        self.add_alias = self.repos.add_alias
        self.delete_repo = self.repos.delete_repo
        self.set_gated = self.repos.set_gated
        self.set_discussions_disabled = self.repos.set_discussions_disabled
        self.set_private = self.repos.set_private
        self.set_official_benchmark = self.repos.set_official_benchmark
        self.list_repos = self.repos.list_repos
        self.write_blob = self.blobs.write
        self.read_blob = self.blobs.read
        self.resolve = self.commits.resolve
        self.commit = self.commits.commit
        self.open_pr = self.commits.open_pr
        self.merge_pr = self.commits.merge_pr
        self.conflicts = self.commits.conflicts
        self.pr_changes = self.commits.pr_changes
        self.discussion = self.discussions.discussion
        self.comment = self.discussions.comment
        self.edit_comment = self.discussions.edit_comment
        self.rename_discussion = self.discussions.rename_discussion
        self.set_discussion_status = self.discussions.set_discussion_status

    def create_discussion(
        self,
        repo_id: str,
        *,
        title: str,
        description: str = "",
        pull_request: bool = False,
        repo_type: str = "model",
        author: str = DEFAULT_USER,
    ) -> int:
        """Open a discussion, or (like the Hub's `create_pull_request`) an empty draft PR."""
        if pull_request:
            return self.commits.open_pr(
                repo_id,
                {},
                title=check_title(title),
                description=description,
                repo_type=repo_type,
                draft=True,
                author=author,
            )
        return self.discussions.create_discussion(
            repo_id, title=title, description=description, repo_type=repo_type, author=author
        )


#: The older name, kept for callers that seed through `hub.storage`.
Storage = HubState
