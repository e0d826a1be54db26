"""`kg serve` speaks the SPARQL 1.1 Protocol to real clients (SPARQLWrapper, rdflib), safely.

The endpoint runs in this process on a free loopback port, its query workers in their own
processes, over a store built from the curated cases; one test starts `kg serve` itself.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import pytest
from pyoxigraph import QueryResultsFormat, RdfFormat, parse, parse_query_results
from rdflib import Graph
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, POST, TSV, XML, SPARQLWrapper

from kg.errors import StoreError
from kg.queries import find_query
from kg.results import to_table
from kg.store import EmbeddedStore
from kg.store.remote import RemoteStore
from kg.store.servers import free_port
from kg.web.server import ServeConfig, SparqlServer
from tests.conftest import FOUNDING_CASE, build_closed_store

TOKEN = "test-token-0123456789"  # noqa: S105 - a throwaway token for a loopback test server
COUNT_ALL = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
# Four copies of every quad joined: far too many rows to finish within a one-second limit.
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store directory built from the curated cases, closed so servers can open it."""
    return build_closed_store(tmp_path_factory.mktemp("served"))


@pytest.fixture(scope="module")
def expected(store_dir: Path) -> Callable[[str], list[list[str]]]:
    """Rows the embedded store itself gives for a query, for comparison."""
    store = EmbeddedStore(store_dir, read_only=True)
    return lambda sparql: sorted(to_table(store.query(sparql)).rows)


@contextmanager
def running(config: ServeConfig) -> Iterator[str]:
    """Run an endpoint in a thread; yield its URL; stop it and its workers."""
    server = SparqlServer(config)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


@pytest.fixture(scope="module")
def endpoint(store_dir: Path) -> Iterator[str]:
    """A read-only endpoint with a short time limit and a small result cap."""
    config = ServeConfig(store_dir, port=0, timeout=2.0, max_results=500, workers=2,
                         log_requests=False)  # fmt: skip
    with running(config) as url:
        yield url


def client(url: str, query: str, fmt: str = JSON, method: str = POST) -> SPARQLWrapper:
    """A SPARQLWrapper for one query."""
    wrapper = SPARQLWrapper(url)
    wrapper.setQuery(query)
    wrapper.setReturnFormat(fmt)
    wrapper.setMethod(method)
    return wrapper


def fetch(
    url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, str, bytes]:
    """A raw HTTP request: status, content type, body (errors included)."""
    request = urllib.request.Request(url, data=data, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:  # noqa: S310 - loopback
            return reply.status, reply.headers.get("Content-Type", ""), reply.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read()


def query_url(url: str, query: str) -> str:
    """The GET URL of a query."""
    return f"{url}?{urlencode({'query': query})}"


# -- queries and content negotiation ------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_sparqlwrapper_gets_the_embedded_answer(
    endpoint: str, expected: Callable[[str], list[list[str]]], method: str
) -> None:
    """A named query over GET and POST gives the rows the embedded store gives."""
    sparql = find_query("antibody-profile").bind({"case": FOUNDING_CASE})
    result = client(endpoint, sparql, method=method).queryAndConvert()
    assert isinstance(result, dict)
    variables = result["head"]["vars"]
    rows = sorted(
        [b.get(v, {}).get("value", "") for v in variables] for b in result["results"]["bindings"]
    )
    assert rows == expected(sparql)


@pytest.mark.parametrize(
    ("fmt", "media_type", "parser"),
    [
        (JSON, "application/sparql-results+json", QueryResultsFormat.JSON),
        (XML, "application/sparql-results+xml", QueryResultsFormat.XML),
        (TSV, "text/tab-separated-values", QueryResultsFormat.TSV),
        (CSV, "text/csv", None),
    ],
)
def test_results_come_in_each_format(
    endpoint: str, fmt: str, media_type: str, parser: QueryResultsFormat | None
) -> None:
    """SELECT results come as SPARQL JSON, XML, TSV and CSV, by content negotiation."""
    response = client(endpoint, COUNT_ALL, fmt).query()
    assert response.response.headers["Content-Type"].startswith(media_type)
    body = response.response.read()
    if parser is None:
        assert body.decode().splitlines()[0] == "n"
    else:
        (row,) = list(parse_query_results(body, parser))
        assert int(row["n"].value) > 1000


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [("text/turtle", RdfFormat.TURTLE), ("application/n-triples", RdfFormat.N_TRIPLES)],
)
def test_graphs_come_as_turtle_or_ntriples(endpoint: str, accept: str, fmt: RdfFormat) -> None:
    """CONSTRUCT results come as Turtle or N-Triples."""
    sparql = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 7"
    status, content_type, body = fetch(query_url(endpoint, sparql), headers={"Accept": accept})
    assert (status, content_type) == (200, accept)
    assert len(list(parse(body, fmt))) == 7


def test_ask_answers_a_boolean(endpoint: str) -> None:
    """ASK gives a SPARQL boolean."""
    result = client(endpoint, "ASK { GRAPH ?g { ?s ?p ?o } }").queryAndConvert()
    assert result == {"head": {}, "boolean": True}


def test_rdflib_sparqlstore_reads_the_endpoint(
    endpoint: str, expected: Callable[[str], list[list[str]]]
) -> None:
    """rdflib's SPARQLStore works as a client."""
    graph = Graph(store=SPARQLStore(query_endpoint=endpoint, returnFormat="json"))
    sparql = find_query("case-timeline").bind({"case": FOUNDING_CASE})
    rows = sorted(
        [str(value) if value is not None else "" for value in row] for row in graph.query(sparql)
    )
    assert rows == expected(sparql)


def test_service_description(endpoint: str) -> None:
    """GET without a query describes the service: endpoint, languages, formats, limits."""
    status, content_type, body = fetch(endpoint, headers={"Accept": "text/turtle"})
    assert (status, content_type) == (200, "text/turtle")
    text = {str(t.object) for t in parse(body, RdfFormat.TURTLE)}
    assert "<http://www.w3.org/ns/sparql-service-description#SPARQL11Query>" in text
    assert "<http://www.w3.org/ns/sparql-service-description#SPARQL11Update>" not in text
    assert f"<{endpoint}>" in text
    assert any("Read-only" in t and "at most 500 results" in t for t in text)


# -- errors, each with a clear message ----------------------------------------------------------


def test_unacceptable_format_is_406(endpoint: str) -> None:
    """An Accept header the endpoint cannot meet gets 406 listing what it can send."""
    status, _, body = fetch(query_url(endpoint, COUNT_ALL), headers={"Accept": "image/png"})
    assert status == 406 and b"application/sparql-results+json" in body


def test_syntax_error_is_400_with_the_parser_message(endpoint: str) -> None:
    """A malformed query gets 400 and the parser's message."""
    status, _, body = fetch(query_url(endpoint, "SELECT * WHERE { ?s ?p }"))
    assert status == 400 and b"not valid" in body


def test_query_past_the_time_limit_is_stopped(endpoint: str) -> None:
    """A query past the time limit gets 503 saying so, and the endpoint keeps answering."""
    started = time.monotonic()
    status, _, body = fetch(query_url(endpoint, SLOW))
    assert status == 503 and b"time limit" in body
    assert time.monotonic() - started < 30
    assert fetch(query_url(endpoint, "ASK {}"))[0] == 200


def test_result_over_the_cap_is_refused(endpoint: str) -> None:
    """More rows than the cap gets 422 saying so; LIMIT within it works."""
    sparql = "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }"
    status, _, body = fetch(query_url(endpoint, sparql))
    assert status == 422 and b"more than 500 rows" in body
    assert fetch(query_url(endpoint, sparql + " LIMIT 500"))[0] == 200


@pytest.mark.parametrize(
    "sparql",
    [
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        "select * where { service silent <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    ],
)
def test_service_is_refused_by_default(endpoint: str, sparql: str) -> None:
    """Federated queries are refused unless enabled, with the option that enables them."""
    status, _, body = fetch(query_url(endpoint, sparql))
    assert status == 403 and b"--allow-service" in body


def test_the_word_service_in_data_is_not_refused(endpoint: str) -> None:
    """SERVICE inside a string or IRI is data, not a clause."""
    sparql = 'SELECT * WHERE { GRAPH ?g { ?s ?p "SERVICE <http://x/>" } } LIMIT 1'
    assert fetch(query_url(endpoint, sparql))[0] == 200


def test_update_on_a_read_only_endpoint_is_403(endpoint: str) -> None:
    """Without a configured token, updates are refused and the message says how to allow them."""
    data = urlencode({"update": "DROP ALL"}).encode()
    status, _, body = fetch(endpoint, data=data, headers={"Authorization": f"Bearer {TOKEN}"})
    assert status == 403 and b"KG_SERVE_UPDATE_TOKEN" in body


def test_update_over_get_is_405(endpoint: str) -> None:
    """Updates must be POSTed."""
    assert fetch(f"{endpoint}?{urlencode({'update': 'DROP ALL'})}")[0] == 405


def test_unknown_body_type_is_415(endpoint: str) -> None:
    """A POST body that is neither a form nor SPARQL gets 415."""
    status, _, _ = fetch(endpoint, data=b"{}", headers={"Content-Type": "application/json"})
    assert status == 415


# -- updates with a token -----------------------------------------------------------------------


@pytest.fixture
def writable(tmp_path: Path) -> Iterator[str]:
    """An endpoint over a small store that accepts updates with TOKEN."""
    store = EmbeddedStore(tmp_path / "store")
    store.update(
        "INSERT DATA { GRAPH <https://w3id.org/dmkg/graph/t> { <http://e/a> <http://e/b> 1 } }"
    )
    store.close()
    del store
    config = ServeConfig(tmp_path / "store", port=0, update_token=TOKEN, workers=1,
                         log_requests=False)  # fmt: skip
    with running(config) as url:
        yield url


def update(url: str, text: str, token: str | None) -> tuple[int, bytes]:
    """POST an update as application/sparql-update, with a bearer token if given."""
    headers = {"Content-Type": "application/sparql-update"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    status, _, body = fetch(url, data=text.encode(), headers=headers)
    return status, body


def count(url: str) -> int:
    """The number of quads an endpoint holds in named graphs."""
    result = client(url, COUNT_ALL).queryAndConvert()
    assert isinstance(result, dict)
    return int(result["results"]["bindings"][0]["n"]["value"])


INSERT = 'INSERT DATA { GRAPH <https://w3id.org/dmkg/graph/t> { <http://e/a> <http://e/b> "new" } }'


@pytest.mark.parametrize("token", [None, "wrong", TOKEN + "x", TOKEN[:-1]])
def test_update_without_the_token_is_401(writable: str, token: str | None) -> None:
    """No token, or the wrong one, gets 401 and changes nothing."""
    status, body = update(writable, INSERT, token)
    assert status == 401 and b"Bearer" in body
    assert count(writable) == 1


def test_update_with_the_token_changes_the_store(writable: str) -> None:
    """With the token the update runs, SPARQLWrapper can send it, and queries see it."""
    assert update(writable, INSERT, TOKEN)[0] == 204
    wrapper = SPARQLWrapper(writable, updateEndpoint=writable)
    wrapper.setMethod(POST)
    wrapper.addCustomHttpHeader("Authorization", f"Bearer {TOKEN}")
    wrapper.setQuery(INSERT.replace('"new"', '"newer"'))
    wrapper.query()
    assert count(writable) == 3
    _, _, description = fetch(writable, headers={"Accept": "application/n-triples"})
    assert b"SPARQL11Update" in description


def test_load_is_refused_even_with_the_token(writable: str) -> None:
    """LOAD fetches a URL of the client's choosing, so it needs --allow-service too."""
    status, body = update(writable, "LOAD <http://127.0.0.1:9/data.ttl>", TOKEN)
    assert status == 403 and b"LOAD" in body


# -- federation when enabled, and the command itself --------------------------------------------


def test_service_works_when_enabled(store_dir: Path) -> None:
    """With --allow-service a query may call another endpoint (here, itself)."""
    config = ServeConfig(store_dir, port=0, allow_service=True, workers=2, log_requests=False)
    with running(config) as url:
        sparql = f"SELECT ?n WHERE {{ SERVICE <{url}> {{ {COUNT_ALL} }} }}"
        result = client(url, sparql).queryAndConvert()
        assert isinstance(result, dict)
        assert int(result["results"]["bindings"][0]["n"]["value"]) > 1000


def test_kg_serve_command_answers_queries(store_dir: Path) -> None:
    """`kg serve` starts, prints its URL, answers, and stops on SIGTERM."""
    port = free_port()
    command = [sys.executable, "-m", "kg", "serve", "--store", str(store_dir), "--port", str(port)]
    env = {**os.environ, "KG_SERVE_UPDATE_TOKEN": "", "KG_CREDENTIALS_FILE": "/nonexistent"}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        url = f"http://127.0.0.1:{port}/sparql"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if fetch(query_url(url, "ASK {}"))[0] == 200:
                    break
            except urllib.error.URLError:
                time.sleep(0.2)
        status, _, body = fetch(query_url(url, COUNT_ALL))
        assert (
            status == 200 and int(json.loads(body)["results"]["bindings"][0]["n"]["value"]) > 1000
        )
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=30)
    assert f"SPARQL endpoint at http://127.0.0.1:{port}/sparql (read-only)".encode() in out


def test_remote_store_sends_the_bearer_token_from_the_environment(
    writable: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RemoteStore takes KG_SPARQL_TOKEN from the environment and kg serve accepts it."""
    monkeypatch.setenv("KG_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.delenv("KG_SPARQL_TOKEN", raising=False)
    with pytest.raises(StoreError, match=r"Unauthorized.*Bearer"):
        RemoteStore(writable).update(INSERT)
    monkeypatch.setenv("KG_SPARQL_TOKEN", TOKEN)
    RemoteStore(writable).update(INSERT)
    assert count(writable) == 2
