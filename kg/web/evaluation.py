"""Run SPARQL requests in worker processes, so a query past its time limit can really be stopped.

pyoxigraph has no way to cancel a running query, and a thread cannot be killed, so a runaway
query in a thread would keep its CPU after the client got its timeout error. Each worker is a
process with the store open; on timeout the worker is killed and replaced. A read-only endpoint
runs several workers on read-only handles of the store; an endpoint that accepts updates runs one
worker holding the only read-write handle, since RocksDB allows one writer and readers beside a
writer would see undefined state. Oxigraph's transactions keep a killed update all or nothing.

Results are capped at ``max_results`` rows (or triples): past the cap the client gets an error,
never a silently shortened answer.
"""

from __future__ import annotations

import json
import multiprocessing
import queue
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from pyoxigraph import (
    BlankNode,
    NamedNode,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    Store,
    Triple,
    parse_query_results,
    serialize,
)

from kg.web.negotiation import GRAPH_OFFERS, SOLUTION_OFFERS, acceptable_types, choose

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
STARTUP_SECONDS = 60.0


@dataclass(frozen=True)
class Job:
    """One SPARQL request for a worker: a query or an update, with its dataset and Accept."""

    kind: str
    text: str
    accept: str | None = None
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reply:
    """An HTTP answer: status, content type and body."""

    status: int
    content_type: str
    body: bytes = field(repr=False)

    @classmethod
    def error(cls, status: int, message: str) -> Reply:
        """A plain-text error reply."""
        return cls(status, "text/plain; charset=utf-8", (message.rstrip() + "\n").encode("utf-8"))


def term_json(term: Any) -> dict[str, Any]:
    """Return a term in SPARQL 1.1 JSON results form.

    >>> from pyoxigraph import Literal
    >>> term_json(Literal("1", datatype=NamedNode("http://www.w3.org/2001/XMLSchema#integer")))
    {'type': 'literal', 'value': '1', 'datatype': 'http://www.w3.org/2001/XMLSchema#integer'}
    """
    if isinstance(term, NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, Triple):
        parts = {"subject": term.subject, "predicate": term.predicate, "object": term.object}
        return {"type": "triple", "value": {k: term_json(v) for k, v in parts.items()}}
    described: dict[str, Any] = {"type": "literal", "value": term.value}
    if term.language:
        described["xml:lang"] = term.language
    elif term.datatype.value != XSD_STRING:
        described["datatype"] = term.datatype.value
    return described


def solutions_json(variables: list[str], rows: list[Any]) -> bytes:
    """Write solutions as a SPARQL JSON results document."""
    bindings = [
        {name: term_json(row[name]) for name in variables if row[name] is not None} for row in rows
    ]
    document = {"head": {"vars": variables}, "results": {"bindings": bindings}}
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def too_many(max_results: int, what: str) -> Reply:
    """The error for a result past the cap."""
    return Reply.error(
        422,
        f"the result has more than {max_results} {what}, this endpoint's limit; "
        "add LIMIT (and OFFSET to page), or narrow the query",
    )


def render(result: Any, accept: str | None, max_results: int) -> Reply:
    """Serialize a query result in the format the client prefers, within the result cap."""
    graph = not isinstance(result, QuerySolutions | QueryBoolean)
    offers = GRAPH_OFFERS if graph else SOLUTION_OFFERS
    offer = choose(accept, offers)
    if offer is None:
        return Reply.error(406, f"cannot answer in {accept!r}; this result comes as one of: "
                                f"{acceptable_types(offers)}")  # fmt: skip
    if isinstance(result, QueryBoolean):
        if offer.format not in (QueryResultsFormat.JSON, QueryResultsFormat.XML):
            return Reply.error(406, "an ASK result comes as SPARQL JSON or XML only")
        return Reply(200, offer.media_type, serialize_result(result, offer.format))
    items = []
    for item in result:
        if len(items) == max_results:
            return too_many(max_results, "triples" if graph else "rows")
        items.append(item)
    if graph:
        return Reply(200, offer.media_type, serialize(items, None, offer.format))
    body = solutions_json([v.value for v in result.variables], items)
    if offer.format != QueryResultsFormat.JSON:
        body = serialize_result(parse_query_results(body, QueryResultsFormat.JSON), offer.format)
    return Reply(200, offer.media_type, body)


def serialize_result(result: Any, fmt: Any) -> bytes:
    """Serialize SELECT or ASK results to bytes."""
    output = result.serialize(None, fmt)
    assert isinstance(output, bytes)
    return output


def dataset_options(job: Job) -> dict[str, Any]:
    """The query's dataset: the protocol's graph parameters, or the union of all graphs."""
    if not (job.default_graphs or job.named_graphs):
        return {"use_default_graph_as_union": True}
    options: dict[str, Any] = {}
    if job.default_graphs:
        options["default_graph"] = [NamedNode(iri) for iri in job.default_graphs]
    if job.named_graphs:
        options["named_graphs"] = [NamedNode(iri) for iri in job.named_graphs]
    return options


def evaluate(store: Store, job: Job, max_results: int) -> Reply:
    """Run one job on a store and turn any failure into an HTTP error reply."""
    try:
        if job.kind == "update":
            store.update(job.text)
            return Reply(204, "text/plain; charset=utf-8", b"")
        return render(store.query(job.text, **dataset_options(job)), job.accept, max_results)
    except SyntaxError as error:
        return Reply.error(400, f"the SPARQL {job.kind} is not valid: {error}")
    except ValueError as error:
        return Reply.error(400, f"cannot run this {job.kind}: {error}")
    except OSError as error:
        return Reply.error(500, f"the store failed: {error}")


def worker_main(connection: Connection, directory: str, read_only: bool, max_results: int) -> None:
    """A worker process: open the store, say whether that worked, then answer jobs until EOF."""
    try:
        store = Store.read_only(directory) if read_only else Store(directory)
    except OSError as error:
        connection.send(Reply.error(500, f"cannot open the store in {directory}: {error}"))
        return
    connection.send(Reply(200, "text/plain", b"ready"))
    while True:
        try:
            job = connection.recv()
        except (EOFError, OSError):
            return
        connection.send(evaluate(store, job, max_results))


class Stopped(Exception):
    """A worker could not answer (timeout, crash): the reply to send instead, and kill it."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.body.decode("utf-8", "replace"))
        self.reply = reply


class Worker:
    """One worker process and the pipe to it."""

    def __init__(self, directory: Path, read_only: bool, max_results: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.connection, child = context.Pipe()
        args = (child, str(directory), read_only, max_results)
        self.process = context.Process(target=worker_main, args=args, daemon=True)
        self.process.start()
        child.close()
        self.ready = False

    def ask(self, job: Job, timeout: float) -> Reply:
        """Send a job and wait for its reply.

        :raises Stopped: when the worker does not answer in time or has died.
        """
        if not self.ready:
            startup = self._receive(STARTUP_SECONDS, "start")
            if startup.status != 200:
                raise Stopped(startup)
            self.ready = True
        self.connection.send(job)
        return self._receive(timeout, job.kind)

    def _receive(self, timeout: float, what: str) -> Reply:
        try:
            if not self.connection.poll(timeout):
                raise Stopped(Reply.error(
                    503, f"the {what} ran longer than {timeout:g} s, this endpoint's time limit, "
                         "and was stopped; narrow it, or add LIMIT",
                ))  # fmt: skip
            reply = self.connection.recv()
        except (EOFError, OSError):
            raise Stopped(Reply.error(500, f"the query worker died during the {what}")) from None
        assert isinstance(reply, Reply)
        return reply

    def stop(self) -> None:
        """Kill the process (it holds no state worth saving) and close the pipe."""
        self.process.kill()
        self.process.join(10)
        self.connection.close()


class WorkerPool:
    """A fixed set of workers; each request borrows one and returns it (or a fresh one)."""

    def __init__(
        self, directory: Path, *, size: int, read_only: bool, timeout: float, max_results: int
    ) -> None:
        self.directory, self.read_only = directory, read_only
        self.timeout, self.max_results = timeout, max_results
        self._idle: queue.Queue[Worker] = queue.Queue()
        for _ in range(size if read_only else 1):
            self._idle.put(self._spawn())

    def _spawn(self) -> Worker:
        return Worker(self.directory, self.read_only, self.max_results)

    def run(self, job: Job) -> Reply:
        """Run a job on an idle worker; replace the worker if it had to be stopped."""
        try:
            worker = self._idle.get(timeout=self.timeout)
        except queue.Empty:
            return Reply.error(503, "every query worker stayed busy; try again shortly")
        try:
            return worker.ask(job, self.timeout)
        except Stopped as stopped:
            worker.stop()
            worker = self._spawn()
            return stopped.reply
        finally:
            self._idle.put(worker)

    def close(self) -> None:
        """Stop every worker."""
        while True:
            try:
                self._idle.get_nowait().stop()
            except queue.Empty:
                return
