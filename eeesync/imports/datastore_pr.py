"""Our import PR on the datastore repo, and the Hub entries records already carry.

An import opens at most one PR per datastore and collection: its title starts with
`[Submission]` (EEE's contributing guide) and names the collection with `IMPORT_MARK`; a later
import adds a commit to it instead of opening a second one. What was already imported is found
by the fingerprints records carry (`records.FINGERPRINT_KEY`): in the datastore's collection
folder at the pinned revision, in our open import PR, and in a local records folder.
"""

from __future__ import annotations

from pathlib import Path

import attrs
from huggingface_hub.errors import EntryNotFoundError

from eeesync.datastore.locator import Locator
from eeesync.hub.client import Hub, classify
from eeesync.hub.evalfile_fetch import FileTooLarge, fetch_capped
from eeesync.imports.records import fingerprints_in
from eeesync.text import plural

#: Words in our import PR's title that say which collection it fills.
IMPORT_MARK = "eeesync import"
#: Largest record read back (ours are a few KB).
MAX_RECORD_BYTES = 1024 * 1024


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
) -> set[str]:
    """Fingerprints of the records already in the datastore's collection folder (at the pinned
    revision), in our open import PR, and in `records_dir`."""
    found: set[str] = set()
    folder = f"data/{collection}"
    if records_dir is not None:
        found |= _folder_fingerprints(records_dir / folder)
    if locator.kind == "folder" and locator.folder is not None:
        found |= _folder_fingerprints(locator.folder / folder)
        return found
    on_main = _hub_records(hub, locator.repo_id, folder, locator.revision)
    found |= fingerprints_in(_read(hub, locator.repo_id, p, locator.revision) for p in on_main)
    if own_pr is not None and own_pr.head:
        added = _hub_records(hub, locator.repo_id, folder, own_pr.head) - on_main
        found |= fingerprints_in(_read(hub, locator.repo_id, p, own_pr.head) for p in added)
    return found


def _folder_fingerprints(folder: Path) -> set[str]:
    if not folder.is_dir():
        return set()
    paths = sorted(p for p in folder.rglob("*.json") if p.is_file() and not p.is_symlink())
    return fingerprints_in(p.read_bytes() for p in paths if p.stat().st_size <= MAX_RECORD_BYTES)


def _hub_records(hub: Hub, repo_id: str, folder: str, revision: str) -> set[str]:
    try:
        items = hub.list_repo_tree(
            repo_id, folder, recursive=True, revision=revision, repo_type="dataset"
        )
    except EntryNotFoundError:
        return set()
    except Exception as exc:
        failure = classify(exc)
        if failure is None or not failure.missing:
            raise
        return set()
    return {
        item.path
        for item in items
        if item.path.endswith(".json") and (getattr(item, "size", 0) or 0) <= MAX_RECORD_BYTES
    }


def _read(hub: Hub, repo_id: str, path: str, revision: str) -> bytes:
    try:
        return fetch_capped(hub, repo_id, path, revision, repo_type="dataset")
    except FileTooLarge:
        return b""
