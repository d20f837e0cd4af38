"""Helpers shared by the local Hub tests (the `localhub` and `hub_api` fixtures are in tests/)."""

from __future__ import annotations

from huggingface_hub import CommitOperationAdd


def add(path: str, data: bytes | str) -> CommitOperationAdd:
    """A commit operation adding `data` at `path`."""
    content = data.encode() if isinstance(data, str) else data
    return CommitOperationAdd(path_in_repo=path, path_or_fileobj=content)


GOOD_YAML = "- dataset: {id: cais/hle, task_id: hle}\n  value: 20.9\n"
OTHER_YAML = "- dataset: {id: Idavidrein/gpqa, task_id: gpqa_diamond}\n  value: 0.41\n"
