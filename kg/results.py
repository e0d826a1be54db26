"""Render query results as a table for people or as standard SPARQL result formats for programs."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from pyoxigraph import (
    BlankNode,
    Literal,
    NamedNode,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    RdfFormat,
    parse_query_results,
)

from kg.errors import QueryError
from kg.store.base import QueryResult

FORMATS = ("table", "csv", "tsv", "json", "xml")
SOLUTION_FORMATS = ("csv", "tsv", "json", "xml")  # the formats pages of solutions are joined in
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


@dataclass(frozen=True)
class _Layout:
    """Where a serialized page of solutions has its rows: after ``header_end`` (the header
    includes it), before ``footer``; ``separator`` goes between two pages' rows."""

    header_end: bytes
    footer: bytes
    separator: bytes = b""


# The layouts of pyoxigraph's writers; tests/test_cli.py checks joined pages against one run.
_LAYOUTS = {
    "csv": _Layout(b"\r\n", b""),
    "tsv": _Layout(b"\n", b""),
    "json": _Layout(b'"bindings":[', b"]}}", b","),
    "xml": _Layout(b"<results>", b"</results></sparql>"),
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


def read_solutions(text: bytes, fmt: str) -> QueryResult:
    """Read results back from one of the formats pyoxigraph parses (json, xml or tsv), e.g. a page
    a worker process serialized (kg/parallel_pages.py)."""
    if fmt not in ("json", "xml", "tsv"):
        raise QueryError(f"cannot read results back from {fmt!r}; use json, xml or tsv")
    return parse_query_results(text, _SERIALIZERS[fmt])


def to_table_pages(pages: Iterable[QueryResult]) -> Table:
    """Collect the solutions of several runs of one query (pages of cases) into one table."""
    table: Table | None = None
    for page in pages:
        part = to_table(page)
        if table is None:
            table = part
        else:
            table.rows.extend(part.rows)
    if table is None:
        raise QueryError("no results to show: the query did not run")
    return table


def join_pages(pages: Iterable[bytes], fmt: str) -> Iterator[bytes]:
    """Join pages of one SELECT query, each serialized in ``fmt``, into one results document.

    Each page's rows are spliced between the first page's header and the last page's footer, so
    the output is what one run with every row would give, while only one page is held at a time.

    :raises QueryError: for a format that does not fit, or pages that are not laid out as
        pyoxigraph writes solutions.
    """
    layout = _LAYOUTS.get(fmt)
    if layout is None:
        raise QueryError(f"unknown format {fmt!r} for solutions; use one of {', '.join(_LAYOUTS)}")
    header: bytes | None = None
    wrote_rows = False
    for text in pages:
        found = text.find(layout.header_end)
        start, end = found + len(layout.header_end), len(text) - len(layout.footer)
        same_header = header is None or text[:start] == header
        if found < 0 or not text.endswith(layout.footer) or not same_header:
            raise QueryError(f"unexpected {fmt} layout from the results writer; cannot join pages")
        if header is None:
            header = text[:start]
            yield header
        rows = text[start:end]
        if rows:
            yield (layout.separator if wrote_rows else b"") + rows
            wrote_rows = True
    if header is None:
        raise QueryError("no results to write: the query did not run")
    yield layout.footer
