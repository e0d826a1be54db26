"""Choose and open a store backend from where the user says the graph lives."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kg.errors import StoreError
from kg.paths import default_store_dir
from kg.store.base import Store
from kg.store.embedded import EmbeddedStore


@dataclass(frozen=True)
class StoreLocation:
    """Where a graph lives: an embedded store directory, or a remote SPARQL endpoint pair."""

    directory: Path | None = None
    endpoint: str | None = None
    update_endpoint: str | None = None

    def describe(self) -> str:
        """A short human description for messages."""
        return self.endpoint or str(self.directory or default_store_dir())


def open_store(location: StoreLocation | None = None, *, read_only: bool = False) -> Store:
    """Open the store a location names (the default embedded store when none is given).

    :param location: the embedded directory or remote endpoint.
    :param read_only: open an embedded store without taking its write lock.
    :returns: a backend implementing :class:`kg.store.base.Store`.
    :raises StoreError: when the store cannot be opened.
    """
    location = location or StoreLocation()
    if location.endpoint:
        from kg.store.remote import RemoteStore

        return RemoteStore(location.endpoint, location.update_endpoint)
    if location.update_endpoint:
        raise StoreError("--update-endpoint needs --endpoint as well")
    directory = location.directory or default_store_dir()
    if read_only and not directory.exists():
        raise StoreError(f"no store at {directory}; run `kg build --store {directory}` first")
    return EmbeddedStore(directory, read_only=read_only)
