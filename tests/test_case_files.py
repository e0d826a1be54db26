"""Every real case file validates clean, and every evidence quote is in its paper."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kg.build import case_files
from kg.curation.validate import validate_file
from kg.paths import CASES_DIR
from tests.conftest import FOUNDING_CASE, FOUNDING_PAPER


@pytest.mark.parametrize("path", case_files(CASES_DIR), ids=lambda p: p.name)
def test_case_file_validates_clean(path: Path) -> None:
    result = validate_file(path)
    assert [str(issue) for issue in result.issues] == []
    assert result.ok


def _normalise(text: str) -> str:
    # The paper's text comes from a PDF: line breaks split words and quotes are typographic.
    return re.sub(r"[^0-9a-z]", "", text.lower())


def _quotes(value: object) -> list[str]:
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            if key == "evidence":
                found += [item] if isinstance(item, str) else list(item)
            else:
                found += _quotes(item)
        return found
    if isinstance(value, list):
        return [quote for item in value for quote in _quotes(item)]
    return []


def test_every_founding_case_quote_is_in_the_paper() -> None:
    result = validate_file(CASES_DIR / f"{FOUNDING_CASE}.yaml")
    assert result.case is not None
    paper = _normalise(FOUNDING_PAPER.read_text(encoding="utf-8"))
    quotes = _quotes(result.case.data)
    assert len(quotes) > 80
    missing = [quote for quote in quotes if _normalise(quote) not in paper]
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
