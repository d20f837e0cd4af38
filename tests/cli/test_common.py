"""`eeesync/cli/common.py`: the configured Hub is opened here, local Hub included."""

from __future__ import annotations

from pathlib import Path

from eeesync.cli.common import open_hub
from eeesync.config import Config
from eeesync.hub.client import WEB_BASE, RetryPolicy

SEED = """
format = 1

[[repos]]
id = "Org/Model-A"
readme = "# A"
"""


def test_local_endpoint_starts_a_seeded_local_hub(tmp_path: Path) -> None:
    seed = tmp_path / "seed"
    seed.mkdir()
    (seed / "seed.toml").write_text(SEED, encoding="utf-8")
    config = Config(endpoint_input="local:state", hub_seed=seed, base_dir=tmp_path, timeout=7.0)
    with open_hub(config) as hub:
        assert hub.url.startswith("http://127.0.0.1:")
        # plans record the endpoint as written; links look like the real Hub's
        assert (hub.endpoint, hub.web_base, hub.timeout) == ("local:state", WEB_BASE, 7.0)
        assert hub.api.model_info("Org/Model-A").id == "Org/Model-A"
    assert (tmp_path / "state").is_dir()  # the state stays for the next run


def test_remote_endpoint_is_a_plain_client(tmp_path: Path) -> None:
    config = Config(endpoint_input="http://127.0.0.1:9", base_dir=tmp_path, token="hf_secret")
    policy = RetryPolicy(attempts=2)
    with open_hub(config, retry=policy) as hub:
        assert (hub.url, hub.endpoint) == ("http://127.0.0.1:9",) * 2
        # a loopback Hub rehearses the real one: links never carry its port (issue 11)
        assert hub.web_base == WEB_BASE
        assert hub.retry == policy and hub.api.token == "hf_secret"


def test_a_remote_hub_links_to_itself(tmp_path: Path) -> None:
    config = Config(endpoint_input="https://hub-ci.example.org", base_dir=tmp_path)
    with open_hub(config) as hub:
        assert hub.web_base == "https://hub-ci.example.org"
