"""`kg serve`: a SPARQL 1.1 Protocol endpoint over the embedded store, for other people's tools.

Built on the standard library's ThreadingHTTPServer: the endpoint is one URL with a handful of
rules (the protocol's GET and POST forms, content negotiation, a bearer token for updates), all
of which fit in this module, and no web framework then has to be installed, upgraded or audited.
The work that can run long (evaluating queries) happens in worker processes
(:mod:`kg.web.evaluation`), so the HTTP threads only parse, check and relay.

Safety by default: read-only unless an update token is configured (``KG_SERVE_UPDATE_TOKEN`` or
``[serve] update_token`` in the credentials file, never the command line); SERVICE clauses and
LOAD, which make the server fetch URLs of the client's choosing, are refused unless enabled; every
query has a time limit and a result cap, each answered with an error that says so.
"""

from __future__ import annotations

import hmac
import signal
import threading
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from pyoxigraph import Literal, NamedNode, Triple, serialize

from kg.store.sparql_text import has_keyword
from kg.web.evaluation import Job, Reply, WorkerPool
from kg.web.negotiation import GRAPH_OFFERS, choose

ENDPOINT_PATH = "/sparql"
SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS = "http://www.w3.org/ns/formats/"
RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_COMMENT = NamedNode("http://www.w3.org/2000/01/rdf-schema#comment")
FORM_TYPE = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class ServeConfig:
    """How `kg serve` runs."""

    directory: Path
    host: str = "127.0.0.1"
    port: int = 7879
    timeout: float = 30.0
    max_results: int = 10_000
    workers: int = 4
    allow_service: bool = False
    update_token: str | None = None
    max_request_bytes: int = 10_000_000
    log_requests: bool = True


class SparqlServer(ThreadingHTTPServer):
    """The HTTP server, holding the configuration and the worker pool its handlers use."""

    daemon_threads = True

    def __init__(self, config: ServeConfig) -> None:
        self.config = config
        self.pool = WorkerPool(
            config.directory, size=config.workers, read_only=config.update_token is None,
            timeout=config.timeout, max_results=config.max_results,
        )  # fmt: skip
        try:
            super().__init__((config.host, config.port), SparqlHandler)
        except OSError:
            self.pool.close()
            raise

    @property
    def url(self) -> str:
        """The endpoint's URL."""
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}{ENDPOINT_PATH}"

    def server_close(self) -> None:
        """Stop the workers as well as the socket."""
        super().server_close()
        self.pool.close()


class SparqlHandler(BaseHTTPRequestHandler):
    """One HTTP request: GET or POST, query or update, per the SPARQL 1.1 Protocol."""

    server: SparqlServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        """Answer a query in the URL, or describe the service when there is none."""
        url = urlsplit(self.path)
        if url.path not in (ENDPOINT_PATH, "/"):
            return self._send(
                Reply.error(404, f"no such resource; the endpoint is {ENDPOINT_PATH}")
            )
        params = parse_qs(url.query, keep_blank_values=True)
        if "update" in params:
            return self._send(Reply.error(405, "send updates with POST"), {"Allow": "POST"})
        if "query" not in params:
            return self._send(self._service_description())
        return self._send(self._answer(params))

    def do_POST(self) -> None:
        """Answer a query or update sent as a form or as a SPARQL body."""
        url = urlsplit(self.path)
        if url.path not in (ENDPOINT_PATH, "/"):
            return self._send(
                Reply.error(404, f"no such resource; the endpoint is {ENDPOINT_PATH}")
            )
        body = self._read_body()
        if isinstance(body, Reply):
            return self._send(body)
        params = parse_qs(url.query, keep_blank_values=True)
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        text = body.decode("utf-8", "replace")
        if content_type == FORM_TYPE:
            for name, values in parse_qs(text, keep_blank_values=True).items():
                params.setdefault(name, []).extend(values)
        elif content_type == "application/sparql-query":
            params["query"] = [text]
        elif content_type == "application/sparql-update":
            params["update"] = [text]
        else:
            return self._send(Reply.error(415, f"send {FORM_TYPE}, application/sparql-query "
                                               "or application/sparql-update"))  # fmt: skip
        return self._send(self._answer(params))

    def _read_body(self) -> bytes | Reply:
        try:
            length = int(self.headers.get("Content-Length") or "0")
        except ValueError:
            return Reply.error(400, "Content-Length is not a number")
        if length > self.server.config.max_request_bytes:
            self.close_connection = True
            limit = self.server.config.max_request_bytes
            return Reply.error(
                413, f"the request is larger than {limit} bytes, this endpoint's limit"
            )
        return self.rfile.read(length)

    def _answer(self, params: dict[str, list[str]]) -> Reply:
        """Check a protocol request and hand it to a worker."""
        queries, updates = params.get("query", []), params.get("update", [])
        if len(queries) + len(updates) != 1:
            return Reply.error(400, "send exactly one `query` or one `update` parameter")
        kind, text = ("query", queries[0]) if queries else ("update", updates[0])
        refusal = self._refusal(kind, text)
        if refusal:
            return refusal
        job = Job(
            kind, text, self.headers.get("Accept"),
            tuple(params.get("default-graph-uri", []) + params.get("using-graph-uri", [])),
            tuple(params.get("named-graph-uri", []) + params.get("using-named-graph-uri", [])),
        )  # fmt: skip
        return self.server.pool.run(job)

    def _refusal(self, kind: str, text: str) -> Reply | None:
        """The reply refusing a request this endpoint does not run, or None to run it."""
        config = self.server.config
        if kind == "update":
            if config.update_token is None:
                return Reply.error(403, "this endpoint is read-only; to accept SPARQL Update, set "
                                        "KG_SERVE_UPDATE_TOKEN (or [serve] update_token in the "
                                        "credentials file) and restart kg serve")  # fmt: skip
            if not self._token_matches(config.update_token):
                return Reply.error(401, "updates need the header `Authorization: Bearer <token>` "
                                        "with this endpoint's token")  # fmt: skip
        if not config.allow_service:
            for keyword in ("SERVICE", "LOAD"):
                if has_keyword(text, keyword):
                    return Reply.error(
                        403, f"{keyword} makes this server fetch other URLs and is disabled here; "
                             "start kg serve with --allow-service to allow federated queries",
                    )  # fmt: skip
        return None

    def _token_matches(self, token: str) -> bool:
        scheme, _, given = (self.headers.get("Authorization") or "").partition(" ")
        # compare_digest: the time taken does not tell an attacker how much of a guess was right.
        return scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token)

    def _service_description(self) -> Reply:
        offer = choose(self.headers.get("Accept"), GRAPH_OFFERS)
        if offer is None:
            offer = GRAPH_OFFERS[0]
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        triples = describe_service(f"http://{host}{ENDPOINT_PATH}", self.server.config)
        return Reply(200, offer.media_type, serialize(triples, None, offer.format))

    def _send(self, reply: Reply, headers: dict[str, str] | None = None) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        if reply.status == HTTPStatus.UNAUTHORIZED:
            self.send_header("WWW-Authenticate", 'Bearer realm="kg serve"')
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    def log_message(self, format: str, *args: object) -> None:
        """Log requests to stderr unless the configuration says not to (tests)."""
        if self.server.config.log_requests:
            super().log_message(format, *args)


def describe_service(endpoint: str, config: ServeConfig) -> list[Triple]:
    """Return the SPARQL 1.1 Service Description of this endpoint (no blank nodes)."""
    service = NamedNode(endpoint + "#service")
    languages = ["SPARQL11Query"] + (["SPARQL11Update"] if config.update_token else [])
    results = ["SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV",
               "SPARQL_Results_TSV", "Turtle", "N-Triples"]  # fmt: skip
    comment = (
        f"Paraneoplastic dermatomyositis case-report knowledge graph. "
        f"{'Accepts SPARQL Update with a bearer token' if config.update_token else 'Read-only'}; "
        f"queries stop after {config.timeout:g} s and return at most {config.max_results} results; "
        f"SERVICE is {'allowed' if config.allow_service else 'refused'}."
    )
    triples = [
        (RDF_TYPE, NamedNode(SD + "Service")),
        (NamedNode(SD + "endpoint"), NamedNode(endpoint)),
        (NamedNode(SD + "feature"), NamedNode(SD + "UnionDefaultGraph")),
        (RDFS_COMMENT, Literal(comment)),
        *((NamedNode(SD + "supportedLanguage"), NamedNode(SD + name)) for name in languages),
        *((NamedNode(SD + "resultFormat"), NamedNode(FORMATS + name)) for name in results),
    ]
    return [Triple(service, predicate, value) for predicate, value in triples]


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def serve(config: ServeConfig, started: object = None) -> None:
    """Serve until interrupted (Ctrl-C), then stop the workers.

    :param started: called with the server once it listens (the CLI prints the URL).
    """
    server = SparqlServer(config)
    if threading.current_thread() is threading.main_thread():
        # A service manager stops us with SIGTERM: shut down as cleanly as after Ctrl-C.
        signal.signal(signal.SIGTERM, _interrupt)
    try:
        if callable(started):
            started(server)
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
