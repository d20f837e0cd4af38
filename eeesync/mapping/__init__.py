"""EEE records + the benchmark registry → the `.eval_results` entries each model should have.

The last step of the "desired state" half, pure: no I/O, no clock, no Hub. Three modules:

* `rules.py`: each mapping rule once (scale, date, model verdict, variant, choice among results,
  sub-score, lower-is-better), a pure function of the raw record/result dicts. The rules and
  the spellings they treat as one are stated in docs/mapping-rules.md.
* `rulebook.py`: one run's rules behind `eeesync.memo.Memo`s, and the entry a chosen result
  makes.
* `mapper.py`: the run (`map_records`, `Mapper`): asks the rulebook about each record and
  accumulates entries and skips, then resolves duplicates.

Entries are our own `EvalEntry`, holding what huggingface_hub's `EvalResultEntry` holds (its one
invariant, a source_url next to source_name, always holds here); `plan/merge.py` builds the
`EvalResultEntry` of every entry it writes.
"""

from eeesync.mapping.mapper import (
    SAME_VALUE,
    MappedBatch,
    Mapper,
    MappingOptions,
    MappingResult,
    map_records,
    unmatched_groups,
)
from eeesync.mapping.rules import (
    MAPPING_REASONS,
    REASONS,
    NotPublishable,
    api_only_reason,
    check_model_id,
    evaluation_date,
    finite_number,
    flag,
    in_shard,
    lower_is_better,
    parse_timestamp,
    scale_score,
)

__all__ = [
    "MAPPING_REASONS",
    "REASONS",
    "SAME_VALUE",
    "MappedBatch",
    "Mapper",
    "MappingOptions",
    "MappingResult",
    "NotPublishable",
    "api_only_reason",
    "check_model_id",
    "evaluation_date",
    "finite_number",
    "flag",
    "in_shard",
    "lower_is_better",
    "map_records",
    "parse_timestamp",
    "scale_score",
    "unmatched_groups",
]
