"""Backlinks that resolve: every desired entry's `source.url` names an object that exists at that
revision of the datastore repo with the bytes that were mapped, or the entry is not desired.

* Hub datastores: the objects were read at the pinned commit and their sha256 checked against
  the index, so the link is what was read: nothing to ask.
* Pinned folders (datastore/pinning.py): the objects are looked up in bulk with
  `get_paths_info` (`PATHS_PER_REQUEST` paths per POST) on the configured endpoint; an object
  matches when its LFS sha256 equals the index sha256, or its git blob id equals
  `git_hash` of the local bytes (which are re-read and checked against the index sha256 first).
  A missing object, different content, or a Hub that would not answer → the entry is skipped
  with a reason, never published with a link that might not resolve.
* Unpinned folders: their `folder-<hex>` links resolve nowhere. Against the real Hub their
  entries are skipped (`unpinned_datastore`, saying how to pin); a rehearsal Hub (`local:` or a
  loopback URL) keeps them so the rest of the plan can be tried, and `apply` refuses such a
  plan for the real Hub (`apply/preview.check_publishable`).

Cost: ceil(objects / PATHS_PER_REQUEST) requests, e.g. 2 for 1,000 objects
(benchmarks/bench_identity.py measures it).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

import attrs
from huggingface_hub.utils.sha import git_hash

from eeesync.hub.client import classify, describe
from eeesync.plan.model import DesiredEntry, SkippedItem

if TYPE_CHECKING:
    from eeesync.datastore.locator import Locator
    from eeesync.hub.client import Hub

#: Paths per `get_paths_info` request: well inside a form body the Hub accepts, and ≤ 1
#: request per 100 objects by a wide margin.
PATHS_PER_REQUEST = 500


@attrs.frozen
class LinkCheck:
    """The entries whose links hold, the rest as skips, and what checking cost."""

    desired: tuple[DesiredEntry, ...]
    skipped: tuple[SkippedItem, ...]
    objects: int = 0  # distinct objects looked up on the Hub
    requests: int = 0  # get_paths_info calls (retries not counted: see Hub.retries)


def verify_links(
    desired: Sequence[DesiredEntry], locator: Locator, *, hub: Hub, rehearsal: bool
) -> LinkCheck:
    """Keep the entries whose `source.url` resolves to the mapped bytes (module docstring)."""
    if locator.kind == "hub":
        return LinkCheck(tuple(desired), ())
    if not locator.pinned:
        if rehearsal:
            return LinkCheck(tuple(desired), ())
        how = (
            f"datastore folder {locator.input} names no commit of {locator.repo_id}: a link to "
            f"{locator.revision} would not resolve. Download it with `hf download "
            f"{locator.repo_id} --repo-type dataset --local-dir DIR`, use a git checkout, or set "
            '[datastore] link_revision = "<commit sha>"'
        )
        return LinkCheck((), tuple(_skip(e, "unpinned_datastore", how) for e in desired))
    wanted: dict[str, str] = {}  # object path → index sha256
    for entry in desired:
        if entry.provenance is not None:
            wanted[entry.provenance.object_path] = entry.provenance.sha256
    verdicts: dict[str, tuple[str, str] | None] = {}  # path → (reason, message) or None = ok
    paths = sorted(wanted)
    requests = 0
    for start in range(0, len(paths), PATHS_PER_REQUEST):
        batch = paths[start : start + PATHS_PER_REQUEST]
        requests += 1
        try:
            found = hub.get_paths_info(
                locator.repo_id, batch, revision=locator.revision, repo_type="dataset"
            )
        except Exception as exc:
            kind = classify(exc)
            if kind is None:
                raise
            reason = "source_link_missing" if kind.missing else "source_link_unverified"
            message = (
                f"cannot check links in {locator.repo_id}@{locator.revision[:12]} on "
                f"{hub.endpoint}: {describe(exc)}"
            )
            verdicts.update(dict.fromkeys(batch, (reason, message)))
            continue
        by_path = {getattr(item, "path", ""): item for item in found}
        for path in batch:
            verdicts[path] = _compare(locator, path, wanted[path], by_path.get(path))
    kept: list[DesiredEntry] = []
    skipped: list[SkippedItem] = []
    for entry in desired:
        verdict = verdicts.get(entry.provenance.object_path) if entry.provenance else None
        if verdict is None:
            kept.append(entry)
        else:
            skipped.append(_skip(entry, *verdict))
    return LinkCheck(tuple(kept), tuple(skipped), objects=len(paths), requests=requests)


def _compare(locator: Locator, path: str, sha256: str, item: object) -> tuple[str, str] | None:
    where = f"{locator.repo_id}@{locator.revision[:12]}"
    if item is None or not hasattr(item, "blob_id"):
        return "source_link_missing", f"{path} does not exist in {where}"
    lfs = getattr(item, "lfs", None)
    if lfs is not None:
        if getattr(lfs, "sha256", None) == sha256:
            return None
        return "source_link_differs", f"{path} in {where} has another LFS sha256"
    assert locator.folder is not None
    try:
        with open(os.path.join(locator.folder, path), "rb") as handle:
            data = handle.read()
    except OSError as exc:
        return "source_link_unverified", f"cannot re-read {path}: {exc.strerror}"
    if hashlib.sha256(data).hexdigest() != sha256:
        return "source_link_unverified", f"{path} changed on disk during the run"
    if getattr(item, "blob_id", None) == git_hash(data):
        return None
    return "source_link_differs", f"{path} in {where} is not the file that was mapped"


def _skip(entry: DesiredEntry, reason: str, message: str) -> SkippedItem:
    where = entry.provenance
    return SkippedItem(
        reason=reason,
        message=message,
        collection=where.collection if where else "",
        line=where.line if where else 0,
        object_path=where.object_path if where else "",
        model_id=entry.repo_id,
        benchmark=entry.benchmark,
    )
