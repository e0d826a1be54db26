"""Turn what a SPARQL server sends back into pyoxigraph results identical to the embedded store's.

Servers agree on the SPARQL result formats but not on every detail inside them. Virtuoso, for
one, writes booleans as "1"/"0" and names blank nodes ``nodeID://b10000``, which pyoxigraph
rejects. Each such difference is undone here, once, and only where the value is unchanged, so
callers cannot tell backends apart and no real difference in an answer is hidden.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from pyoxigraph import (
    DefaultGraph,
    Literal,
    Quad,
    QueryResultsFormat,
    QueryTriples,
    RdfFormat,
    Store,
    Triple,
    parse,
    parse_query_results,
)

from kg.errors import StoreError
from kg.store.base import QueryResult

XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
_BOOLEANS = {"1": "true", "0": "false"}
_SIMPLE_LABEL = re.compile(r"[A-Za-wyz0-9][A-Za-z0-9]*")
_RESULT_FORMATS = {
    "application/sparql-results+json": QueryResultsFormat.JSON,
    "application/json": QueryResultsFormat.JSON,
    "application/sparql-results+xml": QueryResultsFormat.XML,
    "application/xml": QueryResultsFormat.XML,
    "text/tab-separated-values": QueryResultsFormat.TSV,
}


def blank_node_id(label: str) -> str:
    """Return a valid blank node id for a server's label, the same for the same label.

    Labels that are not plain letters and digits are hex-encoded behind an ``x``; plain labels
    starting with ``x`` are encoded too, so two different labels never meet (Virtuoso's
    ``nodeID://`` scheme aside, which is dropped).

    >>> blank_node_id("b10000")
    'b10000'
    >>> blank_node_id("nodeID://b1")
    'b1'
    >>> blank_node_id("x:1")
    'x783a31'
    """
    # Virtuoso names nodes "nodeID://b1" in JSON results but "_:b1" in N-Triples: same node.
    label = label.removeprefix("nodeID://")
    return label if _SIMPLE_LABEL.fullmatch(label) else "x" + label.encode("utf-8").hex()


def media_type(content_type: str) -> str:
    """Return the bare media type of a Content-Type header.

    >>> media_type("application/sparql-results+json; charset=UTF-8")
    'application/sparql-results+json'
    """
    return content_type.split(";", 1)[0].strip().lower()


def normalise_json_term(term: dict[str, Any]) -> None:
    """Undo a server's value-preserving quirks in one SPARQL JSON term, in place."""
    kind = term.get("type")
    if kind == "bnode":
        term["value"] = blank_node_id(term["value"])
    elif kind in ("literal", "typed-literal") and term.get("datatype") == XSD_BOOLEAN:
        term["value"] = _BOOLEANS.get(term["value"], term["value"])
    elif kind == "triple":
        for part in term["value"].values():
            normalise_json_term(part)


def normalise_json_results(document: dict[str, Any]) -> dict[str, Any]:
    """Undo a server's quirks in a SPARQL JSON results document.

    Virtuoso 7.2 answers ASK with one row of ``__ASK_RETVAL`` (1 or 0) instead of a boolean.

    >>> normalise_json_results({"head": {"vars": ["__ASK_RETVAL"]}, "results": {"bindings": [
    ...     {"__ASK_RETVAL": {"type": "typed-literal", "value": "1"}}]}})
    {'head': {}, 'boolean': True}
    """
    bindings = document.get("results", {}).get("bindings", [])
    if document.get("head", {}).get("vars") == ["__ASK_RETVAL"] and len(bindings) == 1:
        return {"head": {}, "boolean": bindings[0]["__ASK_RETVAL"]["value"] not in ("0", "false")}
    for binding in bindings:
        for term in binding.values():
            normalise_json_term(term)
    return document


def parse_solutions(body: bytes, content_type: str) -> QueryResult:
    """Parse SELECT or ASK results (SPARQL JSON, or XML/TSV from a server that ignores Accept).

    :raises StoreError: when the server sent something that is not a SPARQL result document.
    """
    kind = media_type(content_type)
    fmt = _RESULT_FORMATS.get(kind)
    if fmt is None:
        raise StoreError(f"the endpoint answered with {content_type!r}, not SPARQL results")
    try:
        if fmt == QueryResultsFormat.JSON:
            body = json.dumps(normalise_json_results(json.loads(body))).encode("utf-8")
        return parse_query_results(body, fmt)
    except (ValueError, SyntaxError) as error:
        raise StoreError(f"cannot read the endpoint's {kind} results: {error}") from error


def canonical_term(term: Any) -> Any:
    """Return a term with a server's boolean spelling ("1", "0") made canonical.

    >>> from pyoxigraph import NamedNode
    >>> canonical_term(Literal("1", datatype=NamedNode(XSD_BOOLEAN))).value
    'true'
    """
    if isinstance(term, Literal) and term.datatype.value == XSD_BOOLEAN and term.value in _BOOLEANS:
        return Literal(_BOOLEANS[term.value], datatype=term.datatype)
    return term


def parse_triples(body: bytes, content_type: str) -> list[Triple]:
    """Parse an RDF graph a server sent (N-Triples, Turtle or RDF/XML), terms made canonical.

    :raises StoreError: for an unknown format or a syntax error.
    """
    fmt = RdfFormat.from_media_type(media_type(content_type))
    if fmt is None or fmt.supports_datasets:
        raise StoreError(f"the endpoint answered with {content_type!r}, not an RDF graph")
    try:
        return [
            Triple(canonical_term(t.subject), t.predicate, canonical_term(t.object))
            for t in parse(body, fmt)
        ]
    except SyntaxError as error:
        raise StoreError(f"cannot read the endpoint's {fmt.name} graph: {error}") from error


def as_query_triples(triples: Iterable[Triple]) -> QueryTriples:
    """Wrap triples as the QueryTriples a CONSTRUCT returns, through a scratch in-memory store.

    pyoxigraph cannot build QueryTriples directly; querying a store that holds just these
    triples gives the same type the embedded backend returns.
    """
    scratch = Store()
    scratch.extend(Quad(t.subject, t.predicate, t.object, DefaultGraph()) for t in triples)
    result = scratch.query("CONSTRUCT WHERE { ?s ?p ?o }")
    assert isinstance(result, QueryTriples)
    return result
