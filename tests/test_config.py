"""eeesync.toml + environment → Config; errors name the file, key and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from eeesync.config import Config, find_config, load_config
from eeesync.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "eeesync.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file(tmp_path: Path) -> None:
    config = load_config(None, env={}, cwd=tmp_path)
    assert config.endpoint_input == "https://huggingface.co"
    assert config.datastore_input == "evaleval/EEE_datastore"
    assert config.plan_dir == tmp_path / "plans"
    assert config.cache_dir == tmp_path / ".eeesync"
    assert config.token is None


def test_file_values_and_relative_paths(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[datastore]
locator = "examples/datastore"
collections = ["MMLU-Pro", "hfopenllm_v2"]
[hub]
endpoint = "local:.eeesync/hub"
seed = "examples/hub"
parallelism = 4
[sync]
tolerance = 0.01
duplicates = "latest"
check_tasks = false
[paths]
plans = "my-plans"
[benchmarks.mmlu_pro]
task_id = "mmlu_pro"
""",
    )
    config = load_config(path, env={}, cwd=Path("/"))
    assert config.collections == ("MMLU-Pro", "hfopenllm_v2")
    assert config.is_local_endpoint and config.local_hub_dir() == tmp_path / ".eeesync/hub"
    assert config.hub_seed == tmp_path / "examples/hub"
    assert config.parallelism == 4 and config.duplicates == "latest" and not config.check_tasks
    assert config.plan_dir == tmp_path / "my-plans"
    assert config.benchmark_overrides == {"mmlu_pro": {"task_id": "mmlu_pro"}}


def test_environment_overrides_file_and_flags_override_environment(tmp_path: Path) -> None:
    path = write(tmp_path, '[hub]\nendpoint = "https://huggingface.co"\n')
    env = {"HF_ENDPOINT": "http://127.0.0.1:9", "HF_TOKEN": "secret", "EEESYNC_COLLECTIONS": "a, b"}
    config = load_config(path, env=env, cwd=tmp_path, overrides={"collections": ("c",)})
    assert config.endpoint_input == "http://127.0.0.1:9"
    assert config.collections == ("c",)
    assert config.token == "secret"
    assert "secret" not in repr(config)
    assert "secret" not in config.digest()


@pytest.mark.parametrize(
    ("text", "key", "line"),
    [
        ('[hub]\nendpoint = "ftp://x"\n', "hub.endpoint", 2),
        ("[hub]\n\nconcurrency = 0\n", "hub.concurrency", 3),
        ('[sync]\nduplicates = "newest"\n', "sync.duplicates", 2),
        ('[sync]\ntolerance = "x"\n', "sync.tolerance", 2),
        ("[sync]\ncheck_tasks = 1\n", "sync.check_tasks", 2),
        ('[datastore]\nlocatr = "x"\n', "datastore.locatr", 2),
        ("[nope]\na = 1\n", "nope", 1),
    ],
)
def test_errors_name_key_and_line(tmp_path: Path, text: str, key: str, line: int) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as exc:
        load_config(path, env={}, cwd=tmp_path)
    assert exc.value.key == key
    assert exc.value.line == line
    assert f"{path}:{line}" in str(exc.value)


def test_toml_syntax_error_names_line(tmp_path: Path) -> None:
    path = write(tmp_path, "[hub]\nendpoint = \n")
    with pytest.raises(ConfigError) as exc:
        load_config(path, env={}, cwd=tmp_path)
    assert exc.value.line == 2


def test_find_config_walks_up(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    assert find_config(nested) == path


def test_digest_changes_with_what_changes_a_plan() -> None:
    base = Config()
    assert base.digest() == Config().digest()
    assert base.digest() != Config(tolerance=0.5).digest()
    assert base.digest() == Config(token="t", parallelism=3).digest()


def test_max_eval_file_bytes(tmp_path: Path) -> None:
    assert load_config(None, env={}, cwd=tmp_path).max_eval_file_bytes == 1024 * 1024
    path = write(tmp_path, "[hub]\nmax_eval_file_bytes = 65536\n")
    assert load_config(path, env={}, cwd=tmp_path).max_eval_file_bytes == 65536
    for bad in ("0", "-1", "10", "1e9", '"big"'):
        path = write(tmp_path, f"[hub]\nmax_eval_file_bytes = {bad}\n")
        with pytest.raises(ConfigError, match=r"max_eval_file_bytes"):
            load_config(path, env={}, cwd=tmp_path)


def test_datastore_layout(tmp_path: Path) -> None:
    assert load_config(None, env={}, cwd=tmp_path).datastore_layout == "auto"
    path = write(tmp_path, '[datastore]\nlayout = "submission"\n')
    config = load_config(path, env={}, cwd=tmp_path)
    assert config.datastore_layout == "submission"
    # the default leaves earlier plans' config digests as they were; a choice changes it
    assert Config(datastore_layout="auto").digest() == Config().digest()
    assert config.digest() != load_config(None, env={}, cwd=tmp_path).digest()
    path = write(tmp_path, '[datastore]\nlayout = "tree"\n')
    with pytest.raises(ConfigError, match=r'layout.*"auto", "flat" or "submission"'):
        load_config(path, env={}, cwd=tmp_path)


def test_apply_mode_and_write_pace(tmp_path: Path) -> None:
    default = load_config(None, env={}, cwd=tmp_path)
    assert (default.apply_mode, default.max_writes_per_hour) == ("pr", None)
    path = write(tmp_path, '[apply]\nmode = "direct-when-owner"\nmax_writes_per_hour = 120\n')
    config = load_config(path, env={}, cwd=tmp_path)
    assert (config.apply_mode, config.max_writes_per_hour) == ("direct-when-owner", 120)
    assert config.digest() != default.digest()  # plans say how each repo is written
    for bad in ('mode = "direct"', "max_writes_per_hour = 0", "max_writes_per_hour = 10001"):
        path = write(tmp_path, f"[apply]\n{bad}\n")
        with pytest.raises(ConfigError, match=r"apply\.(mode|max_writes_per_hour)"):
            load_config(path, env={}, cwd=tmp_path)
