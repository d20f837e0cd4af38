"""`eeesync init`: a commented starter eeesync.toml that load_config accepts; no overwrite."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from eeesync.cli.init import render_starter_config
from eeesync.cli.main import main
from eeesync.config import DEFAULT_DATASTORE, DEFAULT_ENDPOINT, Config, load_config
from eeesync.registry import load_registry


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_writes_a_valid_commented_file(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init"], env={}) == 0
    path = workdir / "eeesync.toml"
    text = path.read_text("utf-8")
    comments = [line for line in text.splitlines() if line.startswith("#")]
    assert len(comments) >= 20
    for section in ("[datastore]", "[hub]", "[sync]", "[paths]"):
        assert section in text
    config = load_config(path, env={}, cwd=workdir)
    defaults = Config()
    assert config.datastore_input == DEFAULT_DATASTORE
    assert config.endpoint_input == DEFAULT_ENDPOINT  # the real Hub
    assert config.collections == ()
    for name in ("parallelism", "timeout", "tolerance", "duplicates", "api_only_providers"):
        assert getattr(config, name) == getattr(defaults, name), name
    assert config.plan_dir == workdir / "plans"
    assert "token" not in tomllib.loads(text).get("hub", {})  # never stored
    assert "Wrote" in capsys.readouterr().out


def test_refuses_to_overwrite_without_force(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = workdir / "eeesync.toml"
    path.write_text("# mine\n", encoding="utf-8")
    assert main(["init"], env={}) == 1
    assert path.read_text("utf-8") == "# mine\n"
    err = capsys.readouterr().err
    assert "already exists" in err and "--force" in err


def test_force_overwrites(workdir: Path) -> None:
    path = workdir / "eeesync.toml"
    path.write_text("# mine\n", encoding="utf-8")
    assert main(["init", "--force"], env={}) == 0
    assert path.read_text("utf-8").startswith("# eeesync configuration")


def test_options_and_output_path(workdir: Path) -> None:
    target = workdir / "sub" / "custom.toml"
    code = main(
        [
            "init",
            "-o",
            str(target),
            "--datastore",
            'org/my "store"@v1',
            "--collection",
            "hfopenllm_v2",
            "--collection",
            "MMLU-Pro",
        ],
        env={},
    )
    assert code == 0
    config = load_config(target, env={}, cwd=workdir)
    assert config.datastore_input == 'org/my "store"@v1'  # quoted by tomli-w, read back intact
    assert config.collections == ("hfopenllm_v2", "MMLU-Pro")


def test_global_config_flag_is_the_default_target(workdir: Path) -> None:
    assert main(["--config", "other.toml", "init"], env={}) == 0
    assert (workdir / "other.toml").is_file()


@pytest.mark.parametrize("collections", [(), ("a",), ("a", "b-c", "d_e")])
def test_rendered_file_round_trips(collections: tuple[str, ...], tmp_path: Path) -> None:
    path = tmp_path / "eeesync.toml"
    path.write_text(render_starter_config(datastore="x/y", collections=collections), "utf-8")
    assert load_config(path, env={}, cwd=tmp_path).collections == collections


def test_the_commented_benchmark_example_works_when_uncommented(tmp_path: Path) -> None:
    from eeesync.cli.init import EXAMPLE_BENCHMARK
    from eeesync.registry import load_registry

    text = render_starter_config(datastore="x/y")
    assert all(f"# {line}" in text for line in EXAMPLE_BENCHMARK.splitlines())
    path = tmp_path / "eeesync.toml"
    path.write_text(text + "\n" + EXAMPLE_BENCHMARK + "\n", "utf-8")
    config = load_config(path, env={}, cwd=tmp_path)
    registry = load_registry(config.benchmark_overrides)
    assert registry.get("ifeval").dataset_id == "google/IFEval"


def test_aliases_section_and_link_revision_are_explained(tmp_path: Path) -> None:
    from eeesync.cli.init import LINK_REVISION_EXAMPLE

    text = render_starter_config(datastore="x/y")
    lines = text.splitlines()
    data = tomllib.loads(text)
    assert data["aliases"] == {"file": "model-aliases.toml", "allow_deployments": []}
    for key in ("file = ", "allow_deployments = "):
        (at,) = [n for n, line in enumerate(lines) if line.startswith(key)]
        assert lines[at - 1].startswith("# "), key  # a comment says what it does
    path = tmp_path / "eeesync.toml"
    path.write_text(text, "utf-8")
    config = load_config(path, env={}, cwd=tmp_path)
    assert config.alias_file == tmp_path / "model-aliases.toml"
    assert config.allow_deployments == () and config.datastore_link_revision is None

    # link_revision is written commented out under [datastore]; filled in, it loads.
    commented = f"# link_revision = {LINK_REVISION_EXAMPLE}"
    at = lines.index(commented)
    assert lines[at - 1].startswith("# ") and "[datastore]" in lines[:at]
    assert "link_revision" not in data["datastore"]
    sha = "0123456789abcdef0123456789abcdef01234567"
    path.write_text(text.replace(commented, f'link_revision = "{sha}"'), "utf-8")
    assert load_config(path, env={}, cwd=tmp_path).datastore_link_revision == sha


def test_the_starter_file_names_every_built_in_benchmark() -> None:
    """Derived from the registry: a benchmark added to benchmarks.toml is named there too."""
    text = render_starter_config(datastore="x/y", collections=())
    comments = " ".join(line.removeprefix("#").strip() for line in text.splitlines())
    builtin = load_registry().benchmarks
    assert len(builtin) >= 7
    for benchmark in builtin:
        assert benchmark.name in comments, benchmark.name


def test_the_datastore_layout_is_explained(tmp_path: Path) -> None:
    text = render_starter_config(datastore="x/y")
    lines = text.splitlines()
    (at,) = [n for n, line in enumerate(lines) if line.startswith("layout = ")]
    assert lines[at] == 'layout = "auto"' and all(c.startswith("# ") for c in lines[at - 3 : at])
    assert "submission" in lines[at - 3] and "refs/pr/N" in lines[at - 1]
    path = tmp_path / "eeesync.toml"
    path.write_text(text.replace('layout = "auto"', 'layout = "submission"'), "utf-8")
    assert load_config(path, env={}, cwd=tmp_path).datastore_layout == "submission"


def test_the_sync_policy_and_the_contact_are_explained(tmp_path: Path) -> None:
    text = render_starter_config(datastore="x/y")
    data = tomllib.loads(text)
    assert data["policy"] == {
        "opt_out_file": "opt-out.toml",
        "reconsider_file": "reconsider.toml",
        "update_main": False,
    }
    assert data["apply"] == {"contact": ""}
    path = tmp_path / "eeesync.toml"
    path.write_text(text.replace('contact = ""', 'contact = "the EEE maintainers"'), "utf-8")
    config = load_config(path, env={}, cwd=tmp_path)
    assert config.opt_out_file == tmp_path / "opt-out.toml" and not config.update_main
    assert config.apply_contact == "the EEE maintainers"
