"""Shared fixtures: the real curated cases built into a throwaway embedded store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kg.build import build_graph
from kg.paths import CASES_DIR
from kg.store import EmbeddedStore

pytest_plugins = ("tests.server_fixtures",)

FOUNDING_CASE = "merry-2020-lms"
FOUNDING_PAPER = (
    Path(__file__).resolve().parents[1].parent
    / "shared" / "data" / "founding-case" / "merry-2020-clin-sarcoma-res.txt"
)  # fmt: skip


@pytest.fixture(scope="session")
def built_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStore]:
    """The embedded store built from cases/ (read it, do not write to it)."""
    store = EmbeddedStore(tmp_path_factory.mktemp("store"))
    build_graph(store, CASES_DIR)
    yield store
    store.close()


def build_closed_store(directory: Path) -> Path:
    """Build cases/ into a store in ``directory`` and close it, so that other processes (servers,
    workers) or read-only handles can open it; return the directory."""
    store = EmbeddedStore(directory)
    build_graph(store, CASES_DIR)
    store.close()
    return directory


@pytest.fixture
def memory_store() -> EmbeddedStore:
    """An empty in-memory store."""
    return EmbeddedStore(None)
