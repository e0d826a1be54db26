"""One contract, every backend: the embedded store, an Oxigraph server and a Virtuoso 7.

The servers are real processes on 127.0.0.1 (tests/server_fixtures.py), loaded with the same
quads as the embedded reference: the curated cases, the ontology and HermiT's inferences. Every
store operation and every named query must behave the same on each; answers are compared as
sorted rows. Where a server is known to answer differently, the test is a strict xfail that names
the cause and the fix, so the difference stays visible and the mark must go once it is fixed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pyoxigraph import (
    BlankNode,
    CanonicalizationAlgorithm,
    Dataset,
    Literal,
    NamedNode,
    Quad,
    QueryBoolean,
    QuerySolutions,
    Triple,
)

from kg.build import build_graph
from kg.errors import KgError, QueryError, StoreError
from kg.paths import CASES_DIR
from kg.qc import run_checks
from kg.queries import NamedQuery, find_query, load_catalogue, parse_query_file
from kg.rdf.vocab import BASE, INFERRED_GRAPH, KG, SHARED_BASE, XSD
from kg.reasoning.facts import (
    CaseFacts,
    read_case_facts,
    spool_facts_of_graphs,
    spooled_facts,
)
from kg.reasoning.writes import UNLINKED_NODES, count_case_quads
from kg.results import to_table
from kg.store import EmbeddedStore, Store
from kg.store.credentials import load_credentials
from kg.store.remote import RemoteStore
from kg.store.servers import RunningServer
from kg.store.sparql_text import GRAPH_BATCH
from tests.conftest import FOUNDING_CASE

BACKENDS = [
    pytest.param("embedded"),
    pytest.param("oxigraph", marks=pytest.mark.remote),
    pytest.param("virtuoso", marks=pytest.mark.remote),
]
SCRATCH = NamedNode(BASE + "graph/contract-test")
OTHER = NamedNode(BASE + "graph/contract-test-other")
P = NamedNode("https://w3id.org/dmkg/vocab/contractTestValue")
# Errors a backend may raise when it refuses a request. The embedded store lets pyoxigraph's
# SyntaxError through where the remote store raises QueryError; see the report on embedded.py.
REFUSED = (KgError, SyntaxError)

VIRTUOSO_DIFFERENCES: dict[str, str] = {}
VIRTUOSO_HANGS: dict[str, str] = {}


@pytest.fixture(scope="session", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest,
    reference_store: EmbeddedStore,
    reference_loader: Callable[[RunningServer, EmbeddedStore], RemoteStore],
) -> Store:
    """The reference data on one backend."""
    name = request.param
    if name == "embedded":
        return reference_store
    server = request.getfixturevalue(f"{name}_server")
    return reference_loader(server, reference_store)


@pytest.fixture
def scratch(backend: Store) -> Iterator[Store]:
    """The backend, with the scratch graphs removed again after the test."""
    yield backend
    for graph in (SCRATCH, OTHER):
        backend.drop_graph(graph)


def backend_name(request: pytest.FixtureRequest) -> str:
    """The id of the backend a test runs on."""
    return str(request.node.callspec.params["backend"])


# -- comparing answers ----------------------------------------------------------------------------

_GROUP_CONCAT = re.compile(
    r'GROUP_CONCAT\s*\((?:DISTINCT\s+)?[^;]*;\s*SEPARATOR\s*=\s*"([^"]*)"\s*\)\s*AS\s+\?(\w+)',
    re.IGNORECASE,
)


def group_concat_separators(sparql: str) -> dict[str, str]:
    """The variables a query fills with GROUP_CONCAT, and the separator of each.

    >>> group_concat_separators('(GROUP_CONCAT(DISTINCT ?a; SEPARATOR=", ") AS ?all)')
    {'all': ', '}
    """
    return {name: separator for separator, name in _GROUP_CONCAT.findall(sparql)}


def normalise_group_concat(value: str, separator: str) -> str:
    """Sort the parts of a GROUP_CONCAT value.

    SPARQL leaves the order of GROUP_CONCAT undefined, and engines do differ (the embedded store
    and Oxigraph server already disagree on the same data), so only the set of parts is part of
    the answer. No other cell is touched.

    >>> normalise_group_concat("b, a", ", ")
    'a, b'
    """
    return separator.join(sorted(value.split(separator)))


def answer(store: Store, sparql: str) -> tuple[list[str], list[tuple[str, ...]]]:
    """The columns and the sorted, normalised rows of a query's answer."""
    table = to_table(store.query(sparql))
    concatenated = group_concat_separators(sparql)
    rows = []
    for row in table.rows:
        cells = [
            normalise_group_concat(cell, concatenated[column]) if column in concatenated else cell
            for column, cell in zip(table.columns, row, strict=True)
        ]
        rows.append(tuple(cells))
    return table.columns, sorted(rows)


def example_parameters(query: NamedQuery) -> dict[str, str]:
    """The parameters of a query's documented example (``--param name=value``)."""
    return dict(re.findall(r"--param\s+(\w+)=(\S+)", query.example))


def case_id(name: str, parameters: dict[str, str]) -> str:
    """The test id of a query run: its name, and its parameters if any.

    >>> case_id("antibody-profile", {"case": "x"})
    'antibody-profile[case=x]'
    """
    label = ",".join(f"{key}={value}" for key, value in parameters.items())
    return f"{name}[{label}]" if label else name


def query_cases() -> list[pytest.param]:
    """Every named query, unbound and with its example's parameters."""
    cases = []
    for query in load_catalogue().values():
        example = example_parameters(query)
        runs = [{}, example] if example else [{}]
        cases += [pytest.param(query.name, run, id=case_id(query.name, run)) for run in runs]
    return cases


# -- named queries, checks and reasoning facts ----------------------------------------------------


@pytest.mark.parametrize(("name", "parameters"), query_cases())
def test_named_query_answers_the_same_on_every_backend(
    request: pytest.FixtureRequest,
    backend: Store,
    reference_store: EmbeddedStore,
    name: str,
    parameters: dict[str, str],
) -> None:
    """Every named query returns the embedded store's rows on every backend."""
    run = case_id(name, parameters)
    if backend_name(request) == "virtuoso":
        if name in VIRTUOSO_HANGS:
            pytest.xfail(VIRTUOSO_HANGS[name])
        if run in VIRTUOSO_DIFFERENCES:
            request.applymarker(pytest.mark.xfail(reason=VIRTUOSO_DIFFERENCES[run], strict=True))
    sparql = find_query(name).bind(parameters)
    assert answer(backend, sparql) == answer(reference_store, sparql)


def test_quality_checks_find_the_same_violations(
    backend: Store, reference_store: EmbeddedStore
) -> None:
    """The QC rules report the same violations on every backend."""
    assert sorted(map(str, run_checks(backend))) == sorted(map(str, run_checks(reference_store)))


def comparable_facts(store: Store) -> dict[str, dict[str, object]]:
    """The reasoner's input facts with every list sorted: the queries behind them have no ORDER
    BY, so engines may list findings and labs in any order, and the reasoner does not care."""
    return {case: comparable(record) for case, record in read_case_facts(store).items()}


def comparable(record: CaseFacts) -> dict[str, object]:
    """One case's facts with every list sorted (see :func:`comparable_facts`)."""
    return {
        name: sorted(value, key=repr) if isinstance(value, list) else value
        for name, value in vars(record).items()
    }


def test_reasoner_input_facts_are_the_same(
    request: pytest.FixtureRequest, backend: Store, reference_store: EmbeddedStore
) -> None:
    """The facts the reasoner reads through kg/reasoning/sparql/ are the same on every backend."""
    assert comparable_facts(backend) == comparable_facts(reference_store)


def test_facts_read_from_named_graphs_are_those_of_the_whole_read(
    backend: Store, tmp_path: Path
) -> None:
    """The read for the few cases a rerun redoes (``FROM NAMED`` their graphs) gives, on every
    backend, those cases' facts exactly as the read of every case does."""
    whole = comparable_facts(backend)
    chosen = sorted(whole)[::3]
    # one query naming as many graphs as a batch does, most of them without a case
    absent = [f"{BASE}case/absent-{n}" for n in range(GRAPH_BATCH - len(chosen))]
    spool_facts_of_graphs(backend, [[*chosen, *absent]], tmp_path)
    read = spooled_facts(tmp_path, 0)
    assert set(read) == set(chosen)
    assert {case: comparable(record) for case, record in read.items()} == {
        case: whole[case] for case in chosen
    }


def test_facts_read_from_named_graphs_in_batches_of_one(
    backend: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches that split the cases give the rows of every batch, each spool file whole."""
    import kg.store.sparql_text as sparql_text

    monkeypatch.setattr(sparql_text, "GRAPH_BATCH", 1)
    whole = comparable_facts(backend)
    spool_facts_of_graphs(backend, [sorted(whole)], tmp_path)
    read = spooled_facts(tmp_path, 0)
    assert {case: comparable(record) for case, record in read.items()} == whole


def test_build_finds_everything_unchanged(backend: Store) -> None:
    """Building again changes nothing: every checksum written reads back identical."""
    report = build_graph(backend, CASES_DIR)
    assert report.added == [] and report.replaced == []
    assert not report.ontology_updated
    assert FOUNDING_CASE in report.unchanged


def canonical(quads: list[Quad]) -> set[Quad]:
    """Quads with blank nodes renamed canonically (RDFC-1.0), so stores can be compared."""
    dataset = Dataset(quads)
    dataset.canonicalize(CanonicalizationAlgorithm.RDFC_1_0)
    return set(dataset)


def test_every_graph_holds_the_reference_quads(
    backend: Store, reference_store: EmbeddedStore
) -> None:
    """Listing and reading graphs gives back exactly what was written, blank nodes included."""
    assert backend.graphs() == reference_store.graphs()
    assert canonical(list(backend.quads())) == canonical(list(reference_store.quads()))


def test_the_writer_deletes_unlinked_contribution_nodes_and_counts_alike_everywhere(
    backend: Store, reference_store: EmbeddedStore
) -> None:
    """The inferred graph's writer runs its own updates and counts on any backend: the sweep
    deletes a contribution node no score links to and keeps every linked one (the graph is the
    reference's again), and the quads about cases, shared nodes and the run record left out,
    are as many as the reference run recorded."""
    inferred = canonical(list(reference_store.quads(INFERRED_GRAPH)))  # it may be the backend
    unlinked = NamedNode(SHARED_BASE + "with-biopsy/contract-test/0")
    backend.update(
        f"INSERT DATA {{ GRAPH {INFERRED_GRAPH} {{ {unlinked} a {KG.ScoreContribution} ; "
        f'{KG.variableStatus} "absent" }} }}'
    )
    assert any(q.subject == unlinked for q in backend.quads(INFERRED_GRAPH))
    backend.update(UNLINKED_NODES)
    assert canonical(list(backend.quads(INFERRED_GRAPH))) == inferred
    (recorded,) = [q.object.value for q in inferred if q.predicate == KG.inferredQuadCount]
    assert count_case_quads(backend) == int(recorded)


# -- store operations -----------------------------------------------------------------------------

TRICKY_LITERALS = [
    Literal('quote " and \\ backslash'),
    Literal("line\nbreak\ttab\r"),
    Literal("} ; DROP ALL ; INSERT DATA { <http://e/a> <http://e/b> <http://e/c> }"),
    Literal("unicode: é γ 𝔸 ✓"),
    Literal("gamma", language="en-gb"),
    Literal("42", datatype=XSD.integer),
    Literal("2.5", datatype=XSD.decimal),
    Literal("true", datatype=XSD.boolean),
    Literal("2020-08-24", datatype=XSD.date),
    Literal("2020-08-24T10:00:00Z", datatype=XSD.dateTime),
]


def test_replace_graph_round_trips_tricky_terms(scratch: Store) -> None:
    """Quotes, newlines, non-ASCII, typed literals and blank nodes read back as written."""
    node = BlankNode()
    quads = [Quad(SCRATCH, P, value, SCRATCH) for value in TRICKY_LITERALS]
    quads += [Quad(SCRATCH, P, node, SCRATCH), Quad(node, P, Literal("inside"), SCRATCH)]
    scratch.replace_graph(SCRATCH, quads)
    assert canonical(list(scratch.quads(SCRATCH))) == canonical(quads)
    assert SCRATCH in scratch.graphs()


def test_replace_graph_replaces_rather_than_adds(scratch: Store) -> None:
    """A second replace leaves only the second content."""
    scratch.replace_graph(SCRATCH, [Quad(SCRATCH, P, Literal("old"), SCRATCH)])
    scratch.replace_graph(SCRATCH, [Quad(SCRATCH, P, Literal("new"), SCRATCH)])
    assert [q.object for q in scratch.quads(SCRATCH)] == [Literal("new")]


def test_drop_graph_removes_it_and_tolerates_absence(scratch: Store) -> None:
    """Dropping removes the graph; dropping it again is not an error."""
    scratch.replace_graph(SCRATCH, [Quad(SCRATCH, P, Literal("x"), SCRATCH)])
    scratch.drop_graph(SCRATCH)
    scratch.drop_graph(SCRATCH)
    assert SCRATCH not in scratch.graphs()
    assert list(scratch.quads(SCRATCH)) == []


def test_replace_graphs_with_an_empty_graph_drops_it(scratch: Store) -> None:
    """Replacing a graph with nothing leaves it empty, beside another graph replaced at once."""
    scratch.replace_graph(SCRATCH, [Quad(SCRATCH, P, Literal("x"), SCRATCH)])
    scratch.replace_graphs({SCRATCH: [], OTHER: [Quad(OTHER, P, Literal("y"), OTHER)]})
    assert list(scratch.quads(SCRATCH)) == []
    assert [q.object for q in scratch.quads(OTHER)] == [Literal("y")]


def poison(name: str) -> list[Quad]:
    """Quads this backend refuses in the middle of a write, to test all-or-nothing.

    Each is refused for a real reason: pyoxigraph will not share one blank node between two
    INSERT DATA blocks of one update; the Oxigraph server is built without RDF 1.2 triple terms;
    Virtuoso 7.2 has no xsd:duration and fails only while running the update, after earlier
    operations of the same request took effect, the case staging exists for.
    """
    if name == "embedded":
        shared = BlankNode()
        return [Quad(SCRATCH, P, shared, SCRATCH), Quad(shared, P, Literal("x"), OTHER)]
    if name == "oxigraph":
        return [Quad(OTHER, P, Triple(P, P, P), OTHER)]
    return [Quad(OTHER, P, Literal("P3Y", datatype=NamedNode(str(XSD.base) + "duration")), OTHER)]


def test_replace_graphs_is_all_or_nothing(request: pytest.FixtureRequest, scratch: Store) -> None:
    """When the backend refuses one graph, no graph changes and no staging graph is left."""
    scratch.replace_graph(SCRATCH, [Quad(SCRATCH, P, Literal("before"), SCRATCH)])
    graphs_before = scratch.graphs()
    bad = poison(backend_name(request))
    new = [Quad(SCRATCH, P, Literal(f"after {i}"), SCRATCH) for i in range(2500)]
    with pytest.raises(REFUSED):
        scratch.replace_graphs({
            SCRATCH: new + [q for q in bad if q.graph_name == SCRATCH],
            OTHER: [q for q in bad if q.graph_name == OTHER],
        })  # fmt: skip
    assert [q.object for q in scratch.quads(SCRATCH)] == [Literal("before")]
    assert scratch.graphs() == graphs_before


def test_query_forms_return_pyoxigraph_types(backend: Store) -> None:
    """SELECT, ASK and CONSTRUCT answers are the pyoxigraph types, as from the embedded store."""
    graph = f"<{BASE}graph/ontology>"
    select = backend.query(f"SELECT ?s WHERE {{ GRAPH {graph} {{ ?s a ?c }} }} LIMIT 3")
    assert isinstance(select, QuerySolutions) and len(list(select)) == 3
    ask = backend.query(f"ASK {{ GRAPH {graph} {{ ?s ?p ?o }} }}")
    assert isinstance(ask, QueryBoolean) and bool(ask)
    construct = list(
        backend.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }} LIMIT 5")
    )
    assert len(construct) == 5 and all(isinstance(t, Triple) for t in construct)


def test_update_runs_a_sparql_update(scratch: Store) -> None:
    """A SPARQL update reaches the store."""
    scratch.update(f'INSERT DATA {{ GRAPH {SCRATCH} {{ {SCRATCH} {P} "by update" }} }}')
    assert [q.object for q in scratch.quads(SCRATCH)] == [Literal("by update")]


# -- injection ------------------------------------------------------------------------------------

HOSTILE_TEXT = [
    'asserted" } ; DROP ALL ; SELECT * { "',
    "asserted' } ; DROP ALL ; #",
    "} ; DROP ALL",
    "inferred\n} }\nDROP ALL ;\nINSERT DATA { <http://e/a> <http://e/b> <http://e/c> }",
    '""" ) } UNION { ?s ?p ?o } #',
    '\\" } DROP ALL',
]
HOSTILE_IRIS = [
    "http://e/a b",
    "http://e/<a>",
    "http://e/a> } ; DROP ALL ; <http://e/b",
    "http://e/a>\n} DROP ALL",
    'http://e/"a"',
    "http://e/{a}",
    "not an iri",
]


def count_quads(store: Store) -> int:
    """The number of quads in named graphs, counted by the store."""
    (row,) = to_table(store.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")).rows
    return int(row[0])


@pytest.mark.parametrize("value", HOSTILE_TEXT)
def test_hostile_string_parameter_is_bound_as_data(backend: Store, value: str) -> None:
    """A string that tries to close the query is one literal: no rows match, nothing changes."""
    before = count_quads(backend)
    sparql = find_query("dm-classification").bind({"source": value})
    assert sparql.count("DROP ALL") == value.count("DROP ALL")
    assert answer(backend, sparql)[1] == []
    assert count_quads(backend) == before


@pytest.mark.parametrize("value", HOSTILE_IRIS + HOSTILE_TEXT)
@pytest.mark.parametrize("parameter", ["case", "tumour"])
def test_hostile_identifier_parameter_is_refused(parameter: str, value: str) -> None:
    """Case ids and OncoTree codes that are not plain identifiers are refused, naming the rule."""
    query = find_query("antibody-profile" if parameter == "case" else "tumour-dm-associations")
    with pytest.raises(QueryError, match=f"parameter `{parameter}`"):
        query.bind({parameter: value})


@pytest.fixture(scope="module")
def iri_query(tmp_path_factory: pytest.TempPathFactory) -> NamedQuery:
    """A named query with an IRI parameter (none of the catalogue's queries has one yet)."""
    path = Path(tmp_path_factory.mktemp("queries")) / "graph-size.rq"
    path.write_text(
        "# title: Quads in one graph\n"
        "# param: graph (iri, default: none) The graph.\n"
        "# example: kg query graph-size --param graph=https://w3id.org/dmkg/graph/ontology\n"
        "SELECT (COUNT(*) AS ?n) WHERE { VALUES ?graph { UNDEF } GRAPH ?graph { ?s ?p ?o } }\n",
        encoding="utf-8",
    )
    return parse_query_file(path)


@pytest.mark.parametrize("value", HOSTILE_IRIS)
def test_hostile_iri_parameter_is_refused(iri_query: NamedQuery, value: str) -> None:
    """IRIs with spaces, angle brackets, quotes or braces are refused before reaching a store."""
    with pytest.raises(QueryError, match="parameter `graph`"):
        iri_query.bind({"graph": value})


def test_iri_parameter_is_bound_as_a_term(backend: Store, iri_query: NamedQuery) -> None:
    """A valid IRI is bound as an IRI term and answers on every backend."""
    sparql = iri_query.bind({"graph": f"{BASE}graph/ontology"})
    assert int(answer(backend, sparql)[1][0][0]) > 1000


def test_update_smuggled_into_a_query_is_refused(backend: Store) -> None:
    """A query text carrying an update is refused whole; nothing is dropped."""
    before = count_quads(backend)
    with pytest.raises(REFUSED):
        backend.query("SELECT * WHERE { ?s ?p ?o } LIMIT 1 ; DROP ALL")
    assert count_quads(backend) == before


def test_an_answer_past_the_server_row_limit_is_refused_not_shortened(
    request: pytest.FixtureRequest, backend: Store
) -> None:
    """Virtuoso cuts answers at 10,000 rows, flagged only in a header: that is an error here."""
    sparql = "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }"
    if backend_name(request) == "virtuoso":
        with pytest.raises(StoreError, match="first 10000 rows"):
            backend.query(sparql)
    else:
        assert len(list(backend.query(sparql))) == count_quads(backend)


# -- the Graph Store Protocol ---------------------------------------------------------------------

SERVERS = [pytest.param("oxigraph", marks=pytest.mark.remote),
           pytest.param("virtuoso", marks=pytest.mark.remote)]  # fmt: skip


@pytest.mark.parametrize("name", SERVERS)
def test_graph_store_protocol_writes_and_reads_large_graphs(
    request: pytest.FixtureRequest, name: str
) -> None:
    """Over GSP a graph larger than Virtuoso's row limit, blank nodes included, reads back whole."""
    server: RunningServer = request.getfixturevalue(f"{name}_server")
    store = server.store(graph_store=True)
    nodes = [BlankNode() for _ in range(50)]
    quads = [Quad(SCRATCH, P, Literal(f"value {i} é"), SCRATCH) for i in range(12_000)]
    quads += [Quad(SCRATCH, P, node, SCRATCH) for node in nodes]
    quads += [Quad(node, P, Literal(i), SCRATCH) for i, node in enumerate(nodes)]
    try:
        store.replace_graph(SCRATCH, quads)
        assert canonical(list(store.quads(SCRATCH))) == canonical(quads)
        store.replace_graph(SCRATCH, quads[:3])
        assert len(list(store.quads(SCRATCH))) == 3
    finally:
        store.drop_graph(SCRATCH)


# -- credentials ----------------------------------------------------------------------------------


def write_credentials(path: Path, text: str, mode: int = 0o600) -> Path:
    """Write a credentials file with the given permissions."""
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def test_credentials_come_from_the_file_entry_for_the_endpoint(tmp_path: Path) -> None:
    """The file's table for the endpoint (query or update URL) supplies auth and graph store."""
    path = write_credentials(tmp_path / "credentials.toml", (
        '[endpoints."http://h/sparql-auth"]\nauth = "digest"\nuser = "dba"\npassword = "pw"\n'
        'graph_store = "http://h/sparql-graph-crud-auth"\n'
    ))  # fmt: skip
    found = load_credentials(["http://h/sparql", "http://h/sparql-auth"], {}, path)
    assert (found.auth, found.user, found.password) == ("digest", "dba", "pw")
    assert found.graph_store == "http://h/sparql-graph-crud-auth"
    assert "pw" not in repr(found)


def test_environment_wins_over_the_file(tmp_path: Path) -> None:
    """KG_SPARQL_* variables override the file, so CI can override a workstation."""
    path = write_credentials(tmp_path / "c.toml", '[endpoints."http://h/q"]\ntoken = "file"\n')
    found = load_credentials(
        ["http://h/q"], {"KG_SPARQL_USER": "u", "KG_SPARQL_PASSWORD": "p"}, path
    )
    assert (found.auth, found.user) == ("basic", "u")


def test_a_credentials_file_others_can_read_is_refused(tmp_path: Path) -> None:
    """Like ssh with keys: a group- or world-readable file is refused, with the chmod to run."""
    path = write_credentials(tmp_path / "c.toml", '[endpoints."http://h/q"]\ntoken = "t"\n', 0o644)
    with pytest.raises(StoreError, match="chmod 600"):
        load_credentials(["http://h/q"], {}, path)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"KG_SPARQL_AUTH": "kerberos", "KG_SPARQL_USER": "u"}, "not one of"),
        ({"KG_SPARQL_USER": "u"}, "needs both a user and a password"),
        ({"KG_SPARQL_AUTH": "bearer"}, "needs a token"),
    ],
)
def test_incomplete_credentials_are_refused(environ: dict[str, str], message: str) -> None:
    """Half-configured credentials are an error that says what is missing."""
    with pytest.raises(StoreError, match=message):
        load_credentials(["http://h/q"], environ, Path("/nonexistent"))
