"""A store on a remote SPARQL 1.1 server (Oxigraph, Virtuoso, GraphDB, Fuseki...), same interface.

Queries and updates go over the SPARQL 1.1 Protocol through SPARQLWrapper; a graph's content is
read and written over the Graph Store Protocol where the server offers one. Results come back as
pyoxigraph types (see :mod:`kg.store.remote_results`), so callers cannot tell backends apart.

What the remote store sees and touches: only graphs whose IRI starts with ``graph_prefix`` (the
project's namespace), so a shared server's other data, and Virtuoso's system graphs, stay out of
dumps and listings. Queries are not restricted.

Replacing graphs is all or nothing even on servers whose multi-operation requests are not
transactional (Virtuoso applies the operations of a request one by one): the new content is first
written to fresh staging graphs, in as many requests as its size needs, and only then one request
moves every staging graph into place. A failure before that leaves the live graphs untouched.

An answer the server flags as incomplete (cut at its row limit, or stopped at its time limit) is
an error, never passed on as the whole answer. Credentials go with the first request
(:mod:`kg.store.http_auth`); docs/remote-endpoints.md says where they come from.
"""

from __future__ import annotations

import gzip
import urllib.error
import uuid
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

from pyoxigraph import Literal, NamedNode, Quad, QuerySolution, QuerySolutions, serialize
from SPARQLWrapper import POST, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, SPARQLWrapperException

from kg.errors import QueryError, StoreError
from kg.rdf.vocab import BASE
from kg.store.base import QueryResult
from kg.store.credentials import Credentials, load_credentials
from kg.store.embedded import rdf_format_for
from kg.store.graph_store import GraphStoreClient, read_error
from kg.store.http_auth import Authenticator
from kg.store.remote_results import (
    as_query_triples,
    canonical_term,
    parse_solutions,
    parse_triples,
)
from kg.store.remote_writes import (
    MAX_REQUEST_BYTES,
    MAX_TRIPLES_PER_OPERATION,
    insert_operations,
    ntriples_chunks,
    pack_requests,
    swap_request,
)
from kg.store.sparql_text import QUERY_FORMS, request_form

RESULTS_ACCEPT = "application/sparql-results+json"
GRAPH_ACCEPT = "application/n-triples"
STAGING_PREFIX = BASE + "graph/staging/"


@dataclass(frozen=True)
class Reply:
    """A server's answer: body, content type, and the headers that may flag it incomplete."""

    body: bytes
    content_type: str
    headers: Message


class RemoteStore:
    """The project's graphs on a SPARQL 1.1 endpoint (query, update, optional graph store)."""

    def __init__(
        self,
        endpoint: str,
        update_endpoint: str | None = None,
        *,
        credentials: Credentials | None = None,
        graph_prefix: str = BASE,
        timeout: float = 300.0,
        max_triples: int = MAX_TRIPLES_PER_OPERATION,
        max_bytes: int = MAX_REQUEST_BYTES,
    ) -> None:
        """Point at an endpoint; credentials default to the environment or credentials file.

        :param endpoint: the SPARQL query endpoint URL.
        :param update_endpoint: the SPARQL update endpoint (default: the query endpoint).
        :param credentials: how to authenticate; also carries the Graph Store Protocol URL.
        :param graph_prefix: the IRI prefix of the graphs this store lists, dumps and replaces.
        :param timeout: seconds to wait for one HTTP request.
        :param max_triples: triples per update operation (Virtuoso's parser fails near 5,000).
        :param max_bytes: bytes per update request (Virtuoso refuses requests over 10 MB).
        """
        self.endpoint = endpoint
        self.update_endpoint = update_endpoint or endpoint
        self.credentials = credentials or load_credentials([endpoint, self.update_endpoint])
        self.graph_store = self.credentials.graph_store
        self.authenticator = Authenticator(self.credentials, timeout)
        self._graph_store = (
            GraphStoreClient(self.graph_store, self.authenticator, timeout)
            if self.graph_store
            else None
        )
        self.graph_prefix = graph_prefix
        self.timeout = timeout
        self.max_triples = max_triples
        self.max_bytes = max_bytes

    def __repr__(self) -> str:
        return f"RemoteStore({self.endpoint!r}, {self.update_endpoint!r})"

    # -- the SPARQL 1.1 Protocol --------------------------------------------------------------

    def _wrapper(self, text: str, *, update: bool, accept: str) -> SPARQLWrapper:
        wrapper = SPARQLWrapper(self.endpoint, updateEndpoint=self.update_endpoint)
        wrapper.setMethod(POST)
        # Content negotiation only: SPARQLWrapper's extra `format=xml` parameter makes Virtuoso
        # answer 406 to an Accept header asking for JSON.
        wrapper.setOnlyConneg(True)
        wrapper.setTimeout(max(1, round(self.timeout)))
        with warnings.catch_warnings():
            # SPARQLWrapper warns when it cannot guess the form; we set the form ourselves below.
            warnings.simplefilter("ignore", RuntimeWarning)
            wrapper.setQuery(text)
        wrapper.queryType = "INSERT" if update else "SELECT"
        wrapper.addCustomHttpHeader("Accept", accept)
        url = self.update_endpoint if update else self.endpoint
        header = self.authenticator.header("POST", url)
        if header:
            wrapper.addCustomHttpHeader("Authorization", header)
        return wrapper

    def _request(self, text: str, *, update: bool, accept: str) -> Reply:
        """Send one query or update; return the body, its content type and the headers.

        :raises QueryError: when the server calls the request malformed (HTTP 400).
        :raises StoreError: for other failures, naming the endpoint and quoting the server.
        """
        url = self.update_endpoint if update else self.endpoint
        try:
            response = self._wrapper(text, update=update, accept=accept).query().response
            return Reply(
                response.read(), response.headers.get("Content-Type", ""), response.headers
            )
        except QueryBadFormed as error:
            raise QueryError(f"{url} refused the request: {_server_message(error)}") from None
        except SPARQLWrapperException as error:
            raise StoreError(f"{url}: {_server_message(error)}") from None
        except urllib.error.HTTPError as error:
            raise StoreError(f"{url}: HTTP {error.code}: {read_error(error)}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise StoreError(f"{url}: cannot reach the endpoint: {error}") from None

    def _complete(self, reply: Reply) -> Reply:
        """Refuse an answer the server says is incomplete, rather than pass it on as whole.

        Virtuoso cuts results at its ResultSetMaxRows and says so only in a header, and an
        "anytime" query stopped at MaxQueryExecutionTime returns what it had, flagged by another.

        :raises StoreError: naming the limit and what to do.
        """
        cap = reply.headers.get("X-SPARQL-MaxRows")
        if cap:
            raise StoreError(
                f"{self.endpoint} returned only its first {cap} rows (its result-size limit); "
                "page with LIMIT and OFFSET, or raise the server's limit (Virtuoso: "
                "ResultSetMaxRows in virtuoso.ini)"
            )
        if reply.headers.get("X-SQL-State"):
            message = reply.headers.get("X-SQL-Message", "")
            raise StoreError(
                f"{self.endpoint} stopped the query at its time limit and returned partial "
                f"results ({message}); narrow the query, or raise the server's limit "
                "(Virtuoso: MaxQueryExecutionTime)"
            )
        return reply

    def query(self, sparql: str) -> QueryResult:
        """Run a SPARQL query on the server; the default graph is whatever the server makes it.

        :raises QueryError: for an update given as a query, or a query the server refuses.
        :raises StoreError: for an incomplete answer or any other failure.
        """
        form = request_form(sparql)
        if form is not None and form not in QUERY_FORMS:
            raise QueryError(f"this is a SPARQL update ({form}), not a query; use update()")
        if form in ("CONSTRUCT", "DESCRIBE"):
            reply = self._complete(self._request(sparql, update=False, accept=GRAPH_ACCEPT))
            return as_query_triples(parse_triples(reply.body, reply.content_type))
        reply = self._complete(self._request(sparql, update=False, accept=RESULTS_ACCEPT))
        return parse_solutions(reply.body, reply.content_type)

    def update(self, sparql: str) -> None:
        """Run a SPARQL update on the server's update endpoint.

        :raises StoreError: with the server's message when it refuses or fails.
        """
        self._request(sparql, update=True, accept="*/*")

    # -- reading ------------------------------------------------------------------------------

    def _select_all(self, variables: str, pattern: str) -> list[QuerySolution]:
        """Return every solution of ``SELECT DISTINCT variables WHERE { pattern }``.

        Servers may cut results short (Virtuoso's ResultSetMaxRows, 10,000 by default), so the
        rows are counted first; when fewer arrive, they are fetched again in ordered pages of the
        size the server allowed. Virtuoso refuses OFFSET past that size on an ordered query
        ("SR353") unless the ordering sits in a subquery, as here.

        :raises StoreError: when the rows still do not add up.
        """
        inner = f"SELECT DISTINCT {variables} WHERE {{ {pattern} }}"
        expected = self._count(inner)
        rows = self._rows(inner)
        if len(rows) == expected:
            return rows
        page, rows = len(rows), []
        if page == 0:
            raise StoreError(f"{self.endpoint}: returned no rows of {expected}")
        while len(rows) < expected:
            ordered = f"{{ {inner} ORDER BY {variables} }}"
            batch = self._rows(f"SELECT * WHERE {{ {ordered} }} OFFSET {len(rows)} LIMIT {page}")
            if not batch:
                raise StoreError(f"{self.endpoint}: returned {len(rows)} of {expected} rows")
            rows.extend(batch)
        return rows

    def _rows(self, sparql: str) -> list[QuerySolution]:
        """Rows of a SELECT, accepting an answer cut at the server's row limit (paging uses it)."""
        reply = self._request(sparql, update=False, accept=RESULTS_ACCEPT)
        result = parse_solutions(reply.body, reply.content_type)
        assert isinstance(result, QuerySolutions)
        return list(result)

    def _count(self, inner: str) -> int:
        (row,) = self._rows(f"SELECT (COUNT(*) AS ?n) WHERE {{ {inner} }}")
        return int(row["n"].value)

    def _project_filter(self, variable: str) -> str:
        prefix, staging = Literal(self.graph_prefix), Literal(STAGING_PREFIX)
        text = f"STR({variable})"
        return f"FILTER(STRSTARTS({text}, {prefix}) && !STRSTARTS({text}, {staging}))"

    def graphs(self) -> list[NamedNode]:
        """Return the project's named graphs on the server, sorted by IRI."""
        pattern = f"GRAPH ?g {{ ?s ?p ?o }} {self._project_filter('?g')}"
        found = {row["g"] for row in self._select_all("?g", pattern)}
        return sorted((g for g in found if isinstance(g, NamedNode)), key=lambda g: g.value)

    def quads(self, graph: NamedNode | None = None) -> Iterator[Quad]:
        """Yield the quads of one graph, or of every project graph (through GSP when offered)."""
        if graph is not None:
            triples = self._graph_store_get(graph) if self._graph_store else None
            if triples is not None:
                return iter(triples)
            rows = self._select_all("?s ?p ?o", f"GRAPH {graph} {{ ?s ?p ?o }}")
            return iter([_quad(row, graph) for row in rows])
        pattern = f"GRAPH ?g {{ ?s ?p ?o }} {self._project_filter('?g')}"
        return iter([_quad(row, row["g"]) for row in self._select_all("?g ?s ?p ?o", pattern)])

    # -- writing ------------------------------------------------------------------------------

    def replace_graph(self, graph: NamedNode, quads: Iterable[Quad]) -> None:
        """Replace one graph's content (see :meth:`replace_graphs`)."""
        self.replace_graphs({graph: list(quads)})

    def replace_graphs(self, graphs: dict[NamedNode, list[Quad]]) -> None:
        """Replace several graphs: staged first, then moved into place by one request.

        :raises StoreError: when the server refuses; the live graphs are then unchanged.
        """
        run = uuid.uuid4().hex
        staged = {
            graph: NamedNode(f"{STAGING_PREFIX}{run}/{index}") if quads else None
            for index, (graph, quads) in enumerate(graphs.items())
        }
        try:
            for graph, staging in staged.items():
                if staging is not None:
                    self._write_graph(staging, graphs[graph])
            self.update(swap_request(staged))
        except StoreError:
            self._drop_quietly([s for s in staged.values() if s is not None])
            raise

    def _write_graph(self, graph: NamedNode, quads: list[Quad]) -> None:
        if self._graph_store:
            for index, chunk in enumerate(ntriples_chunks(quads, self.max_triples * 10)):
                self._graph_store_send("PUT" if index == 0 else "POST", graph, chunk)
            return
        operations = [
            f"DROP SILENT GRAPH {graph}",
            *insert_operations(graph, quads, self.max_triples),
        ]
        for request in pack_requests(operations, self.max_bytes):
            self.update(request)

    def _drop_quietly(self, graphs: list[NamedNode]) -> None:
        """Remove staging graphs after a failure, keeping the first error as the one reported."""
        try:
            if graphs:
                self.update(" ;\n".join(f"DROP SILENT GRAPH {g}" for g in graphs))
        except StoreError:
            pass

    def drop_graph(self, graph: NamedNode) -> None:
        """Remove a named graph (no error if absent)."""
        self.update(f"DROP SILENT GRAPH {graph}")

    def dump(self, path: Path) -> None:
        """Write every quad of the project's graphs to N-Quads or TriG (gzip for .gz)."""
        fmt = rdf_format_for(path)
        ordered = sorted(self.quads(), key=lambda q: q.graph_name.value)
        opener = gzip.open if path.name.endswith(".gz") else open
        with opener(path, "wb") as handle:
            serialize(ordered, handle, fmt)

    def close(self) -> None:
        """Nothing to release: every request opens and closes its own connection."""

    # -- the Graph Store Protocol -------------------------------------------------------------

    def _graph_store_send(self, method: str, graph: NamedNode, body: bytes) -> None:
        assert self._graph_store is not None
        self._graph_store.request(method, graph, body, "application/n-triples")

    def _graph_store_get(self, graph: NamedNode) -> list[Quad] | None:
        """Read a graph over GSP; None when the server cut it short (the caller then pages)."""
        assert self._graph_store is not None
        status, body, content_type = self._graph_store.request("GET", graph)
        if status == 404:
            return []
        triples = parse_triples(body, content_type or "application/n-triples")
        stored = self._count(f"SELECT DISTINCT * WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }}")
        if len(set(triples)) != stored:
            return None
        return [Quad(t.subject, t.predicate, t.object, graph) for t in triples]


def _quad(row: QuerySolution, graph: object) -> Quad:
    return Quad(canonical_term(row["s"]), row["p"], canonical_term(row["o"]), graph)  # type: ignore[arg-type]


def _server_message(error: SPARQLWrapperException) -> str:
    """SPARQLWrapper's message, with the server's response bytes decoded for people."""
    text = str(error)
    marker = "Response:\n"
    if marker in text:
        head, _, raw = text.partition(marker)
        if raw.startswith(("b'", 'b"')):
            import ast

            try:
                raw = ast.literal_eval(raw.strip()).decode("utf-8", "replace")
            except (ValueError, SyntaxError):
                pass
        text = f"{head.strip()} {raw.strip()}"
    return text[:2000]
