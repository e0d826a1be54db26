"""Session fixtures for real SPARQL servers and the reference data, as a pytest plugin.

Test modules load this with ``pytest_plugins = ("tests.server_fixtures",)``: a plugin is
registered once, so every module shares one server per session (importing the fixtures into each
module would make pytest start one server per module). Virtuoso missing means a skip that says
how to install it, never a pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from kg.build import build_graph
from kg.paths import CASES_DIR
from kg.reasoning.reason import reason
from kg.store import EmbeddedStore, Store
from kg.store.remote import RemoteStore
from kg.store.servers import RunningServer, find_virtuoso, start_oxigraph, start_virtuoso

# Seconds one request to a test server may take: a query that hangs fails its test, not the run.
REMOTE_TIMEOUT = 60.0


def started(server: RunningServer) -> RunningServer:
    """Report a server's start-up time in the test output (-s shows it)."""
    print(
        f"\n{server.name} answered after {server.startup_seconds:.2f} s at {server.query_endpoint}"
    )
    return server


@pytest.fixture(scope="session")
def oxigraph_server() -> Iterator[RunningServer]:
    """An Oxigraph server (PyPI `oxigraph`) on 127.0.0.1 with an empty store."""
    server = started(start_oxigraph())
    yield server
    server.stop()


@pytest.fixture(scope="session")
def virtuoso_server() -> Iterator[RunningServer]:
    """A Virtuoso 7 on 127.0.0.1 with a fresh database; skips, saying why, if not installed."""
    if find_virtuoso() is None:
        pytest.skip(
            "Virtuoso is not installed (no `virtuoso-t` on PATH); "
            "install it with `apt-get install virtuoso-opensource`, as .ci/run does"
        )
    server = started(start_virtuoso())
    yield server
    server.stop()


_LOADED: set[str] = set()


@pytest.fixture(scope="session")
def reference_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStore]:
    """The real cases and ontology built into an embedded store, classified by HermiT.

    Every backend of the contract suite gets exactly these quads, inferred graph included, so
    the named queries that read inferences have something to answer.
    """
    store = EmbeddedStore(tmp_path_factory.mktemp("reference"))
    build_graph(store, CASES_DIR)
    reason(store, "hermit")
    yield store
    store.close()


@pytest.fixture(scope="session")
def reference_loader() -> Callable[[RunningServer, EmbeddedStore], RemoteStore]:
    """The function that puts the reference data on a server (a fixture, so test modules need
    not import this plugin module, which pytest must import first to rewrite its asserts)."""
    return load_reference


def load_reference(server: RunningServer, reference: EmbeddedStore) -> RemoteStore:
    """Return a store on the server holding exactly the reference's graphs (loaded once).

    A test that changes the reference graphs on a server must put them back.
    """
    store = server.store(timeout=REMOTE_TIMEOUT)
    if server.name not in _LOADED:
        clear_project_graphs(store)
        store.replace_graphs({graph: list(reference.quads(graph)) for graph in reference.graphs()})
        _LOADED.add(server.name)
    return store


def clear_project_graphs(store: Store) -> None:
    """Drop every project graph from a store."""
    for graph in store.graphs():
        store.drop_graph(graph)
