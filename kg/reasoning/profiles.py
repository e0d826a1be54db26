"""Case profiles: the facts an OWL criteria class can see, so each distinct profile is reasoned
once.

The criteria classes only mention a handful of HPO classes, muscle enzyme results and the EMG and
muscle biopsy. An observed HPO term matters only if it falls under one of those classes, and that is
a fixed property of the HPO hierarchy, computed once per run. Cases with the same projected facts
are indistinguishable to the criteria, so they share one profile and one reasoner result; cost then
grows with the number of distinct profiles, not of cases.

Profiles are then made canonical (:class:`Canonicaliser`): a relevant HPO term is replaced by a
representative term that falls under exactly the same criterion anchors, and an enzyme code by a
representative muscle enzyme code. This is sound because the criteria classes mention HPO terms only
as anchors (``ObservedFinding ⊓ anchor`` under an existential) and name the five enzyme codes as one
data range, and the reasoner's input has no other axiom about these terms (the HPO import is a
plain subclass hierarchy: no disjointness, equivalence or complement). So a profile class is
subsumed by a criteria class exactly when its canonical form is: each existential is entailed
by the same anchors before and after. The reasoner still does the subsumption (the representative
is a real HPO term, reasoned through the import), but sees each combination of anchors once:
10,000 synthetic cases had 8,287 distinct raw profiles and few dozen canonical ones.
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


Signature = tuple[str, ...]


class Canonicaliser:
    """Replaces terms by representatives with the same anchors, so equivalent profiles coincide.

    The first term seen with a given set of anchors becomes its representative, so the mapping
    grows with the distinct anchor sets (a few dozen), not with the corpus.
    """

    def __init__(self, is_a: IsA) -> None:
        self.is_a = is_a
        self._representatives: dict[Signature, str] = {}
        self._signatures: dict[tuple[str, Signature], Signature] = {}

    def _representative(self, term: str, anchors: tuple[str, ...]) -> str:
        key = (term, anchors)
        signature = self._signatures.get(key)
        if signature is None:
            signature = (*anchors, "|", *(a for a in anchors if self.is_a(term, a)))
            self._signatures[key] = signature
        return self._representatives.setdefault(signature, term)

    def _terms(self, terms: tuple[str, ...], anchors: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(sorted({self._representative(t, anchors) for t in terms}))

    def canonical(self, profile: Profile) -> Profile:
        """Return the profile with every term and code replaced by its representative."""
        # every code kept is one of MUSCLE_ENZYME_LOINC, all in the same data range of the TBox
        codes = {self._representatives.setdefault(("loinc",), c) for c in profile.raised_enzymes}
        enzymes = tuple(sorted(codes))
        return Profile(
            findings=self._terms(profile.findings, FINDING_ANCHORS),
            raised_enzymes=enzymes,
            emg_results=tuple(
                sorted({self._terms(r, (MYOPATHIC_EMG,)) for r in profile.emg_results})
            ),
            biopsy_results=tuple(
                sorted({self._terms(r, BIOPSY_ABNORMALITIES) for r in profile.biopsy_results})
            ),
        )


def group_by_profile(profiles: dict[str, Profile]) -> dict[Profile, list[str]]:
    """Group case IRIs by profile, in a stable order."""
    groups: dict[Profile, list[str]] = {}
    for case, profile in sorted(profiles.items()):
        groups.setdefault(profile, []).append(case)
    return groups
