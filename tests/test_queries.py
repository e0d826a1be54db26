"""The named queries answer the founding paper's facts (Merry et al. 2020, PMID 32864095)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kg.build import build_graph
from kg.errors import QueryError
from kg.paths import CASES_DIR
from kg.queries import case_page, find_query, load_catalogue, pages_of_cases, parse_query_file
from kg.reasoning.reason import reason
from kg.results import Table, to_table, to_table_pages
from kg.store import EmbeddedStore
from tests.conftest import FOUNDING_CASE


def run(store: EmbeddedStore, name: str, **params: str) -> list[dict[str, str]]:
    table: Table = to_table(store.query(find_query(name).bind(params)))
    return [dict(zip(table.columns, row, strict=True)) for row in table.rows]


def test_association_rolls_leiomyosarcoma_up_with_its_source(built_store: EmbeddedStore) -> None:
    rows = {row["code"]: row for row in run(built_store, "tumour-dm-associations")}
    lms = rows["LMS"]
    assert lms["label"] == "Leiomyosarcoma"
    assert lms["ncit"] == "NCIT:C3158"
    assert lms["cases"] == "1"
    assert "PMID:32864095" in lms["sources"].split(", ")
    assert "anti-TIF1-gamma antibody" in lms["positiveAntibodies"]
    # rolled up: the tissue node above LMS counts the same case
    assert int(rows["SOFT_TISSUE"]["cases"]) >= 1


def test_association_counts_the_sarcoma_grouping(built_store: EmbeddedStore) -> None:
    labels = {row["label"]: row for row in run(built_store, "tumour-dm-associations")}
    assert int(labels["sarcoma"]["cases"]) >= 1


def test_association_parameter_restricts_to_a_subtree(built_store: EmbeddedStore) -> None:
    rows = run(built_store, "tumour-dm-associations", tumour="LMS")
    assert [row["code"] for row in rows] == ["LMS"]


def test_antibody_profile_of_the_founding_case(built_store: EmbeddedStore) -> None:
    rows = run(built_store, "antibody-profile", case=FOUNDING_CASE)
    by_antibody = {row["antibody"]: row for row in rows}
    assert by_antibody["anti-TIF1-gamma antibody"]["result"] == "positive"
    assert by_antibody["anti-Mi-2 antibody"]["result"] == "negative"
    assert by_antibody["anti-Jo-1 antibody"]["result"] == "negative"
    ana = by_antibody["antinuclear antibody"]
    assert (ana["result"], ana["titre"]) == ("weakly positive", "1:160")


def test_cancer_came_first_and_dm_followed_within_a_year(built_store: EmbeddedStore) -> None:
    (row,) = run(built_store, "dm-cancer-interval", case=FOUNDING_CASE)
    assert row["firstDiagnosed"] == "cancer"
    assert row["within1Year"] == "yes"
    assert row["within5Years"] == "yes"
    # "preceded ... by several months": the bounds are the months of "several" (3-9), no finer
    assert (float(row["minMonths"]), float(row["maxMonths"])) == (3.0, 9.0)
    assert "several months" in row["statedAs"]


def test_timeline_orders_rash_resolution_before_acute_presentation_and_progression(
    built_store: EmbeddedStore,
) -> None:
    events = [row["event"] for row in run(built_store, "case-timeline", case=FOUNDING_CASE)]
    resolution = events.index("Rash resolved during cycle one of doxorubicin")
    acute = events.index("Acute presentation with new-onset rash and proximal weakness")
    progression = events.index("Restaging CT shows multifocal progression")
    assert resolution < acute < progression


def test_every_query_has_a_header_and_runs(built_store: EmbeddedStore) -> None:
    catalogue = load_catalogue()
    assert len(catalogue) >= 4
    for query in catalogue.values():
        assert query.title and query.description and query.example
        to_table(built_store.query(query.bind({})))


@pytest.mark.parametrize(
    "value",
    [
        'x" } ; DROP ALL ; SELECT * { "',
        "LMS } UNION { ?s ?p ?o",
        "a b",
        "<http://e.org/x>",
        "lms\n",
    ],
)
def test_hostile_oncotree_values_are_refused(value: str) -> None:
    with pytest.raises(QueryError, match="not valid"):
        find_query("tumour-dm-associations").bind({"tumour": value})


def test_unknown_parameter_is_refused() -> None:
    with pytest.raises(QueryError, match="unknown parameter"):
        find_query("antibody-profile").bind({"cases": "x"})


def test_one_case_forms_return_that_case_s_rows_of_the_all_cases_form(
    built_store: EmbeddedStore,
) -> None:
    """Queries repeat `VALUES ?case { UNDEF }` in their subqueries for the planner's sake: binding
    the case must fill every one, and give exactly that case's rows of the unbound query, in
    order."""
    for query in load_catalogue().values():
        if not any(p.name == "case" for p in query.parameters):
            continue
        assert "VALUES ?case { UNDEF }" not in query.bind({"case": FOUNDING_CASE}), query.name
        every = run(built_store, query.name)
        for case in sorted({row["caseId"] for row in every}):
            expected = [row for row in every if row["caseId"] == case]
            assert run(built_store, query.name, case=case) == expected, (query.name, case)


@pytest.fixture(scope="module")
def reasoned_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStore]:
    """The curated cases built and reasoned (HermiT), so the inferred-graph queries have rows."""
    store = EmbeddedStore(tmp_path_factory.mktemp("reasoned"))
    build_graph(store, CASES_DIR)
    reason(store, "hermit")
    yield store
    store.close()


def _rows(store: EmbeddedStore, sparql: str) -> list[tuple[str, ...]]:
    return [tuple(str(v) for v in row) for row in to_table(store.query(sparql)).rows]


@pytest.mark.java
def test_pages_of_cases_add_up_to_the_all_cases_form(reasoned_store: EmbeddedStore) -> None:
    """Every case query sorts by case id first, so its pages in turn give exactly its rows."""
    size, case_ids = 3, sorted(case.stem for case in CASES_DIR.glob("*.yaml"))
    pages = [case_page(reasoned_store, page, size) for page in (1, 2, 3, 4)]
    assert [c.value.rsplit("/", 1)[-1] for page in pages for c in page] == case_ids
    assert pages[-1] == []  # 8 cases: the fourth page of three is empty
    answered = []
    for query in load_catalogue().values():
        if not query.takes_case:
            continue
        every = _rows(reasoned_store, query.bind({}))
        paged = [row for page in pages for row in _rows(reasoned_store, query.bind({}, cases=page))]
        assert paged == every, query.name
        by_pages = to_table_pages(pages_of_cases(reasoned_store, query, {}, size))
        assert [tuple(str(v) for v in row) for row in by_pages.rows] == every, query.name
        answered += [query.name] if every else []
    assert len(answered) >= 6, answered  # discrepancies alone may be empty for curated cases


def test_every_case_query_of_the_catalogue_runs_by_pages() -> None:
    """`kg query` runs a case query over every case page by page only when its rows are sorted
    by case id first; every case query of the catalogue is, so none needs the whole store."""
    for query in load_catalogue().values():
        assert query.runs_by_pages == query.takes_case, query.name


def test_a_case_query_sorted_otherwise_runs_whole(built_store: EmbeddedStore, tmp_path) -> None:
    path = tmp_path / "by-label.rq"
    path.write_text(
        "# title: Events by label\n"
        "# param: case (case, default: none) Only this case.\n"
        "PREFIX kg: <https://w3id.org/dmkg/vocab/>\n"
        "SELECT ?caseId ?event WHERE { VALUES ?case { UNDEF }\n"
        "  GRAPH ?case { ?case kg:caseId ?caseId ; kg:hasEvent ?e . ?e kg:eventLabel ?event } }\n"
        "ORDER BY ?event ?caseId\n"
    )
    query = parse_query_file(path)
    assert query.takes_case and not query.runs_by_pages
    with pytest.raises(QueryError, match="runs whole"):
        next(pages_of_cases(built_store, query, {}, 2))
    # sorted by case, but a LIMIT would apply to every page
    limited = path.read_text().replace("ORDER BY ?event ?caseId", "ORDER BY ?caseId\nLIMIT 5")
    path.write_text(limited)
    assert find_query("case-timeline").runs_by_pages
    assert not parse_query_file(path).runs_by_pages


def test_a_store_without_cases_runs_a_case_query_once(memory_store: EmbeddedStore) -> None:
    """No pages, but still one (empty) result, so a results document still has its header."""
    query = find_query("case-timeline")
    table = to_table_pages(pages_of_cases(memory_store, query, {}, 100))
    assert table.columns[:2] == ["caseId", "sequence"] and table.rows == []
    with pytest.raises(QueryError, match="not both"):
        next(pages_of_cases(memory_store, query, {"case": FOUNDING_CASE}, 100))


def test_a_page_needs_a_query_that_takes_a_case(built_store: EmbeddedStore) -> None:
    with pytest.raises(QueryError, match="cannot be paged"):
        find_query("tumour-dm-associations").bind({}, cases=[])
    with pytest.raises(QueryError, match="not both"):
        find_query("case-timeline").bind({"case": FOUNDING_CASE}, cases=[])
    with pytest.raises(QueryError, match="pages count from 1"):
        case_page(built_store, 0, 10)
