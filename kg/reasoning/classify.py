"""Classify case profiles against the Bohan and Peter OWL classes with HermiT or Pellet.

Each distinct profile is written as an OWL class, not as individuals: a profile's facts form a tree
rooted at the case (findings, labs and investigations, each reached once), and such a tree "rolls
up" into one class expression, ``Case ⊓ ∃hasFinding.(ObservedFinding ⊓ HP_x) ⊓ ...``. A profile
class ``P ⊑ expression`` is then subsumed by a criteria class exactly when an individual with those
facts would be an instance of it (Horrocks, Sattler, Tessaris and Tobies 2000, "rolling-up"), so the
reasoner does the same work, HPO hierarchy included. Classes are classified independently, so the
cost grows with the number of distinct profiles, whereas realising individuals costs a pass over
the whole ABox per instance check: 100 profiles took 30 s as individuals and 3 s as classes, 971
profiles 9.6 s in one HermiT run (benchmarks/README.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from kg.rdf.vocab import BASE, KG, RDF, obo_iri
from kg.reasoning.bohan_peter import CRITERIA, DM_CLASSES, PM_CLASSES
from kg.reasoning.engine import Reasoner, ReasonerInfo, run_reasoner, superclasses_of, tbox_triples
from kg.reasoning.profiles import Profile

PROFILE_BASE = BASE + "profile/"
BATCH_SIZE = 2000  # profile classes per reasoner run: bounds the reasoner's memory
CLASSIFYING = tuple(CRITERIA.values()) + tuple(DM_CLASSES.values()) + tuple(PM_CLASSES.values())
# The criteria never mention tumour types, so OncoTree is left out of the reasoner's input.
SKIPPED_MODULES = ("oncotree.ttl",)
_OWL = "http://www.w3.org/2002/07/owl#"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_SUBCLASS_OF = NamedNode("http://www.w3.org/2000/01/rdf-schema#subClassOf")


@dataclass(frozen=True)
class Classification:
    """The OWL classes a profile was inferred to belong to, by which reasoner run."""

    classes: frozenset[str]
    reasoner: ReasonerInfo


class _Expressions:
    """Writes OWL class expressions as triples (blank nodes, as OWL's RDF mapping has them)."""

    def __init__(self) -> None:
        self.triples: list[Triple] = []

    def _list(self, items: list[NamedNode | BlankNode]) -> BlankNode:
        head = node = BlankNode()
        for index, item in enumerate(items):
            rest = BlankNode() if index < len(items) - 1 else NamedNode(_RDF + "nil")
            self.triples += [
                Triple(node, NamedNode(_RDF + "first"), item),
                Triple(node, NamedNode(_RDF + "rest"), rest),
            ]
            node = rest  # type: ignore[assignment]
        return head

    def all_of(self, parts: list[NamedNode | BlankNode]) -> NamedNode | BlankNode:
        if len(parts) == 1:
            return parts[0]
        node = BlankNode()
        members = self._list(parts)
        self.triples += [
            Triple(node, RDF.type, NamedNode(_OWL + "Class")),
            Triple(node, NamedNode(_OWL + "intersectionOf"), members),
        ]
        return node

    def restriction(
        self, prop: NamedNode, kind: str, filler: NamedNode | BlankNode | Literal
    ) -> BlankNode:
        node = BlankNode()
        self.triples += [
            Triple(node, RDF.type, NamedNode(_OWL + "Restriction")),
            Triple(node, NamedNode(_OWL + "onProperty"), prop),
            Triple(node, NamedNode(_OWL + kind), filler),
        ]
        return node

    def finding(self, term: str) -> NamedNode | BlankNode:
        return self.all_of([KG.ObservedFinding, obo_iri(term)])


def profile_class_triples(profile: Profile, iri: str) -> Iterator[Triple]:
    """Write one profile as a class ``iri ⊑ Case ⊓ ∃hasFinding.(ObservedFinding ⊓ term) ⊓ ...``.

    The expression is the profile's facts rolled up from the case: one existential per finding, per
    raised enzyme (a lab result with its LOINC code and interpretation) and per investigation with
    its result findings; the same facts :mod:`kg.reasoning.profiles` keeps.
    """
    out = _Expressions()
    parts: list[NamedNode | BlankNode] = [KG.Case]
    parts += [
        out.restriction(KG.hasFinding, "someValuesFrom", out.finding(t)) for t in profile.findings
    ]
    for loinc in profile.raised_enzymes:
        code = out.restriction(KG.loincCode, "hasValue", Literal(loinc))
        raised = out.restriction(KG.interpretation, "hasValue", Literal("high"))
        lab = out.all_of([KG.LabResult, code, raised])
        parts.append(out.restriction(KG.hasLabResult, "someValuesFrom", lab))
    for kind, results in (
        (KG.Electromyography, profile.emg_results),
        (KG.MuscleBiopsy, profile.biopsy_results),
    ):
        for terms in results:
            found = [
                out.restriction(KG.hasResultFinding, "someValuesFrom", out.finding(t))
                for t in terms
            ]
            parts.append(
                out.restriction(KG.hasInvestigation, "someValuesFrom", out.all_of([kind, *found]))
            )
    cls = NamedNode(iri)
    yield Triple(cls, RDF.type, NamedNode(_OWL + "Class"))
    yield Triple(cls, _SUBCLASS_OF, out.all_of(parts))
    yield from out.triples


def classify_profiles(profiles: list[Profile], reasoner: Reasoner) -> dict[Profile, Classification]:
    """Classify every profile as a class, in batches, and return the criteria classes above each.

    :param profiles: distinct profiles.
    :param reasoner: hermit or pellet.
    :raises ReasonerError: when the reasoner fails or finds the input inconsistent.
    """
    tbox = tbox_triples(skip=SKIPPED_MODULES)
    wanted = {getattr(KG, name).value: name for name in CLASSIFYING}
    result: dict[Profile, Classification] = {}
    for start in range(0, len(profiles), BATCH_SIZE):
        batch = profiles[start : start + BATCH_SIZE]
        iris = {f"{PROFILE_BASE}{start + i}": profile for i, profile in enumerate(batch)}
        classes = [t for iri, profile in iris.items() for t in profile_class_triples(profile, iri)]
        world, info = run_reasoner(tbox + classes, reasoner)
        for iri, profile in iris.items():
            above = superclasses_of(world, iri)
            result[profile] = Classification(
                frozenset(wanted[a] for a in above if a in wanted), info
            )
    return result


def most_specific(classes: frozenset[str]) -> str | None:
    """Return the most specific Bohan and Peter class among those inferred (DM before PM pattern).

    >>> most_specific(frozenset({"BPPossibleDermatomyositis", "BPProbableDermatomyositis"}))
    'BPProbableDermatomyositis'
    """
    for name in (*DM_CLASSES.values(), *PM_CLASSES.values()):
        if name in classes:
            return name
    return None
