"""One validation path for eeesync.toml, `EEESYNC_*` variables and flags (validation.py):
bad values are `ConfigError`s naming the key and the line (or the variable / flag), never
tracebacks; the deprecated `concurrency` spellings still work and warn."""

from __future__ import annotations

import math
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eeesync.cli.init import render_starter_config
from eeesync.cli.main import main
from eeesync.config import MAX_PARALLELISM, Settings, check_flag, load_config
from eeesync.errors import ConfigError, RegistryError
from eeesync.registry import load_registry
from eeesync.settings_validation import CONVERTER, file_locator, structure
from eeesync.tomlkeys import line_of


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "eeesync.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "key", "line", "problem"),
    [
        ("[hub]\ntimeout = -1\n", "hub.timeout", 2, "above 0"),
        ("[hub]\ntimeout = nan\n", "hub.timeout", 2, "above 0"),
        ("[hub]\ntimeout = inf\n", "hub.timeout", 2, "above 0"),
        ("[hub]\ntimeout = -inf\n", "hub.timeout", 2, "above 0"),
        ("[hub]\n\ntimeout = 0\n", "hub.timeout", 3, "above 0"),
        ('[hub]\ntimeout = "5"\n', "hub.timeout", 2, "must be a number"),
        ("[hub]\nparallelism = 0\n", "hub.parallelism", 2, "1 to 64"),
        ("[hub]\nparallelism = 100000\n", "hub.parallelism", 2, "1 to 64"),
        ("[hub]\nparallelism = 2.5\n", "hub.parallelism", 2, "whole number"),
        ("[hub]\nparallelism = true\n", "hub.parallelism", 2, "whole number"),
        ("[sync]\napi_only_providers = [1]\n", "sync.api_only_providers[0]", 2, "string"),
        ('[sync]\napi_only_providers = "openai"\n', "sync.api_only_providers", 2, "list"),
        ("[sync]\ntolerance = nan\n", "sync.tolerance", 2, "between 0 and 5"),
        ("[datastore]\nlocator = 3\n", "datastore.locator", 2, "must be a string"),
        ('[datastore]\ncollections = "abc"\n', "datastore.collections", 2, "list"),
        ('[datastore]\ncollections = ["a", " "]\n', "datastore.collections", 2, "names"),
        ("[paths]\nplans = false\n", "paths.plans", 2, "must be a string"),
        ('[hub]\nendpoint = "ftp://x"\n', "hub.endpoint", 2, "http"),
        ("hub = 3\n", "hub", 1, "must be a table"),
        ('[datastore]\nlocatr = "x"\n', "datastore.locatr", 2, 'did you mean "locator"'),
        ("[hubb]\ntimeout = 1\n", "hubb", 1, 'did you mean "hub"'),
        ('[benchmarks]\ngsm8k = "x"\n', "benchmarks.gsm8k", 2, "must be a table"),
        ("[hub]\nconcurrency = 1\nparallelism = 2\n", "hub.concurrency", 2, "only one"),
        ("[hub]\nconcurrency = 0\n", "hub.concurrency", 2, "1 to 64"),
    ],
)
def test_bad_file_values_name_key_and_line(
    tmp_path: Path, text: str, key: str, line: int, problem: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={}, cwd=tmp_path)
    assert (caught.value.key, caught.value.line) == (key, line)
    assert str(caught.value).startswith(f"{path}:{line}: {key}: ")
    assert problem in str(caught.value)


@pytest.mark.parametrize("name", ["EEESYNC_PARALLELISM", "EEESYNC_CONCURRENCY"])
@pytest.mark.parametrize(
    ("value", "problem"),
    [("0", "1 to 64"), ("-3", "1 to 64"), ("100000", "1 to 64"), ("many", "whole number")],
)
def test_bad_environment_values_name_the_variable(
    tmp_path: Path, name: str, value: str, problem: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(None, env={name: value}, cwd=tmp_path)
    assert str(caught.value).startswith(f"{name} (hub.parallelism): ")
    assert problem in str(caught.value)


def test_environment_values_beat_a_bad_file_value_only_where_they_set_it(tmp_path: Path) -> None:
    path = write(tmp_path, "[hub]\nparallelism = 0\n")
    assert load_config(path, env={"EEESYNC_PARALLELISM": "3"}, cwd=tmp_path).parallelism == 3
    with pytest.raises(ConfigError, match="HF_ENDPOINT"):
        load_config(path, env={"EEESYNC_PARALLELISM": "3", "HF_ENDPOINT": "x"}, cwd=tmp_path)


@pytest.mark.parametrize("value", [0, -3, 100000, MAX_PARALLELISM + 1])
def test_file_env_and_flag_values_share_one_check(tmp_path: Path, value: int) -> None:
    """The same bad number is the same problem whichever layer it came from."""
    problems = []
    path = write(tmp_path, f"[hub]\nparallelism = {value}\n")
    for attempt in (
        lambda: load_config(path, env={}, cwd=tmp_path),
        lambda: load_config(None, env={"EEESYNC_PARALLELISM": str(value)}, cwd=tmp_path),
        lambda: load_config(None, env={}, cwd=tmp_path, overrides={"parallelism": value}),
        lambda: check_flag("parallelism", str(value)),
    ):
        with pytest.raises(ConfigError) as caught:
            attempt()
        problems.append(caught.value.problem)
    assert len(set(problems)) == 1
    assert check_flag("parallelism", str(MAX_PARALLELISM)) == MAX_PARALLELISM


def test_a_bad_flag_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    for command in (["plan", "--parallelism", "100000"], ["apply", "p.json", "--parallelism", "0"]):
        with pytest.raises(SystemExit) as exit_info:
            main(command, env={})
        assert exit_info.value.code == 1  # usage errors exit 1 (2 is --detailed-exitcode)
        assert "must be a whole number from 1 to 64" in capsys.readouterr().err


def test_a_bad_environment_value_exits_1_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, '[hub]\nendpoint = "http://127.0.0.1:9"\n')
    assert main(["benchmarks"], env={"EEESYNC_PARALLELISM": "0", "COLUMNS": "200"}) == 1
    err = capsys.readouterr().err
    assert "EEESYNC_PARALLELISM (hub.parallelism): must be a whole number from 1 to 64" in err
    assert "Traceback" not in err


def test_deprecated_names_still_work_and_warn_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, '[hub]\nendpoint = "http://127.0.0.1:9"\nconcurrency = 3\n')
    config = load_config(path, env={}, cwd=tmp_path)
    assert config.parallelism == 3
    assert config.deprecations == ("[hub] concurrency is deprecated: call it parallelism",)
    from_env = load_config(None, env={"EEESYNC_CONCURRENCY": "5"}, cwd=tmp_path)
    assert from_env.parallelism == 5
    assert from_env.deprecations == (
        "EEESYNC_CONCURRENCY is deprecated: call it EEESYNC_PARALLELISM",
    )
    both = load_config(
        None, env={"EEESYNC_CONCURRENCY": "5", "EEESYNC_PARALLELISM": "6"}, cwd=tmp_path
    )
    assert both.parallelism == 6  # the new name wins
    new = load_config(None, env={"EEESYNC_PARALLELISM": "7"}, cwd=tmp_path)
    assert new.parallelism == 7 and new.deprecations == ()

    monkeypatch.chdir(tmp_path)
    assert main(["benchmarks"], env={"COLUMNS": "200"}) == 0
    err = capsys.readouterr().err
    assert err.count("warning: [hub] concurrency is deprecated") == 1


def test_a_valid_config_round_trips_unchanged(tmp_path: Path) -> None:
    """The starter file (every key) structures, unstructures and re-reads to the same values."""
    text = render_starter_config(datastore="acme/eee", collections=("a", "b"))
    data = tomllib.loads(text)
    locate = file_locator("eeesync.toml", text)
    parsed = structure(data, Settings, locate=locate)
    plain = {
        section: {k: v for k, v in table.items() if v is not None}  # TOML has no null
        for section, table in CONVERTER.unstructure(parsed).items()
    }
    again = tomllib.loads(tomli_w.dumps(plain))
    assert structure(again, Settings, locate=locate) == parsed
    assert parsed.datastore.collections == ("a", "b")
    config = load_config(write(tmp_path, text), env={}, cwd=tmp_path)
    assert config.parallelism == parsed.hub.parallelism == 8
    assert config.deprecations == ()


# --- Registry overrides: the same converter --------------------------------------------------


@pytest.mark.parametrize(
    ("table", "key", "line", "problem"),
    [
        ('[benchmarks.gsm8k]\ntask_idd = "x"\n', "benchmarks.gsm8k.task_idd", 2, '"task_id"'),
        ("[benchmarks.gsm8k]\nhf_repos = [1]\n", "benchmarks.gsm8k.hf_repos[0]", 2, "string"),
        ('[benchmarks.gsm8k]\nhf_repos = ""\n', "benchmarks.gsm8k.hf_repos", 2, "list"),
        ('[benchmarks.gsm8k]\n\nhf_repos = [""]\n', "benchmarks.gsm8k.hf_repos", 3, "non-empty"),
        ("[benchmarks.gsm8k]\nenabled = 0\n", "benchmarks.gsm8k.enabled", 2, "true or false"),
        (
            '[benchmarks.gpqa.variants.diamond]\nbogus = "x"\n',
            "benchmarks.gpqa.variants.diamond.bogus",
            2,
            "unknown key",
        ),
        (
            "[benchmarks.gpqa]\nsource_variants = { a = 1 }\n",
            "benchmarks.gpqa.source_variants.a",
            2,
            "string",
        ),
    ],
)
def test_bad_overrides_name_field_and_line(
    tmp_path: Path, table: str, key: str, line: int, problem: str
) -> None:
    path = write(tmp_path, table)
    overrides = load_config(path, env={}, cwd=tmp_path).benchmark_overrides
    with pytest.raises(RegistryError) as caught:
        load_registry(overrides, source_path=path)
    assert (caught.value.key, caught.value.line) == (key, line)
    assert str(caught.value).startswith(f"{path}:{line}: {key}: ")
    assert problem in str(caught.value)


# --- The key → line lookup ----------------------------------------------------------------------


def test_line_of_finds_keys_tables_and_dotted_keys() -> None:
    text = (
        "top = 1\n"
        "[hub]\n"
        "  timeout = 3  # comment\n"
        '[benchmarks."gsm8k"]\n'
        'variants.main.task_id = "x"\n'
        "[benchmarks.gpqa.variants.diamond]\n"
        "notes = 'n'\n"
    )
    assert line_of(text, ["top"]) == 1
    assert line_of(text, ["hub", "timeout"]) == 3
    assert line_of(text, ["hub", "nope"]) == 2
    assert line_of(text, ["benchmarks", "gsm8k"]) == 4
    assert line_of(text, ["benchmarks", "gsm8k", "variants", "main", "task_id"]) == 5
    assert line_of(text, ["benchmarks", "gpqa"]) == 6
    assert line_of(text, ["benchmarks", "gpqa", "variants", "diamond", "notes"]) == 7
    assert line_of(text, ["sync"]) is None


# --- Anything TOML can hold: a ConfigError or a Config, nothing else ----------------------------

_NAMES = st.sampled_from(
    [
        "datastore", "hub", "sync", "paths", "benchmarks", "locator", "collections", "link_repo",
        "endpoint", "seed", "parallelism", "concurrency", "timeout", "tolerance", "duplicates",
        "download_parallelism",
        "api_only_providers", "check_tasks", "plans", "cache", "gsm8k", "x",
    ]
)  # fmt: skip
_SCALARS = (
    st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.booleans()
    | st.sampled_from(["local:x", "http://127.0.0.1:9", "latest", "conflict", "a/b"])
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_NAMES, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.dictionaries(_NAMES, _VALUES, max_size=5),
    env=st.dictionaries(
        st.sampled_from(
            [
                "EEESYNC_PARALLELISM",
                "EEESYNC_CONCURRENCY",
                "EEESYNC_DOWNLOAD_PARALLELISM",
                "HF_ENDPOINT",
            ]
        ),
        st.text(max_size=8),
    ),
)
def test_any_toml_table_is_a_config_or_a_config_error(
    data: dict[str, Any], env: dict[str, str]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "eeesync.toml"
        path.write_text(tomli_w.dumps(data), encoding="utf-8")
        try:
            config = load_config(path, env=env, cwd=Path(folder))
        except ConfigError as exc:
            assert exc.key  # always names what is wrong
            return
        assert 1 <= config.parallelism <= MAX_PARALLELISM
        assert 1 <= config.download_parallelism <= MAX_PARALLELISM
        assert math.isfinite(config.timeout) and config.timeout > 0
        assert all(isinstance(p, str) for p in config.api_only_providers)
        try:
            load_registry(config.benchmark_overrides, source_path=path)
        except RegistryError as exc:
            assert exc.key and exc.key.startswith("benchmarks.")


@pytest.mark.parametrize("text", ["0\x1f", "\x1c3", "٣"])
def test_a_parallelism_with_odd_whitespace_or_digits_is_a_config_error(text):
    with pytest.raises(ConfigError):
        check_flag("parallelism", text)


# --- [hub] download_parallelism: its own width, checked like parallelism ------------------------


@pytest.mark.parametrize("value", [0, -1, MAX_PARALLELISM + 1])
def test_a_bad_download_width_is_the_same_problem_from_every_layer(
    tmp_path: Path, value: int
) -> None:
    path = write(tmp_path, f"[hub]\n\ndownload_parallelism = {value}\n")
    attempts = {
        f"{path}:3: hub.download_parallelism: ": lambda: load_config(path, env={}, cwd=tmp_path),
        "EEESYNC_DOWNLOAD_PARALLELISM (hub.download_parallelism): ": lambda: load_config(
            None, env={"EEESYNC_DOWNLOAD_PARALLELISM": str(value)}, cwd=tmp_path
        ),
        "--download-parallelism (hub.download_parallelism): ": lambda: check_flag(
            "download_parallelism", str(value)
        ),
    }
    for where, attempt in attempts.items():
        with pytest.raises(ConfigError) as caught:
            attempt()
        assert str(caught.value) == where + "must be a whole number from 1 to 64"
    for text in ("2.5", "true", '"8"'):
        with pytest.raises(ConfigError, match="whole number"):
            load_config(
                write(tmp_path, f"[hub]\ndownload_parallelism = {text}\n"), env={}, cwd=tmp_path
            )
    with pytest.raises(ConfigError, match="whole number"):
        check_flag("download_parallelism", "many")


def test_the_download_width_is_its_own_setting(tmp_path: Path) -> None:
    assert load_config(None, env={}, cwd=tmp_path).download_parallelism == 32
    path = write(tmp_path, "[hub]\nparallelism = 4\ndownload_parallelism = 48\n")
    config = load_config(path, env={}, cwd=tmp_path)
    assert (config.parallelism, config.download_parallelism) == (4, 48)
    from_env = load_config(path, env={"EEESYNC_DOWNLOAD_PARALLELISM": " 16 "}, cwd=tmp_path)
    assert (from_env.parallelism, from_env.download_parallelism) == (4, 16)
    flagged = load_config(
        path, env={"EEESYNC_DOWNLOAD_PARALLELISM": "16"}, cwd=tmp_path,
        overrides={"download_parallelism": check_flag("download_parallelism", "64")},
    )  # fmt: skip
    assert flagged.download_parallelism == 64
    # Not part of what a plan contains: the same plan whatever the width.
    assert config.digest() == flagged.digest()


def test_plan_takes_the_download_width_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["plan", "--download-parallelism", "0"], env={})
    assert exit_info.value.code == 1
    assert "must be a whole number from 1 to 64" in capsys.readouterr().err
