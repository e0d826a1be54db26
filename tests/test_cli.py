"""The `kg` command line: build, the query catalogue, formats, qc exit codes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.cli import app, register_command_modules
from kg.paths import CASES_DIR

register_command_modules()
runner = CliRunner()


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("cli") / "store"
    result = runner.invoke(app, ["build", "--store", str(directory)])
    assert result.exit_code == 0, result.output
    assert "added" in result.output
    return directory


def test_queries_lists_the_catalogue() -> None:
    result = runner.invoke(app, ["queries"])
    assert result.exit_code == 0
    for name in (
        "tumour-dm-associations",
        "antibody-profile",
        "dm-cancer-interval",
        "case-timeline",
    ):
        assert name in result.output


def test_query_json_is_sparql_results_json(store_dir: Path) -> None:
    result = runner.invoke(
        app,
        [
            "query",
            "antibody-profile",
            "--param",
            "case=merry-2020-lms",
            "--format",
            "json",
            "--store",
            str(store_dir),
        ],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["head"]["vars"] == ["caseId", "antibody", "result", "titre", "assay"]
    bindings = document["results"]["bindings"]
    tif1 = next(b for b in bindings if b["antibody"]["value"] == "anti-TIF1-gamma antibody")
    assert tif1["result"] == {"type": "literal", "value": "positive"}


def _tumour_query(store_dir: Path, output_format: str) -> str:
    """Run tumour-dm-associations for leiomyosarcoma in a format; return its output."""
    args = ["query", "tumour-dm-associations", "-p", "tumour=LMS", "-f", output_format]
    result = runner.invoke(app, [*args, "--store", str(store_dir)])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_query_csv_and_tsv(store_dir: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(_tumour_query(store_dir, "csv"))))
    assert [(r["code"], r["cases"]) for r in rows] == [("LMS", "1")]
    assert "?code" in _tumour_query(store_dir, "tsv").splitlines()[0]


def test_query_file(store_dir: Path, tmp_path: Path) -> None:
    query = tmp_path / "count.rq"
    query.write_text(
        "# title: Count cases\n"
        "PREFIX kg: <https://w3id.org/dmkg/vocab/>\n"
        "SELECT (COUNT(?c) AS ?n) WHERE { GRAPH ?c { ?c a kg:Case } }\n"
    )
    result = runner.invoke(
        app, ["query", "--file", str(query), "-f", "csv", "--store", str(store_dir)]
    )
    assert result.exit_code == 0, result.output
    assert int(result.stdout.splitlines()[1]) >= 1


def test_bad_parameter_exits_2_with_a_message(store_dir: Path) -> None:
    result = runner.invoke(
        app,
        ["query", "tumour-dm-associations", "-p", "tumour=} ; DROP ALL", "--store", str(store_dir)],
    )
    assert result.exit_code != 0
    assert "not valid" in str(result.exception) + result.output


def test_qc_passes_on_real_data_and_fails_on_a_violation(store_dir: Path) -> None:
    assert runner.invoke(app, ["qc", "--store", str(store_dir)]).exit_code == 0
    from pyoxigraph import Literal, NamedNode, Quad

    from kg.rdf.vocab import KG, case_graph
    from kg.store import EmbeddedStore

    store = EmbeddedStore(store_dir)
    lab = NamedNode("https://w3id.org/dmkg/case/merry-2020-lms/labs/injected")
    graph = case_graph("merry-2020-lms")
    store.replace_graph(graph, [*store.quads(graph), Quad(lab, KG.value, Literal("5"), graph)])
    store.close()
    del store
    result = runner.invoke(app, ["qc", "--store", str(store_dir)])
    assert result.exit_code == 1
    assert "lab-value-without-unit" in result.output


def test_query_one_page_of_cases(store_dir: Path) -> None:
    first_two = sorted(case.stem for case in CASES_DIR.glob("*.yaml"))[:2]
    args = ["query", "case-timeline", "--page", "1", "--page-size", "2", "-f", "csv"]
    result = runner.invoke(app, [*args, "--store", str(store_dir)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert sorted({row["caseId"] for row in rows}) == first_two
    refused = runner.invoke(
        app, ["query", "tumour-dm-associations", "--page", "1", "--store", str(store_dir)]
    )
    assert refused.exit_code != 0 and "cannot be paged" in str(refused.exception)


@pytest.mark.parametrize("name", ["case-timeline", "criteria-assessment"])
@pytest.mark.parametrize("output_format", ["csv", "tsv", "json", "xml"])
def test_a_case_query_over_every_case_prints_its_pages_as_one_result(
    store_dir: Path, name: str, output_format: str
) -> None:
    """Run by pages of three cases (eight curated cases: three pages), the output is byte for
    byte what one run of the unbound query writes. The store is not reasoned, so
    criteria-assessment has no rows: every page is empty."""
    from kg.queries import find_query
    from kg.results import serialize
    from kg.store import EmbeddedStore

    store = EmbeddedStore(store_dir)
    whole = serialize(store.query(find_query(name).bind({})), output_format)
    store.close()
    del store
    args = ["query", name, "--page-size", "3", "-f", output_format, "--store", str(store_dir)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == whole
    case_ids = sorted(case.stem.encode() for case in CASES_DIR.glob("*.yaml"))
    pages_shown = {index // 3 for index, case in enumerate(case_ids) if case in whole}
    if name == "case-timeline":
        assert len(pages_shown) >= 2
    else:
        assert pages_shown == set()
