"""Contradictory data makes `kg reason` report an inconsistency and change nothing.

Each test writes the founding case with one contradiction injected straight into the store (the
case-file validator would refuse these files, so they are built as quads), then reasons.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, Quad, Triple

from kg.build import build_graph
from kg.paths import CASES_DIR
from kg.rdf.vocab import KG, RDF, XSD, case_graph, case_node, obo_iri
from kg.reasoning.classify import SKIPPED_MODULES
from kg.reasoning.consistency import (
    Inconsistency,
    Pattern,
    conflict_groups,
    conflict_patterns,
    failing_patterns,
    inconsistent_cases,
)
from kg.reasoning.engine import is_consistent, tbox_triples
from kg.reasoning.facts import CaseFacts, EventFact, FindingFact, Investigation
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


def _case(name: str, **fields: object) -> CaseFacts:
    return CaseFacts(case=f"https://example.org/{name}", case_id=name, **fields)  # type: ignore[arg-type]


def _finding(case: str, term: str, event: str, *, excluded: bool = False) -> FindingFact:
    node = f"https://example.org/{case}/{'excluded' if excluded else 'observed'}/{term}/{event}"
    return FindingFact(node, term, excluded, f"https://example.org/{case}/{event}")


def _events(case: str, **latest: int) -> dict[str, EventFact]:
    nodes = {name: f"https://example.org/{case}/{name}" for name in latest}
    return {nodes[n]: EventFact(nodes[n], day, day) for n, day in latest.items()}


JO1 = KG.AntiJo1Antibody.value


def pattern_corpus() -> tuple[dict[str, CaseFacts], set[str]]:
    """Cases with and without each kind of conflict, and the ones that must be inconsistent.

    HPO (hp.obo): neck flexor weakness (HP:0003722) is_a neck muscle weakness (HP:0000467);
    proximal muscle weakness (HP:0003701) is_a muscle weakness (HP:0001324), and not under neck
    muscle weakness.
    """
    cases = [
        # excluded neck muscle weakness, neck flexor weakness observed at the same event
        _case(
            "a",
            findings=[
                _finding("a", "HP:0000467", "e1", excluded=True),
                _finding("a", "HP:0003701", "e1"),
                _finding("a", "HP:0003722", "e1"),
            ],
        ),
        # the same terms, the descendant observed at another event: no conflict
        _case(
            "b",
            findings=[
                _finding("b", "HP:0000467", "e1", excluded=True),
                _finding("b", "HP:0003701", "e1"),
                _finding("b", "HP:0003722", "e2"),
            ],
        ),
        _case(
            "c",
            findings=[
                _finding("c", "HP:0001324", "e1", excluded=True),
                _finding("c", "HP:0003701", "e1"),
            ],
        ),
        _case("d", antibodies={(JO1, "positive", "e1"), (JO1, "negative", "e1")}),
        _case("e", antibodies={(JO1, "positive", "e1"), (JO1, "negative", "e2")}),
        _case("f", muscle_biopsy=[Investigation(False, "declined", frozenset({"HP:0003713"}))]),
        _case("g", muscle_biopsy=[Investigation(False, "declined", frozenset())]),
        # aged 43 at day 0: born on day -16,104 at the earliest (44 years of 366 days)
        _case(
            "h",
            age=43.0,
            age_event="https://example.org/h/e0",
            events=_events("h", e0=0, e1=-21900),
        ),
        _case(
            "i",
            age=43.0,
            age_event="https://example.org/i/e0",
            events=_events("i", e0=0, e1=-16104, e2=500),
        ),
    ]
    facts = {f.case: f for f in cases}
    return facts, {f"https://example.org/{name}" for name in "acdfh"}


def test_pattern_check_finds_exactly_the_inconsistent_cases() -> None:
    facts, expected = pattern_corpus()
    patterns = {p for f in facts.values() for p in conflict_patterns(f)}
    failing = failing_patterns(patterns, "hermit")
    assert set(inconsistent_cases(facts, failing)) == expected
    # the same verdicts as giving the reasoner each case's own facts, names and all
    tbox = tbox_triples(skip=SKIPPED_MODULES)
    for case, f in facts.items():
        abox = [Triple(NamedNode(case), RDF.type, KG.Case)]
        abox += list(dict.fromkeys(t for g in conflict_groups(f) for t in g.triples))
        assert is_consistent(tbox + abox, "hermit") == (case not in expected), case


def test_cases_with_one_pattern_share_one_check() -> None:
    # two cases whose exclusions differ only in names hold the same pattern
    one = _case(
        "x",
        findings=[
            _finding("x", "HP:0000467", "e1", excluded=True),
            _finding("x", "HP:0003722", "e1"),
        ],
    )
    two = _case(
        "y",
        findings=[
            _finding("y", "HP:0000467", "e9", excluded=True),
            _finding("y", "HP:0003722", "e9"),
        ],
    )
    assert (
        conflict_patterns(one)
        == conflict_patterns(two)
        == {Pattern("exclusion", ("HP:0000467", "HP:0003722"))}
    )
