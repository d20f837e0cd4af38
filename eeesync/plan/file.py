"""Plan ⇄ JSON: the one cattrs converter, `format_version`, the digest, stable bytes.

The plan file is meant for `git diff` and code review: keys sorted, 2-space indent, one trailing
newline, no secrets and no absolute local paths. The digest is sha256 over the canonical JSON of
everything but `created_at` and `digest`, so any edit to the content is detected.
Format: see docs/plan-format.md.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from eeesync.errors import PlanFileError
from eeesync.fsutil import check_creatable_folder, read_regular, write_atomic
from eeesync.plan import model
from eeesync.plan.model import FORMAT_VERSION, Plan

_P = TypeVar("_P")

_UNDIGESTED = ("created_at", "digest")
#: Largest plan file read (a plan of the whole datastore is tens of MB).
MAX_PLAN_BYTES = 512 * 1024 * 1024


def _make_converter(*, strict: bool) -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=strict)
    # Tuples are the in-memory form of every sequence; JSON lists come back as tuples.
    for cls in [c for c in vars(model).values() if attrs.has(c)]:
        converter.register_structure_hook(
            cls, make_dict_structure_fn(cls, converter, _cattrs_forbid_extra_keys=strict)
        )
    # `added_span` came with 1.1; left out when None (a 1.0 plan's), so a 1.0 plan read back
    # serialises to its own bytes and its digest still matches.
    converter.register_unstructure_hook(
        model.FileChange,
        make_dict_unstructure_fn(
            model.FileChange, converter, added_span=override(omit_if_default=True)
        ),
    )
    # 1.2's keys likewise (incl. the coverage keys of issue 10): left out when empty, so older
    # plans keep their bytes and digest. Inner classes first: a generated hook binds the hooks
    # of its fields' types when it is made.
    omit = override(omit_if_default=True)
    converter.register_unstructure_hook(
        model.Inputs,
        make_dict_unstructure_fn(
            model.Inputs,
            converter,
            datastore_pinned_by=omit,
            alias_digest=omit,
            policy_digest=omit,
            prs_unknown=omit,
            account=omit,
        ),
    )
    converter.register_unstructure_hook(
        model.DesiredEntry,
        make_dict_unstructure_fn(
            model.DesiredEntry, converter, recorded_as=omit, dataset_aliases=omit
        ),
    )
    converter.register_unstructure_hook(
        model.Counts, make_dict_unstructure_fn(model.Counts, converter, unmatched=omit)
    )
    # 1.3's keys of a repo's action on our open PR: left out when unused.
    converter.register_unstructure_hook(
        model.RepoPlan,
        make_dict_unstructure_fn(
            model.RepoPlan,
            converter,
            update_pr=omit,
            delete_paths=omit,
            close_pr=omit,
            fixes_main=omit,
            owned=omit,
            write=omit,
        ),
    )
    converter.register_unstructure_hook(
        model.Plan, make_dict_unstructure_fn(model.Plan, converter, unmatched=omit)
    )
    return converter


#: The converter for everything eeesync writes (plans, journals). Strict: unknown keys fail.
converter = _make_converter(strict=True)
_lenient = _make_converter(strict=False)


def structure_plan(conv: cattrs.Converter, data: dict[str, Any], cls: type[_P], what: str) -> _P:
    """`data` as a `cls`, or a `PlanFileError` saying `what` and every field that is wrong."""
    try:
        return conv.structure(data, cls)
    except (cattrs.BaseValidationError, ValueError, TypeError, KeyError) as exc:
        detail = (
            "; ".join(cattrs.transform_error(exc))
            if isinstance(exc, cattrs.BaseValidationError)
            else str(exc)
        )
        raise PlanFileError(f"{what}: {detail}") from exc


def to_dict(plan: Plan) -> dict[str, Any]:
    data: dict[str, Any] = converter.unstructure(plan)
    if not data["inputs"].get("shard"):
        data["inputs"].pop("shard", None)  # an unsharded plan is byte-identical to before
    return data


def dumps(data: Any) -> str:
    """Canonical JSON text: sorted keys, 2-space indent, trailing newline."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


def compute_digest(plan: Plan) -> str:
    return digest_of(to_dict(plan))


def digest_of(data: dict[str, Any]) -> str:
    content = {k: v for k, v in data.items() if k not in _UNDIGESTED}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def seal(plan: Plan) -> Plan:
    """Recompute counts and the digest: call once the plan's content is final."""
    counts = model.Counts.of(plan.repos, plan.skipped, plan.unmatched)
    plan = attrs.evolve(plan, counts=counts, digest="")
    return attrs.evolve(plan, digest=compute_digest(plan))


def serialize_plan(plan: Plan) -> str:
    """The exact text of the plan file."""
    return dumps(to_dict(plan))


def write_plan(plan: Plan, path: Path) -> Path:
    """Write atomically (temp file + rename) so a crash never leaves half a plan."""
    write_atomic(path, serialize_plan(plan).encode("utf-8"), fsync=True)
    return path


def parse_plan(text: str, *, source: str = "plan") -> Plan:
    """Parse and verify plan JSON. Raises `PlanFileError` naming what is wrong."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlanFileError(f"{source}: not valid JSON (line {exc.lineno}): {exc.msg}") from exc
    if not isinstance(data, dict):
        raise PlanFileError(f"{source}: a plan file holds one JSON object")
    version = str(data.get("format_version", ""))
    match = re.fullmatch(r"(\d+)\.(\d+)", version)
    ours = FORMAT_VERSION.split(".")
    if match is None or match.group(1) != ours[0]:
        raise PlanFileError(
            f"{source}: format_version {version or '(missing)'} is not supported "
            f"(this eeesync reads {ours[0]}.x)",
            hint="Re-run `eeesync plan` with this version of eeesync.",
        )
    # A newer minor version may add keys: read it leniently; our own version strictly.
    conv = converter if int(match.group(2)) <= int(ours[1]) else _lenient
    plan = structure_plan(conv, data, Plan, f"{source}: not a valid eeesync plan")
    # Over the document as written, not as re-serialised: a 1.0 plan lacks the keys 1.1 added
    # (read back with their defaults), and a newer minor's unknown keys are covered too.
    expected = digest_of(data)
    if plan.digest != expected:
        raise PlanFileError(
            f"{source}: digest mismatch: the file says {plan.digest or '(none)'} but its content "
            f"hashes to {expected}; it was edited after `eeesync plan` wrote it",
            hint="Never edit a plan by hand: re-run `eeesync plan` to make a new one.",
        )
    return plan


def read_plan(path: Path) -> Plan:
    try:
        # Regular files only and bounded: `show /dev/zero` or a FIFO must not hang or fill memory.
        text = read_regular(path, max_bytes=MAX_PLAN_BYTES).decode("utf-8")
    except FileNotFoundError as exc:
        raise PlanFileError(f"plan file {path} does not exist") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanFileError(f"cannot read plan file {path}: {exc}") from exc
    return parse_plan(text, source=str(path))


def default_plan_name(
    collections: tuple[str, ...],
    revision: str,
    *,
    all_collections: bool = False,
    model_filter: str = "",
    benchmark_filter: tuple[str, ...] = (),
    shard: str = "",
) -> str:
    """`<collection>-<sha7>[-model-<glob>][-bench-<keys>][.shardKofN].plan.json`: two
    collections joined with `+`, more as `<first>+<n>more`, every collection as `all`. Filters
    are in the name, so a filtered plan never takes the place of the whole one; so is a shard
    K/N (two CI jobs sharing a plan write two files)."""
    if all_collections:
        label = "all"
    elif len(collections) > 2:
        label = f"{collections[0]}+{len(collections) - 1}more"
    else:
        label = "+".join(collections) or "plan"
    label = _safe_name(label)
    # A Hub sha, "sha256:<hex>" or a folder digest "folder-<hex>": the hex part, shortened.
    short = re.sub(r"[^A-Za-z0-9]", "", re.split(r"[:-]", revision)[-1])[:7] or "local"
    filters = ""
    if model_filter:
        filters += f"-model-{_safe_name(model_filter)[:40]}"
    if benchmark_filter:
        filters += f"-bench-{_safe_name('+'.join(sorted(benchmark_filter)))[:40]}"
    part = ".shard{}of{}".format(*shard.split("/")) if shard else ""
    return f"{label}-{short}{filters}{part}.plan.json"


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._+-]+", "_", text)[:80]


def check_plan_target(path: Path) -> None:
    """Refuse, before any work, a plan path that cannot be written (a folder, a file where its
    folder should be, a read-only place, a folder two levels short: `-o` makes one missing
    folder, like `mkdir`, never a whole path). Raises `PlanFileError`."""
    if path.is_dir():
        raise PlanFileError(f"cannot write the plan to {path}: it is a folder")
    parent = path.parent
    if not parent.exists() and not parent.parent.exists():
        raise PlanFileError(
            f"cannot write the plan to {path}: the folder {parent.parent} does not exist",
            hint="-o creates the plan's folder only inside an existing one; create the "
            f"others first (mkdir -p {parent.parent}).",
        )
    check_plan_folder(parent)


def check_plan_folder(folder: Path) -> None:
    """The folder plans are written to takes a new file, or can be made where it belongs.
    Nothing is created here: the folder is made when the plan is written, so a plan that
    fails leaves none behind."""
    try:
        check_creatable_folder(folder)
    except OSError as exc:
        reason = (
            "not a folder"
            if isinstance(exc, (FileExistsError, NotADirectoryError))
            else (exc.strerror or type(exc).__name__)
        )
        raise PlanFileError(f"cannot write the plan in {folder}: {reason}") from exc
