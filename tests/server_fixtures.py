"""Session fixtures for the real SPARQL servers, shared by every test module that imports them.

Importing a fixture into two test modules makes pytest create two fixtures, and a session
fixture would then start its server twice. The servers are therefore cached here, per process:
the first fixture to ask starts the server and registers its stop at the end of the session;
later ones reuse it. Virtuoso missing means a skip that says how to install it, never a pass.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from kg.errors import StoreError
from kg.store.servers import RunningServer, find_virtuoso, start_oxigraph, start_virtuoso

_RUNNING: dict[str, RunningServer] = {}
_FAILED: dict[str, str] = {}


def shared_server(
    request: pytest.FixtureRequest, name: str, start: Callable[[], RunningServer]
) -> RunningServer:
    """Return the session's server of that name, starting it on first use."""
    if name in _FAILED:
        pytest.fail(_FAILED[name])
    if name not in _RUNNING:
        try:
            _RUNNING[name] = start()
        except StoreError as error:
            _FAILED[name] = f"{name} did not start: {error}"
            raise
        server = _RUNNING[name]
        print(f"\n{name} started in {server.startup_seconds:.2f} s at {server.query_endpoint}")

        def stop() -> None:
            _RUNNING.pop(name).stop()

        request.session.config.add_cleanup(stop)
    return _RUNNING[name]


@pytest.fixture(scope="session")
def oxigraph_server(request: pytest.FixtureRequest) -> RunningServer:
    """An Oxigraph server (PyPI `oxigraph`) on 127.0.0.1 with an empty store."""
    return shared_server(request, "oxigraph", start_oxigraph)


@pytest.fixture(scope="session")
def virtuoso_server(request: pytest.FixtureRequest) -> RunningServer:
    """A Virtuoso 7 on 127.0.0.1 with a fresh database; skips, saying why, if not installed."""
    if find_virtuoso() is None:
        pytest.skip(
            "Virtuoso is not installed (no `virtuoso-t` on PATH); "
            "install it with `apt-get install virtuoso-opensource`, as .ci/run does"
        )
    return shared_server(request, "virtuoso", start_virtuoso)
