"""Turn reasoning results into quads of the inferred graph, never mixed with asserted data.

Every result links to the reasoner run that produced it (reasoner, version, time), so a query can
tell inferred from asserted facts and know where each inference came from.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from pyoxigraph import Literal, NamedNode, Quad

from kg.rdf.convert import typed
from kg.rdf.vocab import BASE, INFERRED_GRAPH, KG, RDF, XSD
from kg.reasoning.bohan_peter import CRITERIA, BohanPeterAssessment
from kg.reasoning.classify import Classification, most_specific
from kg.reasoning.engine import ReasonerInfo
from kg.reasoning.eular import EularScore
from kg.reasoning.pns import PnsClassification


@dataclass(frozen=True)
class CaseResults:
    """Everything reasoning concluded about one case."""

    case: str
    owl: Classification
    bohan_peter: BohanPeterAssessment
    eular: tuple[EularScore, ...]
    pns: PnsClassification


def run_node(info: ReasonerInfo) -> NamedNode:
    """The IRI of a reasoner run's record."""
    return NamedNode(f"{BASE}inferred/run/{info.name}")


def run_quads(
    info: ReasonerInfo, when: datetime, cases: int, profiles: int, basis: str, *, reasoned: int
) -> list[Quad]:
    """Describe the reasoner run: name, version, time, its basis (:mod:`kg.reasoning.basis`),
    how many cases have results, how many it reasoned about, how many distinct profiles."""
    node = run_node(info)
    values = [
        (RDF.type, KG.ReasonerRun),
        (KG.reasonerName, Literal(info.name)),
        (KG.reasonerVersion, Literal(info.version)),
        (KG.runAt, typed(when.isoformat(timespec="seconds"), XSD.dateTime)),
        (KG.basisDigest, Literal(basis)),
        (KG.caseCount, typed(cases, XSD.integer)),
        (KG.reasonedCount, typed(reasoned, XSD.integer)),
        (KG.profileCount, typed(profiles, XSD.integer)),
    ]
    return [Quad(node, p, o, INFERRED_GRAPH) for p, o in values if o is not None]


def case_quads(results: CaseResults, run: NamedNode) -> Iterator[Quad]:
    """All inferred quads about one case."""
    case = NamedNode(results.case)
    g = INFERRED_GRAPH
    for name in sorted(results.owl.classes):
        yield Quad(case, RDF.type, getattr(KG, name), g)
    yield from _bohan_peter(case, results, run)
    for score in results.eular:
        yield from _eular(case, score, run)
    pns = NamedNode(f"{results.case}/assessment/pns-2004")
    for p, o in (
        (RDF.type, KG.PnsAssessment),
        (KG.assessedCase, case),
        (KG.producedBy, run),
        (KG.pnsClass, Literal(results.pns.pns_class)),
        (KG.pnsRule, Literal(results.pns.rule)),
    ):
        yield Quad(pns, p, o, g)


def _bohan_peter(case: NamedNode, results: CaseResults, run: NamedNode) -> Iterator[Quad]:
    g = INFERRED_GRAPH
    summary = NamedNode(f"{results.case}/assessment/bohan-peter")
    assessment = results.bohan_peter
    yield Quad(summary, RDF.type, KG.ClassificationResult, g)
    yield Quad(summary, KG.assessedCase, case, g)
    yield Quad(summary, KG.criteriaSet, Literal("Bohan and Peter 1975"), g)
    yield Quad(summary, KG.producedBy, run, g)
    owl_class = most_specific(results.owl.classes)
    if owl_class:
        yield Quad(summary, KG.reasonerClass, getattr(KG, owl_class), g)
    if assessment.supported_class:
        yield Quad(summary, KG.supportedClass, getattr(KG, assessment.supported_class), g)
    for criterion in assessment.could_change:
        yield Quad(summary, KG.couldChange, Literal(criterion), g)
    for status in assessment.criteria:
        node = NamedNode(f"{results.case}/assessment/bohan-peter/{status.criterion}")
        for p, o in (
            (RDF.type, KG.CriterionAssessment),
            (KG.assessedCase, case),
            (KG.criterion, getattr(KG, CRITERIA[status.criterion])),
            (KG.assessmentStatus, Literal(status.status)),
            (KG.assessmentReason, Literal(status.reason)),
            (KG.producedBy, run),
        ):
            yield Quad(node, p, o, g)


def _eular(case: NamedNode, score: EularScore, run: NamedNode) -> Iterator[Quad]:
    g = INFERRED_GRAPH
    variant = "with-biopsy" if score.with_biopsy else "without-biopsy"
    node = NamedNode(f"{case.value}/assessment/eular-acr-2017/{variant}")
    values = [
        (RDF.type, KG.EularAcrScore),
        (KG.assessedCase, case),
        (KG.producedBy, run),
        (KG.withBiopsy, typed(score.with_biopsy, XSD.boolean)),
        (KG.score, typed(score.score, XSD.decimal)),
        (KG.iimClass, Literal(score.iim_class)),
    ]
    if score.subgroup:
        values.append((KG.subgroup, Literal(score.subgroup)))
    for p, o in values:
        yield Quad(node, p, o, g)
    for contribution in score.contributions:
        part = NamedNode(f"{node.value}/{contribution.variable.key}")
        yield Quad(node, KG.hasContribution, part, g)
        for p, o in (
            (RDF.type, KG.ScoreContribution),
            (KG.variableLabel, Literal(contribution.variable.label)),
            (KG.weight, typed(contribution.weight, XSD.decimal)),
            (KG.variableStatus, Literal(contribution.status)),
            (KG.assessmentReason, Literal(contribution.reason)),
        ):
            yield Quad(part, p, o, g)
