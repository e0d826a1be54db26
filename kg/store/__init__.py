"""Store backends behind one small interface; `open_store` picks one from the command line."""

from kg.store.base import QueryResult, Store
from kg.store.embedded import EmbeddedStore
from kg.store.factory import StoreLocation, open_store

__all__ = ["EmbeddedStore", "QueryResult", "Store", "StoreLocation", "open_store"]
