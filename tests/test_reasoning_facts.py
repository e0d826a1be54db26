"""Spooling the case facts by chunk gives the same records as reading them all at once.

Reasoning reads each fact query once over the store and files its rows by chunk of cases, a few
thousand rows at a time (kg/reasoning/facts.py); the records built back from the spool must be
those of one read of the whole store, however the rows were cut into batches.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.errors import StoreError
from kg.reasoning import facts as facts_module
from kg.reasoning.facts import case_iris, read_case_facts, spool_case_facts, spooled_facts
from kg.store import EmbeddedStore


@pytest.mark.parametrize("held_rows", [1, 7, facts_module.SPOOL_ROWS])
def test_spooled_facts_equal_one_read_of_the_store(
    built_store: EmbeddedStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, held_rows: int
) -> None:
    monkeypatch.setattr(facts_module, "SPOOL_ROWS", held_rows)
    cases = case_iris(built_store)
    chunks = [cases[start : start + 3] for start in range(0, len(cases), 3)]
    spool_case_facts(built_store, chunks, tmp_path)
    spooled = {}
    for index, chunk in enumerate(chunks):
        facts = spooled_facts(tmp_path, index)
        assert sorted(facts) == chunk
        spooled.update(facts)
    expected = read_case_facts(built_store)
    assert len(expected) > 3, "the curated cases should fill more than one chunk"
    assert spooled == expected


def test_a_fact_query_whose_variables_moved_is_refused(
    built_store: EmbeddedStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Spooled rows are read by position: a query selecting its variables in another order than
    the one the facts are read in would mix up fields, so it is an error, not wrong facts."""
    shuffled = dict(facts_module.COLUMNS, labs=("case", "test", "loinc", "interpretation"))
    monkeypatch.setattr(facts_module, "COLUMNS", shuffled)
    with pytest.raises(StoreError, match=r"labs\.rq selects .* but the facts are read as"):
        spool_case_facts(built_store, [case_iris(built_store)], tmp_path)
