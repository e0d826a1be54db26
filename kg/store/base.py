"""The small interface every store backend implements, so commands cannot tell backends apart."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Protocol, runtime_checkable

from pyoxigraph import NamedNode, Quad, QueryBoolean, QuerySolutions, QueryTriples

QueryResult = QuerySolutions | QueryBoolean | QueryTriples


@runtime_checkable
class Store(Protocol):
    """A quad store holding one named graph per case, one for the ontology, one for inferences."""

    def replace_graph(self, graph: NamedNode, quads: Iterable[Quad]) -> None:
        """Atomically replace the content of a named graph (creating it if absent)."""

    def replace_graphs(self, graphs: dict[NamedNode, list[Quad]]) -> None:
        """Replace several named graphs in one transaction: all are replaced, or none."""

    def drop_graph(self, graph: NamedNode) -> None:
        """Remove a named graph and its quads (no error if absent)."""

    def graphs(self) -> list[NamedNode]:
        """Return every named graph, sorted by IRI."""

    def query(self, sparql: str) -> QueryResult:
        """Run a SPARQL 1.1 query over the union of all graphs and return pyoxigraph results."""

    def update(self, sparql: str) -> None:
        """Run a SPARQL 1.1 update."""

    def quads(self, graph: NamedNode | None = None) -> Iterator[Quad]:
        """Yield the quads of one named graph, or of all graphs."""

    def dump(self, path: Path) -> None:
        """Write every quad to a file (N-Quads or TriG; gzip when the name ends in .gz)."""

    def close(self) -> None:
        """Release the store (flush to disk where that applies)."""
