"""A bounded YAML loader for third-party files (any `.eval_results/*.yaml`, on main or in a PR).

`yaml.safe_load` is safe against code execution, not against size: an alias bomb ("billion
laughs") expands without bound once a consumer walks it, 20,000 nested lists hit Python's
recursion limit, and a 20 MB list takes minutes and gigabytes to construct. This loader checks
while *composing* (before any Python object exists):

- nesting depth (`max_depth`), counted per node, so deep input fails at the first deep node;
- anchors and aliases: at most `max_aliases` aliases, none to a node still being composed;
- the expanded size: nodes and scalar characters counted as if every alias were a copy, so what
  a consumer may later walk is bounded (`max_nodes`, `max_chars`);
- the number of items of the top-level list (`max_entries`: an eval file is a list of entries).

Constructor failures that PyYAML lets through as other exceptions (`!!float abc` → ValueError,
`!!bool maybe` → KeyError, `2024-02-30` → ValueError, `!!timestamp foo` → AttributeError) become
`ConstructorError`s naming the line. Every refusal is a `yaml.MarkedYAMLError`, so callers catch
one exception type. libyaml's C parser is used when present (it parses ~3x faster); the
composition checks are the same either way.
"""

from __future__ import annotations

from typing import Any

import attrs
import yaml
from yaml.composer import Composer, ComposerError
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.events import (
    AliasEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from yaml.nodes import Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

try:  # libyaml: the scanner and parser in C (the composer stays ours, below)
    from yaml._yaml import CParser as _Parser
except ImportError:  # pragma: no cover - pure-Python PyYAML
    from yaml.parser import Parser as _PyParser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Parser(Reader, Scanner, _PyParser):  # type: ignore[no-redef,misc]
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            _PyParser.__init__(self)


@attrs.frozen
class YamlLimits:
    """Bounds for one document. The defaults are far above any real Community Evals file (a
    handful of entries, 4 levels deep, no anchors)."""

    max_depth: int = 32
    max_aliases: int = 32
    max_entries: int = 1000
    max_nodes: int = 50_000
    max_chars: int = 4 * 1024 * 1024


DEFAULT_LIMITS = YamlLimits()

_SHORT_TAGS = {f"tag:yaml.org,2002:{t}": f"!!{t}" for t in ("float", "int", "bool", "timestamp")}


class YamlLimitError(ComposerError):  # type: ignore[misc]  # PyYAML is untyped
    """The document exceeds a `YamlLimits` bound (refused before it is constructed)."""


class _BoundedComposer(Composer):  # type: ignore[misc]
    """PyYAML's composer with the checks of the module doc (expects an event source)."""

    limits: YamlLimits

    def __init__(self, limits: YamlLimits) -> None:
        Composer.__init__(self)
        self.limits = limits
        self._depth = 0
        self._aliases = 0
        self._nodes = 0
        self._chars = 0
        #: Expanded (nodes, chars) of each finished anchored node; absent while composing.
        self._anchor_size: dict[str, tuple[int, int]] = {}

    def _refuse(self, problem: str, event: Any) -> YamlLimitError:
        return YamlLimitError(None, None, problem, event.start_mark)

    def _grow(self, nodes: int, chars: int, event: Any) -> None:
        self._nodes += nodes
        self._chars += chars
        if self._nodes > self.limits.max_nodes:
            raise self._refuse(f"more than {self.limits.max_nodes} YAML nodes", event)
        if self._chars > self.limits.max_chars:
            raise self._refuse(f"more than {self.limits.max_chars} characters of text", event)

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        if self.check_event(AliasEvent):
            event = self.get_event()
            self._aliases += 1
            if self._aliases > self.limits.max_aliases:
                raise self._refuse(f"more than {self.limits.max_aliases} aliases", event)
            if event.anchor in self.anchors and event.anchor not in self._anchor_size:
                raise self._refuse(f"alias *{event.anchor} refers to itself", event)
            if event.anchor not in self.anchors:
                raise ComposerError(
                    None, None, f"undefined alias *{event.anchor}", event.start_mark
                )
            self._grow(*self._anchor_size[event.anchor], event)
            return self.anchors[event.anchor]
        event = self.peek_event()
        self._depth += 1
        if self._depth > self.limits.max_depth:
            raise self._refuse(f"nested deeper than {self.limits.max_depth} levels", event)
        before = (self._nodes, self._chars)
        if isinstance(event, ScalarEvent):
            self._grow(1, len(event.value), event)
        elif isinstance(event, (SequenceStartEvent, MappingStartEvent)):
            self._grow(1, 0, event)
        node = super().compose_node(parent, index)
        self._depth -= 1
        if event.anchor is not None:
            self._anchor_size[event.anchor] = (self._nodes - before[0], self._chars - before[1])
        return node

    def compose_sequence_node(self, anchor: str | None) -> SequenceNode:
        if self._depth != 1:
            return super().compose_sequence_node(anchor)
        # The top-level list: its items are the file's entries.
        start = self.get_event()
        tag = start.tag
        if tag is None or tag == "!":
            tag = self.resolve(SequenceNode, None, start.implicit)
        node = SequenceNode(tag, [], start.start_mark, None, flow_style=start.flow_style)
        if anchor is not None:
            self.anchors[anchor] = node
        while not self.check_event(SequenceEndEvent):
            if len(node.value) >= self.limits.max_entries:
                raise self._refuse(
                    f"more than {self.limits.max_entries} entries", self.peek_event()
                )
            node.value.append(self.compose_node(node, len(node.value)))
        node.end_mark = self.get_event().end_mark
        return node


class _GuardedConstructor(SafeConstructor):  # type: ignore[misc]
    """SafeConstructor whose non-YAML failures become `ConstructorError`s with a line."""

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except yaml.YAMLError:
            raise
        except Exception as exc:  # ValueError, KeyError, AttributeError, OverflowError, …
            tag = _SHORT_TAGS.get(node.tag, node.tag)
            shown = repr(node.value)[:40] if isinstance(node, ScalarNode) else "this node"
            why = f" ({str(exc)[:80]})" if isinstance(exc, ValueError) and str(exc) else ""
            raise ConstructorError(
                None, None, f"{tag} value {shown} is invalid{why}", node.start_mark
            ) from exc


class BoundedSafeLoader(_BoundedComposer, _Parser, _GuardedConstructor, Resolver):  # type: ignore[misc]
    """`yaml.SafeLoader` semantics within `YamlLimits` (see the module doc)."""

    def __init__(self, stream: str, limits: YamlLimits = DEFAULT_LIMITS) -> None:
        _Parser.__init__(self, stream)
        _BoundedComposer.__init__(self, limits)
        _GuardedConstructor.__init__(self)
        Resolver.__init__(self)


def load(text: str, limits: YamlLimits = DEFAULT_LIMITS) -> Any:
    """Load one YAML document within `limits`. Raises `yaml.YAMLError` (a `MarkedYAMLError`
    naming the line for every bound and every invalid typed value), nothing else for any input.

    Example:
        >>> load("- {a: 1}")
        [{'a': 1}]
        >>> load("[" * 100 + "]" * 100)
        Traceback (most recent call last):
        ...
        eeesync.hub.safe_yaml.YamlLimitError: nested deeper than 32 levels
          in "<unicode string>", line 1, column 33
    """
    loader = BoundedSafeLoader(text, limits)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()
