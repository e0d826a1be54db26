"""Quality checks: each must fail on its failing fixture and pass on its passing one."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyoxigraph import RdfFormat

from kg.qc import load_checks, run_check, run_checks
from kg.store import EmbeddedStore

FIXTURES = Path(__file__).parent / "data" / "qc"
CHECKS = {check.rule: check for check in load_checks()}


def _store_with(path: Path) -> EmbeddedStore:
    store = EmbeddedStore(None)
    with path.open("rb") as handle:
        store._store.load(handle, RdfFormat.TRIG)
    return store


def test_every_check_has_both_fixtures() -> None:
    assert len(CHECKS) >= 4
    for rule in CHECKS:
        assert (FIXTURES / rule / "fail.trig").exists(), rule
        assert (FIXTURES / rule / "pass.trig").exists(), rule


@pytest.mark.parametrize("rule", sorted(CHECKS))
def test_check_fires_on_its_failing_fixture(rule: str) -> None:
    violations = run_check(_store_with(FIXTURES / rule / "fail.trig"), CHECKS[rule])
    assert violations, f"{rule} never fires: a check that cannot fail proves nothing"
    assert all(v.rule == rule and v.fix for v in violations)


@pytest.mark.parametrize("rule", sorted(CHECKS))
def test_check_passes_its_passing_fixture(rule: str) -> None:
    assert run_check(_store_with(FIXTURES / rule / "pass.trig"), CHECKS[rule]) == []


def test_label_check_names_each_missing_annotation() -> None:
    check = CHECKS["term-without-label-or-definition"]
    violations = run_check(_store_with(FIXTURES / check.rule / "fail.trig"), check)
    assert {(v.entity, v.property) for v in violations} == {
        ("kg:Case", "obo:IAO_0000115"),
        ("kg:reportedIn", "http://www.w3.org/2000/01/rdf-schema#label"),
    }


def test_qc_passes_on_the_real_data(built_store: EmbeddedStore) -> None:
    assert [str(v) for v in run_checks(built_store)] == []
