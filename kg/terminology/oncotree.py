"""The OncoTree release the project pins, as an immutable code -> node lookup.

Neoplasm classes, curation checks and the Sarcoma grouping all key on OncoTree codes (names
change between releases, codes do not). The JSON is pure data, so it is read once per process.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from kg.errors import TerminologyError
from kg.paths import ONCOTREE_JSON

ROOT_CODE = "TISSUE"


class UnknownOncoTreeCode(TerminologyError):
    """A code that is not a node of the pinned OncoTree release."""


@dataclass(frozen=True)
class OncoTreeNode:
    """One OncoTree tumour type, with its cross-references to NCI Thesaurus and UMLS."""

    code: str
    name: str
    main_type: str | None
    tissue: str | None
    parent: str | None
    level: int
    nci: tuple[str, ...] = ()
    umls: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class OncoTree:
    """An OncoTree release: nodes by code and the tree both ways."""

    release: str
    nodes: Mapping[str, OncoTreeNode]
    source: Path
    _children: Mapping[str, tuple[str, ...]]

    def __len__(self) -> int:
        return len(self.nodes)

    def __iter__(self) -> Iterator[OncoTreeNode]:
        return iter(self.nodes.values())

    def get(self, code: str) -> OncoTreeNode | None:
        """Return the node with this code, or None."""
        return self.nodes.get(code)

    def node(self, code: str) -> OncoTreeNode:
        """Return the node with this code.

        :raises UnknownOncoTreeCode: when the release has no such code.
        """
        found = self.nodes.get(code)
        if found is None:
            raise UnknownOncoTreeCode(f"{code} is not an OncoTree code in {self.release}")
        return found

    def children(self, code: str) -> tuple[OncoTreeNode, ...]:
        """Return the direct children of a node, sorted by code."""
        self.node(code)
        return tuple(self.nodes[child] for child in self._children.get(code, ()))

    def ancestors(self, code: str) -> tuple[OncoTreeNode, ...]:
        """Return the nodes above this one, nearest first, ending with the root ``TISSUE``."""
        found: list[OncoTreeNode] = []
        parent = self.node(code).parent
        while parent is not None:
            found.append(self.nodes[parent])
            parent = self.nodes[parent].parent
        return tuple(found)

    def descendants(self, code: str) -> tuple[OncoTreeNode, ...]:
        """Return every node below this one, depth first, children sorted by code."""
        found: list[OncoTreeNode] = []
        for child in self.children(code):
            found.append(child)
            found.extend(self.descendants(child.code))
        return tuple(found)

    def is_descendant_of(self, code: str, ancestor: str) -> bool:
        """Return True when ``code`` is ``ancestor`` or lies below it (reflexive)."""
        return code == ancestor or any(a.code == ancestor for a in self.ancestors(code))

    def suggest(self, text: str, n: int = 3) -> list[OncoTreeNode]:
        """Return the nodes whose code or name is nearest to what a curator wrote.

        :param text: a mistyped code (``LMSS``) or name (``leiomyosarcom``).
        :param n: how many suggestions at most.
        """
        by_key: dict[str, str] = {}
        for node in self.nodes.values():
            by_key.setdefault(node.code.casefold(), node.code)
            by_key.setdefault(node.name.casefold(), node.code)
        keys = difflib.get_close_matches(text.casefold(), list(by_key), n=n * 2, cutoff=0.6)
        codes = list(dict.fromkeys(by_key[key] for key in keys))
        return [self.nodes[code] for code in codes[:n]]


@cache
def load_oncotree(path: Path = ONCOTREE_JSON) -> OncoTree:
    """Load an OncoTree release from its JSON tree, once per process.

    The release name is the file stem (``oncotree_2025_10_03``), as OncoTree names its trees.

    :param path: the JSON file; by default the release the project pins.
    :returns: the immutable tree.
    :raises TerminologyError: when the file is missing or not an OncoTree tree.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise TerminologyError(
            f"{path}: cannot read the OncoTree release ({error.strerror}); the project expects "
            "it under shared/data/oncotree/ (see kg/paths.py, ONCOTREE_JSON)"
        ) from error
    except json.JSONDecodeError as error:
        raise TerminologyError(f"{path}:{error.lineno}: not valid JSON: {error.msg}") from error
    if not isinstance(data, dict) or ROOT_CODE not in data:
        raise TerminologyError(f"{path}: no root node {ROOT_CODE!r}; is this an OncoTree tree?")
    nodes: dict[str, OncoTreeNode] = {}
    _collect(data[ROOT_CODE], nodes, path)
    children: dict[str, list[str]] = {}
    for node in nodes.values():
        if node.parent is not None:
            children.setdefault(node.parent, []).append(node.code)
    return OncoTree(
        release=path.stem,
        nodes=MappingProxyType(dict(sorted(nodes.items()))),
        source=path,
        _children=MappingProxyType({k: tuple(sorted(v)) for k, v in children.items()}),
    )


def _collect(raw: dict[str, Any], into: dict[str, OncoTreeNode], path: Path) -> None:
    """Add a JSON node and everything below it, refusing duplicate codes."""
    node = _node_from_json(raw)
    if node.code in into:
        raise TerminologyError(f"{path}: the code {node.code} occurs twice")
    into[node.code] = node
    for child in (raw.get("children") or {}).values():
        _collect(child, into, path)


def _node_from_json(raw: dict[str, Any]) -> OncoTreeNode:
    """Convert one JSON node (without its children).

    >>> raw = {"code": "LMS", "name": "Leiomyosarcoma", "parent": "SOFT_TISSUE", "level": 2,
    ...        "externalReferences": {"NCI": ["C3158"], "UMLS": ["C0023269"]}}
    >>> _node_from_json(raw).nci
    ('C3158',)
    """
    references = raw.get("externalReferences") or {}
    return OncoTreeNode(
        code=raw["code"],
        name=raw["name"],
        main_type=raw.get("mainType"),
        tissue=raw.get("tissue"),
        parent=raw.get("parent"),
        level=int(raw["level"]),
        nci=tuple(references.get("NCI") or ()),
        umls=tuple(references.get("UMLS") or ()),
    )
