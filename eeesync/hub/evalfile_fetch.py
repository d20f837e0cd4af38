"""Download and parse one third-party eval file, bounded, and never raise for what it holds.

Anyone can put a `.eval_results/*.yaml` on a model's main or in an open PR, so each file is
hostile input. Bounds, in the order they apply:

1. size: a file the listing says is larger than `Hub.max_eval_file_bytes` is not downloaded;
   the answer's `Content-Length` is checked before the body is read, and the read itself stops
   at the cap (a server may not send a length, or lie);
2. parsing: `hub/safe_yaml.py` (depth, aliases, entries, expanded size);
3. `guarded_parse` is the one place where *any* exception from parsing one file becomes that
   file's one-line `error`: the repo's entries the file could hold are then blocked (the
   `audit_error` rule in `plan/diff.py`: an unreadable file could hold any of them) and the
   run goes on.

A file over the size cap is `unreadable` (it could hold anything): every entry of the repo is
blocked, as for a file that could not be downloaded.
"""

from __future__ import annotations

import attrs
from huggingface_hub import hf_hub_url
from huggingface_hub.utils._headers import build_hf_headers
from huggingface_hub.utils._http import get_session, hf_raise_for_status
from huggingface_hub.utils.sha import git_hash

from eeesync.hub.client import Hub, classify, describe
from eeesync.hub.state import EvalFile, parse_eval_file

#: The longest reason kept for one file (the plan and its render stay bounded).
MAX_REASON_CHARS = 300


class FileTooLarge(Exception):
    """The file is over the size cap (raised before or while reading the body)."""

    def __init__(self, size: int | None, cap: int) -> None:
        shown = f"{size} bytes" if size is not None else f"over {cap} bytes"
        super().__init__(f"{shown}, over the {cap}-byte limit ([hub] max_eval_file_bytes)")


def too_large(path: str, size: int | None, cap: int) -> EvalFile | None:
    """The unreadable file for a listed size over the cap (None when it may be read)."""
    if size is None or size <= cap:
        return None
    return EvalFile(
        path, None, error=f"{path}: not read: {FileTooLarge(size, cap)}", unreadable=True
    )


def fetch_capped(
    hub: Hub, repo_id: str, path: str, revision: str, *, repo_type: str | None = None
) -> bytes:
    """One resolver GET, reading at most `hub.max_eval_file_bytes` (raises `FileTooLarge`)."""
    return fetch_capped_pinned(hub, repo_id, path, revision, repo_type=repo_type)[0]


def fetch_capped_pinned(
    hub: Hub, repo_id: str, path: str, revision: str, *, repo_type: str | None = None
) -> tuple[bytes, str]:
    """`fetch_capped`, with the commit the bytes were served from (`X-Repo-Commit`; "" when the
    server sends none): a read at a branch or `refs/pr/N` is pinned by that one request.

    Never `hf_hub_download`: it adds a HEAD, and its shared cache is keyed by repo id and commit but
    not by endpoint (and a failed HEAD silently returns the cached copy), so a file read from one
    Hub (the demo's local one) would answer for another, even an unreachable one. The audit keeps
    its own cache.
    """
    url = hf_hub_url(repo_id, path, revision=revision, repo_type=repo_type, endpoint=hub.url)
    headers = build_hf_headers(token=hub.api.token, library_name="eeesync")
    cap = hub.max_eval_file_bytes

    def get() -> tuple[bytes, str]:
        with get_session().stream(
            "GET", url, headers=headers, timeout=hub.timeout, follow_redirects=True
        ) as response:
            hf_raise_for_status(response)
            length = response.headers.get("Content-Length", "")
            if length.isdigit() and int(length) > cap:
                raise FileTooLarge(int(length), cap)
            chunks: list[bytes] = []
            read = 0
            for chunk in response.iter_bytes():
                read += len(chunk)
                if read > cap:
                    raise FileTooLarge(None, cap)
                chunks.append(chunk)
            return b"".join(chunks), response.headers.get("X-Repo-Commit", "")

    return hub.call(get)


def download_eval_file(
    hub: Hub, repo_id: str, path: str, revision: str, *, size: int | None = None
) -> EvalFile:
    """One eval file at `revision`, parsed; `size` is what a listing said (None: unknown).
    A failed or refused download is an `unreadable` file; only bugs raise."""
    refused = too_large(path, size, hub.max_eval_file_bytes)
    if refused is not None:
        return refused
    try:
        data = fetch_capped(hub, repo_id, path, revision)
    except FileTooLarge as exc:
        return EvalFile(path, None, error=f"{path}: not read: {exc}", unreadable=True)
    except Exception as exc:
        if classify(exc) is None and not isinstance(exc, OSError):
            raise
        return EvalFile(
            path, None, error=f"{path}: cannot download: {describe(exc)}", unreadable=True
        )
    return guarded_parse(path, data)


def guarded_parse(path: str, data: bytes) -> EvalFile:
    """`parse_eval_file`, with any exception turned into the file's one-line error."""
    try:
        parsed = parse_eval_file(path, data)
    except Exception as exc:  # the one place: a stranger's file never stops a run
        return EvalFile(
            path,
            git_hash(data),
            error=one_line(f"{path}: cannot be read ({type(exc).__name__}: {exc})"),
            text=data.decode("utf-8", errors="replace"),
        )
    if len(parsed.error) > MAX_REASON_CHARS:
        parsed = attrs.evolve(parsed, error=one_line(parsed.error))
    return parsed


def one_line(text: str) -> str:
    """One line, at most `MAX_REASON_CHARS` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= MAX_REASON_CHARS else flat[: MAX_REASON_CHARS - 1] + "…"
