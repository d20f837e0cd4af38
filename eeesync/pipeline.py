"""`eeesync plan`, driven: config → locator → datastore → registry → mapping → audit → diff → Plan.

Each stage is a plain function from its own module, set up from the config once
(`eeesync.stages.Stages`); this one only connects them (like Alembic's `produce_migrations`),
groups desired entries by model repo, runs the Hub audit with bounded concurrency while ticking
an `eeesync.progress.Progress`, and seals the result. It never prints: the caller renders.

Determinism: the same inputs and the same Hub state give the same plan, byte for byte apart from
`created_at` (sorted tuples everywhere, no wall-clock or machine-specific value in the content).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import os
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from fnmatch import fnmatchcase
from pathlib import Path

import attrs

from eeesync import __version__
from eeesync.cache import AuditJournal
from eeesync.config import Config
from eeesync.datastore import list_collections
from eeesync.datastore.locator import Locator
from eeesync.datastore.scan import DatastoreScan
from eeesync.errors import UserError
from eeesync.hub.audit import audit_repos, read_closings
from eeesync.hub.client import Hub
from eeesync.hub.identity import Identity, whoami
from eeesync.hub.pace import BudgetView
from eeesync.hub.state import ListedEntry, RepoState
from eeesync.hub.streaming import StreamingAudit
from eeesync.mapping import MappingResult, in_shard
from eeesync.nearest import nearest
from eeesync.parallel_map import map_scan
from eeesync.plan import file as plan_file
from eeesync.plan.diff import Policy, decided_by_main, diff_repo
from eeesync.plan.model import (
    FORMAT_VERSION,
    WRITE_DIRECT,
    WRITE_PR,
    Counts,
    DesiredEntry,
    Inputs,
    Plan,
    RepoPlan,
    SkippedItem,
    Status,
)
from eeesync.policy import load_policy
from eeesync.progress import NO_PROGRESS, Progress
from eeesync.registry import Registry
from eeesync.stages import Stages, configured_locator
from eeesync.trail import read_trail


@attrs.frozen
class PlanRequest:
    """What to plan, from the command line (the config supplies the rest)."""

    collections: tuple[str, ...] = ()  # empty: the config's collections
    all_collections: bool = False
    model_filter: str = ""  # glob on model ids ("" = all)
    benchmark_filter: tuple[str, ...] = ()  # registry keys ("" = all)
    force: bool = False  # ignore every cache
    shard: tuple[int, int] = (1, 1)  # --shard K/N: (K, N); (1, 1) = every model


@attrs.frozen
class BuildStats:
    """How the run went (for reports and benchmarks; never part of the plan)."""

    records: int
    repos_audited: int
    audit_cache_hits: int
    audit_cache_misses: int
    retries: int
    link_objects: int = 0  # datastore objects whose backlink was checked on the Hub
    link_requests: int = 0  # get_paths_info requests that checking cost
    #: The Hub's quota buckets as the run left them (requests sent, windows used, waits).
    budgets: tuple[BudgetView, ...] = ()
    #: Repos whose audit an interrupted run had already done (read from its journal).
    resumed: int = 0


@attrs.frozen
class BuildResult:
    plan: Plan
    stats: BuildStats


@contextmanager
def _closing(journal: AuditJournal) -> Iterator[None]:
    """Keep the journal of a run that stops early (an error, Ctrl-C): the next run resumes."""
    try:
        yield
    except BaseException:
        journal.close(completed=False)
        raise


def _run_id(
    config: Config, request: PlanRequest, scan: DatastoreScan, registry: Registry, hub: Hub
) -> str:
    """What makes two `plan` runs the same run (so the second may resume the first): the
    config, the datastore as read (index digests), the registry, the Hub and the request."""
    key = json.dumps(
        [
            config.digest(),
            [[i.collection, i.sha256] for i in scan.indexes],
            scan.locator.revision,
            registry.digest(),
            hub.endpoint,
            request.model_filter,
            sorted(request.benchmark_filter),
            list(request.shard),
        ]
    )
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def check_model_filter(pattern: str, mapped: MappingResult) -> None:
    """A `--model` glob that matched no model id of a record with a benchmark result is a
    mistake (a typo), not "nothing to open": a `UserError` naming the nearest ids."""
    if not pattern or mapped.filter_matched or not mapped.passed_over_ids:
        return  # it matched, or no record had a result for the chosen benchmarks anyway
    close = nearest(pattern, mapped.passed_over_ids)
    raise UserError(
        f"--model {pattern!r} matched no model id of the {mapped.filtered_out:,} records "
        "with a result for the chosen benchmarks",
        hint=f"Nearest model ids: {', '.join(close)}."
        if close
        else "Check the spelling (any letter case works; `*` matches any text).",
    )


def shard_label(shard: tuple[int, int]) -> str:
    """`K/N` as recorded in the plan ("" for the whole datastore)."""
    return "" if shard[1] <= 1 else f"{shard[0]}/{shard[1]}"


def _portable_input(config: Config, locator: Locator) -> str:
    """The datastore input as written, never as an absolute local path (plans go to git)."""
    text = config.datastore_input
    if locator.kind == "folder" and Path(text).expanduser().is_absolute():
        return os.path.relpath(Path(text).expanduser(), config.base_dir)
    return text


def _by_repo(entries: Sequence[DesiredEntry]) -> dict[str, list[DesiredEntry]]:
    grouped: dict[str, list[DesiredEntry]] = defaultdict(list)
    for entry in entries:
        grouped[entry.repo_id.lower()].append(entry)
    return grouped


def build_plan(
    config: Config,
    request: PlanRequest,
    *,
    hub: Hub,
    progress: Progress = NO_PROGRESS,
    now: Callable[[], dt.datetime] | None = None,
    overlap: bool = True,
) -> BuildResult:
    """Compute the whole plan. Raises only for what stops a run (bad locator, unknown
    collection, unreadable index, unusable registry); everything else is data in the plan.

    `overlap` (the default) audits each repo while the scan goes on (`hub/streaming.py`);
    False reads everything first, then audits: the same plan, for comparisons.
    """
    stages = Stages.build(config, hub=hub)
    if request.all_collections:
        collections: list[str] | None = None
    else:
        collections = list(request.collections or config.collections)
    # Streamed: records are mapped as they are read and never held together (the whole
    # datastore parsed is several GB; streamed, the run stays under 0.5 GB).
    scan = stages.scan(collections, force=request.force)
    registry, locator = stages.registry, stages.locator
    tasks = stages.task_check()
    policy = load_policy(config.opt_out_file, config.reconsider_file)
    trail = read_trail(config.plan_dir)
    # With a token the audit needs whose PRs are ours from the start; without one the Hub is
    # asked only after the scan (a local Hub's default account may still own repos).
    identity = whoami(hub) if hub.api.token else None
    account = plan_account(hub, identity)
    diff_policy = Policy(
        datastore_link_prefix=f"{hub.web_base.rstrip('/')}/datasets/{locator.repo_id}/blob/",
        update_main=config.update_main,
        reconsidered=policy.reconsidered,
        prs_disabled=trail.prs_disabled,
        committed=trail.committed,
    )
    audit_cache = stages.audit_cache(read=not request.force)
    journal = AuditJournal(
        config.cache_dir / "runs" / f"{_run_id(config, request, scan, registry, hub)}.jsonl",
        read=not request.force,
    )
    if journal.states:
        progress.note(f"Resuming an interrupted plan: {len(journal.states)} repos already audited")
    with (
        _closing(journal),
        StreamingAudit(
            hub,
            concurrency=config.parallelism,
            cache=audit_cache,
            progress=progress,
            journal=journal if overlap else None,
            account=account,
        ) as streaming,
    ):
        # Reading and auditing overlap: a repo's audit starts with its first mapped entry.
        mapped = map_scan(
            scan,
            registry,
            options=stages.mapping_options(
                benchmark_filter=request.benchmark_filter,
                model_filter=request.model_filter,
                shard=request.shard,
            ),
            tasks=tasks,
            on_repo=streaming.add if overlap else None,
            concurrency=config.download_parallelism,
            progress=progress,
        )
        check_model_filter(request.model_filter, mapped)
        # Only entries whose backlink resolves to the bytes mapped may become `ready`.
        links = stages.check_links(mapped.desired)

        desired = _by_repo(links.desired)
        conflicts: dict[str, list[tuple[DesiredEntry, ...]]] = defaultdict(list)
        for group in mapped.conflicts:
            conflicts[group[0].repo_id.lower()].append(tuple(group))

        wanted = {key: sorted({e.repo_id for e in entries}) for key, entries in desired.items()}
        # Repos the trail says we opened a PR on are audited even with nothing wanted (an entry
        # the datastore dropped is withdrawn from our PR); the opt-out list's are not audited.
        for key in sorted(trail.opened - wanted.keys()):
            if _in_request(key, request):
                wanted[key] = [key]
        opted_out = {key: why for key in wanted if (why := policy.opted_out(key))}
        wanted = {key: ids for key, ids in wanted.items() if key not in opted_out}

        def main_decides(key: str, state: RepoState) -> bool:
            return key not in trail.opened and decided_by_main(
                desired.get(key, ()),
                state,
                tolerance=config.tolerance,
                web_base=hub.web_base,
                policy=diff_policy,
            )

        if overlap:
            states = streaming.finish(wanted, decided_by_main=main_decides)
        else:
            states = audit_repos(
                hub,
                wanted,
                decided_by_main=main_decides,
                concurrency=config.parallelism,
                cache=audit_cache,
                progress=progress,
            )
    journal.close(completed=True)  # every repo is audited: the next plan audits afresh
    planned_collections = set(scan.collections)

    def in_scope(listed: ListedEntry) -> bool:
        """Entries of our PR this plan speaks for (never another collection's)."""
        return listed.collection in planned_collections and (
            not request.benchmark_filter or listed.benchmark in request.benchmark_filter
        )

    repos = _diff_all(
        desired,
        conflicts,
        states,
        config=config,
        web_base=hub.web_base,
        policy=diff_policy,
        in_scope=in_scope,
        opted_out=opted_out,
        closings=lambda state, nums: read_closings(hub, state, nums),
    )
    identity = identity or whoami(hub)
    repos = tuple(_writer(repo, identity, config.apply_mode) for repo in repos)

    skipped = tuple(sorted({*scan.skipped, *mapped.skipped, *links.skipped}, key=_skip_order))
    inputs = Inputs(
        config_digest=config.digest(),
        collections=scan.collections,
        datastore_input=_portable_input(config, locator),
        datastore_repo=locator.repo_id,
        datastore_revision=locator.revision,
        indexes=scan.indexes,
        registry_digest=registry.digest(),
        endpoint=hub.endpoint,
        model_filter=request.model_filter,
        benchmark_filter=tuple(sorted(request.benchmark_filter)),
        datastore_pinned_by=locator.pinned_by,
        alias_digest=stages.aliases.digest,
        shard=shard_label(request.shard),
        policy_digest=policy.digest,
        prs_unknown=account is None,
        account=identity.name if identity is not None else "",
    )
    clock = now or (lambda: dt.datetime.now(dt.UTC))
    plan = Plan(
        format_version=FORMAT_VERSION,
        tool_version=__version__,
        created_at=clock().replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        inputs=inputs,
        repos=repos,
        skipped=skipped,
        counts=Counts.of(repos, skipped, mapped.unmatched),
        unmatched=mapped.unmatched,
    )
    stats = BuildStats(
        records=mapped.records_seen,
        repos_audited=len(states),
        audit_cache_hits=audit_cache.hits,
        audit_cache_misses=audit_cache.misses,
        retries=hub.retries,
        link_objects=links.objects,
        link_requests=links.requests,
        budgets=hub.pacer.views(),
        resumed=len(streaming.resumed & states.keys()),
    )
    return BuildResult(plan_file.seal(plan), stats)


def _writer(repo: RepoPlan, identity: Identity | None, mode: str) -> RepoPlan:
    """Record whether the planning account owns the repo, and how apply writes it: one commit
    on main in `direct-when-owner` mode on an owned repo, a PR everywhere else."""
    owned = identity is not None and repo.preconditions is not None and identity.owns(repo.repo_id)
    # Only new writes: a commit to (or the close of) our open PR stays what it is.
    new = bool(repo.files) and not (repo.update_pr or repo.close_pr)
    direct = owned and mode == "direct-when-owner" and new
    return attrs.evolve(repo, owned=owned, write=WRITE_DIRECT if direct else WRITE_PR)


def _diff_all(
    desired: dict[str, list[DesiredEntry]],
    conflicts: dict[str, list[tuple[DesiredEntry, ...]]],
    states: dict[str, RepoState],
    *,
    config: Config,
    web_base: str,
    policy: Policy,
    in_scope: Callable[[ListedEntry], bool],
    opted_out: dict[str, str],
    closings: Callable[[RepoState, frozenset[int]], RepoState],
) -> tuple[RepoPlan, ...]:
    """One RepoPlan per model repo. Ids that lead to one canonical repo (a renamed repo the
    Hub redirects) are planned together, so a repo never gets two PRs from one plan.

    A repo with an entry `declined` by someone else's closed PR is planned again once
    `closings` has read who closed that PR and when (only those PRs: the rest cost nothing)."""
    canonical: dict[str, list[str]] = defaultdict(list)
    for key in sorted({*desired, *conflicts, *states, *opted_out}):
        state = states.get(key)
        target = state.repo_id.lower() if state is not None and state.exists else key
        canonical[target].append(key)
    repos = []
    for keys in canonical.values():
        entries = [e for k in keys for e in desired.get(k, ())]
        groups = [g for k in keys for g in conflicts.get(k, ())]
        state = next((states[k] for k in keys if k in states), None)
        if state is not None and len(keys) > 1:
            spellings = {s for k in keys if k in states for s in states[k].requested_ids}
            state = attrs.evolve(state, requested_ids=tuple(sorted(spellings)))
        plan_repo = functools.partial(
            diff_repo,
            entries,
            conflicts=groups,
            tolerance=config.tolerance,
            web_base=web_base,
            policy=policy,
            in_scope=in_scope,
            opted_out=next((opted_out[k] for k in keys if k in opted_out), ""),
        )
        repo = plan_repo(state)
        if state is not None and (nums := _unnamed_declines(repo, state)):
            repo = plan_repo(closings(state, nums))
        repos.append(repo)
    return tuple(sorted(repos, key=lambda r: (r.repo_id.lower(), r.repo_id)))


def _unnamed_declines(repo: RepoPlan, state: RepoState) -> frozenset[int]:
    """The closed PRs that decide a `declined` entry of `repo` without saying who closed them
    (others' PRs: the PR listing names no closer)."""
    deciding = {
        e.existing[0].pr_num for e in repo.entries if e.status is Status.DECLINED and e.existing
    }
    return frozenset(p.num for p in state.past_prs if p.num in deciding and not p.closed_by)


def _in_request(repo_key: str, request: PlanRequest) -> bool:
    """A repo of the trail that this plan's `--model` and `--shard` cover."""
    pattern = request.model_filter.lower()
    if pattern and not fnmatchcase(repo_key, pattern):
        return False
    return request.shard[1] <= 1 or in_shard(repo_key, *request.shard)


def plan_account(hub: Hub, identity: Identity | None) -> str | None:
    """Whose PRs are ours: the token's account (`whoami`). A plan without a token cannot tell
    (None): it treats no PR as ours, and apply, which has the token, re-checks before writing."""
    return identity.name if identity is not None and hub.api.token else None


def _skip_order(item: SkippedItem) -> tuple[str, int, str, str, str, str]:
    return (
        item.collection,
        item.line,
        item.object_path,
        item.model_id,
        item.benchmark,
        item.reason,
    )


def list_all_collections(config: Config, *, hub: Hub) -> list[str]:
    """The datastore's collection names (for `--all` messages and the no-collection hint)."""
    locator = configured_locator(config, hub=hub)
    return list_collections(locator, hub=hub)
