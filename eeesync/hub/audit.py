"""Audit model repos on the Hub: one repo → `RepoState` (the "read the Hub" step of `plan`).

For each model repo with desired entries the audit learns, through huggingface_hub only:
the canonical repo id and main commit sha, every `.eval_results/*.yaml` on main (content and git
blob id), every open or draft PR with its head sha and the eval files it changes, and the
repo's history: the closed and merged PRs that tell what the author decided (ours, known by
the entry list in their description, and others' closed ones, by their files).
Library types (`ModelInfo`, `Discussion`, `EvalResultEntry`, …) are turned into the frozen types
below here, so nothing past `hub/` depends on the huggingface_hub version.

Request economy (the Hub's free tier allows 1,000 API requests per 5 minutes; downloads are a
separate, larger "resolvers" bucket):
- heads (canonical id, main sha, file list) of several repos of one author come from one
  `list_models(author=…, expand=["sha", "siblings"])` listing; misses fall back to `model_info`;
- eval files are read through the resolver (`/resolve/<sha>/<path>`, one request each) and their
  blob ids computed locally (`git_hash`), so no tree listing of main is needed;
- PRs are listed only when main does not already decide every desired entry (or the audit
  trail says we opened one there); the one listing returns closed and merged PRs too. PR heads
  (`list_repo_refs`) and PR trees are read only for repos that have open or draft PRs, or
  others' closed ones; a PR of ours costs one `get_discussion_details` (its description) and
  no tree or download: its entry list says what it holds; another's closed PR costs one
  `get_discussion_details` (who closed it, when: `read_closings`) only when it decides a
  `declined` entry of the plan;
- the `AuditCache` keeps what was downloaded, keyed by repo + main sha (+ PR head), so a re-plan
  of an unchanged Hub downloads nothing again. The keys are re-learned from the cheap head
  requests on every run: a changed Hub is never hidden.

Per-repo problems are data: `RepoState.error` / `pr_error` / `EvalFile.error`, never exceptions.
Format of the files: https://huggingface.co/docs/hub/eval-results
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import attrs
from huggingface_hub.community import (
    DiscussionComment,
    DiscussionStatusChange,
    DiscussionWithDetails,
)
from huggingface_hub.hf_api import RepoFile

from eeesync.hub.client import Hub, HubFailure, classify, describe, unreachable
from eeesync.hub.evalfile_fetch import download_eval_file
from eeesync.hub.pr_record import parse_entry_list, parse_markers
from eeesync.hub.state import (
    ACTIVE_PR_STATUSES,
    EVAL_DIR,
    AuditStore,
    EvalFile,
    ListedEntry,
    PullRequestState,
    RepoState,
    is_eval_path,
)
from eeesync.progress import NO_PROGRESS, NO_TASK, Progress, ProgressTask

#: `list_models` page size on the Hub; used to bound how much of an author's listing we read.
LIST_PAGE_SIZE = 1000
#: An author listing pays off from this many wanted repos of that author.
BULK_MIN_REPOS = 2
#: Eval files read per revision (main, or what one PR changes). Real repos hold a few; a
#: revision with more is not read (its entries are blocked), so a stranger's PR cannot make a
#: plan download and hold gigabytes (each file is also capped: `Hub.max_eval_file_bytes`).
MAX_EVAL_FILES = 200
#: Others' closed PRs whose files are read (newest first): what they held counts as declined.
MAX_PAST_PRS_READ = 20


# --- The audit's own types -----------------------------------------------------------------------


@attrs.frozen
class Head:
    """The cheap facts about a repo: canonical id, main sha, the eval files on main."""

    repo_id: str
    sha: str
    eval_paths: tuple[str, ...] | None  # None: the server did not list files


@attrs.frozen
class HeadFailure:
    missing: bool  # the Hub said the repo does not exist
    message: str
    #: No answer at all (connection refused, DNS, timeout): the cause, kept to report it.
    unreachable: BaseException | None = attrs.field(default=None, eq=False, repr=False)


# --- Talking to the Hub --------------------------------------------------------------------------


def _is_hub_failure(exc: BaseException) -> bool:
    """A failure that is this repo's problem (data), not a bug."""
    return classify(exc) is not None or isinstance(exc, OSError)


def learn_heads(
    hub: Hub,
    repo_ids: Iterable[str],
    *,
    executor: ThreadPoolExecutor,
    tick: ProgressTask = NO_TASK,
) -> dict[str, Head | HeadFailure]:
    """Canonical id, main sha and eval file list for each repo, in as few API requests as can be.

    Returns a map keyed by the lower-cased requested id.
    """
    wanted = sorted({r.lower(): r for r in repo_ids}.items())
    by_author: dict[str, list[str]] = defaultdict(list)
    author_spelling: dict[str, str] = {}
    for key, spelled in wanted[1:]:
        author = key.split("/")[0]
        by_author[author].append(key)
        # The Hub's author filter may be case-sensitive: ask with a spelling from the records.
        author_spelling.setdefault(author, spelled.split("/")[0])
    found: dict[str, Head | HeadFailure] = {}
    lock = threading.Lock()
    if not wanted:
        return found
    # One request first, alone: if the Hub cannot be reached at all, say so once, clearly,
    # instead of turning every repo into an audit error after a storm of retries.
    probe_key, probe_id = wanted[0]
    probe = _model_head(hub, probe_id)
    if isinstance(probe, HeadFailure) and probe.unreachable is not None:
        raise unreachable(probe.unreachable, hub.endpoint)
    found[probe_key] = probe
    tick.advance()

    def record(key: str, result: Head | HeadFailure) -> None:
        with lock:
            found[key] = result
        tick.advance()

    bulk = [
        (author_spelling[author], keys)
        for author, keys in sorted(by_author.items())
        if len(keys) >= BULK_MIN_REPOS
    ]
    for scanned in executor.map(lambda job: _scan_author(hub, *job), bulk):
        for key, head in scanned.items():
            record(key, head)
    as_requested = dict(wanted)
    misses = [key for key, _ in wanted if key not in found]
    for key, result in zip(
        misses, executor.map(lambda k: _model_head(hub, as_requested[k]), misses), strict=True
    ):
        record(key, result)
    return found


def _scan_author(hub: Hub, author: str, keys: Sequence[str]) -> dict[str, Head]:
    """Heads of an author's wanted repos from one `list_models` listing (stops early)."""
    wanted = set(keys)
    # Reading more pages than the repos we would otherwise ask for one by one never pays off.
    budget = max(1, len(wanted) - 1) * LIST_PAGE_SIZE

    heads: dict[str, Head] = {}
    try:
        listing = hub.list_models(author=author, expand=["sha", "siblings"])
        for seen, info in enumerate(listing, start=1):
            key = str(info.id).lower()
            if key in wanted and info.sha:
                heads[key] = Head(info.id, info.sha, _eval_paths(info.siblings))
                if len(heads) == len(wanted):
                    break
            if seen >= budget:
                break
    except Exception as exc:
        if not _is_hub_failure(exc):
            raise
    return heads  # the repos not found fall back to their own model_info request


def _model_head(hub: Hub, repo_id: str) -> Head | HeadFailure:
    try:
        info = hub.model_info(repo_id, expand=["sha", "siblings"])
    except Exception as exc:
        kind = classify(exc)
        if kind is HubFailure.MISSING_REPO:
            return HeadFailure(missing=True, message=f"{repo_id} does not exist on the Hub")
        if not _is_hub_failure(exc):
            raise
        cause = exc if kind is HubFailure.UNREACHABLE else None
        return HeadFailure(
            missing=False, message=f"cannot read {repo_id}: {describe(exc)}", unreachable=cause
        )
    if not info.sha:
        return HeadFailure(missing=False, message=f"the Hub gave no main commit for {repo_id}")
    return Head(info.id, info.sha, _eval_paths(info.siblings))


def _eval_paths(siblings: Sequence[Any] | None) -> tuple[str, ...] | None:
    if siblings is None:
        return None
    return tuple(sorted(s.rfilename for s in siblings if is_eval_path(s.rfilename)))


# --- One repo ------------------------------------------------------------------------------------


def audit_repo(
    hub: Hub,
    requested_ids: Sequence[str],
    head: Head | HeadFailure,
    *,
    decided_by_main: Callable[[RepoState], bool],
    cache: AuditStore | None = None,
    account: str | None = None,
) -> RepoState:
    """Read main's eval files and (unless main decides everything) the repo's PRs."""
    state = audit_main(hub, requested_ids, head, cache=cache)
    if not needs_prs(state) or decided_by_main(state):
        return state
    return audit_prs(hub, state, cache=cache, account=account)


def audit_main(
    hub: Hub,
    requested_ids: Sequence[str],
    head: Head | HeadFailure,
    *,
    cache: AuditStore | None = None,
) -> RepoState:
    """The first half of `audit_repo`: the repo's head and main's eval files."""
    requested = tuple(sorted(set(requested_ids)))
    if isinstance(head, HeadFailure):
        return RepoState(
            requested,
            requested[0],
            exists=not head.missing,
            error="" if head.missing else head.message,
        )
    state = RepoState(requested, head.repo_id, main_sha=head.sha)
    try:
        paths = head.eval_paths
        if paths is None:
            paths = _list_eval_paths(hub, head.repo_id, head.sha)
        if len(paths) > MAX_EVAL_FILES:
            return attrs.evolve(state, error=_too_many(len(paths), "main"))
        files = _main_files(hub, head.repo_id, head.sha, paths, cache)
    except Exception as exc:
        if not _is_hub_failure(exc):
            raise
        return attrs.evolve(state, error=f"cannot list the eval files: {describe(exc)}")
    return attrs.evolve(state, main_files=files)


def needs_prs(state: RepoState) -> bool:
    """False when main's half already ended the audit (a missing repo, an error)."""
    return state.exists and not state.error


def audit_prs(
    hub: Hub, state: RepoState, *, cache: AuditStore | None = None, account: str | None = None
) -> RepoState:
    """The second half of `audit_repo`: the open and draft PRs and the eval files they change,
    and the history (closed and merged PRs, see `_listed_prs`). `account`: whose PRs are ours
    (None: unknown, so none is)."""
    try:
        prs, past = _listed_prs(hub, state.repo_id, account)
        if prs:
            prs = _pr_files(hub, state.repo_id, state.main_sha, prs, state.main_files, cache)
        if any(not p.ours for p in past):
            past = _pr_files(hub, state.repo_id, state.main_sha, past, state.main_files, cache)
    except Exception as exc:
        if not _is_hub_failure(exc):
            raise
        return attrs.evolve(
            state, prs_checked=True, pr_error=f"cannot list open PRs: {describe(exc)}"
        )
    return attrs.evolve(state, prs=prs, past_prs=past, prs_checked=True)


def _too_many(count: int, where: str) -> str:
    return f"{count} eval files on {where}, over the {MAX_EVAL_FILES} eeesync reads"


def _list_eval_paths(hub: Hub, repo_id: str, revision: str) -> tuple[str, ...]:
    return tuple(sorted(f.path for f in _eval_tree(hub, repo_id, revision)))


def _eval_tree(hub: Hub, repo_id: str, revision: str) -> list[RepoFile]:
    """Files under `.eval_results/` at a revision; a missing folder is an empty list."""

    try:
        items = hub.list_repo_tree(repo_id, EVAL_DIR, recursive=True, revision=revision)
    except Exception as exc:
        if classify(exc) is HubFailure.MISSING_ENTRY:
            return []
        raise
    return [i for i in items if isinstance(i, RepoFile) and is_eval_path(i.path)]


def _download(
    hub: Hub, repo_id: str, path: str, revision: str, size: int | None = None
) -> EvalFile:
    return download_eval_file(hub, repo_id, path, revision, size=size)


def _main_files(
    hub: Hub,
    repo_id: str,
    sha: str,
    paths: Sequence[str],
    cache: AuditStore | None,
) -> tuple[EvalFile, ...]:
    if not paths:
        return ()
    if cache is not None:
        cached = cache.get_main(repo_id, sha)
        if cached is not None and tuple(f.path for f in cached) == tuple(paths):
            return cached
    files = tuple(_download(hub, repo_id, path, sha) for path in paths)
    if cache is not None and not any(f.unreadable for f in files):
        cache.put_main(repo_id, sha, files)  # a failed read is never cached
    return files


def _listed_prs(
    hub: Hub, repo_id: str, account: str | None
) -> tuple[tuple[PullRequestState, ...], tuple[PullRequestState, ...]]:
    """(open and draft PRs, the history that matters) from one listing of every PR.

    Drafts are filtered client-side: the Hub's `status=open` is not documented to include them.
    The history: closed and merged PRs of `account` whose description carries eeesync's marker
    (their entry list says what they held), and others' closed PRs (their files, read at
    `refs/pr/N` below, the newest `MAX_PAST_PRS_READ`). A PR of `account` is read once more
    (`get_discussion_details`) for its description; nobody else's is.
    """

    every = sorted(
        (d.num, d.status, d.title, d.author or "")
        for d in hub.list_pull_requests(repo_id)
        if d.is_pull_request
    )
    active = [p for p in every if p[1] in ACTIVE_PR_STATUSES]
    mine = [p for p in every if account is not None and p[3] == account]
    records = {num: _our_record(hub, repo_id, num) for num, *_ in mine}
    # A closed PR without our record (anyone's, or the account's own by hand): its files.
    others_closed = [p for p in reversed(every) if p[1] == "closed" and not records.get(p[0])]
    others_closed = others_closed[:MAX_PAST_PRS_READ]
    past_mine = [p for p in mine if p[1] not in ACTIVE_PR_STATUSES and records[p[0]] is not None]
    need_heads = bool(active or others_closed)
    heads = hub.pr_heads(repo_id) if need_heads else {}

    def state(num: int, status: str, title: str, author: str, *, files: bool) -> PullRequestState:
        head = heads.get(num, "")
        error = "" if head or not files else f"PR #{num} has no refs/pr/{num} head on the Hub"
        record = records.get(num)
        return PullRequestState(
            num,
            status,
            title,
            hub.pr_url(repo_id, num),
            head,
            error=error,
            author=author,
            listed=record.listed if record else None,
            comment_id=record.comment_id if record else "",
            closed_by=record.closed_by if record else "",
            closed_at=record.closed_at if record else "",
        )

    open_prs = tuple(state(*p, files=True) for p in active)
    past = [state(*p, files=False) for p in past_mine]
    # Another's closed PR whose refs are gone cannot tell what it held: not part of history.
    past += [state(*p, files=True) for p in others_closed if p[0] in heads]
    return open_prs, tuple(sorted(past, key=lambda p: p.num))


@attrs.frozen
class _OurRecord:
    listed: tuple[ListedEntry, ...]
    comment_id: str
    closed_by: str = ""
    closed_at: str = ""


def _our_record(hub: Hub, repo_id: str, num: int) -> _OurRecord | None:
    """A PR of the account: its description's entry list when it carries eeesync's marker."""
    details = hub.get_discussion_details(repo_id, num)
    comments = [e for e in details.events if isinstance(e, DiscussionComment)]
    if not comments:
        return None
    body = comments[0].content or ""
    listed = parse_entry_list(body) if parse_markers(body) else None
    if listed is None:
        return None
    return _OurRecord(listed, comments[0].id, *_closing(details))


def _closing(details: DiscussionWithDetails) -> tuple[str, str]:
    """(who, when, ISO 8601) of a discussion's last status change; ("", "") when none."""
    changes = [e for e in details.events if isinstance(e, DiscussionStatusChange)]
    if not changes:
        return "", ""
    return changes[-1].author or "", changes[-1].created_at.isoformat()


def read_closings(hub: Hub, state: RepoState, nums: Collection[int]) -> RepoState:
    """`state` with who closed the past PRs `nums` and when, from their status-change events
    (one `get_discussion_details` each). Asked only for the closed PRs that decide a `declined`
    entry, so a repo's other closed PRs cost nothing; a failed read leaves the PR unnamed."""
    past = []
    for pr in state.past_prs:
        if pr.num in nums and not pr.closed_by:
            try:
                closed_by, closed_at = _closing(hub.get_discussion_details(state.repo_id, pr.num))
            except Exception as exc:
                if not _is_hub_failure(exc):
                    raise
            else:
                pr = attrs.evolve(pr, closed_by=closed_by, closed_at=closed_at)
        past.append(pr)
    return attrs.evolve(state, past_prs=tuple(past))


def _pr_files(
    hub: Hub,
    repo_id: str,
    main_sha: str,
    prs: Sequence[PullRequestState],
    main_files: Sequence[EvalFile],
    cache: AuditStore | None,
) -> tuple[PullRequestState, ...]:
    """The eval files each PR changes: its tree's blob ids against main's (new or different)."""
    on_main = {f.path: f.blob_id for f in main_files}
    out = []
    for pr in prs:
        if pr.error or pr.ours:
            out.append(pr)  # a PR of ours is known by its entry list: no tree, no download
            continue
        cached = cache.get_pr(repo_id, main_sha, pr.head_sha) if cache is not None else None
        if cached is not None:
            out.append(attrs.evolve(pr, files=cached))
            continue
        try:
            tree = _eval_tree(hub, repo_id, pr.head_sha)
        except Exception as exc:
            if not _is_hub_failure(exc):
                raise
            out.append(attrs.evolve(pr, error=f"cannot list its files: {describe(exc)}"))
            continue
        changed = sorted((f.path, f.size) for f in tree if on_main.get(f.path) != f.blob_id)
        if len(changed) > MAX_EVAL_FILES:
            out.append(attrs.evolve(pr, error=_too_many(len(changed), "this PR")))
            continue
        files = tuple(_download(hub, repo_id, path, pr.head_sha, size) for path, size in changed)
        if cache is not None and not any(f.unreadable for f in files):
            cache.put_pr(repo_id, main_sha, pr.head_sha, files)
        out.append(attrs.evolve(pr, files=files))
    return tuple(out)


# --- Many repos ----------------------------------------------------------------------------------


def audit_repos(
    hub: Hub,
    wanted: Mapping[str, Sequence[str]],
    *,
    decided_by_main: Callable[[str, RepoState], bool],
    concurrency: int = 8,
    cache: AuditStore | None = None,
    progress: Progress = NO_PROGRESS,
    skip_audit: Iterable[str] = (),
    account: str | None = None,
) -> dict[str, RepoState]:
    """Audit every repo in `wanted` (lower-cased id → requested spellings), `concurrency` at once.

    `decided_by_main(key, state)` says whether main alone decides every desired entry of that
    repo (then its PRs are not listed). Returns states keyed like `wanted`.
    """
    skipped = set(skip_audit)
    keys = sorted(k for k in wanted if k not in skipped)
    head_bar = progress.task("Looking up model repos", total=len(keys))
    repo_bar = progress.task("Auditing model repos", total=len(keys))
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="audit") as pool:
        spellings = {k: sorted(wanted[k])[0] for k in keys}
        heads = learn_heads(hub, spellings.values(), executor=pool, tick=head_bar)
        budget = BudgetBars(hub, progress, repos=len(keys))

        def one(key: str) -> RepoState:
            state = audit_repo(
                hub,
                wanted[key],
                heads[key],
                decided_by_main=lambda s: decided_by_main(key, s),
                cache=cache,
                account=account,
            )
            repo_bar.advance()
            budget.update()
            return state

        states = dict(zip(keys, pool.map(one, keys), strict=True))
        budget.complete()
        return states


class BudgetBars:
    """One progress bar per limited quota bucket: the budget, the requests an audit of `repos`
    repos is expected to make (about one API request each: the PR listing), and the quota
    windows that takes. Shown once the first answers have said what the quota is."""

    def __init__(self, hub: Hub, progress: Progress, *, repos: int) -> None:
        self._pacer = hub.pacer
        self._lock = threading.Lock()
        self._bars: dict[str, tuple[ProgressTask, int]] = {}
        for view in self._pacer.views():
            expected = repos if view.bucket == "api" else 0
            windows = view.expected_windows(expected)
            if windows is None or expected == 0:
                continue
            label = f"Hub quota {view.describe()}; ≈{windows} more window(s) for {repos} repos"
            self._bars[view.bucket] = (progress.task(label, total=expected), view.sent)

    def update(self) -> None:
        if not self._bars:
            return
        with self._lock:
            for view in self._pacer.views():
                if view.bucket in self._bars:
                    bar, seen = self._bars[view.bucket]
                    if view.sent > seen:
                        bar.advance(view.sent - seen)
                        self._bars[view.bucket] = (bar, view.sent)

    def complete(self) -> None:
        for bar, _ in self._bars.values():
            bar.complete()
