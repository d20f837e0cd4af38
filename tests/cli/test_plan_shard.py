"""`eeesync plan --shard K/N`: the models of a plan split by id hash, without overlap, into N
plans named after their shard (two CI jobs share one datastore)."""

from __future__ import annotations

from pathlib import Path

import pytest
from huggingface_hub import HfApi
from hypothesis import given
from hypothesis import strategies as st

from eeesync.cli.main import main
from eeesync.localhub import LocalHub
from eeesync.mapping import in_shard
from eeesync.plan.file import read_plan, serialize_plan
from tests.e2e.test_plan_e2e import write_config
from tests.helpers import mmlu_overall_record, write_datastore

MODELS = [f"acme/m{i}" for i in range(12)] + ["Other/Model"]


@pytest.fixture
def project(tmp_path: Path, localhub: LocalHub, monkeypatch: pytest.MonkeyPatch) -> Path:
    records = [mmlu_overall_record(m, 0.3 + i / 100) for i, m in enumerate(MODELS)]
    records.append(mmlu_overall_record("other/model", 0.3 + 12 / 100, timestamp="1.0"))
    write_datastore(tmp_path / "ds", {"mmlu": records})
    api = HfApi(endpoint=localhub.url, token="x")
    for repo in MODELS:
        api.create_repo(repo)
    write_config(tmp_path, localhub.url)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str) -> int:
    return main(["plan", *args], env={"COLUMNS": "80"})


def test_shards_split_the_models_without_overlap(project: Path) -> None:
    assert run("-o", "whole.json") == 0
    whole = read_plan(project / "whole.json")
    assert run("--shard", "1/2") == 0
    assert run("--shard", "2/2") == 0
    names = sorted(p.name for p in (project / "plans").glob("*.plan.json"))
    assert [n.split("-", 1)[1].split(".", 1)[1] for n in names] == [
        "shard1of2.plan.json",
        "shard2of2.plan.json",
    ]
    parts = [read_plan(project / "plans" / n) for n in names]
    assert [p.inputs.shard for p in parts] == ["1/2", "2/2"]
    ids = [{r.repo_id.lower() for r in p.repos} for p in parts]
    assert ids[0] and ids[1] and not ids[0] & ids[1]
    assert ids[0] | ids[1] == {r.repo_id.lower() for r in whole.repos}
    # Both spellings of Other/Model land in one shard, planned together.
    assert sum(len(r.entries) for p in parts for r in p.repos) == sum(
        len(r.entries) for r in whole.repos
    )
    assert '"shard"' not in serialize_plan(whole)  # unsharded plans read as before


def test_a_bad_shard_is_a_usage_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for bad in ("0/2", "3/2", "1", "a/b"):
        with pytest.raises(SystemExit) as exit_info:
            run("--shard", bad)
        assert exit_info.value.code == 1  # usage errors exit 1 (2 means changes pending)
        assert "--shard" in capsys.readouterr().err


@given(
    st.from_regex(
        r"[A-Za-z0-9][A-Za-z0-9._-]{0,20}/[A-Za-z0-9][A-Za-z0-9._-]{0,30}", fullmatch=True
    ),
    st.integers(min_value=1, max_value=9),
)
def test_every_model_is_in_exactly_one_shard(model_id: str, count: int) -> None:
    owners = [k for k in range(1, count + 1) if in_shard(model_id, k, count)]
    assert len(owners) == 1
    # Any letter case (how records spell one repo differently) lands in the same shard.
    assert in_shard(f" {model_id.swapcase()}", owners[0], count)
