"""Hostile `.eval_results` files (issue 14 §1): what a stranger may put on a model's main or in
an open PR. Shared by the tests and `benchmarks/bench_hostile.py`.

Each file targets MMLU-Pro (`MMLU_FILE`, `MMLU_DATASET`), so the planned entry is one the file
could hold: it must become that entry's `audit_error`, never stop the run.
"""

from __future__ import annotations

from tests.helpers import MMLU_DATASET, MMLU_TASK


def _entry(value: object = 61.0, *, date: str = "2025-01-01", notes: str = "") -> str:
    line = f"- dataset: {{id: {MMLU_DATASET}, task_id: {MMLU_TASK}}}\n  value: {value}\n"
    line += f"  date: {date}\n"
    return line + (f"  notes: {notes}\n" if notes else "")


def alias_bomb(key: str, levels: int = 9) -> bytes:
    """Billion laughs in one key of an otherwise valid entry."""
    lines = ['- _lol: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n']
    for i in range(1, levels + 1):
        refs = ",".join([f"*l{i - 1}"] * 9)
        lines.append(f"  _l{i}: &l{i} [{refs}]\n")
    values = {"notes": "x", "date": "2025-01-01", "value": "61"}
    values[key] = f"*l{levels}"
    lines.append(f"  dataset: {{id: {MMLU_DATASET}, task_id: {MMLU_TASK}}}\n")
    lines += [f"  {k}: {v}\n" for k, v in values.items()]
    return "".join(lines).encode()


def deep_nesting(levels: int = 20_000) -> bytes:
    return (_entry() + "  notes: " + "[" * levels + "]" * levels + "\n").encode()


def many_entries(count: int, *, conflicting: bool = False) -> bytes:
    """`count` flow-style entries; conflicting: all on MMLU-Pro with other scores."""
    out = []
    for i in range(count):
        dataset = MMLU_DATASET if conflicting else f"org/ds{i}"
        out.append(f"- {{dataset: {{id: {dataset}, task_id: {MMLU_TASK}}}, value: {i % 50}.5}}\n")
    return "".join(out).encode()


#: name → file content. Sizes as in the issue (20 MB, 400k / 100k entries).
HOSTILE_FILES: dict[str, bytes] = {
    "bad-date": _entry(date="2024-02-30").encode(),
    "bomb-notes": alias_bomb("notes"),
    "bomb-date": alias_bomb("date"),
    "bomb-value": alias_bomb("value"),
    "deep": deep_nesting(),
    "huge-valid": many_entries(400_000),
    "many-entries": many_entries(100_000),
    "huge-conflicts": many_entries(400_000, conflicting=True),
    "float-tag": _entry("!!float abc").encode(),
    "int-tag": _entry("!!int abc").encode(),
    "timestamp-tag": _entry(date="!!timestamp foo").encode(),
    "bool-tag": _entry(notes="!!bool maybe").encode(),
    "hour-25": _entry(date="2024-01-01 25:00:00").encode(),
}

#: Under the size cap but over the entry cap, or at it with every entry conflicting: the plan
#: and its render must stay small.
BOUNDARY_FILES: dict[str, bytes] = {
    "over-entry-cap": many_entries(1_001),
    "conflicts-at-cap": many_entries(1_000, conflicting=True),
}
