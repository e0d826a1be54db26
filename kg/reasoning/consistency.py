"""Catch cases that contradict themselves, with the OWL reasoner as the judge.

The facts that could conflict are written as an ABox over the ontology's consistency axioms:
- an excluded finding becomes a class assertion on the case: no observed finding of that HPO class
  (or a descendant) at the same event;
- an investigation not done may have no result finding (kg:InvestigationNotDone);
- results of one antibody at one event share one node, and positive and negative are disjoint;
- an event whose latest day lies before the earliest possible birth (age at an event) is refused
  by a datatype restriction on its latest day.

Giving the reasoner every case's ABox cost about 15 ms per case (100,000 cases: 1,000 s), yet the
ABoxes repeat a few shapes. None of the axioms above relates two findings, two events or two cases:
each constrains one observed finding at one event, one antibody node, one investigation or one
event's latest day. So a case contradicts itself exactly when one of its *patterns* does, a pattern
being one such unit with the case's own names taken out:
- ``exclusion``: a term excluded at an event, and one term observed at that event;
- ``antibody``: the results of one antibody at one event, when there are several;
- ``not-done``: an investigation not done, and its results;
- ``birth``: an event's latest day counted from the earliest possible birth (``day >= birth``
  holds exactly when ``day - birth >= 0`` does, so every case shares one restriction).
Each distinct pattern of the corpus is given to the reasoner once, with fresh names, in batches on
two reasoner processes; a failing batch is split until the failing patterns are found, and the
cases holding them are the inconsistent ones. 10,000 synthetic cases hold 27,482 exclusion units
but 620 distinct exclusion patterns. An inconsistent case is then explained from its own facts:
each group of its facts is checked alone to name the facts and the axiom they break.
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
from kg.reasoning.facts import CaseFacts, FindingFact

OWL = "http://www.w3.org/2002/07/owl#"
# Patterns per reasoner run (at most; a check is split over WORKERS runs). A run's start (JVM,
# ontology load) takes 1-2 s, so HermiT, whose cost per pattern is flat (12,298 patterns: 7.4 s),
# gets few large runs; Pellet slows down more than linearly with the batch (8,311 patterns: 38 s
# in one run), so it gets runs of 1,000.
BATCH_SIZES = {"hermit": 20_000, "pellet": 1_000}
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


def _born_after_class(iri: str, earliest_birth: int) -> tuple[NamedNode, tuple[Triple, ...]]:
    """A named class ``BornAfter ⊑ ∀latestDay.xsd:integer[>= earliest_birth]``.

    Every event of a case is bounded by the same earliest birth, so the datatype restriction is
    written once and each event is typed with the class: a definitorial extension, so it changes
    no consequence, and the reasoner's input shrinks from 12 triples per event to one.
    """
    born_after = _n(iri)
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


# The units of possibly conflicting facts, read from a case's facts. The explanation builds them
# with the case's own node IRIs, the corpus-wide check with fresh names per pattern.


def _exclusions(facts: CaseFacts) -> Iterator[tuple[str, str, str, list[FindingFact]]]:
    """(excluded term, event, excluded finding node, findings observed at that event)."""
    exclusions = sorted(
        {(f.term, f.event, f.node) for f in facts.findings if f.excluded and f.event}
    )
    for term, event, node in exclusions:
        observed = [f for f in facts.findings if not f.excluded and f.event == event]
        if observed:
            yield term, event, node, observed


def _antibody_conflicts(facts: CaseFacts) -> Iterator[tuple[str, str | None, tuple[str, ...]]]:
    """(antibody class, event, its results) for each antibody tested more than once at an event."""
    grouped: dict[tuple[str, str | None], set[str]] = defaultdict(set)
    for antibody, result, event in facts.antibodies:
        grouped[(antibody, event)].add(result)
    for (antibody, event), results in sorted(grouped.items(), key=str):
        if len(results) >= 2:
            yield antibody, event, tuple(sorted(results))


def _investigations_not_done(facts: CaseFacts) -> Iterator[tuple[str, int, tuple[str, ...]]]:
    """(kind, index, result terms) for each EMG or muscle biopsy not done that has results."""
    for kind, items in (("MuscleBiopsy", facts.muscle_biopsy), ("Electromyography", facts.emg)):
        for index, item in enumerate(items):
            if not item.performed and item.results:
                yield kind, index, tuple(sorted(item.results))


def _earliest_birth(facts: CaseFacts) -> int | None:
    """The earliest day the patient can have been born, from the age at an event (None: unknown)."""
    anchor = facts.events.get(facts.age_event or "")
    if facts.age is None or anchor is None or anchor.earliest is None:
        return None
    return anchor.earliest - int((facts.age + 1) * DAYS_PER_YEAR_MAX)


def _observed(case: NamedNode, finding: NamedNode, term: str, event: str) -> tuple[Triple, ...]:
    return (
        Triple(case, KG.hasFinding, finding),
        Triple(finding, RDF.type, KG.ObservedFinding),
        Triple(finding, RDF.type, obo_iri(term)),
        Triple(finding, KG.atEvent, _n(event)),
    )


def _antibody_result(node: NamedNode, result: str) -> Triple:
    return Triple(node, KG.antibodyResult, Literal(result))


def _not_done(node: NamedNode, kind: str) -> tuple[Triple, ...]:
    return (
        Triple(node, RDF.type, getattr(KG, kind)),
        Triple(node, KG.performed, Literal("false", datatype=XSD.boolean)),
    )


def _not_done_result(node: NamedNode, index: int, term: str) -> tuple[Triple, ...]:
    result = _n(f"{node.value}/result/{index}")
    return (Triple(node, KG.hasResultFinding, result), Triple(result, RDF.type, obo_iri(term)))


def _latest_day(event: NamedNode, day: int) -> Triple:
    return Triple(event, KG.latestDay, Literal(str(day), datatype=XSD.integer))


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


def _exclusion_groups(case: NamedNode, facts: CaseFacts) -> Iterator[ConflictGroup]:
    for term, event, node, observed in _exclusions(facts):
        units = tuple(
            (
                f"{finding.node} ({finding.term}, observed at {event})",
                _observed(case, _n(finding.node), finding.term, event),
            )
            for finding in observed
        )
        axiom = (
            f"excluded finding {node} ({term}) asserts: {facts.case} SubClassOf hasFinding only "
            f"not (ObservedFinding and {obo_iri(term).value} and atEvent value {event})"
        )
        yield ConflictGroup(axiom, tuple(_exclusion_axiom(case, term, event)), units)


def _antibody_groups(facts: CaseFacts) -> Iterator[ConflictGroup]:
    for antibody, event, results in _antibody_conflicts(facts):
        local = antibody.rsplit("/", 1)[-1]
        node = _n(
            f"{facts.case}/antibody-status/{local}/{(event or 'unplaced').rsplit('/', 1)[-1]}"
        )
        units = tuple((f"{local} {r} at {event}", (_antibody_result(node, r),)) for r in results)
        axiom = f"{KG.PositiveAntibodyResult.value} DisjointWith {KG.NegativeAntibodyResult.value}"
        yield ConflictGroup(axiom, (Triple(node, RDF.type, KG.AntibodyResult),), units)


def _undone_investigation_groups(facts: CaseFacts) -> Iterator[ConflictGroup]:
    for kind, index, results in _investigations_not_done(facts):
        node = _n(f"{facts.case}/investigation-not-done/{kind}/{index}")
        units = tuple(
            (f"{kind} not done, with result {term}", _not_done_result(node, j, term))
            for j, term in enumerate(results)
        )
        axiom = (
            f"{KG.InvestigationNotDone.value} SubClassOf hasResultFinding max 0 "
            "(performed value false)"
        )
        yield ConflictGroup(axiom, _not_done(node, kind), units)


def _birth_groups(facts: CaseFacts) -> Iterator[ConflictGroup]:
    earliest_birth = _earliest_birth(facts)
    if earliest_birth is None:
        return
    anchor = facts.events[facts.age_event or ""]
    born_after, definition = _born_after_class(
        f"{facts.case}/consistency/born-after", earliest_birth
    )
    for event in facts.events.values():
        if event.latest is None:
            continue
        node = _n(event.node)
        axiom = (
            f"{event.node} Type latestDay only xsd:integer[>= {earliest_birth}] "
            f"(born after day {earliest_birth}: age {facts.age:g} at {anchor.node})"
        )
        yield ConflictGroup(
            axiom,
            (*definition, Triple(node, RDF.type, born_after)),
            ((f"{event.node} latestDay {event.latest}", (_latest_day(node, event.latest),)),),
        )


@dataclass(frozen=True, order=True)
class Pattern:
    """One unit of possibly conflicting facts, with the case's own names taken out.

    ``values`` by kind: exclusion (excluded term, observed term); antibody (results);
    not-done (kind, result terms...); birth (latest day minus earliest birth, as text).
    """

    kind: str
    values: tuple[str, ...]


def conflict_patterns(facts: CaseFacts) -> set[Pattern]:
    """Every pattern one case holds; the case is inconsistent exactly when one of them is."""
    patterns = {
        Pattern("exclusion", (term, finding.term))
        for term, _, _, observed in _exclusions(facts)
        for finding in observed
    }
    patterns |= {Pattern("antibody", results) for _, _, results in _antibody_conflicts(facts)}
    patterns |= {
        Pattern("not-done", (kind, *results))
        for kind, _, results in _investigations_not_done(facts)
    }
    earliest_birth = _earliest_birth(facts)
    if earliest_birth is not None:
        patterns |= {
            Pattern("birth", (str(e.latest - earliest_birth),))
            for e in facts.events.values()
            if e.latest is not None
        }
    return patterns


_PATTERNS = "urn:dmkg:consistency:"
_BORN_AFTER_ZERO = _PATTERNS + "born-after-day-0"


def pattern_triples(pattern: Pattern, index: int) -> list[Triple]:
    """The ABox of one pattern, its individuals named by ``index`` (unique within a batch).

    A birth pattern refers to the shared class :data:`_BORN_AFTER_ZERO`, defined once per batch
    by :func:`batch_triples`.
    """
    name = f"{_PATTERNS}{index}:"
    if pattern.kind == "exclusion":
        excluded, observed = pattern.values
        case, event = _n(name + "case"), name + "event"
        return [
            Triple(case, RDF.type, KG.Case),
            *_exclusion_axiom(case, excluded, event),
            *_observed(case, _n(name + "finding"), observed, event),
        ]
    if pattern.kind == "antibody":
        node = _n(name + "antibody")
        return [
            Triple(node, RDF.type, KG.AntibodyResult),
            *(_antibody_result(node, r) for r in pattern.values),
        ]
    if pattern.kind == "not-done":
        kind, *results = pattern.values
        node = _n(name + "investigation")
        units = (_not_done_result(node, j, term) for j, term in enumerate(results))
        return [*_not_done(node, kind), *(t for unit in units for t in unit)]
    if pattern.kind == "birth":
        event = _n(name + "event")
        return [
            Triple(event, RDF.type, _n(_BORN_AFTER_ZERO)),
            _latest_day(event, int(pattern.values[0])),
        ]
    raise ValueError(f"unknown conflict pattern kind {pattern.kind!r}")


def batch_triples(patterns: list[Pattern]) -> list[Triple]:
    """The ABox of a batch of patterns: each with its own names, and the shared birth class."""
    triples = [t for index, p in enumerate(patterns) for t in pattern_triples(p, index)]
    if any(p.kind == "birth" for p in patterns):
        triples += _born_after_class(_BORN_AFTER_ZERO, 0)[1]
    return triples


def _is_consistent(tbox: list[Triple], abox: list[Triple], reasoner: Reasoner) -> bool:
    # A bare consistency check: classifying and realising the batch, as run_reasoner does, is
    # not needed to find a contradiction and costs ten times more (benchmarks/README.md).
    return is_consistent(tbox + abox, reasoner)


def failing_patterns(patterns: set[Pattern], reasoner: Reasoner) -> set[Pattern]:
    """Return the patterns the reasoner finds inconsistent, checked in batches split on failure.

    Batches are separate reasoner processes, so :data:`WORKERS` of them run at once; a failing
    batch is split in halves, which run at once too, until each failing pattern is alone.
    """
    tbox = tbox_triples(skip=SKIPPED_MODULES)
    ordered = sorted(patterns)
    size = max(1, min(BATCH_SIZES[reasoner], -(-len(ordered) // WORKERS)))
    pending = [ordered[i : i + size] for i in range(0, len(ordered), size)]
    failing: set[Pattern] = set()

    def consistent(batch: list[Pattern]) -> bool:
        return _is_consistent(tbox, batch_triples(batch), reasoner)

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        while pending:
            batches, pending = pending, []
            for batch, ok in zip(batches, pool.map(consistent, batches), strict=True):
                if ok:
                    continue
                if len(batch) == 1:
                    failing.add(batch[0])
                else:
                    middle = len(batch) // 2
                    pending += [batch[:middle], batch[middle:]]
    return failing


def inconsistent_cases(facts: dict[str, CaseFacts], failing: set[Pattern]) -> list[str]:
    """The cases (IRIs, sorted) that hold a failing pattern."""
    return sorted(case for case, f in facts.items() if conflict_patterns(f) & failing)


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


def raise_inconsistent(first: CaseFacts, culprits: int, reasoner: Reasoner) -> None:
    """Raise Inconsistency for the first of ``culprits`` inconsistent cases, explained.

    :raises Inconsistency: always, naming the case, the facts and the axioms they break.
    """
    others = f" ({culprits - 1} more case(s) also inconsistent)" if culprits > 1 else ""
    raise Inconsistency(first.case_id + others, explain(first, reasoner))
