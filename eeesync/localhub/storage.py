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

`Storage` is assembled from one layer per job:

    repos.py        RepoStore: lock, index, saving, ids; create, find, configure, list, delete
    commits.py      CommitStore: commits to a branch, an open PR or a new PR (`refs.py` resolves)
    discussions.py  DiscussionStore: discussions and PRs (`threads.py` builds their events)
    statedir.py     hub.json and repo documents on disk;  blobs.py: file contents by blob id
"""

from __future__ import annotations

from eeesync.localhub.commits import CommitResult
from eeesync.localhub.discussions import DiscussionStore
from eeesync.localhub.repos import DEFAULT_USER, not_found_repo

__all__ = ["DEFAULT_USER", "CommitResult", "Storage", "not_found_repo"]


class Storage(DiscussionStore):
    """All repos of one local Hub, in memory and on disk. Thread-safe (one lock).

    `Repo` objects returned by `repo()` are live: read them while holding `storage.lock`.
    """
