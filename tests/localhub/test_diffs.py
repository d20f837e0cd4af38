"""PR diff text (`tree_diff` in `eeesync/localhub/api.py`)."""

from __future__ import annotations

from huggingface_hub.utils.sha import git_hash

from eeesync.localhub.api import tree_diff
from eeesync.localhub.repodata import Blob

CONTENT = {b"a\nb\n", b"a\nc\n", b"new\n", b"\0binary", b"\0other"}
BLOBS = {git_hash(c): c for c in CONTENT}


def blob(data: bytes) -> Blob:
    return Blob(git_hash(data), len(data))


def test_added_changed_and_deleted_files() -> None:
    old = {"same": blob(b"a\nb\n"), "changed": blob(b"a\nb\n"), "deleted": blob(b"a\nb\n")}
    new = {"same": blob(b"a\nb\n"), "changed": blob(b"a\nc\n"), "added": blob(b"new\n")}
    text = tree_diff(old, new, BLOBS.__getitem__)
    assert "diff --git a/same" not in text
    assert "diff --git a/added b/added\nnew file mode 100644\n" in text
    assert "--- /dev/null\n+++ b/added\n@@ -0,0 +1 @@\n+new\n" in text
    assert "diff --git a/changed b/changed\n" in text and "-b\n+c\n" in text
    assert "deleted file mode 100644\n" in text and "+++ /dev/null\n" in text
    assert text.index("a/added") < text.index("a/changed") < text.index("a/deleted")


def test_binary_files() -> None:
    text = tree_diff({"w": blob(b"\0binary")}, {"w": blob(b"\0other")}, BLOBS.__getitem__)
    assert "Binary files a/w and b/w differ\n" in text


def test_identical_trees_have_an_empty_diff() -> None:
    tree = {"x": blob(b"new\n")}
    assert tree_diff(tree, dict(tree), BLOBS.__getitem__) == ""
