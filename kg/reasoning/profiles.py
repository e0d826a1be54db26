"""Case profiles: the facts an OWL criteria class can see, so each distinct profile is reasoned
once.

The criteria classes only mention a handful of HPO classes, muscle enzyme results and the EMG and
muscle biopsy. An observed HPO term matters only if it falls under one of those classes, and that is
a fixed property of the HPO hierarchy, computed once per run. Cases with the same projected facts
are indistinguishable to the criteria, so they share one profile and one reasoner result; cost then
grows with the number of distinct profiles, not of cases.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kg.reasoning.bohan_peter import (
    BIOPSY_ABNORMALITIES,
    ENZYME_FINDINGS,
    MUSCLE_ENZYME_LOINC,
    MYOPATHIC_EMG,
    PROXIMAL_WEAKNESS,
    TYPICAL_RASH,
    IsA,
)
from kg.reasoning.facts import CaseFacts

FINDING_ANCHORS = (PROXIMAL_WEAKNESS, *TYPICAL_RASH, *ENZYME_FINDINGS)


@dataclass(frozen=True, order=True)
class Profile:
    """The criterion-relevant facts of a case, in canonical (sorted) form."""

    findings: tuple[str, ...]
    raised_enzymes: tuple[str, ...]
    emg_results: tuple[tuple[str, ...], ...]
    biopsy_results: tuple[tuple[str, ...], ...]


def _relevant(terms: Iterable[str], anchors: tuple[str, ...], is_a: IsA) -> tuple[str, ...]:
    return tuple(sorted({t for t in terms if any(is_a(t, a) for a in anchors)}))


def profile_of(facts: CaseFacts, is_a: IsA) -> Profile:
    """Project a case's facts onto what the criteria classes can distinguish.

    :param facts: the case's facts.
    :param is_a: reflexive HPO subsumption, used only to drop terms no criterion class mentions.
    """
    raised = {
        loinc
        for loinc, interpretation, _ in facts.labs
        if loinc in MUSCLE_ENZYME_LOINC and interpretation == "high"
    }
    emg = {_relevant(e.results, (MYOPATHIC_EMG,), is_a) for e in facts.emg if e.performed}
    biopsy = {
        _relevant(b.results, BIOPSY_ABNORMALITIES, is_a) for b in facts.muscle_biopsy if b.performed
    }
    return Profile(
        findings=_relevant(facts.observed_terms, FINDING_ANCHORS, is_a),
        raised_enzymes=tuple(sorted(raised)),
        emg_results=tuple(sorted(r for r in emg if r)),
        biopsy_results=tuple(sorted(r for r in biopsy if r)),
    )


def group_by_profile(profiles: dict[str, Profile]) -> dict[Profile, list[str]]:
    """Group case IRIs by profile, in a stable order."""
    groups: dict[Profile, list[str]] = {}
    for case, profile in sorted(profiles.items()):
        groups.setdefault(profile, []).append(case)
    return groups
