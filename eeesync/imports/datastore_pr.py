"""Our import PR on the datastore repo, and the Hub entries records already carry.

An import opens at most one PR per datastore and collection: its title starts with
`[Submission]` (EEE's contributing guide) and names the collection with `IMPORT_MARK`; a later
import adds a commit to it instead of opening a second one. What was already imported is found
by the fingerprints records carry (`records.FINGERPRINT_KEY`): in the datastore's collection
folder at the pinned revision, in our open import PR, and in a local records folder, read with
the datastore's submission-layout reader.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import attrs

from eeesync.cache import ObjectCache
from eeesync.datastore.index import IndexRow
from eeesync.datastore.locator import Locator
from eeesync.datastore.scan import DatastoreScan
from eeesync.datastore.submission import read_collection
from eeesync.hub.client import Hub, classify
from eeesync.imports.records import fingerprints_of
from eeesync.text import plural

#: Words in our import PR's title that say which collection it fills.
IMPORT_MARK = "eeesync import"


@attrs.frozen
class ImportPR:
    num: int
    head: str  # the commit sha of refs/pr/N


def pr_title(collection: str, models: int, scores: int) -> str:
    counted = f"{plural(scores, 'Community Evals score')} of {plural(models, 'model')}"
    return f"[Submission] {collection}: {counted} ({IMPORT_MARK})"


def is_import_title(title: str, collection: str) -> bool:
    return title.startswith(f"[Submission] {collection}: ") and title.endswith(f"({IMPORT_MARK})")


def whoami(hub: Hub) -> str | None:
    """The account the token acts as (None without a token or when the Hub will not say)."""
    try:
        info = hub.whoami()
    except Exception as exc:  # ValueError: the client sends no token (`token=False`)
        if classify(exc) is None and not isinstance(exc, (OSError, ValueError)):
            raise
        return None
    name = info.get("name") if isinstance(info, dict) else None
    return name if isinstance(name, str) else None


def find_import_pr(hub: Hub, repo_id: str, collection: str) -> ImportPR | None:
    """Our open import PR for `collection` on the datastore (the lowest-numbered), if any."""
    account = whoami(hub)
    try:
        listed = hub.list_pull_requests(repo_id, status="open", repo_type="dataset")
    except Exception as exc:
        failure = classify(exc)
        if failure is None or not failure.missing:
            raise
        return None
    ours = sorted(
        (
            d.num
            for d in listed
            if d.status == "open"
            and is_import_title(d.title, collection)
            and (account is None or d.author == account)
        ),
    )
    if not ours:
        return None
    return ImportPR(ours[0], pr_head(hub, repo_id, ours[0]))


def pr_head(hub: Hub, repo_id: str, num: int) -> str:
    return hub.pr_heads(repo_id, repo_type="dataset").get(num, "")


def known_fingerprints(
    hub: Hub,
    locator: Locator,
    collection: str,
    own_pr: ImportPR | None,
    records_dir: Path | None,
    *,
    models: Collection[str],
    cache: ObjectCache | None = None,
    concurrency: int = 8,
) -> set[str]:
    """Fingerprints of the records of `models` (ids, any case) already in the datastore's
    collection folder (at the pinned revision), in our open import PR, and in `records_dir`.

    One listing of the collection folder per place; only the records in the folders of
    `models` are read, with the datastore's submission-layout reader (its size bound and
    blob-id check; `cache` keeps them by blob id, so a rerun reads only new ones): a record
    that does not verify or parse holds no fingerprint."""
    wanted = {m.lower() for m in models}
    places: list[tuple[Locator, list[IndexRow]]] = []
    if records_dir is not None:
        place = _folder(records_dir, locator.repo_id)
        places.append((place, read_collection(place, collection, hub=hub)[0]))
    place = attrs.evolve(locator, layout="submission")
    main_rows = read_collection(place, collection, hub=hub)[0]
    places.append((place, main_rows))
    if locator.kind == "hub" and own_pr is not None and own_pr.head:
        on_main = {(r.object_path, r.blob_id) for r in main_rows}
        place = attrs.evolve(place, revision=own_pr.head)
        added = read_collection(place, collection, hub=hub)[0]
        places.append((place, [r for r in added if (r.object_path, r.blob_id) not in on_main]))
    found: set[str] = set()
    for place, rows in places:
        mine = [r for r in rows if _model_of(r.object_path) in wanted]
        scan = DatastoreScan(place, (collection,), (), mine, [], hub=hub, cache=cache)
        for record in scan.records(concurrency=concurrency):
            found |= fingerprints_of(record.raw)
    return found


def _folder(folder: Path, repo_id: str) -> Locator:
    return Locator(str(folder), "folder", repo_id, "", folder=folder, layout="submission")


def _model_of(object_path: str) -> str:
    """`developer/model` of a `data/<collection>/<developer>/<model>/<uuid>.json` path."""
    return "/".join(object_path.split("/")[2:4]).lower()
