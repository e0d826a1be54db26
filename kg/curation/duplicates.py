"""Find likely duplicates: one patient reported in two papers, curated as two cases.

A patient is often reported twice: first as a case report, then again in a review or a series, and
the second paper rarely says so. Counting them twice would inflate every association the graph
answers, yet merging on a guess would lose a real patient. So a pair is only *reported* for a
curator to review, never merged: same sex, ages within a year, a tumour type in common, and
overlapping observed findings.

Pairs are compared within blocks of the same sex and tumour type, sorted by age, so the work grows
with the number of real candidates rather than with the square of the number of cases.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from kg.curation.case_file import CaseFile

AGE_TOLERANCE_YEARS = 1.0
# Shared observed findings over the smaller finding set: a secondary report usually lists a
# subset of the primary report's findings, which this measure, unlike Jaccard, does not punish.
MIN_FINDING_OVERLAP = 0.5


@dataclass(frozen=True)
class CaseProfile:
    """What identifies a patient across papers, reduced to comparable values."""

    case_id: str
    sex: str
    age: float | None
    tumours: frozenset[str]
    findings: frozenset[str]
    sources: tuple[str, ...] = field(default=())

    @classmethod
    def from_case(cls, case: CaseFile) -> CaseProfile:
        """Profile a validated case file.

        :param case: the case.
        :returns: its sex, age, OncoTree codes, observed HPO ids and publication ids.
        """
        patient = case.data["patient"]
        observed = {f["hpo"] for _, f in case.all_findings() if f.get("status") != "excluded"}
        return cls(
            case_id=case.case_id,
            sex=patient["sex"],
            age=patient.get("age"),
            tumours=frozenset(t["oncotree"] for t in case.section("neoplasms")),
            findings=frozenset(observed),
            sources=publication_ids(case.data["publication"]),
        )


def publication_ids(publication: dict[str, object]) -> tuple[str, ...]:
    """Return a publication's identifiers as CURIEs, for messages.

    >>> publication_ids({"pmid": "32864095", "doi": "10.1186/x"})
    ('PMID:32864095', 'doi:10.1186/x')
    """
    found = []
    if publication.get("pmid"):
        found.append(f"PMID:{publication['pmid']}")
    if publication.get("doi"):
        found.append(f"doi:{publication['doi']}")
    return tuple(found)


@dataclass(frozen=True)
class LikelyDuplicate:
    """Two cases that may describe the same patient, with what they share."""

    first: CaseProfile
    second: CaseProfile
    tumours: frozenset[str]
    findings: frozenset[str]

    def describe(self) -> str:
        """Say why the pair looks like one patient, for the curator who reviews it."""
        a, b = self.first, self.second
        return (
            f"`{a.case_id}` ({', '.join(a.sources) or 'no id'}) and `{b.case_id}` "
            f"({', '.join(b.sources) or 'no id'}) may be the same patient: both {a.sex}, aged "
            f"{a.age:g} and {b.age:g}, {', '.join(sorted(self.tumours))}, sharing "
            f"{len(self.findings)} observed finding(s) ({', '.join(sorted(self.findings)[:5])}"
            f"{'...' if len(self.findings) > 5 else ''})"
        )


def compare(a: CaseProfile, b: CaseProfile) -> LikelyDuplicate | None:
    """Return the pair when two profiles look like one patient, else None.

    >>> x = CaseProfile("x", "female", 43, frozenset({"LMS"}), frozenset({"HP:1", "HP:2"}))
    >>> y = CaseProfile("y", "female", 44, frozenset({"LMS"}), frozenset({"HP:2"}))
    >>> compare(x, y).findings
    frozenset({'HP:2'})
    >>> compare(x, CaseProfile("z", "male", 43, x.tumours, x.findings)) is None
    True
    """
    if a.case_id == b.case_id or a.sex != b.sex or a.sex == "unknown":
        return None
    if a.age is None or b.age is None or abs(a.age - b.age) > AGE_TOLERANCE_YEARS:
        return None
    tumours, findings = a.tumours & b.tumours, a.findings & b.findings
    smaller = min(len(a.findings), len(b.findings))
    if not tumours or not findings or len(findings) / smaller < MIN_FINDING_OVERLAP:
        return None
    return LikelyDuplicate(a, b, tumours, findings)


def find_likely_duplicates(
    new: Iterable[CaseProfile], existing: Iterable[CaseProfile] = ()
) -> list[LikelyDuplicate]:
    """Find pairs that may be one patient: among the new cases, and between new and existing.

    Pairs of two existing cases are not reported again: they were reviewed when added. An
    existing case with the id of a new one is the version being replaced, and is left out.

    :param new: profiles of the cases being added.
    :param existing: profiles of the cases already in the store.
    :returns: each likely pair once, sorted by case ids.
    """
    new = list(new)
    incoming = {profile.case_id for profile in new}
    stored = [profile for profile in existing if profile.case_id not in incoming]
    found: dict[tuple[str, str], LikelyDuplicate | None] = {}
    for a, b in _candidate_pairs(new, stored):
        first, second = sorted((a, b), key=lambda profile: profile.case_id)
        key = (first.case_id, second.case_id)
        if key not in found:  # a pair sharing two tumour types is a candidate twice
            found[key] = compare(first, second)
    return [pair for _, pair in sorted(found.items()) if pair is not None]


def _candidate_pairs(
    new: list[CaseProfile], stored: list[CaseProfile]
) -> Iterator[tuple[CaseProfile, CaseProfile]]:
    """Yield pairs with at least one new case, the same sex and tumour type, ages within range."""
    blocks: dict[tuple[str, str], list[tuple[float, bool, CaseProfile]]] = defaultdict(list)
    for is_new, profiles in ((True, new), (False, stored)):
        for profile in profiles:
            for tumour in profile.tumours if profile.age is not None else ():
                blocks[(profile.sex, tumour)].append((float(profile.age or 0), is_new, profile))
    for block in blocks.values():
        block.sort(key=lambda entry: (entry[0], entry[2].case_id))
        for i, (age, is_new, profile) in enumerate(block):
            for other_age, other_new, other in block[i + 1 :]:
                if other_age - age > AGE_TOLERANCE_YEARS:
                    break
                if is_new or other_new:
                    yield profile, other
