"""Listing like the Hub: official benchmark datasets (`filter=benchmark:official`), search,
author, limit and cursor pages, through the real huggingface_hub client."""

from __future__ import annotations

import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import BadRequestError
from huggingface_hub.utils import get_session
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eeesync.errors import LocalHubError
from eeesync.localhub import LocalHub

MODELS = [
    "meta-llama/Llama-3.1-8B-Instruct",
    "meta-llama/Llama-3.1-70B",
    "Qwen/Qwen2.5-7B-Instruct",
    "someone/llama-finetune",
    "LLaMA-fans/tiny",
    "openai-community/gpt2",
]


@pytest.fixture
def listed(localhub: LocalHub) -> LocalHub:
    s = localhub.storage
    for repo_id in MODELS:
        s.create_repo(repo_id)
    for repo_id in ("cais/hle", "Idavidrein/gpqa", "acme/not-a-benchmark"):
        s.create_repo(repo_id, repo_type="dataset")
    s.set_official_benchmark("cais/hle")
    s.set_official_benchmark("Idavidrein/gpqa")
    return localhub


# --- official benchmarks -------------------------------------------------------------------------


def test_list_datasets_benchmark_official_lists_only_flagged_datasets(
    listed: LocalHub, hub_api: HfApi
) -> None:
    official = list(hub_api.list_datasets(benchmark="official"))
    assert [d.id for d in official] == ["cais/hle", "Idavidrein/gpqa"]
    assert all("benchmark:official" in (d.tags or []) for d in official)
    assert [d.id for d in hub_api.list_datasets(benchmark=True)] == ["cais/hle", "Idavidrein/gpqa"]
    assert [d.id for d in hub_api.list_datasets(benchmark="official", author="cais")] == [
        "cais/hle"
    ]
    everything = {d.id: d.tags for d in hub_api.list_datasets()}
    assert everything["acme/not-a-benchmark"] == []
    assert everything["cais/hle"] == ["benchmark:official"]
    # What the Hub's dataset listing carries by default.
    first = next(iter(hub_api.list_datasets(search="hle")))
    assert first.sha and first.last_modified and first.author == "cais"


def test_dataset_info_shows_the_official_tag_and_unflagging_removes_it(
    listed: LocalHub, hub_api: HfApi
) -> None:
    assert hub_api.dataset_info("cais/hle").tags == ["benchmark:official"]
    assert hub_api.dataset_info("cais/hle", expand=["tags"]).tags == ["benchmark:official"]
    listed.storage.set_official_benchmark("cais/hle", False)
    assert hub_api.dataset_info("cais/hle").tags == []
    assert [d.id for d in hub_api.list_datasets(benchmark="official")] == ["Idavidrein/gpqa"]


def test_the_official_flag_survives_a_restart(listed: LocalHub) -> None:
    from eeesync.localhub import HubState

    again = HubState(listed.storage.root)
    assert again.repo("cais/hle", "dataset").official_benchmark
    assert not again.repo("acme/not-a-benchmark", "dataset").official_benchmark


def test_only_datasets_can_be_official(listed: LocalHub) -> None:
    with pytest.raises(LocalHubError, match="only datasets"):
        listed.storage.set_official_benchmark("openai-community/gpt2", repo_type="model")


def test_other_filters_are_a_clear_400(listed: LocalHub, hub_api: HfApi) -> None:
    with pytest.raises(BadRequestError, match="not supported"):
        list(hub_api.list_datasets(filter="task_categories:text-generation"))
    with pytest.raises(BadRequestError, match="not supported"):
        list(hub_api.list_datasets(benchmark="unofficial"))
    with pytest.raises(BadRequestError, match="not supported"):
        list(hub_api.list_models(filter="benchmark:official"))
    raw = get_session().get(f"{listed.url}/api/datasets?filter=benchmark:official&filter=x")
    assert raw.status_code == 400


# --- search --------------------------------------------------------------------------------------


def test_search_is_a_case_insensitive_substring_of_the_full_id(
    listed: LocalHub, hub_api: HfApi
) -> None:
    assert [m.id for m in hub_api.list_models(search="LLAMA")] == [
        "LLaMA-fans/tiny",
        "meta-llama/Llama-3.1-70B",
        "meta-llama/Llama-3.1-8B-Instruct",
        "someone/llama-finetune",
    ]
    # The namespace and the slash are part of what is searched.
    assert [m.id for m in hub_api.list_models(search="meta-llama/llama-3.1-8")] == [
        "meta-llama/Llama-3.1-8B-Instruct"
    ]
    assert [m.id for m in hub_api.list_models(search="ama-3.1", author="META-LLAMA")] == [
        "meta-llama/Llama-3.1-70B",
        "meta-llama/Llama-3.1-8B-Instruct",
    ]
    assert [m.id for m in hub_api.list_models(search="gpt")] == ["openai-community/gpt2"]
    assert list(hub_api.list_models(search="gpt", author="openai")) == []  # author is exact
    assert list(hub_api.list_models(search="no-such-model")) == []


def test_search_pages_follow_the_cursor_and_limit_stops_early(
    listed: LocalHub, hub_api: HfApi
) -> None:
    listed.app.router.repos.list_page_size = 2
    listed.reset_counters()
    found = [m.id for m in hub_api.list_models(search="llama")]
    assert len(found) == 4 and listed.counters()["list_repos"] == 2
    listed.reset_counters()
    assert [m.id for m in hub_api.list_models(search="llama", limit=3)] == found[:3]
    assert listed.counters()["list_repos"] == 2


_NAME = st.text(alphabet="abcXYZ019-_", min_size=1, max_size=8).filter(
    lambda s: s[0] not in "-_" and s[-1] not in "-_" and "--" not in s
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    ids=st.lists(
        st.tuples(_NAME, _NAME).map("/".join), min_size=1, max_size=8, unique_by=str.lower
    ),
    term=st.text(alphabet="abcXYZ019-_/", min_size=1, max_size=4),
)
def test_search_matches_exactly_the_ids_containing_the_term(
    localhub: LocalHub, ids: list[str], term: str
) -> None:
    s = localhub.storage
    for existing in s.list_repos("model")[0]:
        s.delete_repo(existing.id)
    for repo_id in ids:
        s.create_repo(repo_id)
    api = HfApi(endpoint=localhub.url, token="t")
    expected = sorted((i for i in ids if term.lower() in i.lower()), key=str.lower)
    assert [m.id for m in api.list_models(search=term)] == expected
