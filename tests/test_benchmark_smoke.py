"""Keep the benchmark working: generated cases validate, and a 100-case run goes end to end.

Benchmarks are not tests: nothing here asserts a time. The smoke run checks counts instead: every
generated case lands in its own graph, the queries find what the generator put in, the SPARQL
formulation agrees with the reasoner, and rdflib returns the same rows as Oxigraph where it
finishes.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from benchmarks.generate import CorpusSummary, generate_case, load_vocabulary, to_yaml
from benchmarks.report import render
from kg.curation.validate import validate_file
from kg.queries import find_query
from kg.rdf.vocab import BASE
from kg.store import EmbeddedStore
from kg.terminology.oncotree import load_oncotree

SIZE = 100
DM_WORDS = {
    "BPDefiniteDermatomyositis": "definite",
    "BPProbableDermatomyositis": "probable",
    "BPPossibleDermatomyositis": "possible",
}


def test_generated_cases_validate_and_are_reproducible(tmp_path: Path) -> None:
    vocab = load_vocabulary()
    for index in range(25):
        data, summary = generate_case(index, seed=3, vocab=vocab)
        path = tmp_path / f"{summary.case_id}.yaml"
        path.write_text(to_yaml(data), encoding="utf-8")
        result = validate_file(path)
        assert result.ok, "\n".join(map(str, result.issues))
        assert yaml.safe_load(path.read_text(encoding="utf-8"))["id"] == summary.case_id
        assert to_yaml(generate_case(index, seed=3, vocab=vocab)[0]) == to_yaml(data)
    assert to_yaml(generate_case(0, seed=4, vocab=vocab)[0]) != to_yaml(
        generate_case(0, seed=3, vocab=vocab)[0]
    )


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One benchmark run at 100 cases, with short limits, keeping its store."""
    from benchmarks.run import PHASE_GROUPS, benchmark_size

    work = tmp_path_factory.mktemp("benchmark")
    options = argparse.Namespace(
        workdir=work,
        seed=1,
        repeats=1,
        cold_repeats=1,
        query_timeout=10.0,
        reasoners=["hermit"],
        build_timeout=900.0,
        reason_timeout=900.0,
        oxigraph_query_limit=120.0,
        rdflib_max_quads=2_000_000,
        rdflib_memory_gb=8.0,
        rdflib_load_timeout=300.0,
        keep=True,
        drop_caches=False,
        log=work / "benchmark.log",
        phases=list(PHASE_GROUPS),
        query_filter=None,
    )
    result = benchmark_size(SIZE, options)
    result["work"] = work / f"n{SIZE}"
    return result


def _summary(smoke: dict[str, Any]) -> CorpusSummary:
    return CorpusSummary.from_json((smoke["work"] / "cases" / "corpus-summary.json").read_text())


def _store(smoke: dict[str, Any]) -> EmbeddedStore:
    return EmbeddedStore(smoke["work"] / "store", read_only=True)


@pytest.mark.slow
@pytest.mark.java
def test_every_phase_finishes_and_every_case_gets_its_graph(smoke: dict[str, Any]) -> None:
    build = smoke["build"]
    assert build["status"] == "ok", smoke["work"]
    assert build["result"]["cases"] == SIZE
    store = _store(smoke)
    case_graphs = [g for g in store.graphs() if g.value.startswith(BASE + "case/syn-")]
    assert len(case_graphs) == SIZE
    assert smoke["load_floor"]["result"]["quads"] == build["result"]["quads"]
    assert smoke["reason"]["hermit"]["status"] == "ok"
    assert smoke["reason"]["hermit"]["result"]["cases"] == SIZE
    assert smoke["rerun"]["status"] == "ok" and smoke["rerun"]["result"]["cases"] == SIZE
    assert smoke["rerun"]["result"]["kept"] == SIZE  # nothing changed since the run before
    # one case file in a hundred changed and rebuilt: the run after it reasons about that one
    assert smoke["change_cases"]["result"]["changed"] == 1
    assert smoke["change_cases"]["result"]["replaced"] == 1
    assert smoke["rerun_changed"]["result"]["kept"] == SIZE - 1
    assert all(q["status"] == "ok" and q["runs"] >= 1 for q in smoke["queries"]["queries"].values())
    # the page holding the sample case is every case here, so it has every row of its query
    queries = smoke["queries"]["queries"]
    pages = [label for label in queries if label.endswith(f"(page of {SIZE} cases)")]
    assert len(pages) == 7, sorted(queries)
    for label in pages:
        assert queries[label]["rows"] == queries[label.split(" (")[0]]["rows"], label
    assert queries["case page lookup"]["rows"] == SIZE
    # every case query also runs over every case by pages, as `kg query` runs it: the same rows
    by_pages = [label for label in queries if "(every case, by pages of" in label]
    assert len(by_pages) == 7, sorted(queries)
    for label in by_pages:
        assert queries[label]["rows"] == queries[label.split(" (")[0]]["rows"], label
    # one more case added as `kg add` does, then removed: the store holds the corpus again
    adding = smoke["add_case"]
    assert adding["status"] == "ok", adding
    assert adding["result"]["added"] == 1
    stages = {"validate_paths", "candidate_profiles", "summary_before", "update_summary"}
    assert set(adding["result"]["stages"]) >= stages
    report = render([{**smoke, "machine": _machine(), "work": None}])
    assert "Where we stand" in report
    assert "## Adding one case to the store, and removing it" in report
    assert ", again, no case changed |" in report  # the rerun's row in the reasoning table
    assert ", again, 1 case(s) changed |" in report


def _machine() -> dict[str, Any]:
    from benchmarks.report import machine_info

    return machine_info()


@pytest.mark.slow
@pytest.mark.java
def test_association_counts_add_up_to_what_was_generated(smoke: dict[str, Any]) -> None:
    summary, tree = _summary(smoke), load_oncotree()
    rows = {
        str(s["code"].value): int(s["cases"].value)
        for s in _store(smoke).query(find_query("tumour-dm-associations").bind({}))
        if s["code"] is not None
    }
    generated = set(summary.dm_cases_by_tumour)
    leaves = [
        c for c in generated if not any(o != c and tree.is_descendant_of(o, c) for o in generated)
    ]
    for code in leaves:
        if summary.dm_cases_by_tumour[code]:
            assert rows.get(code) == summary.dm_cases_by_tumour[code], code
    for tissue in {tree.ancestors(code)[-2].code for code in generated}:
        below = {c for c in generated if tree.is_descendant_of(c, tissue)}
        assert rows.get(tissue, 0) <= sum(summary.dm_cases_by_tumour[c] for c in below)


@pytest.mark.slow
@pytest.mark.java
def test_sparql_formulation_agrees_with_the_reasoner(smoke: dict[str, Any]) -> None:
    agreement = smoke["agreement"]["result"]
    assert agreement["cases"] == SIZE
    assert agreement["agree"] == SIZE


@pytest.mark.slow
@pytest.mark.java
def test_sparql_classes_match_what_the_generator_put_in(smoke: dict[str, Any]) -> None:
    # The generator draws descendants of the criteria classes too (Gowers sign, Mildly elevated
    # creatine kinase), so this holds only while the HPO import module carries them.
    summary = _summary(smoke)
    expected = Counter({DM_WORDS.get(k, "none"): 0 for k in summary.bohan_peter})
    for name, count in summary.bohan_peter.items():
        expected[DM_WORDS.get(name, "none")] += count
    found = Counter(
        str(s["dermatomyositis"].value)
        for s in _store(smoke).query(find_query("bohan-peter-sparql").bind({}))
        if str(s["caseId"].value).startswith("syn-")
    )
    assert found == +expected


@pytest.mark.slow
@pytest.mark.java
def test_rdflib_loads_the_same_quads_and_returns_the_same_rows(smoke: dict[str, Any]) -> None:
    rdflib = smoke["rdflib"]
    assert rdflib["status"] == "ok", rdflib
    ours = smoke["queries"]["queries"]
    finished = {k: v for k, v in rdflib["result"]["queries"].items() if v["first"] is not None}
    assert finished, "rdflib finished no query at all"
    for label, theirs in finished.items():
        assert theirs["rows"] == ours[label]["rows"], label


@pytest.mark.slow
@pytest.mark.java
def test_the_dm_summary_agrees_with_the_direct_query_on_generated_cases(
    smoke: dict[str, Any],
) -> None:
    """Generated cases cover far more tumour types and antibodies than the curated ones."""
    from tests.test_tumour_summary import DIRECT, rows_of

    store = _store(smoke)
    direct = rows_of(store, DIRECT.bind({}))
    summary = rows_of(store, find_query("tumour-dm-associations").bind({}))
    assert len(direct) > 20
    assert sorted(map(repr, summary)) == sorted(map(repr, direct))
    assert smoke["build"]["result"]["stages"]["refresh_summary"]["calls"] == 1
