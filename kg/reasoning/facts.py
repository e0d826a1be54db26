"""Read the criterion-relevant facts of every case from the store, one record per case.

The criteria look at few facts: findings (observed or excluded, HPO-typed), muscle enzyme labs, the
EMG and the muscle biopsy, antibodies, the patient's age and the cancer-to-DM interval. Reading them
once, in bulk, keeps reasoning independent of how many other facts a case carries.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import IO, Any

from pyoxigraph import NamedNode, QuerySolution, QuerySolutions

from kg.cores import usable_cores
from kg.errors import StoreError
from kg.rdf.vocab import KG, OBO_BASE
from kg.store.base import Store
from kg.store.embedded import EmbeddedStore
from kg.store.sparql_text import with_graph_batches


@dataclass(frozen=True)
class Investigation:
    """An EMG or a muscle biopsy: whether it was done, why not, and its HPO-typed results."""

    performed: bool
    reason: str | None
    results: frozenset[str]


@dataclass(frozen=True)
class FindingFact:
    """One finding: its node in the case graph, HPO term, whether excluded, and its event."""

    node: str
    term: str
    excluded: bool
    event: str | None


@dataclass(frozen=True)
class EventFact:
    """One timeline event with its derived day bounds (None: unbounded)."""

    node: str
    earliest: int | None
    latest: int | None


@dataclass
class CaseFacts:
    """The facts of one case that the criteria read. HPO terms as CURIEs (HP:0003701)."""

    case: str
    case_id: str
    age: float | None = None
    findings: list[FindingFact] = field(default_factory=list)
    events: dict[str, EventFact] = field(default_factory=dict)
    age_event: str | None = None
    labs: list[tuple[str | None, str | None, str]] = field(
        default_factory=list
    )  # loinc, interp, name
    emg: list[Investigation] = field(default_factory=list)
    muscle_biopsy: list[Investigation] = field(default_factory=list)
    antibodies: set[tuple[str, str, str | None]] = field(
        default_factory=set
    )  # class, result, event
    reported: list[tuple[str, str]] = field(default_factory=list)  # condition class, certainty
    has_neoplasm: bool = False
    # every (DM diagnosis, cancer diagnosis) interval in days, as (at least, at most): a case may
    # have several cancers, and the rows come in no set order, so all are kept (sorted)
    cancer_intervals_days: list[tuple[int | None, int | None]] = field(default_factory=list)

    @property
    def observed_terms(self) -> frozenset[str]:
        """HPO terms observed at any time."""
        return frozenset(f.term for f in self.findings if not f.excluded)

    @property
    def excluded_terms(self) -> frozenset[str]:
        """HPO terms explicitly excluded at some time."""
        return frozenset(f.term for f in self.findings if f.excluded)


@cache  # a corpus repeats a few thousand terms across millions of rows
def curie(iri: str) -> str:
    """Return the CURIE of an OBO PURL, or the IRI itself.

    >>> curie("http://purl.obolibrary.org/obo/HP_0003701")
    'HP:0003701'
    """
    if iri.startswith(OBO_BASE):
        prefix, _, local = iri[len(OBO_BASE) :].partition("_")
        return f"{prefix}:{local}"
    return iri


@cache
def _query(name: str) -> str:
    return (
        resources.files("kg.reasoning").joinpath("sparql").joinpath(f"{name}.rq").read_text("utf-8")
    )


# Costliest first (100,000 cases: findings 85 s, cases 75 s, events 65 s), so that two workers
# taking them in turn finish close together.
FACT_QUERIES = ("findings", "cases", "events", "labs", "investigations", "antibodies")
# Rows a fact query holds before they go to the spool files, over all chunks together: a
# budget per chunk let a worker at 100,000 cases (100 chunks) hold nearly all its rows (1.07 GB).
SPOOL_ROWS = 100_000
PARALLEL_MIN_CASES = 2000  # below this, starting worker processes costs more than it saves
# Worker processes reading facts at most: each holds one query's working memory and the rows
# waiting for the spool (0.2 to 0.35 GB at 100,000 cases), and two already halve the time on
# the two cores this project targets.
FACT_WORKERS = 2

# The variables each fact query selects, in its order: rows are tuples in this order, read by
# position (a dict a row cost about a third of building 100,000 cases' facts from the spool).
COLUMNS = {
    "findings": ("case", "finding", "phenotype", "excluded", "event"),
    "cases": (
        "case", "caseId", "age", "ageEvent", "condition", "certainty", "minDays", "maxDays",
        "hasNeoplasm",
    ),
    "events": ("case", "event", "earliest", "latest"),
    "labs": ("case", "loinc", "interpretation", "test"),
    "investigations": (
        "case", "investigation", "type", "performed", "reason", "resultPhenotype",
    ),
    "antibodies": ("case", "antibody", "result", "event"),
}  # fmt: skip
Row = tuple[str | None, ...]  # a fact query's values, in the order of COLUMNS
Rows = Callable[[str], Iterable[Row]]  # a fact query's name -> its rows


def _rows(store: Store, name: str) -> list[Row]:
    """Run a fact query over every case."""
    result = store.query(_query(name))
    assert isinstance(result, QuerySolutions)
    row_of = _row_maker(name, result)
    return [row_of(solution) for solution in result]


def _value(term: object) -> str | None:
    return None if term is None else term.value  # type: ignore[attr-defined]


CASES_QUERY = """PREFIX kg: <https://w3id.org/dmkg/vocab/>
SELECT ?case WHERE { GRAPH ?case { ?case a kg:Case } }"""


def case_iris(store: Store) -> list[str]:
    """Every case IRI in the store, sorted: the unit of work that reasoning splits into chunks."""
    result = store.query(CASES_QUERY)
    assert isinstance(result, QuerySolutions)
    return sorted({row["case"].value for row in result})


def read_case_facts(store: Store) -> dict[str, CaseFacts]:
    """Read the criterion-relevant facts of every case in the store, keyed by case IRI.

    Everything is held in memory; to read a large store in bounded memory, use
    :func:`spool_case_facts`.
    """
    return build_facts(lambda name: _rows(store, name))


def spool_case_facts(store: Store, chunks: list[list[str]], directory: Path) -> None:
    """Read every case's fact rows once and file them by chunk, for :func:`spooled_facts`.

    Each fact query runs once over all cases, the form its join order was tuned for, and its rows
    are streamed to one spool file per chunk: memory holds a few buffers, not the corpus. Binding
    a chunk's cases instead (VALUES) is no cheaper in Oxigraph 0.5: an OPTIONAL inside the case
    graph stops the binding, and one outside is joined over every graph, so each chunk's queries
    cost nearly a full read (2,000 of 4,000 cases: 14 s against 13 s for all).

    A store in a directory is read by two worker processes (where two cores are free), each
    running whole fact queries in turn: a query runs on one core and its cost is decoding the
    terms it returns, so the six queries take about half the time. The workers open a snapshot
    of the store (:meth:`~kg.store.embedded.EmbeddedStore.snapshot`, hard links in a temporary
    folder beside it), never the store this process holds open for writing. Where no cheap
    snapshot can be made there, or for fewer than :data:`PARALLEL_MIN_CASES` cases, the queries
    run here, one after the other.

    :raises StoreError: when a worker process stops without finishing its query.
    """
    chunk_of = {case: index for index, chunk in enumerate(chunks) for case in chunk}
    workers = _fact_workers(len(chunk_of))
    if workers > 1 and isinstance(store, EmbeddedStore) and not store.read_only:
        with _snapshot_beside(store) as snapshot:
            if snapshot is not None:
                _spool_in_workers(snapshot, workers, chunk_of, len(chunks), directory)
                return
    for name in FACT_QUERIES:
        _spool_query(store, name, chunk_of, len(chunks), directory)


def spool_facts_of_graphs(store: Store, chunks: list[list[str]], directory: Path) -> None:
    """File the fact rows of some cases by chunk, as :func:`spool_case_facts` does, reading only
    their graphs.

    Each fact query runs once per :data:`~kg.store.sparql_text.GRAPH_BATCH` cases with a
    ``FROM NAMED`` for each of their graphs (every fact query reads the case graphs only,
    through ``GRAPH ?case``), so its cost grows with those cases, not with the store: the path
    for the few cases a later run must redo, where a read of every case would cost the whole
    store's.
    """
    for index, chunk in enumerate(chunks):
        for name in FACT_QUERIES:
            with (directory / f"{index}.{name}").open("wb") as handle:
                _spool_graphs(store, name, chunk, handle)


def _spool_graphs(store: Store, name: str, cases: list[str], handle: IO[bytes]) -> None:
    pickle.dump(COLUMNS[name], handle, protocol=pickle.HIGHEST_PROTOCOL)
    for text in with_graph_batches(_query(name), [NamedNode(case) for case in cases]):
        result = store.query(text)
        assert isinstance(result, QuerySolutions)
        row_of = _row_maker(name, result)
        rows = [row_of(solution) for solution in result]
        if rows:
            pickle.dump(rows, handle, protocol=pickle.HIGHEST_PROTOCOL)


def _fact_workers(cases: int) -> int:
    """How many processes read the facts: one for a small store, else up to :data:`FACT_WORKERS`
    of the cores this process may run on."""
    if cases < PARALLEL_MIN_CASES:
        return 1
    return min(usable_cores(), FACT_WORKERS)


@contextmanager
def _snapshot_beside(store: EmbeddedStore) -> Iterator[Path | None]:
    """Yield a snapshot of the store in a temporary folder beside it, removed afterwards; None
    when it cannot be cheap there (see :func:`_snapshot_folder`)."""
    holder = _snapshot_folder(store)
    try:
        yield None if holder is None else holder / "store"
    finally:
        if holder is not None:
            shutil.rmtree(holder, ignore_errors=True)


def _snapshot_folder(store: EmbeddedStore) -> Path | None:
    """Snapshot the store into ``store`` inside a new folder beside it and return the folder;
    None for an in-memory store, a parent folder on another file system (the checkpoint would
    copy every file) or one that cannot be written.

    Folders left by a run that was killed are removed first: this process holds the store open
    for writing, so no other reasoning run can be using them.
    """
    location = store.directory
    if location is None:
        return None
    parent, prefix = location.parent, f".{location.name}-facts-"
    for stale in parent.glob(f"{prefix}*"):
        shutil.rmtree(stale, ignore_errors=True)
    try:
        if os.stat(parent).st_dev != os.stat(location).st_dev:
            return None
        holder = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    except OSError:
        return None
    try:
        store.snapshot(holder / "store")
    except StoreError:
        shutil.rmtree(holder, ignore_errors=True)
        return None
    return holder


def _spool_in_workers(
    snapshot: Path, workers: int, chunk_of: dict[str, int], chunks: int, directory: Path
) -> None:
    """Spool every fact query from a snapshot, the workers taking the queries in turn.

    :raises StoreError: when a worker process dies (the first error of any query is raised
        as it is, and the queries not yet started are cancelled).
    """
    context = multiprocessing.get_context("spawn")  # the caller holds the store's threads
    pool = ProcessPoolExecutor(workers, mp_context=context)
    try:
        jobs = [
            pool.submit(_spool_query_from, snapshot, name, chunk_of, chunks, directory)
            for name in FACT_QUERIES
        ]
        for job in as_completed(jobs):
            job.result()  # re-raises a worker's error
    except BrokenProcessPool as error:
        raise StoreError(
            f"a process reading the case facts stopped ({error}); "
            "if the machine ran out of memory, run `kg reason` again with fewer other programs"
        ) from error
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _spool_query_from(
    location: Path, name: str, chunk_of: dict[str, int], chunks: int, directory: Path
) -> None:
    """In a worker process: open the snapshot read-only and spool one fact query."""
    store = EmbeddedStore(location, read_only=True)
    try:
        _spool_query(store, name, chunk_of, chunks, directory)
    finally:
        store.close()


def _spool_query(
    store: Store, name: str, chunk_of: dict[str, int], chunks: int, directory: Path
) -> None:
    """Run one fact query over every case and file its rows by chunk (``{chunk}.{name}``)."""
    result = store.query(_query(name))
    assert isinstance(result, QuerySolutions)
    row_of = _row_maker(name, result)
    buffers: dict[int, list[tuple[str | None, ...]]] = {i: [] for i in range(chunks)}
    handles = {i: (directory / f"{i}.{name}").open("wb") for i in range(chunks)}
    try:
        for handle in handles.values():
            pickle.dump(COLUMNS[name], handle, protocol=pickle.HIGHEST_PROTOCOL)
        held = 0
        for solution in result:
            values = row_of(solution)
            index = chunk_of.get(values[0])  # ?case first (COLUMNS)
            if index is None:
                continue
            buffers[index].append(values)
            held += 1
            if held >= SPOOL_ROWS:
                _flush(buffers, handles)
                held = 0
        _flush(buffers, handles)
    finally:
        for handle in handles.values():
            handle.close()


def _row_maker(name: str, result: QuerySolutions) -> Callable[[QuerySolution], Row]:
    """How to turn a fact query's solutions into rows in the order of :data:`COLUMNS`: as they
    come when the query returns its variables in that order (the .rq files select them so),
    else by name, for a server that orders them otherwise.

    :raises StoreError: when the query does not return a variable the facts are read from.
    """
    columns = COLUMNS[name]
    names = tuple(v.value for v in result.variables)
    if names == columns:
        return lambda solution: tuple(_value(term) for term in solution)
    missing = [column for column in columns if column not in names]
    if missing:
        raise StoreError(
            f"{name}.rq returns {', '.join(names)} but not {', '.join(missing)}, which the "
            "case facts are read from"
        )
    return lambda solution: tuple(_value(solution[column]) for column in columns)


def _flush(buffers: dict[int, list[tuple[str | None, ...]]], handles: dict[int, IO[bytes]]) -> None:
    """Append each chunk's buffered rows to its spool file as one batch, and empty the buffers."""
    for index, buffer in buffers.items():
        if buffer:
            pickle.dump(buffer, handles[index], protocol=pickle.HIGHEST_PROTOCOL)
            buffer.clear()


def spooled_facts(directory: Path, index: int) -> dict[str, CaseFacts]:
    """Build one chunk's facts from the rows :func:`spool_case_facts` filed."""
    return build_facts(lambda name: _spooled_rows(directory / f"{index}.{name}"))


def _spooled_rows(path: Path) -> Iterator[Row]:
    # files written by this process in its own temporary directory, in the order of COLUMNS
    with path.open("rb") as handle:
        pickle.load(handle)  # noqa: S301 (the columns, checked when the file was written)
        while True:
            try:
                batch = pickle.load(handle)  # noqa: S301
            except EOFError:
                return
            yield from batch


def build_facts(rows: Rows) -> dict[str, CaseFacts]:
    """Assemble case records from the rows of the fact queries (from the store or a spool)."""
    facts: dict[str, CaseFacts] = {}
    for case, case_id, age, age_event, condition, certainty, low, high, neoplasm in rows("cases"):
        record = facts.setdefault(case, CaseFacts(case, case_id))  # type: ignore[arg-type]
        record.age = float(age) if age is not None else record.age
        record.has_neoplasm = _true(neoplasm)
        record.age_event = age_event or record.age_event
        if condition:
            record.reported.append((condition, certainty))  # type: ignore[arg-type]
        if condition == KG.Dermatomyositis.value and (low is not None or high is not None):
            interval = (_int(low), _int(high))
            if interval not in record.cancer_intervals_days:
                record.cancer_intervals_days.append(interval)
                record.cancer_intervals_days.sort(key=_interval_order)
    _add_findings(rows, facts)
    _add_labs(rows, facts)
    _add_investigations(rows, facts)
    for case, antibody, result, event in rows("antibodies"):
        facts[case].antibodies.add((antibody, result, event))  # type: ignore[index,arg-type]
    return facts


def _interval_order(interval: tuple[int | None, int | None]) -> tuple[bool, int, bool, int]:
    """Sort intervals with unknown bounds last, so the order never depends on the query's rows."""
    low, high = interval
    return (low is None, low or 0, high is None, high or 0)


def _true(value: str | None) -> bool:
    """Read a boolean result: Virtuoso returns computed booleans as 1 and 0.

    >>> _true("true"), _true("1"), _true("false"), _true("0"), _true(None)
    (True, True, False, False, False)
    """
    return value in ("true", "1")


def _int(value: str | None) -> int | None:
    return None if value is None else int(float(value))


def _add_findings(rows: Rows, facts: dict[str, CaseFacts]) -> None:
    for case, finding, phenotype, excluded, event in rows("findings"):
        fact = FindingFact(finding, curie(phenotype), _true(excluded), event)  # type: ignore[arg-type]
        facts[case].findings.append(fact)  # type: ignore[index]
    for case, event, earliest, latest in rows("events"):
        facts[case].events[event] = EventFact(event, _int(earliest), _int(latest))  # type: ignore[index,arg-type]


def _add_labs(rows: Rows, facts: dict[str, CaseFacts]) -> None:
    for case, loinc, interpretation, test in rows("labs"):
        facts[case].labs.append((loinc, interpretation, test))  # type: ignore[index,arg-type]


def _add_investigations(rows: Rows, facts: dict[str, CaseFacts]) -> None:
    grouped: dict[tuple[str, str], dict[str, Any]] = defaultdict(lambda: {"results": set()})
    for case, investigation, kind, performed, reason, result in rows("investigations"):
        entry = grouped[(case, investigation)]  # type: ignore[index]
        entry.update(type=kind, performed=_true(performed), reason=reason)
        if result:
            entry["results"].add(curie(result))
    for (case, _), entry in sorted(grouped.items()):
        record = Investigation(entry["performed"], entry["reason"], frozenset(entry["results"]))
        target = (
            facts[case].emg
            if entry["type"] == KG.Electromyography.value
            else facts[case].muscle_biopsy
        )
        target.append(record)
