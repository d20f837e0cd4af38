"""What an apply PR carries: its description, its entry list and the marker that identifies it.

Used by both halves of apply: `run` writes the description when it opens (or updates) a PR, and
`check` parses the marker back to find a PR an interrupted run already opened (never open a
second). The entry list (`hub/pr_record.py`) is what a later plan reads to know what the PR
held, even once it is closed.
"""

from __future__ import annotations

import hashlib

from eeesync import __version__
from eeesync.hub.pr_record import Marker, parse_markers, render_entry_list
from eeesync.hub.state import ListedEntry
from eeesync.plan.model import Plan, PlannedEntry, RepoPlan, Status
from eeesync.text import md_code, md_escape, md_link, short_sha

__all__ = [
    "Marker",
    "content_hash",
    "held_entries",
    "listed",
    "parse_markers",
    "pr_description",
    "short_sha",
]


def content_hash(repo: RepoPlan) -> str:
    """sha256 over the action's files (path + content sha256, sorted): the marker's content."""
    digest = hashlib.sha256()
    for change in sorted(repo.files, key=lambda f: f.path):
        file_sha = hashlib.sha256(change.content.encode("utf-8")).hexdigest()
        digest.update(f"{change.path}\0{file_sha}\n".encode())
    return digest.hexdigest()


def held_entries(repo: RepoPlan) -> list[PlannedEntry]:
    """The entries the action's PR holds once written: the new ones, and for an update of our
    open PR, the ones it keeps as they are."""
    return sorted(
        (
            e
            for e in repo.entries
            if e.status in (Status.READY, Status.UPDATE_PR)
            or (repo.fixes_main and e.status is Status.OUTDATED_ON_MAIN)
            or (
                repo.update_pr
                and e.status is Status.PENDING_PR
                and any(x.location == "pr" and x.pr_num == repo.update_pr for x in e.existing)
            )
        ),
        key=lambda e: (e.desired.file_path, e.desired.entry.key()),
    )


def listed(planned: PlannedEntry) -> ListedEntry:
    """A held entry as the description's machine-readable list records it."""
    d = planned.desired
    return ListedEntry(
        file_path=d.file_path,
        dataset_id=d.entry.dataset_id,
        task_id=d.entry.task_id,
        value=d.entry.value,
        notes=d.entry.notes,
        date=d.entry.date,
        source_url=d.entry.source_url,
        collection=d.provenance.collection if d.provenance else "",
        benchmark=d.benchmark,
    )


def pr_description(plan: Plan, repo: RepoPlan, *, contact: str = "") -> str:
    """The PR body: every entry the PR holds with its datastore source (and, when an alias sent
    it here, the id EEE records it under), what the author's choices do, who runs the sync,
    then the machine-readable entry list and the marker."""
    held = held_entries(repo)
    verb = "Holds" if repo.update_pr else "Adds or updates" if repo.fixes_main else "Adds"
    lines = [
        f"{verb} {len(held)} evaluation result(s) from the Every Eval Ever datastore "
        "as Community Evals entries. Entries already in these files are kept unchanged.",
        "",
        "| File | Dataset | Task | Value | Notes | Source |",
        "|---|---|---|---|---|---|",
    ]
    for planned in held:
        entry = planned.desired.entry
        source = entry.source_url or (
            planned.desired.provenance.source_url if planned.desired.provenance else ""
        )
        link = md_link("record", source) if source else ""
        if planned.desired.recorded_as:
            # An alias sent it here: name the record's own id so the owner can judge the identity.
            recorded = f"recorded in EEE as {md_escape(planned.desired.recorded_as)}"
            link = f"{link} · {recorded}" if link else recorded
        lines.append(
            f"| {md_code(planned.desired.file_path)} | {md_escape(entry.dataset_id)} "
            f"| {md_escape(entry.task_id)} | {entry.value:g} | {md_escape(entry.notes or '')} "
            f"| {link} |"
        )
    if any(e.desired.recorded_as for e in held):
        lines += [
            "",
            'Entries marked "recorded in EEE as …" are recorded under another model id and are '
            "published on this repo by a reviewed alias (model-aliases.toml): please check that "
            "they are results of this model.",
        ]
    lines += [
        "",
        "What your choices do: merging this PR publishes these scores on the model page. "
        "Closing it declines them for good: eeesync never proposes these entries on this repo "
        "again. Deleting a merged entry from main later is final too. While the PR is open, "
        "eeesync keeps it current: a corrected datastore record updates this PR (never a second "
        "one), and a record removed from the datastore is removed from it.",
    ]
    if contact:
        lines += ["", f"This sync is run by {md_escape(contact)}."]
    lines += [
        "",
        f"Files: {', '.join(md_code(f.path) for f in repo.files)}.",
        f"Opened by eeesync {__version__} from plan {md_code(plan.digest)} (datastore "
        f"{md_escape(plan.inputs.datastore_repo)}@{short_sha(plan.inputs.datastore_revision)}).",
        "",
        render_entry_list(listed(e) for e in held),
        Marker(plan.digest, repo.action_id, content_hash(repo)).render(),
    ]
    return "\n".join(lines) + "\n"


def withdraw_comment(repo: RepoPlan) -> str:
    """Why we close our own PR: every entry it held was withdrawn from the datastore."""
    gone = [e for e in repo.entries if e.status is Status.WITHDRAW]
    shown = ", ".join(
        f"{e.desired.entry.dataset_id} {e.desired.entry.task_id}"
        + (f" ({e.desired.entry.notes})" if e.desired.entry.notes else "")
        for e in gone[:10]
    )
    more = f" and {len(gone) - 10} more" if len(gone) > 10 else ""
    return (
        "Closing: the Every Eval Ever datastore no longer gives the results this PR added "
        f"({shown}{more}): the records were removed or corrected away, so there is nothing left "
        "to propose. Closed by eeesync, which opened it; this is not a decision of yours."
    )


#: How the Hub says a repo takes no PRs (discussions turned off by its owner).
_PRS_REFUSED = ("discussions are disabled", "pull requests are disabled")


def prs_refused(exc: BaseException) -> bool:
    """The Hub refused to open a PR because the repo takes none (a 403 saying so)."""
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return status == 403 and any(p in str(exc).lower() for p in _PRS_REFUSED)
