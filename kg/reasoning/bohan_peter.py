"""Bohan and Peter 1975 under the open world: each criterion met, not met or undetermined, and why.

"Not reported" is not "absent". A criterion is met by a documented fact, not met only when the
paper excludes it (or the investigation was done and was normal), and otherwise undetermined. The
OWL classes in ontology/kg-edit.ttl decide what is met; this module adds what OWL's open world
cannot say: which criteria are explicitly not met, why the others are undetermined, and which
undetermined ones could change the class.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kg.reasoning.facts import CaseFacts

MET, NOT_MET, UNDETERMINED = "met", "not met", "undetermined"

PROXIMAL_WEAKNESS = "HP:0003701"
MYOPATHIC_EMG = "HP:0003458"
BIOPSY_ABNORMALITIES = ("HP:0003713", "HP:0100296", "HP:0009071")
TYPICAL_RASH = ("HP:0040324", "HP:0025508", "HP:0430033")
ENZYME_FINDINGS = ("HP:0003236", "HP:0012544", "HP:0031956", "HP:0031964", "HP:0025435")
# LOINC codes of the enzymes criterion II names: CK, aldolase, AST, ALT, LDH.
MUSCLE_ENZYME_LOINC = frozenset({"2157-6", "1761-6", "1920-8", "1742-6", "2532-0"})

CRITERIA = {
    "I": "BP1SymmetricalProximalWeakness",
    "II": "BP2RaisedMuscleEnzymes",
    "III": "BP3MyopathicEMG",
    "IV": "BP4AbnormalMuscleBiopsy",
    "V": "BP5TypicalSkinRash",
}
DM_CLASSES = {
    3: "BPDefiniteDermatomyositis",
    2: "BPProbableDermatomyositis",
    1: "BPPossibleDermatomyositis",
}
PM_CLASSES = {
    4: "BPDefinitePolymyositisPattern",
    3: "BPProbablePolymyositisPattern",
    2: "BPPossiblePolymyositisPattern",
}
CLASS_WORDS = {
    "BPDefiniteDermatomyositis": "definite dermatomyositis",
    "BPProbableDermatomyositis": "probable dermatomyositis",
    "BPPossibleDermatomyositis": "possible dermatomyositis",
    "BPDefinitePolymyositisPattern": "definite polymyositis",
    "BPProbablePolymyositisPattern": "probable polymyositis",
    "BPPossiblePolymyositisPattern": "possible polymyositis",
}

IsA = Callable[[str, str], bool]  # is_a(term, ancestor): reflexive subsumption in HPO


@dataclass(frozen=True)
class CriterionStatus:
    """One criterion's status for one case, with the reason in words."""

    criterion: str
    status: str
    reason: str


@dataclass(frozen=True)
class BohanPeterAssessment:
    """All five criteria, the class they support, and the undetermined criteria that could change
    it.
    """

    criteria: tuple[CriterionStatus, ...]
    supported_class: str | None
    could_change: tuple[str, ...]
    best_possible_class: str | None

    def status(self, criterion: str) -> str:
        """Return the status of one criterion (I-V)."""
        return next(c.status for c in self.criteria if c.criterion == criterion)


def _any_under(terms: frozenset[str], ancestors: tuple[str, ...], is_a: IsA) -> str | None:
    return next((t for t in sorted(terms) for a in ancestors if is_a(t, a)), None)


def _excluded_above(facts: CaseFacts, term: str, is_a: IsA) -> str | None:
    """Return an excluded term that covers ``term`` (itself or an ancestor): excluding a class
    excludes its subclasses.
    """
    return next((e for e in sorted(facts.excluded_terms) if is_a(term, e)), None)


def assess_weakness(facts: CaseFacts, is_a: IsA) -> CriterionStatus:
    """Criterion I: symmetrical proximal muscle weakness."""
    found = _any_under(facts.observed_terms, (PROXIMAL_WEAKNESS,), is_a)
    if found:
        return CriterionStatus("I", MET, f"observed {found}")
    excluded = _excluded_above(facts, PROXIMAL_WEAKNESS, is_a)
    if excluded:
        return CriterionStatus("I", NOT_MET, f"{excluded} excluded")
    return CriterionStatus("I", UNDETERMINED, "proximal weakness not reported")


def assess_enzymes(facts: CaseFacts, is_a: IsA) -> CriterionStatus:
    """Criterion II: raised skeletal muscle enzymes."""
    enzymes = [lab for lab in facts.labs if lab[0] in MUSCLE_ENZYME_LOINC]
    raised = [lab for lab in enzymes if lab[1] == "high"]
    if raised:
        return CriterionStatus("II", MET, "raised " + ", ".join(sorted(lab[2] for lab in raised)))
    found = _any_under(facts.observed_terms, ENZYME_FINDINGS, is_a)
    if found:
        return CriterionStatus("II", MET, f"observed {found}")
    if enzymes and all(lab[1] in ("normal", "low") for lab in enzymes):
        return CriterionStatus(
            "II", NOT_MET, "normal " + ", ".join(sorted(lab[2] for lab in enzymes))
        )
    return CriterionStatus(
        "II", UNDETERMINED, "no muscle enzyme result with an interpretation reported"
    )


def _assess_investigation(
    name: str, criterion: str, done: list, wanted: tuple[str, ...], is_a: IsA
) -> CriterionStatus:
    for item in done:
        found = _any_under(item.results, wanted, is_a) if item.performed else None
        if found:
            return CriterionStatus(criterion, MET, f"{name} showed {found}")
    performed = [item for item in done if item.performed]
    if performed:
        return CriterionStatus(criterion, NOT_MET, f"{name} done without the criterion's findings")
    reasons = [item.reason for item in done if not item.performed]
    if reasons:
        return CriterionStatus(
            criterion, UNDETERMINED, f"{name} not done: {reasons[0] or 'no reason given'}"
        )
    return CriterionStatus(criterion, UNDETERMINED, f"{name} not reported")


def assess_rash(facts: CaseFacts, is_a: IsA) -> CriterionStatus:
    """Criterion V: heliotrope rash, Gottron's papules or Gottron sign."""
    found = _any_under(facts.observed_terms, TYPICAL_RASH, is_a)
    if found:
        return CriterionStatus("V", MET, f"observed {found}")
    covering = [_excluded_above(facts, term, is_a) for term in TYPICAL_RASH]
    if all(covering):
        return CriterionStatus(
            "V", NOT_MET, "excluded " + ", ".join(sorted(set(filter(None, covering))))
        )
    return CriterionStatus("V", UNDETERMINED, "typical rash not reported")


def assess_bohan_peter(facts: CaseFacts, is_a: IsA) -> BohanPeterAssessment:
    """Assess all five criteria and derive the supported class.

    :param facts: the case's criterion-relevant facts.
    :param is_a: reflexive HPO subsumption, ``is_a(term, ancestor)``.
    """
    statuses = (
        assess_weakness(facts, is_a),
        assess_enzymes(facts, is_a),
        _assess_investigation("EMG", "III", facts.emg, (MYOPATHIC_EMG,), is_a),
        _assess_investigation(
            "muscle biopsy", "IV", facts.muscle_biopsy, BIOPSY_ABNORMALITIES, is_a
        ),
        assess_rash(facts, is_a),
    )
    by_name = {s.criterion: s.status for s in statuses}
    supported = classify_counts(by_name)
    optimistic = classify_counts({k: MET if v == UNDETERMINED else v for k, v in by_name.items()})
    could_change = tuple(
        name
        for name, status in by_name.items()
        if status == UNDETERMINED
        and any(classify_counts({**by_name, name: r}) != supported for r in (MET, NOT_MET))
    )
    return BohanPeterAssessment(statuses, supported, could_change, optimistic)


def classify_counts(statuses: dict[str, str]) -> str | None:
    """Return the Bohan and Peter class local name that the met criteria support.

    >>> classify_counts({"I": "met", "II": "met", "III": "met", "IV": "undetermined", "V": "met"})
    'BPDefiniteDermatomyositis'
    >>> classify_counts(
    ...     {"I": "met", "II": "met", "III": "not met", "IV": "undetermined", "V": "not met"}
    ... )
    'BPPossiblePolymyositisPattern'
    >>> classify_counts(
    ...     {"I": "met", "II": "met", "III": "met", "IV": "met", "V": "undetermined"}
    ... ) is None
    True
    """
    muscle = sum(statuses[c] == MET for c in ("I", "II", "III", "IV"))
    if statuses["V"] == MET:
        return DM_CLASSES.get(min(muscle, 3))
    if statuses["V"] == NOT_MET:
        return PM_CLASSES.get(muscle)
    return None
