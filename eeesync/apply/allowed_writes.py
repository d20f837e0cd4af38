"""What a plan may write: apply's own check of every file before anything is sent. Pure.

The plan digest is a checksum, not a signature: anyone who can edit a plan file can recompute
it. So apply never trusts a plan's content because its digest matches; it re-derives what an
honest `eeesync plan` could have produced and refuses (per repo, before any write) anything
else:

- a path outside `.eval_results/NAME.yaml` (no folders below it, no traversal);
- content that does not read back as a YAML list whose new items are valid Community Evals
  entries (huggingface_hub's `parse_eval_result_entries`, re-serialised byte-identically);
- a new entry whose value is outside 0–100, whose `source.url` is not a file of the plan's
  pinned datastore revision, or whose dataset/task is not in the plan's benchmark registry;
- new entries other than the plan's `ready` entries for that file (for an update of our open
  PR: the entries it keeps or changes, or none where the file goes back to main's);
- a kept part that differs from the Hub's file on main: the content must be exactly what the
  merge step makes of main's bytes plus the new entries (`kept_problem`, once main is read).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from urllib.parse import quote

import attrs
import yaml
from huggingface_hub import parse_eval_result_entries

from eeesync.apply.pull_request import held_entries
from eeesync.hub import safe_yaml
from eeesync.plan.diff import outdated_pick
from eeesync.plan.merge import MergeError, entries_to_items, merge, update_in_place
from eeesync.plan.model import EvalEntry, FileChange, Plan, RepoPlan, Status
from eeesync.registry import Registry

#: `.eval_results/` plus one file name as the registry allows them (no folders, no dot files).
_PATH_RE = re.compile(r"^\.eval_results/[A-Za-z0-9][A-Za-z0-9._-]{0,95}\.ya?ml$")
#: A datastore object path inside the pinned revision: plain segments, no traversal; a flat
#: object, or a submission-layout record `data/<collection>/<developer>/<model>/<name>.json`
#: (its segments URL-quoted as the mapping links them, none starting with a dot).
_SEGMENT = r"(?:[A-Za-z0-9_~-]|%[0-9A-F]{2})(?:[A-Za-z0-9._~-]|%[0-9A-F]{2})*"
_OBJECT_RE = re.compile(
    r"^(?:flat/objects/(?:[A-Za-z0-9_-][A-Za-z0-9._-]*/)*[A-Za-z0-9._-]+"
    rf"|data/{_SEGMENT}/{_SEGMENT}/{_SEGMENT}/{_SEGMENT})\.json$"
)
#: Larger than any file a plan writes (the audit caps what it reads from the Hub anyway).
MAX_CONTENT_BYTES = 8 * 1024 * 1024
_ITEM_KEYS = frozenset({"dataset", "value", "date", "source", "notes"})
_DATASET_KEYS = frozenset({"id", "task_id"})
_SOURCE_KEYS = frozenset({"url", "name"})


@attrs.frozen
class Allowed:
    """What new entries of one plan may name: registry pairs and datastore link prefixes."""

    pairs: frozenset[tuple[str, str]]  # (dataset id lower-cased, task id)
    source_prefixes: tuple[str, ...]


def allowed_for(plan: Plan, registry: Registry, web_bases: Iterable[str]) -> Allowed:
    """The registry's (dataset, task) pairs and the plan's pinned datastore link prefixes."""
    pairs = frozenset(
        (b.dataset_id.lower(), task) for b in registry.benchmarks for task in b.task_ids()
    )
    repo = quote(plan.inputs.datastore_repo, safe="/")
    revision = quote(plan.inputs.datastore_revision, safe="")
    prefixes = tuple(
        dict.fromkeys(
            f"{base.rstrip('/')}/datasets/{repo}/blob/{revision}/" for base in web_bases if base
        )
    )
    return Allowed(pairs, prefixes)


def plan_problem(repo: RepoPlan, allowed: Allowed) -> str | None:
    """Why apply must not write this repo's files (None: they are what a plan may hold).

    Needs no Hub read; the kept part is checked by `kept_problem` once main's file is read.
    """
    if not repo.action_id:
        return "the action has no id"
    paths = [f.path for f in repo.files]
    if len(set(paths)) != len(paths):
        return "the plan writes the same file twice"
    if not repo.update_pr and (repo.delete_paths or repo.close_pr):
        return "only an update of our open PR deletes files or closes a PR"
    if repo.close_pr and (repo.files or repo.delete_paths):
        return "an action that closes our PR writes nothing"
    for path in repo.delete_paths:
        if not _PATH_RE.match(path) or path in paths:
            return f"{path!r} is not a file an update may delete"
    # What the PR holds once written: the ready entries, and for an update of our open PR the
    # entries it keeps or changes (every one a datastore entry of this plan).
    ready: dict[str, list[EvalEntry]] = {}
    for planned in held_entries(repo):
        if planned.status is not Status.OUTDATED_ON_MAIN:  # updated in place, not appended
            ready.setdefault(planned.desired.file_path, []).append(planned.desired.entry)
    for change in repo.files:
        problem = _file_problem(
            change,
            ready.get(change.path, []),
            allowed,
            reverts=bool(repo.update_pr or repo.fixes_main),
        )
        if problem is not None:
            return problem
    if repo.fixes_main:
        for planned in repo.entries:
            if planned.status is Status.OUTDATED_ON_MAIN:
                entry = planned.desired.entry
                problem = _entry_problem(entry, allowed)
                if problem is not None:
                    return f"update of {entry.dataset_id} {entry.task_id} on main: {problem}"
    if unwritten := sorted(set(ready) - set(paths)):
        return f"ready entries for {unwritten[0]} but no such file in the plan"
    return None


def kept_problem(
    change: FileChange,
    main_text: str | None,
    fix: Callable[[int, Any], EvalEntry | None] | None = None,
) -> str | None:
    """Why `change` is not main's file plus its new entries exactly as merge makes it (`fix`:
    after main's outdated entries were updated in place, `[policy] update_main`)."""
    if fix is not None and main_text is not None:
        try:
            main_text = update_in_place(main_text, fix)
        except MergeError as exc:
            return f"{change.path}: {exc}"
    if change.added == 0:
        if main_text is not None and change.content == main_text:
            return None
        return f"{change.path}: a file with no entry of ours must be main's file as it is"
    try:
        items = _load_items(change.content)
        new = [_to_entry(item) for item in items[len(items) - change.added :]]
        merged = merge(main_text, new)
    except (ValueError, MergeError) as exc:
        return f"{change.path}: {exc}"
    if merged.content != change.content:
        what = "the file on main" if main_text is not None else "a new file"
        return (
            f"{change.path}: the part kept from {what} is not the Hub's bytes "
            "(the content is not what merging the new entries would produce)"
        )
    if change.added_span is not None and tuple(change.added_span) != merged.added_span:
        # Only for people (views mark those lines), but a reviewer must see the real ones.
        return f"{change.path}: added_span does not mark the added entries"
    return None


def held_items(change: FileChange, data: bytes) -> bool:
    """Whether a file's bytes (another PR's, untrusted) hold every item `change` adds."""
    if len(data) > MAX_CONTENT_BYTES:
        return False
    try:
        ours = _load_items(change.content)
        theirs = _load_items(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return False
    # Comparing our small dicts with theirs costs at most our size, whatever theirs holds.
    return all(item in theirs for item in ours[len(ours) - change.added :])


# --- One file ------------------------------------------------------------------------------------


def _file_problem(
    change: FileChange, ready: Sequence[EvalEntry], allowed: Allowed, *, reverts: bool = False
) -> str | None:
    """`reverts`: an update of our open PR may set a file back to main's (nothing added)."""
    path = change.path
    if not _PATH_RE.match(path):
        return f"{path!r} is not a file a plan may write (only .eval_results/NAME.yaml)"
    data = change.content.encode("utf-8")
    if len(data) > MAX_CONTENT_BYTES:
        return f"{path}: {len(data)} bytes is more than a plan may write ({MAX_CONTENT_BYTES})"
    if hashlib.sha256(data).hexdigest() != change.sha256:
        return f"{path}: content does not match its sha256 in the plan"
    try:
        items = _load_items(change.content)
    except ValueError as exc:
        return f"{path}: {exc}"
    if reverts and change.added == 0 and not ready:
        return None  # main's file as it is: `kept_problem` compares it with main's bytes
    if not 1 <= change.added <= len(items):
        return (
            f"{path}: the plan says {change.added} entries are added, "
            f"the content holds {len(items)}"
        )
    new: list[EvalEntry] = []
    for number, item in enumerate(items[len(items) - change.added :], start=1):
        try:
            entry = _to_entry(item)
        except ValueError as exc:
            return f"{path}: new entry {number}: {exc}"
        problem = _entry_problem(entry, allowed)
        if problem is not None:
            return f"{path}: new entry {number} ({entry.dataset_id} {entry.task_id}): {problem}"
        new.append(entry)
    if Counter(map(_identity, new)) != Counter(map(_identity, ready)):
        return f"{path}: the new entries are not the plan's ready entries for this file"
    return None


def _load_items(text: str) -> list[Any]:
    try:
        # The bounded loader (depth, aliases, size): a plan file and a PR's file are untrusted.
        data = safe_yaml.load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"not valid YAML: {' '.join(str(exc).split())}") from exc
    if not isinstance(data, list):
        raise ValueError("not a YAML list of entries")
    return data


def _to_entry(item: Any) -> EvalEntry:
    """A new item as our `EvalEntry`, if it is exactly what merge would write for one."""
    if not isinstance(item, dict) or not set(item) <= _ITEM_KEYS:
        raise ValueError("not a Community Evals entry (unexpected keys)")
    dataset, source = item.get("dataset"), item.get("source")
    if not isinstance(dataset, dict) or not set(dataset) <= _DATASET_KEYS:
        raise ValueError("`dataset` must hold only `id` and `task_id`")
    if source is not None and (not isinstance(source, dict) or not set(source) <= _SOURCE_KEYS):
        raise ValueError("`source` must hold only `url` and `name`")
    try:
        (parsed,) = parse_eval_result_entries([item])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValueError(
            f"not a valid Community Evals entry ({type(exc).__name__}: {exc})"
        ) from exc
    value = parsed.value
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"value {value!r} is not a finite number")
    for name in ("dataset_id", "task_id", "source_url"):
        if not isinstance(getattr(parsed, name), str) or not getattr(parsed, name):
            raise ValueError(f"{name} must be a non-empty string")
    for name in ("date", "source_name", "notes"):
        if getattr(parsed, name) is not None and not isinstance(getattr(parsed, name), str):
            raise ValueError(f"{name} must be a string")
    entry = EvalEntry(
        dataset_id=parsed.dataset_id,
        task_id=parsed.task_id,
        value=float(value),
        date=parsed.date,
        source_url=parsed.source_url,
        source_name=parsed.source_name,
        notes=parsed.notes,
    )
    if entries_to_items([entry]) != [item]:
        raise ValueError("not in the form eeesync writes entries")
    return entry


def _entry_problem(entry: EvalEntry, allowed: Allowed) -> str | None:
    if not 0.0 <= entry.value <= 100.0:
        return f"value {entry.value:g} is outside 0–100"
    if (entry.dataset_id.lower(), entry.task_id) not in allowed.pairs:
        return "dataset/task is not in the plan's benchmark registry"
    url = entry.source_url or ""
    prefix = next((p for p in allowed.source_prefixes if url.startswith(p)), None)
    if prefix is None or not _OBJECT_RE.match(url[len(prefix) :]) or "/../" in url:
        return f"source link {url!r} is not a file of the plan's pinned datastore revision"
    return None


def _identity(entry: EvalEntry) -> tuple[Any, ...]:
    return attrs.astuple(entry)


def main_fix(repo: RepoPlan, allowed: Allowed) -> Callable[[int, Any], EvalEntry | None] | None:
    """The in-place update a `fixes_main` action makes of main's files (None: it makes none):
    each outdated entry, on the main item with its dataset, task and notes that links into the
    plan's datastore."""
    if not repo.fixes_main:
        return None
    roots = tuple({p.split("/blob/", 1)[0] + "/blob/" for p in allowed.source_prefixes})
    outdated = [p.desired for p in repo.entries if p.status is Status.OUTDATED_ON_MAIN]
    return outdated_pick(outdated, lambda url: bool(url) and str(url).startswith(roots))
