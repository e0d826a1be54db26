"""Just enough SPARQL lexing to see a request's form and keywords without being fooled by data.

A remote store must know whether a text is a SELECT or a CONSTRUCT to ask for the right result
format, and `kg serve` must see a SERVICE clause to refuse it. Matching keywords in the raw text
would be fooled by a string literal, an IRI or a comment that contains the word, so those are
blanked out first. This is not a parser: the engine still parses, and rejects, the real text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pyoxigraph import NamedNode

_NON_CODE = re.compile(
    r"""
    (?P<comment>\#[^\n\r]*)
    | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
        | '''(?:[^'\\]|\\.|'(?!''))*'''
        | "(?:[^"\\\n\r]|\\.)*"
        | '(?:[^'\\\n\r]|\\.)*')
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    """,
    re.VERBOSE | re.DOTALL,
)
_PLACEHOLDERS = {"comment": " ", "string": ' "" ', "iri": " <> "}
QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
UPDATE_FORMS = (
    "INSERT", "DELETE", "WITH", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD",
)  # fmt: skip


def code_only(text: str) -> str:
    """Blank out comments, string literals and IRIs, keeping the structure around them.

    >>> code_only('SELECT * { ?s ?p "SERVICE" } # SERVICE')
    'SELECT * { ?s ?p  ""  }  '
    """
    return _NON_CODE.sub(lambda match: _PLACEHOLDERS[match.lastgroup or "comment"], text)


def keyword_pattern(word: str) -> re.Pattern[str]:
    """Match a keyword, but not a variable (?word), a prefixed name (ex:word) or part of one.

    >>> bool(keyword_pattern("SERVICE").search("?service ex:service my-service"))
    False
    """
    return re.compile(rf"(?<![\w?$:\-]){word}(?![\w:\-])", re.IGNORECASE)


def has_keyword(text: str, word: str) -> bool:
    """Return whether a keyword appears in the code of a SPARQL text (not in data or comments).

    >>> has_keyword('SELECT * { SERVICE <http://x/> { ?s ?p ?o } }', "SERVICE")
    True
    >>> has_keyword('SELECT * { ?s ?p "service" }', "SERVICE")
    False
    """
    return bool(keyword_pattern(word).search(code_only(text)))


def request_form(text: str) -> str | None:
    """Return the first query or update keyword of a SPARQL text (upper-case), or None.

    >>> request_form('# a comment with SELECT\\nPREFIX ex: <http://e/>\\nconstruct { ?s ?p ?o } {}')
    'CONSTRUCT'
    >>> request_form("PREFIX insert: <http://e/> DROP ALL")
    'DROP'
    """
    words = "|".join(QUERY_FORMS + UPDATE_FORMS)
    match = keyword_pattern(f"(?:{words})").search(code_only(text))
    return match.group(0).upper() if match else None


def with_named_graphs(text: str, graphs: Sequence[NamedNode]) -> str:
    """Return a SELECT query that reads only the given named graphs (a ``FROM NAMED`` for each).

    The dataset clauses go before the first WHERE, as the grammar puts them; a query with its
    own dataset clause, or with no WHERE keyword, is refused rather than guessed at.

    >>> print(with_named_graphs("SELECT ?s WHERE { GRAPH ?g { ?s ?p ?o } }", [NamedNode("http://e/a")]))
    SELECT ?s
    FROM NAMED <http://e/a>
    WHERE { GRAPH ?g { ?s ?p ?o } }
    """
    code = _masked(text)
    if has_keyword(text, "FROM"):
        raise ValueError("the query names its own dataset (FROM)")
    match = keyword_pattern("WHERE").search(code)
    if match is None:
        raise ValueError("the query has no WHERE keyword to put FROM NAMED before")
    clauses = "".join(f"FROM NAMED {graph}\n" for graph in graphs)
    head = text[: match.start()].rstrip()
    return f"{head}\n{clauses}{text[match.start() :]}"


# Graphs named per query by with_graph_batches: large enough that few queries run, small enough
# that servers (Virtuoso among them) accept the request.
GRAPH_BATCH = 250


def with_graph_batches(
    text: str, graphs: Sequence[NamedNode], also: Sequence[NamedNode] = ()
) -> list[str]:
    """Return the query once per :data:`GRAPH_BATCH` of ``graphs``, each reading only those
    (:func:`with_named_graphs`) and ``also``, graphs every batch needs (the ontology, say); no
    query for no graphs. A query over a few graphs then costs what they hold, not the store.

    >>> graphs = [NamedNode(f"http://e/{i}") for i in range(GRAPH_BATCH + 1)]
    >>> texts = with_graph_batches("SELECT ?s WHERE { GRAPH ?g { ?s ?p ?o } }", graphs)
    >>> [text.count("FROM NAMED") for text in texts]
    [250, 1]
    """
    return [
        with_named_graphs(text, [*graphs[start : start + GRAPH_BATCH], *also])
        for start in range(0, len(graphs), GRAPH_BATCH)
    ]


def _masked(text: str) -> str:
    """Blank out comments, string literals and IRIs with as many spaces: the code at the same
    positions as in the text."""
    return _NON_CODE.sub(lambda match: " " * len(match.group(0)), text)
