"""What a case's inferred results are made from, so that a later run knows which cases to redo.

A case's results depend on its own graph and on what every case shares: the reasoner and its
version, the ontology files the reasoner reads, the code that reads the facts and applies the
criteria (this package, the terminology it canonicalises HPO terms with, kg/rdf, which gives the
vocabulary and writes the literals) and the HPO release. The run record carries a digest of the
shared part (``kg:basisDigest``), and each case's results record that basis (``kg:inputsBasis``)
and the checksum of the file the case was built from (``kg:inputsChecksum``, the very literal its
graph gives as ``kg:sourceChecksum``). A later run with the same basis keeps the results of every
case whose two records still match, without reading its facts: they would come out the same.

The two records are terms the store can compare without spelling them out: one query joins each
case's checksum with its results' records and returns only the cases that differ. Reading every
case's checksum and digest back instead cost 14 s at 100,000 cases, almost all of it the store
decoding 200,000 long strings one by one (benchmarks/README.md).

The file checksum stands for the case graph because case graphs are written only from files (`kg
build`, `kg add`) or restored with their checksum (`kg load` of a dump `kg dump` wrote). A store
whose case graphs were edited by other means (SPARQL updates by hand, a dump edited before
loading), or rebuilt from unchanged files by a new version of the converter, needs `kg reason
--all`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pyoxigraph import Literal, QuerySolutions

from kg.catalog import ontology_checksum
from kg.rdf.vocab import INFERRED_GRAPH, KG
from kg.reasoning.statements import Statement, iri, statement, text, unique_text
from kg.store.base import Store
from kg.terminology.hpo import hpo_release

_PACKAGE = Path(__file__).resolve().parent.parent  # kg/
# The code a case's results depend on: a change to any of these files may change them (kg/rdf
# also writes the results' literals).
_CODE = ("reasoning/**/*.py", "reasoning/**/*.rq", "terminology/*.py", "rdf/*.py")


@cache
def code_digest(package: Path = _PACKAGE) -> str:
    """SHA-256 over the reasoning code's files, by path relative to the package, in path order.

    >>> len(code_digest())
    64
    """
    files = sorted({path for pattern in _CODE for path in package.glob(pattern)})
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def basis_digest(reasoner: str, version: str) -> str:
    """The digest of what every case's results depend on besides the case itself."""
    parts = (reasoner, version, ontology_checksum(), code_digest(), hpo_release())
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


INPUTS_PREDICATES = (KG.inputsChecksum, KG.inputsBasis)


def inputs_statements(case: str, basis: str, checksum: str) -> list[Statement]:
    """The quads recording what a case's results were made from (part of its results), as
    statements (:mod:`kg.reasoning.statements`)."""
    node = iri(case)
    return [
        statement(node, KG.inputsChecksum, unique_text(checksum)),
        statement(node, KG.inputsBasis, text(basis)),
    ]


@dataclass(frozen=True)
class RunPlan:
    """What a run starts from: its basis, how many cases the store holds, which to reason about."""

    basis: str
    cases: int  # cases in the store
    todo: list[str]  # cases to reason about, sorted; the others keep their results
    checksums: dict[str, str]  # case IRI -> file checksum, for the cases to do built from a file

    @property
    def kept(self) -> int:
        """How many cases keep the results made from their present inputs."""
        return self.cases - len(self.todo)

    def inputs(self, case: str) -> list[Statement]:
        """What a case's new results are made from, where its file is known."""
        checksum = self.checksums.get(case)
        return [] if checksum is None else inputs_statements(case, self.basis, checksum)


def plan_run(store: Store, basis: str, *, reuse: bool = True) -> RunPlan:
    """Find the cases whose results were not made from their present inputs under this basis.

    None is kept unless the graph's run record has this basis: the record is written last, so a
    run that stopped part-way leaves the record of the run before it, and results written by the
    stopped run under another basis record that basis. A first run's bulk writes can leave a
    case half written, but such a run leaves no run record at all. A case without a file
    checksum (its graph written by other means) is never kept.

    :param reuse: ``False`` keeps no case, so that every case is reasoned about again.
    """
    keep = reuse and _has_basis(store, basis)
    checksums = _checksums_to_redo(store, basis if keep else None)
    unfiled = _cases_without_checksum(store)
    todo = sorted({*checksums, *unfiled})
    return RunPlan(basis, count_cases(store), todo, checksums)


def count_cases(store: Store) -> int:
    """How many cases the store holds (counted by the store: no IRI is spelled out)."""
    count = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?case {{ ?case a {KG.Case} }} }}"
    rows = _select(store, count)
    return int(next(iter(rows))["n"].value)  # type: ignore[union-attr]


def _checksums_to_redo(store: Store, basis: str | None) -> dict[str, str]:
    """The file checksum of each case whose results were not made from it under ``basis``
    (``None``: of every case).

    A case is redone when its checksum record or its basis record differs: two anti-joins
    (MINUS) on the stored terms, one per record, in a UNION. Both records in one MINUS took
    2.2 to 3.3 s at 100,000 cases with every case kept, against 0.65 to 0.71 s. The cases'
    type is joined after the anti-joins, since Oxigraph 0.5 evaluates that join case by case.
    """
    source = f"GRAPH ?case {{ ?case {KG.sourceChecksum} ?sum }}"
    if basis is None:
        differ = source
    else:
        records = (f"{KG.inputsChecksum} ?sum", f"{KG.inputsBasis} {Literal(basis)}")
        differ = " UNION ".join(
            f"{{ {source} MINUS {{ GRAPH {INFERRED_GRAPH} {{ ?case {record} }} }} }}"
            for record in records
        )
    rows = _select(
        store,
        f"SELECT ?case ?sum WHERE {{ {{ SELECT ?case ?sum WHERE {{ {differ} }} }} "
        f"GRAPH ?case {{ ?case a {KG.Case} }} }}",
    )
    return {row["case"].value: row["sum"].value for row in rows}  # type: ignore[union-attr]


def _cases_without_checksum(store: Store) -> list[str]:
    rows = _select(
        store,
        f"SELECT ?case WHERE {{ GRAPH ?case {{ ?case a {KG.Case} }} "
        f"MINUS {{ GRAPH ?case {{ ?case {KG.sourceChecksum} ?sum }} }} }}",
    )
    return [row["case"].value for row in rows]  # type: ignore[union-attr]


def _has_basis(store: Store, basis: str) -> bool:
    rows = _select(
        store,
        f"SELECT ?run WHERE {{ GRAPH {INFERRED_GRAPH} {{ ?run a {KG.ReasonerRun} ; "
        f"{KG.basisDigest} {Literal(basis)} }} }} LIMIT 1",
    )
    return any(True for _ in rows)


def _select(store: Store, sparql: str) -> QuerySolutions:
    result = store.query(sparql)
    assert isinstance(result, QuerySolutions)
    return result
