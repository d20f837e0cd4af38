"""Read a benchmark dataset's `eval.yaml` from the Hub: the authority on its task ids.

The registry checks its task ids against these (`registry.check_tasks`) without importing hub/:
the CLI and the pipeline bind `read_task_ids` to their Hub (`task_reader`) and pass it down.
Format: https://huggingface.co/docs/hub/eval-results
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

from eeesync.hub.client import Hub, HubFailure, classify, describe, http_status
from eeesync.hub.evalfile_fetch import FileTooLarge, fetch_capped
from eeesync.registry import parse_eval_yaml


def read_task_ids(hub: Hub, dataset_id: str) -> tuple[str, ...] | str:
    """The task ids of a benchmark dataset's eval.yaml, or an error message for people (never
    raises for a Hub problem). Bind it to a Hub for `registry.check_tasks`:

        check_tasks(registry, read=functools.partial(read_task_ids, hub))
    """
    try:
        # Read from this endpoint only (never the shared HF cache: see `fetch_capped`).
        data = fetch_capped(hub, dataset_id, "eval.yaml", "main", repo_type="dataset")
        text = data.decode("utf-8")
    except Exception as exc:
        problem = _eval_yaml_problem(exc, dataset_id, hub.endpoint)
        if problem is None:
            raise  # neither the Hub's nor the disk's: a bug
        return problem
    try:
        return parse_eval_yaml(text)
    except ValueError as exc:
        return f"{dataset_id}: {exc}"


def task_reader(
    hub: Hub, dataset_ids: Iterable[str], *, concurrency: int
) -> Callable[[str], tuple[str, ...] | str]:
    """`read_task_ids` bound to `hub`, with `dataset_ids` read up front, `concurrency` at once
    (one resolver GET each: read one by one as `check_tasks` asks, a cold run waits for every
    benchmark dataset in turn). An id not given is read when asked; ids differing only in case
    are one dataset, read with the first spelling given (as `check_tasks` does)."""
    first: dict[str, str] = {}
    for dataset_id in dataset_ids:
        first.setdefault(dataset_id.lower(), dataset_id)
    found: dict[str, tuple[str, ...] | str] = {}
    if first:
        width = max(1, min(concurrency, len(first)))
        with ThreadPoolExecutor(max_workers=width, thread_name_prefix="eeesync-evalyaml") as pool:
            answers = pool.map(lambda d: read_task_ids(hub, d), first.values())
            found = dict(zip(first, answers, strict=True))

    def read(dataset_id: str) -> tuple[str, ...] | str:
        known = found.get(dataset_id.lower())
        return known if known is not None else read_task_ids(hub, dataset_id)

    return read


def _eval_yaml_problem(exc: Exception, dataset_id: str, endpoint: str) -> str | None:
    """Why a benchmark dataset's eval.yaml could not be read, for people (None: a bug)."""
    if isinstance(exc, FileTooLarge):
        return f"eval.yaml of {dataset_id} is not read: {exc}"
    kind = classify(exc)
    if kind is None and not isinstance(exc, (OSError, UnicodeDecodeError)):
        return None
    if kind is HubFailure.GATED:
        return f"{dataset_id} is gated: accept its conditions on the Hub to read eval.yaml"
    if kind is HubFailure.MISSING_REPO:
        return f"dataset {dataset_id} was not found on {endpoint}"
    if kind is HubFailure.MISSING_REVISION:
        return f"dataset {dataset_id} has no main branch"
    if kind is HubFailure.MISSING_ENTRY:
        return f"dataset {dataset_id} has no eval.yaml (it is not a Community Evals benchmark)"
    if kind is HubFailure.UNREACHABLE:
        return f"cannot reach {endpoint} for eval.yaml of {dataset_id}: {describe(exc)}"
    status = http_status(exc)
    if status is not None:
        return f"cannot read eval.yaml of {dataset_id}: HTTP {status}"
    return f"cannot read eval.yaml of {dataset_id}: {exc}"
