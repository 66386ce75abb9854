"""YAML loading that remembers the line of every key and list item, for `path:line: message` reports."""

from __future__ import annotations

import datetime

import yaml
from yaml.composer import Composer, ComposerError
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver


class LineMap(dict):
    """A mapping that knows its own line and the line of each key (1-based)."""

    line = 0
    duplicates: list[tuple[object, int]]

    def line_of(self, key: object) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list):
    line = 0

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if 0 <= index < len(self.item_lines) else self.line


class BadDate(str):
    """A value that looked like a date but is not one (2026-13-45): kept as text to report it."""


class AliasRefused(ComposerError):
    """An anchor or alias in content (refused: see _NoAliases)."""


class _NoAliases(Composer):
    """A composer that refuses anchors (&name) and aliases (*name).

    Content never needs them, and a few hundred bytes of nested aliases (a "billion laughs" file)
    expand to billions of nodes: refused at the first one, loading stays linear in the file's size.
    """

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise AliasRefused(None, None, f"an alias (*{event.anchor}) is not allowed in content; "
                                "write the value out in full", event.start_mark)
        if getattr(event, "anchor", None) is not None:
            raise AliasRefused(None, None, f"an anchor (&{event.anchor}) is not allowed in content; "
                                "remove it and write values out in full", event.start_mark)
        return super().compose_node(parent, index)


if yaml.__with_libyaml__:
    from yaml.cyaml import CParser

    class _Loader(_NoAliases, CParser, SafeConstructor, Resolver):
        """libyaml's parser (about 9x faster than PyYAML's own) under PyYAML's Python composer.

        libyaml's own composer recurses in C: a file of 50,000 "[" crashes the process. The Python
        composer raises RecursionError instead, which the loader reports as a content error.
        """

        def __init__(self, stream: str):
            CParser.__init__(self, stream)
            _NoAliases.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)

else:  # pragma: no cover - PyYAML built without libyaml

    class _Loader(_NoAliases, yaml.SafeLoader):
        pass


def _mapping(loader: _Loader, node: yaml.MappingNode) -> LineMap:
    loader.flatten_mapping(node)
    out = LineMap()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    out.duplicates = []
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            key = str(key)
        if key in out:
            out.duplicates.append((key, key_node.start_mark.line + 1))
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = key_node.start_mark.line + 1
    return out


def _sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    out = LineList(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    out.item_lines = [child.start_mark.line + 1 for child in node.value]
    return out


def _timestamp(loader: _Loader, node: yaml.ScalarNode) -> object:
    try:
        return SafeConstructor.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError):
        return BadDate(node.value)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def load(text: str) -> object:
    """Parse YAML; raises yaml.YAMLError (with problem_mark) on syntax errors."""
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass


def is_date(value: object) -> bool:
    return isinstance(value, datetime.date) and not isinstance(value, datetime.datetime)
