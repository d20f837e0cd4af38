"""The stages of one run, built once from a `Config`: `Stages.build(config, hub=hub)`.

`plan`, `eeesync model`, `benchmarks --discover` and `eeesync import` all start the same way:
resolve the datastore locator, load the benchmark registry and the model aliases, and then scan
collections, check task ids, map records and verify backlinks with those. `Stages` holds what is
built once (like Alembic's `AutogenContext`, which carries the connection, the metadata and the
options every comparison of one autogenerate run reads) and builds the rest on request, so each
command reads the same settings the same way and none of them assembles the chain by hand.

Nothing here has a default a caller could silently fall back to: the registry in effect is the
configured one (`configured_registry`), never the built-ins alone.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from eeesync.aliases import AliasTable, load_configured_aliases
from eeesync.cache import AuditCache, ObjectCache
from eeesync.config import Config
from eeesync.datastore import open_datastore
from eeesync.datastore.links import LinkCheck, verify_links
from eeesync.datastore.locator import Locator, resolve_locator
from eeesync.datastore.scan import DatastoreScan
from eeesync.hub.client import Hub, is_rehearsal_endpoint
from eeesync.hub.eval_yaml import task_reader
from eeesync.mapping import MappingOptions
from eeesync.plan.model import DesiredEntry
from eeesync.registry import Registry, TaskCheck, check_tasks, load_registry


def configured_registry(config: Config) -> Registry:
    """The benchmark registry in effect: the built-ins merged with eeesync.toml's
    `[benchmarks.<key>]` tables (errors name the file and line). The only place that loads it
    from a config: commands that need nothing else (`apply`, `plan --benchmark` checks) call
    this; the rest get it from `Stages`."""
    return load_registry(config.benchmark_overrides, source_path=config.config_path)


def configured_locator(config: Config, *, hub: Hub) -> Locator:
    """The configured datastore, resolved to a commit (and its link revision for folders)."""
    return resolve_locator(
        config.datastore_input,
        hub=hub,
        base_dir=config.base_dir,
        link_repo=config.datastore_link_repo,
        link_revision=config.datastore_link_revision,
        layout=config.datastore_layout,
    )


@attrs.frozen
class Stages:
    """What one run of a command reads the datastore, the registry and the Hub with.

    Build it once per run with `Stages.build(config, hub=hub)`: that loads the registry and the
    aliases (a bad `[benchmarks]` table or alias file stops the run before any Hub read) and
    resolves the datastore to a commit. Then, in pipeline order:

    - `scan(collections)`: the chosen collections' indexes, records read as iterated;
    - `task_check()`: the registry's task ids against each benchmark's eval.yaml (or None
      when `[sync] check_tasks = false`);
    - `mapping_options(...)`: the config's mapping settings plus this run's filters;
    - `check_links(desired)`: the entries whose datastore backlink resolves;
    - `audit_cache(...)`: the on-disk cache of audited eval files.

    A new command that maps datastore records (an import, a report) takes a `Stages` rather
    than a `Config`, so it maps exactly as `plan` does.
    """

    config: Config
    hub: Hub
    locator: Locator
    registry: Registry
    aliases: AliasTable

    @classmethod
    def build(cls, config: Config, *, hub: Hub) -> Stages:
        """Load what the config names and resolve the datastore; raises `ConfigError` /
        `RegistryError` for a bad config and `DatastoreError` for a bad locator."""
        registry = configured_registry(config)
        aliases = load_configured_aliases(config)
        return cls(config, hub, configured_locator(config, hub=hub), registry, aliases)

    @property
    def web_base(self) -> str:
        """Base of the links people see (and PR descriptions hold)."""
        return self.hub.web_base

    def scan(self, collections: Sequence[str] | None, *, force: bool = False) -> DatastoreScan:
        """Open the collections (None: every collection of the datastore). Indexes are read
        now; records are read (and cached) as `DatastoreScan.records` is iterated. `force`
        ignores the object cache."""
        return open_datastore(
            self.locator,
            None if collections is None else list(collections),
            hub=self.hub,
            cache=ObjectCache(self.config.cache_dir),
            force=force,
            concurrency=self.config.download_parallelism,
        )

    def task_check(self) -> TaskCheck | None:
        """Each registry benchmark's task ids checked against its dataset's eval.yaml, read at
        the download width; None when the config turns the check off (ids are then written as
        the registry has them)."""
        if not self.config.check_tasks:
            return None
        datasets = [b.dataset_id for b in self.registry.benchmarks]
        reader = task_reader(self.hub, datasets, concurrency=self.config.download_parallelism)
        return check_tasks(self.registry, read=reader)

    def mapping_options(
        self,
        *,
        benchmark_filter: Sequence[str] = (),
        model_filter: str = "",
        shard: tuple[int, int] = (1, 1),
    ) -> MappingOptions:
        """The config's mapping settings (duplicates, API-only providers, aliases, links on
        this Hub) with this run's filters: registry keys, a model-id glob, `--shard K/N`."""
        return MappingOptions(
            duplicates=self.config.duplicates,
            api_only_providers=self.config.api_only_providers,
            web_base=self.hub.web_base,
            benchmark_filter=tuple(benchmark_filter),
            model_filter=model_filter,
            aliases=self.aliases,
            shard=shard,
        )

    def check_links(self, desired: Sequence[DesiredEntry]) -> LinkCheck:
        """Keep the entries whose `source.url` resolves to the bytes mapped; the rest become
        skips (only these may become `ready`)."""
        rehearsal = is_rehearsal_endpoint(self.hub.endpoint)
        return verify_links(desired, self.locator, hub=self.hub, rehearsal=rehearsal)

    def audit_cache(self, *, read: bool = True) -> AuditCache:
        """The eval files already audited, by Hub state (`read=False`: write fresh reads only)."""
        return AuditCache(self.config.cache_dir / "audit", read=read)
