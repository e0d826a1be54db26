"""Every real case file validates clean, and every evidence quote is in its paper."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.build import case_files
from kg.curation.validate import validate_file
from kg.paths import CASES_DIR
from tests.conftest import FOUNDING_CASE, FOUNDING_PAPER
from tests.evidence import evidence_quotes, normalise_text


@pytest.mark.parametrize("path", case_files(CASES_DIR), ids=lambda p: p.name)
def test_case_file_validates_clean(path: Path) -> None:
    result = validate_file(path)
    assert [str(issue) for issue in result.issues] == []
    assert result.ok


def test_every_founding_case_quote_is_in_the_paper() -> None:
    result = validate_file(CASES_DIR / f"{FOUNDING_CASE}.yaml")
    assert result.case is not None
    paper = normalise_text(FOUNDING_PAPER.read_text(encoding="utf-8"))
    quotes = evidence_quotes(result.case.data)
    assert len(quotes) > 80
    missing = [quote for quote in quotes if normalise_text(quote) not in paper]
    assert missing == []


def test_founding_case_records_what_the_paper_excludes() -> None:
    result = validate_file(CASES_DIR / f"{FOUNDING_CASE}.yaml")
    assert result.case is not None
    excluded = {f["label"] for _, f in result.case.all_findings() if f.get("status") == "excluded"}
    assert {"Dysphagia", "Dyspnea", "Neck muscle weakness", "Axial muscle weakness"} <= excluded
    assert (
        "Periungual teleangiectasia" in excluded
    )  # "without visible dilated capillary nailfold loops"
    biopsy = next(i for i in result.case.section("investigations") if i["type"] == "muscle-biopsy")
    assert biopsy["done"] is False
    assert "seeding" in biopsy["reason"]
