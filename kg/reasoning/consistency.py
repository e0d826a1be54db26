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
culprit case is found, and each group of its facts is then checked alone to name the facts and
the axiom they break.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from kg.errors import ReasonerError
from kg.rdf.vocab import KG, RDF, XSD, obo_iri
from kg.reasoning.classify import SKIPPED_MODULES
from kg.reasoning.engine import Reasoner, is_consistent, tbox_triples
from kg.reasoning.facts import CaseFacts

OWL = "http://www.w3.org/2002/07/owl#"
# Cases per reasoner run. HermiT's start (JVM, ontology load: 2-4 s) is most of a 100-case batch,
# and its cost per case is flat, so it gets larger batches; Pellet slows down more than linearly
# with the batch (1,000 cases took 360 s against 19 s as ten batches of 100), so it keeps 100.
BATCH_SIZES = {"hermit": 500, "pellet": 100}
_SUBCLASS_OF = NamedNode("http://www.w3.org/2000/01/rdf-schema#subClassOf")
WORKERS = 2  # reasoner JVMs at once: each batch is a separate process, so both cores work
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


def _born_after_class(case: str, earliest_birth: int) -> tuple[NamedNode, tuple[Triple, ...]]:
    """A named class ``BornAfter ⊑ ∀latestDay.xsd:integer[>= earliest_birth]`` for one case.

    Every event of a case is bounded by the same earliest birth, so the datatype restriction is
    written once and each event is typed with the class: a definitorial extension, so it changes
    no consequence, and the reasoner's input shrinks from 12 triples per event to one.
    """
    born_after = _n(f"{case}/consistency/born-after")
    restriction = _bnode()
    triples = (
        Triple(born_after, RDF.type, _owl("Class")),
        Triple(born_after, _SUBCLASS_OF, restriction),
        *_birth_restriction(restriction, earliest_birth),
    )
    return born_after, triples


def _birth_restriction(restriction: BlankNode, earliest_birth: int) -> Iterator[Triple]:
    """restriction = ∀latestDay.xsd:integer[>= earliest_birth]."""
    datatype, facet = _bnode(), _bnode()
    facets, triples = _list([facet])
    yield from triples
    yield Triple(facet, XSD.minInclusive, Literal(str(earliest_birth), datatype=XSD.integer))
    yield Triple(datatype, RDF.type, NamedNode("http://www.w3.org/2000/01/rdf-schema#Datatype"))
    yield Triple(datatype, _owl("onDatatype"), XSD.integer)
    yield Triple(datatype, _owl("withRestrictions"), facets)
    yield Triple(restriction, RDF.type, _owl("Restriction"))
    yield Triple(restriction, _owl("onProperty"), KG.latestDay)
    yield Triple(restriction, _owl("allValuesFrom"), datatype)


@dataclass(frozen=True)
class ConflictGroup:
    """An axiom, as triples, and the facts (each with its triples) that could break it."""

    axiom: str
    axiom_triples: tuple[Triple, ...]
    facts: tuple[tuple[str, tuple[Triple, ...]], ...]

    @property
    def triples(self) -> list[Triple]:
        """The axiom's triples and every fact's."""
        return [*self.axiom_triples, *(t for _, fact in self.facts for t in fact)]


def conflict_groups(facts: CaseFacts) -> list[ConflictGroup]:
    """Group one case's possibly conflicting facts; each group is checked on its own to explain."""
    case = _n(facts.case)
    return [
        *_exclusion_groups(case, facts),
        *_antibody_groups(facts),
        *_undone_investigation_groups(facts),
        *_birth_groups(facts),
    ]


def conflict_triples(facts: CaseFacts) -> list[Triple]:
    """The ABox of one case's possibly conflicting facts, with the case's own node IRIs.

    Groups may share axiom triples (the earliest-birth class), so repeated triples are dropped.
    """
    groups = conflict_groups(facts)
    if not groups:
        return []
    triples = [Triple(_n(facts.case), RDF.type, KG.Case)] + [t for g in groups for t in g.triples]
    return list(dict.fromkeys(triples))


def _exclusion_groups(case: NamedNode, facts: CaseFacts) -> Iterator[ConflictGroup]:
    exclusions = sorted(
        {(f.term, f.event, f.node) for f in facts.findings if f.excluded and f.event}
    )
    for term, event, node in exclusions:
        observed = [f for f in facts.findings if not f.excluded and f.event == event]
        if not observed:
            continue
        units = []
        for finding in observed:
            f = _n(finding.node)
            units.append(
                (
                    f"{finding.node} ({finding.term}, observed at {event})",
                    (
                        Triple(case, KG.hasFinding, f),
                        Triple(f, RDF.type, KG.ObservedFinding),
                        Triple(f, RDF.type, obo_iri(finding.term)),
                        Triple(f, KG.atEvent, _n(event)),
                    ),
                )
            )
        axiom = (
            f"excluded finding {node} ({term}) asserts: {facts.case} SubClassOf hasFinding only "
            f"not (ObservedFinding and {obo_iri(term).value} and atEvent value {event})"
        )
        yield ConflictGroup(axiom, tuple(_exclusion_axiom(case, term, event)), tuple(units))


def _antibody_groups(facts: CaseFacts) -> Iterator[ConflictGroup]:
    grouped: dict[tuple[str, str | None], set[str]] = defaultdict(set)
    for antibody, result, event in facts.antibodies:
        grouped[(antibody, event)].add(result)
    for (antibody, event), results in sorted(grouped.items(), key=str):
        if len(results) < 2:
            continue
        local = antibody.rsplit("/", 1)[-1]
        node = _n(
            f"{facts.case}/antibody-status/{local}/{(event or 'unplaced').rsplit('/', 1)[-1]}"
        )
        units = tuple(
            (f"{local} {r} at {event}", (Triple(node, KG.antibodyResult, Literal(r)),))
            for r in sorted(results)
        )
        axiom = f"{KG.PositiveAntibodyResult.value} DisjointWith {KG.NegativeAntibodyResult.value}"
        yield ConflictGroup(axiom, (Triple(node, RDF.type, KG.AntibodyResult),), units)


def _undone_investigation_groups(facts: CaseFacts) -> Iterator[ConflictGroup]:
    for kind, items in (("MuscleBiopsy", facts.muscle_biopsy), ("Electromyography", facts.emg)):
        for index, item in enumerate(items):
            if item.performed or not item.results:
                continue
            node = _n(f"{facts.case}/investigation-not-done/{kind}/{index}")
            base = (
                Triple(node, RDF.type, getattr(KG, kind)),
                Triple(node, KG.performed, Literal("false", datatype=XSD.boolean)),
            )
            units = []
            for j, term in enumerate(sorted(item.results)):
                result = _n(f"{node.value}/result/{j}")
                units.append(
                    (
                        f"{kind} not done, with result {term}",
                        (
                            Triple(node, KG.hasResultFinding, result),
                            Triple(result, RDF.type, obo_iri(term)),
                        ),
                    )
                )
            axiom = (
                f"{KG.InvestigationNotDone.value} SubClassOf hasResultFinding max 0 "
                "(performed value false)"
            )
            yield ConflictGroup(axiom, base, tuple(units))


def _birth_groups(facts: CaseFacts) -> Iterator[ConflictGroup]:
    anchor = facts.events.get(facts.age_event or "")
    if facts.age is None or anchor is None or anchor.earliest is None:
        return
    earliest_birth = anchor.earliest - int((facts.age + 1) * DAYS_PER_YEAR_MAX)
    born_after, definition = _born_after_class(facts.case, earliest_birth)
    for event in facts.events.values():
        if event.latest is None:
            continue
        node = _n(event.node)
        fact = Triple(node, KG.latestDay, Literal(str(event.latest), datatype=XSD.integer))
        axiom = (
            f"{event.node} Type latestDay only xsd:integer[>= {earliest_birth}] "
            f"(born after day {earliest_birth}: age {facts.age:g} at {anchor.node})"
        )
        yield ConflictGroup(
            axiom,
            (*definition, Triple(node, RDF.type, born_after)),
            ((f"{event.node} latestDay {event.latest}", (fact,)),),
        )


def _is_consistent(tbox: list[Triple], abox: list[Triple], reasoner: Reasoner) -> bool:
    # A bare consistency check: classifying and realising the batch, as run_reasoner does, is
    # not needed to find a contradiction and costs ten times more (benchmarks/README.md).
    return is_consistent(tbox + abox, reasoner)


def find_inconsistent(facts: dict[str, CaseFacts], reasoner: Reasoner) -> list[str]:
    """Return the cases the reasoner finds inconsistent (checked in batches, split on failure).

    Batches are separate reasoner processes, so :data:`WORKERS` of them run at once; a failing
    batch is split in halves, which run at once too, until each culprit is alone.
    """
    tbox = tbox_triples(skip=SKIPPED_MODULES)
    # Only which cases have candidate facts is kept; a batch's triples are built when it is
    # checked, so a chunk's conflict ABox (pyoxigraph triples) is never held whole.
    names = [case for case, f in sorted(facts.items()) if _has_candidates(f)]
    culprits: list[str] = []
    size = BATCH_SIZES[reasoner]
    pending = [names[i : i + size] for i in range(0, len(names), size)]

    def consistent(batch: list[str]) -> bool:
        abox = [t for case in batch for t in conflict_triples(facts[case])]
        return _is_consistent(tbox, abox, reasoner)

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        while pending:
            batches, pending = pending, []
            for batch, ok in zip(batches, pool.map(consistent, batches), strict=True):
                if ok:
                    continue
                if len(batch) == 1:
                    culprits.append(batch[0])
                else:
                    middle = len(batch) // 2
                    pending += [batch[:middle], batch[middle:]]
    return sorted(culprits)


def _has_candidates(facts: CaseFacts) -> bool:
    """Whether a case has any fact that could conflict (without building the triples)."""
    return any(True for _ in _group_sources(facts))


def _group_sources(facts: CaseFacts) -> Iterator[ConflictGroup]:
    yield from _exclusion_groups(_n(facts.case), facts)
    yield from _antibody_groups(facts)
    yield from _undone_investigation_groups(facts)
    yield from _birth_groups(facts)


def explain(facts: CaseFacts, reasoner: Reasoner) -> str:
    """Name the facts and axioms of an inconsistent case: each conflict group is checked alone."""
    tbox = tbox_triples(skip=SKIPPED_MODULES)
    case = Triple(_n(facts.case), RDF.type, KG.Case)
    groups = conflict_groups(facts)
    units = [(str(index), tuple(group.triples)) for index, group in enumerate(groups)]
    lines = []
    for index in _narrow(tbox, [case], units, reasoner):
        group = groups[int(index)]
        lines.append(f"  axiom broken: {group.axiom}")
        culprits = _narrow(tbox, [case, *group.axiom_triples], list(group.facts), reasoner)
        lines += [f"    conflicting fact: {name}" for name in culprits]
    return "\n".join(lines) or "  the conflict involves several groups of facts together"


def _narrow(
    tbox: list[Triple],
    base: list[Triple],
    units: list[tuple[str, tuple[Triple, ...]]],
    reasoner: Reasoner,
) -> list[str]:
    """Split the facts of an inconsistent group until each inconsistent part is one fact."""
    if len(units) <= 1:
        return [name for name, _ in units]
    middle = len(units) // 2
    found = []
    for part in (units[:middle], units[middle:]):
        if not _is_consistent(tbox, base + [t for _, fact in part for t in fact], reasoner):
            found += _narrow(tbox, base, part, reasoner)
    # a conflict that needs facts from both halves together: report the whole set
    return found or [name for name, _ in units]


def check_cases(facts: dict[str, CaseFacts], reasoner: Reasoner) -> None:
    """Raise Inconsistency for the first case that contradicts itself.

    :raises Inconsistency: naming the case, Pellet's explanation (facts and axioms).
    """
    culprits = find_inconsistent(facts, reasoner)
    if culprits:
        raise_inconsistent(facts[culprits[0]], len(culprits), reasoner)


def raise_inconsistent(first: CaseFacts, culprits: int, reasoner: Reasoner) -> None:
    """Raise Inconsistency for the first of ``culprits`` inconsistent cases, explained.

    :raises Inconsistency: always, naming the case, the facts and the axioms they break.
    """
    others = f" ({culprits - 1} more case(s) also inconsistent)" if culprits > 1 else ""
    raise Inconsistency(first.case_id + others, explain(first, reasoner))
