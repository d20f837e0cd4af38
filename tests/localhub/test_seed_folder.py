"""`eeesync/localhub/seed_folder.py`: a seed folder → a fresh local Hub state (the demo's Hub)."""

from __future__ import annotations

from pathlib import Path

import pytest
from huggingface_hub import HfApi

from eeesync.errors import ConfigError
from eeesync.localhub import LocalHub
from eeesync.localhub.seed_folder import read_seed, seed_local_hub
from eeesync.localhub.storage import Storage

EXAMPLES_SEED = Path(__file__).resolve().parents[2] / "examples" / "hub"


def write_seed(folder: Path, text: str, files: dict[str, str] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "seed.toml").write_text(text, encoding="utf-8")
    for name, content in (files or {}).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(content, encoding="utf-8")
    return folder


SEED = """
format = 1

[[repos]]
id = "Org/Model-A"
readme = "# A"
[[repos.files]]
path = ".eval_results/hle.yaml"
source = "files/hle.yaml"

[[repos.prs]]
title = "Add GSM8K"
description = "from a test"
[[repos.prs.files]]
path = ".eval_results/gsm8k.yaml"
text = "- dataset: {id: openai/gsm8k, task_id: gsm8k}\\n  value: 50\\n"

[[repos.prs]]
title = "Draft"
status = "draft"

[[repos.prs]]
title = "Closed"
status = "closed"
[[repos.prs.files]]
path = "x.txt"
text = "x"

[[repos]]
id = "org/bench"
type = "dataset"
official = true
aliases = ["bench"]
[[repos.files]]
path = "eval.yaml"
text = "tasks: [{id: b}]"
"""


def test_seed_is_loaded_and_served(tmp_path: Path) -> None:
    seed = write_seed(tmp_path / "seed", SEED, {"files/hle.yaml": "- hle\n"})
    state = tmp_path / "state"
    seed_local_hub(state, seed)
    with LocalHub(state) as hub:
        api = HfApi(endpoint=hub.url, token=False)
        info = api.model_info("org/model-a")  # any letter case: the canonical id comes back
        assert info.id == "Org/Model-A"
        files = set(api.list_repo_files("Org/Model-A"))
        assert {"README.md", ".eval_results/hle.yaml"} <= files
        prs = {
            d.num: (d.title, d.status)
            for d in api.get_repo_discussions("Org/Model-A", discussion_status="all")
        }
        assert prs == {1: ("Add GSM8K", "open"), 2: ("Draft", "draft"), 3: ("Closed", "closed")}
        pr_files = set(api.list_repo_files("Org/Model-A", revision="refs/pr/1"))
        assert ".eval_results/gsm8k.yaml" in pr_files
        assert api.list_repo_files("org/bench", repo_type="dataset") == [
            ".gitattributes",
            "eval.yaml",
        ]
        assert [d.id for d in api.list_datasets(benchmark="official")] == ["org/bench"]
        assert api.dataset_info("bench").id == "org/bench"  # the alias redirects


def test_the_demo_seed_is_valid() -> None:
    repos = {r.repo_id: r for r in read_seed(EXAMPLES_SEED / "seed.toml")}
    assert "01-ai/Yi-1.5-34B-Chat" in repos  # the miscased id of the 0.2.2 MMLU-Pro record
    benchmarks = {
        "TIGER-Lab/MMLU-Pro",
        "Idavidrein/gpqa",
        "cais/hle",
        "openai/gsm8k",
        "SWE-bench/SWE-bench_Verified",
        "harborframework/terminal-bench-2.0",
        "LEXam-Benchmark/LEXam",
    }
    assert {r.repo_id for r in repos.values() if r.repo_type == "dataset"} == benchmarks
    # The demo's benchmark datasets are the Hub's official benchmarks.
    assert {r.repo_id for r in repos.values() if r.official} == benchmarks
    statuses = {pr.status for r in repos.values() for pr in r.prs}
    assert statuses == {"open", "draft", "closed"}


def test_state_is_only_seeded_when_fresh(tmp_path: Path) -> None:
    seed = write_seed(tmp_path / "seed", SEED, {"files/hle.yaml": "- hle\n"})
    state = tmp_path / "state"
    state.mkdir()  # an empty folder is fresh
    seed_local_hub(state, seed / "seed.toml")  # the TOML file itself works too
    with pytest.raises(ConfigError, match="not empty"):
        seed_local_hub(state, seed)
    assert Storage(state).repo("org/model-a").id == "Org/Model-A"


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        ("format = 2", "format", "must be 1"),
        ('format = 1\n[[repos]]\nid = "../x"', "repos[0].id", "invalid"),
        ('format = 1\n[[repos]]\nid = "a/b"\ntype = "space"', "repos[0].type", "unsupported"),
        ('format = 1\n[[repos]]\nid = "a/b"\ncolour = 1', "repos[0].colour", "unknown key"),
        ('format = 1\n[[repos]]\nid = "gpt2"', "repos[0].id", "namespace/name"),
        ('format = 1\n[[repos]]\nid = "a/b"\nofficial = true', "repos[0].official", "datasets"),
        (
            'format = 1\n[[repos]]\nid = "a/b"\ntype = "dataset"\nofficial = "yes"',
            "repos[0].official",
            "true or false",
        ),
        ('format = 1\n[[repos]]\nid = "a/b"\naliases = "b"', "repos[0].aliases", "list"),
        ('format = 1\n[[repos]]\nid = "a/b"\naliases = ["x/b"]', "repos[0].aliases", "one-segment"),
        ('format = 1\n[[repos]]\nid = "a/b"\naliases = ["-b"]', "repos[0].aliases", "invalid"),
        (
            'format = 1\n[[repos]]\nid = "a/b"\n[[repos]]\nid = "A/B"',
            "repos[1].id",
            "already seeded",
        ),
        (
            'format = 1\n[[repos]]\nid = "a/b"\n[[repos.files]]\npath = "../x"\ntext = ""',
            "repos[0].files[0].path",
            "invalid file path",
        ),
        (
            'format = 1\n[[repos]]\nid = "a/b"\n[[repos.files]]\npath = "x"',
            "repos[0].files[0]",
            "exactly one of source",
        ),
        (
            'format = 1\n[[repos]]\nid = "a/b"\n[[repos.files]]\npath = "x"\nsource = "../outside"',
            "repos[0].files[0].source",
            "inside",
        ),
        (
            'format = 1\n[[repos]]\nid = "a/b"\n[[repos.files]]\npath = "x"\nsource = "nope"',
            "repos[0].files[0].source",
            "cannot read",
        ),
        (
            'format = 1\n[[repos]]\nid = "a/b"\n[[repos.prs]]\ntitle = "t"\nstatus = "merged"',
            "repos[0].prs[0].status",
            "must be one of",
        ),
        (
            'format = 1\n[[repos]]\nid = "a/b"\nreadme = "x"\n[[repos.files]]\n'
            'path = "README.md"\ntext = "y"',
            "repos[0].files",
            "more than once",
        ),
        ("format = 1\nrepos = 3", "repos", "array of tables"),
    ],
)
def test_bad_seed_names_file_and_key_and_writes_nothing(
    tmp_path: Path, text: str, key: str, message: str
) -> None:
    seed = write_seed(tmp_path / "seed", text)
    state = tmp_path / "state"
    with pytest.raises(ConfigError, match=message) as raised:
        seed_local_hub(state, seed)
    assert raised.value.key == key
    assert raised.value.path == str(seed / "seed.toml")
    assert not state.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["seed"]  # no staging folder left behind


def test_missing_and_invalid_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        seed_local_hub(tmp_path / "state", tmp_path / "nowhere")
    seed = write_seed(tmp_path / "seed", "format = \n")
    with pytest.raises(ConfigError, match="invalid TOML") as raised:
        seed_local_hub(tmp_path / "state", seed)
    assert raised.value.line == 1
