"""A readable summary of one stored case, read back from its named graph (what `kg show` prints).

It reads the graph rather than the file so that a curator sees what the store really holds,
including who added the case, when, and from which file.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from pyoxigraph import Literal, NamedNode, Quad

from kg.cases import require_case
from kg.curation import controlled
from kg.rdf.vocab import KG, OBO_BASE, ONCOTREE_BASE, RDF, case_graph
from kg.store.base import Store
from kg.terminology import load_hpo, load_oncotree

Term = NamedNode | Literal
_UNPLACED = 10**6  # sorts facts without an event after every placed one
_ANTIBODY_KEYS = {name: key for key, name in controlled.ANTIBODIES.items()}


@dataclass
class CaseSummary:
    """A case as labelled lines: a header of fields, then titled sections of one line per fact."""

    case_id: str
    header: list[tuple[str, str]] = field(default_factory=list)
    sections: list[tuple[str, list[str]]] = field(default_factory=list)


class _Graph:
    """The quads of one case indexed by subject and predicate, with readable accessors."""

    def __init__(self, quads: Iterable[Quad]) -> None:
        self.index: dict[str, dict[str, list[Term]]] = defaultdict(lambda: defaultdict(list))
        for quad in quads:  # case graphs hold no blank nodes and no RDF-star triples
            if isinstance(quad.subject, NamedNode) and isinstance(quad.object, NamedNode | Literal):
                self.index[quad.subject.value][quad.predicate.value].append(quad.object)

    def all(self, subject: str, predicate: NamedNode) -> list[Term]:
        return sorted(self.index[subject][predicate.value], key=lambda term: term.value)

    def one(self, subject: str, predicate: NamedNode) -> str:
        values = self.all(subject, predicate)
        return values[0].value if values else ""

    def sequence(self, node: str) -> int:
        """Order events by their place in the file, facts by their event's (unplaced ones last)."""
        own = self.one(node, KG.sequence)
        if own:
            return int(own)
        event = self.one(node, KG.atEvent) or self.one(node, KG.startEvent)
        return int(self.one(event, KG.sequence) or _UNPLACED) if event else _UNPLACED


def summarise_case(store: Store, case_id: str) -> CaseSummary:
    """Read a stored case back into a summary.

    :param store: the store holding the case.
    :param case_id: the case id.
    :returns: its header and sections.
    :raises CaseNotFound: when the store holds no such case.
    """
    require_case(store, case_id)
    graph = _Graph(store.quads(case_graph(case_id)))
    case = case_graph(case_id).value
    summary = CaseSummary(case_id, header=_header(graph, case))
    for title, predicate, describe in _SECTIONS:
        nodes = sorted((n.value for n in graph.all(case, predicate)), key=graph.sequence)
        lines = [describe(graph, node) for node in nodes]
        if lines:
            summary.sections.append((f"{title} ({len(lines)})", lines))
    return summary


def _header(graph: _Graph, case: str) -> list[tuple[str, str]]:
    publications = [p.value for p in graph.all(case, KG.reportedIn)]
    patient = graph.one(case, KG.hasPatient)
    age = graph.one(patient, KG.ageAtPresentation)
    return [
        ("publication", "; ".join(_publication(graph, p) for p in publications)),
        ("report", graph.one(case, KG.reportType)),
        ("patient", ", ".join(v for v in (graph.one(patient, KG.sex), age and f"{age} years",
                                          graph.one(patient, KG.ethnicity)) if v)),
        ("curated", f"{graph.one(case, KG.curator)}, {graph.one(case, KG.curationDate)} "
                    f"({graph.one(case, KG.curationStatus)})"),
        ("ontologies", f"HPO {graph.one(case, KG.hpoVersion)}, "
                       f"{graph.one(case, KG.oncotreeVersion)}"),
        ("added", f"by {graph.one(case, KG.addedBy)} at {graph.one(case, KG.addedAt)}"),
        ("from", f"{graph.one(case, KG.sourceFile)} (sha256 {graph.one(case, KG.sourceChecksum)})"),
    ]  # fmt: skip


def _publication(graph: _Graph, node: str) -> str:
    ids = [f"PMID {graph.one(node, KG.pmid)}" if graph.one(node, KG.pmid) else "",
           f"doi:{graph.one(node, KG.doi)}" if graph.one(node, KG.doi) else ""]  # fmt: skip
    year = graph.one(node, KG.year)
    sources = ", ".join(i for i in ids if i)
    return f"{graph.one(node, KG.title)}{f' ({year})' if year else ''} [{sources}]"


def _when(graph: _Graph, node: str, predicate: NamedNode = KG.atEvent) -> str:
    event = graph.one(node, predicate)
    if not event:
        return ""
    low, high = graph.one(event, KG.earliestDay), graph.one(event, KG.latestDay)
    days = f"day {low}" if low == high and low else f"days {low or '?'}..{high or '?'}"
    return f"  @ {event.rsplit('/', 1)[-1]} ({days})"


def _local(node: str) -> str:
    return node.rsplit("/", 1)[-1]


def _neoplasm(graph: _Graph, node: str) -> str:
    tree = load_oncotree()
    codes = [t.value.removeprefix(ONCOTREE_BASE) for t in graph.all(node, RDF.type)]
    names = ", ".join(f"{c} {getattr(tree.get(c), 'name', '')}".strip() for c in codes)
    grade = graph.one(node, KG.grade)
    site = "primary unknown" if graph.one(node, KG.primarySiteUnknown) == "true" else ""
    site = site or graph.one(node, KG.primarySiteText)
    details = ", ".join(v for v in (grade and f"grade {grade}", site) if v)
    return f"{names}{f' ({details})' if details else ''}{_when(graph, node, KG.diagnosedAt)}"


def _finding(graph: _Graph, node: str) -> str:
    hpo = load_hpo()
    curie = graph.one(node, KG.phenotype).removeprefix(OBO_BASE).replace("_", ":")
    term = hpo.get(curie)
    excluded = any(t.value == KG.ExcludedFinding.value for t in graph.all(node, RDF.type))
    severity = graph.one(node, KG.severity)
    return (
        f"{'no ' if excluded else ''}{term.name if term else curie} ({curie})"
        f"{f', {severity}' if severity else ''}{_when(graph, node)}"
    )


def _lab(graph: _Graph, node: str) -> str:
    value = graph.one(node, KG.value) or graph.one(node, KG.valueText)
    low, high = graph.one(node, KG.referenceLow), graph.one(node, KG.referenceHigh)
    reference = f" [{low}-{high}]" if low or high else ""
    result = f" {graph.one(node, KG.comparator)}{value} {graph.one(node, KG.unit)}".rstrip()
    interpretation = graph.one(node, KG.interpretation)
    return (
        f"{graph.one(node, KG.testName)}{result if value else ''}{reference}"
        f"{f' ({interpretation})' if interpretation else ''}{_when(graph, node)}"
    )


def _antibody(graph: _Graph, node: str) -> str:
    antibody = _ANTIBODY_KEYS.get(_local(graph.one(node, KG.testedFor)), "antibody")
    titre = graph.one(node, KG.titre)
    result = graph.one(node, KG.antibodyResult)
    return f"{antibody}: {result}{f' ({titre})' if titre else ''}{_when(graph, node)}"


def _investigation(graph: _Graph, node: str) -> str:
    kinds = [_local(t.value) for t in graph.all(node, RDF.type)]
    if graph.one(node, KG.performed) == "false":
        outcome = f"not done: {graph.one(node, KG.notDoneReason)}"
    else:
        outcome = graph.one(node, KG.resultText) or "done"
    return f"{', '.join(kinds)}: {outcome}{_when(graph, node)}"


def _treatment(graph: _Graph, node: str) -> str:
    line, cycles = graph.one(node, KG.lineOfTherapy), graph.one(node, KG.cycles)
    details = ", ".join(v for v in (line and f"line {line}", cycles and f"{cycles} cycles") if v)
    agent = graph.one(node, KG.agentName)
    return f"{agent}{f' ({details})' if details else ''}{_when(graph, node, KG.startEvent)}"


def _response(graph: _Graph, node: str) -> str:
    treatment = _local(graph.one(node, KG.responseTo)) or "treatment"
    category, criteria = graph.one(node, KG.responseCategory), graph.one(node, KG.responseCriteria)
    return f"{treatment}: {category} ({criteria}){_when(graph, node)}"


def _diagnosis(graph: _Graph, node: str) -> str:
    condition = _local(graph.one(node, KG.condition))
    criteria = "; ".join(t.value for t in graph.all(node, KG.criteriaCited))
    paraneoplastic = " paraneoplastic" if graph.one(node, KG.paraneoplastic) == "true" else ""
    return (
        f"{graph.one(node, KG.certainty)}{paraneoplastic} {condition}"
        f"{f' by {criteria}' if criteria else ''}{_when(graph, node, KG.diagnosedAt)}"
    )


def _event(graph: _Graph, node: str) -> str:
    label = graph.one(node, KG.eventLabel)
    low, high = graph.one(node, KG.earliestDay), graph.one(node, KG.latestDay)
    where = "origin" if graph.one(node, KG.isTimelineOrigin) == "true" else (
        f"{graph.one(node, KG.offsetDirection)} {_local(graph.one(node, KG.anchor))}"
        f"{f' by {graph.one(node, KG.offsetText)}' if graph.one(node, KG.offsetText) else ''}"
    )  # fmt: skip
    return f"day {low or '?'}..{high or '?'}  {_local(node)}: {label} ({where})"


_SECTIONS = (
    ("Tumours", KG.hasNeoplasm, _neoplasm),
    ("Timeline", KG.hasEvent, _event),
    ("Findings", KG.hasFinding, _finding),
    ("Labs", KG.hasLabResult, _lab),
    ("Antibodies", KG.hasAntibodyResult, _antibody),
    ("Investigations", KG.hasInvestigation, _investigation),
    ("Treatments", KG.hasTreatment, _treatment),
    ("Responses", KG.hasResponse, _response),
    ("Diagnoses", KG.hasReportedDiagnosis, _diagnosis),
)
