"""Render query results as a table for people or as standard SPARQL result formats for programs."""

from __future__ import annotations

import io
from dataclasses import dataclass

from pyoxigraph import (
    BlankNode,
    Literal,
    NamedNode,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    RdfFormat,
)

from kg.errors import QueryError
from kg.store.base import QueryResult

FORMATS = ("table", "csv", "tsv", "json", "xml")
_SERIALIZERS = {
    "csv": QueryResultsFormat.CSV,
    "tsv": QueryResultsFormat.TSV,
    "json": QueryResultsFormat.JSON,
    "xml": QueryResultsFormat.XML,
}
_PREFIXES = {
    "https://w3id.org/dmkg/vocab/": "kg:",
    "https://w3id.org/dmkg/oncotree/": "oncotree:",
    "https://w3id.org/dmkg/case/": "case:",
    "http://purl.obolibrary.org/obo/": "obo:",
}


@dataclass
class Table:
    """Rows of plain strings, for display and for tests that compare results across backends."""

    columns: list[str]
    rows: list[list[str]]


def short_text(term: NamedNode | BlankNode | Literal | None) -> str:
    """Return a readable form of a term: literals as their value, IRIs shortened by prefix.

    >>> short_text(NamedNode("https://w3id.org/dmkg/oncotree/LMS"))
    'oncotree:LMS'
    >>> short_text(None)
    ''
    """
    if term is None:
        return ""
    if isinstance(term, NamedNode):
        for base, prefix in _PREFIXES.items():
            if term.value.startswith(base):
                return prefix + term.value[len(base) :]
    return str(term.value)


def to_table(result: QueryResult) -> Table:
    """Collect SELECT or ASK results into a table of readable strings.

    :raises QueryError: for CONSTRUCT/DESCRIBE results, which are graphs, not tables.
    """
    if isinstance(result, QueryBoolean):
        return Table(["result"], [["true" if bool(result) else "false"]])
    if not isinstance(result, QuerySolutions):
        raise QueryError("this query returns a graph; use --format turtle or ntriples")
    columns = [variable.value for variable in result.variables]
    rows = [[short_text(solution[name]) for name in columns] for solution in result]
    return Table(columns, rows)


def serialize(result: QueryResult, fmt: str) -> bytes:
    """Serialize results in a standard format (SPARQL JSON/XML/CSV/TSV; Turtle or N-Triples for
    graphs).

    :raises QueryError: for a format that does not fit the result.
    """
    out = io.BytesIO()
    if isinstance(result, QuerySolutions | QueryBoolean):
        if fmt not in _SERIALIZERS:
            raise QueryError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
        result.serialize(out, _SERIALIZERS[fmt])
    else:
        graph_formats = {"turtle": RdfFormat.TURTLE, "ntriples": RdfFormat.N_TRIPLES}
        if fmt not in graph_formats:
            raise QueryError("this query returns a graph; use --format turtle or ntriples")
        result.serialize(out, graph_formats[fmt])
    return out.getvalue()
