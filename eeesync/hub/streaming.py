"""Audit model repos while the datastore scan goes on (`plan`'s overlap of reading and auditing).

A model's Hub state does not depend on its records, so its audit can start as soon as the first
record naming it is mapped. `StreamingAudit.add(repo_id)` is called by the mapping for each new
repo; `finish(wanted, decided_by_main)` is called once the scan is complete and returns exactly
what `audit.audit_repos` would have returned for `wanted` (same states, so the same plan):

- heads spend requests as `audit.learn_heads` does: an author with two or more repos is read
  from one `list_models(author=…)` listing, which is kept open and read further (a page at a
  time) as more of the author's repos turn up; an author's first repo waits for a second one or
  for the end of the scan, then gets its own `model_info`;
- main's eval files are read at once; the PR listing too when main has no eval file (then it
  cannot decide any entry). Where main has eval files, whether it decides every desired entry is
  only known when the scan is complete: those repos list their PRs in `finish`;
- a repo audited early that ends up with no desired entry (all of them in conflict groups) is
  dropped; a repo whose records spell its id in several ways is audited again in `finish` when
  the first spelling (the one requests name) is not the one `audit_repos` would use;
- with a `journal`, every repo audited is written down as it is done (main's half too, its PRs
  still to decide), and a repo already in it (an interrupted run with the same inputs) is not
  asked again: `resumed` names them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol

import attrs

from eeesync.hub.audit import (
    LIST_PAGE_SIZE,
    Head,
    HeadFailure,
    _eval_paths,
    _is_hub_failure,
    _model_head,
    audit_main,
    audit_prs,
    audit_repo,
    needs_prs,
)
from eeesync.hub.client import Hub, unreachable
from eeesync.hub.state import AuditStore, RepoState
from eeesync.progress import NO_PROGRESS, Progress


class StateJournal(Protocol):
    """Where audited repos are kept for a resumed run (`cache.AuditJournal`)."""

    def get(self, key: str) -> RepoState | None: ...

    def put(self, key: str, state: RepoState) -> None: ...


class _AuthorListing:
    """One author's `list_models` listing, read lazily and shared by that author's repos."""

    def __init__(self, hub: Hub, author: str) -> None:
        self.hub = hub
        self.author = author
        self.lock = threading.Lock()
        self.seen: dict[str, Head] = {}
        self.read = 0
        self.wanted = 0  # the author's repos asked for so far
        self.done = False
        self._items: Iterator[Any] | None = None

    def lookup(self, key: str) -> Head | None:
        """The head of `key` from the listing, or None (not listed within the page budget, or
        the listing failed: the caller asks `model_info`)."""
        with self.lock:
            self.wanted += 1
            # As in `learn_heads`: more pages than the repos asked one by one never pays off.
            budget = max(1, self.wanted - 1) * LIST_PAGE_SIZE
            while key not in self.seen and not self.done and self.read < budget:
                try:
                    info = self._next()
                except Exception as exc:
                    if not _is_hub_failure(exc):
                        raise
                    self.done = True
                    break
                if info is None:
                    self.done = True
                    break
                self.read += 1
                if info.sha:
                    self.seen[str(info.id).lower()] = Head(
                        info.id, info.sha, _eval_paths(info.siblings)
                    )
            return self.seen.get(key)

    def _next(self) -> Any:
        if self._items is None:
            # The first page is fetched with retries; later pages by the listing itself.
            self._items = self.hub.list_models(author=self.author, expand=["sha", "siblings"])
        return next(self._items, None)


@attrs.define
class _Repo:
    spelling: str  # the spelling requests used (the first one the records gave)
    future: Future[RepoState] | None = None


class StreamingAudit:
    """Repos audited as they are found; see the module doc. Use as a context manager."""

    def __init__(
        self,
        hub: Hub,
        *,
        concurrency: int = 8,
        cache: AuditStore | None = None,
        progress: Progress = NO_PROGRESS,
        journal: StateJournal | None = None,
        account: str | None = None,
    ) -> None:
        self.hub = hub
        self.account = account  # whose PRs are ours (`audit_prs`)
        self.cache = cache
        self.progress = progress
        self.journal = journal
        #: Repos whose state came from the journal of an interrupted run (no request made).
        self.resumed: set[str] = set()
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="audit")
        self._lock = threading.Lock()
        self._repos: dict[str, _Repo] = {}
        self._first_of_author: dict[str, str] = {}  # author → its only key so far
        self._listings: dict[str, _AuthorListing] = {}
        self._probe: Future[RepoState] | None = None
        self.started_early = 0  # repos whose audit started before `finish`

    def __enter__(self) -> StreamingAudit:
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    # --- while the scan goes on ------------------------------------------------------------------

    def add(self, repo_id: str) -> None:
        """A record names `repo_id`: start its audit if it is new (cheap when it is not)."""
        key = repo_id.lower()
        if key in self._repos:
            return
        self._check_probe()
        self._repos[key] = repo = _Repo(repo_id)
        if self._resume(key, repo):
            return
        if self._probe is None:
            # One request first, alone (as `learn_heads`): an unreachable Hub is said once.
            repo.future = self._probe = self._pool.submit(self._audit_single, key, probe=True)
            self.started_early += 1
            return
        author = key.split("/")[0]
        listing = self._listings.get(author)
        if listing is None:
            first = self._first_of_author.pop(author, None)
            if first is None:
                self._first_of_author[author] = key  # wait for a second repo, or `finish`
                return
            listing = self._listings[author] = _AuthorListing(
                self.hub, self._repos[first].spelling.split("/")[0]
            )
            self._submit_listed(first, listing)
        self._submit_listed(key, listing)

    def _resume(self, key: str, repo: _Repo) -> bool:
        kept = self.journal.get(key) if self.journal is not None else None
        if kept is None:
            return False
        done: Future[RepoState] = Future()
        done.set_result(kept)
        repo.future = done
        self.resumed.add(key)
        return True

    def _submit_listed(self, key: str, listing: _AuthorListing) -> None:
        self._repos[key].future = self._pool.submit(self._audit_listed, key, listing)
        self.started_early += 1

    def _check_probe(self) -> None:
        probe = self._probe
        if probe is not None and probe.done():
            probe.result()  # re-raises an unreachable Hub at once: the scan stops

    # --- the work ---------------------------------------------------------------------------------

    def _after_probe(self) -> None:
        """Wait for the first answer; re-raise if it said the Hub cannot be reached."""
        if self._probe is not None:
            self._probe.result()

    def _audit_single(self, key: str, *, probe: bool = False) -> RepoState:
        if not probe:
            self._after_probe()
        spelling = self._repos[key].spelling
        head = _model_head(self.hub, spelling)
        if probe and isinstance(head, HeadFailure) and head.unreachable is not None:
            raise unreachable(head.unreachable, self.hub.endpoint)
        return self._audit_head(key, spelling, head)

    def _audit_listed(self, key: str, listing: _AuthorListing) -> RepoState:
        self._after_probe()
        spelling = self._repos[key].spelling
        head: Head | HeadFailure | None = listing.lookup(key)
        if head is None:
            head = _model_head(self.hub, spelling)
        return self._audit_head(key, spelling, head)

    def _audit_head(self, key: str, spelling: str, head: Head | HeadFailure) -> RepoState:
        state = audit_main(self.hub, [spelling], head, cache=self.cache)
        if needs_prs(state) and not state.main_files:
            # Main has no eval file: it decides no entry, whatever else the scan brings.
            state = audit_prs(self.hub, state, cache=self.cache, account=self.account)
        if self.journal is not None:
            # A resumed run needs no request for it (PRs deferred to `finish` stay deferred).
            self.journal.put(key, state)
        return state

    # --- once the scan is complete ----------------------------------------------------------------

    def finish(
        self,
        wanted: Mapping[str, Sequence[str]],
        *,
        decided_by_main: Callable[[str, RepoState], bool],
    ) -> dict[str, RepoState]:
        """The states of exactly the repos in `wanted` (lower-cased id → spellings), as
        `audit_repos(hub, wanted, …)` gives them."""
        keys = sorted(wanted)
        for key in keys:
            if key not in self._repos:  # never announced (a caller that adds nothing)
                self._repos[key] = _Repo(sorted(wanted[key])[0])
        for key in sorted(self._first_of_author.values()):
            if not self._resume(key, self._repos[key]):
                self._repos[key].future = self._pool.submit(self._audit_single, key)
        self._first_of_author.clear()
        resumed = sum(1 for key in keys if key in self.resumed)
        if resumed:
            shown = self.progress.task(
                f"Resuming: {resumed} of {len(keys)} repos already audited", total=len(keys)
            )
            shown.advance(resumed)
        head_bar = self.progress.task("Looking up model repos", total=len(keys))
        repo_bar = self.progress.task("Auditing model repos", total=len(keys))

        def complete(key: str) -> RepoState:
            repo = self._repos[key]
            spellings = tuple(sorted(set(wanted[key])))
            early = repo.future.result() if repo.future is not None else None
            if early is None or spellings[0] != early.requested_ids[0]:
                # Requests would have named another spelling: audit it as `audit_repos` does.
                state = self._audit_single_spelling(spellings, decided_by_main, key)
            else:
                state = early
                head_bar.advance()
                deferred = needs_prs(state) and not state.prs_checked
                if deferred and not decided_by_main(key, state):
                    state = audit_prs(self.hub, state, cache=self.cache, account=self.account)
                if deferred and self.journal is not None:
                    self.journal.put(key, state)
                state = attrs.evolve(state, requested_ids=spellings)
            repo_bar.advance()
            return state

        # Every audit above was queued before these (the pool is first in, first out), so a
        # worker waiting on one never waits on work queued behind it.
        states = dict(zip(keys, self._pool.map(complete, keys), strict=True))
        head_bar.complete()
        return states

    def _audit_single_spelling(
        self,
        spellings: tuple[str, ...],
        decided_by_main: Callable[[str, RepoState], bool],
        key: str,
    ) -> RepoState:
        head = _model_head(self.hub, spellings[0])
        state = audit_repo(
            self.hub,
            spellings,
            head,
            decided_by_main=lambda s: decided_by_main(key, s),
            cache=self.cache,
            account=self.account,
        )
        if self.journal is not None:
            self.journal.put(key, state)
        return state
