"""eeesync.parallel_map: a folder datastore mapped on worker processes gives exactly what one
process gives — entries, conflicts, skips (read and mapping), coverage counts, and the order in
which `on_repo` hears of repos (the streaming audit starts in that order)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from eeesync.datastore import open_datastore, resolve_locator
from eeesync.datastore.scan import DatastoreScan
from eeesync.mapping import MappingOptions, MappingResult, map_records
from eeesync.parallel_map import map_scan
from eeesync.registry import load_registry
from tests.helpers import build_datastore

FIXTURES = Path(__file__).parent / "fixtures"
REGISTRY = load_registry()


def _records() -> list[dict[str, Any]]:
    """Every real and adapter-shaped record of the fixtures, each under several model ids and
    scores: duplicates that collapse, conflicts, API-only models, sub-scores, unmatched."""
    found = sorted((FIXTURES / "eee-records").rglob("*.json"))
    found += sorted((FIXTURES / "adapter-shapes").rglob("*.json"))
    templates = [json.loads(path.read_text()) for path in found]
    rng = random.Random(7)
    out = []
    for copy in range(4):
        for template in templates:
            record = json.loads(json.dumps(template))
            if copy % 2:
                model = record["model_info"]
                model["id"] = f"{model['id']}-{copy}"
            for result in record.get("evaluation_results", []):
                details = result.get("score_details")
                if copy == 3 and isinstance(details, dict) and details.get("score") is not None:
                    details["score"] = round(rng.random(), 3)
            out.append(record)
    return out


@pytest.fixture(scope="module")
def datastore(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ds")
    records = _records()
    half = len(records) // 2
    build_datastore(
        root,
        {"alpha": records[:half], "beta": records[half:]},
        corrupt={("alpha", 3): "sha256", ("alpha", 10): "missing_object", ("beta", 5): "tamper"},
        extra_lines={"beta": ["not json", '{"object_path": 1}']},
    )
    return root


def _scan(root: Path) -> DatastoreScan:
    locator = resolve_locator(str(root), hub=None, base_dir=root, link_repo="o/d")
    return open_datastore(locator, None, hub=None)


def _map(root: Path, **parallel: Any) -> tuple[MappingResult, list[Any], list[str]]:
    scan, heard = _scan(root), []
    options = MappingOptions(duplicates="latest")
    if parallel:
        result = map_scan(scan, REGISTRY, options=options, on_repo=heard.append, **parallel)
    else:
        records = scan.records()
        result = map_records(records, REGISTRY, scan.locator, options=options, on_repo=heard.append)
    return result, scan.skipped, heard


def test_worker_processes_map_what_one_process_maps(datastore: Path) -> None:
    alone = _map(datastore)
    split = _map(datastore, workers=2, min_rows=0, chunk_rows=7)
    result = alone[0]
    assert result.desired and result.conflicts and result.skipped and result.unmatched
    assert len(alone[1]) >= 5  # read skips: sha256, missing, tampered, two bad index lines
    assert split == alone
