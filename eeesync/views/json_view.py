"""The plan as JSON, for `--json` and `eeesync show --format json`: machine output.

The plan has one schema, not two: this view prints exactly the plan file's text through the
converter in `plan/file.py` (format documented in docs/plan-format.md). With a status filter
it prints the same schema over the selected entries only; such a selection is a view, not a
plan: its counts describe the selection and its `digest` is still the whole plan's, so
`read_plan` refuses it and apply can never run a filtered view by mistake.
"""

from __future__ import annotations

from collections.abc import Collection

import attrs

from eeesync.plan import file as plan_file
from eeesync.plan.model import Counts, Plan, RepoPlan, Status
from eeesync.views.common import ViewOptions


def select_statuses(plan: Plan, statuses: Collection[Status], *, unmatched: bool = False) -> Plan:
    """The plan restricted to entries with these statuses (repos left empty are dropped).

    Files and the PR action belong to `ready` entries, so they go when `ready` is not selected;
    skipped records stay only when `skipped` is, unmatched groups only when `unmatched` is.
    """
    wanted = frozenset(statuses)
    repos: list[RepoPlan] = []
    for repo in plan.repos:
        entries = tuple(e for e in repo.entries if e.status in wanted)
        if not entries:
            continue
        if Status.READY in wanted:
            repos.append(attrs.evolve(repo, entries=entries))
        else:
            repos.append(attrs.evolve(repo, entries=entries, files=(), action_id=""))
    skipped = plan.skipped if Status.SKIPPED in wanted else ()
    groups = plan.unmatched if unmatched else ()
    return attrs.evolve(
        plan,
        repos=tuple(repos),
        skipped=skipped,
        unmatched=groups,
        counts=Counts.of(tuple(repos), skipped, groups),
    )


def render_json(plan: Plan, options: ViewOptions | None = None) -> str:
    """The plan file text; with `options.statuses`, the same schema over that selection.

    Apply progress is not part of the plan and is left out (the apply journal holds it).
    """
    if options is None or (options.statuses is None and not options.show_unmatched):
        return plan_file.serialize_plan(plan)
    statuses = options.statuses if options.statuses is not None else ()
    return plan_file.serialize_plan(
        select_statuses(plan, statuses, unmatched=options.show_unmatched)
    )
