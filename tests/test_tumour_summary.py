"""The tumour-type summary of DM cases answers exactly what the direct query over the cases does,
and follows every write of cases (build, add, replace, remove)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, serialize
from typer.testing import CliRunner

from benchmarks.generate import generate_case, load_vocabulary, to_yaml
from kg import tumour_summary
from kg.build import build_graph
from kg.cases import add_cases, remove_case
from kg.cli import app, register_command_modules
from kg.cli_store import commands
from kg.errors import StoreError
from kg.paths import CASES_DIR, PROJECT_ROOT
from kg.queries import find_query, parse_query_file
from kg.rdf.vocab import KG, ONTOLOGY_GRAPH, RDFS, SUMMARY_GRAPH, case_graph
from kg.results import to_table
from kg.store import EmbeddedStore
from kg.tumour_summary import refresh_summary, require_summary, summary_is_present
from tests.conftest import FOUNDING_CASE

DIRECT = parse_query_file(PROJECT_ROOT / "tests" / "data" / "tumour-dm-associations-direct.rq")
LISTS = ("sources", "positiveAntibodies")


def rows_of(store: EmbeddedStore, text: str) -> list[tuple[object, ...]]:
    """The query's rows in order, with its comma-separated lists sorted (GROUP_CONCAT has no
    order in SPARQL, so the direct form's lists come in whatever order the engine met them)."""
    table = to_table(store.query(text))
    out = []
    for row in table.rows:
        cells = dict(zip(table.columns, row, strict=True))
        for name in LISTS:
            cells[name] = tuple(sorted(cells[name].split(", "))) if cells[name] else cells[name]
        out.append(tuple(cells[name] for name in table.columns))
    return out


def by_code(store: EmbeddedStore, **params: str) -> dict[str, dict[str, str]]:
    table = to_table(store.query(find_query("tumour-dm-associations").bind(params)))
    rows = [dict(zip(table.columns, row, strict=True)) for row in table.rows]
    return {row["code"]: row for row in rows if row["code"]}


@pytest.mark.parametrize("tumour", [None, "LMS", "SOFT_TISSUE", "BONE", "CHS", "UCS"])
def test_summary_gives_the_direct_query_s_rows(built_store: EmbeddedStore, tumour: str) -> None:
    params = {"tumour": tumour} if tumour else {}
    direct = rows_of(built_store, DIRECT.bind(params))
    summary = rows_of(built_store, find_query("tumour-dm-associations").bind(params))
    assert direct, "the curated cases have DM cases under every tumour type tested"
    # same rows; rows tied on (cases, label) may come in either order
    assert sorted(map(repr, summary)) == sorted(map(repr, direct))
    assert [row[:4] for row in summary] == [row[:4] for row in direct]


def test_summary_lists_are_sorted(built_store: EmbeddedStore) -> None:
    for row in by_code(built_store).values():
        for name in LISTS:
            if row[name]:
                items = row[name].split(", ")
                assert items == sorted(items), (row["code"], name)


@pytest.fixture
def small_store(tmp_path: Path) -> EmbeddedStore:
    """A store built from a copy of the curated cases, for tests that write."""
    cases = tmp_path / "cases"
    shutil.copytree(CASES_DIR, cases)
    store = EmbeddedStore(tmp_path / "store")
    build_graph(store, cases)
    return store


def test_summary_follows_removing_and_adding_a_case(small_store: EmbeddedStore) -> None:
    """The founding case is the only leiomyosarcoma with DM among the curated cases (Merry 2020)."""
    before = by_code(small_store)
    assert before["LMS"]["cases"] == "1"
    remove_case(small_store, FOUNDING_CASE)
    after = by_code(small_store)
    assert "LMS" not in after
    assert int(after["SOFT_TISSUE"]["cases"]) == int(before["SOFT_TISSUE"]["cases"]) - 1
    add_cases(small_store, [CASES_DIR / f"{FOUNDING_CASE}.yaml"])
    assert by_code(small_store) == before


def test_a_rebuild_restores_a_missing_summary_and_an_unchanged_one_is_not_rewritten(
    small_store: EmbeddedStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = by_code(small_store)
    small_store.update("DROP GRAPH <https://w3id.org/dmkg/graph/tumour-dm-summary>")
    assert not summary_is_present(small_store) and by_code(small_store) == {}
    build_graph(small_store, tmp_path / "cases")  # every case unchanged: only the summary is redone
    assert by_code(small_store) == before
    written: list[object] = []
    replace = small_store.replace_graph

    def recorded(graph: object, quads: object) -> None:
        written.append(graph)
        replace(graph, quads)  # type: ignore[arg-type]

    monkeypatch.setattr(small_store, "replace_graph", recorded)
    build_graph(small_store, tmp_path / "cases")
    refresh_summary(small_store)  # nothing changed: the summary is not rewritten
    assert written == []


def test_a_write_stopped_before_the_summary_leaves_none_and_the_next_add_recomputes_it(
    small_store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write drops the summary before it changes a case, so a write that stops part-way leaves
    no summary, which the query refuses, rather than a stale one, which it would answer from."""
    before = by_code(small_store)
    remove_case(small_store, FOUNDING_CASE)

    def stop(store: EmbeddedStore, graphs: object = None, above: object = None) -> None:
        raise StoreError("stopped")

    monkeypatch.setattr("kg.tumour_summary.tally", stop)  # a full count
    monkeypatch.setattr("kg.summary_update.tally", stop)  # the added case alone
    with pytest.raises(StoreError, match="stopped"):
        add_cases(small_store, [CASES_DIR / f"{FOUNDING_CASE}.yaml"])
    monkeypatch.undo()
    assert case_graph(FOUNDING_CASE) in small_store.graphs()  # the case was written
    assert not summary_is_present(small_store)
    with pytest.raises(StoreError, match="kg summary"):
        require_summary(small_store, find_query("tumour-dm-associations").text)
    add_cases(small_store, [CASES_DIR / f"{FOUNDING_CASE}.yaml"])  # nothing left to write
    assert by_code(small_store) == before


def test_kg_query_refuses_a_missing_summary_and_kg_summary_recomputes_it(
    small_store: EmbeddedStore, tmp_path: Path
) -> None:
    before = by_code(small_store)
    small_store.update("DROP GRAPH <https://w3id.org/dmkg/graph/tumour-dm-summary>")
    small_store.close()
    register_command_modules()
    store = ["--store", str(tmp_path / "store")]
    refused = CliRunner().invoke(app, ["query", "tumour-dm-associations", *store])
    assert isinstance(refused.exception, StoreError)
    assert "kg summary" in str(refused.exception)
    done = CliRunner().invoke(app, ["summary", *store])
    assert done.exit_code == 0, done.output
    assert by_code(EmbeddedStore(tmp_path / "store")) == before


def test_loading_a_case_from_a_dump_refreshes_the_summary(
    small_store: EmbeddedStore, tmp_path: Path
) -> None:
    before = by_code(small_store)
    dump = tmp_path / "founding.nq"
    graph = case_graph(FOUNDING_CASE)
    dump.write_bytes(serialize(small_store.quads(graph), format=RdfFormat.N_QUADS))
    remove_case(small_store, FOUNDING_CASE)
    small_store.close()
    result = CliRunner().invoke(commands, ["load", str(dump), "--store", str(tmp_path / "store")])
    assert result.exit_code == 0, result.output
    assert by_code(EmbeddedStore(tmp_path / "store")) == before


def test_loading_a_dump_with_its_summary_beside_other_cases_never_leaves_its_summary(
    small_store: EmbeddedStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dump's summary counts the dumped store's cases, not the target's: the load drops it
    with the cases it brings, so a load stopped before the summary is recomputed leaves none."""
    before = by_code(small_store)
    dump = tmp_path / "founding.nq"
    quads = [q for g in (case_graph(FOUNDING_CASE), SUMMARY_GRAPH) for q in small_store.quads(g)]
    dump.write_bytes(serialize(quads, format=RdfFormat.N_QUADS))
    small_store.close()
    other, empty = tmp_path / "other", tmp_path / "no-cases"
    empty.mkdir()
    target = EmbeddedStore(other)
    build_graph(target, empty)  # the ontology and no case
    target.close()
    load = ["load", str(dump), "--store", str(other)]

    def stop(store: EmbeddedStore, graphs: object = None, above: object = None) -> None:
        raise StoreError("stopped")

    monkeypatch.setattr("kg.tumour_summary.tally", stop)
    assert CliRunner().invoke(commands, load).exit_code != 0
    monkeypatch.undo()
    target = EmbeddedStore(other)
    assert case_graph(FOUNDING_CASE) in target.graphs() and not summary_is_present(target)
    target.close()
    result = CliRunner().invoke(commands, load)
    assert result.exit_code == 0, result.output
    alone = by_code(EmbeddedStore(other))
    assert alone["LMS"]["cases"] == alone["SOFT_TISSUE"]["cases"] == "1"
    assert int(before["SOFT_TISSUE"]["cases"]) > 1  # what the dumped summary said


def test_a_store_without_dm_cases_has_an_empty_summary(memory_store: EmbeddedStore) -> None:
    assert refresh_summary(memory_store) == 0
    assert summary_is_present(memory_store)
    assert by_code(memory_store) == {}


def summary_rows(store: EmbeddedStore) -> set[tuple[str, str, str]]:
    """The summary's statements as text, without its time stamp."""
    return {
        (q.subject.value, q.predicate.value, q.object.value)
        for q in store.quads(SUMMARY_GRAPH)
        if q.predicate != KG.summarisedAt
    }


BOTH_TALLIES = ("kg.tumour_summary.tally", "kg.summary_update.tally")  # full counts, some cases


def record_tallies(
    monkeypatch: pytest.MonkeyPatch,
    targets: tuple[str, ...] = BOTH_TALLIES,
    partial_only: bool = False,
) -> list[object]:
    """Record the graphs every tally at these names is asked for (None: every case); with
    ``partial_only``, a tally of every case fails the test."""
    tallied: list[object] = []
    count = tumour_summary.tally

    def recorded(
        store: EmbeddedStore, graphs: list[NamedNode] | None = None, above: object = None
    ) -> object:
        assert graphs is not None or not partial_only, "the write counted every case"
        tallied.append(graphs)
        return count(store, graphs, above)  # type: ignore[arg-type]

    for target in targets:
        monkeypatch.setattr(target, recorded)
    return tallied


def test_adding_cases_extends_the_summary_to_what_a_full_count_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`kg add` of new cases tallies only them and merges the stored summary with them; the
    result must be the summary a count of every case gives (generated cases: many tumour types,
    sources and positive antibodies)."""
    vocab = load_vocabulary()
    first, later = tmp_path / "first", tmp_path / "later"
    for index in range(40):
        data, summary = generate_case(index, seed=9, vocab=vocab)
        folder = first if index < 25 else later
        folder.mkdir(exist_ok=True)
        (folder / f"{summary.case_id}.yaml").write_text(to_yaml(data), encoding="utf-8")
    store = EmbeddedStore(tmp_path / "store")
    build_graph(store, first)
    before = summary_rows(store)
    tallied = record_tallies(monkeypatch)
    add_cases(store, sorted(later.glob("*.yaml")))
    assert len(tallied) == 1 and tallied[0] is not None and len(tallied[0]) == 15  # the new ones
    extended = summary_rows(store)
    monkeypatch.undo()
    refresh_summary(store)  # a full count over every case
    assert extended == summary_rows(store)
    assert extended != before  # the new cases changed counts and lists


def test_a_stored_summary_reads_back_unless_a_label_holds_the_separator(
    memory_store: EmbeddedStore,
) -> None:
    lms = NamedNode("https://w3id.org/dmkg/oncotree/LMS")
    counted = tumour_summary.TumourTally({"c1", "c2"}, {"PMID:1", "doi:10.1/x"}, {"anti-A, B"})
    when = datetime(2026, 1, 1, tzinfo=UTC)
    memory_store.replace_graph(SUMMARY_GRAPH, tumour_summary.summary_quads({lms: counted}, when))
    read = tumour_summary.stored_tallies(memory_store)
    assert read is not None
    assert (read[lms].count, read[lms].sources) == (2, {"PMID:1", "doi:10.1/x"})
    antibody = NamedNode("https://w3id.org/dmkg/vocab/AntiX")
    label = Quad(antibody, RDFS.label, Literal("anti-A, B"), ONTOLOGY_GRAPH)
    memory_store.replace_graph(ONTOLOGY_GRAPH, [label])
    assert tumour_summary.stored_tallies(memory_store) is None  # "anti-A, B" cannot be split
