"""The inferred graph is written per chunk and per batch of cases: same graph as one replacement.

Reasoning reads facts into a spool by chunk and brings the inferred graph to the new results by
small diffs (kg/reasoning/writes.py). These tests check that chunking changes no result, that a
second run leaves the graph as it was, and that what no longer belongs (a case removed from the
store, another reasoner's run, an older version's leftovers) is removed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, Quad

from kg.build import build_graph
from kg.errors import StoreError
from kg.paths import CASES_DIR
from kg.rdf.vocab import BASE, INFERRED_GRAPH, KG, RDF, case_graph
from kg.reasoning import facts as facts_module
from kg.reasoning import reason as reason_module
from kg.reasoning.reason import reason
from kg.store import EmbeddedStore
from tests.conftest import FOUNDING_CASE

pytestmark = pytest.mark.java
RUN_AT = KG.runAt


def inferred(store: EmbeddedStore) -> set[str]:
    """The inferred graph's quads, without the run's time (which differs between runs)."""
    return {str(q) for q in store.quads(INFERRED_GRAPH) if q.predicate != RUN_AT}


@pytest.fixture(scope="module")
def once(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[EmbeddedStore, set[str]]]:
    store = EmbeddedStore(tmp_path_factory.mktemp("once"))
    build_graph(store, CASES_DIR)
    reason(store, "hermit")
    yield store, inferred(store)
    store.close()


def test_chunks_of_one_case_give_the_same_graph(
    once: tuple[EmbeddedStore, set[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reason_module, "CHUNK_SIZE", 1)
    store = EmbeddedStore(tmp_path / "chunked")
    build_graph(store, CASES_DIR)
    reason(store, "hermit")
    assert inferred(store) == once[1]
    store.close()


def test_facts_read_by_worker_processes_give_the_same_graph(
    once: tuple[EmbeddedStore, set[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large store's fact queries run in worker processes that open a snapshot of it; here on
    the curated cases, in chunks of three, straight after this process wrote them."""
    monkeypatch.setattr(facts_module, "PARALLEL_MIN_CASES", 1)
    monkeypatch.setattr(reason_module, "CHUNK_SIZE", 3)
    spawned = []
    real_pool = facts_module.ProcessPoolExecutor

    def counting_pool(*args: object, **kwargs: object) -> object:
        spawned.append(args)
        return real_pool(*args, **kwargs)

    monkeypatch.setattr(facts_module, "ProcessPoolExecutor", counting_pool)
    store = EmbeddedStore(tmp_path / "workers")
    build_graph(store, CASES_DIR)
    (tmp_path / ".workers-facts-killed" / "store").mkdir(parents=True)  # left by a killed run
    reason(store, "hermit")
    assert spawned, "the fact queries did not run in worker processes"
    assert inferred(store) == once[1]
    assert [p.name for p in tmp_path.iterdir()] == ["workers"]  # no snapshot is left
    store.close()


def test_a_failing_fact_worker_stops_the_read(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot open the store"):
        facts_module._spool_in_workers(tmp_path / "no-snapshot", 2, {}, 1, tmp_path)


def test_second_run_and_leftovers(once: tuple[EmbeddedStore, set[str]]) -> None:
    store, expected = once
    gone = NamedNode(f"{BASE}case/gone")
    stray_run = NamedNode(f"{BASE}inferred/run/pellet")
    leftovers = [
        Quad(NamedNode(f"{gone.value}/assessment/pns-2004"), KG.assessedCase, gone, INFERRED_GRAPH),
        Quad(
            NamedNode(f"{gone.value}/assessment/pns-2004"),
            KG.pnsClass,
            Literal("x"),
            INFERRED_GRAPH,
        ),
        Quad(stray_run, RDF.type, KG.ReasonerRun, INFERRED_GRAPH),
        Quad(NamedNode(f"{BASE}unrelated"), RDF.type, KG.Case, INFERRED_GRAPH),
    ]
    store.update(
        f"INSERT DATA {{ GRAPH {INFERRED_GRAPH} {{ "
        + " ".join(f"{q.subject} {q.predicate} {q.object} ." for q in leftovers)
        + " } }"
    )
    reason(store, "hermit")
    assert inferred(store) == expected


def test_a_removed_case_loses_its_results(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "store")
    build_graph(store, CASES_DIR)
    reason(store, "hermit")
    assert any(FOUNDING_CASE in s for s in inferred(store))
    store.drop_graph(case_graph(FOUNDING_CASE))
    reason(store, "hermit")
    assert not any(FOUNDING_CASE in s for s in inferred(store))
    store.close()
