"""Classify case profiles against the Bohan and Peter OWL classes with HermiT or Pellet.

Each distinct profile becomes one individual with its own nodes (no shared individuals, which would
tie profiles into one reasoning block), and profiles are reasoned in fixed-size batches, so the
reasoner's cost grows linearly with the number of distinct profiles.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from pyoxigraph import Literal, NamedNode, Triple

from kg.rdf.vocab import BASE, KG, RDF, obo_iri
from kg.reasoning.bohan_peter import CRITERIA, DM_CLASSES, PM_CLASSES
from kg.reasoning.engine import Reasoner, ReasonerInfo, instances_of, run_reasoner, tbox_triples
from kg.reasoning.profiles import Profile

PROFILE_BASE = BASE + "profile/"
BATCH_SIZE = 100
CLASSIFYING = tuple(CRITERIA.values()) + tuple(DM_CLASSES.values()) + tuple(PM_CLASSES.values())
# The criteria never mention tumour types, so the OncoTree component is left out of the reasoner's input.
SKIPPED_MODULES = ("oncotree.ttl",)


@dataclass(frozen=True)
class Classification:
    """The OWL classes a profile was inferred to belong to, by which reasoner run."""

    classes: frozenset[str]
    reasoner: ReasonerInfo


def profile_triples(profile: Profile, iri: str) -> Iterator[Triple]:
    """Write one profile as an individual of kg:Case with its own finding, lab and test nodes."""
    node = NamedNode(iri)
    yield Triple(node, RDF.type, KG.Case)
    for index, term in enumerate(profile.findings):
        yield from _finding(node, KG.hasFinding, NamedNode(f"{iri}/finding/{index}"), term)
    for index, loinc in enumerate(profile.raised_enzymes):
        lab = NamedNode(f"{iri}/lab/{index}")
        yield Triple(node, KG.hasLabResult, lab)
        yield Triple(lab, RDF.type, KG.LabResult)
        yield Triple(lab, KG.loincCode, Literal(loinc))
        yield Triple(lab, KG.interpretation, Literal("high"))
    for kind, name, results in (
        ("emg", KG.Electromyography, profile.emg_results),
        ("biopsy", KG.MuscleBiopsy, profile.biopsy_results),
    ):
        for index, terms in enumerate(results):
            test = NamedNode(f"{iri}/{kind}/{index}")
            yield Triple(node, KG.hasInvestigation, test)
            yield Triple(test, RDF.type, name)
            for j, term in enumerate(terms):
                yield from _finding(
                    test, KG.hasResultFinding, NamedNode(f"{iri}/{kind}/{index}/result/{j}"), term
                )


def _finding(owner: NamedNode, link: NamedNode, finding: NamedNode, term: str) -> Iterator[Triple]:
    yield Triple(owner, link, finding)
    yield Triple(finding, RDF.type, KG.ObservedFinding)
    yield Triple(finding, RDF.type, obo_iri(term))


def classify_profiles(profiles: list[Profile], reasoner: Reasoner) -> dict[Profile, Classification]:
    """Classify every profile, in batches, and return the classes each belongs to.

    :param profiles: distinct profiles.
    :param reasoner: hermit or pellet.
    :raises ReasonerError: when the reasoner fails or finds the input inconsistent.
    """
    tbox = tbox_triples(skip=SKIPPED_MODULES)
    result: dict[Profile, Classification] = {}
    for start in range(0, len(profiles), BATCH_SIZE):
        batch = profiles[start : start + BATCH_SIZE]
        iris = {f"{PROFILE_BASE}{start + i}": profile for i, profile in enumerate(batch)}
        abox = [t for iri, profile in iris.items() for t in profile_triples(profile, iri)]
        world, info = run_reasoner(tbox + abox, reasoner)
        members = {name: instances_of(world, getattr(KG, name).value) for name in CLASSIFYING}
        for iri, profile in iris.items():
            classes = frozenset(name for name, found in members.items() if iri in found)
            result[profile] = Classification(classes, info)
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
