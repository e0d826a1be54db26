"""The inferred graph's quads as N-Quads text: made, compared, hashed and written without objects.

A run makes about 55 quads a case (5.5 million at 100,000 cases), and pyoxigraph's ``Quad``
costs about 5 µs to make when its object is a literal (the constructor tries the other kinds of
term first), against under 1 µs to format a line; a line is also what a digest hashes and what a
bulk load or an update reads. So reasoning makes each quad of a case's results once, as a
*statement*: its subject, predicate and object written as N-Quads terms, exactly as pyoxigraph
writes them (``str`` of each term), without the graph, which is always the inferred graph.
Equal statements are equal quads, so sets of statements compare results as sets of quads would.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from pyoxigraph import Literal, NamedNode, Quad, QuerySolution

from kg.rdf.convert import typed
from kg.rdf.vocab import INFERRED_GRAPH

Statement = str  # "<subject> <predicate> object", N-Quads terms, in the inferred graph

GRAPH = str(INFERRED_GRAPH)
# Literal texts of results repeat from case to case (statuses, reasons, labels, weights); the
# distinct ones number in the thousands, and this bounds them whatever the corpus. Texts that do
# not repeat (digests, file checksums) go through :func:`unique_text`, outside the memo.
LITERAL_MEMO = 1 << 16


def iri(value: str) -> str:
    """An IRI as an N-Quads term (the IRIs written here are cases' and the project's own).

    >>> iri("https://w3id.org/dmkg/case/x")
    '<https://w3id.org/dmkg/case/x>'
    """
    return f"<{value}>"


@lru_cache(maxsize=LITERAL_MEMO)
def text(value: str) -> str:
    """A plain literal that recurs across cases as an N-Quads term, escaped as pyoxigraph
    escapes it.

    >>> text('said "no"')
    '"said \\\\"no\\\\""'
    """
    return unique_text(value)


def unique_text(value: str) -> str:
    """A plain literal as an N-Quads term, not remembered: for texts met once (a digest)."""
    return str(Literal(value))


def typed_text(value: object, datatype: NamedNode) -> str:
    """A typed literal as an N-Quads term, in the lexical form :func:`~kg.rdf.convert.typed`
    gives (decimals fixed-point, booleans ``true``/``false``).

    Remembered by value, where equal numbers are one entry: a float zero is made positive
    first, so that ``-0.0`` and ``0.0`` give the same text whichever comes first.

    >>> from kg.rdf.vocab import XSD
    >>> typed_text(-0.0, XSD.decimal) == typed_text(0.0, XSD.decimal)
    True
    >>> typed_text(0.0, XSD.decimal).split("^^")[0]
    '"0"'
    """
    if isinstance(value, float):
        value += 0.0  # -0.0 + 0.0 is 0.0
    return _typed_text(value, datatype)


@lru_cache(maxsize=LITERAL_MEMO)
def _typed_text(value: object, datatype: NamedNode) -> str:
    return str(typed(value, datatype))


def statement(subject: object, predicate: object, obj: object) -> Statement:
    """One statement from three terms: N-Quads text already, or pyoxigraph terms (whose ``str``
    is their N-Quads text), such as a query's row gives."""
    return f"{subject} {predicate} {obj}"


def of_row(row: QuerySolution, subject: str = "s") -> Statement:
    """The statement of a query row binding ``?p`` and ``?o`` and the subject variable."""
    return statement(row[subject], row["p"], row["o"])


def of_quad(quad: Quad) -> Statement:
    """The statement of a quad (its graph left out)."""
    return statement(quad.subject, quad.predicate, quad.object)


def predicate_of(statement_: Statement) -> str:
    """The predicate term of a statement (subjects are IRIs, so hold no space).

    >>> predicate_of('<http://x/s> <http://x/p> "a b"')
    '<http://x/p>'
    """
    return statement_.split(" ", 2)[1]


def nquads(statements: Iterable[Statement]) -> bytes:
    """N-Quads text of statements, in the inferred graph, for a bulk load or a transaction."""
    return "".join(f"{s} {GRAPH} .\n" for s in statements).encode()


def triples(statements: Iterable[Statement]) -> str:
    """The statements as the triples of a SPARQL ``INSERT DATA`` or ``DELETE DATA`` block."""
    return "\n".join(f"{s} ." for s in statements)
