"""Raw `git diff` text between two trees, as the Hub returns it in a PR's details (`diff`)."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping

from eeesync.localhub.model import Blob


def _lines(data: bytes) -> list[str] | None:
    """Text lines, or None for binary content (git prints "Binary files differ")."""
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8").splitlines(keepends=True)
    except UnicodeDecodeError:
        return None


def tree_diff(
    old: Mapping[str, Blob], new: Mapping[str, Blob], read: Callable[[str], bytes]
) -> str:
    """A `git diff` of every path that differs between two trees, sorted by path."""
    out: list[str] = []
    for path in sorted(set(old) | set(new)):
        before, after = old.get(path), new.get(path)
        if before == after:
            continue
        out.append(f"diff --git a/{path} b/{path}\n")
        if before is None:
            out.append("new file mode 100644\n")
        elif after is None:
            out.append("deleted file mode 100644\n")
        old_oid = before.oid[:7] if before else "0000000"
        new_oid = after.oid[:7] if after else "0000000"
        out.append(f"index {old_oid}..{new_oid}" + (" 100644\n" if before and after else "\n"))
        old_lines = _lines(read(before.oid)) if before else []
        new_lines = _lines(read(after.oid)) if after else []
        if old_lines is None or new_lines is None:
            out.append(f"Binary files a/{path} and b/{path} differ\n")
            continue
        body = difflib.unified_diff(
            old_lines,
            new_lines,
            fromfile=f"a/{path}" if before else "/dev/null",
            tofile=f"b/{path}" if after else "/dev/null",
        )
        for line in body:
            out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)
