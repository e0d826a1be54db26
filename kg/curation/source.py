"""Read a YAML case file into plain data plus a map from each value's path to its line and column.

Validation reports every problem with its position, so positions must survive parsing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Pointer = tuple[str | int, ...]


# libyaml parses a case file about five times faster than the pure-Python parser, which matters
# when a folder of hundreds of cases is validated; both give the same nodes and marks.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StringDateLoader(_SafeLoader):  # type: ignore[misc,valid-type]
    """A safe loader that leaves dates as strings: the schema, not YAML, decides their type."""


_StringDateLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass
class SourceDocument:
    """A parsed YAML document and the position of every value in it (1-based line and column)."""

    path: Path
    data: Any
    positions: dict[Pointer, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[Pointer, tuple[int, int]] = field(default_factory=dict)

    def position(self, pointer: Pointer, *, key: bool = False) -> tuple[int, int]:
        """Return the line and column of a value, or of its nearest ancestor that has one.

        :param pointer: the path to the value, as keys and list indices.
        :param key: locate the mapping key rather than its value (for unknown-field errors).
        :returns: (line, column), both 1-based; (1, 1) when nothing better is known.
        """
        table = self.key_positions if key else self.positions
        probe = tuple(pointer)
        while probe:
            if probe in table:
                return table[probe]
            if probe in self.positions:
                return self.positions[probe]
            probe = probe[:-1]
        return self.positions.get((), (1, 1))


def parse_yaml(text: str, path: Path) -> SourceDocument:
    """Parse YAML text, recording positions.

    :param text: the file's content.
    :param path: where it came from, for messages.
    :returns: the document with its positions.
    :raises yaml.YAMLError: on a syntax error (its ``problem_mark`` gives the position).

    >>> doc = parse_yaml("a:\\n  - b: 1\\n", Path("x.yaml"))
    >>> doc.data, doc.position(("a", 0, "b"))
    ({'a': [{'b': 1}]}, (2, 8))
    """
    doc = SourceDocument(path=path, data=None)
    loader = _StringDateLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return doc
        try:
            doc.data = _Builder(loader, doc).build(node, ())
        except _NeedsConstructor:
            doc.positions.clear()
            doc.key_positions.clear()
            # the same nodes, parsed once; built first, so that a key PyYAML refuses (a list)
            # is reported as its YAML error before the walk meets it
            doc.data = loader.construct_document(node)
            _record_positions(node, (), doc)
    finally:
        loader.dispose()
    return doc


class _NeedsConstructor(Exception):
    """The document uses YAML that only PyYAML's own constructor handles exactly."""


_STR, _MAP, _SEQ = (f"tag:yaml.org,2002:{name}" for name in ("str", "map", "seq"))
# Scalars other than text, built by PyYAML's own constructor methods so that "0x1F", "1_000" and
# ".inf" mean what they mean in PyYAML.
_OTHER_SCALARS = frozenset(f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int", "float"))


class _Builder:
    """Build the data and record every position in one walk over the composed nodes.

    PyYAML's constructor and a second walk for the positions cost about as much as composing the
    nodes, and a build reads every case file. The walk covers what case and claim files are made
    of: mappings with scalar keys, lists, text, numbers, booleans and nulls, each written once.
    Anything else (aliases, merge keys, explicit tags such as !!binary) raises
    :class:`_NeedsConstructor`, and the document is built by PyYAML's constructor instead, so the
    data is always what PyYAML's safe loader gives.
    """

    def __init__(self, loader: yaml.BaseLoader, doc: SourceDocument) -> None:
        self.loader = loader
        self.doc = doc
        self.seen: set[int] = set()

    def build(self, node: yaml.Node, pointer: Pointer) -> Any:
        """Return the value of ``node``, recording its position (and its keys') at ``pointer``."""
        if id(node) in self.seen:  # an alias: the same node reached twice
            raise _NeedsConstructor
        self.seen.add(id(node))
        self.doc.positions[pointer] = (node.start_mark.line + 1, node.start_mark.column + 1)
        tag = node.tag
        if tag == _MAP and isinstance(node, yaml.MappingNode):
            return self._mapping(node, pointer)
        if tag == _SEQ and isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*pointer, i)) for i, item in enumerate(node.value)]
        return self._scalar(node)

    def _mapping(self, node: yaml.MappingNode, pointer: Pointer) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        key_positions = self.doc.key_positions
        for key_node, value_node in node.value:
            child = (*pointer, key_node.value)
            key = self._scalar(key_node)
            key_positions[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            result[key] = self.build(value_node, child)
        return result

    def _scalar(self, node: yaml.Node) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            raise _NeedsConstructor
        if node.tag == _STR:
            return node.value
        if node.tag not in _OTHER_SCALARS:
            raise _NeedsConstructor
        return self.loader.yaml_constructors[node.tag](self.loader, node)


def _record_positions(node: yaml.Node, pointer: Pointer, doc: SourceDocument) -> None:
    doc.positions[pointer] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = (*pointer, key_node.value)
            doc.key_positions[child] = (
                key_node.start_mark.line + 1,
                key_node.start_mark.column + 1,
            )
            _record_positions(value_node, child, doc)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_positions(item, (*pointer, index), doc)
