"""The inferred graph's writer: its shortcuts for a first run must not change what it writes.

A first run skips the old-quad lookups and fills the graph through the embedded store's
``bulk_add_nquads`` (or ``add_nquads``, one transaction per batch, where there is no bulk method); a
store with neither (a SPARQL server) gets ``INSERT DATA``; a batch that deletes anything stays one
SPARQL update, so a crash leaves each case with its old or its new results. No reasoner needed:
the quads are made up, shaped like the ones ``case_statements`` writes.
"""

from __future__ import annotations

import hashlib
import threading
from decimal import Decimal

import pytest
from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, parse

import kg.reasoning.writes
from kg.rdf.convert import typed
from kg.rdf.vocab import BASE, INFERRED_GRAPH, KG, RDF, XSD
from kg.reasoning.basis import inputs_statements
from kg.reasoning.eular import VARIABLES, Contribution
from kg.reasoning.inferred import contribution_node
from kg.reasoning.statements import (
    Statement,
    iri,
    nquads,
    of_quad,
    predicate_of,
    statement,
    text,
    triples,
    typed_text,
)
from kg.reasoning.writes import InferredWriter, with_digest
from kg.store import EmbeddedStore
from kg.store.base import QueryResult

RUN = NamedNode(f"{BASE}inferred/run/hermit")
RECORD_QUAD = Quad(RUN, RDF.type, KG.ReasonerRun, INFERRED_GRAPH)  # a run record's, in short
RECORD = of_quad(RECORD_QUAD)


def case_iri(n: int) -> str:
    return f"{BASE}case/c-{n:03d}"


def results(case: str, label: str) -> list[Statement]:
    """A case's class and one assessment, whose class label marks which run wrote it."""
    node = NamedNode(f"{case}/assessment/pns-2004")
    return [
        of_quad(q)
        for q in (
            Quad(NamedNode(case), RDF.type, KG.BPPossibleDermatomyositis, INFERRED_GRAPH),
            Quad(node, RDF.type, KG.PnsAssessment, INFERRED_GRAPH),
            Quad(node, KG.assessedCase, NamedNode(case), INFERRED_GRAPH),
            Quad(node, KG.pnsClass, Literal(label), INFERRED_GRAPH),
        )
    ]


def statements_of(data: bytes) -> list[Statement]:
    """The statements of N-Quads text, in its order."""
    return [of_quad(q) for q in parse(data, RdfFormat.N_QUADS)]


def stored(case: str, label: str) -> list[Statement]:
    """What the graph holds for a case written with :func:`results`: those quads and its digest."""
    return with_digest(case, results(case, label))


class SparqlOnly:
    """An embedded store seen as a SPARQL server sees it: queries and updates only, recorded."""

    def __init__(self, store: EmbeddedStore) -> None:
        self.store = store
        self.updates: list[str] = []

    def query(self, sparql: str) -> QueryResult:
        return self.store.query(sparql)

    def update(self, sparql: str) -> None:
        self.updates.append(sparql)
        self.store.update(sparql)


class Recording(SparqlOnly):
    """The same, with the embedded store's ``add_nquads``, each call recorded."""

    def __init__(self, store: EmbeddedStore) -> None:
        super().__init__(store)
        self.added: list[list[Statement]] = []

    def add_nquads(self, data: bytes) -> None:
        self.added.append(statements_of(data))
        self.store.add_nquads(data)


class BulkRecording(Recording):
    """The same, with the embedded store's ``bulk_add_nquads`` too."""

    def __init__(self, store: EmbeddedStore) -> None:
        super().__init__(store)
        self.bulk: list[list[Statement]] = []
        self.compactions = 0

    def bulk_add_nquads(self, data: bytes) -> None:
        self.bulk.append(statements_of(data))
        self.store.bulk_add_nquads(data)

    def compact(self) -> None:
        self.compactions += 1
        self.store.compact()


def write_run(
    store: object, chunks: list[dict[str, list[Statement]]], cases: list[str], compact: bool = True
) -> None:
    writer = InferredWriter(store)  # type: ignore[arg-type]
    for chunk in chunks:
        writer.write_chunk(chunk)
    writer.finish(cases, RUN, [RECORD_QUAD])
    if compact:  # as kg.reasoning.reason does
        writer.compact_if_needed()


def graph(store: EmbeddedStore) -> set[Statement]:
    """The inferred graph, without the run record's quad count (tested on its own below)."""
    quads = store.quads(INFERRED_GRAPH)
    return {of_quad(q) for q in quads if q.predicate != KG.inferredQuadCount}


def graph_with_record(store: EmbeddedStore) -> set[Quad]:
    """The whole inferred graph, the run record's count included."""
    return set(store.quads(INFERRED_GRAPH))


def recorded_count(store: EmbeddedStore) -> int:
    """The quad count a finished run recorded."""
    (count,) = [q for q in store.quads(INFERRED_GRAPH) if q.predicate == KG.inferredQuadCount]
    return int(count.object.value)


def test_insert_only_path_writes_what_sparql_writes() -> None:
    cases = [case_iri(n) for n in range(7)]
    chunks = [{c: results(c, "new") for c in cases[:4]}, {c: results(c, "new") for c in cases[4:]}]
    direct, sparql = Recording(EmbeddedStore()), SparqlOnly(EmbeddedStore())
    write_run(direct, chunks, cases)
    write_run(sparql, chunks, cases)
    assert graph(direct.store) == graph(sparql.store)
    assert len(graph(direct.store)) == 5 * len(cases) + 1  # four quads and a digest per case
    assert len(direct.added) == len(chunks)  # one transaction per batch of cases
    assert not any("INSERT DATA" in u and "assessedCase" in u for u in direct.updates)
    assert any("INSERT DATA" in u and "assessedCase" in u for u in sparql.updates)


def test_a_batch_with_deletions_is_one_update() -> None:
    cases = [case_iri(n) for n in range(3)]
    store = Recording(EmbeddedStore())
    write_run(store, [{c: results(c, "old") for c in cases}], cases)
    store.updates.clear()
    store.added.clear()
    InferredWriter(store).write_chunk({c: results(c, "new") for c in cases})  # type: ignore[arg-type]
    assert not store.added
    assert len(store.updates) == 1
    assert "DELETE DATA" in store.updates[0] and "INSERT DATA" in store.updates[0]
    expected = {q for c in cases for q in stored(c, "new")}
    assert graph(store.store) == expected | {RECORD}


def test_a_case_written_twice_in_a_fresh_run_keeps_only_its_last_results() -> None:
    case = case_iri(1)
    store = Recording(EmbeddedStore())
    writer = InferredWriter(store)  # type: ignore[arg-type]
    writer.write_chunk({case: results(case, "first")})
    writer.write_chunk({case: results(case, "second")})
    assert graph(store.store) == set(stored(case, "second"))


def test_new_cases_beside_old_ones_are_inserted_directly() -> None:
    old, new = case_iri(1), case_iri(2)
    store = Recording(EmbeddedStore())
    write_run(store, [{old: results(old, "old")}], [old])
    store.added.clear()
    write_run(store, [{old: results(old, "old")}, {new: results(new, "new")}], [old, new])
    assert store.added == [stored(new, "new")]
    assert graph(store.store) >= set(stored(old, "old")) | set(stored(new, "new"))


def test_a_first_run_fills_the_graph_in_bulk_as_sparql_would() -> None:
    cases = [case_iri(n) for n in range(7)]
    chunks = [{c: results(c, "new") for c in cases[:4]}, {c: results(c, "new") for c in cases[4:]}]
    bulk, sparql = BulkRecording(EmbeddedStore()), SparqlOnly(EmbeddedStore())
    write_run(bulk, chunks, cases)
    write_run(sparql, chunks, cases)
    assert graph(bulk.store) == graph(sparql.store)
    assert len(bulk.bulk) == 1  # both batches queued into one bulk write, made before finishing
    assert bulk.compactions == 1  # the files it left are merged before the run ends
    assert not bulk.added
    assert not any("assessedCase" in u for u in bulk.updates if "INSERT DATA" in u)


def test_bulk_writes_stay_marked_until_compacted_once() -> None:
    cases = [case_iri(n) for n in range(3)]
    store = BulkRecording(EmbeddedStore())
    write_run(store, [{c: results(c, "new") for c in cases}], cases, compact=False)
    writer = InferredWriter(store)  # type: ignore[arg-type]
    assert not writer.wrote_in_bulk  # a new writer on a filled graph has written nothing
    first = InferredWriter(BulkRecording(EmbeddedStore()))  # type: ignore[arg-type]
    first.write_chunk({c: results(c, "new") for c in cases})
    first.finish(cases, RUN, [RECORD_QUAD])
    assert first.wrote_in_bulk
    first.compact_if_needed()
    first.compact_if_needed()  # nothing left to merge
    assert not first.wrote_in_bulk
    assert first.store.compactions == 1  # type: ignore[attr-defined]
    assert len(store.bulk) == 1 and not store.compactions  # compact=False: left for later
    assert graph(first.store.store) == graph(store.store)  # type: ignore[attr-defined]


class HeldBulk(BulkRecording):
    """Bulk writes that wait for the test to let them go (or fail), as a slow disk would."""

    def __init__(self, store: EmbeddedStore, error: Exception | None = None) -> None:
        super().__init__(store)
        self.started, self.release = threading.Event(), threading.Event()
        self.error = error

    def bulk_add_nquads(self, data: bytes) -> None:
        self.started.set()
        assert self.release.wait(30), "the test never let the bulk write go"
        if self.error:
            raise self.error
        super().bulk_add_nquads(data)


def test_a_bulk_write_goes_on_while_the_run_handles_the_next_cases(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(kg.reasoning.writes, "BULK_QUADS", 1)  # each batch written at once
    cases = [case_iri(n) for n in range(4)]
    store = HeldBulk(EmbeddedStore())
    writer = InferredWriter(store)  # type: ignore[arg-type]
    writer.write_chunk({c: results(c, "new") for c in cases[:2]})
    assert store.started.wait(30)  # the first batch is being written...
    assert not store.bulk  # ...and not yet done, while the call that started it has returned
    store.release.set()
    writer.write_chunk({c: results(c, "new") for c in cases[2:]})
    writer.finish(cases, RUN, [RECORD_QUAD])
    assert len(store.bulk) == 2
    expected = {q for c in cases for q in stored(c, "new")}
    assert graph(store.store) == expected | {RECORD}


def test_a_failed_bulk_write_fails_the_run_before_its_record_is_written() -> None:
    cases = [case_iri(n) for n in range(2)]
    store = HeldBulk(EmbeddedStore(), error=OSError("disk full"))
    store.release.set()
    writer = InferredWriter(store)  # type: ignore[arg-type]
    writer.write_chunk({c: results(c, "new") for c in cases})
    with pytest.raises(OSError, match="disk full"):
        writer.finish(cases, RUN, [RECORD_QUAD])
    assert not graph(store.store)  # no run record: the next run repairs every case


def test_a_run_stopped_by_another_error_waits_for_its_bulk_write_and_keeps_the_first_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(kg.reasoning.writes, "BULK_QUADS", 1)  # each batch written at once
    cases = [case_iri(n) for n in range(2)]
    store = HeldBulk(EmbeddedStore(), error=OSError("disk full"))
    writer = InferredWriter(store)  # type: ignore[arg-type]
    writer.write_chunk({c: results(c, "new") for c in cases})
    assert store.started.wait(30)  # the batch is with the thread, which holds it
    threading.Timer(0.2, store.release.set).start()
    writer.abandon()  # does not raise the write's error
    assert store.release.is_set()  # returned only once the write in flight had ended
    writer.abandon()  # twice is harmless


def test_a_later_run_never_writes_in_bulk() -> None:
    old, new = case_iri(1), case_iri(2)
    store = BulkRecording(EmbeddedStore())
    write_run(store, [{old: results(old, "old")}], [old])
    store.bulk.clear()
    store.compactions = 0
    write_run(store, [{old: results(old, "changed")}, {new: results(new, "new")}], [old, new])
    assert not store.bulk
    assert store.compactions == 1  # no bulk files, but 9 of the graph's 10 quads were rewritten
    assert store.added == [stored(new, "new")]  # one transaction for the new case
    assert graph(store.store) == set(stored(old, "changed")) | set(stored(new, "new")) | {RECORD}


def test_a_case_written_twice_in_a_bulk_run_keeps_only_its_last_results() -> None:
    case = case_iri(1)
    store = BulkRecording(EmbeddedStore())
    write_run(store, [{case: results(case, "first")}, {case: results(case, "second")}], [case])
    assert graph(store.store) == set(stored(case, "second")) | {RECORD}


def test_a_run_after_a_bulk_run_that_stopped_midway_repairs_every_case() -> None:
    """Without a run record the digests are not trusted: the case written in part below already
    has the digest of its new results, and would be left incomplete if they were."""
    cases = [case_iri(n) for n in range(4)]
    store = BulkRecording(EmbeddedStore())
    # what a first run killed during a bulk write leaves: some cases whole, one in part, no record
    written = [q for c in cases[:2] for q in stored(c, "old")] + stored(cases[2], "new")[1:]
    store.store.bulk_add_nquads(nquads(written))
    write_run(store, [{c: results(c, "new") for c in cases}], cases)
    assert not store.bulk
    expected = {q for c in cases for q in stored(c, "new")}
    assert graph(store.store) == expected | {RECORD}


def reads_back(sparql: str) -> bool:
    """Whether a writer's query reads cases' quads back (it binds ``?case``; a query that
    also filters ``?p`` looks up only their digests and inputs)."""
    return "VALUES ?case" in sparql and "FILTER(?p IN" not in sparql


class LookupCounting(Recording):
    """Records which cases' old quads a writer read back, and whose digests it looked up."""

    def __init__(self, store: EmbeddedStore, cases: list[str]) -> None:
        super().__init__(store)
        self.cases = cases
        self.looked_up: set[str] = set()
        self.digests_looked_up: set[str] = set()

    def query(self, sparql: str) -> QueryResult:
        named = {c for c in self.cases if f"<{c}>" in sparql}
        if reads_back(sparql):
            self.looked_up |= named
        elif "VALUES ?case" in sparql:
            self.digests_looked_up |= named
        return super().query(sparql)


def test_a_rerun_reads_back_and_rewrites_only_the_cases_whose_results_changed() -> None:
    cases = [case_iri(n) for n in range(6)]
    store = LookupCounting(EmbeddedStore(), cases)
    write_run(store, [{c: results(c, "same") for c in cases}], cases)
    store.looked_up.clear()
    store.added.clear()
    store.updates.clear()
    changed = {c: results(c, "changed" if c == cases[3] else "same") for c in cases}
    write_run(store, [dict(reversed(changed.items()))], cases)  # order does not matter
    assert store.looked_up == {cases[3]}
    assert store.digests_looked_up == set(cases)
    case_writes = [u for u in store.updates if "DATA" in u and any(c in u for c in cases)]
    assert len(case_writes) == 1 and not store.added
    assert [c for c in cases if c in case_writes[0]] == [cases[3]]
    expected = {q for c in cases for q in stored(c, "changed" if c == cases[3] else "same")}
    assert graph(store.store) == expected | {RECORD}


def test_a_removed_case_loses_its_digest_with_its_results() -> None:
    kept, removed = case_iri(1), case_iri(2)
    store = Recording(EmbeddedStore())
    write_run(store, [{c: results(c, "same") for c in (kept, removed)}], [kept, removed])
    write_run(store, [{kept: results(kept, "same")}], [kept])
    assert graph(store.store) == set(stored(kept, "same")) | {RECORD}


def test_a_case_written_twice_in_a_later_run_is_compared_with_what_the_run_wrote() -> None:
    case = case_iri(1)
    store = Recording(EmbeddedStore())
    write_run(store, [{case: results(case, "first")}], [case])
    write_run(store, [{case: results(case, "second")}, {case: results(case, "first")}], [case])
    assert graph(store.store) == set(stored(case, "first")) | {RECORD}


class Counting(Recording):
    """The same, recording every query too."""

    def __init__(self, store: EmbeddedStore) -> None:
        super().__init__(store)
        self.queries: list[str] = []

    def query(self, sparql: str) -> QueryResult:
        self.queries.append(sparql)
        return super().query(sparql)


def finish_keeping(
    store: object, chunk: dict[str, list[Statement]], cases: list[str] | None
) -> None:
    """A run that writes one chunk and keeps the other cases' results without reading them: its
    quad count is the record's plus its changes (``cases`` None: the store's own cases)."""
    writer = InferredWriter(store)  # type: ignore[arg-type]
    writer.write_chunk(chunk)
    writer.finish(cases, RUN, [RECORD_QUAD], every_case_written=False)


def test_the_run_record_counts_the_quads_about_cases() -> None:
    cases = [case_iri(n) for n in range(4)]
    store = Recording(EmbeddedStore())
    write_run(store, [{c: results(c, "old") for c in cases}], cases)
    assert recorded_count(store.store) == 5 * len(cases)  # four quads and a digest per case


def test_a_run_keeping_cases_counts_from_the_record_and_lists_no_subjects() -> None:
    """Changing one case and removing another, with two kept: the count follows the record and
    this run's changes, so the graph is not scanned subject by subject."""
    cases = [case_iri(n) for n in range(4)]
    store = Counting(EmbeddedStore())
    write_run(store, [{c: results(c, "old") for c in cases}], cases)
    store.queries.clear()
    extra = of_quad(Quad(NamedNode(cases[0]), KG.couldChange, Literal("x"), INFERRED_GRAPH))
    bigger = [*results(cases[0], "new"), extra]
    finish_keeping(store, {cases[0]: bigger}, cases[:3])
    assert not any("DISTINCT ?s " in q for q in store.queries)
    expected = set(with_digest(cases[0], bigger)) | {
        q for c in cases[1:3] for q in stored(c, "old")
    }
    assert graph(store.store) == expected | {RECORD}
    assert recorded_count(store.store) == len(expected)


def test_quads_written_by_hand_go_at_the_next_run_that_writes_every_case() -> None:
    """A run keeping cases trusts the record's count and does not count the graph; a run that
    writes every case counts it, finds the stray and deletes it."""
    cases = [case_iri(n) for n in range(3)]
    store = Counting(EmbeddedStore())
    write_run(store, [{c: results(c, "old") for c in cases}], cases)
    stray = Quad(NamedNode(f"{BASE}unrelated"), RDF.type, KG.Case, INFERRED_GRAPH)
    store.store.add_quads([stray])
    store.queries.clear()
    finish_keeping(store, {cases[0]: results(cases[0], "new")}, cases)
    assert not any("COUNT(*)" in q for q in store.queries)
    assert of_quad(stray) in graph(store.store)
    assert recorded_count(store.store) == 5 * len(cases)
    write_run(store, [{c: results(c, "new" if c == cases[0] else "old") for c in cases}], cases)
    assert of_quad(stray) not in graph(store.store)
    assert recorded_count(store.store) == 5 * len(cases)


def test_a_run_stopped_after_a_change_leaves_no_count_and_the_next_one_counts() -> None:
    """The record's count is withdrawn before a run's first change: a run stopped after it
    leaves a graph the record no longer counts, and the next run keeping cases counts it."""
    cases = [case_iri(n) for n in range(3)]
    store = Counting(EmbeddedStore())
    write_run(store, [{c: results(c, "old") for c in cases}], cases)
    extra = of_quad(Quad(NamedNode(cases[0]), KG.couldChange, Literal("x"), INFERRED_GRAPH))
    bigger = [*results(cases[0], "new"), extra]
    stopped = InferredWriter(store)  # type: ignore[arg-type]
    stopped.write_chunk({cases[0]: bigger})  # then stops: no finish, so no new record
    assert not any(q.predicate == KG.inferredQuadCount for q in graph_with_record(store.store))
    assert any(q.object == KG.ReasonerRun for q in graph_with_record(store.store))
    store.queries.clear()
    finish_keeping(store, {cases[1]: results(cases[1], "new")}, cases)
    assert any("COUNT(*)" in q for q in store.queries)
    assert recorded_count(store.store) == 5 * len(cases) + 1  # the stopped run's extra quad


def test_a_run_stopped_after_inserting_a_new_case_leaves_no_count() -> None:
    """The count is withdrawn before a direct insert too (``add_nquads``, no SPARQL update)."""
    cases = [case_iri(n) for n in range(3)]
    store = Recording(EmbeddedStore())
    write_run(store, [{c: results(c, "old") for c in cases}], cases)
    stopped = InferredWriter(store)  # type: ignore[arg-type]
    stopped.write_chunk({case_iri(9): results(case_iri(9), "new")})  # then stops
    assert store.added  # the direct insert path
    assert not any(q.predicate == KG.inferredQuadCount for q in graph_with_record(store.store))


def test_the_results_of_a_case_gone_from_the_store_go() -> None:
    """With the store's own cases (``None``), a case whose graph is gone is found by the store
    and loses its results; the others keep theirs and the count follows."""
    cases = [case_iri(n) for n in range(3)]
    store = Counting(EmbeddedStore())
    for case in cases:
        node = NamedNode(case)
        store.store.add_quads([Quad(node, RDF.type, KG.Case, node)])  # its case graph
    write_run(store, [{c: results(c, "old") for c in cases}], cases)
    store.store.drop_graph(NamedNode(cases[1]))
    finish_keeping(store, {}, None)
    expected = {q for c in (cases[0], cases[2]) for q in stored(c, "old")}
    assert graph(store.store) == expected | {RECORD}
    assert recorded_count(store.store) == len(expected)


G = INFERRED_GRAPH


def with_inputs(case: str, label: str, basis: str) -> list[Statement]:
    """:func:`results`, with what they were made from (the same file checksum every time)."""
    return [*results(case, label), *inputs_statements(case, basis, "checksum of the file")]


def test_a_new_basis_with_the_same_results_swaps_only_the_inputs_records() -> None:
    """What results were made from is not part of their digest: a run whose results are those
    held but made under a new basis replaces one quad a case and reads no case's quads back."""
    cases = [case_iri(n) for n in range(3)]
    store = Counting(EmbeddedStore())
    write_run(store, [{c: with_inputs(c, "same", "basis A") for c in cases}], cases)
    store.queries.clear()
    store.updates.clear()
    finish_keeping(store, {c: with_inputs(c, "same", "basis B") for c in cases}, cases)
    assert not any(reads_back(q) for q in store.queries)  # no case's quads read back
    assert not any("COUNT(*)" in q for q in store.queries)  # the count: the record's, and net
    changes = " ".join(store.updates)
    assert changes.count('"basis A"') == 3 and changes.count('"basis B"') == 3
    assert "checksum of the file" not in changes  # the same: neither deleted nor inserted
    expected = {q for c in cases for q in with_digest(c, with_inputs(c, "same", "basis B"))}
    assert graph(store.store) == expected | {RECORD}
    assert recorded_count(store.store) == len(expected)


def test_an_inputs_digest_of_an_earlier_version_goes_when_the_results_are_the_same() -> None:
    """Earlier versions recorded one ``kg:inputsDigest`` a case, outside the results digest: a
    run with the same results replaces it with the two records, and the count stays exact."""
    cases = [case_iri(n) for n in range(2)]
    store = Counting(EmbeddedStore())
    digest = Literal("a digest of the file checksum and the basis")
    legacy = {
        c: [*results(c, "same"), of_quad(Quad(NamedNode(c), KG.inputsDigest, digest, G))]
        for c in cases
    }
    write_run(store, [legacy], cases)
    finish_keeping(store, {c: with_inputs(c, "same", "basis A") for c in cases}, cases)
    assert not any(predicate_of(q) == str(KG.inputsDigest) for q in graph(store.store))
    expected = {q for c in cases for q in with_digest(c, with_inputs(c, "same", "basis A"))}
    assert graph(store.store) == expected | {RECORD}
    assert recorded_count(store.store) == len(expected)


def test_a_run_writing_one_case_looks_up_that_case_alone() -> None:
    """Digests are looked up for the cases a run writes, not read for every case it keeps."""
    cases = [case_iri(n) for n in range(6)]
    store = LookupCounting(EmbeddedStore(), cases)
    write_run(store, [{c: results(c, "same") for c in cases}], cases)
    store.looked_up.clear()
    store.digests_looked_up.clear()
    finish_keeping(store, {cases[2]: results(cases[2], "changed")}, cases)
    assert (store.digests_looked_up, store.looked_up) == ({cases[2]}, {cases[2]})
    expected = {q for c in cases for q in stored(c, "changed" if c == cases[2] else "same")}
    assert graph(store.store) == expected | {RECORD}


def test_a_later_run_compacts_when_it_rewrote_a_large_share_of_the_graph() -> None:
    cases = [case_iri(n) for n in range(20)]  # five quads a case: 100 about cases
    store = BulkRecording(EmbeddedStore())
    write_run(store, [{c: results(c, "first") for c in cases}], cases)
    assert store.compactions == 1  # the first run's bulk writes
    one_case = {c: results(c, "second" if c == cases[0] else "first") for c in cases}
    write_run(store, [one_case], cases)  # its label and digest swapped: 4 of 100 quads
    assert store.compactions == 1
    write_run(store, [{c: results(c, "third") for c in cases}], cases)  # 80 of 100 quads
    assert store.compactions == 2
    assert graph(store.store) == {q for c in cases for q in stored(c, "third")} | {RECORD}


def test_statements_are_the_lines_pyoxigraph_writes_and_digests_those_of_quads() -> None:
    """Statements are compared with quads read back from the store, and digests with those that
    earlier versions made from ``Quad`` objects: both hold only if every statement is exactly
    pyoxigraph's text for its quad, escapes and typed literals included."""
    case = NamedNode(case_iri(1))
    tricky = ['say "no"\\n', "line\nbreak\ttab", "é – ü", ""]
    quads = [Quad(case, KG.assessmentReason, Literal(value), G) for value in tricky]
    quads += [
        Quad(case, KG.score, typed(Decimal("2.10"), XSD.decimal), G),
        Quad(case, KG.withBiopsy, typed(True, XSD.boolean), G),
    ]
    made = [statement(iri(case.value), KG.assessmentReason, text(value)) for value in tricky]
    made += [
        statement(iri(case.value), KG.score, typed_text(Decimal("2.10"), XSD.decimal)),
        statement(iri(case.value), KG.withBiopsy, typed_text(True, XSD.boolean)),
    ]
    assert made == [of_quad(q) for q in quads]
    direct, sparql = EmbeddedStore(), EmbeddedStore()
    direct.add_nquads(nquads(made))
    sparql.update(f"INSERT DATA {{ GRAPH {G} {{\n{triples(made)}\n}} }}")
    assert graph(direct) == graph(sparql) == set(made)  # the store gives back what was made
    earlier = hashlib.sha256("\n".join(sorted(str(q) for q in quads)).encode()).hexdigest()
    assert with_digest(case.value, made)[-1].endswith(f'"{earlier}"')


# --- contribution nodes shared by the cases' scores -------------------------------------------

FIRST, SECOND, THIRD = (
    contribution_node("with-biopsy", Contribution(VARIABLES[n], "present", 1.3, f"observed {n}"))
    for n in range(3)
)


def scored(case: str, *nodes: tuple[str, list[Statement]]) -> list[Statement]:
    """:func:`results`, with a score linking to shared contribution nodes."""
    score = iri(f"{case}/assessment/eular-acr-2017/with-biopsy")
    own = [
        statement(score, RDF.type, str(KG.EularAcrScore)),
        statement(score, KG.assessedCase, iri(case)),
    ]
    own += [statement(score, KG.hasContribution, node) for node, _ in nodes]
    return [*results(case, "same"), *own]


def nodes_of(*nodes: tuple[str, list[Statement]]) -> dict[str, list[Statement]]:
    return dict(nodes)


def shared_run(
    store: object, chunks: list[tuple[dict[str, list[Statement]], dict[str, list[Statement]]]],
    cases: list[str] | None, *, every_case_written: bool = True,
) -> None:  # fmt: skip
    writer = InferredWriter(store)  # type: ignore[arg-type]
    for new, shared in chunks:
        writer.write_chunk(new, shared)
    writer.finish(cases, RUN, [RECORD_QUAD], every_case_written=every_case_written)
    writer.compact_if_needed()


def case_quads(case: str, *nodes: tuple[str, list[Statement]]) -> set[Statement]:
    return set(with_digest(case, scored(case, *nodes)))


@pytest.mark.parametrize("kind", [BulkRecording, Recording, SparqlOnly])
def test_contribution_nodes_are_written_once_and_left_out_of_the_count(kind: type) -> None:
    """Three cases share FIRST, one also links SECOND: each node is written once, before the
    cases, in a first run's bulk write, its transactions or its SPARQL updates alike; the record
    counts the quads about cases only."""
    a, b, c = (case_iri(n) for n in range(3))
    store = kind(EmbeddedStore())
    chunks = [
        ({a: scored(a, FIRST), b: scored(b, FIRST, SECOND)}, nodes_of(FIRST, SECOND)),
        ({c: scored(c, FIRST)}, nodes_of(FIRST)),
    ]
    shared_run(store, chunks, [a, b, c])
    about_cases = case_quads(a, FIRST) | case_quads(b, FIRST, SECOND) | case_quads(c, FIRST)
    assert graph(store.store) == about_cases | set(FIRST[1]) | set(SECOND[1]) | {RECORD}
    assert recorded_count(store.store) == len(about_cases)
    written = [
        s for batch in getattr(store, "bulk", []) + getattr(store, "added", []) for s in batch
    ]
    written += [line for u in store.updates if "INSERT DATA" in u for line in u.splitlines()]
    assert sum(FIRST[1][0] in line for line in written) == 1  # FIRST's type, written once


def test_a_node_no_score_links_to_goes_when_the_run_ends() -> None:
    """A case that no longer links SECOND (and another gone altogether, with THIRD) leaves the
    nodes no score links to; the run deletes them and keeps FIRST, and the count stays exact,
    in a run that writes every case and in one that keeps some."""
    a, b, c = (case_iri(n) for n in range(3))
    store = BulkRecording(EmbeddedStore())
    first = {a: scored(a, FIRST), b: scored(b, FIRST, SECOND), c: scored(c, THIRD)}
    shared_run(store, [(first, nodes_of(FIRST, SECOND, THIRD))], [a, b, c])
    shared_run(store, [({b: scored(b, FIRST)}, nodes_of(FIRST))], [a, b], every_case_written=False)
    about_cases = case_quads(a, FIRST) | case_quads(b, FIRST)
    assert graph(store.store) == about_cases | set(FIRST[1]) | {RECORD}
    assert recorded_count(store.store) == len(about_cases)
    stray = statement(iri(f"{BASE}elsewhere"), KG.pnsRule, text("written by hand"))
    store.store.add_nquads(nquads([stray]))
    shared_run(store, [({a: scored(a, FIRST), b: scored(b, FIRST)}, nodes_of(FIRST))], [a, b])
    assert graph(store.store) == about_cases | set(FIRST[1]) | {RECORD}  # a node is no stray
    assert recorded_count(store.store) == len(about_cases)


def test_a_run_restores_the_nodes_of_the_cases_it_reasons_about() -> None:
    """A node deleted by hand comes back when a case linking to it is reasoned about again,
    though the case's own results are unchanged (its digest spares it every other write)."""
    a = case_iri(1)
    store = Recording(EmbeddedStore())
    shared_run(store, [({a: scored(a, FIRST)}, nodes_of(FIRST))], [a])
    store.store.update(f"DELETE WHERE {{ GRAPH {G} {{ {FIRST[0]} ?p ?o }} }}")
    store.updates.clear()
    shared_run(store, [({a: scored(a, FIRST)}, nodes_of(FIRST))], [a])
    assert graph(store.store) == case_quads(a, FIRST) | set(FIRST[1]) | {RECORD}
    assert not any("DELETE DATA" in u for u in store.updates)  # the case itself untouched


def test_contribution_nodes_an_earlier_version_wrote_under_a_case_go_with_its_results() -> None:
    """Earlier versions wrote each case's contributions under the case's IRI, five quads each:
    a run that writes the case with shared nodes deletes them, and they are not counted."""
    a, b = case_iri(1), case_iri(2)
    store = Recording(EmbeddedStore())

    def legacy(case: str) -> list[Statement]:
        score = iri(f"{case}/assessment/eular-acr-2017/with-biopsy")
        own = iri(f"{case}/assessment/eular-acr-2017/with-biopsy/age-18-40")
        node_statements = [s.replace(FIRST[0], own, 1) for s in FIRST[1]]
        return [*scored(case), statement(score, KG.hasContribution, own), *node_statements]

    write_run(store, [{a: legacy(a), b: legacy(b)}], [a, b])
    shared_run(store, [({a: scored(a, FIRST)}, nodes_of(FIRST))], [a, b], every_case_written=False)
    assert not any(f"{a}/assessment/eular-acr-2017/with-biopsy/" in s for s in graph(store.store))
    about_cases = case_quads(a, FIRST) | set(with_digest(b, legacy(b)))
    assert graph(store.store) == about_cases | set(FIRST[1]) | {RECORD}
    assert recorded_count(store.store) == len(about_cases)
