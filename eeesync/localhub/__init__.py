"""A local stand-in for the Hugging Face Hub that the real huggingface_hub client accepts.

An HTTP server on 127.0.0.1 with repos, files, revisions, PR refs and discussions on disk,
fault injection, rate limits and request counters. It backs the tests, the demo and offline
rehearsals (README, *The local Hub*). Start it in-process:

    from eeesync.localhub import LocalHub, FaultConfig, RateLimitConfig
    with LocalHub(state_dir, faults=FaultConfig(latency_ms=5)) as hub:
        HfApi(endpoint=hub.url, token="any").create_repo("acme/model-a")

or from the shell: `eeesync localhub serve DIR`. Seed quickly without HTTP through
`hub.storage`, a `HubState` (see `eeesync.localhub.storage`).
"""

from eeesync.localhub.faults import FaultConfig
from eeesync.localhub.hub import LocalHub
from eeesync.localhub.ratelimit import RateLimitConfig
from eeesync.localhub.storage import CommitResult, HubState, Storage

__all__ = [
    "CommitResult",
    "FaultConfig",
    "HubState",
    "LocalHub",
    "RateLimitConfig",
    "Storage",
]
