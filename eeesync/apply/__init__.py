"""Apply: open exactly the PRs a reviewed plan holds, journaled, locked and resumable.

`run` re-checks each repo and opens one PR per repo, `journal` is the append-only audit trail
beside the plan, `lock` keeps two applies of one plan apart.
"""

from eeesync.apply.journal import ActionState, journal_path, progress, read_journal
from eeesync.apply.lock import acquire_lock, force_unlock
from eeesync.apply.run import (
    CONFIRM_PHRASE,
    ApplyOptions,
    ApplyReport,
    Preview,
    apply_plan,
    prepare_apply,
)

__all__ = [
    "CONFIRM_PHRASE",
    "ActionState",
    "ApplyOptions",
    "ApplyReport",
    "Preview",
    "acquire_lock",
    "apply_plan",
    "force_unlock",
    "journal_path",
    "prepare_apply",
    "progress",
    "read_journal",
]
