"""`eeesync benchmarks [--check | --discover [COLLECTION…]] [--format text|json]`: the registry.

Lists the built-in definitions merged with `[benchmarks.<key>]` tables of eeesync.toml. `--check`
reads each benchmark dataset's `eval.yaml` from the configured Hub (the authority on task ids: an
entry's `task_id` must be one of its `tasks[].id`) and exits 1 when a task id (with its aliases) is
not defined there or an eval.yaml cannot be read. `--discover` lists the Hub's official benchmarks
with their eval.yaml task ids, marks the ones the registry covers and flags registry entries the Hub
no longer lists; given collections, it maps them and says how many results each benchmark could map.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

import attrs
from rich.table import Table

from eeesync.cli.common import open_hub
from eeesync.discover import Discovery, discover, official_benchmarks
from eeesync.hub.client import hub_failures
from eeesync.hub.eval_yaml import read_task_ids, task_reader
from eeesync.mapping import map_records
from eeesync.registry import Benchmark, Registry, TaskCheck, check_tasks
from eeesync.stages import Stages, configured_registry

if TYPE_CHECKING:
    from eeesync.cli.main import App

HELP = "list the benchmark registry; --check verifies task ids against each eval.yaml"
#: No markdown view of the registry (`--format markdown` is an error): text or JSON.
FORMATS = ("text", "json")  # `--format`/`--json`, added by cli/main


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare this command's flags."""
    parser.add_argument(
        "--check",
        action="store_true",
        help="download each benchmark dataset's eval.yaml and verify the task ids (exit 1 if not)",
    )
    parser.add_argument(
        "--discover",
        nargs="*",
        metavar="COLLECTION",
        help="list the Hub's official benchmarks against the registry; with collections, "
        "count the results each benchmark could map",
    )


def _tasks_text(benchmark: Benchmark) -> str:
    def one(task: str, aliases: tuple[str, ...]) -> str:
        return task + (f" (= {', '.join(aliases)})" if aliases else "")

    if not benchmark.variants:
        return one(benchmark.task_id, benchmark.task_aliases)
    lines = []
    for variant in benchmark.variants:
        default = " *" if variant.name == benchmark.default_variant else ""
        lines.append(f"{variant.name}{default}: {one(variant.task_id, variant.task_aliases)}")
    return "\n".join(lines)


def _status_text(benchmark: Benchmark, check: TaskCheck, registry: Registry) -> str:
    status = check.status(benchmark.key)
    if status is None:
        return "not checked"
    if not status.ok:
        return f"[red]error[/]: {status.error}"
    missing = [m for m in check.missing(registry) if m[0] == benchmark.key]
    if not missing:
        return "[green]ok[/]"
    return "\n".join(
        f"[red]missing[/] {'/'.join(ids)}" + (f" ({variant})" if variant else "")
        for _, variant, ids in missing
    )


def _as_json(registry: Registry, check: TaskCheck | None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "registry_digest": registry.digest(),
        "benchmarks": [attrs.asdict(b) for b in registry.benchmarks],
    }
    if check is not None:
        data["check"] = {
            "statuses": [attrs.asdict(s) for s in check.statuses],
            "missing": [
                {"benchmark": key, "variant": variant, "task_ids": list(ids)}
                for key, variant, ids in check.missing(registry)
            ],
        }
    return data


def _discover(args: argparse.Namespace, app: App) -> int:
    config = app.config()
    collections: tuple[str, ...] = tuple(args.discover)
    with open_hub(config) as hub, hub_failures(config.endpoint_input, request="the listing"):
        # Given collections, they are mapped as `plan` maps them (task ids unchecked).
        stages = Stages.build(config, hub=hub) if collections else None
        registry = stages.registry if stages is not None else configured_registry(config)
        official = official_benchmarks(hub)
        mapped = None
        if stages is not None:
            mapped = map_records(
                stages.scan(collections).records(concurrency=config.download_parallelism),
                registry,
                stages.locator,
                options=stages.mapping_options(),
            )
        found = discover(
            registry,
            official,
            lambda dataset: read_task_ids(hub, dataset),
            mapped=mapped,
            collections=collections,
        )
    if args.format == "json":
        text = json.dumps(attrs.asdict(found), indent=2, sort_keys=True)
        app.console.print(text, markup=False, highlight=False, soft_wrap=True)
        return 0
    _print_discovery(app, found, config.endpoint_input)
    return 0


def _print_discovery(app: App, found: Discovery, endpoint: str) -> None:
    table = Table(
        title=f"Official benchmarks on {endpoint} ({len(found.official)})",
        title_justify="left",
        show_lines=False,
    )
    table.add_column("Dataset", overflow="fold")
    table.add_column("eval.yaml task ids", overflow="fold")
    table.add_column("Registry", no_wrap=True)
    if found.collections:
        table.add_column("Mapped", justify="right", no_wrap=True)
        table.add_column("Skipped", justify="right", no_wrap=True)
    for benchmark in found.official:
        tasks = (
            ", ".join(benchmark.task_ids) if not benchmark.error else f"[red]{benchmark.error}[/]"
        )
        covered = ", ".join(benchmark.covered_by) or "[yellow]not covered[/]"
        cells = [benchmark.dataset_id, tasks, covered]
        if benchmark.coverage is not None:
            cells += [str(benchmark.coverage.mapped), str(benchmark.coverage.skipped)]
        table.add_row(*cells)
    app.console.print(table)
    for key, dataset in found.not_official:
        app.console.print(
            f"[yellow]Registry entry {key} ({dataset}) is not an official benchmark on the Hub.[/]"
        )
    if found.collections:
        app.console.print(
            f"{found.records_seen:,} records in {', '.join(found.collections)}; "
            f"{found.unmatched_results:,} results matched no benchmark."
        )
    if found.uncovered:
        app.console.print(
            f"{len(found.uncovered)} official benchmark(s) have no registry entry: add a "
            '[benchmarks.<key>] table to eeesync.toml (README "Benchmarks").'
        )


def run(args: argparse.Namespace, app: App) -> int:
    if args.discover is not None:
        return _discover(args, app)
    config = app.config()
    registry = configured_registry(config)
    check: TaskCheck | None = None
    if args.check:
        with open_hub(config) as hub:
            datasets = [b.dataset_id for b in registry.benchmarks]
            reader = task_reader(hub, datasets, concurrency=config.download_parallelism)
            check = check_tasks(registry, read=reader)
    failed = check is not None and bool(check.missing(registry) or check.errors())
    if args.format == "json":
        text = json.dumps(_as_json(registry, check), indent=2, sort_keys=True)
        app.console.print(text, markup=False, highlight=False, soft_wrap=True)
        return 1 if failed else 0
    table = Table(title="Benchmarks", title_justify="left", show_lines=True)
    table.add_column("Key", no_wrap=True)
    table.add_column("Benchmark / dataset / file", overflow="fold")
    table.add_column("Task ids", overflow="fold")
    if check is not None:
        table.add_column("eval.yaml", overflow="fold")
    for benchmark in registry.benchmarks:
        cells = [
            benchmark.key,
            f"{benchmark.name}\n{benchmark.dataset_id}\n[dim]{benchmark.file_path}[/]",
            _tasks_text(benchmark),
        ]
        if check is not None:
            cells.append(_status_text(benchmark, check, registry))
        table.add_row(*cells)
    app.console.print(table)
    with_variants = [b for b in registry.benchmarks if b.variants]
    if with_variants:
        # `*` is explained only when a default variant shows one.
        marked = any(v.name == b.default_variant for b in with_variants for v in b.variants)
        app.console.print(
            "[dim]Variants: "
            + ("* marks the default; without one, a" if marked else "a")
            + " result naming no variant is skipped (variant_unknown).[/]"
        )
    if check is not None:
        if failed:
            app.console.print(
                "[red]Some task ids are not defined by their benchmark's eval.yaml[/] "
                "(entries for them would be skipped as unknown_task)."
            )
        else:
            app.console.print(f"[green]All task ids are defined on {config.endpoint_input}.[/]")
    return 1 if failed else 0
