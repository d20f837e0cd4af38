"""Reason codes for datastore rows and objects that yield no record (`SkippedItem.reason`).

Stable snake_case strings: plan files store them and views group by them, so a code never
changes meaning. The mapping's own codes live in `eeesync.mapping.MAPPING_REASONS`;
`eeesync.mapping.REASONS` is the union both views use.
"""

from __future__ import annotations

DATASTORE_REASONS: dict[str, str] = {
    # --- index rows (flat/indexes/by_collection/<collection>.jsonl) ---
    "bad_index_line": "the index line is not valid UTF-8 JSON",
    "index_row_not_object": "the index line is JSON but not an object",
    "non_aggregate_row": "the row's record_type is not `aggregate`",
    "unsupported_row_source": "the row points at `url`/`local_path` instead of a datastore object",
    "bad_object_path": "object_path is missing or not a safe flat/objects/…/*.json path",
    "missing_sha256": "the row has no sha256, so the object cannot be verified",
    "bad_sha256": "the row's sha256 is not 64 hex digits",
    "bad_size": "size_bytes is not a non-negative whole number",
    "bad_subset": "subset is present but not a non-empty string",
    "duplicate_row": "the same object_path appears twice in the collection index",
    # --- objects (flat/objects/xx/yy/<uuid>.json) ---
    "object_missing": "the object named by the row does not exist",
    "download_error": "the object could not be downloaded (after retries)",
    "read_error": "the object file could not be read",
    "size_mismatch": "the object's byte size differs from the row's size_bytes",
    "sha256_mismatch": "the object's sha256 differs from the row's sha256",
    "not_utf8": "the object is not UTF-8 text",
    "bad_json": "the object is not valid JSON",
    "not_an_object": "the object's JSON is not an object",
    "unsupported_schema_version": "schema_version is missing or outside 0.2 … 0.x",
    "schema_error": "a required key is missing or has the wrong type",
    # --- submission-layout files (data/<collection>/<developer>/<model>/<uuid>.json) ---
    "bad_submission_path": "a .json file under data/ is not at "
    "data/<collection>/<developer>/<model>/<uuid>.json, or a part of its path is unusable",
    "record_too_large": "the file is larger than a record may be, so it is not read",
    "blob_id_mismatch": "the file's git blob id differs from the one the Hub listing gave",
    # --- backlinks (datastore/links.py) ---
    "unpinned_datastore": "the datastore folder names no Hub commit, so its backlinks would not "
    "resolve (pin it: hf download --local-dir, a git checkout, or [datastore] link_revision)",
    "source_link_missing": "the object is not in the datastore repo at the linked revision",
    "source_link_differs": "the object at the linked revision differs from the bytes mapped",
    "source_link_unverified": "the Hub did not answer the link check, or the file changed",
}
