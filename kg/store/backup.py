"""Backup and restore: read a dump file into graphs and replace them in any store, all or nothing.

A dump is N-Quads or TriG (gzip when the name ends in .gz), as written by ``Store.dump``. Loading
replaces each graph the file holds and leaves the store's other graphs alone, through
``Store.replace_graphs``, so a failed load changes nothing on any backend and the same file moves a
graph between backends.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import NamedNode, Quad, parse

from kg.errors import StoreError
from kg.store.base import Store
from kg.store.embedded import rdf_format_for


@dataclass(frozen=True)
class LoadReport:
    """What a load replaced: quads per graph."""

    graphs: dict[NamedNode, int]

    @property
    def quads(self) -> int:
        """The number of quads loaded."""
        return sum(self.graphs.values())


def read_graphs(path: Path) -> dict[NamedNode, list[Quad]]:
    """Read a dump file into its named graphs.

    :raises StoreError: naming the file, line and column of a syntax error, or when the file holds
        triples in the default graph (this project keeps everything in named graphs).
    """
    fmt = rdf_format_for(path)
    opener = gzip.open if path.name.endswith(".gz") else open
    graphs: dict[NamedNode, list[Quad]] = {}
    default = 0
    try:
        with opener(path, "rb") as handle:
            for quad in parse(handle, fmt):
                if isinstance(quad.graph_name, NamedNode):
                    graphs.setdefault(quad.graph_name, []).append(quad)
                else:
                    default += 1
    except SyntaxError as error:
        where = f"{path}:{error.lineno or '?'}:{error.offset or '?'}"
        raise StoreError(f"{where}: not valid {fmt.name}: {error.msg}") from None
    except OSError as error:
        raise StoreError(f"{path}: cannot read the file: {error}") from None
    if default:
        raise StoreError(
            f"{path}: {default} triple(s) are in the default graph; this project keeps every "
            "triple in a named graph (write them inside GRAPH <...> { } in TriG, or as quads)"
        )
    return graphs


def load_file(store: Store, path: Path) -> LoadReport:
    """Replace the store's graphs with those of a dump file, all in one transaction.

    :raises StoreError: when the file cannot be read or the store refuses the data.
    """
    return load_graphs(store, path, read_graphs(path))


def load_graphs(
    store: Store,
    path: Path,
    graphs: dict[NamedNode, list[Quad]],
    emptied: Iterable[NamedNode] = (),
) -> LoadReport:
    """Replace the store's graphs with those read from a dump file, all in one transaction.

    :param path: the file the graphs were read from (for messages).
    :param emptied: graphs to empty in the same transaction: data derived from what the file
        replaces, which the caller recomputes afterwards.
    :raises StoreError: when the file held no quads or the store refuses the data.
    """
    if not graphs:
        raise StoreError(f"{path}: no quads to load")
    store.replace_graphs({**graphs, **{graph: [] for graph in emptied}})
    return LoadReport({graph: len(quads) for graph, quads in graphs.items()})
