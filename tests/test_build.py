"""Building is repeatable and incremental: one named graph per case, one for the ontology."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, Quad

import kg.prepare
import kg.store.embedded
from kg.build import InvalidCases, build_graph, case_files, holds_cases, stored_checksums
from kg.cases import add_cases
from kg.curation.validate import ValidationResult, validate_file
from kg.paths import CASES_DIR, ONTOLOGY_DIR
from kg.prepare import prepare_files
from kg.rdf.vocab import BUILD_GRAPH, CASE_BASE, KG, ONTOLOGY_GRAPH, XSD, case_graph
from kg.store import EmbeddedStore
from tests.conftest import FOUNDING_CASE


def _sorted_quads(store: EmbeddedStore, graph: NamedNode | None = None) -> list[str]:
    return sorted(str(quad) for quad in store.quads(graph))


def _copy_cases(tmp_path: Path) -> Path:
    folder = tmp_path / "cases"
    shutil.copytree(CASES_DIR, folder)
    second = (folder / f"{FOUNDING_CASE}.yaml").read_text(encoding="utf-8")
    (folder / "copy-of-founding.yaml").write_text(
        second.replace(f"id: {FOUNDING_CASE}", "id: copy-of-founding"), encoding="utf-8"
    )
    return folder


def test_build_makes_one_graph_per_case_and_one_for_the_ontology(
    built_store: EmbeddedStore,
) -> None:
    graphs = built_store.graphs()
    assert ONTOLOGY_GRAPH in graphs
    assert case_graph(FOUNDING_CASE) in graphs


def test_building_twice_gives_the_same_store(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "store")
    first = build_graph(store, CASES_DIR)
    before = _sorted_quads(store)
    second = build_graph(store, CASES_DIR)
    every_case = sorted(path.stem for path in case_files(CASES_DIR))
    assert sorted(first.added) == every_case
    assert sorted(second.unchanged) == every_case and not second.added and not second.replaced
    assert not second.ontology_updated
    assert _sorted_quads(store) == before


def test_a_changed_case_replaces_only_its_own_graph(tmp_path: Path) -> None:
    folder = _copy_cases(tmp_path)
    store = EmbeddedStore(tmp_path / "store")
    build_graph(store, folder)
    untouched = _sorted_quads(store, case_graph(FOUNDING_CASE))
    changed_file = folder / "copy-of-founding.yaml"
    changed_file.write_text(
        changed_file.read_text(encoding="utf-8").replace("age: 43", "age: 44"), encoding="utf-8"
    )
    report = build_graph(store, folder)
    assert report.replaced == ["copy-of-founding"]
    assert FOUNDING_CASE in report.unchanged and "copy-of-founding" not in report.unchanged
    assert _sorted_quads(store, case_graph(FOUNDING_CASE)) == untouched
    ages = [
        q.object.value
        for q in store.quads(case_graph("copy-of-founding"))
        if q.predicate.value.endswith("ageAtPresentation")
    ]
    assert ages == ["44"]


def test_an_invalid_case_changes_nothing(tmp_path: Path) -> None:
    folder = _copy_cases(tmp_path)
    store = EmbeddedStore(tmp_path / "store")
    build_graph(store, folder)
    before = _sorted_quads(store)
    broken = folder / "copy-of-founding.yaml"
    broken.write_text(
        broken.read_text(encoding="utf-8").replace("HP:0025508", "HP:0025805"), encoding="utf-8"
    )
    (folder / "another.yaml").write_text(
        (folder / f"{FOUNDING_CASE}.yaml")
        .read_text(encoding="utf-8")
        .replace(f"id: {FOUNDING_CASE}", "id: another"),
        encoding="utf-8",
    )
    try:
        build_graph(store, folder)
    except InvalidCases as error:
        assert any(issue.rule == "unknown-hpo-id" for issue in error.issues)
    else:
        raise AssertionError("an invalid case file was accepted")
    assert _sorted_quads(store) == before


# --- the bulk path (empty store) and the transactional path write the same cases --------------


def _case_quads(store: EmbeddedStore) -> list[str]:
    """Every case quad but the time it was added, which differs between two builds."""
    return sorted(
        str(q)
        for q in store.quads()
        if q.graph_name.value.startswith(CASE_BASE) and q.predicate != KG.addedAt
    )


def test_bulk_and_transactional_writes_give_the_same_case_graphs(tmp_path: Path) -> None:
    folder = _copy_cases(tmp_path)
    bulk = EmbeddedStore(tmp_path / "bulk")
    build_graph(bulk, folder)  # no case stored yet: one bulk load
    stepwise = EmbeddedStore(tmp_path / "stepwise")
    first, *rest = case_files(folder)
    add_cases(stepwise, [first])  # a case is stored, so the rest go through transactions
    report = build_graph(stepwise, folder)
    assert sorted(report.added) == sorted(p.stem for p in rest)
    assert _case_quads(bulk) == _case_quads(stepwise)
    assert BUILD_GRAPH not in bulk.graphs()  # the in-progress marker is gone


def test_a_bulk_load_in_many_runs_gives_the_same_case_graphs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _copy_cases(tmp_path)
    whole = EmbeddedStore(tmp_path / "whole")
    build_graph(whole, folder)
    monkeypatch.setattr(kg.prepare, "CHUNK_FILES", 1)  # a spool file per case
    monkeypatch.setattr(kg.store.embedded, "BULK_LOAD_BYTES", 1)  # each spool file alone
    runs: list[int] = []
    load = kg.store.embedded.load_groups
    monkeypatch.setattr(
        kg.store.embedded, "load_groups", lambda *a: runs.append(len(g := load(*a))) or g
    )
    parts = EmbeddedStore(tmp_path / "parts")
    build_graph(parts, folder)
    assert runs[0] > 1  # the load really was split
    assert _case_quads(parts) == _case_quads(whole)
    assert BUILD_GRAPH not in parts.graphs()


def test_a_build_after_an_interrupted_bulk_load_starts_the_cases_again(tmp_path: Path) -> None:
    folder = _copy_cases(tmp_path)
    complete = EmbeddedStore(tmp_path / "complete")
    build_graph(complete, folder)
    # What a crash in the middle of a bulk load leaves: the marker and part of one case.
    store = EmbeddedStore(tmp_path / "interrupted")
    started = Literal("2026-11-23T10:00:00", datatype=XSD.dateTime)
    store.replace_graph(
        BUILD_GRAPH, [Quad(BUILD_GRAPH, KG.bulkLoadStartedAt, started, BUILD_GRAPH)]
    )
    quads = list(complete.quads(case_graph(FOUNDING_CASE)))
    # Half the case, checksum included, so only the marker can tell that it is incomplete.
    half = [q for i, q in enumerate(quads) if i % 2 or q.predicate == KG.sourceChecksum]
    store.replace_graph(case_graph(FOUNDING_CASE), half)
    report = build_graph(store, folder)
    assert FOUNDING_CASE in report.added  # not taken as unchanged on a partial graph's checksum
    assert _case_quads(store) == _case_quads(complete)
    assert BUILD_GRAPH not in store.graphs()


def test_prepared_cases_read_back_from_the_spool_as_converted(tmp_path: Path) -> None:
    path = CASES_DIR / f"{FOUNDING_CASE}.yaml"
    (prepared,) = prepare_files([path], tmp_path)
    result = validate_file(path)
    assert prepared.spool is not None and prepared.quads is None  # nothing held in memory
    assert result.quads and sorted(map(str, prepared.load_quads())) == sorted(
        map(str, result.quads)
    )


def test_a_rebuild_validates_only_changed_files_while_the_ontology_is_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _copy_cases(tmp_path)
    store = EmbeddedStore(tmp_path / "store")
    build_graph(store, folder)
    changed = folder / "copy-of-founding.yaml"
    changed.write_text(changed.read_text("utf-8").replace("age: 43", "age: 44"), "utf-8")
    validated: list[str] = []
    real = kg.prepare.validate_file

    def counting(path: Path) -> ValidationResult:
        validated.append(path.stem)
        return real(path)

    monkeypatch.setattr(kg.prepare, "validate_file", counting)
    report = build_graph(store, folder)
    assert validated == ["copy-of-founding"] and report.replaced == ["copy-of-founding"]
    others = sorted(p.stem for p in case_files(folder) if p.stem != "copy-of-founding")
    assert sorted(report.unchanged) == others
    # A changed ontology may have dropped a term a stored case uses: every file is checked again.
    ontology = tmp_path / "ontology"
    shutil.copytree(ONTOLOGY_DIR, ontology)
    with (ontology / "kg-edit.ttl").open("a", encoding="utf-8") as handle:
        handle.write("\n# an edit\n")
    validated.clear()
    build_graph(store, folder, ontology_dir=ontology)
    assert sorted(validated) == sorted(p.stem for p in case_files(folder))


def test_checksums_of_some_cases_are_those_every_case_has(
    built_store: EmbeddedStore, memory_store: EmbeddedStore
) -> None:
    """Judging a batch reads only its cases' checksums: the same values, absent ids left out."""
    every = stored_checksums(built_store)
    assert FOUNDING_CASE in every and len(every) == len(case_files(CASES_DIR))
    some = stored_checksums(built_store, [FOUNDING_CASE, "not-a-stored-case", FOUNDING_CASE])
    assert some == {FOUNDING_CASE: every[FOUNDING_CASE]}
    assert stored_checksums(built_store, []) == {}
    assert holds_cases(built_store) and not holds_cases(memory_store)
