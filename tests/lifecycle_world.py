"""A small world for the sync's lifecycle: a folder datastore, a local Hub with two accounts, and
nights of `plan` + `apply` as the CI recipe runs them (plans and journals kept under `plans/`).

The model repos belong to the account `owner` (its token closes and merges PRs, edits main); the
sync runs as `evaluator`, another account, as the EEE maintainers do on other people's repos.
Used by tests/test_lifecycle.py and benchmarks/bench_lifecycle.py.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi

from eeesync.apply import ApplyOptions, apply_plan, prepare_apply
from eeesync.apply.report import ApplyReport
from eeesync.config import Config
from eeesync.hub.client import Hub, RetryPolicy
from eeesync.localhub import LocalHub
from eeesync.pipeline import PlanRequest, build_plan
from eeesync.plan import file as plan_file
from eeesync.plan.model import Plan, Status
from eeesync.registry import load_registry
from tests.helpers import MMLU_DATASET, MMLU_FILE, MMLU_TASK, mmlu_overall_record, write_datastore

OWNER_TOKEN, EVALUATOR_TOKEN, SEED_TOKEN = "owner-token", "evaluator-token", "seed-token"
ACCOUNTS = {OWNER_TOKEN: "owner", EVALUATOR_TOKEN: "evaluator"}
FAST_RETRY = RetryPolicy(attempts=8, base_wait=0.02, max_wait=0.2)


@attrs.define
class Night:
    plan: Plan
    report: ApplyReport | None
    plan_path: Path

    def status(self, repo_id: str) -> list[Status]:
        repo = self.plan.repo(repo_id)
        return [e.status for e in repo.entries] if repo is not None else []

    def writes(self) -> int:
        return self.plan.counts.prs_to_open


def self_reported_record(model_id: str, score: float) -> bytes:
    """An MMLU-Pro record of the leaderboard's self-reported rows: its entry's notes say so."""
    record = json.loads(mmlu_overall_record(model_id, score, timestamp="1777613999.5"))
    for holder in (record["model_info"], record["source_metadata"]):
        holder["additional_details"]["leaderboard_data_source"] = "Self-Reported"
    return json.dumps(record, sort_keys=True).encode("utf-8")


class World:
    """`folder/ds` (collection `c`) → `owner/*` repos on `hub`, planned and applied nightly."""

    def __init__(
        self,
        folder: Path,
        hub: LocalHub,
        scores: Mapping[str, float],
        *,
        token: str | None = EVALUATOR_TOKEN,
        **config: Any,
    ) -> None:
        self.folder, self.localhub = folder, hub
        self.scores = dict(scores)
        #: A second MMLU-Pro leaderboard per model (notes "Self-Reported"): same file, 2 entries.
        self.self_reported: dict[str, float] = {}
        self.token = token
        self.config_overrides = config
        self.nights = 0
        self.owner = HfApi(endpoint=hub.url, token=OWNER_TOKEN)
        self.seed = HfApi(endpoint=hub.url, token=SEED_TOKEN)
        (folder / "plans").mkdir(parents=True, exist_ok=True)

    # --- the datastore ---------------------------------------------------------------------------

    def write_datastore(self) -> None:
        shutil.rmtree(self.folder / "ds", ignore_errors=True)
        records = [mmlu_overall_record(m, s) for m, s in sorted(self.scores.items())]
        records += [self_reported_record(m, s) for m, s in sorted(self.self_reported.items())]
        write_datastore(self.folder / "ds", {"c": records})

    def create_repos(self) -> None:
        for model in sorted(self.scores):
            self.localhub.storage.create_repo(model, exist_ok=True)

    # --- a night ---------------------------------------------------------------------------------

    def hub(self, token: str | None) -> Hub:
        api = HfApi(endpoint=self.localhub.url, token=token, library_name="eeesync")
        return Hub(api, self.localhub.url, self.localhub.url, "https://huggingface.co", FAST_RETRY)

    def config(self) -> Config:
        settings: dict[str, Any] = {
            "datastore_input": "ds",
            "collections": ("c",),
            "endpoint_input": self.localhub.url,
            "check_tasks": False,
            "cache_dir": self.folder / ".eeesync",
            "plan_dir": self.folder / "plans",
            "opt_out_file": self.folder / "opt-out.toml",
            "reconsider_file": self.folder / "reconsider.toml",
            "base_dir": self.folder,
            "parallelism": 4,
            **self.config_overrides,
        }
        return Config(**settings)

    def plan(self) -> Plan:
        self.write_datastore()
        # A CI job starts without `.eeesync/`: only the plans and journals are its memory.
        shutil.rmtree(self.folder / ".eeesync", ignore_errors=True)
        return build_plan(self.config(), PlanRequest(force=True), hub=self.hub(self.token)).plan

    def night(self, *, apply: bool = True, apply_token: str | None = EVALUATOR_TOKEN) -> Night:
        """Plan (written under `plans/`, as the CI recipe commits it), then apply it."""
        night = self.planned_night()
        if apply:
            night.report = self.apply(night, token=apply_token)
        return night

    def planned_night(self) -> Night:
        self.nights += 1
        plan = self.plan()
        path = plan_file.write_plan(plan, self.folder / "plans" / f"night-{self.nights}.plan.json")
        return Night(plan, None, path)

    def apply(
        self, night: Night, *, token: str | None = EVALUATOR_TOKEN, parallelism: int = 4
    ) -> ApplyReport | None:
        if not night.plan.has_changes:
            return None
        hub = self.hub(token)
        preview = prepare_apply(
            hub, night.plan, night.plan_path, registry=load_registry(), parallelism=parallelism
        )
        options = ApplyOptions(
            message="Add EEE results",
            contact=self.config().apply_contact,
            parallelism=parallelism,
        )
        return apply_plan(hub, preview, options)

    # --- what the owner does ---------------------------------------------------------------------

    def prs(self, repo_id: str, *, author: str | None = "evaluator") -> list[Any]:
        return [
            d
            for d in self.owner.get_repo_discussions(repo_id, discussion_type="pull_request")
            if author is None or d.author == author
        ]

    def open_prs(self, repo_id: str) -> list[int]:
        return [d.num for d in self.prs(repo_id) if d.status in ("open", "draft")]

    def close(self, repo_id: str, num: int) -> None:
        self.owner.change_discussion_status(repo_id, num, "closed", comment="No, thanks.")

    def merge(self, repo_id: str, num: int) -> None:
        self.owner.merge_pull_request(repo_id, num)

    def delete_entry_on_main(self, repo_id: str) -> None:
        self.owner.create_commit(
            repo_id,
            [CommitOperationDelete(MMLU_FILE)],
            commit_message="Remove the MMLU-Pro score",
        )

    def edit_readme(self, repo_id: str) -> None:
        self.owner.create_commit(
            repo_id,
            [CommitOperationAdd("README.md", b"# a model\n")],
            commit_message="README",
        )

    def file_at(self, repo_id: str, revision: str) -> str:
        path = self.owner.hf_hub_download(
            repo_id, MMLU_FILE, revision=revision, cache_dir=self.folder / "downloads"
        )
        return Path(path).read_text(encoding="utf-8")


__all__ = ["MMLU_DATASET", "MMLU_FILE", "MMLU_TASK", "Night", "World"]
