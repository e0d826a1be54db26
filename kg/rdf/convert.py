"""Turn a validated case file into quads in the case's own named graph. Pure: no I/O.

Every node gets a deterministic IRI minted from the case id and the fact's id, so converting the
same file twice gives the same quads and diffs stay readable.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from pyoxigraph import Literal, NamedNode, Quad

from kg.curation import controlled
from kg.curation.case_file import CaseFile
from kg.rdf.vocab import KG, RDF, XSD, case_graph, case_node, obo_iri, oncotree_iri

Object = NamedNode | Literal


class _Emitter:
    """Collects triples into one named graph."""

    def __init__(self, graph: NamedNode) -> None:
        self.graph = graph
        self.quads: list[Quad] = []

    def add(self, subject: NamedNode, predicate: NamedNode, obj: Object | None) -> None:
        if obj is not None:
            self.quads.append(Quad(subject, predicate, obj, self.graph))

    def text(self, subject: NamedNode, predicate: NamedNode, value: Any) -> None:
        if value is not None:
            self.add(subject, predicate, Literal(str(value)))

    def evidence(self, subject: NamedNode, fact: dict[str, Any]) -> None:
        quotes = fact.get("evidence")
        for quote in [quotes] if isinstance(quotes, str) else quotes or []:
            self.text(subject, KG.evidence, " ".join(str(quote).split()))
        self.text(subject, KG.note, fact.get("note"))


def typed(value: Any, datatype: NamedNode) -> Literal | None:
    """Return a typed literal, or None for a missing value.

    >>> typed(11.4, XSD.decimal).value, typed(200, XSD.decimal).value, typed(None, XSD.decimal)
    ('11.4', '200', None)
    """
    if value is None:
        return None
    if datatype == XSD.decimal:
        # Fixed-point: normalize() alone gives "2E+2", which is not an xsd:decimal lexical form,
        # and SPARQL engines then treat the value as invalid (comparisons come back unbound).
        return Literal(format(Decimal(str(value)).normalize(), "f"), datatype=datatype)
    if datatype == XSD.boolean:
        return Literal("true" if value else "false", datatype=datatype)
    return Literal(str(value), datatype=datatype)


def convert_case(case: CaseFile) -> list[Quad]:
    """Convert a validated case file into the quads of its named graph.

    :param case: a case file that passed validation.
    :returns: the quads, all in the graph ``case_graph(case.case_id)``.
    """
    out = _Emitter(case_graph(case.case_id))
    subject = case_graph(case.case_id)
    _case_header(case, subject, out)
    events = _timeline(case, subject, out)
    _neoplasms(case, subject, events, out)
    for pointer_section, converter in _SECTIONS:
        for fact in case.section(pointer_section):
            node = case_node(case.case_id, pointer_section, fact["id"])
            out.add(subject, getattr(KG, _LINKS[pointer_section]), node)
            out.evidence(node, fact)
            out.add(node, KG.atEvent, events.get(fact.get("at", "")))
            converter(case, node, fact, events, out)
    return out.quads


def _case_header(case: CaseFile, subject: NamedNode, out: _Emitter) -> None:
    data = case.data
    out.add(subject, RDF.type, KG.Case)
    out.text(subject, KG.caseId, case.case_id)
    report = data["report"]
    out.text(subject, KG.reportType, report["type"])
    out.text(subject, KG.sourceReference, report.get("primary_reference"))
    prov = data["provenance"]
    out.text(subject, KG.curator, prov["curator"])
    out.add(subject, KG.curationDate, typed(prov["date"], XSD.date))
    out.text(subject, KG.curationStatus, prov["status"])
    out.text(subject, KG.hpoVersion, data["ontologies"]["hpo"])
    out.text(subject, KG.oncotreeVersion, data["ontologies"]["oncotree"])
    out.add(subject, KG.reportedIn, _publication(data["publication"], out))
    primary = report.get("primary_publication")
    if primary:
        out.add(subject, KG.reportedIn, _publication(primary, out))
    patient = case_node(case.case_id, "patient")
    out.add(subject, KG.hasPatient, patient)
    out.add(patient, RDF.type, KG.Patient)
    person = data["patient"]
    out.text(patient, KG.sex, person["sex"])
    out.add(patient, KG.ageAtPresentation, typed(person.get("age"), XSD.decimal))
    out.text(patient, KG.ethnicity, person.get("ethnicity"))
    age_event = person.get("age_at") or (data.get("timeline") or {}).get("origin")
    if age_event and person.get("age") is not None:
        out.add(patient, KG.ageAt, case_node(case.case_id, "event", age_event))
    out.evidence(patient, person)


def publication_iri(publication: dict[str, Any]) -> NamedNode:
    """Mint a publication IRI from its PMID, else its DOI.

    >>> publication_iri({"pmid": "32864095"}).value
    'https://w3id.org/dmkg/publication/pmid-32864095'
    """
    from kg.rdf.vocab import BASE

    if publication.get("pmid"):
        return NamedNode(f"{BASE}publication/pmid-{publication['pmid']}")
    if publication.get("doi"):
        safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in publication["doi"].lower())
        return NamedNode(f"{BASE}publication/doi-{safe}")
    safe = "".join(c if c.isalnum() else "-" for c in publication["title"].lower())[:60]
    return NamedNode(f"{BASE}publication/title-{safe}")


def _publication(publication: dict[str, Any], out: _Emitter) -> NamedNode:
    node = publication_iri(publication)
    out.add(node, RDF.type, KG.Publication)
    for key, predicate in (
        ("pmid", KG.pmid),
        ("doi", KG.doi),
        ("title", KG.title),
        ("journal", KG.journal),
    ):
        out.text(node, predicate, publication.get(key))
    out.add(node, KG.year, typed(publication.get("year"), XSD.integer))
    if publication.get("authors"):
        out.text(node, KG.authors, ", ".join(publication["authors"]))
    return node


def _timeline(case: CaseFile, subject: NamedNode, out: _Emitter) -> dict[str, NamedNode]:
    nodes = {e["id"]: case_node(case.case_id, "event", e["id"]) for e in case.events()}
    placements = case.placements()
    for sequence, event in enumerate(case.events(), start=1):
        node, place = nodes[event["id"]], placements[event["id"]]
        bounds = case.day_bounds[event["id"]]
        out.add(subject, KG.hasEvent, node)
        out.add(node, RDF.type, KG.TimelineEvent)
        out.text(node, KG.eventLabel, event["label"])
        out.add(node, KG.sequence, typed(sequence, XSD.integer))
        out.add(node, KG.earliestDay, typed(bounds.earliest, XSD.integer))
        out.add(node, KG.latestDay, typed(bounds.latest, XSD.integer))
        out.evidence(node, event)
        if place.anchor is None:
            out.add(node, KG.isTimelineOrigin, typed(True, XSD.boolean))
            continue
        out.add(node, KG.anchor, nodes[place.anchor])
        out.text(node, KG.offsetDirection, place.direction)
        out.add(node, KG.offsetMin, typed(place.offset.low, XSD.decimal))
        out.add(node, KG.offsetMax, typed(place.offset.high, XSD.decimal))
        out.text(node, KG.offsetUnit, place.offset.unit)
        out.text(node, KG.offsetText, place.offset.text or None)
    return nodes


def _neoplasms(
    case: CaseFile, subject: NamedNode, events: dict[str, NamedNode], out: _Emitter
) -> None:
    for tumour in case.section("neoplasms"):
        node = case_node(case.case_id, "neoplasm", tumour["id"])
        out.add(subject, KG.hasNeoplasm, node)
        out.add(node, RDF.type, oncotree_iri(tumour["oncotree"]))
        out.text(node, KG.grade, tumour.get("grade"))
        site = tumour.get("primary_site")
        out.add(
            node, KG.primarySiteUnknown, typed(site == "unknown", XSD.boolean) if site else None
        )
        if site and site != "unknown":
            out.text(node, KG.primarySiteText, site)
        for metastasis in tumour.get("metastatic_sites") or []:
            out.text(node, KG.metastaticSiteText, metastasis["text"])
            if metastasis.get("uberon"):
                out.add(node, KG.metastaticSite, obo_iri(metastasis["uberon"]))
        for index, marker in enumerate(tumour.get("markers") or [], start=1):
            result = case_node(case.case_id, "neoplasm", tumour["id"], "marker", str(index))
            out.add(node, KG.hasMarker, result)
            out.add(result, RDF.type, KG.ImmunohistochemistryResult)
            out.text(result, KG.markerName, marker["marker"])
            out.text(result, KG.markerResult, marker["result"])
        out.add(node, KG.diagnosedAt, events.get(tumour.get("diagnosed_at", "")))
        out.evidence(node, tumour)


def _finding(
    case: CaseFile,
    node: NamedNode,
    fact: dict[str, Any],
    events: dict[str, NamedNode],
    out: _Emitter,
) -> None:
    phenotype = obo_iri(fact["hpo"])
    out.add(node, KG.phenotype, phenotype)
    if fact.get("status", "observed") == "observed":
        out.add(node, RDF.type, KG.ObservedFinding)
        out.add(node, RDF.type, phenotype)
    else:
        out.add(node, RDF.type, KG.ExcludedFinding)
    out.text(node, KG.severity, fact.get("severity"))
    out.text(node, KG.bodySiteText, fact.get("site"))
    if fact.get("uberon"):
        out.add(node, KG.bodySite, obo_iri(fact["uberon"]))


def _lab(
    case: CaseFile,
    node: NamedNode,
    fact: dict[str, Any],
    events: dict[str, NamedNode],
    out: _Emitter,
) -> None:
    out.add(node, RDF.type, KG.LabResult)
    out.text(node, KG.testName, fact["test"])
    out.text(node, KG.loincCode, fact.get("loinc"))
    out.add(node, KG.value, typed(fact.get("value"), XSD.decimal))
    out.text(node, KG.valueText, fact.get("reported"))
    out.text(node, KG.comparator, fact.get("comparator"))
    out.text(node, KG.unit, fact.get("unit"))
    reference = fact.get("reference_range") or {}
    out.add(node, KG.referenceLow, typed(reference.get("low"), XSD.decimal))
    out.add(node, KG.referenceHigh, typed(reference.get("high"), XSD.decimal))
    out.text(node, KG.interpretation, fact.get("interpretation") or derive_interpretation(fact))


def derive_interpretation(lab: dict[str, Any]) -> str | None:
    """Derive high / normal / low from the value and reference range when the paper gives none.

    >>> derive_interpretation({"value": 695, "reference_range": {"low": 25, "high": 200}})
    'high'
    >>> derive_interpretation({"value": 5}) is None
    True
    """
    value, reference = lab.get("value"), lab.get("reference_range") or {}
    if value is None or lab.get("comparator"):
        return None
    if reference.get("high") is not None and value > reference["high"]:
        return "high"
    if reference.get("low") is not None and value < reference["low"]:
        return "low"
    if reference.get("high") is not None and reference.get("low") is not None:
        return "normal"
    return None


def _antibody(
    case: CaseFile,
    node: NamedNode,
    fact: dict[str, Any],
    events: dict[str, NamedNode],
    out: _Emitter,
) -> None:
    out.add(node, RDF.type, KG.AntibodyResult)
    out.add(node, KG.testedFor, getattr(KG, controlled.ANTIBODIES[fact["antibody"]]))
    out.text(node, KG.antibodyResult, fact["result"])
    out.text(node, KG.titre, fact.get("titre"))
    out.text(node, KG.assay, fact.get("assay"))


def _investigation(
    case: CaseFile,
    node: NamedNode,
    fact: dict[str, Any],
    events: dict[str, NamedNode],
    out: _Emitter,
) -> None:
    out.add(node, RDF.type, getattr(KG, controlled.INVESTIGATIONS[fact["type"]]))
    out.add(node, KG.performed, typed(fact["done"], XSD.boolean))
    out.text(node, KG.notDoneReason, fact.get("reason"))
    out.text(node, KG.siteText, fact.get("site"))
    out.text(node, KG.resultText, fact.get("result"))
    for finding in fact.get("findings") or []:
        result = case_node(case.case_id, "findings", finding["id"])
        out.add(node, KG.hasResultFinding, result)
        out.add(case_graph(case.case_id), KG.hasFinding, result)
        out.evidence(result, finding)
        out.add(result, KG.atEvent, events.get(finding.get("at") or fact.get("at", "")))
        _finding(case, result, finding, events, out)


def _treatment(
    case: CaseFile,
    node: NamedNode,
    fact: dict[str, Any],
    events: dict[str, NamedNode],
    out: _Emitter,
) -> None:
    out.add(node, RDF.type, getattr(KG, controlled.TREATMENTS[fact["type"]]))
    out.text(node, KG.agentName, fact["agent"])
    if fact.get("chebi"):
        out.add(node, KG.agent, obo_iri(fact["chebi"]))
    out.add(node, KG.lineOfTherapy, typed(fact.get("line"), XSD.integer))
    out.add(node, KG.cycles, typed(fact.get("cycles"), XSD.integer))
    out.text(node, KG.intent, fact.get("intent"))
    out.text(node, KG.doseText, fact.get("dose"))
    out.add(node, KG.startEvent, events.get(fact.get("start", "")))
    out.add(node, KG.endEvent, events.get(fact.get("end", "")))
    for index, change in enumerate(fact.get("dose_changes") or [], start=1):
        change_node = case_node(case.case_id, "treatments", fact["id"], "dose-change", str(index))
        out.add(node, KG.hasDoseChange, change_node)
        out.add(change_node, RDF.type, KG.DoseChange)
        out.add(change_node, KG.doseChangePercent, typed(change["percent"], XSD.decimal))
        out.text(change_node, KG.changeReason, change.get("reason"))
        out.add(change_node, KG.atEvent, events.get(change.get("at", "")))
        out.evidence(change_node, change)


def _response(
    case: CaseFile,
    node: NamedNode,
    fact: dict[str, Any],
    events: dict[str, NamedNode],
    out: _Emitter,
) -> None:
    out.add(node, RDF.type, KG.Response)
    out.text(node, KG.responseCriteria, fact["criteria"])
    out.text(node, KG.responseCategory, fact["category"])
    if fact.get("treatment"):
        out.add(node, KG.responseTo, case_node(case.case_id, "treatments", fact["treatment"]))


def _diagnosis(
    case: CaseFile,
    node: NamedNode,
    fact: dict[str, Any],
    events: dict[str, NamedNode],
    out: _Emitter,
) -> None:
    out.add(node, RDF.type, KG.ReportedDiagnosis)
    out.add(node, KG.condition, getattr(KG, controlled.CONDITIONS[fact["condition"]]))
    out.text(node, KG.certainty, fact["certainty"])
    out.add(node, KG.paraneoplastic, typed(fact.get("paraneoplastic"), XSD.boolean))
    for criteria in fact.get("criteria") or []:
        out.text(node, KG.criteriaCited, criteria)
    out.add(node, KG.diagnosedAt, events.get(fact.get("at", "")))


_SECTIONS: Iterable[tuple[str, Any]] = (
    ("findings", _finding),
    ("labs", _lab),
    ("antibodies", _antibody),
    ("investigations", _investigation),
    ("treatments", _treatment),
    ("responses", _response),
    ("diagnoses", _diagnosis),
)
_LINKS = {
    "findings": "hasFinding",
    "labs": "hasLabResult",
    "antibodies": "hasAntibodyResult",
    "investigations": "hasInvestigation",
    "treatments": "hasTreatment",
    "responses": "hasResponse",
    "diagnoses": "hasReportedDiagnosis",
}
