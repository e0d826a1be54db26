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


def test_a_fact_query_returning_its_variables_in_another_order_gives_the_same_facts(
    built_store: EmbeddedStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Facts are built from rows by position; a server may return the variables in another order
    than the query selects them, and the rows are then put in the order the facts are read in.
    (Patched here, in this process: the curated cases are too few for worker processes.)"""
    expected = read_case_facts(built_store)  # with the query as it is
    original = facts_module._query
    reordered = original("labs").replace(
        "SELECT ?case ?loinc ?interpretation ?test", "SELECT ?test ?case ?interpretation ?loinc"
    )
    assert reordered != original("labs")
    monkeypatch.setattr(
        facts_module, "_query", lambda name: reordered if name == "labs" else original(name)
    )
    cases = case_iris(built_store)
    spool_case_facts(built_store, [cases], tmp_path)
    facts = spooled_facts(tmp_path, 0)
    assert any(f.labs for f in facts.values()), "the curated cases have lab results"
    assert facts == expected
    assert read_case_facts(built_store) == expected  # the path reading the store directly


def test_a_fact_query_missing_a_variable_is_refused(
    built_store: EmbeddedStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = facts_module._query
    shorter = original("labs").replace("?interpretation ?test", "?test")
    monkeypatch.setattr(
        facts_module, "_query", lambda name: shorter if name == "labs" else original(name)
    )
    with pytest.raises(StoreError, match=r"labs\.rq returns .* but not interpretation"):
        spool_case_facts(built_store, [case_iris(built_store)], tmp_path)
