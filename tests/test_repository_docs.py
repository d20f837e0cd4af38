"""The repository stands alone: nothing cites a document that is not in it, and the README's
module map names every module under `eeesync/` (a new module fails here until it is listed)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.test_layering import LAYERS

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "eeesync"
#: Where the code, its tests and its documents live.
SEARCHED = ("eeesync", "tests", "benchmarks", "docs", "examples", "README.md")
TEXT_SUFFIXES = {".py", ".md", ".toml", ".yaml", ".yml", ".txt", ".cfg", ".sh"}

#: A cited document: a `NAME.md`, or an all-capitals name with a section (`NOTES §4`).
CITATION = re.compile(r"(?<![\w/.-])([\w.-]+\.md)\b|\b([A-Z][A-Z_-]{2,})(\.md)?\s*§")


def _text_files() -> list[Path]:
    found: list[Path] = []
    for name in SEARCHED:
        path = ROOT / name
        candidates = [path] if path.is_file() else sorted(path.rglob("*"))
        found += [p for p in candidates if p.is_file() and p.suffix in TEXT_SUFFIXES]
    return found


def outside_citations(files: list[Path], documents: set[str]) -> list[str]:
    """Lines citing a document whose name is not among `documents` (the repository's own
    markdown files): such a citation sends a reader nowhere. State the fact instead, or point at
    docs/architecture.md, docs/* or the README."""
    problems = []
    for path in files:
        if path.resolve() == Path(__file__).resolve():  # its examples are invented names
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if any(m.group(1) not in documents for m in CITATION.finditer(line)):
                problems.append(f"{path}:{number}: {line.strip()}")
    return problems


def _module_map(readme: str) -> list[str]:
    """The README's module map as bullets (a bullet and its indented continuation lines)."""
    section = readme.split("### Module map", 1)[1].split("\n#", 1)[0]
    bullets: list[str] = []
    for line in section.splitlines():
        if line.startswith("- "):
            bullets.append(line)
        elif bullets and line.startswith("  "):
            bullets[-1] += " " + line.strip()
    return bullets


def unlisted_modules(readme: str, package: Path) -> list[str]:
    """Modules under `package` that the map does not name: `pkg/name.py` as `name.py` in the
    bullet that opens with `` `pkg/` ``, a top-level module as `name.py` in another bullet."""
    by_package: dict[str, str] = {}
    top_level = ""
    for bullet in _module_map(readme):
        opening = re.match(r"- `([\w/]+/)`", bullet)
        if opening:
            by_package[opening.group(1)] = bullet
        else:
            top_level += bullet
    missing = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package)
        folder = "".join(f"{part}/" for part in relative.parts[:-1])
        if folder and path.name == "__init__.py":
            if folder not in by_package:
                missing.append(str(relative.parent) + "/")
            continue
        text = by_package.get(folder, "") if folder else top_level
        if f"`{path.name}`" not in text:
            missing.append(str(relative))
    return missing


def test_nothing_cites_a_document_outside_the_repository() -> None:
    files = _text_files()
    documents = {p.name for p in files if p.suffix == ".md"}
    assert outside_citations(files, documents) == []


def test_the_citation_check_sees_each_outside_document(tmp_path: Path) -> None:
    cited = tmp_path / "cites.py"
    lines = ["# NOTES.md §4", "# (NOTES §6)", "# see hub-notes.md", "# see README.md", "# fine"]
    cited.write_text("\n".join(lines), encoding="utf-8")
    found = outside_citations([cited], {"README.md"})
    assert [line.split(": ", 1)[1] for line in found] == lines[:3]


def test_the_module_map_lists_every_module() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert unlisted_modules(readme, PACKAGE) == []


def test_the_module_map_check_sees_a_missing_module(tmp_path: Path) -> None:
    (tmp_path / "hub").mkdir()
    for name in ("__init__.py", "config.py", "hub/__init__.py", "hub/client.py", "hub/new.py"):
        (tmp_path / name).write_text("", encoding="utf-8")
    readme = "### Module map\n\n- `hub/`: `client.py`\n- Shared: `config.py`,\n  `__init__.py`\n"
    assert unlisted_modules(readme, tmp_path) == ["hub/new.py"]


def test_the_architecture_layer_table_is_the_layering_tests() -> None:
    """docs/architecture.md's *Layers* table names each unit at the layer the import check
    enforces, so a newcomer reads the rule that holds."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    documented: dict[str, int] = {}
    for layer, units in re.findall(r"^\| (\d) [^|]*\| ([^|]*) \|", text, flags=re.M):
        documented |= {unit: int(layer) for unit in re.findall(r"`(\w+)`", units)}
    assert documented == LAYERS
