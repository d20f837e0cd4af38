"""What an apply PR carries: its description and the machine marker that identifies it.

Used by both halves of apply: `run` writes the description when it opens a PR, and `check`
parses the marker back to find a PR an interrupted run already opened (never open a second).
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import quote, unquote

import attrs

from eeesync import __version__
from eeesync.plan.model import Plan, RepoPlan, Status
from eeesync.text import md_code, md_escape, md_link, short_sha

_MARKER_RE = re.compile(
    r"<!-- eeesync:marker plan=(?P<plan>\S+) action=(?P<action>\S+) content=(?P<content>\S+) -->"
)


@attrs.frozen
class Marker:
    """The machine marker in a PR description: which plan, action and content opened it."""

    plan: str
    action: str
    content: str

    def render(self) -> str:
        # Quoted so an action id can never break the one-line comment or the regex.
        action = quote(self.action, safe="/:@._-+=")
        return f"<!-- eeesync:marker plan={self.plan} action={action} content={self.content} -->"


def parse_markers(text: str) -> list[Marker]:
    """Every eeesync marker in a PR description.

    Example:
        >>> parse_markers("text\\n<!-- eeesync:marker plan=sha256:ab action=pr:1 content=cd -->")
        [Marker(plan='sha256:ab', action='pr:1', content='cd')]
    """
    return [
        Marker(m.group("plan"), unquote(m.group("action")), m.group("content"))
        for m in _MARKER_RE.finditer(text)
    ]


def content_hash(repo: RepoPlan) -> str:
    """sha256 over the action's files (path + content sha256, sorted): the marker's content."""
    digest = hashlib.sha256()
    for change in sorted(repo.files, key=lambda f: f.path):
        file_sha = hashlib.sha256(change.content.encode("utf-8")).hexdigest()
        digest.update(f"{change.path}\0{file_sha}\n".encode())
    return digest.hexdigest()


def pr_description(plan: Plan, repo: RepoPlan) -> str:
    """The PR body: every entry added with its datastore source (and, when an alias sent it
    here, the id EEE records it under), then the machine marker. Every text that comes from a
    record or the plan file is escaped (`eeesync.text`): it can never add markdown of its own."""
    ready = [e for e in repo.entries if e.status is Status.READY]
    lines = [
        f"Adds {len(ready)} evaluation result(s) from the Every Eval Ever datastore "
        "as Community Evals entries. Entries already in these files are kept unchanged.",
        "",
        "| File | Dataset | Task | Value | Notes | Source |",
        "|---|---|---|---|---|---|",
    ]
    for planned in sorted(ready, key=lambda e: (e.desired.file_path, e.desired.entry.key())):
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
    if any(e.desired.recorded_as for e in ready):
        lines += [
            "",
            'Entries marked "recorded in EEE as …" are recorded under another model id and are '
            "published on this repo by a reviewed alias (model-aliases.toml): please check that "
            "they are results of this model.",
        ]
    lines += [
        "",
        f"Files: {', '.join(md_code(f.path) for f in repo.files)}.",
        f"Opened by eeesync {__version__} from plan {md_code(plan.digest)} (datastore "
        f"{md_escape(plan.inputs.datastore_repo)}@{short_sha(plan.inputs.datastore_revision)}).",
        "",
        Marker(plan.digest, repo.action_id, content_hash(repo)).render(),
    ]
    return "\n".join(lines) + "\n"
