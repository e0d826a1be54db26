"""The cases in the store, as curators handle them: add a batch of files, remove, list, profile.

Adding is where the promises to curators are kept: a batch is validated whole before anything is
written (one bad file adds nothing, and every problem is reported), an unchanged file changes
nothing, a different case under an existing id needs ``replace``, each case records who added it
from which file with which checksum, and likely duplicates are reported for review, never merged.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Protocol

from pyoxigraph import NamedNode, QuerySolutions

from kg.build import (
    BuildReport,
    apply_plan,
    arrived_graphs,
    case_files,
    plan_writes,
    recover_interrupted_load,
    repeated_ids,
    summary_before,
)
from kg.curation.duplicates import (
    AGE_TOLERANCE_YEARS,
    CaseProfile,
    LikelyDuplicate,
    find_likely_duplicates,
)
from kg.curation.validate import ValidationResult, validate_file
from kg.errors import CaseFileError, StoreError
from kg.issues import Issue, Severity, display_path
from kg.paths import internal_query
from kg.prepare import PreparedCase, prepare_files
from kg.rdf.vocab import KG, ONCOTREE_BASE, case_graph, oncotree_iri
from kg.store.base import QueryResult, Store
from kg.store.sparql_text import with_graph_batches
from kg.summary_update import read_before, update_summary
from kg.tumour_summary import invalidate_summary

PROFILE_BATCH = 250  # tumour types named per query of the duplicate check


class CaseNotFound(StoreError):
    """The store holds no case with the id asked for."""


class ProgressSink(Protocol):
    """Receives progress of a long batch, so a command line can draw a bar (or not)."""

    def start(self, stage: str, total: int) -> None:
        """A stage (``validate`` or ``write``) begins with this many items."""

    def advance(self, stage: str) -> None:
        """One more item of the stage is done."""


class _Silent:
    def start(self, stage: str, total: int) -> None:
        """Ignore progress."""

    def advance(self, stage: str) -> None:
        """Ignore progress."""


@dataclass
class AddReport:
    """What an add did: the build report, the files read, and likely duplicates to review."""

    build: BuildReport
    files: int
    duplicates: list[Issue] = field(default_factory=list)


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Turn files and folders into the list of case files they name, in order, without repeats.

    :param paths: case files, or folders whose ``*.yaml`` files are cases.
    :returns: the case files.
    :raises CaseFileError: when a path does not exist or a folder holds no case file.
    """
    found: dict[Path, None] = {}
    for path in paths:
        if path.is_dir():
            inside = case_files(path)
            if not inside:
                raise CaseFileError(f"{path}: the folder holds no case file (*.yaml)")
            found.update(dict.fromkeys(inside))
        elif path.exists():
            found[path] = None
        else:
            raise CaseFileError(f"{path}: no such file or folder")
    return list(found)


def validate_paths(
    files: list[Path], progress: ProgressSink | None = None
) -> list[ValidationResult]:
    """Validate a batch of files, with the batch rule that no two files share a case id.

    :param files: the case files.
    :param progress: told about each file validated.
    :returns: one result per file; batch problems are added to the file they are about.
    """
    sink = progress or _Silent()
    sink.start("validate", len(files))
    results = []
    for path in files:
        results.append(validate_file(path))
        sink.advance("validate")
    for issue in repeated_ids([PreparedCase.from_result(r) for r in results if r.case]):
        next(r for r in results if display_path(r.path) == issue.path).issues.append(issue)
    return results


def check_paths(files: list[Path], progress: ProgressSink | None = None) -> list[PreparedCase]:
    """Validate files as a build does, on every core, keeping only what a report needs.

    Unlike :func:`validate_paths` nothing stays in memory but each file's issues (the converted
    quads go to a spool that is removed), so a folder of any size can be checked.

    :param files: the case files.
    :param progress: told about each file validated.
    :returns: one result per file, in order; batch problems are added to the file they are about.
    """
    sink = progress or _Silent()
    sink.start("validate", len(files))
    with tempfile.TemporaryDirectory(prefix="kg-validate-") as spool:
        prepared = prepare_files(files, Path(spool), lambda _: sink.advance("validate"))
    by_path = {display_path(item.path): item for item in prepared}
    for issue in repeated_ids([item for item in prepared if item.case_id]):
        by_path[issue.path].issues.append(issue)
    return prepared


def add_cases(
    store: Store, files: list[Path], *, replace: bool = False, progress: ProgressSink | None = None
) -> AddReport:
    """Validate a batch of case files and add it to the store: all files, or none.

    :param store: where to add the cases.
    :param files: the case files (see :func:`expand_paths`).
    :param replace: allow a changed file to replace the stored case of the same id.
    :param progress: told about each file validated and each case written.
    :returns: what was added, replaced and left unchanged, and likely duplicates to review.
    :raises InvalidCases: when any file has an error or would replace a case without ``replace``;
        nothing is written then.
    """
    sink = progress or _Silent()
    results = validate_paths(files, sink)
    recover_interrupted_load(store)
    plan = plan_writes(store, [PreparedCase.from_result(r) for r in results], replace=replace)
    incoming = {r.case.case_id: r for r in plan.pending if r.case is not None}
    profiles = [CaseProfile.from_case(r.case) for r in incoming.values() if r.case]
    candidates = candidate_profiles(store, profiles)  # before writing: new against stored
    pairs = find_likely_duplicates(profiles, candidates)
    before = summary_before(store, plan)  # read before the writes drop it
    sink.start("write", len(plan.pending))
    apply_plan(store, plan, on_written=lambda _: sink.advance("write"))
    update_summary(store, before, arrived_graphs(plan))
    return AddReport(plan.report, len(files), [duplicate_issue(p, incoming) for p in pairs])


def duplicate_issue(pair: LikelyDuplicate, files: dict[str, PreparedCase]) -> Issue:
    """Report a likely duplicate at the patient of the incoming case (a warning: never blocks).

    :param pair: the two cases.
    :param files: the incoming cases' validation results, by case id.
    """
    incoming = files.get(pair.second.case_id) or files[pair.first.case_id]
    assert incoming.case is not None
    line, column = incoming.case.doc.position(("patient",), key=True)
    return Issue(
        display_path(incoming.path), line, column, "likely-duplicate", Severity.WARNING,
        pair.describe() + ".",
        "review both papers; if they describe one patient, keep the primary report and mark the "
        "other `report: type: secondary` with `primary_reference:`.",
    )  # fmt: skip


def candidate_profiles(store: Store, incoming: Iterable[CaseProfile]) -> list[CaseProfile]:
    """Return the profiles of the stored cases that could pair with an incoming case.

    A likely duplicate shares the sex, a tumour type and the age within a year
    (:func:`~kg.curation.duplicates.compare`), so only stored cases of the incoming tumour
    types are looked at, and only those of a matching sex and age are profiled. Reading every
    stored profile instead made adding one case to 11,500 take 11 of its 14 seconds, in
    proportion to the store (benchmarks/README.md).
    """
    wanted: dict[tuple[str, str], list[float]] = defaultdict(list)  # (sex, tumour) -> ages
    for profile in incoming:
        if profile.age is not None and profile.sex != "unknown":
            for tumour in profile.tumours:
                wanted[(profile.sex, tumour)].append(float(profile.age))
    tumours = sorted({tumour for _, tumour in wanted})
    graphs: set[str] = set()
    for start in range(0, len(tumours), PROFILE_BATCH):
        for row in _solutions(store.query(_typed_cases(tumours[start : start + PROFILE_BATCH]))):
            ages = wanted.get((str(row["sex"].value), str(row["tumour"].value)), [])
            age = float(Decimal(row["age"].value))
            if any(abs(age - other) <= AGE_TOLERANCE_YEARS for other in ages):
                graphs.add(row["graph"].value)
    return stored_profiles(store, [NamedNode(graph) for graph in sorted(graphs)])


def _typed_cases(tumours: list[str]) -> str:
    """A query for the stored cases with a neoplasm of one of these OncoTree codes, with the
    patient's sex and age.

    The sex is compared here, not in the query: bound in the query, it made Oxigraph start
    from every patient of that sex (0.5 s at 11,500 cases, against 5 ms from the types).
    """
    types = " ".join(str(oncotree_iri(code)) for code in tumours)
    return f"""SELECT DISTINCT ?graph ?tumour ?sex ?age WHERE {{
  VALUES ?tumourType {{ {types} }}
  GRAPH ?graph {{
    ?neoplasm a ?tumourType .
    ?graph {KG.hasNeoplasm} ?neoplasm ; {KG.hasPatient} ?patient .
    ?patient {KG.sex} ?sex ; {KG.ageAtPresentation} ?age .
  }}
  BIND(STRAFTER(STR(?tumourType), "{ONCOTREE_BASE}") AS ?tumour)
}}"""


def stored_profiles(store: Store, graphs: Sequence[NamedNode] | None = None) -> list[CaseProfile]:
    """Return the duplicate-detection profile of every stored case that states an age, or of
    those in ``graphs`` only (read :data:`~kg.store.sparql_text.GRAPH_BATCH` at a time)."""
    text = internal_query("case-profiles")
    texts = [text] if graphs is None else with_graph_batches(text, graphs)
    rows: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    people: dict[str, tuple[str, float]] = {}
    for row in (row for query in texts for row in _solutions(store.query(query))):
        case_id = str(row["case"].value)
        people[case_id] = (str(row["sex"].value), float(Decimal(row["age"].value)))
        rows[case_id][str(row["kind"].value)].add(str(row["value"].value))
    return [
        CaseProfile(
            case_id,
            sex,
            age,
            frozenset(rows[case_id]["tumour"]),
            frozenset(rows[case_id]["finding"]),
            tuple(sorted(rows[case_id]["source"])),
        )
        for case_id, (sex, age) in sorted(people.items())
    ]


def _solutions(result: QueryResult) -> QuerySolutions:
    if not isinstance(result, QuerySolutions):
        raise StoreError("the store answered a SELECT query with something else")
    return result


def list_cases(store: Store) -> QueryResult:
    """Return one row per stored case: publication, patient, tumours, findings, provenance."""
    return store.query(internal_query("case-list"))


def remove_case(store: Store, case_id: str) -> None:
    """Remove one case (its named graph) from the store.

    :raises CaseNotFound: when the store holds no such case.
    """
    require_case(store, case_id)
    before = read_before(store, [case_graph(case_id)], 0)
    invalidate_summary(store)
    store.drop_graph(case_graph(case_id))
    update_summary(store, before, [])


def require_case(store: Store, case_id: str) -> None:
    """Check that the store holds a case.

    :raises CaseNotFound: when it does not; the message says how to see what it holds.
    """
    # one quad of the graph, not the list of every graph (1.7 s at 100,000 cases)
    probe = f"SELECT ?s WHERE {{ GRAPH {case_graph(case_id)} {{ ?s ?p ?o }} }} LIMIT 1"
    if not any(True for _ in _solutions(store.query(probe))):
        raise CaseNotFound(f"no case `{case_id}` in the store; `kg list` shows the stored cases")
