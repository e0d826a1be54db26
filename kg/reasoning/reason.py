"""Classify every case in the store against the criteria and write the inferred graph.

Flow: read the criterion-relevant facts of every case; check each case for contradictions (nothing
is written if any case contradicts itself); project cases onto profiles and classify each distinct
profile once with the OWL reasoner; assess the open-world status of each criterion, the EULAR/ACR
score and the PNS class; replace the inferred graph in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from kg.rdf.vocab import INFERRED_GRAPH, KG
from kg.reasoning.bohan_peter import assess_bohan_peter
from kg.reasoning.classify import classify_profiles
from kg.reasoning.consistency import check_cases
from kg.reasoning.engine import Reasoner, ReasonerInfo
from kg.reasoning.eular import score_eular_acr
from kg.reasoning.facts import CaseFacts, read_case_facts
from kg.reasoning.inferred import CaseResults, case_quads, run_node, run_quads
from kg.reasoning.pns import classify_pns
from kg.reasoning.profiles import group_by_profile, profile_of
from kg.store.base import Store
from kg.terminology.hpo import load_hpo


@dataclass(frozen=True)
class ReasoningReport:
    """What a reasoning run did."""

    reasoner: ReasonerInfo
    cases: int
    profiles: int
    results: dict[str, CaseResults]


def case_results(facts: CaseFacts, classification: object, is_a: object) -> CaseResults:
    """Combine the reasoner's classes with the open-world assessment and the scores for one case."""
    bohan_peter = assess_bohan_peter(facts, is_a)  # type: ignore[arg-type]
    scores = [score_eular_acr(facts, is_a, with_biopsy=False)]  # type: ignore[arg-type]
    if any(b.performed for b in facts.muscle_biopsy):
        scores.append(score_eular_acr(facts, is_a, with_biopsy=True))  # type: ignore[arg-type]
    reported_dm = any(condition == KG.Dermatomyositis.value for condition, _ in facts.reported)
    has_dm = reported_dm or "BPPossibleDermatomyositis" in classification.classes  # type: ignore[attr-defined]
    return CaseResults(
        facts.case, classification, bohan_peter, tuple(scores), classify_pns(facts, has_dm)
    )  # type: ignore[arg-type]


def reason(store: Store, reasoner: Reasoner = "hermit") -> ReasoningReport:
    """Run the whole classification and replace the inferred graph.

    :raises Inconsistency: when a case contradicts itself (the store is left unchanged).
    :raises ReasonerError: when the reasoner fails.
    """
    hpo = load_hpo()
    facts = read_case_facts(store)
    check_cases(facts, reasoner)
    profiles = {case: profile_of(f, hpo.is_a) for case, f in facts.items()}
    groups = group_by_profile(profiles)
    classified = classify_profiles(list(groups), reasoner)
    info = next(iter(classified.values())).reasoner if classified else None
    results = {
        case: case_results(f, classified[profiles[case]], hpo.is_a) for case, f in facts.items()
    }
    if info is None:
        from kg.reasoning.engine import reasoner_version

        info = ReasonerInfo(reasoner, reasoner_version(reasoner), 0.0)
    run = run_node(info)
    quads = run_quads(info, datetime.now(UTC), len(facts), len(groups))
    for result in results.values():
        quads.extend(case_quads(result, run))
    store.replace_graph(INFERRED_GRAPH, quads)
    return ReasoningReport(info, len(facts), len(groups), results)
