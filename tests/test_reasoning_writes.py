"""The inferred graph is written per chunk and per batch of cases: same graph as one replacement.

Reasoning reads facts into a spool by chunk and brings the inferred graph to the new results by
small diffs (kg/reasoning/writes.py). These tests check that chunking changes no result, that a
second run leaves the graph as it was, that a run keeps the results of cases whose inputs are
unchanged and gives the same graph as reasoning about every case, and that what no longer
belongs (a case removed from the store, another reasoner's run, an older version's leftovers)
is removed: a case's results when the case goes, the rest by a run that writes every case.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
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
# What differs between runs with the same results: when they ran, how many cases they reasoned
# about and how many profiles that took.
PER_RUN = {KG.runAt, KG.reasonedCount, KG.profileCount}


def inferred(store: EmbeddedStore) -> set[str]:
    """The inferred graph's quads, without what describes only the run (:data:`PER_RUN`)."""
    return {str(q) for q in store.quads(INFERRED_GRAPH) if q.predicate not in PER_RUN}


def reasoned(location: Path) -> EmbeddedStore:
    """A new store holding the curated cases, reasoned about once."""
    store = EmbeddedStore(location)
    build_graph(store, CASES_DIR)
    reason(store, "hermit")
    return store


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
    # a run keeping every case trusts the record's count and leaves what was written by hand,
    # but for other runs' records, which the new record replaces
    assert reason(store, "hermit").kept == 8
    assert {str(q) for q in leftovers if q.subject != stray_run} <= inferred(store)
    assert str(leftovers[2]) not in inferred(store)
    # one that writes every case (`kg reason --all`) counts the graph and deletes it
    reason(store, "hermit", every_case=True)
    assert inferred(store) == expected


def test_a_removed_case_loses_its_results(tmp_path: Path) -> None:
    store = reasoned(tmp_path / "store")
    assert any(FOUNDING_CASE in s for s in inferred(store))
    store.drop_graph(case_graph(FOUNDING_CASE))
    reason(store, "hermit")
    assert not any(FOUNDING_CASE in s for s in inferred(store))
    store.close()


def test_a_case_without_its_file_checksum_is_reasoned_about_at_every_run(
    once: tuple[EmbeddedStore, set[str]], tmp_path: Path
) -> None:
    """A case graph written other than from its file carries no checksum: nothing says what its
    results were made from, so no run keeps them, while the other cases keep theirs."""
    store = reasoned(tmp_path / "store")
    graph = case_graph(FOUNDING_CASE)
    store.update(f"DELETE WHERE {{ GRAPH {graph} {{ {graph} {KG.sourceChecksum} ?sum }} }}")
    for _ in range(2):
        report = reason(store, "hermit", keep_results=True)
        assert (report.kept, set(report.results)) == (7, {graph.value})
    made_from = {KG.inputsChecksum, KG.inputsBasis}
    records = [q for q in store.quads(INFERRED_GRAPH) if q.predicate in made_from]
    assert len(records) == 2 * 7 and graph not in {q.subject for q in records}
    count = str(KG.inferredQuadCount)
    left = {s for s in once[1] if not _made_from(s, graph.value)}
    assert {s for s in inferred(store) if count not in s} == {s for s in left if count not in s}
    (recorded,) = [q for q in store.quads(INFERRED_GRAPH) if q.predicate == KG.inferredQuadCount]
    (before,) = [s for s in once[1] if count in s]
    assert int(recorded.object.value) == int(before.split('"')[1]) - 2  # its two records gone
    store.close()


def _made_from(line: str, case: str) -> bool:
    """Whether an N-Quads line records what a case's results were made from."""
    made_from = (KG.inputsChecksum, KG.inputsBasis)
    return line.startswith(f"<{case}> ") and any(str(p) in line for p in made_from)


def some_cases(folder: Path, leave_out: str = "") -> Path:
    """A copy of the curated cases' folder, without one case."""
    folder.mkdir()
    for path in CASES_DIR.glob("*.yaml"):
        if path.stem != leave_out:
            shutil.copy(path, folder / path.name)
    return folder


@pytest.mark.parametrize("share", [0.0, 1.0], ids=["every-case-read", "graphs-read"])
def test_an_added_case_is_reasoned_alone_and_gives_the_graph_of_a_full_run(
    once: tuple[EmbeddedStore, set[str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    share: float,
) -> None:
    """Seven cases reasoned, then the eighth added: the run keeps the seven, reads the facts of
    the eighth (from its graph alone, or in one read of every case) and ends with the graph
    that reasoning about all eight from scratch gave."""
    monkeypatch.setattr(reason_module, "GRAPH_READ_SHARE", share)
    store = EmbeddedStore(tmp_path / "store")
    build_graph(store, some_cases(tmp_path / "seven", leave_out=FOUNDING_CASE))
    assert reason(store, "hermit").kept == 0
    build_graph(store, CASES_DIR)
    report = reason(store, "hermit", keep_results=True)
    assert (report.cases, report.kept) == (8, 7)
    assert set(report.results) == {case_graph(FOUNDING_CASE).value}
    assert inferred(store) == once[1]
    store.close()


def test_a_changed_case_is_reasoned_alone_from_its_graph_and_gives_the_graph_of_a_full_run(
    once: tuple[EmbeddedStore, set[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The founding case first without its enzymes and its EMG result (results that differ),
    then as curated: the run keeps the seven others, reads the founding case's facts from its
    graph alone, replaces its results and ends with the graph of a full run."""
    folder = some_cases(tmp_path / "cases")
    path = folder / f"{FOUNDING_CASE}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["provenance"]["date"] = str(data["provenance"]["date"])
    data["labs"] = [lab for lab in data["labs"] if lab["id"] not in ("ck", "alt")]
    for item in data["investigations"]:
        if item["type"] == "emg":
            item.pop("findings")
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    store = EmbeddedStore(tmp_path / "store")
    build_graph(store, folder)
    reason(store, "hermit")
    weaker = inferred(store)
    assert weaker != once[1]
    build_graph(store, CASES_DIR)
    by_graphs: list[list[list[str]]] = []
    real = reason_module.spool_facts_of_graphs

    def spying(store: EmbeddedStore, chunks: list[list[str]], directory: Path) -> None:
        by_graphs.append(chunks)
        real(store, chunks, directory)

    monkeypatch.setattr(reason_module, "GRAPH_READ_SHARE", 1.0)
    monkeypatch.setattr(reason_module, "spool_facts_of_graphs", spying)
    report = reason(store, "hermit")
    assert report.kept == 7
    assert by_graphs == [[[case_graph(FOUNDING_CASE).value]]]
    assert inferred(store) == once[1]
    store.close()


def test_a_rerun_with_nothing_changed_reads_no_facts(
    once: tuple[EmbeddedStore, set[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = reasoned(tmp_path / "store")

    def no_reads(*args: object) -> None:
        raise AssertionError("facts read for a run that keeps every case")

    monkeypatch.setattr(reason_module, "spool_case_facts", no_reads)
    monkeypatch.setattr(reason_module, "spool_facts_of_graphs", no_reads)

    def no_hpo() -> None:
        raise AssertionError("HPO parsed for a run that keeps every case")

    monkeypatch.setattr(reason_module, "load_hpo", no_hpo)
    report = reason(store, "hermit")
    assert (report.kept, report.profiles) == (8, 0)
    assert inferred(store) == once[1]
    store.close()


def test_every_case_and_another_basis_keep_nothing(
    once: tuple[EmbeddedStore, set[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = reasoned(tmp_path / "store")
    assert reason(store, "hermit", every_case=True).kept == 0
    monkeypatch.setattr(reason_module, "basis_digest", lambda *_: "another ontology or code")
    assert reason(store, "hermit").kept == 0
    assert inferred(store) != once[1]  # the run record and each case's kg:inputsBasis name it
    monkeypatch.undo()
    assert reason(store, "hermit").kept == 0
    assert inferred(store) == once[1]
    store.close()


def test_results_of_a_stopped_run_under_another_basis_are_not_kept(
    once: tuple[EmbeddedStore, set[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run under another basis rewrites every case's inputs records, then stops before its run
    record: the record left is the earlier run's, with this basis, yet no case may be kept."""
    store = reasoned(tmp_path / "store")

    def stop(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(reason_module, "basis_digest", lambda *_: "another ontology or code")
        patch.setattr(reason_module.InferredWriter, "finish", stop)
        with pytest.raises(KeyboardInterrupt):
            reason(store, "hermit")
    report = reason(store, "hermit")
    assert report.kept == 0
    assert inferred(store) == once[1]
    store.close()
