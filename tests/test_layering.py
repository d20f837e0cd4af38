"""The import rule of docs/architecture.md (*Layers*), checked on the source: no package-level
cycles, no upward import.

The graph is built with `ast` from every module under `eeesync/` (imports inside functions and
under `TYPE_CHECKING` count: a type-only import is still a dependency a reader must follow).
A node is a top-level unit of the package: `eeesync.plan.diff` → `plan`, `eeesync.config` →
`config`, `from eeesync import __version__` → `__init__`.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "eeesync"

#: Lower number = lower layer. A unit may import units of its own layer or below (same-layer
#: imports must still be acyclic), never above.
LAYERS: dict[str, int] = {
    # vocabulary and helpers every layer may use
    "__init__": 0,
    "errors": 0,
    "fsutil": 0,
    "progress": 0,
    "tomlkeys": 0,
    "text": 0,  # short shas, counted nouns, markdown escaping: views and PR descriptions
    "settings_validation": 0,
    "setups": 0,  # setup facts → notes: read by the mapping, a leaf over raw dicts
    "nearest": 0,  # the closest names to a typo, for error hints
    "memo": 0,  # the per-run memo of a rule (the mapping's rulebook, the registry's lookup)
    # configuration and the benchmark registry
    "config": 1,
    "registry": 1,
    "aliases": 1,
    "policy": 1,  # the checked-in opt-out list and reconsidered declines
    # the pipeline's stages, each a plain function over data
    "hub": 2,
    "cache": 2,
    "datastore": 2,
    "mapping": 2,
    "plan": 2,
    # what connects the stages
    "stages": 3,  # the stages of one run, built once from a Config (plan, model, discover, …)
    "pipeline": 3,
    "parallel_map": 3,  # the scan + mapping over worker processes (a large folder datastore)
    "model_report": 3,
    "suggest": 3,
    "apply": 3,
    "discover": 3,  # the Hub's official benchmarks against the registry (+ a mapping)
    "imports": 3,  # `eeesync import`: Hub leaderboards → new EEE records → one datastore PR
    "trail": 3,  # what the checked-in apply journals say we did (PRs opened, PRs refused)
    # rendering and the local Hub server (a test/demo tool the CLI can start)
    "views": 4,
    "localhub": 4,
    # wiring
    "cli": 5,
    "__main__": 5,
}

#: Edges the layer table allows but the design forbids.
FORBIDDEN: dict[str, set[str]] = {
    # hub/ gets plain values (endpoint, token, timeout) from the CLI, never the Config.
    "hub": {"config", "localhub"},
    # plan/ is plan-as-data: model, diff, merge, file; it reads the audited Hub state only.
    "plan": {"config", "registry", "cache", "datastore", "mapping"},
    # views only render finished data: they never reach the Hub, files or the pipeline.
    "views": {"config", "registry", "hub", "cache", "datastore", "mapping", "pipeline"},
}

#: Modules that may import only these eeesync modules (prefix match): the shared vocabulary is
#: leaf data, and plan/ is plan-as-data (Terraform's `plans/`, which reads `states/` too).
MODULE_ALLOWED: dict[str, tuple[str, ...]] = {
    "eeesync.errors": (),
    "eeesync.text": (),
    "eeesync.progress": (),
    "eeesync.plan.model": (),
    "eeesync.hub.state": ("eeesync.hub.safe_yaml",),
    "eeesync.hub.safe_yaml": (),
    "eeesync.plan": ("eeesync.plan", "eeesync.errors", "eeesync.fsutil", "eeesync.hub.state"),
}

#: Only the CLI (and tests) may start the local Hub.
LOCALHUB_IMPORTERS = {"cli", "localhub"}

#: Only rendering and wiring talk to rich; the rest reports progress through `eeesync.progress`.
RICH_IMPORTERS = {"views", "cli"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path: Path) -> set[str]:
    """Absolute module names imported by the file at `path` (relative imports resolved)."""
    module = _module_name(path)
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target != "eeesync":
                found.add(target)
                continue
            # `from eeesync import plan` names a unit; `__version__` is eeesync/__init__'s
            for alias in node.names:
                dunder = alias.name.startswith("__")
                found.add("eeesync" if dunder else f"eeesync.{alias.name}")
    return found


def unit_graph() -> dict[str, set[str]]:
    """unit → units it imports (eeesync only, self-edges dropped)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for path in sorted(PACKAGE.rglob("*.py")):
        source = _unit(_module_name(path))
        graph[source]
        for target in _imports(path):
            if target == "eeesync" or target.startswith("eeesync."):
                unit = _unit(target)
                if unit != source:
                    graph[source].add(unit)
    return dict(graph)


def module_violations() -> list[str]:
    """Imports of a module restricted by `MODULE_ALLOWED` (the longest matching prefix rules)."""
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        rules = [k for k in MODULE_ALLOWED if module == k or module.startswith(k + ".")]
        if not rules:
            continue
        allowed = MODULE_ALLOWED[max(rules, key=len)]
        for target in sorted(_imports(path)):
            if not (target == "eeesync" or target.startswith("eeesync.")):
                continue
            if not any(target == a or target.startswith(a + ".") for a in allowed):
                problems.append(f"{module} -> {target}: outside what it may import")
    return problems


def rich_importers() -> set[str]:
    units = set()
    for path in PACKAGE.rglob("*.py"):
        if any(t == "rich" or t.startswith("rich.") for t in _imports(path)):
            units.add(_unit(_module_name(path)))
    return units


def cycles(graph: dict[str, set[str]]) -> list[tuple[str, ...]]:
    """Strongly connected components with more than one unit (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[tuple[str, ...]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph.get(node, ())):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(tuple(sorted(component)))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def violations(graph: dict[str, set[str]]) -> list[str]:
    """Every edge that breaks the layer table or a forbidden-edge rule, as readable lines."""
    problems = []
    for source in sorted(graph):
        for target in sorted(graph[source]):
            if source not in LAYERS or target not in LAYERS:
                problems.append(f"{source} -> {target}: unit missing from LAYERS")
            elif LAYERS[target] > LAYERS[source]:
                problems.append(f"{source} -> {target}: upward import")
            elif target in FORBIDDEN.get(source, ()):
                problems.append(f"{source} -> {target}: forbidden edge")
            elif target == "localhub" and source not in LOCALHUB_IMPORTERS:
                problems.append(f"{source} -> {target}: only cli may start the local Hub")
    for unit in sorted(rich_importers() - RICH_IMPORTERS):
        problems.append(f"{unit} -> rich: only views/cli render")
    return problems


def test_every_unit_has_a_layer() -> None:
    assert sorted(set(unit_graph()) - set(LAYERS)) == []


def test_no_package_level_cycles() -> None:
    assert cycles(unit_graph()) == []


def test_no_upward_or_forbidden_imports() -> None:
    assert violations(unit_graph()) == []


def test_vocabulary_modules_and_plan_stay_leaves() -> None:
    assert module_violations() == []


def test_checker_sees_a_planted_cycle_and_upward_edge() -> None:
    # the checker itself must be able to fail
    graph = {"plan": {"datastore"}, "datastore": {"plan"}, "hub": {"config", "cli"}}
    assert cycles(graph) == [("datastore", "plan")]
    problems = violations(graph)
    assert "hub -> cli: upward import" in problems
    assert "hub -> config: forbidden edge" in problems


if __name__ == "__main__":  # `python tests/test_layering.py`: print the current state
    graph = unit_graph()
    for component in cycles(graph):
        print("cycle:", " <-> ".join(component))
    for line in [*violations(graph), *module_violations()]:
        print(line)
