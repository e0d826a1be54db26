"""Write the inferred graph chunk by chunk, changing only what differs, in bounded transactions.

Replacing the whole inferred graph in one update cannot scale: Oxigraph holds a transaction's
writes in memory (about 1.5 KB per quad measured: 165,000 quads, the inferred graph of 1,000
cases, took 240 MB just to drop), so 100,000 cases (5.5 million quads) would need about 8 GB.
Instead each batch of whole cases is one update that deletes the quads of those cases that are no
longer inferred and inserts the new ones: memory is bounded by the batch, a crash leaves every case
with either its old or its new results, and re-reasoning an unchanged store writes almost nothing.
The results of cases removed from the store are deleted at the end (and, by a run that writes
every case, anything else that belongs to no case), and the run record is written last, so a run
that did not finish has no run record of its own.

Updates are plain SPARQL 1.1 (DELETE DATA, INSERT DATA) of at most :data:`WRITE_QUADS` triples, so
they run the same on the embedded store and on SPARQL servers (Virtuoso's parser fails near 5,000
triples per operation). Two shortcuts keep a first run cheap, the common case at scale:
- when the inferred graph held nothing at the start, a case not yet written in this run has no
  old quads, so the three lookups per batch are skipped;
- a batch that only inserts goes to a store that can add N-Quads directly (the embedded store,
  no SPARQL text to build and parse): ``add_nquads``, one transaction per batch of cases; or,
  while a first run fills the graph, ``bulk_add_nquads`` every :data:`BULK_QUADS` quads, which
  writes new files and is about 4x faster (1.6 million quads, the inferred graph of 10,000
  cases: 6 s against 27 s) but not atomic; it runs on a background thread while the run
  assesses the next cases, one write at a time. That is safe here: a first run that stops
  midway has written no run record, and the next run finds the graph not empty, so it looks up
  every case's old quads and repairs them in transactions. A batch that also deletes stays one
  SPARQL update. The files bulk writes leave overlap; the run then compacts them
  (:meth:`InferredWriter.compact_if_needed`).

Each case's quads carry a digest of themselves (``kg:resultsDigest`` on the case), written with
them. A later run compares digests before anything else and leaves a case whose digest has not
changed: re-reasoning 100,000 unchanged cases then reads 100,000 digests instead of 16 million
quads. The digests of the cases a run writes are looked up with them, a batch at a time, so a run
that writes few cases reads few digests. Digests are trusted only when the graph holds a run
record, that is when the last run that wrote it finished, or stopped between transactions of
whole cases: a first run's bulk writes are not atomic, and one that stopped midway may have left
a case's digest without all its quads. The digest leaves out what the results were made from
(``kg:inputsChecksum``, ``kg:inputsBasis``, :mod:`kg.reasoning.basis`): a run under a new basis
(a new version of the code, say) whose results are the same swaps those quads of a case rather
than reading all its quads back. Results written by earlier versions carry one ``kg:inputsDigest``
instead, which goes the same way.

A case's quads are handled as statements (:mod:`kg.reasoning.statements`): N-Quads text,
compared, hashed and written as text, never made into pyoxigraph ``Quad`` objects.

The EULAR/ACR contributions and the Bohan and Peter criterion assessments are nodes shared by
the cases that have the same one (:func:`~kg.reasoning.inferred.shared_nodes`): a case's quads
hold its links to them, not the nodes. The writer adds a node the first time the run meets it,
before the cases that link to it (in their bulk write, or in a transaction of its own), and a
run that changed the graph deletes, at its end, the nodes nothing links to any more. The nodes
are not quads about cases: the run record's count leaves them out.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from pyoxigraph import Literal, NamedNode, Quad, QuerySolutions

from kg.rdf.vocab import INFERRED_GRAPH, KG, SHARED_BASE, XSD
from kg.reasoning.basis import INPUTS_PREDICATES
from kg.reasoning.facts import case_iris
from kg.reasoning.statements import (
    Statement,
    iri,
    nquads,
    of_quad,
    of_row,
    predicate_of,
    statement,
    triples,
    unique_text,
)
from kg.store.base import Store

WRITE_QUADS = 4000  # triples per update request (deleted plus inserted)
BULK_QUADS = 250_000  # quads per bulk write of a first run: each writes new files to disk
FLUSH_QUADS = 100_000  # changed quads between flushes of an embedded store's memory tables
LOOKUP_CASES = 250  # cases bound per query (larger VALUES blocks make Oxigraph scan every case)
# A run whose transactions deleted and inserted at least this share of the quads the graph then
# holds compacts the store, as a first run does after its bulk writes (benchmarks/README.md).
REWRITE_SHARE = 0.10

_PREFIX = "PREFIX kg: <https://w3id.org/dmkg/vocab/>\n"
# Every quad case_statements writes: the case's classes, its assessments (with their links to the
# shared nodes), and the contribution nodes of its own that earlier versions wrote, named under
# the case's IRI, to be deleted (their criterion assessments of its own have kg:assessedCase).
# Three basic patterns (a UNION joined with the case binding is re-evaluated per case by
# Oxigraph 0.5).
_OLD_QUADS = (
    "SELECT ?case (?case AS ?s) ?p ?o WHERE {{ {values} GRAPH {g} {{ ?case ?p ?o }} }}",
    "SELECT ?case ?s ?p ?o WHERE {{ {values} GRAPH {g} {{ ?s kg:assessedCase ?case . "
    "?s ?p ?o }} }}",
    "SELECT ?case ?s ?p ?o WHERE {{ {values} GRAPH {g} {{ ?a kg:assessedCase ?case . "
    "?a kg:hasContribution ?s . FILTER(STRSTARTS(STR(?s), STR(?case))) ?s ?p ?o }} }}",
)
# The kinds of shared node (kg.reasoning.inferred.shared_nodes), and the pattern of their quads.
_SHARED_NODE = (
    f"VALUES ?type {{ {KG.ScoreContribution} {KG.CriterionAssessment} }} "
    f'?node a ?type ; ?p ?o . FILTER(STRSTARTS(STR(?node), "{SHARED_BASE}"))'
)
# The shared nodes nothing links to, deleted (see the module's docstring).
UNLINKED_NODES = (
    f"DELETE {{ GRAPH {INFERRED_GRAPH} {{ ?node ?p ?o }} }} WHERE {{ GRAPH {INFERRED_GRAPH} {{ "
    f"{_SHARED_NODE} FILTER NOT EXISTS {{ ?from ?link ?node }} }} }}"
)


# What a case's results were made from: the two records, and the one earlier versions wrote.
_INPUTS = frozenset({*INPUTS_PREDICATES, KG.inputsDigest})
_INPUT_TERMS = frozenset(str(p) for p in _INPUTS)
# The quads about a case that tell whether its results must be read back: its results digest and
# what they were made from. The predicates are filtered, not bound: a second VALUES block made
# Oxigraph 0.5 scan the whole graph (0.41 s for 250 cases of 10,000, against 0.02 s).
_HELD = (
    "SELECT ?case ?p ?o WHERE {{ {values} GRAPH {g} {{ ?case ?p ?o }} "
    "FILTER(?p IN ({predicates})) }}"
)


# The run record's quad count, deleted (the record itself stays: see _withdraw_count)
_WITHDRAW_COUNT = (
    f"DELETE {{ GRAPH {INFERRED_GRAPH} {{ ?run {KG.inferredQuadCount} ?n }} }} "
    f"WHERE {{ GRAPH {INFERRED_GRAPH} {{ ?run a {KG.ReasonerRun} ; {KG.inferredQuadCount} ?n }} }}"
)


def _solutions(store: Store, sparql: str) -> QuerySolutions:
    result = store.query(_PREFIX + sparql)
    assert isinstance(result, QuerySolutions)
    return result


class InferredWriter:
    """Brings the inferred graph to this run's results: a batch of cases per transaction, or in
    bulk while a first run fills an empty graph."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.written = 0  # quads inferred for the cases written so far
        self.changed = 0  # quads deleted or inserted
        self.net = 0  # quads inserted less quads deleted
        self._unflushed = 0
        self._add_nquads = getattr(store, "add_nquads", None)
        self._bulk_add_nquads = getattr(store, "bulk_add_nquads", None)
        self._bulk: list[Statement] = []  # whole cases' statements queued for bulk_add_nquads
        self._bulk_shared = 0  # statements of shared nodes among them
        self._shared: set[str] = set()  # shared nodes written by this writer
        self._bulk_written = False  # bulk writes since the last compaction
        self._rewritten = 0  # quads deleted or inserted in transactions since then
        self._total: int | None = None  # quads about cases the graph holds, once finished
        self._loader: ThreadPoolExecutor | None = None  # runs one bulk write at a time
        self._loading: Future[None] | None = None  # the bulk write in flight
        # an empty graph at the start holds no old quads for any case this run has not written
        self._fresh = not _holds_quads(store)
        self._done: set[str] = set()  # cases written by this writer
        # digests are trusted only under a run record (see the module's docstring)
        self._trusting = not self._fresh and _has_rows(store, _RUN_RECORD)
        self._known: set[str] = set()  # cases whose held digest and inputs are below
        self._digests: dict[str, str] = {}  # case -> results digest held
        # what each case's results were made from (kept out of their digest, so that a new basis
        # with the same results swaps those quads instead of comparing every quad)
        self._inputs: dict[str, frozenset[Statement]] = {}
        # what the last run that finished left (its record is written last): its cases' quads
        self._recorded_total = None if self._fresh else _recorded_total(store)
        self._count_withdrawn = self._recorded_total is None  # see _withdraw_count

    def old_statements(self, cases: Sequence[str]) -> dict[str, set[Statement]]:
        """The quads the inferred graph now holds about some cases, by case."""
        old: dict[str, set[Statement]] = defaultdict(set)
        for start in range(0, len(cases), LOOKUP_CASES):
            part = cases[start : start + LOOKUP_CASES]
            values = "VALUES ?case { " + " ".join(str(NamedNode(c)) for c in part) + " }"
            for query in _OLD_QUADS:
                for row in _solutions(self.store, query.format(values=values, g=INFERRED_GRAPH)):
                    old[row["case"].value].add(of_row(row))  # type: ignore[union-attr]
        return old

    def write_chunk(
        self, new: dict[str, list[Statement]], shared: Mapping[str, list[Statement]] | None = None
    ) -> None:
        """Make the inferred graph hold exactly ``new[case]`` for each case of a chunk, with the
        case's digest (none for a case whose list is empty: it is being removed), and hold the
        shared nodes the chunk's cases link to (node -> its statements).

        A node is added the first time this writer meets it, whether or not a case linking to
        it changed, so a run that reasons about a case also restores its nodes."""
        new = {case: with_digest(case, quads) for case, quads in new.items()}
        self._look_up_held(sorted(new))
        unchanged = [c for c in new if new[c] and self._digests.get(c) == _digest_of(new[c])]
        self._swap_inputs({case: new.pop(case) for case in unchanged})
        for case, quads in new.items():  # what the graph holds once this chunk is written
            self._digests[case] = _digest_of(quads) if quads else ""
            self._inputs[case] = _inputs_of(quads)
        cases = sorted(new)
        fresh = self._fresh and self._done.isdisjoint(cases)
        self._done.update(cases)
        nodes = self._first_met(shared or {})
        if fresh and callable(self._bulk_add_nquads):
            self._add_bulk(nodes, _whole_cases(new, cases))
            return
        self._settle_bulk()  # what a lookup or a transaction below must see
        self._add_nodes(nodes)
        old = {} if fresh else {c: q for c, q in self.old_statements(cases).items() if q}
        if not old and callable(self._add_nquads):
            self._add_only(_whole_cases(new, cases))
            return
        removed: list[Statement] = []
        added: list[Statement] = []
        for case in cases:
            before = old.get(case, set())
            quads = new[case]  # each once (with_digest)
            self.written += len(quads)
            now = set(quads)
            removed += [q for q in before if q not in now]
            added += [q for q in quads if q not in before]
            if len(removed) + len(added) >= WRITE_QUADS:
                self._apply(removed, added)
                removed, added = [], []
        self._apply(removed, added)

    def _look_up_held(self, cases: list[str]) -> None:
        """Learn the digest and the inputs the graph holds for the cases of a chunk not met
        before (none in a fresh graph; no digest is trusted without a run record)."""
        unknown = [case for case in cases if case not in self._known]
        self._known.update(unknown)
        if self._fresh or not self._trusting:
            return
        predicates = ", ".join(str(p) for p in sorted(_INPUTS | {KG.resultsDigest}, key=str))
        for start in range(0, len(unknown), LOOKUP_CASES):
            part = unknown[start : start + LOOKUP_CASES]
            values = "VALUES ?case { " + " ".join(str(NamedNode(c)) for c in part) + " }"
            query = _HELD.format(values=values, predicates=predicates, g=INFERRED_GRAPH)
            inputs: dict[str, set[Statement]] = defaultdict(set)
            for row in _solutions(self.store, query):
                case, predicate = row["case"], row["p"]
                if predicate == KG.resultsDigest:
                    self._digests[case.value] = row["o"].value  # type: ignore[union-attr]
                else:
                    inputs[case.value].add(of_row(row, "case"))  # type: ignore[union-attr]
            self._inputs.update({case: frozenset(quads) for case, quads in inputs.items()})

    def _swap_inputs(self, unchanged: dict[str, list[Statement]]) -> None:
        """For cases whose results are as held, replace only the inputs records that changed."""
        removed: list[Statement] = []
        added: list[Statement] = []
        for case, quads in sorted(unchanged.items()):
            self.written += len(quads)
            now, held = _inputs_of(quads), self._inputs.get(case, frozenset())
            if now == held:
                continue
            self._inputs[case] = now
            removed += sorted(held - now)
            added += sorted(now - held)
            if len(removed) + len(added) >= WRITE_QUADS:
                self._settle_bulk()  # a case queued for a bulk write must be there to be changed
                self._apply(removed, added)
                removed, added = [], []
        if removed or added:
            self._settle_bulk()
            self._apply(removed, added)

    def _first_met(self, shared: Mapping[str, list[Statement]]) -> list[Statement]:
        """The statements of the shared nodes this writer has not written, sorted by node."""
        nodes = sorted(set(shared) - self._shared)
        self._shared.update(nodes)
        return [q for node in nodes for q in shared[node]]

    def _add_nodes(self, nodes: list[Statement]) -> None:
        """Insert shared nodes in transactions of their own (not quads about cases: neither
        written nor counted in the record)."""
        for start in range(0, len(nodes), WRITE_QUADS):
            part = nodes[start : start + WRITE_QUADS]
            if callable(self._add_nquads):
                self._add_nquads(nquads(part))
            else:
                self.store.update(
                    f"INSERT DATA {{ GRAPH {INFERRED_GRAPH} {{\n{triples(part)}\n}} }}"
                )
            self.changed += len(part)

    def _add_bulk(self, nodes: list[Statement], added: list[Statement]) -> None:
        """Queue shared nodes, then a batch of whole cases, for the next bulk write (few large
        writes, few files)."""
        self.written += len(added)
        self._bulk += nodes
        self._bulk += added
        self._bulk_shared += len(nodes)
        if len(self._bulk) >= BULK_QUADS:
            self._write_bulk()

    def _write_bulk(self) -> None:
        """Start writing the queued quads in bulk on a background thread, once the write before
        has ended (one in flight: memory holds at most two batches).

        The embedded store's bulk write lets other threads run while it loads, so the run goes
        on assessing the next cases meanwhile: at 10,000 cases the time spent writing fell from
        about 36 s to 17 s and HermiT's first run from 146 s to 128 s (medians of two paired
        runs, benchmarks/README.md), for about 150 MB more memory (the batch in flight).
        """
        if not self._bulk:
            return
        quads, self._bulk = self._bulk, []
        shared, self._bulk_shared = self._bulk_shared, 0
        data = nquads(quads)  # made while the write before is still in flight
        self._wait_bulk()
        if self._loader is None:
            self._loader = ThreadPoolExecutor(1, thread_name_prefix="kg-inferred-bulk")
        self._loading = self._loader.submit(self._bulk_add_nquads, data)  # type: ignore[arg-type]
        self.changed += len(quads)
        self.net += len(quads) - shared
        self._bulk_written = True

    def _settle_bulk(self) -> None:
        """Write what is queued and wait until every bulk write has ended (re-raising its error),
        before anything reads or changes the graph."""
        self._write_bulk()
        self._wait_bulk()

    def abandon(self) -> None:
        """Stop after an error elsewhere: drop what is queued, and wait for the bulk write in
        flight without raising its error (the first error is the one to report), so nothing
        writes to the store once the caller closes it. The run has no record, so the next run
        repairs every case."""
        self._bulk, self._bulk_shared = [], 0
        self._close_loader()
        self._loading = None

    def _close_loader(self) -> None:
        """End the background thread once the write it runs has ended (none is queued)."""
        if self._loader is not None:
            self._loader.shutdown(wait=True, cancel_futures=True)
            self._loader = None

    def _wait_bulk(self) -> None:
        loading, self._loading = self._loading, None
        if loading is not None:
            loading.result()

    @property
    def wrote_in_bulk(self) -> bool:
        """Whether bulk writes left files that :meth:`compact_if_needed` has not merged."""
        return self._bulk_written and callable(getattr(self.store, "compact", None))

    @property
    def rewrote_much(self) -> bool:
        """Whether the run's transactions deleted and inserted at least :data:`REWRITE_SHARE` of
        the quads the graph holds once finished (known after :meth:`finish`)."""
        if self._total is None or not callable(getattr(self.store, "compact", None)):
            return False
        return self._rewritten >= REWRITE_SHARE * max(self._total, 1)

    @property
    def needs_compaction(self) -> bool:
        """Whether the run left the store in a shape reads pay for: bulk writes, or a large
        rewrite in transactions (:meth:`compact_if_needed`)."""
        return self.wrote_in_bulk or self.rewrote_much

    def compact_if_needed(self) -> None:
        """Compact the store if the run left files to merge (call after :meth:`finish`).

        Each bulk write leaves files that overlap the ones before it, and RocksDB merges them only
        in the background of a process that has the store open for writing: a run that ends
        leaves them unmerged, and every later read consults each of them. At 10,000 cases the
        named queries ran 2.2x to 3.5x slower on the store a first run left than on the same
        store compacted (benchmarks/README.md). Transactions leave less, but not nothing: after
        HermiT's run on a store Pellet's first run had filled rewrote an eighth of the graph at
        10,000 cases, four listings ran 1.14x to 1.66x slower than on the same store compacted
        (29 s; benchmarks/README.md), and after a run that only inserted the results of 1,500
        cases added to 10,000 (13% of the graph), 1.08x to 2.21x slower. So a run whose
        transactions changed :data:`REWRITE_SHARE` of the graph or more, deleted or inserted,
        compacts too; a run that changed a few cases does not. After
        :meth:`finish`, so that a run stopped while compacting has its results and run record.
        """
        if self.needs_compaction:
            self.store.compact()  # type: ignore[attr-defined]
            self._bulk_written = False
            self._rewritten = 0

    def _add_only(self, added: list[Statement]) -> None:
        """Insert a batch of whole cases in one store transaction, no SPARQL text."""
        self.written += len(added)
        if not added:
            return
        self._withdraw_count()
        self._add_nquads(nquads(added))  # type: ignore[misc]
        self.changed += len(added)
        self.net += len(added)
        self._rewritten += len(added)
        self._unflushed += len(added)
        if self._unflushed >= FLUSH_QUADS:
            self._flush()

    def _apply(self, removed: list[Statement], added: list[Statement]) -> None:
        """One update: delete then insert (whole cases only, so a crash splits no case)."""
        if not removed and not added:
            return
        self.changed += len(removed) + len(added)
        self.net += len(added) - len(removed)
        self._rewritten += len(removed) + len(added)
        parts = [] if self._count_withdrawn else [_WITHDRAW_COUNT]
        self._count_withdrawn = True
        if removed:
            parts.append(f"DELETE DATA {{ GRAPH {INFERRED_GRAPH} {{\n{triples(removed)}\n}} }}")
        if added:
            parts.append(f"INSERT DATA {{ GRAPH {INFERRED_GRAPH} {{\n{triples(added)}\n}} }}")
        self.store.update(" ;\n".join(parts))
        self._unflushed += len(removed) + len(added)
        if self._unflushed >= FLUSH_QUADS:
            self._flush()

    def _withdraw_count(self) -> None:
        """Before the run's first change to a graph whose record gives a quad count, delete that
        count (in the same update where the change is a SPARQL update): the record stays, the
        cases' digests still to be trusted (each transaction holds whole cases), but a run that
        stops before :meth:`finish` leaves no count its changes made wrong, and the next run
        counts the graph instead of trusting the record."""
        if not self._count_withdrawn:
            self.store.update(_WITHDRAW_COUNT)
            self._count_withdrawn = True

    def _flush(self) -> None:
        """Let an embedded store write its memory tables to disk (servers manage their own):
        RocksDB otherwise keeps every write of the run in memory (0.75 KB per quad measured)."""
        flush = getattr(self.store, "flush", None)
        if callable(flush):
            flush()
        self._unflushed = 0

    def finish(
        self,
        cases: Collection[str] | None,
        run: NamedNode,
        run_quads: list[Quad],
        *,
        every_case_written: bool = True,
    ) -> None:
        """Delete the results of cases no longer current (and, after a run that wrote every
        case, anything else no current case or this run produced), then write the run record,
        with how many quads the cases' results then take (``kg:inferredQuadCount``).

        :param cases: the current cases; ``None`` for those the store holds, which the store
            then compares with the cases that have results without listing them.
        :param every_case_written: whether every current case went through :meth:`write_chunk`;
            ``False`` for a run that kept some cases' results without reading them. Such a run
            takes the quad count from the last run's record and its own changes, without
            counting the graph (10 s at 100,000 cases), where the record gives one: no run has
            changed the graph since, as a run withdraws the count before its first change
            (:meth:`_withdraw_count`). Only a run that writes every case counts the graph and
            deletes what does not belong (:meth:`_drop_strays`): quads written by hand into the
            inferred graph stay until ``kg reason --all``.
        """
        self._settle_bulk()
        self._close_loader()
        gone = self._gone(cases)
        for start in range(0, len(gone), LOOKUP_CASES):
            self.write_chunk({case: [] for case in gone[start : start + LOOKUP_CASES]})
        if self.changed:  # links this run deleted may have left nodes nothing links to
            self.store.update(UNLINKED_NODES)
        if not every_case_written and self._recorded_total is not None:
            # the count the last finished run recorded, and this run's changes since
            total = self._recorded_total + self.net
        else:  # expected None: nothing to count against, so look for strays subject by subject
            expected = self.written if every_case_written else None
            total = self._drop_strays(cases, run, expected)
        self._total = total
        count = Quad(run, KG.inferredQuadCount, Literal(str(total), datatype=XSD.integer))
        self.store.update(  # one update: the graph is never without a run record
            f"DELETE {{ GRAPH {INFERRED_GRAPH} {{ ?run ?p ?o }} }} "
            f"WHERE {{ GRAPH {INFERRED_GRAPH} {{ ?run a {KG.ReasonerRun} ; ?p ?o }} }} ;\n"
            f"INSERT DATA {{ GRAPH {INFERRED_GRAPH} {{\n"
            + triples(of_quad(q) for q in [*run_quads, count])
            + "\n} }"
        )

    def _gone(self, cases: Collection[str] | None) -> list[str]:
        """The cases whose results the graph holds (each with a results digest) but which are
        not current, sorted.

        For the store's own cases, an anti-join the store answers without spelling out the
        cases that stay: listing every case's IRI and results cost 5 s at 100,000 cases."""
        if cases is None:
            query = (
                f"SELECT ?case WHERE {{ GRAPH {INFERRED_GRAPH} {{ ?case kg:resultsDigest ?d }} "
                f"MINUS {{ GRAPH ?case {{ ?case a kg:Case }} }} }}"
            )
            return sorted(row["case"].value for row in _solutions(self.store, query))  # type: ignore[union-attr]
        query = f"SELECT ?case WHERE {{ GRAPH {INFERRED_GRAPH} {{ ?case kg:resultsDigest ?d }} }}"
        held = {row["case"].value for row in _solutions(self.store, query)}  # type: ignore[union-attr]
        return sorted(held - set(cases))

    def _drop_strays(
        self, cases: Collection[str] | None, run: NamedNode, expected: int | None
    ) -> int:
        """Delete quads about anything else (left by an older version, or written by hand):
        rare, so checked by count.

        Run records are not counted (the last run's is replaced after this), so the graph should
        hold exactly the quads of the current cases' results, ``expected`` of them. Only when the
        count differs are the subjects listed (a full scan) and the strays deleted, run records
        of other runs among them.

        :returns: how many quads about cases the graph then holds.
        """
        count = count_case_quads(self.store)
        if count == expected:
            return count
        subjects = _solutions(
            self.store, f"SELECT DISTINCT ?s WHERE {{ GRAPH {INFERRED_GRAPH} {{ ?s ?p ?o }} }}"
        )
        current = set(case_iris(self.store) if cases is None else cases)
        strays = [
            row["s"]
            for row in subjects
            if not _belongs(row["s"].value, current, run)  # type: ignore[union-attr]
        ]
        for subject in strays:
            self.store.update(
                f"DELETE WHERE {{ GRAPH {INFERRED_GRAPH} {{ {subject} ?p ?o }} }}"
                if isinstance(subject, NamedNode)
                else f"DELETE {{ GRAPH {INFERRED_GRAPH} {{ ?s ?p ?o }} }} WHERE {{ GRAPH "
                f"{INFERRED_GRAPH} {{ ?s ?p ?o }} FILTER(isBlank(?s)) }}"
            )
        return count_case_quads(self.store) if strays else count


def count_case_quads(store: Store) -> int:
    """How many quads the inferred graph holds, leaving out those about reasoner runs and the
    shared nodes."""
    every = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {INFERRED_GRAPH} {{ ?s ?p ?o }} }}"
    runs = (
        f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {INFERRED_GRAPH} "
        f"{{ ?s a {KG.ReasonerRun} ; ?p ?o }} }}"
    )
    shared = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {INFERRED_GRAPH} {{ {_SHARED_NODE} }} }}"
    return _number(store, every) - _number(store, runs) - _number(store, shared)


def _number(store: Store, sparql: str) -> int:
    return int(next(iter(_solutions(store, sparql)))["n"].value)  # type: ignore[union-attr]


def _inputs_of(quads: list[Statement]) -> frozenset[Statement]:
    """What a case's results were made from, among its statements."""
    return frozenset(q for q in quads if predicate_of(q) in _INPUT_TERMS)


def _recorded_total(store: Store) -> int | None:
    """The quad count the run record gives, if the graph holds one that gives it."""
    rows = _solutions(
        store,
        f"SELECT ?n WHERE {{ GRAPH {INFERRED_GRAPH} {{ ?run a {KG.ReasonerRun} ; "
        f"{KG.inferredQuadCount} ?n }} }} LIMIT 1",
    )
    found = next(iter(rows), None)
    return None if found is None else int(found["n"].value)  # type: ignore[union-attr]


def with_digest(case: str, quads: list[Statement]) -> list[Statement]:
    """A case's statements, each once, then its digest: a SHA-256 of their sorted N-Quads lines
    (without the final dot), which depends on what the quads say, not on the order they were
    made in, and leaves out the records of what the results were made from
    (``kg:inputsChecksum``, ``kg:inputsBasis``, and an earlier version's ``kg:inputsDigest``):
    they are not part of the results. No quads, no digest. The lines are those pyoxigraph
    writes for the quads, so results written as quads by earlier versions have the same digest.

    >>> from kg.rdf.vocab import RDF
    >>> a = statement(iri("http://x/c"), RDF.type, str(KG.Case))
    >>> b = statement(iri("http://x/c"), KG.pnsRule, unique_text("r"))
    >>> with_digest("http://x/c", [a, b, a])[-1] == with_digest("http://x/c", [b, a])[-1]
    True
    >>> c = statement(iri("http://x/c"), KG.inputsBasis, unique_text("i"))
    >>> with_digest("http://x/c", [a, c])[-1] == with_digest("http://x/c", [a])[-1]
    True
    >>> with_digest("http://x/c", [])
    []
    """
    unique = list(dict.fromkeys(quads))
    if not unique:
        return []
    graph = f" {INFERRED_GRAPH}"
    results = sorted(q + graph for q in unique if predicate_of(q) not in _INPUT_TERMS)
    digest = hashlib.sha256("\n".join(results).encode()).hexdigest()
    return [*unique, statement(iri(case), KG.resultsDigest, unique_text(digest))]


def _digest_of(quads: list[Statement]) -> str:
    """The digest :func:`with_digest` put last (a plain literal of hexadecimal digits)."""
    return quads[-1].rsplit(" ", 1)[1].strip('"')


_RUN_RECORD = (
    f"SELECT ?run WHERE {{ GRAPH {INFERRED_GRAPH} {{ ?run a {KG.ReasonerRun} }} }} LIMIT 1"
)


def _whole_cases(new: dict[str, list[Statement]], cases: list[str]) -> list[Statement]:
    """Every quad of some cases, in case order (each once already: :func:`with_digest`)."""
    return [q for case in cases for q in new[case]]


def _holds_quads(store: Store) -> bool:
    """Whether the inferred graph holds anything (a first run finds it empty).

    A SELECT, not ASK: Virtuoso answers ASK about an absent graph with an empty result set.
    """
    return _has_rows(store, f"SELECT ?s WHERE {{ GRAPH {INFERRED_GRAPH} {{ ?s ?p ?o }} }} LIMIT 1")


def _has_rows(store: Store, sparql: str) -> bool:
    """Whether a SELECT returns any row (a SELECT, not ASK: see :func:`_holds_quads`)."""
    return any(True for _ in _solutions(store, sparql))


def _belongs(subject: str, cases: set[str], run: NamedNode) -> bool:
    """Whether a subject is one this run writes: a case, one of its assessments, a shared node
    (any left unlinked are deleted before), or the run."""
    if subject == run.value or subject in cases or subject.startswith(SHARED_BASE):
        return True
    case, found, _ = subject.partition("/assessment/")
    return bool(found) and case in cases
