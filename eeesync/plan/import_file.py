"""Import plan ⇄ JSON: the same canonical bytes and digest rule as a sync plan (`plan/file.py`).

An import plan says `"kind": "import"`; `read_any_plan` tells the two kinds apart so `show` and
`apply` take either. Format: docs/plan-format.md ("Import plans").
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import attrs
import cattrs

from eeesync.errors import PlanFileError
from eeesync.fsutil import read_regular, write_atomic
from eeesync.plan import file as plan_file
from eeesync.plan.import_model import (
    IMPORT_FORMAT_VERSION,
    IMPORT_KIND,
    ImportCounts,
    ImportPlan,
)
from eeesync.plan.model import Plan

converter = cattrs.Converter(forbid_extra_keys=True)


def to_dict(plan: ImportPlan) -> dict[str, Any]:
    data: dict[str, Any] = converter.unstructure(plan)
    return data


def seal(plan: ImportPlan) -> ImportPlan:
    """Recompute counts and the digest: call once the plan's content is final."""
    plan = attrs.evolve(plan, counts=ImportCounts.of(plan.entries, plan.records), digest="")
    return attrs.evolve(plan, digest=plan_file.digest_of(to_dict(plan)))


def serialize(plan: ImportPlan) -> str:
    return plan_file.dumps(to_dict(plan))


def write_import_plan(plan: ImportPlan, path: Path) -> Path:
    write_atomic(path, serialize(plan).encode("utf-8"), fsync=True)
    return path


def parse_import_plan(data: dict[str, Any], *, source: str = "plan") -> ImportPlan:
    """Verify an import plan's JSON object. Raises `PlanFileError` naming what is wrong."""
    version = str(data.get("format_version", ""))
    match = re.fullmatch(r"(\d+)\.(\d+)", version)
    major = IMPORT_FORMAT_VERSION.split(".")[0]
    if match is None or match.group(1) != major:
        raise PlanFileError(
            f"{source}: import plan format_version {version or '(missing)'} is not supported "
            f"(this eeesync reads {major}.x)",
            hint="Re-run `eeesync import` with this version of eeesync.",
        )
    what = f"{source}: not a valid eeesync import plan"
    plan = plan_file.structure_plan(converter, data, ImportPlan, what)
    expected = plan_file.digest_of(data)
    if plan.digest != expected:
        raise PlanFileError(
            f"{source}: digest mismatch: the file says {plan.digest or '(none)'} but its content "
            f"hashes to {expected}; it was edited after `eeesync import` wrote it",
            hint="Never edit a plan by hand: re-run `eeesync import` to make a new one.",
        )
    return plan


def read_any_plan(path: Path) -> Plan | ImportPlan:
    """A sync plan or an import plan, verified (digest, format version, shape)."""
    try:
        text = read_regular(path, max_bytes=plan_file.MAX_PLAN_BYTES).decode("utf-8")
    except FileNotFoundError as exc:
        raise PlanFileError(f"plan file {path} does not exist") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanFileError(f"cannot read plan file {path}: {exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlanFileError(f"{path}: not valid JSON (line {exc.lineno}): {exc.msg}") from exc
    if isinstance(data, dict) and data.get("kind") == IMPORT_KIND:
        return parse_import_plan(data, source=str(path))
    return plan_file.parse_plan(text, source=str(path))
