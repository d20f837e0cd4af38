"""Apply: open exactly the PRs a reviewed plan holds, journaled, locked and resumable.

`preview` re-checks every action read-only (`check` for one repo), `run` opens one PR per
repo (its description and marker from `pull_request`) and returns a `report`; `journal` is
the append-only audit trail beside the plan, `lock` keeps two applies of one plan apart.
"""

from eeesync.apply.check import FoundPR, RepoCheck, check_repo
from eeesync.apply.journal import journal_path, progress, read_journal
from eeesync.apply.lock import acquire_lock, force_unlock
from eeesync.apply.outcome import OUTCOME_TABLE, Outcome, OutcomeInfo
from eeesync.apply.preview import (
    DEFAULT_PARALLELISM,
    Preview,
    check_endpoint,
    check_publishable,
    hub_unreachable,
    prepare_apply,
    refresh_command,
)
from eeesync.apply.pull_request import Marker, content_hash, parse_markers, pr_description
from eeesync.apply.report import ActionResult, ApplyEvent, ApplyReport
from eeesync.apply.run import CONFIRM_PHRASE, ApplyOptions, apply_plan

__all__ = [
    "CONFIRM_PHRASE",
    "DEFAULT_PARALLELISM",
    "OUTCOME_TABLE",
    "ActionResult",
    "ApplyEvent",
    "ApplyOptions",
    "ApplyReport",
    "FoundPR",
    "Marker",
    "Outcome",
    "OutcomeInfo",
    "Preview",
    "RepoCheck",
    "acquire_lock",
    "apply_plan",
    "check_endpoint",
    "check_publishable",
    "check_repo",
    "content_hash",
    "force_unlock",
    "hub_unreachable",
    "journal_path",
    "parse_markers",
    "pr_description",
    "prepare_apply",
    "progress",
    "read_journal",
    "refresh_command",
]
