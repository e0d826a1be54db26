"""PNS Euronetwork 2004 criteria, applied to dermatomyositis (a classical syndrome in 2004).

Graus et al., J Neurol Neurosurg Psychiatry 2004;75:1135-1140, doi:10.1136/jnnp.2003.034447.
"Within 5 years" is read as the absolute interval between the cancer and the syndrome diagnoses,
as the founding paper applies it. The 2021 update excludes inflammatory myopathies, so DM is not
classified under it. Possible-PNS rule 1 needs "a high risk of an underlying tumour", which case
files do not record, so it is reported as not assessable rather than guessed.
"""

from __future__ import annotations

from dataclasses import dataclass

from kg.rdf.vocab import KG
from kg.reasoning.facts import CaseFacts

SOURCE = "doi:10.1136/jnnp.2003.034447"
FIVE_YEARS_DAYS = 5 * 365 + 1  # the bounds use 365-366 days a year; a leap day keeps this honest
WELL_CHARACTERISED = frozenset(
    getattr(KG, name).value
    for name in (
        "AntiHuAntibody",
        "AntiYoAntibody",
        "AntiCV2Antibody",
        "AntiRiAntibody",
        "AntiMa2Antibody",
        "AntiAmphiphysinAntibody",
    )
)


@dataclass(frozen=True)
class PnsClassification:
    """Definite, possible or not classified, with the rule that fired (or why none could)."""

    pns_class: str
    rule: str


def classify_pns(facts: CaseFacts, has_dermatomyositis: bool) -> PnsClassification:
    """Classify a case by the 2004 criteria.

    :param facts: the case's facts (cancer-to-DM interval, antibodies).
    :param has_dermatomyositis: whether the case has DM (reported, or classified by Bohan and
        Peter).
    """
    onconeural = sorted(
        cls
        for cls, result, _ in facts.antibodies
        if cls in WELL_CHARACTERISED and result != "negative"
    )
    if onconeural:
        return PnsClassification(
            "definite",
            "definite rule 4: well-characterised onconeural antibody " + ", ".join(onconeural),
        )
    if not has_dermatomyositis:
        return PnsClassification(
            "not classified", "no dermatomyositis documented, and no onconeural antibody"
        )
    if not facts.cancer_intervals_days:
        if not facts.has_neoplasm:
            return PnsClassification(
                "not classified",
                "classical syndrome without cancer: possible rule 1 needs a high tumour risk, "
                "which is not recorded",
            )
        return PnsClassification(
            "not classified", "the interval between cancer and DM diagnoses is not on the timeline"
        )
    # with several cancers, one within 5 years is enough: the most favourable interval decides
    verdicts = [_interval_verdict(low, high) for low, high in facts.cancer_intervals_days]
    return min(verdicts, key=lambda v: _FAVOUR[v.pns_class])


_FAVOUR = {"definite": 0, "undetermined": 1, "not classified": 2}


def _interval_verdict(low: int | None, high: int | None) -> PnsClassification:
    """Rule 1 for one cancer-to-DM interval (days, at least and at most)."""
    if low is not None and high is not None and -FIVE_YEARS_DAYS <= low and high <= FIVE_YEARS_DAYS:
        return PnsClassification(
            "definite",
            "definite rule 1: classical syndrome (dermatomyositis) and cancer within 5 years "
            f"({low} to {high} days)",
        )
    if (low is not None and low > FIVE_YEARS_DAYS) or (
        high is not None and high < -FIVE_YEARS_DAYS
    ):
        return PnsClassification("not classified", "cancer more than 5 years from the DM diagnosis")
    return PnsClassification(
        "undetermined", "the timeline does not bound the cancer-to-DM interval within 5 years"
    )
