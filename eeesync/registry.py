"""The benchmark registry: which EEE results are which Community Evals leaderboard (data).

How to add one: docs/architecture.md, *Add a benchmark recogniser*. Built-in definitions live
in `eeesync/benchmarks.toml` (package data); the `[benchmarks.<key>]` tables of `eeesync.toml`
override fields of a built-in or add a new benchmark without code (the EEE project's own
converter hard-coded four benchmarks). `find_benchmarks` recognises a result (unlike that
converter, a `url` source is matched by URL or dataset name instead of crashing, and
`dataset_name` is compared with the benchmark's *names*, not with its task id). `check_tasks`
reads each benchmark dataset's `eval.yaml` (from the Hub — the authority on task ids: an entry's
`task_id` must be one of its `tasks[].id` — through a reader it is given) and
`TaskCheck.resolve` picks the id to write.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from fnmatch import fnmatchcase
from importlib import resources
from pathlib import Path
from typing import Any, Literal, cast

import attrs
import yaml
from huggingface_hub.errors import HFValidationError

# Public validator, re-exported by huggingface_hub.utils without being listed in its __all__.
from huggingface_hub.utils import validate_repo_id  # type: ignore[attr-defined]

from eeesync.errors import RegistryError
from eeesync.memo import Memo
from eeesync.settings_validation import Path_, check, file_locator, non_empty_strings, structure
from eeesync.setups import FACTS

Scale = Literal["auto", "proportion", "percent"]
SCALES: tuple[str, ...] = ("auto", "proportion", "percent")
_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_FILE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}\.ya?ml$")
_DATASETS_URL_RE = re.compile(r"/datasets/([^/?#]+/[^/?#]+|[^/?#]+)(?:/|$)")


def normalise_name(text: str) -> str:
    """Dataset names compare without case, spaces or punctuation ("MMLU-PRO" == "mmlu_pro")."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


@functools.lru_cache(maxsize=65536)
def tokens(text: str) -> tuple[str, ...]:
    return tuple(re.findall(r"[a-z0-9]+", text.lower()))


# --- Types --------------------------------------------------------------------------------------


@attrs.frozen
class Variant:
    """One leaderboard of a multi-task benchmark (e.g. GPQA diamond)."""

    name: str
    task_id: str
    task_aliases: tuple[str, ...] = ()
    notes: str | None = None
    file_name: str | None = None  # None: the benchmark's file
    match: tuple[str, ...] = ()  # words naming the variant in subset/dataset_name/result id
    hf_repos: tuple[str, ...] = ()  # hf_repo ids that hold only this variant


@attrs.frozen
class Benchmark:
    """How to recognise a benchmark's results and what to write for them."""

    key: str
    name: str
    dataset_id: str
    task_id: str
    task_aliases: tuple[str, ...] = ()
    file_name: str = ""
    hf_repos: tuple[str, ...] = ()
    benchmark_hf_repos: tuple[str, ...] = ()
    dataset_names: tuple[str, ...] = ()
    dataset_urls: tuple[str, ...] = ()
    preferred_metrics: tuple[str, ...] = ()
    scale: Scale = "auto"
    variants: tuple[Variant, ...] = ()
    default_variant: str | None = None
    source_variants: tuple[tuple[str, str], ...] = ()  # (source name or hf_repo, variant)
    dataset_aliases: tuple[str, ...] = ()  # other Hub ids of the same benchmark dataset
    sub_scores: tuple[str, ...] = ()  # globs naming a subject/category score, never the task
    setup: tuple[str, ...] = ()  # setup facts (eeesync.setups.FACTS) that make up `notes`
    default_setup: tuple[str, ...] = ()  # fact texts that are the benchmark's default setup
    source_setups: tuple[tuple[str, str], ...] = ()  # (source name, prompt fact it runs)

    @property
    def file_path(self) -> str:
        return f".eval_results/{self.file_name}"

    def variant(self, name: str) -> Variant | None:
        return next((v for v in self.variants if v.name == name), None)

    def task_ids(self) -> tuple[str, ...]:
        """Every task id (with aliases) this benchmark may write."""
        if self.variants:
            out: list[str] = []
            for v in self.variants:
                out += [v.task_id, *v.task_aliases]
            return tuple(dict.fromkeys(out))
        return (self.task_id, *self.task_aliases)


@attrs.frozen
class Registry:
    """The benchmarks in effect for a run (built-ins merged with config overrides)."""

    benchmarks: tuple[Benchmark, ...]

    def get(self, key: str) -> Benchmark:
        for benchmark in self.benchmarks:
            if benchmark.key == key:
                return benchmark
        raise KeyError(key)

    def keys(self) -> tuple[str, ...]:
        return tuple(b.key for b in self.benchmarks)

    def digest(self) -> str:
        """sha256 over the canonical JSON of every definition (recorded in plans)."""
        data = [attrs.asdict(b) for b in self.benchmarks]
        canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()

    # A property that returns the lookup's bound method: `find_benchmarks(result)` runs for
    # every result of a scan, and this saves a call level on each.
    @functools.cached_property
    def find_benchmarks(self) -> Callable[[Mapping[str, Any]], tuple[Benchmark, ...]]:
        """`find_benchmarks(result)`: the benchmarks a raw `evaluation_results[]` item is a
        result of (usually 0 or 1).

        A result that names an `hf_repo` is matched by that id (or by its
        `benchmark_hf_repo`) only: a named dataset that is not ours is not ours. Without an
        `hf_repo` (url / other sources) the URL, the dataset name and the result id decide.
        """
        return _Lookup.build(self.benchmarks).find


@attrs.define
class _Lookup:
    by_repo: dict[str, tuple[Benchmark, ...]]
    by_benchmark_repo: dict[str, tuple[Benchmark, ...]]
    by_name: dict[str, tuple[Benchmark, ...]]
    by_metric: dict[str, tuple[Benchmark, ...]]
    url_globs: tuple[tuple[str, Benchmark], ...]
    name_globs: tuple[tuple[str, Benchmark], ...]  # `sub_scores`, for names only

    @classmethod
    def build(cls, benchmarks: Sequence[Benchmark]) -> _Lookup:
        def index(pairs: Iterable[tuple[str, Benchmark]]) -> dict[str, tuple[Benchmark, ...]]:
            out: dict[str, tuple[Benchmark, ...]] = {}
            for text, benchmark in pairs:
                if text and benchmark not in out.get(text, ()):
                    out[text] = (*out.get(text, ()), benchmark)
            return out

        return cls(
            by_repo=index(
                (r.lower(), b)
                for b in benchmarks
                for r in (*b.hf_repos, *(r for v in b.variants for r in v.hf_repos))
            ),
            by_benchmark_repo=index(
                (r.lower(), b) for b in benchmarks for r in b.benchmark_hf_repos
            ),
            by_name=index((normalise_name(n), b) for b in benchmarks for n in b.dataset_names),
            by_metric=index((m.lower(), b) for b in benchmarks for m in b.preferred_metrics),
            url_globs=tuple((g.lower(), b) for b in benchmarks for g in b.dataset_urls),
            name_globs=tuple((g.lower(), b) for b in benchmarks for g in b.sub_scores),
        )

    #: Memos keyed by the raw strings records use (they repeat across thousands of records),
    #: so each distinct spelling is lower-cased / normalised once per run.
    memo_repo: Memo[str, tuple[Benchmark, ...] | None] = attrs.field(init=False)
    memo_benchmark_repo: Memo[str, tuple[Benchmark, ...]] = attrs.field(init=False)
    memo_name: Memo[str, tuple[Benchmark, ...]] = attrs.field(init=False)
    memo_url: Memo[str, tuple[Benchmark, ...]] = attrs.field(init=False)
    memo_metric: Memo[str, tuple[Benchmark, ...]] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.memo_repo = Memo(self._find_repo)
        self.memo_benchmark_repo = Memo(self._find_benchmark_repo)
        self.memo_name = Memo(self._find_name)
        self.memo_url = Memo(self._find_url)
        self.memo_metric = Memo(self._find_metric)

    # `find` runs for every result of every record (~1.8 million times for the full datastore),
    # so its common path (a dict `source_data` naming an `hf_repo`) is kept to a few dict reads.
    def find(self, result: Mapping[str, Any]) -> tuple[Benchmark, ...]:
        source = result.get("source_data")
        if source.__class__ is not dict:
            source = _NO_SOURCE
        details = source.get("additional_details")
        if details.__class__ is dict:
            bench_repo = details.get("benchmark_hf_repo")
            if bench_repo.__class__ is str:
                found = self.memo_benchmark_repo[bench_repo]
                if found:
                    return found
        hf_repo = source.get("hf_repo")
        if hf_repo.__class__ is str:
            by_repo = self.memo_repo[hf_repo]
            if by_repo is not None:  # None: a blank hf_repo names nothing, look further
                return by_repo
        # No hf_repo (url / other sources): the URL, the dataset name, then the result id.
        urls = source.get("url")
        for url in urls if urls.__class__ is list else (urls,):
            if url.__class__ is str:
                by_url = self.memo_url[url]
                if by_url:
                    return by_url
        name = source.get("dataset_name")
        if name.__class__ is str:
            named = self.memo_name[name]
            if named:
                return named
        if self.by_metric:
            metric = result.get("metric_config")
            metric_id = metric.get("metric_id") if metric.__class__ is dict else None
            for value in (result.get("evaluation_result_id"), metric_id):
                if value.__class__ is str:
                    by_metric = self.memo_metric[value]
                    if by_metric:
                        return by_metric
        return ()

    def _find_repo(self, hf_repo: str) -> tuple[Benchmark, ...] | None:
        key = hf_repo.strip().lower()
        return self.by_repo.get(key, ()) if key else None

    def _find_benchmark_repo(self, repo: str) -> tuple[Benchmark, ...]:
        return self.by_benchmark_repo.get(repo.strip().lower(), ())

    def _find_metric(self, metric_id: str) -> tuple[Benchmark, ...]:
        return self.by_metric.get(metric_id.strip().lower(), ())

    def _find_name(self, name: str) -> tuple[Benchmark, ...]:
        """By a dataset name, else one that names a sub-score ("MMLU Pro - Biology"):
        recognised, so the mapping can say why it is not published instead of calling it
        unmatched."""
        found = self.by_name.get(normalise_name(name), ())
        if found:
            return found
        lowered = " ".join(name.lower().split())
        return tuple(dict.fromkeys(b for glob, b in self.name_globs if fnmatchcase(lowered, glob)))

    def _find_url(self, url: str) -> tuple[Benchmark, ...]:
        lowered = url.strip().lower().rstrip("/")
        for match in _DATASETS_URL_RE.finditer(lowered):
            found = self.by_repo.get(match.group(1), ())
            if found:
                return found
        return tuple(b for glob, b in self.url_globs if fnmatchcase(lowered, glob))


_NO_SOURCE: Mapping[str, Any] = {}


# --- Loading ------------------------------------------------------------------------------------

_STRINGS_PROBLEM = "must be a list of non-empty strings"
_Strings = tuple[str, ...] | None


_NON_EMPTY = check(non_empty_strings, _STRINGS_PROBLEM)


@attrs.frozen
class VariantTable:
    """`[benchmarks.<key>.variants.<name>]` as written (None: not set)."""

    task_id: str | None = None
    task_aliases: _Strings = attrs.field(default=None, validator=_NON_EMPTY)
    notes: str | None = None
    file_name: str | None = None
    match: _Strings = attrs.field(default=None, validator=_NON_EMPTY)
    hf_repos: _Strings = attrs.field(default=None, validator=_NON_EMPTY)


@attrs.frozen
class BenchmarkTable:
    """One `[benchmarks.<key>]` table as written (None: not set), in `benchmarks.toml` or as an
    `eeesync.toml` override. The one place a definition's fields are declared: both are
    structured through it (unknown fields are errors), then `_build` resolves a `Benchmark`."""

    name: str | None = None
    dataset_id: str | None = None
    task_id: str | None = None
    task_aliases: _Strings = attrs.field(default=None, validator=_NON_EMPTY)
    file_name: str | None = None
    hf_repos: _Strings = attrs.field(default=None, validator=_NON_EMPTY)
    benchmark_hf_repos: _Strings = attrs.field(default=None, validator=_NON_EMPTY)
    dataset_names: _Strings = attrs.field(default=None, validator=_NON_EMPTY)
    dataset_urls: _Strings = attrs.field(default=None, validator=_NON_EMPTY)
    preferred_metrics: _Strings = attrs.field(default=None, validator=_NON_EMPTY)
    scale: str | None = attrs.field(
        default=None, validator=check(lambda v: v in SCALES, f"must be one of {', '.join(SCALES)}")
    )
    variants: dict[str, VariantTable] | None = None
    default_variant: str | None = None
    source_variants: dict[str, str] | None = None
    dataset_aliases: _Strings = attrs.field(default=None, validator=_NON_EMPTY)
    sub_scores: _Strings = attrs.field(default=None, validator=_NON_EMPTY)
    setup: _Strings = attrs.field(default=None, validator=_NON_EMPTY)
    default_setup: _Strings = attrs.field(default=None, validator=_NON_EMPTY)
    source_setups: dict[str, str] | None = attrs.field(
        default=None,
        validator=check(
            lambda v: all(t.strip() for t in v.values()), "values must be non-empty setup texts"
        ),
    )
    enabled: bool | None = None


def builtin_tables() -> dict[str, dict[str, Any]]:
    """The raw `[benchmarks.<key>]` tables shipped in `eeesync/benchmarks.toml`."""
    text = resources.files("eeesync").joinpath("benchmarks.toml").read_text(encoding="utf-8")
    tables: dict[str, dict[str, Any]] = tomllib.loads(text)["benchmarks"]
    return tables


def load_registry(
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    source_path: Path | None = None,
) -> Registry:
    """Built-ins merged with `[benchmarks.<key>]` tables from `eeesync.toml`.

    An override table replaces the fields it names (variants merge by name); a table for a new
    key adds a benchmark; `enabled = false` removes one. A bad table raises `RegistryError`
    naming `benchmarks.<key>[.<field>]` (and the file and line when `source_path` is given).
    """
    text: str | None = None
    if source_path is not None:
        try:
            text = source_path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            text = None
    overrides = overrides or {}

    def locate(key: str) -> Callable[[Path_], tuple[str | None, int | None, str]]:
        """Where `benchmarks.<key>…` was set: the config file for overrides, else nowhere."""
        origin = key in overrides and source_path is not None
        return file_locator(
            str(source_path) if origin else None,
            text if origin else None,
            prefix=("benchmarks", key),
        )

    tables = builtin_tables()
    for key, table in overrides.items():
        structure(table, BenchmarkTable, locate=locate(key), error=RegistryError)
        tables[key] = _merge(tables[key], table) if key in tables else dict(table)
    benchmarks = []
    for key, table in tables.items():
        where = locate(key)

        def fail(message: str, field: str | None = None, *, where: Any = where) -> RegistryError:
            path, line, name = where(tuple(field.split(".")) if field else ())
            return RegistryError(message, path=path, key=name, line=line)

        spec = structure(table, BenchmarkTable, locate=where, error=RegistryError)
        if spec.enabled is False:
            continue
        benchmarks.append(_build(key, spec, fail))
    return Registry(benchmarks=tuple(benchmarks))


def _merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for field, value in override.items():
        if field == "variants" and isinstance(value, Mapping) and isinstance(base.get(field), dict):
            variants = {k: dict(v) for k, v in base["variants"].items()}
            for name, table in value.items():
                if isinstance(table, Mapping) and name in variants:
                    variants[name].update(table)
                else:
                    variants[name] = table
            merged[field] = variants
        else:
            merged[field] = value
    return merged


def _strings(values: Iterable[str] | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v.strip() for v in values or ()))


def _aliases(task_id: str, aliases: Iterable[str] | None, fail: Any, field: str) -> tuple[str, ...]:
    """Checked aliases, without the task id itself (an override may make an alias the id)."""
    return tuple(
        dict.fromkeys(_check_task_id(a, fail, field) for a in aliases or () if a != task_id)
    )


def _check_task_id(value: str, fail: Any, field: str) -> str:
    value = value.strip()
    if not value or any(c.isspace() for c in value):
        raise fail("task ids must be non-empty and contain no whitespace", field)
    return value


def _build(key: str, table: BenchmarkTable, fail: Any) -> Benchmark:
    if not _KEY_RE.match(key):
        raise fail("benchmark keys are lower-case letters, digits, '_' and '-'")
    for required in ("name", "dataset_id"):
        if not (getattr(table, required) or "").strip():
            raise fail(f"{required} is required", required)
    dataset_id = (table.dataset_id or "").strip()
    try:
        validate_repo_id(dataset_id)
    except HFValidationError as exc:
        raise fail(f"{dataset_id!r} is not a valid Hub dataset id: {exc}", "dataset_id") from exc
    file_name = (table.file_name or f"{key}.yaml").strip()
    if not _FILE_RE.match(file_name):
        raise fail(f"{file_name!r} must be a plain *.yaml file name", "file_name")
    variants = []
    for name, raw in (table.variants or {}).items():
        field = f"variants.{name}"
        if not raw.task_id:
            raise fail("task_id is required", f"{field}.task_id")
        if raw.file_name is not None and not _FILE_RE.match(raw.file_name):
            raise fail(f"{raw.file_name!r} must be a plain *.yaml file name", f"{field}.file_name")
        variants.append(
            Variant(
                name=name,
                task_id=_check_task_id(raw.task_id, fail, f"{field}.task_id"),
                task_aliases=_aliases(raw.task_id, raw.task_aliases, fail, f"{field}.task_aliases"),
                notes=(raw.notes or "").strip() or None,
                file_name=raw.file_name,
                match=_strings(raw.match),
                hf_repos=_strings(raw.hf_repos),
            )
        )
    names = {v.name for v in variants}
    default_variant = (table.default_variant or "").strip() or None
    if default_variant is not None and default_variant not in names:
        raise fail(f"{default_variant!r} is not one of the variants", "default_variant")
    source_variants = []
    for source, variant in (table.source_variants or {}).items():
        if variant not in names:
            raise fail(f"{variant!r} is not one of the variants", f"source_variants.{source}")
        source_variants.append((source.strip().lower(), variant))
    task_id = table.task_id or (variants[0].task_id if variants else "")
    if not task_id:
        raise fail("task_id is required", "task_id")
    setup = _strings(table.setup)
    unknown = [fact for fact in setup if fact not in FACTS]
    if unknown:
        raise fail(
            f"unknown setup fact {unknown[0]!r}; expected one of {', '.join(FACTS)}", "setup"
        )
    aliases = _strings(table.dataset_aliases)
    for alias in aliases:
        try:
            validate_repo_id(alias)
        except HFValidationError as exc:
            raise fail(
                f"{alias!r} is not a valid Hub dataset id: {exc}", "dataset_aliases"
            ) from exc
    benchmark = Benchmark(
        key=key,
        name=(table.name or "").strip(),
        dataset_id=dataset_id,
        task_id=_check_task_id(task_id, fail, "task_id"),
        task_aliases=_aliases(task_id, table.task_aliases, fail, "task_aliases"),
        file_name=file_name,
        hf_repos=_strings(table.hf_repos),
        benchmark_hf_repos=_strings(table.benchmark_hf_repos),
        dataset_names=_strings(table.dataset_names),
        dataset_urls=_strings(table.dataset_urls),
        preferred_metrics=_strings(table.preferred_metrics),
        scale=cast(Scale, table.scale or "auto"),
        variants=tuple(variants),
        default_variant=default_variant,
        source_variants=tuple(sorted(source_variants)),
        dataset_aliases=tuple(a for a in aliases if a.lower() != dataset_id.lower()),
        sub_scores=_strings(table.sub_scores),
        setup=setup,
        default_setup=_strings(table.default_setup),
        source_setups=tuple(
            sorted((k.strip().lower(), v.strip()) for k, v in (table.source_setups or {}).items())
        ),
    )
    if not (
        benchmark.hf_repos
        or benchmark.benchmark_hf_repos
        or benchmark.dataset_names
        or benchmark.dataset_urls
        or benchmark.preferred_metrics
        or benchmark.sub_scores
    ):
        raise fail("needs at least one recogniser (hf_repos, dataset_names, dataset_urls, …)")
    return benchmark


# --- eval.yaml: the authority on task ids -------------------------------------------------------


@attrs.frozen
class TaskStatus:
    """What one benchmark dataset's `eval.yaml` says (or why it could not be read)."""

    key: str
    dataset_id: str
    defined: tuple[str, ...] = ()  # tasks[].id in eval.yaml
    error: str = ""  # for people; non-empty: the file could not be read or understood

    @property
    def ok(self) -> bool:
        return not self.error


@attrs.frozen
class TaskCheck:
    """The result of reading every benchmark dataset's `eval.yaml`."""

    statuses: tuple[TaskStatus, ...]

    def status(self, benchmark_key: str) -> TaskStatus | None:
        return next((s for s in self.statuses if s.key == benchmark_key), None)

    def resolve(self, benchmark_key: str, task_id: str, aliases: Sequence[str]) -> str | None:
        """The one of `task_id` + `aliases` that eval.yaml defines (task_id first);
        None when it defines none of them, or when eval.yaml could not be read."""
        status = self.status(benchmark_key)
        if status is None or not status.ok:
            return None
        return next((t for t in (task_id, *aliases) if t in status.defined), None)

    def missing(self, registry: Registry) -> list[tuple[str, str, tuple[str, ...]]]:
        """(benchmark key, variant or "", task id + aliases) that eval.yaml does not define.
        Benchmarks whose eval.yaml could not be read are not listed (see `errors`)."""
        out = []
        for benchmark in registry.benchmarks:
            status = self.status(benchmark.key)
            if status is None or not status.ok:
                continue
            targets = (
                [(v.name, v.task_id, v.task_aliases) for v in benchmark.variants]
                if benchmark.variants
                else [("", benchmark.task_id, benchmark.task_aliases)]
            )
            for variant, task, aliases in targets:
                if self.resolve(benchmark.key, task, aliases) is None:
                    out.append((benchmark.key, variant, (task, *aliases)))
        return out

    def errors(self) -> list[TaskStatus]:
        return [s for s in self.statuses if not s.ok]


def parse_eval_yaml(text: str) -> tuple[str, ...]:
    """The `tasks[].id` values of an eval.yaml. Raises ValueError naming the problem."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"eval.yaml is not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("tasks"), list):
        raise ValueError("eval.yaml has no `tasks:` list")
    ids = []
    for position, task in enumerate(data["tasks"]):
        if not isinstance(task, dict) or not isinstance(task.get("id"), str):
            raise ValueError(f"eval.yaml tasks[{position}] has no string `id`")
        ids.append(task["id"].strip())
    return tuple(ids)


#: Reads one benchmark dataset's eval.yaml: its task ids, or a problem for people (never raises
#: for a Hub problem). `hub/eval_yaml.read_task_ids` bound to a Hub; tests pass their own.
TaskReader = Callable[[str], tuple[str, ...] | str]


def check_tasks(registry: Registry, *, read: TaskReader) -> TaskCheck:
    """Read each benchmark dataset's eval.yaml (once per dataset) through `read`. Problems are
    data. The reader is passed in so the registry never imports hub/ (imports flow one way)."""
    by_dataset: dict[str, tuple[str, ...] | str] = {}
    statuses = []
    for benchmark in registry.benchmarks:
        lowered = benchmark.dataset_id.lower()
        if lowered not in by_dataset:
            by_dataset[lowered] = read(benchmark.dataset_id)
        found = by_dataset[lowered]
        statuses.append(
            TaskStatus(benchmark.key, benchmark.dataset_id, error=found)
            if isinstance(found, str)
            else TaskStatus(benchmark.key, benchmark.dataset_id, defined=found)
        )
    return TaskCheck(statuses=tuple(statuses))
