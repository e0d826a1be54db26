"""Build the graph: the ontology and its imports in one named graph, each case in its own.

Building is incremental and repeatable: a case whose file checksum is unchanged is left alone, a
changed one replaces only its own graph, and invalid files change nothing at all.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, parse, serialize

from kg.catalog import ontology_checksum, ontology_files
from kg.curation.claims import validate_claims_dir
from kg.errors import KgError
from kg.issues import Issue, Severity, display_path
from kg.paths import CLAIMS_DIR, ONTOLOGY_DIR, PROJECT_ROOT
from kg.prepare import PreparedCase, prepare_files, spool_files
from kg.rdf.claims import convert_claims
from kg.rdf.hierarchy import hierarchy_quads
from kg.rdf.vocab import (
    BUILD_GRAPH,
    CASE_BASE,
    CLAIMS_GRAPH,
    HIERARCHY_GRAPH,
    KG,
    ONTOLOGY_GRAPH,
    XSD,
    case_graph,
)
from kg.store.base import Store
from kg.summary_update import SummaryBefore, read_before, update_summary
from kg.tumour_summary import invalidate_summary


class InvalidCases(KgError):
    """Some case files failed validation; nothing was written."""

    def __init__(self, issues: list[Issue]) -> None:
        super().__init__(f"{len(issues)} problem(s) in the case files; nothing was changed")
        self.issues = issues


@dataclass
class BuildReport:
    """What a build or add changed."""

    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    ontology_updated: bool = False
    claims_updated: bool = False
    warnings: list[Issue] = field(default_factory=list)


def load_ontology_quads(ontology_dir: Path = ONTOLOGY_DIR) -> list[Quad]:
    """Read the edited ontology and every imported module into the ontology graph.

    :param ontology_dir: the folder holding kg-edit.ttl and catalog-v001.xml.
    :returns: the quads of the ontology graph.
    """
    quads: list[Quad] = []
    for path in ontology_files(ontology_dir):
        with path.open("rb") as handle:
            for triple in parse(handle, RdfFormat.TURTLE, base_iri=path.as_uri()):
                quads.append(Quad(triple.subject, triple.predicate, triple.object, ONTOLOGY_GRAPH))
    return quads


def _ontology_marker(ontology_dir: Path) -> Quad:
    checksum = Literal(ontology_checksum(ontology_dir))
    return Quad(ONTOLOGY_GRAPH, KG.sourceChecksum, checksum, ONTOLOGY_GRAPH)


def ontology_is_current(store: Store, ontology_dir: Path = ONTOLOGY_DIR) -> bool:
    """True when the store's ontology graph was loaded from the ontology files as they are now."""
    marker = _ontology_marker(ontology_dir)
    return any(q == marker for q in store.quads(ONTOLOGY_GRAPH) if q.subject == ONTOLOGY_GRAPH)


def sync_ontology(store: Store, ontology_dir: Path = ONTOLOGY_DIR) -> bool:
    """Replace the ontology graph (and its class-hierarchy closure) when its source files changed.

    :returns: True when the graph was (re)written.
    """
    if ontology_is_current(store, ontology_dir):
        return False
    marker = _ontology_marker(ontology_dir)
    quads = load_ontology_quads(ontology_dir)
    invalidate_summary(store)  # it rolls cases up the tumour hierarchy the ontology gives
    store.replace_graphs(
        {ONTOLOGY_GRAPH: [*quads, marker], HIERARCHY_GRAPH: hierarchy_quads(quads)}
    )
    return True


def case_files(directory: Path) -> list[Path]:
    """Return the case files in a folder, sorted, ignoring hidden files."""
    return sorted(p for p in directory.glob("*.y*ml") if not p.name.startswith("."))


CHECKSUM_BATCH = 250  # case graphs named per query when only some cases' checksums are read


def stored_checksums(store: Store, case_ids: Sequence[str] | None = None) -> dict[str, str]:
    """Return the checksum recorded for every stored case, by case id (one query for all), or
    for the stored cases among ``case_ids`` only (their graphs looked up, :data:`CHECKSUM_BATCH`
    a query): judging a batch of a few files against 100,000 stored cases read every checksum,
    14.6 s of the 16.5 s `kg add` of one case took (benchmarks/README.md)."""
    if case_ids is None:
        query = (
            f"SELECT ?g ?sum WHERE {{ GRAPH ?g {{ ?g <{KG.sourceChecksum.value}> ?sum }} "
            f'FILTER(STRSTARTS(STR(?g), "{CASE_BASE}")) }}'
        )
        queries = [query]
    else:
        ids = sorted(set(case_ids))
        queries = [
            "SELECT ?g ?sum WHERE { VALUES ?g { "
            + " ".join(str(case_graph(i)) for i in ids[start : start + CHECKSUM_BATCH])
            + f" }} GRAPH ?g {{ ?g <{KG.sourceChecksum.value}> ?sum }} }}"
            for start in range(0, len(ids), CHECKSUM_BATCH)
        ]
    return {
        str(row["g"].value).removeprefix(CASE_BASE): str(row["sum"].value)
        for query in queries
        for row in store.query(query)  # type: ignore[union-attr]
    }


def holds_cases(store: Store) -> bool:
    """Tell whether the store holds any case graph."""
    query = f"SELECT ?g WHERE {{ GRAPH ?g {{ ?g a <{KG.Case.value}> }} }} LIMIT 1"
    return any(True for _ in store.query(query))  # type: ignore[union-attr]


def provenance_quads(item: PreparedCase, when: datetime) -> list[Quad]:
    """Record who added a case, when, from which file and with which checksum."""
    assert item.case_id is not None and item.checksum is not None
    graph = case_graph(item.case_id)
    try:
        source = str(item.path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        source = str(item.path.resolve())
    user = os.environ.get("KG_USER") or getpass.getuser()
    values = [
        (KG.sourceFile, Literal(source)),
        (KG.sourceChecksum, Literal(item.checksum)),
        (KG.addedBy, Literal(user)),
        (KG.addedAt, Literal(when.isoformat(timespec="seconds"), datatype=XSD.dateTime)),
    ]
    return [Quad(graph, predicate, value, graph) for predicate, value in values]


@dataclass
class WritePlan:
    """What a write will do, decided for the whole batch before anything is written."""

    report: BuildReport
    pending: list[PreparedCase] = field(default_factory=list)
    when: datetime = field(default_factory=lambda: datetime.now(UTC))
    store_had_cases: bool = True


def plan_writes(store: Store, items: list[PreparedCase], *, replace: bool) -> WritePlan:
    """Judge the whole batch: which cases are new, changed or unchanged, and whether any is refused.

    :param store: where the cases would be written.
    :param items: the prepared (validated) files of the batch.
    :param replace: allow replacing a stored case whose file changed.
    :returns: the plan; nothing is written.
    :raises InvalidCases: when any file has an error, two files share a case id, or a changed
        case may not be replaced. Every such problem of the batch is listed.
    """
    errors = [issue for item in items for issue in item.issues if issue.is_error]
    if errors or not all(item.ok for item in items):
        raise InvalidCases(errors)
    refused = repeated_ids(items)
    stored = stored_checksums(store, [item.case_id for item in items if item.case_id])
    plan = WritePlan(BuildReport(warnings=[i for item in items for i in item.issues]))
    plan.store_had_cases = bool(stored) or holds_cases(store)
    for item in items:
        assert item.case_id is not None
        previous = stored.get(item.case_id)
        if previous == item.checksum:
            plan.report.unchanged.append(item.case_id)
        elif previous is not None and not replace:
            refused.append(_exists_issue(item))
        else:
            (plan.report.replaced if previous else plan.report.added).append(item.case_id)
            plan.pending.append(item)
    if refused:
        raise InvalidCases(refused)
    return plan


# Cases per transaction on the transactional path: one SPARQL update per case pays a fixed cost
# per update; a few dozen together keep each update small while a crash still leaves every case
# whole or absent.
CASES_PER_TRANSACTION = 32


def apply_plan(
    store: Store, plan: WritePlan, on_written: Callable[[str], None] | None = None
) -> None:
    """Write the planned cases.

    Into a store that holds no case yet, an embedded store loads the whole batch in bulk (see
    :func:`bulk_write`). Otherwise cases are written a few dozen per transaction, so a crash
    part-way leaves every case either wholly written or absent, and re-running the same add
    resumes, since cases already written have the same checksum and are skipped.

    :param store: where to write.
    :param plan: a plan from :func:`plan_writes`.
    :param on_written: called with each case id once it is committed.
    """
    if plan.pending:
        invalidate_summary(store)  # before any case changes: see kg.tumour_summary
    bulk = getattr(store, "bulk_load_files", None)
    if bulk and not plan.store_had_cases and all(p.spool for p in plan.pending):
        bulk_write(store, plan, on_written)
        return
    for start in range(0, len(plan.pending), CASES_PER_TRANSACTION):
        batch = plan.pending[start : start + CASES_PER_TRANSACTION]
        graphs = {}
        for item in batch:
            assert item.case_id is not None
            graphs[case_graph(item.case_id)] = item.load_quads() + provenance_quads(item, plan.when)
        store.replace_graphs(graphs)
        if on_written:
            for item in batch:
                on_written(item.case_id)  # type: ignore[arg-type]


def bulk_write(
    store: Store, plan: WritePlan, on_written: Callable[[str], None] | None = None
) -> None:
    """Load every planned case in one bulk load, bracketed by a marker of the load in progress.

    A bulk load skips transactions (it is several times faster than one update per case), so a
    crash can leave cases half written. The marker, committed before the load and removed after
    it, says so: :func:`recover_interrupted_load` finds it on the next build or add and drops the
    case graphs, which were all written by the interrupted load because it only runs into a store
    holding no case. The store is compacted before the marker goes (see
    :meth:`kg.store.embedded.EmbeddedStore.compact`); a crash while compacting still counts as an
    interrupted load.
    """
    spools = spool_files(plan.pending)
    if not spools:
        return
    provenance = spools[0].parent / "provenance.nq"
    quads = [q for item in plan.pending for q in provenance_quads(item, plan.when)]
    provenance.write_bytes(serialize(quads, format=RdfFormat.N_QUADS))
    started = Literal(plan.when.isoformat(timespec="seconds"), datatype=XSD.dateTime)
    marker = Quad(BUILD_GRAPH, KG.bulkLoadStartedAt, started, BUILD_GRAPH)
    store.replace_graph(BUILD_GRAPH, [marker])
    store.bulk_load_files([*spools, provenance])  # type: ignore[attr-defined]
    compact = getattr(store, "compact", None)
    if callable(compact):
        compact()  # before the next write, which would otherwise wait on RocksDB's compaction
    store.drop_graph(BUILD_GRAPH)
    if on_written:
        for item in plan.pending:
            on_written(item.case_id)  # type: ignore[arg-type]


def recover_interrupted_load(store: Store) -> int:
    """Undo a bulk load that did not finish, so the next build writes every case again.

    :returns: the number of case graphs dropped (0 when no load was interrupted).
    """
    # A SELECT, not ASK: Virtuoso answers ASK about an absent graph with an empty result set.
    marker = (
        f"SELECT ?t WHERE {{ GRAPH <{BUILD_GRAPH.value}> "
        f"{{ ?s <{KG.bulkLoadStartedAt.value}> ?t }} }} LIMIT 1"
    )
    if not any(True for _ in store.query(marker)):  # type: ignore[union-attr]
        return 0
    cases = [g for g in store.graphs() if g.value.startswith(CASE_BASE)]
    invalidate_summary(store)
    for graph in cases:
        store.drop_graph(graph)
    store.drop_graph(BUILD_GRAPH)
    return len(cases)


def summary_before(store: Store, plan: WritePlan) -> SummaryBefore | None:
    """Read what correcting the summary after the plan's writes needs (:mod:`kg.summary_update`);
    None when the plan writes nothing or the summary is to be counted in full."""
    if not plan.pending:
        return None
    leaving = [case_graph(case) for case in plan.report.replaced]
    return read_before(store, leaving, len(plan.pending))


def arrived_graphs(plan: WritePlan) -> list[NamedNode]:
    """The graphs of the cases a plan adds or replaces."""
    return [case_graph(case) for case in [*plan.report.added, *plan.report.replaced]]


def repeated_ids(results: list[PreparedCase]) -> list[Issue]:
    """Report every file whose case id an earlier file of the batch already has.

    Two files with one id would silently overwrite each other in the store, so a batch holding
    them is refused.

    :param results: validated files (with a parsed case) of one batch.
    :returns: one issue per repeat, at the repeating file's `id:`.
    """
    first: dict[str, Path] = {}
    issues = []
    for result in results:
        case_id = result.case_id
        assert case_id is not None
        if case_id in first and first[case_id].resolve() != result.path.resolve():
            line, column = result.id_position
            issues.append(Issue(
                display_path(result.path), line, column, "repeated-case-id", Severity.ERROR,
                f"`{case_id}` is also the id of {display_path(first[case_id])} in this batch.",
                "keep one file per case; give a different case its own id.",
            ))  # fmt: skip
        first.setdefault(case_id, result.path)
    return issues


def _exists_issue(result: PreparedCase) -> Issue:
    line, column = result.id_position
    return Issue(
        display_path(result.path), line, column, "case-exists", Severity.ERROR,
        f"a different case `{result.case_id}` is already in the store.",
        "use --replace to overwrite it, or give this case another id.",
    )  # fmt: skip


def build_graph(
    store: Store,
    cases_dir: Path,
    ontology_dir: Path = ONTOLOGY_DIR,
    claims_dir: Path = CLAIMS_DIR,
) -> BuildReport:
    """Load the ontology, every case of a folder and the literature claims into the store.

    The claim files are checked before any case is written, so an invalid claim leaves the
    store unchanged just as an invalid case does.

    :raises InvalidCases: when any case or claim file is invalid (the store is left unchanged).
    """
    recover_interrupted_load(store)
    files, unchanged = skip_unchanged(store, case_files(cases_dir), ontology_dir)
    with tempfile.TemporaryDirectory(prefix="kg-build-") as spool:
        prepared = prepare_files(files, Path(spool))
        claims = claim_quads(claims_dir)
        plan = plan_writes(store, prepared, replace=True)
        before = summary_before(store, plan)
        apply_plan(store, plan)
    report = plan.report
    report.unchanged = sorted([*report.unchanged, *unchanged])
    report.ontology_updated = sync_ontology(store, ontology_dir)
    report.claims_updated = write_claims(store, claims)
    # a new ontology may move tumour types in the hierarchy (and dropped the summary): count all
    update_summary(store, None if report.ontology_updated else before, arrived_graphs(plan))
    return report


def skip_unchanged(
    store: Store, files: list[Path], ontology_dir: Path = ONTOLOGY_DIR
) -> tuple[list[Path], list[str]]:
    """Set aside the files the store already holds byte for byte, so a rebuild does not revalidate.

    A case's id is its file's stem (rule `id-matches-file`), and its graph records the SHA-256 of
    the file it was loaded from. A file with the same bytes was valid against the same ontology
    when it was loaded, so it is skipped while the ontology is unchanged too; when the ontology
    changed, every file is validated again (terms may have gone). Files sharing a stem
    (``a.yaml``, ``a.yml``) are never skipped, so the batch's repeated-id check sees them.
    `kg validate` still checks every file.

    :returns: the files to validate, and the ids of the cases skipped as unchanged.
    """
    if not ontology_is_current(store, ontology_dir):
        return files, []
    stored = stored_checksums(store)
    stems = Counter(path.stem for path in files)
    todo, unchanged = [], []
    for path in files:
        recorded = stored.get(path.stem)
        if recorded and stems[path.stem] == 1 and recorded == _file_checksum(path):
            unchanged.append(path.stem)
        else:
            todo.append(path)
    return todo, unchanged


def _file_checksum(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None  # validation reports the unreadable file


def claim_quads(claims_dir: Path = CLAIMS_DIR) -> list[Quad]:
    """Validate every claim file of a folder and convert them to the claims graph's quads.

    :raises InvalidCases: when any claim file has an error; nothing has been written.
    """
    results = validate_claims_dir(claims_dir)
    errors = [issue for result in results for issue in result.issues if issue.is_error]
    if errors or any(result.file is None for result in results):
        raise InvalidCases(errors)
    quads = [quad for result in results if result.file for quad in convert_claims(result.file)]
    return list(dict.fromkeys(quads))


def write_claims(store: Store, quads: list[Quad]) -> bool:
    """Replace the claims graph in one transaction, unless it already holds exactly these quads.

    :returns: True when the graph was (re)written.
    """
    if set(store.quads(CLAIMS_GRAPH)) == set(quads):
        return False
    store.replace_graph(CLAIMS_GRAPH, quads)
    return True


def build_claims(store: Store, claims_dir: Path = CLAIMS_DIR) -> bool:
    """Load the literature claims of a folder into the claims graph, all or nothing.

    :returns: True when the claims graph changed.
    :raises InvalidCases: when any claim file is invalid (the store is left unchanged).
    """
    return write_claims(store, claim_quads(claims_dir))
