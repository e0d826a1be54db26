"""Contradictory data makes `kg reason` report an inconsistency and change nothing.

Each test writes the founding case with one contradiction injected straight into the store (the
case-file validator would refuse these files, so they are built as quads), then reasons.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, Quad

from kg.build import build_graph
from kg.paths import CASES_DIR
from kg.rdf.vocab import KG, RDF, XSD, case_graph, case_node, obo_iri
from kg.reasoning.consistency import Inconsistency
from kg.reasoning.reason import reason
from kg.store import EmbeddedStore
from tests.conftest import FOUNDING_CASE

pytestmark = pytest.mark.java
GRAPH = case_graph(FOUNDING_CASE)


def _node(*path: str) -> NamedNode:
    return case_node(FOUNDING_CASE, *path)


def observed_and_excluded() -> list[Quad]:
    # the paper says "no neck or truncal weakness" at the acute presentation; add neck flexor
    # weakness (an HPO descendant of neck muscle weakness) observed at the same event
    finding = _node("findings", "injected-neck-flexor-weakness")
    return [
        Quad(GRAPH, KG.hasFinding, finding, GRAPH),
        Quad(finding, RDF.type, KG.ObservedFinding, GRAPH),
        Quad(finding, RDF.type, obo_iri("HP:0003722"), GRAPH),
        Quad(finding, KG.phenotype, obo_iri("HP:0003722"), GRAPH),
        Quad(finding, KG.atEvent, _node("event", "acute-presentation"), GRAPH),
    ]


def biopsy_not_done_but_abnormal() -> list[Quad]:
    result = _node("findings", "injected-biopsy-necrosis")
    biopsy = _node("investigations", "muscle-biopsy")
    return [
        Quad(biopsy, KG.hasResultFinding, result, GRAPH),
        Quad(result, RDF.type, KG.ObservedFinding, GRAPH),
        Quad(result, RDF.type, obo_iri("HP:0003713"), GRAPH),
        Quad(result, KG.phenotype, obo_iri("HP:0003713"), GRAPH),
    ]


def antibody_positive_and_negative() -> list[Quad]:
    test = _node("antibodies", "injected-jo-1-positive")
    return [
        Quad(GRAPH, KG.hasAntibodyResult, test, GRAPH),
        Quad(test, RDF.type, KG.AntibodyResult, GRAPH),
        Quad(test, KG.testedFor, KG.AntiJo1Antibody, GRAPH),
        Quad(test, KG.antibodyResult, Literal("positive"), GRAPH),
        Quad(test, KG.atEvent, _node("event", "dm-diagnosis"), GRAPH),
    ]


def event_before_birth() -> list[Quad]:
    # she was 43 at the timeline origin here; an event 60 years (21,900 days) earlier is impossible
    event = _node("event", "injected-ancient-event")
    patient = _node("patient")
    return [
        Quad(patient, KG.ageAt, _node("event", "lms-diagnosis"), GRAPH),
        Quad(GRAPH, KG.hasEvent, event, GRAPH),
        Quad(event, RDF.type, KG.TimelineEvent, GRAPH),
        Quad(event, KG.eventLabel, Literal("injected event sixty years before diagnosis"), GRAPH),
        Quad(event, KG.latestDay, Literal("-21900", datatype=XSD.integer), GRAPH),
    ]


KINDS: dict[str, tuple[Callable[[], list[Quad]], str, str]] = {
    # kind: (injected quads, a fact the explanation must name, an axiom term it must name)
    "observed-and-excluded": (
        observed_and_excluded,
        "injected-neck-flexor-weakness",
        "ObservedFinding",
    ),
    "biopsy-not-done-but-abnormal": (
        biopsy_not_done_but_abnormal,
        "HP:0003713",
        "InvestigationNotDone",
    ),
    "antibody-positive-and-negative": (
        antibody_positive_and_negative,
        "AntiJo1Antibody",
        "NegativeAntibodyResult",
    ),
    "event-before-birth": (event_before_birth, "injected-ancient-event", "latestDay"),
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_contradiction_is_reported_and_nothing_changes(tmp_path: Path, kind: str) -> None:
    store = EmbeddedStore(tmp_path / "store")
    build_graph(store, CASES_DIR)
    quads, fact, axiom = KINDS[kind]
    original = list(store.quads(GRAPH))
    if kind == "event-before-birth":
        original = [q for q in original if q.predicate != KG.ageAt]
    store.replace_graph(GRAPH, original + quads())
    before = sorted(str(q) for q in store.quads())
    with pytest.raises(Inconsistency) as caught:
        reason(store, "hermit")
    message = str(caught.value)
    assert FOUNDING_CASE in message
    assert fact in message, message
    assert axiom in message, message
    assert sorted(str(q) for q in store.quads()) == before
