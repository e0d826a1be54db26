"""`kg dump`, `kg load` and `kg serve`: backup, restore, moving graphs, and a SPARQL endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from kg.cli_options import Endpoint, StoreDir, UpdateEndpoint, location
from kg.errors import KgError
from kg.paths import default_store_dir
from kg.rdf.vocab import SUMMARY_GRAPH
from kg.store import open_store
from kg.store.backup import load_graphs, read_graphs
from kg.store.credentials import load_serve_token
from kg.store.embedded import EmbeddedStore, rdf_format_for
from kg.tumour_summary import refresh_summary, summary_inputs_changed
from kg.web.server import ServeConfig, SparqlServer, serve

commands = typer.Typer()
console = Console()
errors = Console(stderr=True)

DumpFile = Annotated[Path, typer.Argument(help="A .nq or .trig file; add .gz to compress.")]


@contextmanager
def exit_codes() -> Iterator[None]:
    """Turn project errors into a message and exit code 2 (could not run), with no traceback."""
    try:
        yield
    except KgError as error:
        errors.print(f"error: {error}", markup=False, highlight=False)
        raise typer.Exit(2) from None


@commands.command("dump")
def dump_command(
    file: DumpFile,
    store: StoreDir = None,
    endpoint: Endpoint = None,
    update_endpoint: UpdateEndpoint = None,
) -> None:
    """Write every graph to an N-Quads or TriG file, for backup or to move to another backend.

    \b
    Example:
        kg dump backup.nq.gz
        kg dump backup.trig --endpoint http://localhost:8890/sparql
    """
    with exit_codes():
        rdf_format_for(file)  # refuse an unknown extension before any work
        where = location(store, endpoint, update_endpoint)
        source = open_store(where, read_only=True)
        source.dump(file)
        source.close()
        console.print(f"{where.describe()} written to {file} ({file.stat().st_size:,} bytes)")


@commands.command("load")
def load_command(
    file: DumpFile,
    store: StoreDir = None,
    endpoint: Endpoint = None,
    update_endpoint: UpdateEndpoint = None,
) -> None:
    """Replace the graphs a dump file holds, all or nothing; other graphs stay as they are.

    A dump that brings cases or the ontology has the summary of DM cases by tumour type
    recomputed (the dump's own is kept when it still holds, so a full restore is quad for quad).

    \b
    Example:
        kg load backup.nq.gz --store /tmp/restored
        kg load backup.nq.gz --endpoint http://localhost:8890/sparql \\
            --update-endpoint http://localhost:8890/sparql-auth
    """
    with exit_codes():
        where = location(store, endpoint, update_endpoint)
        graphs = read_graphs(file)
        carried = graphs.get(SUMMARY_GRAPH)  # of the store dumped; kept below if it still holds
        stale = summary_inputs_changed(graphs)
        target = open_store(where)
        try:
            report = load_graphs(target, file, graphs, emptied=[SUMMARY_GRAPH] if stale else [])
            if stale:
                refresh_summary(target, previous=carried)
        finally:
            target.close()
        console.print(f"{report.quads:,} quads in {len(report.graphs)} graph(s) loaded into "
                      f"{where.describe()}")  # fmt: skip


@commands.command("compact")
def compact_command(store: StoreDir = None) -> None:
    """Merge the files bulk writes left in an embedded store, so that queries read fewer of them.

    `kg build` and a first `kg reason` compact after their bulk writes; run this after
    `kg reason --no-compact`, or on a store whose last writer stopped early (compacting took
    400 s at 100,000 cases, and made one page of criteria-assessment go from 162 to 35 ms;
    benchmarks/README.md).

    \b
    Example:
        kg compact --store /tmp/dm-graph
    """
    with exit_codes():
        directory = store or default_store_dir()
        if not directory.exists():  # opening it would create an empty store
            raise KgError(f"no store at {directory}; run `kg build --store {directory}` first")
        target = EmbeddedStore(directory)
        try:
            target.compact()
        finally:
            target.close()
        console.print(f"{directory} compacted")


@commands.command("serve")
def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (0: any free port).")] = 7879,
    timeout: Annotated[float, typer.Option(help="Seconds a query may run.")] = 30.0,
    max_results: Annotated[int, typer.Option(help="Most rows or triples per answer.")] = 10_000,
    workers: Annotated[int, typer.Option(help="Queries evaluated at once (read-only).")] = 4,
    allow_service: Annotated[
        bool, typer.Option(help="Allow SERVICE (federated queries) and LOAD.")
    ] = False,
    store: StoreDir = None,
) -> None:
    """Serve the embedded store as a SPARQL 1.1 endpoint at /sparql (read-only by default).

    SPARQL Update is accepted only when a token is configured (KG_SERVE_UPDATE_TOKEN, or
    [serve] update_token in ~/.config/dmkg/credentials.toml), and only with that bearer token.

    \b
    Example:
        kg serve --port 7879
        curl 'http://127.0.0.1:7879/sparql?query=ASK%7B%7D'
    """
    with exit_codes():
        directory = store or default_store_dir()
        if not directory.exists():
            raise KgError(f"no store at {directory}; run `kg build --store {directory}` first")
        token = load_serve_token()
        config = ServeConfig(
            directory, host, port, timeout, max_results, workers, allow_service, token
        )
        serve(config, started=_announce)


def _announce(server: SparqlServer) -> None:
    mode = "updates with the bearer token" if server.config.update_token else "read-only"
    console.print(f"SPARQL endpoint at {server.url} ({mode}); Ctrl-C stops it", highlight=False)
    console.file.flush()
