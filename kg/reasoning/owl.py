"""Check whole ontology files for consistency and unsatisfiable classes, with HermiT or Pellet.

A class that can have no instance (an unsatisfiable class) makes every finding typed with it
absurd, and an inconsistent ontology makes every inference meaningless, so the merged ontology
(kg-edit.ttl with the OncoTree component and the HPO import) is checked as files, the way Protégé
and ROBOT see it. owlready2 itself is driven by :mod:`kg.reasoning.engine`, still the only module
that imports it; this module reads the Turtle files, resolves imports through the catalog, and
turns failures into :class:`~kg.errors.ReasonerError` messages that name the input files.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pyoxigraph import RdfFormat, Triple, parse

from kg.catalog import ontology_files as _catalog_files
from kg.errors import KgError, ReasonerError
from kg.paths import PROJECT_ROOT
from kg.reasoning.engine import (
    REASONERS,
    ConsistencyReport,
    InconsistentOntology,
    Reasoner,
    ReasonerInfo,
    run_reasoner,
)

__all__ = ["REASONERS", "ConsistencyReport", "ReasonerInfo", "check_consistency", "ontology_files"]

OWL_IMPORTS = "http://www.w3.org/2002/07/owl#imports"
OWL_NOTHING = "http://www.w3.org/2002/07/owl#Nothing"


def ontology_files(root: Path = PROJECT_ROOT) -> list[Path]:
    """Return the merged ontology's files: ``ontology/kg-edit.ttl`` and, through
    ``ontology/catalog-v001.xml``, every file it imports (transitively).

    :param root: the project root.
    :returns: kg-edit.ttl first, then the imported modules.
    :raises ReasonerError: when the catalog is missing, or an import has no entry or no file.
    """
    try:
        return _catalog_files(root / "ontology")
    except KgError as error:
        raise ReasonerError(str(error)) from error


def check_consistency(
    ontology_files: Sequence[Path], reasoner: Reasoner = "hermit"
) -> ConsistencyReport:
    """Run a reasoner over the union of some Turtle files.

    ``owl:imports`` are dropped (the files are already the closure; owlready2 would otherwise
    try to fetch the import IRIs from the web).

    :param ontology_files: Turtle files, e.g. :func:`ontology_files`.
    :param reasoner: ``hermit`` or ``pellet``.
    :returns: consistent (no unsatisfiable class), the unsatisfiable class IRIs (sorted), and
        the reasoner's name, version and seconds.
    :raises ReasonerError: when the files are inconsistent, cannot be parsed, or Java fails;
        the message lists the files.
    """
    if reasoner not in REASONERS:
        raise ReasonerError(f"unknown reasoner {reasoner!r}; use one of {', '.join(REASONERS)}")
    triples = read_triples(ontology_files)
    listed = _list_files(ontology_files)
    try:
        world, info = run_reasoner(triples, reasoner)
    except InconsistentOntology as error:
        raise ReasonerError(
            f"{reasoner}: the ontology is inconsistent (no model exists).\n"
            f"input files:\n{listed}\n{error.explanation}".rstrip()
        ) from None
    except ReasonerError as error:
        raise ReasonerError(f"{error}\ninput files:\n{listed}") from None
    except OSError as error:
        raise ReasonerError(
            f"{reasoner}: cannot start Java: {error}\ninput files:\n{listed}"
        ) from None
    unsatisfiable = sorted(
        str(cls.iri)
        for cls in world.inconsistent_classes()  # type: ignore[attr-defined]
        if str(cls.iri) != OWL_NOTHING
    )
    return ConsistencyReport(not unsatisfiable, tuple(unsatisfiable), info)


def read_triples(files: Sequence[Path]) -> list[Triple]:
    """Parse Turtle files into one list of triples, without ``owl:imports``.

    :raises ReasonerError: naming the file and line of a syntax error, or a missing file.
    """
    triples: list[Triple] = []
    for path in files:
        try:
            with path.open("rb") as handle:
                parsed = parse(handle, RdfFormat.TURTLE, base_iri=path.as_uri())
                triples += [t for t in parsed if t.predicate.value != OWL_IMPORTS]
        except OSError as error:
            raise ReasonerError(f"{path}: cannot read the ontology file: {error}") from error
        except SyntaxError as error:
            raise ReasonerError(f"{path}:{error.lineno}: not valid Turtle: {error.msg}") from error
    return triples


def _list_files(files: Sequence[Path]) -> str:
    return "\n".join(f"  {path}" for path in files)
