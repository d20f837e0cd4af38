"""Apply an import plan: ONE pull request on the datastore repo with every new record.

Like `eeesync apply` of a sync plan, and reusing its parts: the plan is untrusted
(`check_import_plan` refuses, before any write, anything but records of the submission layout
whose bytes carry exactly the plan's `ready` entries for a benchmark of this registry); the Hub
facts it relied on are re-checked (`check_stale`: the datastore's main and our open import
PR); the journal beside the plan gets an `intent` line before the write, a `result` after it
and the run's `end` line (apply's own: finished, or pending when the write failed); the CLI
holds the plan's lock and asks for the typed confirmation.

The write is one commit: a new PR titled `[Submission] …` (EEE's contributing guide), or a
commit to our own open import PR (`datastore_pr.find_import_pr`), never a second PR. The
record paths are random UUIDs, so they identify this plan's write on the Hub: a rerun after a
crash finds them (`already_written`) and records the PR instead of writing again.

It is paced as apply's writes are (`hub/writes.py`): it waits its turn (`[apply]
max_writes_per_hour`), and after a failed try (a 429 waits out its `Retry-After`) it re-reads
the Hub, where the write may have landed, before trying again.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from eeesync import __version__
from eeesync.apply.journal import (
    Event,
    JournalRecord,
    JournalWriter,
    journal_path,
    now_iso,
    read_journal,
    redact,
)
from eeesync.apply.outcome import Outcome
from eeesync.apply.report import ActionResult
from eeesync.apply.run import DEFAULT_POST_ATTEMPTS, end_line, run_line
from eeesync.hub.client import Hub, classify, describe
from eeesync.hub.identity import whoami
from eeesync.hub.writes import WritePace, send, wait_to_retry
from eeesync.imports import datastore_pr
from eeesync.imports.records import check_path, check_record, fingerprints_of
from eeesync.plan.import_model import ImportEntry, ImportPlan, ImportStatus, RecordFile
from eeesync.registry import Registry
from eeesync.text import md_escape, md_link, md_table, plural, short_sha

#: The journal's action id for the one write of an import plan.
ACTION_ID = "import"


def _no_checkpoint(phase: str) -> None:
    """Production: nothing happens at a checkpoint."""


#: Called with "before_post" right before the write; a test replaces it to make a concurrent
#: run open its import PR in that window. Nothing in the shipped code path reads a test setting.
checkpoint: Callable[[str], None] = _no_checkpoint
_SHA = re.compile(r"^[0-9a-f]{40}$")


@attrs.frozen
class SubmitResult:
    """How the one write ended, in apply's outcome vocabulary: `opened` (a new PR), `updated`
    (a commit to our open import PR), `already_done` (the journal has it, or nothing to write),
    `adopted` (found written by an earlier try or run), `stale`, `failed`, `pending` (stopped
    while waiting for its turn: nothing written)."""

    state: Outcome
    pr_num: int | None = None
    pr_url: str = ""
    records: int = 0
    message: str = ""  # for people
    changes: tuple[str, ...] = ()  # stale: what moved

    @property
    def left(self) -> bool:
        """The write is left for a rerun."""
        return self.state in (Outcome.FAILED, Outcome.PENDING)

    def action_result(self, plan: ImportPlan) -> ActionResult:
        """The result as `eeesync apply --json` reports an action's (the datastore repo, the
        action id `import`)."""
        return ActionResult(
            repo_id=plan.inputs.datastore_repo,
            action_id=ACTION_ID,
            state=self.state,
            pr_num=self.pr_num,
            pr_url=self.pr_url or None,
            error=self.message if self.state is Outcome.FAILED else "",
            changes=self.changes,
        )


def content_hash(plan: ImportPlan) -> str:
    digest = hashlib.sha256()
    for record in sorted(plan.records, key=lambda r: r.path):
        digest.update(f"{record.path}\0{record.sha256}\n".encode())
    return digest.hexdigest()


# --- The untrusted plan -----------------------------------------------------------------------


def check_import_plan(plan: ImportPlan, registry: Registry) -> list[str]:
    """Every reason the plan's records may not be written ([] = they may)."""
    if plan.inputs.registry_digest != registry.digest():
        return ["the plan was made with another benchmark registry: re-run `eeesync import`"]
    datasets = {b.dataset_id.lower() for b in registry.benchmarks}
    ready = [e for e in plan.entries if e.status is ImportStatus.READY]
    by_path: dict[str, list[ImportEntry]] = defaultdict(list)
    for entry in ready:
        by_path[entry.record_path].append(entry)
    problems = []
    paths = [r.path for r in plan.records]
    if len(set(paths)) != len(paths):
        problems.append("two records share a path")
    if set(by_path) != set(paths):
        problems.append("the records are not exactly those of the plan's ready entries")
    for record in plan.records:
        problems += [f"{record.path}: {p}" for p in _check_one(record, by_path, datasets, plan)]
    return problems


def _check_one(
    record: RecordFile,
    by_path: dict[str, list[ImportEntry]],
    datasets: set[str],
    plan: ImportPlan,
) -> list[str]:
    """Why one record may not be written: its path, bytes, schema fields, and that it carries
    exactly its ready entries (model, fingerprints, dataset, task, value)."""
    why = check_path(record.path, plan.inputs.collection)
    if why:
        return [why]
    if hashlib.sha256(record.content.encode("utf-8")).hexdigest() != record.sha256:
        return ["its sha256 does not match its content"]
    try:
        data = json.loads(record.content, object_pairs_hook=_no_duplicates, parse_constant=_refuse)
    except ValueError as exc:
        return [f"not strict JSON: {exc}"]
    problems = check_record(data)
    if problems:
        return problems
    entries = by_path.get(record.path, [])
    model_ids = {e.hub.model_id for e in entries}
    developer, model = record.path.split("/")[2:4]
    if model_ids != {f"{developer}/{model}"} or data["model_info"]["id"] != f"{developer}/{model}":
        problems.append("its model is not the path's, or not its entries'")
    marks = {e.fingerprint for e in entries}
    if fingerprints_of(data) != marks or set(record.fingerprints) != marks:
        problems.append("its fingerprints are not those of its ready entries")
    results = data["evaluation_results"]
    wanted = sorted((e.hub.dataset_id.lower(), e.hub.task_id, float(e.hub.value)) for e in entries)
    found = sorted(
        (
            str(r["source_data"].get("hf_repo", "")).lower(),
            r["evaluation_name"],
            float(r["score_details"]["score"]),
        )
        for r in results
    )
    if found != wanted:
        problems.append("its results are not its entries' dataset, task and value")
    for dataset, _, value in found:
        if dataset not in datasets:
            problems.append(f"{dataset} is not a benchmark of the registry")
        if not 0.0 <= value <= 100.0:
            problems.append(f"score {value} is outside 0–100")
    return problems


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("duplicate key")
    return dict(pairs)


def _refuse(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


# --- The Hub facts the plan relied on --------------------------------------------------------


def check_stale(hub: Hub, plan: ImportPlan) -> list[str]:
    """What moved on the Hub since the plan (the datastore's main, our open import PR)."""
    inputs = plan.inputs
    changes = []
    if _SHA.match(inputs.datastore_revision):
        info = hub.dataset_info(inputs.datastore_repo)
        if info.sha != inputs.datastore_revision:
            moved = f"{inputs.datastore_revision[:7]} → {str(info.sha)[:7]}"
            changes.append(f"the datastore's main moved ({moved})")
    now = datastore_pr.find_import_pr(hub, inputs.datastore_repo, inputs.collection)
    if (now.num if now else 0) != inputs.import_pr:
        was = f"#{inputs.import_pr}" if inputs.import_pr else "none"
        changes.append(f"our open import PR changed ({was} → {f'#{now.num}' if now else 'none'})")
    elif now is not None and now.head != inputs.import_pr_head:
        changes.append(f"our import PR #{now.num} has new commits")
    return changes


def already_written(hub: Hub, plan: ImportPlan) -> datastore_pr.ImportPR | None:
    """Our open import PR when it already holds this plan's records (an earlier run wrote them)."""
    inputs = plan.inputs
    pr = datastore_pr.find_import_pr(hub, inputs.datastore_repo, inputs.collection)
    if pr is None or not pr.head:
        return None
    paths = {r.path for r in plan.records}
    listed = hub.list_repo_tree(
        inputs.datastore_repo,
        f"data/{inputs.collection}",
        recursive=True,
        revision=pr.head,
        repo_type="dataset",
    )
    return pr if paths <= {item.path for item in listed} else None


# --- The write -------------------------------------------------------------------------------


def description(plan: ImportPlan, message: str) -> str:
    """The PR body: the typed message, what the records are, one row per score, a marker."""
    ready = [e for e in plan.entries if e.status is ImportStatus.READY]
    lines = [
        md_escape(message),
        "",
        f"Adds {plural(len(plan.records), 'EEE record')} (schema 0.3.0) with "
        f"{plural(len(ready), 'score')} posted on Hugging Face model pages as Community Evals "
        f"results, written by eeesync {__version__} (`eeesync import`). Each record links the "
        "Hub file at its commit; `source_type` is `documentation`.",
        "",
    ]
    rows = [
        [
            md_escape(e.hub.model_id),
            md_escape(e.hub.benchmark),
            md_escape(e.hub.task_id),
            f"{e.hub.value:g}",
            md_escape(e.hub.notes),
            e.hub.badge + (", verified" if e.hub.verified else ""),
            md_link(short_sha(e.hub.commit) or "file", e.hub.file_url),
        ]
        for e in ready
    ]
    headers = ("Model", "Benchmark", "Task", "Value", "Notes", "Badge", "Hub file")
    lines += md_table(headers, rows, align="lllr")
    lines += ["", f"<!-- eeesync-import plan={plan.digest} content={content_hash(plan)} -->"]
    return "\n".join(lines) + "\n"


def submit(
    hub: Hub,
    plan: ImportPlan,
    plan_path: Path,
    *,
    message: str,
    pace: WritePace | None = None,
    stop: threading.Event | None = None,
) -> SubmitResult:
    """Write the records (call only after the user approved) in the write turns of `pace`
    (the default: no hourly cap). Journals the write and ends the run with an `end` line as a
    sync plan's apply does (pending when the write failed, was stopped or interrupted, else
    finished); a rerun of a done plan writes nothing, and one interrupted after its intent line
    first looks for its records on the Hub."""
    if not plan.records:
        return SubmitResult(Outcome.ALREADY_DONE, message="no new record to write")
    lines = [
        r
        for r in read_journal(journal_path(plan_path))
        if r.plan_digest == plan.digest and r.action_id == ACTION_ID
    ]
    # The Hub account that writes (journals are committed: never the machine's login).
    actor = identity.name if (identity := whoami(hub)) is not None else "unknown"
    with JournalWriter(journal_path(plan_path)) as journal:
        journal.append(run_line(plan.digest, actor, message))
        try:
            result = _submit(
                hub,
                plan,
                lines,
                journal,
                actor,
                message,
                pace or WritePace(),
                stop or threading.Event(),
            )
        except KeyboardInterrupt:
            journal.append(end_line(plan.digest, actor, 1))
            raise
        journal.append(end_line(plan.digest, actor, int(result.left)))
        return result


def _submit(
    hub: Hub,
    plan: ImportPlan,
    lines: list[JournalRecord],
    journal: JournalWriter,
    actor: str,
    message: str,
    pace: WritePace,
    stop: threading.Event,
) -> SubmitResult:
    inputs = plan.inputs
    done = next((r for r in lines if r.outcome is not None and r.outcome.info.final), None)
    if done is not None:
        return SubmitResult(
            Outcome.ALREADY_DONE,
            done.pr_num,
            done.pr_url or "",
            len(plan.records),
            "applied before",
        )
    base: dict[str, Any] = {
        "plan_digest": plan.digest,
        "actor": actor,
        "action_id": ACTION_ID,
        "repo_id": inputs.datastore_repo,
        "content_sha256": content_hash(plan),
    }

    def record(event: Event, **fields: Any) -> None:
        journal.append(JournalRecord(event=event, ts=now_iso(), **base, **fields))

    # An interrupted run's write, or a failed try's, may have landed: look for it first.
    look = bool(lines) and lines[-1].event is Event.INTENT
    attempt = 0
    while True:
        found = already_written(hub, plan) if look else None
        if found is not None:
            url = _pr_url(hub, inputs.datastore_repo, found.num)
            record(Event.RESULT, outcome=Outcome.ADOPTED, pr_num=found.num, pr_url=url)
            return SubmitResult(Outcome.ADOPTED, found.num, url, len(plan.records), "found written")
        changes = check_stale(hub, plan)
        if changes:
            record(Event.SKIP, outcome=Outcome.STALE, changes=tuple(changes))
            return SubmitResult(
                Outcome.STALE,
                message="; ".join(changes) + "; nothing was written",
                changes=tuple(changes),
            )
        if not pace.turn(stop):  # before the intent: a stopped wait wrote nothing
            return SubmitResult(Outcome.PENDING, message="stopped before writing")
        attempt += 1
        record(Event.INTENT, attempt=attempt)
        checkpoint("before_post")
        try:
            result = _write(hub, plan, message)
        except Exception as exc:
            if classify(exc) is None and not isinstance(exc, OSError):
                raise
            error = describe(exc)
            record(Event.RESULT, attempt=attempt, outcome=Outcome.FAILED, error=redact(error))
            retry = wait_to_retry(
                pace, stop, exc, attempt=attempt, attempts=DEFAULT_POST_ATTEMPTS, policy=hub.retry
            )
            if not retry:
                return SubmitResult(Outcome.FAILED, message=error)
            look = True
            continue
        if result.state is Outcome.OPENED and result.pr_num is not None:
            result = _keep_the_lowest(hub, plan, result, pace, stop)
        record(
            Event.RESULT,
            attempt=attempt,
            outcome=result.state,
            pr_num=result.pr_num,
            pr_url=result.pr_url or None,
        )
        return result


def _write(hub: Hub, plan: ImportPlan, message: str) -> SubmitResult:
    """The one commit (raises what the Hub answered when it fails)."""
    inputs = plan.inputs
    files = {r.path: r.content.encode("utf-8") for r in plan.records}
    ready = [e for e in plan.entries if e.status is ImportStatus.READY]
    models = len({e.hub.model_id.lower() for e in ready})
    if inputs.import_pr:
        hub.commit_to_pull_request(
            inputs.datastore_repo,
            inputs.import_pr,
            files,
            message=message,
            description=description(plan, message),
            parent_commit=inputs.import_pr_head or None,
            repo_type="dataset",
        )
        url = _pr_url(hub, inputs.datastore_repo, inputs.import_pr)
        return SubmitResult(Outcome.UPDATED, inputs.import_pr, url, len(plan.records))
    info = hub.open_pull_request(
        inputs.datastore_repo,
        files,
        title=datastore_pr.pr_title(inputs.collection, models, len(ready)),
        description=description(plan, message),
        parent_commit=inputs.datastore_revision if _SHA.match(inputs.datastore_revision) else None,
        repo_type="dataset",
    )
    num = info.pr_num
    url = _pr_url(hub, inputs.datastore_repo, num) if num is not None else ""
    return SubmitResult(Outcome.OPENED, num, url, len(plan.records))


def _keep_the_lowest(
    hub: Hub, plan: ImportPlan, opened: SubmitResult, pace: WritePace, stop: threading.Event
) -> SubmitResult:
    """After opening PR #n: when another run of ours opened an import PR for this collection
    at the same time, the lowest-numbered one is kept (every run applies the same rule) and
    ours is closed with a comment naming it; a new `eeesync import` then adds what it lacks."""
    inputs = plan.inputs
    assert opened.pr_num is not None
    lowest = datastore_pr.find_import_pr(hub, inputs.datastore_repo, inputs.collection)
    if lowest is None or lowest.num >= opened.pr_num:
        return opened
    send(
        pace,
        stop,
        hub.close_pull_request,
        inputs.datastore_repo,
        opened.pr_num,
        comment=f"Opened at the same time as #{lowest.num}, which is kept (one import PR per "
        f"collection). Re-run `eeesync import`: it adds to #{lowest.num} what it lacks.",
        repo_type="dataset",
    )
    said = (
        f"our import PR #{lowest.num} was opened at the same time; this run's "
        f"#{opened.pr_num} was closed in its favour"
    )
    return SubmitResult(Outcome.STALE, opened.pr_num, opened.pr_url, message=said, changes=(said,))


def _pr_url(hub: Hub, repo_id: str, num: int) -> str:
    return f"{hub.pr_base or hub.web_base}/datasets/{repo_id}/discussions/{num}"
