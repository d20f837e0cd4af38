"""`Stages`: what plan, model, discover and import build from a `Config`, built in one place."""

from __future__ import annotations

from pathlib import Path

import pytest

from eeesync.config import Config
from eeesync.errors import RegistryError
from eeesync.localhub import LocalHub
from eeesync.mapping import MappingOptions
from eeesync.registry import load_registry
from eeesync.stages import Stages, configured_registry
from tests.helpers import MMLU_PRO_022, build_datastore, fixture
from tests.hub.conftest import make_hub

ALIASES = '[[alias]]\nfrom = "meta/llama-*"\nto = "meta-llama/Llama-3.1-8B-Instruct"\n'


def _config(tmp_path: Path, localhub: LocalHub, **fields: object) -> Config:
    build_datastore(tmp_path / "ds", {"c": [fixture(MMLU_PRO_022)]})
    (tmp_path / "model-aliases.toml").write_text(ALIASES, encoding="utf-8")
    settings: dict[str, object] = {
        "datastore_input": "ds",
        "collections": ("c",),
        "endpoint_input": localhub.url,
        "check_tasks": False,
        "cache_dir": tmp_path / ".eeesync",
        "base_dir": tmp_path,
        "alias_file": tmp_path / "model-aliases.toml",
        **fields,
    }
    return Config(**settings)  # type: ignore[arg-type]


def test_stages_carry_the_configured_registry_aliases_and_settings(
    tmp_path: Path, localhub: LocalHub
) -> None:
    config = _config(
        tmp_path,
        localhub,
        duplicates="latest",
        api_only_providers=("acme",),
        benchmark_overrides={"gpqa": {"enabled": False}},
    )
    stages = Stages.build(config, hub=make_hub(localhub))

    assert "gpqa" not in [b.key for b in stages.registry.benchmarks]
    assert stages.registry.digest() == configured_registry(config).digest()
    assert stages.registry.digest() != load_registry().digest()
    assert stages.aliases.find("meta/llama-3.1-8b") is not None
    assert stages.locator.kind == "folder"
    options = stages.mapping_options(
        benchmark_filter=["mmlu_pro"], model_filter="meta/*", shard=(2, 3)
    )
    assert options == MappingOptions(
        duplicates="latest",
        api_only_providers=("acme",),
        web_base=stages.web_base,
        benchmark_filter=("mmlu_pro",),
        model_filter="meta/*",
        aliases=stages.aliases,
        shard=(2, 3),
    )
    assert [i.collection for i in stages.scan(["c"]).indexes] == ["c"]


def test_the_task_check_follows_the_config(tmp_path: Path, localhub: LocalHub) -> None:
    hub = make_hub(localhub)
    assert Stages.build(_config(tmp_path, localhub), hub=hub).task_check() is None
    checked = Stages.build(_config(tmp_path, localhub, check_tasks=True), hub=hub).task_check()
    assert checked is not None
    # The local Hub holds no benchmark dataset: each one is reported, none is assumed fine.
    assert {s.key for s in checked.errors()} == set(load_registry().keys())


def test_a_bad_benchmark_table_stops_the_build_before_the_datastore_is_read(
    tmp_path: Path, localhub: LocalHub
) -> None:
    config = _config(
        tmp_path,
        localhub,
        datastore_input="no-such-folder",
        benchmark_overrides={"gpqa": {"task_id": 7}},
    )
    with pytest.raises(RegistryError, match=r"benchmarks\.gpqa"):
        Stages.build(config, hub=make_hub(localhub))
