"""Start and stop real SPARQL servers on loopback, for the contract tests and for trying things out.

Each server gets a throwaway directory and free ports on 127.0.0.1, is waited for until it answers
a query, and is stopped (and its directory removed) on exit, so runs never share state with each
other or with a server someone already has on the default ports.

- Oxigraph: ``oxigraph serve`` from the PyPI package ``oxigraph``, with ``--union-default-graph``
  so its default graph matches the embedded store's.
- Virtuoso 7: ``virtuoso-t`` from the Debian package ``virtuoso-opensource``, with a minimal
  virtuoso.ini. Updates go to ``/sparql-auth`` with HTTP digest auth as ``dba``, whose password
  is changed to a random one through ``isql`` when that tool is installed. The row limit is
  Virtuoso's usual 10,000, so the tests meet what users' servers do.

Servers die with the process that started them (Linux), so a killed test run leaves none behind.
"""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from kg.errors import StoreError
from kg.store.credentials import Credentials
from kg.store.remote import RemoteStore

VIRTUOSO_INI = """\
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
DirsAllowed = {dir}
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
CheckpointInterval = 0
[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {dir}
ServerThreads = 10
Charset = UTF-8
[SPARQL]
ResultSetMaxRows = 10000
MaxQueryExecutionTime = 120
"""
VIRTUOSO_USER = "dba"
VIRTUOSO_DEFAULT_PASSWORD = "dba"  # noqa: S105 - Virtuoso's documented initial password


@dataclass
class RunningServer:
    """A server started by this module: its endpoints, credentials, process and directory."""

    name: str
    query_endpoint: str
    update_endpoint: str
    graph_store: str | None
    credentials: Credentials
    process: subprocess.Popen[bytes]
    directory: Path
    startup_seconds: float

    def store(self, *, graph_store: bool = False, **options: object) -> RemoteStore:
        """Return a RemoteStore on this server (over the Graph Store Protocol too, if asked)."""
        credentials = Credentials(
            auth=self.credentials.auth,
            user=self.credentials.user,
            password=self.credentials.password,
            graph_store=self.graph_store if graph_store else None,
        )
        return RemoteStore(
            self.query_endpoint,
            self.update_endpoint,
            credentials=credentials,
            **options,  # type: ignore[arg-type]
        )

    def log(self) -> str:
        """Return the end of the server's log, for error messages."""
        path = self.directory / "server.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def stop(self) -> None:
        """Stop the process (politely, then not) and remove its directory."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        shutil.rmtree(self.directory, ignore_errors=True)


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def find_program(name: str) -> Path | None:
    """Find a program on PATH or beside the running Python (a virtualenv's bin/)."""
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    return Path(found) if found else None


def wait_until_answers(server: RunningServer, timeout: float) -> None:
    """Poll the query endpoint with ``ASK {}`` until it answers 200.

    :raises StoreError: when the process exits or the time runs out (with the log's end).
    """
    url = server.query_endpoint + "?query=ASK%7B%7D"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise StoreError(
                f"{server.name} exited with {server.process.returncode}:\n{server.log()}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:  # noqa: S310 - our loopback URL
                if reply.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    server.stop()
    raise StoreError(f"{server.name} did not answer within {timeout:.0f} s:\n{server.log()}")


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux to stop this server when its parent dies.

    A test run that is killed outright never reaches its cleanup; without this its servers
    would keep running, holding ports and temporary directories.
    """
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    try:
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def _launch(command: list[str], directory: Path) -> subprocess.Popen[bytes]:
    linux = sys.platform.startswith("linux")
    with (directory / "server.log").open("wb") as log:
        return subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, cwd=directory,
            preexec_fn=_die_with_parent if linux else None,  # only prctl: safe before exec
        )  # fmt: skip


def start_oxigraph(timeout: float = 30.0) -> RunningServer:
    """Start ``oxigraph serve`` on a free loopback port with an empty throwaway store.

    :raises StoreError: when the program is missing or the server does not come up.
    """
    program = find_program("oxigraph")
    if program is None:
        raise StoreError("`oxigraph` is not installed; run `pip install oxigraph` (PyPI)")
    directory = Path(tempfile.mkdtemp(prefix="dmkg-oxigraph-"))
    base = f"http://127.0.0.1:{free_port()}"
    command = [str(program), "serve", "--location", str(directory / "data"), "--bind",
               base.removeprefix("http://"), "--union-default-graph"]  # fmt: skip
    started = time.monotonic()
    server = RunningServer(
        "oxigraph", f"{base}/query", f"{base}/update", f"{base}/store", Credentials(),
        _launch(command, directory), directory, 0.0,
    )  # fmt: skip
    wait_until_answers(server, timeout)
    server.startup_seconds = time.monotonic() - started
    return server


def find_virtuoso() -> Path | None:
    """Return the Virtuoso 7 server program, or None when it is not installed."""
    return find_program("virtuoso-t")


def start_virtuoso(timeout: float = 90.0) -> RunningServer:
    """Start Virtuoso on free loopback ports with a fresh database in a throwaway directory.

    :raises StoreError: when Virtuoso is missing or does not come up.
    """
    program = find_virtuoso()
    if program is None:
        raise StoreError(
            "Virtuoso is not installed; run `apt-get install virtuoso-opensource` (Debian)"
        )
    directory = Path(tempfile.mkdtemp(prefix="dmkg-virtuoso-"))
    sql_port, http_port = free_port(), free_port()
    ini = directory / "virtuoso.ini"
    ini.write_text(VIRTUOSO_INI.format(dir=directory, sql_port=sql_port, http_port=http_port))
    base = f"http://127.0.0.1:{http_port}"
    started = time.monotonic()
    process = _launch([str(program), "+foreground", "+configfile", str(ini)], directory)
    credentials = Credentials("digest", VIRTUOSO_USER, VIRTUOSO_DEFAULT_PASSWORD)
    server = RunningServer(
        "virtuoso", f"{base}/sparql", f"{base}/sparql-auth", f"{base}/sparql-graph-crud-auth",
        credentials, process, directory, 0.0,
    )  # fmt: skip
    wait_until_answers(server, timeout)
    server.credentials = _set_random_password(sql_port, credentials)
    server.startup_seconds = time.monotonic() - started
    return server


def _set_random_password(sql_port: int, credentials: Credentials) -> Credentials:
    """Replace dba's well-known password with a random one, when isql is there to do it."""
    isql = find_program("isql-vt") or find_program("isql")
    if isql is None:
        return credentials
    password = secrets.token_urlsafe(16)
    statement = f"USER_SET_PASSWORD('{VIRTUOSO_USER}', '{password}');"
    command = [str(isql), f"127.0.0.1:{sql_port}", VIRTUOSO_USER, VIRTUOSO_DEFAULT_PASSWORD,
               f"exec={statement}"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    # isql exits 0 even when the statement fails; its errors start with "*** Error".
    if done.returncode != 0 or "*** Error" in done.stdout:
        raise StoreError(f"could not set Virtuoso's password: {done.stdout}{done.stderr}")
    return Credentials("digest", VIRTUOSO_USER, password)


@contextmanager
def running(name: str) -> Iterator[RunningServer]:
    """Run ``oxigraph`` or ``virtuoso`` for the duration of a with-block.

    :raises StoreError: for an unknown name, or a server that cannot start.
    """
    starters = {"oxigraph": start_oxigraph, "virtuoso": start_virtuoso}
    if name not in starters:
        raise StoreError(f"unknown server {name!r}; use one of {', '.join(starters)}")
    server = starters[name]()
    try:
        yield server
    finally:
        server.stop()
