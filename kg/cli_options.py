"""Options shared by every `kg` command that reads or writes the graph."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kg.paths import default_store_dir
from kg.store import StoreLocation

StoreDir = Annotated[
    Path | None,
    typer.Option(
        "--store", help=f"Embedded store directory [default: {default_store_dir()}, or $KG_STORE]."
    ),
]
Endpoint = Annotated[
    str | None,
    typer.Option("--endpoint", help="Remote SPARQL query endpoint URL instead of --store."),
]
UpdateEndpoint = Annotated[
    str | None, typer.Option("--update-endpoint", help="Remote SPARQL update endpoint URL.")
]
Format = Annotated[str, typer.Option("--format", "-f", help="table, csv, tsv, json or xml.")]


def location(
    store: Path | None, endpoint: str | None, update_endpoint: str | None
) -> StoreLocation:
    """Combine the store options into one location."""
    return StoreLocation(directory=store, endpoint=endpoint, update_endpoint=update_endpoint)
