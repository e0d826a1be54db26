"""Turn reasoning results into quads of the inferred graph, never mixed with asserted data.

Every result links to the reasoner run that produced it (reasoner, version, time), so a query can
tell inferred from asserted facts and know where each inference came from.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from pyoxigraph import Literal, NamedNode, Quad

from kg.rdf.convert import typed
from kg.rdf.vocab import BASE, INFERRED_GRAPH, KG, RDF, SHARED_BASE, XSD
from kg.reasoning.bohan_peter import CRITERIA, BohanPeterAssessment, CriterionStatus
from kg.reasoning.classify import Classification, most_specific
from kg.reasoning.engine import ReasonerInfo
from kg.reasoning.eular import Contribution, EularScore
from kg.reasoning.pns import PnsClassification
from kg.reasoning.statements import Statement, iri, statement, text, typed_text


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


# each term of the vocabulary as N-Quads text, by local name
_TERM = {name: str(term) for name, term in KG.terms.items()}
# Distinct shared nodes remembered (410 contributions and 78 criterion assessments at 10,000
# cases); the memo only spares remaking them.
SHARED_MEMO = 1 << 14


def case_statements(results: CaseResults, run: NamedNode) -> list[Statement]:
    """All inferred quads about one case, as statements (:mod:`kg.reasoning.statements`)."""
    case = iri(results.case)
    out = [statement(case, RDF.type, _TERM[name]) for name in sorted(results.owl.classes)]
    out += _bohan_peter(case, results, str(run))
    for score in results.eular:
        out += _eular(case, score, str(run))
    pns = iri(f"{results.case}/assessment/pns-2004")
    for p, o in (
        (RDF.type, _TERM["PnsAssessment"]),
        (KG.assessedCase, case),
        (KG.producedBy, str(run)),
        (KG.pnsClass, text(results.pns.pns_class)),
        (KG.pnsRule, text(results.pns.rule)),
    ):
        out.append(statement(pns, p, o))
    return out


def _bohan_peter(case: str, results: CaseResults, run: str) -> list[Statement]:
    summary = iri(f"{results.case}/assessment/bohan-peter")
    assessment = results.bohan_peter
    out = [
        statement(summary, RDF.type, _TERM["ClassificationResult"]),
        statement(summary, KG.assessedCase, case),
        statement(summary, KG.criteriaSet, text("Bohan and Peter 1975")),
        statement(summary, KG.producedBy, run),
    ]
    owl_class = most_specific(results.owl.classes)
    if owl_class:
        out.append(statement(summary, KG.reasonerClass, _TERM[owl_class]))
    if assessment.supported_class:
        out.append(statement(summary, KG.supportedClass, _TERM[assessment.supported_class]))
    out += [statement(summary, KG.couldChange, text(c)) for c in assessment.could_change]
    for status in assessment.criteria:
        node, _ = criterion_node(status)
        out.append(statement(summary, KG.hasCriterionAssessment, node))
    return out


def _eular(case: str, score: EularScore, run: str) -> list[Statement]:
    variant = _variant(score.with_biopsy)
    node = iri(f"{case[1:-1]}/assessment/eular-acr-2017/{variant}")
    values = [
        (RDF.type, _TERM["EularAcrScore"]),
        (KG.assessedCase, case),
        (KG.producedBy, run),
        (KG.withBiopsy, typed_text(score.with_biopsy, XSD.boolean)),
        (KG.score, typed_text(score.score, XSD.decimal)),
        (KG.iimClass, text(score.iim_class)),
    ]
    if score.subgroup:
        values.append((KG.subgroup, text(score.subgroup)))
    out = [statement(node, p, o) for p, o in values]
    for contribution in score.contributions:
        part, _ = contribution_node(variant, contribution)
        out.append(statement(node, KG.hasContribution, part))
    return out


def _variant(with_biopsy: bool) -> str:
    return "with-biopsy" if with_biopsy else "without-biopsy"


def shared_nodes(results: Iterable[CaseResults]) -> dict[str, list[Statement]]:
    """The shared nodes some cases' results link to, each once: node (N-Quads) -> its statements
    (:func:`criterion_node`, :func:`contribution_node`)."""
    nodes: dict[str, list[Statement]] = {}
    for case in results:
        for status in case.bohan_peter.criteria:
            node, statements = criterion_node(status)
            nodes[node] = statements
        for score in case.eular:
            variant = _variant(score.with_biopsy)
            for contribution in score.contributions:
                node, statements = contribution_node(variant, contribution)
                nodes[node] = statements
    return nodes


@lru_cache(maxsize=SHARED_MEMO)
def criterion_node(status: CriterionStatus) -> tuple[str, list[Statement]]:
    """The node of one Bohan and Peter criterion's status and reason, shared by every case
    assessed the same way, and its statements; a case's summary links to five of them.

    At 10,000 cases the 50,000 criterion assessments were 78 distinct ones, and as nodes of their
    own (six quads each, with the case and the run) they were 30 of a case's 81 quads. The case
    and the run are on the summary that links to them.

    >>> a = CriterionStatus("IV", "undetermined", "muscle biopsy not done")
    >>> node, statements = criterion_node(a)
    >>> node.startswith("<https://w3id.org/dmkg/inferred/shared/bohan-peter/IV/")
    True
    >>> node == criterion_node(CriterionStatus("IV", "undetermined", "not reported"))[0]
    False
    """
    values = [
        (RDF.type, _TERM["CriterionAssessment"]),
        (KG.criterion, _TERM[CRITERIA[status.criterion]]),
        (KG.assessmentStatus, text(status.status)),
        (KG.assessmentReason, text(status.reason)),
    ]
    return _shared(f"bohan-peter/{status.criterion}", values)


def _shared(path: str, values: list[tuple[object, str]]) -> tuple[str, list[Statement]]:
    """A shared node named under ``path`` by a digest of what it says, and its statements."""
    said = hashlib.sha256("\n".join(o for _, o in values).encode()).hexdigest()[:16]
    node = iri(f"{SHARED_BASE}{path}/{said}")
    return node, [statement(node, p, o) for p, o in values]


@lru_cache(maxsize=SHARED_MEMO)
def contribution_node(variant: str, contribution: Contribution) -> tuple[str, list[Statement]]:
    """The node of one contribution, shared by every score with the same one, and its statements.

    A contribution is a value: the variable, its status, the weight it added and the reason, the
    same for every case where they are the same. At 10,000 cases the 175,200 contributions were
    410 distinct ones; written as a node of their own for each case (five quads and a link,
    about eighteen a case), they were 107 of a case's 168 quads. So each distinct one is a
    node, named by its variant, its variable and a digest of what it says, and a score links to
    it; its IRI sorts by variable as a case's own node did. The writer adds a node the first
    time a run meets it and deletes the nodes no score links to once the run ends
    (:class:`~kg.reasoning.writes.InferredWriter`).

    >>> from kg.reasoning.eular import VARIABLES
    >>> a = Contribution(VARIABLES[0], "absent", 0.0, "not reported")
    >>> node, statements = contribution_node("with-biopsy", a)
    >>> node.startswith("<https://w3id.org/dmkg/inferred/shared/eular-acr-2017/with-biopsy/")
    True
    >>> node == contribution_node("with-biopsy", Contribution(VARIABLES[0], "absent", -0.0,
    ...                                                        "not reported"))[0]
    True
    >>> node == contribution_node("with-biopsy", a.__class__(a.variable, "absent", 0.0, "x"))[0]
    False
    """
    values = [
        (RDF.type, _TERM["ScoreContribution"]),
        (KG.variableLabel, text(contribution.variable.label)),
        (KG.weight, typed_text(contribution.weight, XSD.decimal)),
        (KG.variableStatus, text(contribution.status)),
        (KG.assessmentReason, text(contribution.reason)),
    ]
    return _shared(f"eular-acr-2017/{variant}/{contribution.variable.key}", values)
