"""Catch cases that contradict themselves, with the OWL reasoner as the judge.

For each case, the facts that could conflict are written as an ABox over the ontology's consistency
axioms:
- an excluded finding becomes a class assertion on the case: no observed finding of that HPO class
  (or a descendant) at the same event;
- an investigation not done may have no result finding (kg:InvestigationNotDone);
- results of one antibody at one event share one node, and positive and negative are disjoint;
- an event whose latest day lies before the earliest possible birth (age at an event) is refused
  by a datatype restriction on its latest day.
Facts that cannot take part in a conflict (a finding at an event with no exclusion, an antibody
tested once) are left out, and cases are checked in batches; a failing batch is split until the
culprit case is found, and Pellet then explains it: the facts and the axiom they break.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from kg.errors import ReasonerError
from kg.rdf.vocab import KG, RDF, XSD, obo_iri
from kg.reasoning.classify import SKIPPED_MODULES
from kg.reasoning.engine import InconsistentOntology, Reasoner, run_reasoner, tbox_triples
from kg.reasoning.facts import CaseFacts

OWL = "http://www.w3.org/2002/07/owl#"
BATCH_SIZE = 100
DAYS_PER_YEAR_MAX = 366


class Inconsistency(ReasonerError):
    """A case contradicts itself; the message names the case, the facts and the axiom."""

    def __init__(self, case_id: str, explanation: str) -> None:
        super().__init__(f"case {case_id} is inconsistent; nothing was written.\n{explanation}")
        self.case_id = case_id
        self.explanation = explanation


def _n(iri: str) -> NamedNode:
    return NamedNode(iri)


def _bnode() -> BlankNode:
    return BlankNode()


def _owl(term: str) -> NamedNode:
    return NamedNode(OWL + term)


def _list(items: list[NamedNode | BlankNode]) -> tuple[BlankNode, list[Triple]]:
    head = _bnode()
    node, triples = head, []
    rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    for index, item in enumerate(items):
        triples.append(Triple(node, NamedNode(rdf + "first"), item))
        nxt = _bnode() if index < len(items) - 1 else NamedNode(rdf + "nil")
        triples.append(Triple(node, NamedNode(rdf + "rest"), nxt))
        node = nxt  # type: ignore[assignment]
    return head, triples


def _exclusion_axiom(case: NamedNode, term: str, event: str) -> Iterator[Triple]:
    """case ∈ ∀hasFinding.¬(ObservedFinding ⊓ term ⊓ ∃atEvent.{event})."""
    nominal, at, conj, neg, univ = (_bnode() for _ in range(5))
    yield Triple(nominal, RDF.type, _owl("Class"))
    members, triples = _list([_n(event)])
    yield from triples
    yield Triple(nominal, _owl("oneOf"), members)
    yield Triple(at, RDF.type, _owl("Restriction"))
    yield Triple(at, _owl("onProperty"), KG.atEvent)
    yield Triple(at, _owl("someValuesFrom"), nominal)
    parts, triples = _list([KG.ObservedFinding, obo_iri(term), at])
    yield from triples
    yield Triple(conj, RDF.type, _owl("Class"))
    yield Triple(conj, _owl("intersectionOf"), parts)
    yield Triple(neg, RDF.type, _owl("Class"))
    yield Triple(neg, _owl("complementOf"), conj)
    yield Triple(univ, RDF.type, _owl("Restriction"))
    yield Triple(univ, _owl("onProperty"), KG.hasFinding)
    yield Triple(univ, _owl("allValuesFrom"), neg)
    yield Triple(case, RDF.type, univ)


def _birth_axiom(event: NamedNode, earliest_birth: int) -> Iterator[Triple]:
    """event ∈ ∀latestDay.xsd:integer[>= earliest_birth]."""
    restriction, datatype, facet = _bnode(), _bnode(), _bnode()
    facets, triples = _list([facet])
    yield from triples
    yield Triple(facet, XSD.minInclusive, Literal(str(earliest_birth), datatype=XSD.integer))
    yield Triple(datatype, RDF.type, NamedNode("http://www.w3.org/2000/01/rdf-schema#Datatype"))
    yield Triple(datatype, _owl("onDatatype"), XSD.integer)
    yield Triple(datatype, _owl("withRestrictions"), facets)
    yield Triple(restriction, RDF.type, _owl("Restriction"))
    yield Triple(restriction, _owl("onProperty"), KG.latestDay)
    yield Triple(restriction, _owl("allValuesFrom"), datatype)
    yield Triple(event, RDF.type, restriction)


def conflict_triples(facts: CaseFacts) -> list[Triple]:
    """The ABox of one case's possibly conflicting facts, with the case's own node IRIs."""
    case = _n(facts.case)
    out = [Triple(case, RDF.type, KG.Case)]
    exclusions = {(f.term, f.event) for f in facts.findings if f.excluded and f.event}
    excluded_events = {event for _, event in exclusions}
    for term, event in sorted(exclusions):
        out += _exclusion_axiom(case, term, event)
    for finding in facts.findings:
        if not finding.excluded and finding.event in excluded_events:
            node = _n(finding.node)
            out += [Triple(case, KG.hasFinding, node), Triple(node, RDF.type, KG.ObservedFinding),
                    Triple(node, RDF.type, obo_iri(finding.term)), Triple(node, KG.atEvent, _n(finding.event))]  # fmt: skip
    out += _antibody_triples(facts)
    out += _undone_investigation_triples(facts)
    out += _birth_triples(facts)
    return out


def _antibody_triples(facts: CaseFacts) -> list[Triple]:
    grouped: dict[tuple[str, str | None], set[str]] = defaultdict(set)
    for antibody, result, event in facts.antibodies:
        grouped[(antibody, event)].add(result)
    out = []
    for (antibody, event), results in sorted(grouped.items(), key=str):
        if len(results) < 2:
            continue
        local = antibody.rsplit("/", 1)[-1]
        node = _n(
            f"{facts.case}/antibody-status/{local}/{(event or 'unplaced').rsplit('/', 1)[-1]}"
        )
        out += [Triple(node, RDF.type, KG.AntibodyResult)]
        out += [Triple(node, KG.antibodyResult, Literal(result)) for result in sorted(results)]
    return out


def _undone_investigation_triples(facts: CaseFacts) -> list[Triple]:
    out = []
    for kind, items in (("MuscleBiopsy", facts.muscle_biopsy), ("Electromyography", facts.emg)):
        for index, item in enumerate(items):
            if item.performed or not item.results:
                continue
            node = _n(f"{facts.case}/investigation-not-done/{kind}/{index}")
            out += [Triple(node, RDF.type, getattr(KG, kind)),
                    Triple(node, KG.performed, Literal("false", datatype=XSD.boolean))]  # fmt: skip
            for j, term in enumerate(sorted(item.results)):
                result = _n(f"{node.value}/result/{j}")
                out += [
                    Triple(node, KG.hasResultFinding, result),
                    Triple(result, RDF.type, obo_iri(term)),
                ]
    return out


def _birth_triples(facts: CaseFacts) -> list[Triple]:
    anchor = facts.events.get(facts.age_event or "")
    if facts.age is None or anchor is None or anchor.earliest is None:
        return []
    earliest_birth = anchor.earliest - int((facts.age + 1) * DAYS_PER_YEAR_MAX)
    out = []
    for event in facts.events.values():
        if event.latest is not None:
            node = _n(event.node)
            out.append(Triple(node, KG.latestDay, Literal(str(event.latest), datatype=XSD.integer)))
            out += _birth_axiom(node, earliest_birth)
    return out


def _is_consistent(tbox: list[Triple], abox: list[Triple], reasoner: Reasoner) -> bool:
    try:
        run_reasoner(tbox + abox, reasoner)
    except InconsistentOntology:
        return False
    return True


def find_inconsistent(facts: dict[str, CaseFacts], reasoner: Reasoner) -> list[str]:
    """Return the cases the reasoner finds inconsistent (checked in batches, split on failure)."""
    tbox = tbox_triples(skip=SKIPPED_MODULES)
    candidates = {case: conflict_triples(f) for case, f in sorted(facts.items())}
    candidates = {case: abox for case, abox in candidates.items() if len(abox) > 1}
    culprits: list[str] = []
    names = list(candidates)
    pending = [names[i : i + BATCH_SIZE] for i in range(0, len(names), BATCH_SIZE)]
    while pending:
        batch = pending.pop()
        if _is_consistent(tbox, [t for case in batch for t in candidates[case]], reasoner):
            continue
        if len(batch) == 1:
            culprits.append(batch[0])
        else:
            middle = len(batch) // 2
            pending += [batch[:middle], batch[middle:]]
    return sorted(culprits)


def explain(facts: CaseFacts) -> str:
    """Ask Pellet to explain why one case is inconsistent (its axioms and the case's facts)."""
    tbox = tbox_triples(skip=SKIPPED_MODULES)
    try:
        run_reasoner(tbox + conflict_triples(facts), "pellet", explain=True)
    except InconsistentOntology as error:
        text = error.explanation
        start = text.find("This is the output of `pellet explain`")
        return text[start:] if start >= 0 else text
    return "Pellet found no inconsistency (the other reasoner did)."


def check_cases(facts: dict[str, CaseFacts], reasoner: Reasoner) -> None:
    """Raise Inconsistency for the first case that contradicts itself.

    :raises Inconsistency: naming the case, Pellet's explanation (facts and axioms).
    """
    culprits = find_inconsistent(facts, reasoner)
    if culprits:
        first = facts[culprits[0]]
        others = (
            f" ({len(culprits) - 1} more case(s) also inconsistent)" if len(culprits) > 1 else ""
        )
        raise Inconsistency(first.case_id + others, explain(first))
