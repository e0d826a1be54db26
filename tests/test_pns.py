"""PNS 2004 rule 1 when a case has several cancers: one within 5 years is enough, in any order.

Graus et al. 2004 (doi:10.1136/jnnp.2003.034447): definite PNS when a classical syndrome (DM) and
a cancer develop within 5 years of each other.
"""

from __future__ import annotations

from typing import Any

from kg.rdf.vocab import KG
from kg.reasoning.facts import COLUMNS, CaseFacts, build_facts
from kg.reasoning.pns import classify_pns

CASE = "https://example.org/case/two-cancers"
WITHIN = (100, 200)  # DM 100 to 200 days after one cancer
BEYOND = (3650, 3700)  # and about ten years after another


def _case_rows(*intervals: tuple[int, int]) -> list[dict[str, Any]]:
    return [
        {
            "case": CASE, "caseId": "two-cancers", "age": "61", "ageEvent": None,
            "condition": KG.Dermatomyositis.value, "certainty": "confirmed",
            "minDays": str(low), "maxDays": str(high), "hasNeoplasm": "true",
        }
        for low, high in intervals
    ]  # fmt: skip


def _facts(rows: list[dict[str, Any]]) -> CaseFacts:
    tables = {"cases": [tuple(row[column] for column in COLUMNS["cases"]) for row in rows]}
    return build_facts(lambda name: iter(tables.get(name, [])))[CASE]


def test_the_rows_order_does_not_change_the_facts() -> None:
    one, other = _facts(_case_rows(WITHIN, BEYOND)), _facts(_case_rows(BEYOND, WITHIN))
    assert one.cancer_intervals_days == other.cancer_intervals_days == [WITHIN, BEYOND]


def test_one_cancer_within_five_years_makes_it_definite_whatever_the_order() -> None:
    for rows in (_case_rows(WITHIN, BEYOND), _case_rows(BEYOND, WITHIN)):
        pns = classify_pns(_facts(rows), has_dermatomyositis=True)
        assert pns.pns_class == "definite" and "100 to 200 days" in pns.rule


def test_only_a_cancer_beyond_five_years_is_not_classified() -> None:
    pns = classify_pns(_facts(_case_rows(BEYOND)), has_dermatomyositis=True)
    assert pns.pns_class == "not classified" and "more than 5 years" in pns.rule
