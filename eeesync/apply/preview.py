"""The read-only half of apply: fold the journal, re-check every open action → `Preview`.

`prepare_apply` writes nothing; the CLI shows its `Preview` and asks for `OPEN PRS` before
`run.apply_plan` writes anything. Also the checks that refuse a plan before any Hub read.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import attrs

from eeesync.apply.check import CheckContext, RepoCheck, check_repo
from eeesync.apply.journal import journal_path, read_journal, summarize
from eeesync.apply.outcome import Outcome
from eeesync.errors import PlanFileError
from eeesync.hub.client import Hub, is_rehearsal_endpoint
from eeesync.plan.model import Plan, RepoPlan
from eeesync.registry import Registry

DEFAULT_PARALLELISM = 4


@attrs.frozen
class Preview:
    """Everything apply knows before asking for confirmation. Nothing has been written."""

    plan: Plan
    plan_path: Path
    checks: tuple[RepoCheck, ...]  # one per PR action, in plan order
    context: CheckContext  # the token's account and what the plan may write

    def in_state(self, state: Outcome) -> list[RepoCheck]:
        return [c for c in self.checks if c.state is state]

    @property
    def to_open(self) -> list[RepoCheck]:
        return self.in_state(Outcome.PENDING)

    @property
    def needs_approval(self) -> bool:
        """Something would be written: a PR opened, or a found PR recorded in the journal."""
        return bool(self.to_open or self.in_state(Outcome.ADOPTED) or self.in_state(Outcome.IN_PR))


def action_repos(plan: Plan) -> list[RepoPlan]:
    """The repos that open a PR, in plan order (a repo's position is its crash-test index)."""
    return [repo for repo in plan.repos if repo.opens_pr]


def prepare_apply(
    hub: Hub,
    plan: Plan,
    plan_path: Path,
    *,
    registry: Registry,
    parallelism: int = DEFAULT_PARALLELISM,
) -> Preview:
    """Fold the journal and re-check every PR action that is not done yet. Writes nothing.

    `registry` is the configured benchmark registry (`stages.configured_registry`); a plan
    made with another one is refused, since its entries can only be checked against their own.
    """
    check_registry(plan, registry)
    summaries = summarize(read_journal(journal_path(plan_path)), plan.digest)
    context = CheckContext.for_plan(hub, plan, registry)

    def check(index: int, repo: RepoPlan) -> RepoCheck:
        summary = summaries.get(repo.action_id)
        if summary is not None and summary.state.info.final:
            return RepoCheck(repo, index, Outcome.ALREADY_DONE, journal=summary)
        return check_repo(hub, plan, repo, index=index, journal=summary, context=context)

    repos = action_repos(plan)
    with ThreadPoolExecutor(max_workers=parallelism) as pool:
        checks = tuple(pool.map(check, range(len(repos)), repos))
    return Preview(plan, plan_path, checks, context)


def check_registry(plan: Plan, registry: Registry) -> None:
    """Refuse a plan made with other benchmark definitions than the configured ones."""
    if plan.inputs.registry_digest != registry.digest():
        raise PlanFileError(
            f"the plan was made with benchmark registry {plan.inputs.registry_digest[:19]}…, "
            f"but the configured benchmarks are {registry.digest()[:19]}…: its entries "
            "cannot be checked against the registry it names",
            hint=(
                "Apply with the same eeesync version and [benchmarks] config it was planned "
                "with, or run `eeesync plan` again."
            ),
        )


def hub_unreachable(preview: Preview) -> bool:
    """Every check failed on the network: the Hub is down, not the repos."""
    checked = [c for c in preview.checks if c.state is not Outcome.ALREADY_DONE]
    return bool(checked) and all(c.network_error for c in checked)


def check_endpoint(plan: Plan, endpoint: str, *, source: str = "plan") -> None:
    """Refuse a plan made for another Hub than the configured one."""
    if plan.inputs.endpoint.rstrip("/") != endpoint.rstrip("/"):
        raise PlanFileError(
            f"{source} was made for the Hub at {plan.inputs.endpoint}, but the configured "
            f"endpoint is {endpoint}",
            hint=(
                "Apply it with the same [hub] endpoint (or HF_ENDPOINT) it was planned with, "
                "or run `eeesync plan` against this endpoint."
            ),
        )


def check_publishable(plan: Plan, endpoint: str, *, source: str = "plan") -> None:
    """Refuse to publish to the real Hub backlinks that name no commit (an unpinned folder's
    `folder-<hex>` digest): every EvalEval badge would be a dead link. A rehearsal Hub
    (`local:`, loopback) may take them."""
    revision = plan.inputs.datastore_revision
    if not plan.has_changes or is_rehearsal_endpoint(endpoint) or _SHA.fullmatch(revision):
        return
    raise PlanFileError(
        f"{source} links to {plan.inputs.datastore_repo} at {revision}, which is no commit on "
        f"the Hub: its source links would not resolve, so it is not published to {endpoint}",
        hint=(
            "Pin the datastore folder (hf download --local-dir, a git checkout, or "
            '[datastore] link_revision = "<commit sha>") and run `eeesync plan` again.'
        ),
    )


_SHA = re.compile(r"[0-9a-f]{40}")


def refresh_command(plan: Plan) -> str:
    """The `eeesync plan …` command that recomputes this plan from fresh Hub state."""
    parts = ["eeesync", "plan", *plan.inputs.collections]
    if plan.inputs.model_filter:
        parts += ["--model", _shell_quote(plan.inputs.model_filter)]
    for key in plan.inputs.benchmark_filter:
        parts += ["--benchmark", _shell_quote(key)]
    if plan.inputs.shard:
        parts += ["--shard", plan.inputs.shard]
    return " ".join(parts)


def _shell_quote(value: str) -> str:
    return value if re.fullmatch(r"[A-Za-z0-9_./:@=+-]+", value) else "'" + value + "'"
