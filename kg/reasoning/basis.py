"""What a case's inferred results are made from, so that a later run knows which cases to redo.

A case's results depend on its own graph and on what every case shares: the reasoner and its
version, the ontology files the reasoner reads, the code that reads the facts and applies the
criteria (this package, the terminology it canonicalises HPO terms with, kg/rdf, which gives the
vocabulary and writes the literals) and the HPO release. The run record carries a digest of the
shared part (``kg:basisDigest``), and each case's results a digest of that basis and of the
checksum of the file the case was built from (``kg:inputsDigest``). A later run with the same
basis keeps the results of every case whose inputs digest still matches, without reading its
facts: they would come out the same.

The file checksum stands for the case graph because case graphs are written only from files (`kg
build`, `kg add`) or restored with their checksum (`kg load` of a dump `kg dump` wrote). A store
whose case graphs were edited by other means (SPARQL updates by hand, a dump edited before
loading), or rebuilt from unchanged files by a new version of the converter, needs `kg reason
--all`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pyoxigraph import Literal, NamedNode, Quad, QuerySolutions

from kg.catalog import ontology_checksum
from kg.rdf.vocab import INFERRED_GRAPH, KG
from kg.store.base import Store
from kg.terminology.hpo import load_hpo

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
    parts = (reasoner, version, ontology_checksum(), code_digest(), load_hpo().release)
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def inputs_digest(basis: str, checksum: str) -> str:
    """The digest of what one case's results are made from: the basis and its file's checksum.

    >>> inputs_digest("b", "c") == inputs_digest("b", "c") != inputs_digest("b", "d")
    True
    """
    return hashlib.sha256(f"{basis}\n{checksum}".encode()).hexdigest()


def inputs_quad(case: str, digest: str) -> Quad:
    """The quad recording what a case's results were made from (part of its results)."""
    return Quad(NamedNode(case), KG.inputsDigest, Literal(digest), INFERRED_GRAPH)


def case_checksums(store: Store) -> dict[str, str]:
    """The checksum of the file each case was built from, by case IRI (one query for all)."""
    rows = _select(
        store,
        f"SELECT ?case ?sum WHERE {{ GRAPH ?case {{ ?case a {KG.Case} ; "
        f"{KG.sourceChecksum} ?sum }} }}",
    )
    return {row["case"].value: row["sum"].value for row in rows}  # type: ignore[union-attr]


@dataclass(frozen=True)
class RunPlan:
    """What a run starts from: its basis, each case's inputs digest, the cases it can keep."""

    basis: str
    inputs: dict[str, str]  # case IRI -> inputs digest, for every case built from a file
    kept: frozenset[str]  # cases whose results were made from these inputs


def plan_run(store: Store, cases: Iterable[str], basis: str, *, reuse: bool = True) -> RunPlan:
    """Work out each case's inputs digest and which cases' results were made from it.

    None is kept unless the graph's run record has this basis: the record is written last, so a
    run that stopped part-way leaves the record of the run before it, and results written by the
    stopped run under another basis carry that basis in their inputs digest. A first run's bulk
    writes can leave a case half written, but such a run leaves no run record at all.

    :param reuse: ``False`` keeps no case, so that every case is reasoned about again.
    """
    checksums = case_checksums(store)
    inputs = {case: inputs_digest(basis, checksums[case]) for case in cases if case in checksums}
    if not reuse or not _has_basis(store, basis):
        return RunPlan(basis, inputs, frozenset())
    recorded = _recorded_inputs(store)
    kept = frozenset(case for case, digest in inputs.items() if recorded.get(case) == digest)
    return RunPlan(basis, inputs, kept)


def _has_basis(store: Store, basis: str) -> bool:
    rows = _select(
        store,
        f"SELECT ?run WHERE {{ GRAPH {INFERRED_GRAPH} {{ ?run a {KG.ReasonerRun} ; "
        f"{KG.basisDigest} {Literal(basis)} }} }} LIMIT 1",
    )
    return any(True for _ in rows)


def _recorded_inputs(store: Store) -> dict[str, str]:
    rows = _select(
        store,
        f"SELECT ?case ?digest WHERE {{ GRAPH {INFERRED_GRAPH} {{ ?case {KG.inputsDigest} "
        "?digest } }",
    )
    return {row["case"].value: row["digest"].value for row in rows}  # type: ignore[union-attr]


def _select(store: Store, sparql: str) -> QuerySolutions:
    result = store.query(sparql)
    assert isinstance(result, QuerySolutions)
    return result
