"""HTTP plumbing of `eeesync/localhub/server.py`: bad requests, traversal, binding, stop."""

from __future__ import annotations

import base64
import http.client
import json
from pathlib import Path

import httpx2
import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError

from eeesync.errors import LocalHubError
from eeesync.localhub import LocalHub
from eeesync.localhub.server import parse_target
from tests.localhub.helpers import add

REPO = "acme/model-a"


def raw(
    hub: LocalHub,
    method: str,
    target: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """Send a request exactly as written (http.client does not normalise `..`)."""
    conn = http.client.HTTPConnection("127.0.0.1", hub.port, timeout=10)
    try:
        conn.request(method, target, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


@pytest.fixture
def seeded(localhub: LocalHub) -> LocalHub:
    localhub.storage.create_repo(REPO)
    localhub.storage.commit(REPO, {"README.md": b"hi"}, message="seed")
    return localhub


def test_parse_target_splits_before_unquoting() -> None:
    segments, query = parse_target("/api/models/a/b/tree/refs%2Fpr%2F1/x%20y?recursive=true")
    assert segments == ["api", "models", "a", "b", "tree", "refs/pr/1", "x y"]
    assert query == {"recursive": ["true"]}
    assert parse_target("http://127.0.0.1:1/api/whoami-v2")[0] == ["api", "whoami-v2"]
    with pytest.raises(LocalHubError):
        parse_target("*")


def test_unknown_route_is_404_with_a_clear_message(seeded: LocalHub) -> None:
    status, headers, body = raw(seeded, "GET", "/api/nothing-here")
    assert status == 404
    assert json.loads(body) == {"error": "unknown route: GET /api/nothing-here"}
    assert headers["X-Error-Message"] == "unknown route: GET /api/nothing-here"
    assert "X-Error-Code" not in headers
    assert raw(seeded, "GET", f"/api/models/{REPO}/bogus")[0] == 404
    assert raw(seeded, "GET", "/favicon.ico")[0] == 404


def test_unknown_route_through_the_client_is_an_http_error(seeded: LocalHub) -> None:
    from huggingface_hub.utils import get_session, hf_raise_for_status

    with pytest.raises(HfHubHTTPError) as err:
        hf_raise_for_status(get_session().get(f"{seeded.url}/api/nothing"))
    assert err.value.response.status_code == 404 and "unknown route" in err.value.server_message


def test_wrong_method_is_405(seeded: LocalHub) -> None:
    assert raw(seeded, "DELETE", f"/api/models/{REPO}")[0] == 405
    assert raw(seeded, "POST", f"/{REPO}/resolve/main/README.md")[0] == 405


def test_bad_json_and_bad_bodies_are_400(seeded: LocalHub) -> None:
    status, _, body = raw(
        seeded, "POST", "/api/repos/create", b"{not json", {"Content-Type": "application/json"}
    )
    assert status == 400 and "invalid JSON body" in json.loads(body)["error"]
    assert raw(seeded, "POST", "/api/repos/create", b"[1]")[0] == 400
    assert raw(seeded, "POST", "/api/repos/create", b'{"name": 3}')[0] == 400
    status, _, body = raw(seeded, "POST", f"/api/models/{REPO}/commit/main", b"garbage\n")
    assert status == 400 and "line 1" in json.loads(body)["error"]
    no_header = json.dumps({"key": "file", "value": {"path": "a", "content": ""}}).encode()
    assert raw(seeded, "POST", f"/api/models/{REPO}/commit/main", no_header)[0] == 400
    assert raw(seeded, "GET", f"/api/models/{REPO}/discussions?p=-1")[0] == 400
    assert raw(seeded, "GET", f"/api/models/{REPO}/discussions?status=weird")[0] == 400
    assert raw(seeded, "GET", f"/api/models/{REPO}/discussions/abc")[0] == 400
    assert raw(seeded, "GET", "/api/spaces/acme/space")[0] == 400


@pytest.mark.parametrize(
    "target",
    [
        "/api/models/a..b/c",
        "/api/models/../etc",
        "/api/models/acme/-bad-",
        "/api/models/acme%2Fx/y",
        "/..%2F..%2Fetc/passwd/resolve/main/x",
    ],
)
def test_invalid_repo_ids_are_400(seeded: LocalHub, target: str) -> None:
    status, _, body = raw(seeded, "GET", target)
    assert status == 400, body
    assert "invalid" in json.loads(body)["error"]


@pytest.mark.parametrize(
    "target",
    [
        f"/{REPO}/resolve/main/../../../../etc/passwd",
        f"/{REPO}/resolve/main/%2e%2e/%2e%2e/hub.json",
        f"/{REPO}/resolve/main//etc/passwd",
        f"/{REPO}/resolve/main/a%5C..%5C..%5Chub.json",
        f"/{REPO}/resolve/main/..%2F..%2Fhub.json",
        f"/api/models/{REPO}/tree/main/..%2F..",
        f"/api/models/{REPO}/tree/main/%2Fetc",
    ],
)
def test_path_traversal_is_refused(seeded: LocalHub, target: str) -> None:
    status, _, body = raw(seeded, "GET", target)
    assert status == 400, body
    assert b"root:" not in body and b"nonce" not in body


def test_traversal_in_commit_paths_writes_nothing_outside(seeded: LocalHub, tmp_path: Path) -> None:
    before = sorted(p for p in tmp_path.rglob("*"))
    for bad in ("../escape.txt", "/abs.txt", "a/../../escape.txt", ".git/config", "a//b"):
        lines = [
            {"key": "header", "value": {"summary": "evil", "description": ""}},
            {
                "key": "file",
                "value": {
                    "path": bad,
                    "encoding": "base64",
                    "content": base64.b64encode(b"x").decode(),
                },
            },
        ]
        body = b"".join(json.dumps(line).encode() + b"\n" for line in lines)
        status, _, answer = raw(seeded, "POST", f"/api/models/{REPO}/commit/main", body)
        assert status == 400, (bad, answer)
        status, _, _ = raw(
            seeded,
            "POST",
            f"/api/models/{REPO}/preupload/main",
            json.dumps({"files": [{"path": bad, "sample": "", "size": 1}]}).encode(),
        )
        assert status == 400
    assert sorted(p for p in tmp_path.rglob("*")) == before
    assert not (tmp_path.parent / "escape.txt").exists()


def test_header_injection_is_impossible(seeded: LocalHub) -> None:
    status, headers, _ = raw(seeded, "GET", "/api/models/acme/x%0D%0AX-Evil:%201")
    assert status == 400 and "X-Evil" not in headers


def test_server_binds_loopback_only(localhub: LocalHub) -> None:
    assert localhub.url.startswith("http://127.0.0.1:")
    server = localhub._server
    assert server is not None and server.server_address[0] == "127.0.0.1"


def test_stop_closes_keep_alive_connections(tmp_path: Path) -> None:
    hub = LocalHub(tmp_path / "hub")
    hub.start()
    api = HfApi(endpoint=hub.url, token="t")
    api.create_repo(REPO)  # leaves a pooled keep-alive connection behind
    hub.stop()
    with pytest.raises(httpx2.TransportError):
        api.model_info(REPO)
    assert not hub.running


def test_restart_keeps_state(tmp_path: Path) -> None:
    with LocalHub(tmp_path / "hub") as hub:
        api = HfApi(endpoint=hub.url, token="t")
        api.create_repo(REPO)
        api.create_repo("acme/bench", repo_type="dataset")
        api.create_commit(REPO, [add("a.txt", "a")], commit_message="a")
        pr = api.create_commit(
            REPO,
            [add("b.txt", "b")],
            commit_message="pr",
            create_pr=True,
            commit_description="desc",
        )
        api.change_discussion_status(REPO, pr.pr_num, "closed")
        hub.storage.set_gated("acme/bench", repo_type="dataset")
        sha = api.model_info(REPO).sha
    with LocalHub(tmp_path / "hub") as again:
        api = HfApi(endpoint=again.url, token="t")
        assert api.model_info(REPO).sha == sha
        assert api.list_repo_files(REPO, revision="refs/pr/1") == [
            ".gitattributes",
            "a.txt",
            "b.txt",
        ]
        details = api.get_discussion_details(REPO, 1)
        assert details.status == "closed" and details.events[0].content == "desc"
        assert api.dataset_info("acme/bench").gated == "manual"
        assert api.create_commit(REPO, [add("c.txt", "c")], commit_message="c").oid != sha


def test_state_folder_is_all_there_is(localhub: LocalHub, hub_api: HfApi) -> None:
    hub_api.create_repo(REPO)
    hub_api.create_commit(REPO, [add("a.txt", "a")], commit_message="a")
    root = localhub.storage.root
    top = sorted(p.name for p in root.iterdir())
    assert top == ["hub.json", "objects", "repos", "serving.lock"]  # the lock: while serving
    assert (root / "repos" / "models" / "acme" / "model-a.json").is_file()
    assert not list(root.rglob("*.tmp"))
