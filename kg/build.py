"""Build the graph: the ontology and its imports in one named graph, each case in its own.

Building is incremental and repeatable: a case whose file checksum is unchanged is left alone, a
changed one replaces only its own graph, and invalid files change nothing at all.
"""

from __future__ import annotations

import getpass
import hashlib
import multiprocessing
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pyoxigraph import Literal, Quad, RdfFormat, parse

from kg.catalog import ontology_files
from kg.curation.claims import validate_claims_dir
from kg.curation.validate import ValidationResult, validate_file
from kg.errors import KgError
from kg.issues import Issue, Severity, display_path
from kg.paths import CLAIMS_DIR, ONTOLOGY_DIR, PROJECT_ROOT
from kg.rdf.claims import convert_claims
from kg.rdf.convert import convert_case
from kg.rdf.hierarchy import hierarchy_quads
from kg.rdf.vocab import CLAIMS_GRAPH, HIERARCHY_GRAPH, KG, ONTOLOGY_GRAPH, XSD, case_graph
from kg.store.base import Store


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


def ontology_checksum(ontology_dir: Path = ONTOLOGY_DIR) -> str:
    """SHA-256 over the ontology files' bytes: blank nodes make graph comparison unstable."""
    digest = hashlib.sha256()
    for path in ontology_files(ontology_dir):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def sync_ontology(store: Store, ontology_dir: Path = ONTOLOGY_DIR) -> bool:
    """Replace the ontology graph (and its class-hierarchy closure) when its source files changed.

    :returns: True when the graph was (re)written.
    """
    checksum = ontology_checksum(ontology_dir)
    marker = Quad(ONTOLOGY_GRAPH, KG.sourceChecksum, Literal(checksum), ONTOLOGY_GRAPH)
    if any(q == marker for q in store.quads(ONTOLOGY_GRAPH) if q.subject == ONTOLOGY_GRAPH):
        return False
    quads = load_ontology_quads(ontology_dir)
    store.replace_graphs(
        {ONTOLOGY_GRAPH: [*quads, marker], HIERARCHY_GRAPH: hierarchy_quads(quads)}
    )
    return True


# Below this many files, starting worker processes (each loads the terminologies and shapes once,
# about two seconds) costs more than it saves.
PARALLEL_VALIDATION_MIN_FILES = 200


def validate_all(
    paths: Iterable[Path], progress: Callable[[Path], None] | None = None
) -> list[ValidationResult]:
    """Validate every file, collecting all issues (a batch is judged whole).

    Files are independent, so a large batch is validated on every core (validation is CPU-bound
    Python: YAML, JSON Schema, the rules and SHACL); results keep the order of ``paths``.
    """
    paths = list(paths)
    workers = min(os.cpu_count() or 1, len(paths) // PARALLEL_VALIDATION_MIN_FILES)
    if workers > 1:
        context = multiprocessing.get_context("spawn")  # the caller may hold store threads
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            results = []
            for result in pool.map(validate_file, paths, chunksize=32):
                results.append(result)
                if progress:
                    progress(result.path)
            return results
    results = []
    for path in paths:
        results.append(validate_file(path))
        if progress:
            progress(path)
    return results


def case_files(directory: Path) -> list[Path]:
    """Return the case files in a folder, sorted, ignoring hidden files."""
    return sorted(p for p in directory.glob("*.y*ml") if not p.name.startswith("."))


def stored_checksum(store: Store, case_id: str) -> str | None:
    """Return the checksum recorded when a case was last written, or None if absent."""
    graph = case_graph(case_id)
    for quad in store.quads(graph):
        if quad.subject == graph and quad.predicate == KG.sourceChecksum:
            return str(quad.object.value)
    return None


def provenance_quads(result: ValidationResult, when: datetime) -> list[Quad]:
    """Record who added a case, when, from which file and with which checksum."""
    assert result.case is not None
    graph = case_graph(result.case.case_id)
    try:
        source = str(result.path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        source = str(result.path.resolve())
    user = os.environ.get("KG_USER") or getpass.getuser()
    values = [
        (KG.sourceFile, Literal(source)),
        (KG.sourceChecksum, Literal(result.case.checksum)),
        (KG.addedBy, Literal(user)),
        (KG.addedAt, Literal(when.isoformat(timespec="seconds"), datatype=XSD.dateTime)),
    ]
    return [Quad(graph, predicate, value, graph) for predicate, value in values]


@dataclass
class WritePlan:
    """What a write will do, decided for the whole batch before anything is written."""

    report: BuildReport
    pending: list[ValidationResult] = field(default_factory=list)
    when: datetime = field(default_factory=lambda: datetime.now(UTC))


def plan_writes(store: Store, results: list[ValidationResult], *, replace: bool) -> WritePlan:
    """Judge the whole batch: which cases are new, changed or unchanged, and whether any is refused.

    :param store: where the cases would be written.
    :param results: validation results of the batch.
    :param replace: allow replacing a stored case whose file changed.
    :returns: the plan; nothing is written.
    :raises InvalidCases: when any file has an error, two files share a case id, or a changed
        case may not be replaced. Every such problem of the batch is listed.
    """
    errors = [issue for r in results for issue in r.issues if issue.is_error]
    if errors or any(r.case is None for r in results):
        raise InvalidCases(errors)
    refused = repeated_ids(results)
    plan = WritePlan(BuildReport(warnings=[i for r in results for i in r.issues]))
    for result in results:
        case = result.case
        assert case is not None
        previous = stored_checksum(store, case.case_id)
        if previous == case.checksum:
            plan.report.unchanged.append(case.case_id)
        elif previous is not None and not replace:
            refused.append(_exists_issue(result))
        else:
            (plan.report.replaced if previous else plan.report.added).append(case.case_id)
            plan.pending.append(result)
    if refused:
        raise InvalidCases(refused)
    return plan


def apply_plan(
    store: Store, plan: WritePlan, on_written: Callable[[str], None] | None = None
) -> None:
    """Write the planned cases, each in its own transaction.

    One transaction per case bounds memory and lets a bulk add show progress; a crash part-way
    leaves every case either wholly written or absent, and re-running the same add resumes,
    since cases already written have the same checksum and are skipped.

    :param store: where to write.
    :param plan: a plan from :func:`plan_writes`.
    :param on_written: called with each case id once it is committed.
    """
    for result in plan.pending:
        assert result.case is not None
        quads = convert_case(result.case) + provenance_quads(result, plan.when)
        store.replace_graph(case_graph(result.case.case_id), quads)
        if on_written:
            on_written(result.case.case_id)


def write_cases(
    store: Store,
    results: list[ValidationResult],
    *,
    replace: bool = True,
    on_written: Callable[[str], None] | None = None,
) -> BuildReport:
    """Write valid cases, skipping those whose file is unchanged; an invalid batch writes nothing.

    :param store: where to write.
    :param results: validation results; any error aborts before writing.
    :param replace: allow replacing a stored case whose file changed.
    :param on_written: called with each case id once it is committed.
    :raises InvalidCases: when any file has an error, or a changed case may not be replaced.
    """
    plan = plan_writes(store, results, replace=replace)
    apply_plan(store, plan, on_written)
    return plan.report


def repeated_ids(results: list[ValidationResult]) -> list[Issue]:
    """Report every file whose case id an earlier file of the batch already has.

    Two files with one id would silently overwrite each other in the store, so a batch holding
    them is refused.

    :param results: validated files (with a parsed case) of one batch.
    :returns: one issue per repeat, at the repeating file's `id:`.
    """
    first: dict[str, Path] = {}
    issues = []
    for result in results:
        assert result.case is not None
        case_id = result.case.case_id
        if case_id in first and first[case_id].resolve() != result.path.resolve():
            line, column = result.case.doc.position(("id",))
            issues.append(Issue(
                display_path(result.path), line, column, "repeated-case-id", Severity.ERROR,
                f"`{case_id}` is also the id of {display_path(first[case_id])} in this batch.",
                "keep one file per case; give a different case its own id.",
            ))  # fmt: skip
        first.setdefault(case_id, result.path)
    return issues


def _exists_issue(result: ValidationResult) -> Issue:
    assert result.case is not None
    line, column = result.case.doc.position(("id",))
    return Issue(
        display_path(result.path), line, column, "case-exists", Severity.ERROR,
        f"a different case `{result.case.case_id}` is already in the store.",
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
    results = validate_all(case_files(cases_dir))
    claims = claim_quads(claims_dir)
    report = write_cases(store, results)
    report.ontology_updated = sync_ontology(store, ontology_dir)
    report.claims_updated = write_claims(store, claims)
    return report


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
