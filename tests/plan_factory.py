"""Hand-built `Plan`s for tests of views, the show command and anything else that reads plans.

`make_plan()` returns a sealed plan with every status present, built from realistic repo ids,
values and links; the smaller builders (`desired`, `planned`, `ready_file`, `repo_plan`,
`skipped`, `plan_of`) make variations. Nothing here touches the Hub or the disk.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import cache

from eeesync.plan import file as plan_file
from eeesync.plan.merge import merge, render_new_file
from eeesync.plan.model import (
    FORMAT_VERSION,
    SOURCE_NAME,
    Counts,
    DesiredEntry,
    EvalEntry,
    Existing,
    FileBlob,
    FileChange,
    IndexDigest,
    Inputs,
    OpenPullRequest,
    Plan,
    PlannedEntry,
    Preconditions,
    Provenance,
    RepoPlan,
    SkippedItem,
    Status,
)
from eeesync.registry import load_registry

HUB = "https://huggingface.co"
DATASTORE_REPO = "evaleval/EEE_datastore"
DATASTORE_SHA = "0f3c9a7e5b1d2c4e6f8a0b1c2d3e4f5a6b7c8d9e"
COLLECTION = "mmlu_pro"

DATASETS = {
    "mmlu_pro": ("TIGER-Lab/MMLU-Pro", "mmlu_pro"),
    "gpqa": ("Idavidrein/gpqa", "gpqa_diamond"),
    "bbh": ("lukaemon/bbh", "bbh"),
    "ifeval": ("google/IFEval", "ifeval"),
    "hle": ("cais/hle", "hle"),
}


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def source_url(line: int) -> str:
    digest = _sha(f"object {line}")
    return (
        f"{HUB}/datasets/{DATASTORE_REPO}/blob/{DATASTORE_SHA}/flat/objects/"
        f"{digest[:2]}/{digest[2:4]}/{digest[:32]}.json"
    )


def desired(
    repo_id: str,
    benchmark: str,
    value: float,
    *,
    line: int = 1,
    collection: str = COLLECTION,
    notes: str | None = None,
) -> DesiredEntry:
    dataset_id, task_id = DATASETS.get(benchmark, (f"org/{benchmark}", benchmark))
    url = source_url(line)
    return DesiredEntry(
        repo_id=repo_id,
        benchmark=benchmark,
        file_path=f".eval_results/{benchmark}.yaml",
        entry=EvalEntry(
            dataset_id=dataset_id,
            task_id=task_id,
            value=value,
            date="2024-07-16",
            source_url=url,
            source_name=SOURCE_NAME,
            notes=notes,
        ),
        provenance=Provenance(
            collection=collection,
            line=line,
            object_path=url.split(f"{DATASTORE_SHA}/", 1)[1],
            sha256=_sha(url),
            source_url=url,
        ),
        raw_value=value / 100,
        metric="accuracy",
    )


def on_main(repo_id: str, path: str, value: float, raw: str | None = None) -> Existing:
    return Existing(
        location="main",
        path=path,
        value=value,
        raw_value=raw if raw is not None else f"{value:g}",
        url=f"{HUB}/{repo_id}/blob/main/{path}",
    )


def in_pr(repo_id: str, path: str, value: float, pr_num: int) -> Existing:
    return Existing(
        location="pr",
        path=path,
        value=value,
        raw_value=f"{value:g}",
        pr_num=pr_num,
        pr_url=f"{HUB}/{repo_id}/discussions/{pr_num}",
        url=f"{HUB}/{repo_id}/blob/refs%2Fpr%2F{pr_num}/{path}",
    )


def planned(
    status: Status,
    entry: DesiredEntry,
    *,
    reason: str = "",
    existing: Sequence[Existing] = (),
    diff: str = "",
    conflicting_values: Sequence[float] = (),
) -> PlannedEntry:
    return PlannedEntry(
        status=status,
        desired=entry,
        reason=reason or status.value.replace("_", " "),
        existing=tuple(existing),
        diff=diff,
        conflicting_values=tuple(conflicting_values),
    )


def entries_yaml(entries: Sequence[EvalEntry]) -> str:
    """A `.eval_results` file holding these entries, as the real merge step writes it."""
    return render_new_file(entries)


def ready_file(
    path: str, ours: Sequence[DesiredEntry], *, kept: Sequence[EvalEntry] = ()
) -> FileChange:
    """The file a ready repo writes: the real merge of ours onto a main file holding `kept`."""
    base = entries_yaml(kept) if kept else None
    merged = merge(base, [d.entry for d in ours])
    return FileChange(
        path=path,
        content=merged.content,
        sha256=_sha(merged.content),
        base_blob_id=_sha(base)[:40] if base else None,
        added=len(ours),
        added_span=merged.added_span,
    )


def repo_plan(
    repo_id: str,
    entries: Sequence[PlannedEntry],
    *,
    files: Sequence[FileChange] = (),
    requested_ids: Sequence[str] = (),
    audit_error: str = "",
    open_prs: Sequence[OpenPullRequest] = (),
    readable: bool = True,
) -> RepoPlan:
    preconditions = (
        Preconditions(
            main_sha=_sha(f"main {repo_id}")[:40],
            open_prs=tuple(open_prs),
            file_blobs=tuple(FileBlob(path=f.path, blob_id=f.base_blob_id) for f in files),
        )
        if readable
        else None
    )
    return RepoPlan(
        repo_id=repo_id,
        requested_ids=tuple(requested_ids) or (repo_id,),
        entries=tuple(entries),
        preconditions=preconditions,
        files=tuple(files),
        action_id=f"pr:{_sha(repo_id)[:12]}" if files else "",
        audit_error=audit_error,
    )


def skipped(reason: str, line: int, message: str = "", model_id: str = "") -> SkippedItem:
    return SkippedItem(
        reason=reason,
        message=message or f"{reason.replace('_', ' ')} at {COLLECTION}:{line}",
        collection=COLLECTION,
        line=line,
        object_path=f"flat/objects/aa/bb/{line:08d}.json",
        model_id=model_id,
    )


@cache
def registry_digest() -> str:
    """The built-in registry's digest: apply checks entries against the registry a plan names."""
    return load_registry().digest()


def inputs(endpoint: str = HUB) -> Inputs:
    return Inputs(
        config_digest="sha256:" + _sha("config"),
        collections=(COLLECTION,),
        datastore_input=DATASTORE_REPO,
        datastore_repo=DATASTORE_REPO,
        datastore_revision=DATASTORE_SHA,
        indexes=(IndexDigest(collection=COLLECTION, sha256=_sha("index"), rows=1200),),
        registry_digest=registry_digest(),
        endpoint=endpoint,
    )


def plan_of(
    repos: Sequence[RepoPlan],
    skipped_items: Sequence[SkippedItem] = (),
    *,
    endpoint: str = HUB,
) -> Plan:
    """A sealed plan (counts and digest computed) from repos and skipped items."""
    plan = Plan(
        format_version=FORMAT_VERSION,
        tool_version="0.1.0",
        created_at="2026-08-01T12:00:00Z",
        inputs=inputs(endpoint),
        repos=tuple(sorted(repos, key=lambda r: r.repo_id.lower())),
        skipped=tuple(skipped_items),
        counts=Counts(by_status={}, repos=0, prs_to_open=0, files_to_write=0),
    )
    return plan_file.seal(plan)


# Repo ids of `make_plan()`, named by their role in it.
LLAMA = "meta-llama/Meta-Llama-3.1-70B-Instruct"
QWEN = "Qwen/Qwen2.5-72B-Instruct"
DEEPSEEK = "deepseek-ai/DeepSeek-R1-Distill-Qwen-32B"
GHOST = "nonexistent-org/ghost-model-7b-instruct"
MIXTRAL = "mistralai/Mixtral-8x22B-Instruct-v0.1"
GEMMA = "google/gemma-2-27b-it"
OLMO = "allenai/OLMo-2-1124-13B-Instruct"


def make_plan(*, endpoint: str = HUB) -> Plan:
    """A plan with every status: 2 PRs (3 files, 3 new entries), 2 already present, 1 pending,
    2 score conflicts, 2 missing, 1 source conflict, 3 audit errors, 5 skipped records."""
    llama_mmlu = desired(LLAMA, "mmlu_pro", 48.13, line=11)
    llama_gpqa = desired(LLAMA, "gpqa", 41.2, line=12, notes="cot")
    kept_gpqa = [
        EvalEntry(
            "Idavidrein/gpqa",
            "gpqa_diamond",
            39.5,
            source_url="https://huggingface.co/spaces/open-llm-leaderboard/open_llm_leaderboard",
            source_name="Open LLM Leaderboard",
        ),
        EvalEntry("Idavidrein/gpqa", "gpqa_main", 37.0, notes="zero-shot"),
    ]
    llama = repo_plan(
        LLAMA,
        [
            planned(Status.READY, llama_mmlu, reason="not on the Hub"),
            planned(Status.READY, llama_gpqa, reason="not on the Hub"),
            planned(
                Status.ALREADY_PRESENT,
                desired(LLAMA, "ifeval", 87.5, line=13),
                existing=[on_main(LLAMA, ".eval_results/ifeval.yaml", 87.5, "0.875")],
            ),
        ],
        files=[
            ready_file(".eval_results/gpqa.yaml", [llama_gpqa], kept=kept_gpqa),
            ready_file(".eval_results/mmlu_pro.yaml", [llama_mmlu]),
        ],
    )
    qwen_bbh = desired(QWEN, "bbh", 66.42, line=21)
    qwen = repo_plan(
        QWEN,
        [
            planned(Status.READY, qwen_bbh, reason="not on the Hub"),
            planned(
                Status.PENDING_PR,
                desired(QWEN, "mmlu_pro", 58.1, line=22),
                existing=[in_pr(QWEN, ".eval_results/mmlu_pro.yaml", 58.1, 3)],
            ),
            planned(
                Status.SCORE_CONFLICT,
                desired(QWEN, "gpqa", 41.2, line=23),
                reason="a different score is on main and in PR #4",
                existing=[
                    on_main(QWEN, ".eval_results/gpqa_results.yaml", 39.8, "0.398"),
                    in_pr(QWEN, ".eval_results/gpqa.yaml", 45.0, 4),
                ],
                diff="value: 39.8 → 41.2",
            ),
        ],
        files=[ready_file(".eval_results/bbh.yaml", [qwen_bbh])],
        requested_ids=["qwen/qwen2.5-72b-instruct"],
        open_prs=[
            OpenPullRequest(3, "draft", "a" * 40, "Add MMLU-Pro", f"{HUB}/{QWEN}/discussions/3"),
            OpenPullRequest(4, "open", "b" * 40, "Add GPQA", f"{HUB}/{QWEN}/discussions/4"),
        ],
    )
    deepseek = repo_plan(
        DEEPSEEK,
        [
            planned(
                Status.SCORE_CONFLICT,
                desired(DEEPSEEK, "mmlu_pro", 71.93, line=31),
                reason="a different score is on main",
                existing=[on_main(DEEPSEEK, ".eval_results/mmlu_pro.yaml", 68.5, "68.5")],
                diff="value: 68.5 → 71.93",
            ),
            planned(
                Status.ALREADY_PRESENT,
                desired(DEEPSEEK, "gpqa", 62.1, line=32),
                existing=[on_main(DEEPSEEK, ".eval_results/gpqa.yaml", 62.1)],
            ),
        ],
    )
    ghost = repo_plan(
        GHOST,
        [
            planned(
                Status.MISSING_HF_MODEL,
                desired(GHOST, "mmlu_pro", 30.0, line=41),
                reason="repository not found on the Hub",
            ),
            planned(
                Status.MISSING_HF_MODEL,
                desired(GHOST, "bbh", 35.5, line=42),
                reason="repository not found on the Hub",
            ),
        ],
        readable=False,
    )
    mixtral = repo_plan(
        MIXTRAL,
        [
            planned(
                Status.SOURCE_CONFLICT,
                desired(MIXTRAL, "mmlu_pro", 62.1, line=51),
                reason="2 datastore records disagree (lines 51, 52)",
                conflicting_values=[62.1, 63.4],
            )
        ],
    )
    gemma = repo_plan(
        GEMMA,
        [
            planned(Status.AUDIT_ERROR, desired(GEMMA, "mmlu_pro", 55.0, line=61)),
            planned(Status.AUDIT_ERROR, desired(GEMMA, "gpqa", 33.3, line=62)),
        ],
        audit_error="HTTP 503 from the Hub after 5 retries",
        readable=False,
    )
    olmo = repo_plan(
        OLMO,
        [
            planned(
                Status.AUDIT_ERROR,
                desired(OLMO, "hle", 4.2, line=71),
                reason=".eval_results/hle.yaml on main is malformed (line 3: not a list)",
            )
        ],
    )
    skips = [
        skipped("api_only_model", 81, "openai/gpt-4o is served by API only", "openai/gpt-4o"),
        skipped("api_only_model", 82, "anthropic/claude-3 is served by API only"),
        skipped("api_only_model", 83, "xai/grok-2 is served by API only"),
        skipped("sha256_mismatch", 84, "object hash differs from the index"),
        skipped("unknown_task", 85, "no benchmark in the registry matches 'mmlu_redux'"),
    ]
    return plan_of([llama, qwen, deepseek, ghost, mixtral, gemma, olmo], skips, endpoint=endpoint)


def score_conflict_repos(count: int) -> list[RepoPlan]:
    """`count` repos with one score conflict each (50 ours, 40 on main): long tables, caps."""
    return [
        repo_plan(
            f"org/model-{i:02d}",
            [
                planned(
                    Status.SCORE_CONFLICT,
                    desired(f"org/model-{i:02d}", "mmlu_pro", 50.0),
                    existing=[on_main(f"org/model-{i:02d}", ".eval_results/mmlu_pro.yaml", 40.0)],
                )
            ],
        )
        for i in range(count)
    ]


def make_empty_plan() -> Plan:
    """A plan with nothing at all (no records matched)."""
    return plan_of([])
