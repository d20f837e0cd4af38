"""`eeesync models suggest`: propose a Hub repo for each `missing_hf_model` id of a plan.

Never a decision: proposals are written *commented out* into the alias file (eeesync/aliases.py)
for a person to accept by uncommenting them; eeesync never publishes to a guessed repo.

For each missing id, one Hub search (`list_models(search=NAME)`, case-insensitive substring on
the Hub), cached under `<cache>/suggest/` so a rerun asks nothing. NAME is the id's name part,
lower-cased, with what EEE adapters add to a display name stripped: HELM's `-turbo` deployment
suffix, a date (`-2024-05-13`, `-20250219`) and a `:revision`. Candidates are then scored:

* **high**: the candidate's name equals NAME ignoring case, and its owner is the id's owner or
  what the author map says the owner is on the Hub (`alibaba` → `Qwen`, `meta` → `meta-llama`,
  `moonshot-ai` → `moonshotai`, …);
* **medium**: one candidate has that name but another owner (a mirror? a fine-tune?), or the
  record's raw display name (`additional_details.raw_model_name` / `display_name`, the
  `model_info.name`) is the candidate's name exactly;
* **low**: several candidates share the name under other owners, or only a longer name matches.

A deployment id (`-turbo`, or `deployment_type` externally managed) is capped at medium and its
proposal carries `deployment = true` commented out: the user must say the provider's serving
counts as the open model.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path

import attrs

from eeesync.aliases import deployment_provider
from eeesync.fsutil import write_atomic
from eeesync.hub.client import Hub
from eeesync.plan.model import Plan, Status

#: EEE owner slugs (as EEE's adapters write model ids: `alibaba/qwen2.5-72b-instruct`) → the Hub
#: organisation that publishes those models.
AUTHOR_MAP: Mapping[str, str] = {
    "alibaba": "Qwen",
    "alibaba-cloud": "Qwen",
    "qwen": "Qwen",
    "meta": "meta-llama",
    "meta-ai": "meta-llama",
    "moonshot-ai": "moonshotai",
    "moonshot": "moonshotai",
    "mistral": "mistralai",
    "mistral-ai": "mistralai",
    "deepseek": "deepseek-ai",
    "zhipu-ai": "zai-org",
    "zhipu": "zai-org",
    "z-ai": "zai-org",
    "01-ai": "01-ai",
    "ibm": "ibm-granite",
    "cohere": "CohereLabs",
    "ai21": "ai21labs",
    "minimax": "MiniMaxAI",
    "stepfun": "stepfun-ai",
    "xai": "xai-org",
    "tii": "tiiuae",
    "snowflake": "Snowflake",
    "huggingface": "HuggingFaceTB",
    "nous-research": "NousResearch",
}
#: Keys of `additional_details` that hold a record's raw model name.
RAW_NAME_KEYS = ("raw_model_name", "display_name", "vals_model_id", "model_name")
SEARCH_LIMIT = 50
_DATE = re.compile(r"-(?:\d{4}-\d{2}-\d{2}|\d{8})$")
_SUFFIXES = ("-turbo",)


@attrs.frozen
class Suggestion:
    model_id: str  # as the records spell it
    entries: int  # missing_hf_model entries an accepted alias would unlock
    query: str  # what was searched
    repo_id: str = ""  # "" = nothing found
    confidence: str = "none"  # "high", "medium", "low", "none"
    evidence: tuple[str, ...] = ()
    deployment: str = ""  # provider when the id is a hosted deployment


@attrs.frozen
class SuggestReport:
    suggestions: tuple[Suggestion, ...]
    requests: int  # Hub searches made (cache misses)
    cache_hits: int
    written: int = 0  # proposals appended to the alias file
    alias_file: str = ""


def search_name(model_id: str) -> str:
    """The name to search for: the id's last part, lower-cased, adapter suffixes stripped."""
    name = model_id.strip().rsplit("/", 1)[-1].split(":", 1)[0].lower()
    for suffix in _SUFFIXES:
        name = name.removesuffix(suffix)
    return _DATE.sub("", name) or name


def missing_models(plan: Plan) -> dict[str, int]:
    """Missing model ids of a plan → how many entries wait on each."""
    counts: Counter[str] = Counter()
    for repo in plan.repos:
        for entry in repo.entries:
            if entry.status is Status.MISSING_HF_MODEL:
                counts[entry.desired.repo_id] += 1
    return dict(sorted(counts.items(), key=lambda kv: kv[0].lower()))


def score(
    model_id: str, candidates: Iterable[str], raw_names: Iterable[str] = ()
) -> tuple[str, str, tuple[str, ...]]:
    """(repo id, confidence, evidence) for one id among the search's candidate repo ids."""
    owner = model_id.strip().split("/", 1)[0] if "/" in model_id else ""
    hub_owner = AUTHOR_MAP.get(owner.lower(), owner)
    name = search_name(model_id)
    raws = {r.strip().rsplit("/", 1)[-1] for r in raw_names if r and r.strip()}
    ids = [c for c in dict.fromkeys(candidates) if "/" in c]
    same = [c for c in ids if c.split("/", 1)[1].lower() == name]
    mapped = f"owner {owner} → {hub_owner} (author map)" if hub_owner != owner else "same owner"
    for candidate in same:
        if candidate.split("/", 1)[0].lower() == hub_owner.lower():
            return candidate, "high", (f"name {name!r} equal ignoring case", mapped)
    by_raw = [c for c in same if c.split("/", 1)[1] in raws]
    if len(by_raw) == 1:
        return by_raw[0], "medium", (f"the record's raw name is {by_raw[0].split('/', 1)[1]!r}",)
    if len(same) == 1:
        return same[0], "medium", (f"name {name!r} equal ignoring case", "another owner")
    if same:
        others = ", ".join(same[:4])
        return same[0], "low", (f"{len(same)} repos share the name: {others}",)
    longer = sorted((c for c in ids if name in c.lower()), key=lambda c: (len(c), c.lower()))
    if longer:
        return longer[0], "low", (f"only a longer name contains {name!r}",)
    return "", "none", (f"no Hub repo's name contains {name!r}",)


@attrs.define
class _SearchCache:
    folder: Path
    endpoint: str
    hits: int = 0
    misses: int = 0

    def _path(self, query: str) -> Path:
        key = hashlib.sha256(f"{self.endpoint}\0{query}".encode()).hexdigest()
        return self.folder / f"{key}.json"

    def search(self, hub: Hub, query: str, *, force: bool) -> list[str]:
        path = self._path(query)
        if not force:
            try:
                ids = json.loads(path.read_text(encoding="utf-8"))
                if isinstance(ids, list) and all(isinstance(i, str) for i in ids):
                    self.hits += 1
                    return ids
            except (OSError, ValueError):
                pass
        self.misses += 1
        found = [m.id for m in hub.list_models(search=query, limit=SEARCH_LIMIT)]
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(sorted(found)).encode("utf-8"))
        return found


def suggest(
    plan: Plan,
    *,
    hub: Hub,
    cache_dir: Path,
    raw_names: Mapping[str, tuple[str, ...]] | None = None,
    force: bool = False,
) -> SuggestReport:
    """One suggestion per missing model of `plan` (≤ 1 Hub request each, none when cached)."""
    cache = _SearchCache(cache_dir / "suggest", hub.endpoint)
    out = []
    for model_id, entries in missing_models(plan).items():
        query = search_name(model_id)
        candidates = cache.search(hub, query, force=force)
        repo_id, confidence, evidence = score(
            model_id, candidates, (raw_names or {}).get(model_id, ())
        )
        provider = deployment_provider(model_id) or ""
        if provider and confidence == "high":
            confidence = "medium"
        if provider:
            evidence = (*evidence, f"a {provider} deployment: accepting it needs deployment = true")
        out.append(
            Suggestion(
                model_id, entries, query, repo_id, confidence, tuple(evidence), deployment=provider
            )
        )
    return SuggestReport(tuple(out), requests=cache.misses, cache_hits=cache.hits)


def raw_names_from_objects(
    plan: Plan, read: Mapping[str, bytes] | None = None, *, folder: Path | None = None
) -> dict[str, tuple[str, ...]]:
    """Each missing id's raw display names, from its records' bytes (`read`: sha256 → bytes
    already at hand, e.g. the object cache) or the datastore folder. Unreadable records give
    nothing: a raw name only adds evidence."""
    names: dict[str, set[str]] = {}
    for repo in plan.repos:
        for entry in repo.entries:
            where = entry.desired.provenance
            if entry.status is not Status.MISSING_HF_MODEL or where is None:
                continue
            data = (read or {}).get(where.sha256)
            if data is None and folder is not None:
                try:
                    data = (folder / where.object_path).read_bytes()
                except OSError:
                    continue
            if data is None:
                continue
            names.setdefault(entry.desired.repo_id, set()).update(_raw_names(data))
    return {k: tuple(sorted(v)) for k, v in names.items()}


def _raw_names(data: bytes) -> set[str]:
    try:
        record = json.loads(data)
        model = record["model_info"]
    except (ValueError, KeyError, TypeError):
        return set()
    if not isinstance(model, dict):
        return set()
    extra = model.get("additional_details")
    values = (
        [model.get("name"), *(extra.get(k) for k in RAW_NAME_KEYS)]
        if isinstance(extra, dict)
        else [model.get("name")]
    )
    return {v.strip() for v in values if isinstance(v, str) and v.strip()}


# --- The alias file ------------------------------------------------------------------------------

_FROM = re.compile(r"""^\s*#?\s*from\s*=\s*["']([^"']+)["']""", re.M)
HEADER = "# Proposed by `eeesync models suggest`: uncomment the lines of an alias to accept it.\n"


def proposals_text(suggestions: Iterable[Suggestion], existing: str = "") -> tuple[str, int]:
    """The commented-out `[[alias]]` blocks for suggestions the file does not mention yet."""
    known = {m.lower() for m in _FROM.findall(existing)}
    blocks = []
    for s in suggestions:
        if not s.repo_id or s.model_id.lower() in known:
            continue
        lines = [
            f"# {s.model_id}: {s.confidence} confidence, {s.entries} entr"
            f"{'ies' if s.entries != 1 else 'y'} waiting (searched {s.query!r})",
            *(f"#   {e}" for e in s.evidence),
            "# [[alias]]",
            f'# from = "{s.model_id}"',
            f'# to = "{s.repo_id}"',
        ]
        if s.deployment:
            lines.append("# deployment = true")
        blocks.append("\n".join(lines) + "\n")
    if not blocks:
        return "", 0
    return ("\n" if existing and not existing.endswith("\n\n") else "") + HEADER + "\n" + "\n".join(
        blocks
    ), len(blocks)


def write_proposals(path: Path, suggestions: Iterable[Suggestion]) -> int:
    """Append the new proposals, commented out, to the alias file (created when missing)."""
    try:
        existing = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        existing = ""
    text, count = proposals_text(suggestions, existing)
    if count:
        write_atomic(path, (existing + text).encode("utf-8"))
    return count
