"""Every Hub operation eeesync performs, one named method each (`Hub` inherits them).

Callers write `hub.model_info(repo_id)` or `hub.open_pull_request(...)`, never
`hub.call(hub.api.X, ...)`: the request, its arguments and its policy are decided here, once.

Policy:

* Reads go through `Hub.call`: retried with backoff on 429, 5xx, timeouts and transient
  401/403, honouring `Retry-After` and the quota headers (`hub/client.py`). Every request is
  paced by the quota budget of its bucket (`hub/pace.py`, an httpx hook on the client). A lazy
  listing is read whole inside the retry, so a failure on page 3 retries the listing, and a
  caller never sees half of one (`list_models` is the exception: it pages as iterated).
* Writes (a commit that opens a PR, a commit to `refs/pr/N`, a status change) are sent once and
  never retried here: a write whose answer was lost may have happened. The caller journals
  it and re-reads the Hub before any second attempt (`apply/run.py`).

To add an operation: a method here with typed arguments and a docstring, the local Hub answering
the request in the Hub's shape (`localhub/routes.py`), and a test that calls it with the real
client against the local Hub.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Literal, Protocol, TypeVar

from huggingface_hub import (
    CommitInfo,
    CommitOperationAdd,
    CommitOperationDelete,
    DatasetInfo,
    DatasetLeaderboardEntry,
    Discussion,
    DiscussionWithDetails,
    HfApi,
    ModelInfo,
    get_session,
    hf_hub_url,
    hf_raise_for_status,
)
from huggingface_hub.errors import HfHubHTTPError
from huggingface_hub.hf_api import ExpandModelProperty_T, RepoFile, RepoFolder
from huggingface_hub.utils._headers import build_hf_headers

from eeesync.errors import TokenRejectedError

T = TypeVar("T")
RepoType = Literal["model", "dataset"] | None


class _Connection(Protocol):
    """What the operations need of a `Hub`: its client, its retry policy, where it is."""

    api: HfApi
    url: str
    timeout: float

    def call(self, fn: Callable[..., T], /, *args: object, **kwargs: object) -> T: ...


class HubOperations:
    """The named operations; `hub.client.Hub` supplies the connection and the retry."""

    # --- Accounts and repos ------------------------------------------------------------------

    def whoami(self: _Connection, *, token: str | None = None) -> dict[str, Any]:
        """The account of the client's token (or of `token`): `{"name": …, …}`. Raises when
        there is no token or the Hub will not say; a 401/403 is the Hub's final word on the
        token, raised at once as `TokenRejectedError` (never retried, never naming the token)."""

        def ask() -> dict[str, Any]:
            try:
                return self.api.whoami(token=token)
            except HfHubHTTPError as exc:
                status = getattr(exc.response, "status_code", None)
                if status not in (401, 403):
                    raise
                raise TokenRejectedError(
                    f"the Hub at {self.url} refused the token (HTTP {status}): it is invalid, "
                    "expired or revoked",
                    hint="Set HF_TOKEN (or `hf auth login`) to a valid token of the account "
                    "that should plan and apply.",
                ) from None

        return self.call(ask)

    def model_info(
        self: _Connection, repo_id: str, *, expand: Sequence[ExpandModelProperty_T] | None = None
    ) -> ModelInfo:
        """A model repo's metadata (`expand=["sha", "siblings"]`: its main commit and files)."""
        return self.call(
            self.api.model_info, repo_id, expand=list(expand) if expand is not None else None
        )

    def dataset_info(
        self: _Connection, repo_id: str, *, revision: str | None = None
    ) -> DatasetInfo:
        """A dataset repo's metadata at `revision` (default main): `.sha` pins it."""
        return self.call(self.api.dataset_info, repo_id, revision=revision)

    def list_models(
        self: _Connection,
        *,
        author: str | None = None,
        search: str | None = None,
        limit: int | None = None,
        expand: Sequence[ExpandModelProperty_T] | None = None,
    ) -> Iterator[ModelInfo]:
        """Model repos, paged as iterated (a whole author can be thousands): the first page is
        read with retries, so a listing that cannot start raises here; later pages are read
        as the iteration reaches them (with huggingface_hub's own backoff), and stopping early
        never requests them."""

        def first_page() -> tuple[Iterator[ModelInfo], ModelInfo | None]:
            items = iter(
                self.api.list_models(
                    author=author,
                    search=search,
                    limit=limit,
                    expand=list(expand) if expand is not None else None,
                )
            )
            return items, next(items, None)

        rest, first = self.call(first_page)
        return rest if first is None else itertools.chain((first,), rest)

    def list_datasets(self: _Connection, *, benchmark: str | None = None) -> list[DatasetInfo]:
        """Dataset repos (`benchmark="official"`: the Hub's official Community Evals
        benchmarks), read whole."""
        return self.call(lambda: list(self.api.list_datasets(benchmark=benchmark)))

    def dataset_leaderboard(self: _Connection, dataset_id: str) -> list[DatasetLeaderboardEntry]:
        """Every row of a benchmark dataset's leaderboard, derivatives of other models
        included (`base_model_only=False`)."""
        return self.call(self.api.get_dataset_leaderboard, dataset_id, base_model_only=False)

    # --- Files -------------------------------------------------------------------------------

    def list_repo_tree(
        self: _Connection,
        repo_id: str,
        folder: str,
        *,
        revision: str,
        recursive: bool = False,
        repo_type: RepoType = None,
    ) -> list[RepoFile | RepoFolder]:
        """Files and folders under `folder` at `revision`, read whole. A missing folder raises
        (`classify`: `MISSING_ENTRY`)."""
        return self.call(
            lambda: list(
                self.api.list_repo_tree(
                    repo_id,
                    folder,
                    recursive=recursive,
                    revision=revision,
                    repo_type=repo_type,
                )
            )
        )

    def get_paths_info(
        self: _Connection,
        repo_id: str,
        paths: Sequence[str],
        *,
        revision: str,
        repo_type: RepoType = None,
    ) -> list[RepoFile | RepoFolder]:
        """Exactly these paths at `revision` (those that exist), in one request: blob ids,
        sizes and LFS sha256s."""
        return self.call(
            self.api.get_paths_info, repo_id, list(paths), revision=revision, repo_type=repo_type
        )

    def read_file(
        self: _Connection,
        repo_id: str,
        path: str,
        *,
        revision: str,
        repo_type: RepoType = None,
        timeout: float | None = None,
    ) -> bytes:
        """One file's bytes at `revision`: one resolver GET through huggingface_hub's session
        and error mapping (never `hf_hub_download`, whose cache is not keyed by endpoint).
        Unbounded: for a stranger's file use `hub.evalfile_fetch.fetch_capped`."""
        url = hf_hub_url(repo_id, path, repo_type=repo_type, revision=revision, endpoint=self.url)
        headers = build_hf_headers(token=self.api.token, library_name="eeesync")

        def get() -> bytes:
            response = get_session().get(
                url, headers=headers, follow_redirects=True, timeout=timeout or self.timeout
            )
            hf_raise_for_status(response)
            return response.content

        return self.call(get)

    # --- Pull requests -----------------------------------------------------------------------

    def list_pull_requests(
        self: _Connection,
        repo_id: str,
        *,
        status: Literal["all", "open"] = "all",
        repo_type: RepoType = None,
    ) -> list[Discussion]:
        """The repo's pull requests (every page). `status="all"` (the default) is filtered by
        the caller: whether the Hub's "open" includes drafts is not documented."""
        return self.call(
            lambda: list(
                self.api.get_repo_discussions(
                    repo_id,
                    repo_type=repo_type,
                    discussion_type="pull_request",
                    discussion_status=status,
                )
            )
        )

    def pr_heads(self: _Connection, repo_id: str, *, repo_type: RepoType = None) -> dict[int, str]:
        """PR number → head commit, from the repo's `refs/pr/N` refs."""
        refs = self.call(
            self.api.list_repo_refs, repo_id, repo_type=repo_type, include_pull_requests=True
        )
        heads: dict[int, str] = {}
        for ref in refs.pull_requests or ():
            tail = ref.ref.rsplit("/", 1)[-1]
            if ref.ref.startswith("refs/pr/") and tail.isdigit():
                heads[int(tail)] = ref.target_commit
        return heads

    def get_discussion_details(
        self: _Connection, repo_id: str, num: int, *, repo_type: RepoType = None
    ) -> DiscussionWithDetails:
        """One PR or discussion with its events (the description is the first comment)."""
        return self.call(self.api.get_discussion_details, repo_id, num, repo_type=repo_type)

    # --- Writes: sent once, never retried here -----------------------------------------------

    def open_pull_request(
        self: _Connection,
        repo_id: str,
        files: Mapping[str, bytes],
        *,
        title: str,
        description: str,
        parent_commit: str | None,
        repo_type: RepoType = None,
    ) -> CommitInfo:
        """One commit adding `files` (path → bytes) on a new PR against main. `parent_commit`
        makes the Hub refuse it when main has moved since. `pr_url` is None when every file
        already holds those bytes (huggingface_hub then opens nothing)."""
        return self.api.create_commit(
            repo_id,
            operations=_adds(files),
            commit_message=title,
            commit_description=description,
            repo_type=repo_type,
            create_pr=True,
            parent_commit=parent_commit,
        )

    def commit_to_pull_request(
        self: _Connection,
        repo_id: str,
        num: int,
        files: Mapping[str, bytes],
        *,
        message: str,
        description: str = "",
        parent_commit: str | None,
        deletions: Sequence[str] = (),
        repo_type: RepoType = None,
    ) -> CommitInfo:
        """One commit adding `files` to the open PR #num (`refs/pr/num`) and deleting the files
        at `deletions`; `parent_commit` (its head as last read) makes the Hub refuse it when the
        PR has moved since."""
        operations: list[CommitOperationAdd | CommitOperationDelete] = [*_adds(files)]
        operations += [CommitOperationDelete(path_in_repo=path) for path in deletions]
        return self.api.create_commit(
            repo_id,
            operations=operations,
            commit_message=message,
            commit_description=description,
            repo_type=repo_type,
            revision=f"refs/pr/{num}",
            parent_commit=parent_commit,
        )

    def edit_pr_description(
        self: _Connection,
        repo_id: str,
        num: int,
        comment_id: str,
        text: str,
        *,
        repo_type: RepoType = None,
    ) -> None:
        """Replace PR #num's description (its first comment, `comment_id`) with `text`."""
        self.api.edit_discussion_comment(repo_id, num, comment_id, text, repo_type=repo_type)

    def commit_to_main(
        self: _Connection,
        repo_id: str,
        files: Mapping[str, bytes],
        *,
        message: str,
        description: str,
        parent_commit: str,
        repo_type: RepoType = None,
    ) -> CommitInfo:
        """One commit adding `files` on main (`[apply] mode = "direct-when-owner"`: the account
        owns the repo). `parent_commit` makes the Hub refuse it (412) when main has moved since:
        nothing anyone committed is ever overwritten."""
        return self.api.create_commit(
            repo_id,
            operations=_adds(files),
            commit_message=message,
            commit_description=description,
            repo_type=repo_type,
            parent_commit=parent_commit,
        )

    def close_pull_request(
        self: _Connection, repo_id: str, num: int, *, comment: str, repo_type: RepoType = None
    ) -> None:
        """Close PR #num, saying why in `comment`."""
        self.api.change_discussion_status(
            repo_id, num, "closed", comment=comment, repo_type=repo_type
        )


def _adds(files: Mapping[str, bytes]) -> list[CommitOperationAdd]:
    return [CommitOperationAdd(path_in_repo=p, path_or_fileobj=data) for p, data in files.items()]
