"""Criteria classification, checked against the criteria papers and the founding case.

Expected values come from criteria.md and from Merry et al. 2020 (Bohan and Peter: I, II, III, V
met, IV not done = definite DM; PNS 2004 definite), never from what the code printed.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from pyoxigraph import QuerySolutions

from kg.build import build_graph
from kg.paths import CASES_DIR
from kg.queries import find_query
from kg.rdf.vocab import INFERRED_GRAPH, KG, RDF, SHARED_BASE
from kg.reasoning.explain import explain_case
from kg.reasoning.reason import ReasoningReport, reason
from kg.results import to_table
from kg.store import EmbeddedStore
from tests.conftest import FOUNDING_CASE
from tests.criteria_cases import expected_class, write_combination_cases

pytestmark = pytest.mark.java


@pytest.fixture(scope="module")
def reasoned(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[EmbeddedStore, ReasoningReport]]:
    store = EmbeddedStore(tmp_path_factory.mktemp("reasoned"))
    build_graph(store, CASES_DIR)
    yield store, reason(store, "hermit", keep_results=True)
    store.close()


def founding(report: ReasoningReport) -> object:
    return next(r for r in report.results.values() if r.case.endswith(f"/{FOUNDING_CASE}"))


def test_founding_case_bohan_peter(reasoned: tuple[EmbeddedStore, ReasoningReport]) -> None:
    result = founding(reasoned[1])
    statuses = {c.criterion: c.status for c in result.bohan_peter.criteria}
    assert statuses == {"I": "met", "II": "met", "III": "met", "IV": "undetermined", "V": "met"}
    biopsy = next(c for c in result.bohan_peter.criteria if c.criterion == "IV")
    assert "not done" in biopsy.reason and "seeding" in biopsy.reason
    assert result.bohan_peter.supported_class == "BPDefiniteDermatomyositis"
    assert "BPDefiniteDermatomyositis" in result.owl.classes  # the reasoner's own inference


def test_founding_case_eular_acr_without_biopsy(
    reasoned: tuple[EmbeddedStore, ReasoningReport],
) -> None:
    (score,) = founding(reasoned[1]).eular  # no muscle biopsy: only the without-biopsy score
    assert score.score == 10.1
    assert score.iim_class == "definite IIM"
    assert score.subgroup == "dermatomyositis"
    present = {c.variable.key: c.weight for c in score.contributions if c.status == "present"}
    assert present == {
        "age-40": 2.1,
        "proximal-upper": 0.7,
        "proximal-lower": 0.8,
        "heliotrope": 3.1,
        "gottron-papules": 2.1,
        "enzymes": 1.3,
    }
    absent = {c.variable.key for c in score.contributions if c.status == "absent"}
    assert {"neck-flexors", "dysphagia", "anti-jo-1"} <= absent


def test_founding_case_contributions_read_back_from_shared_nodes(
    reasoned: tuple[EmbeddedStore, ReasoningReport],
) -> None:
    """`kg explain` reads the founding case's contributions and criteria from the nodes its
    results link to: the weights the paper's findings earn, adding up to its 10.1, and the five
    criteria; each node is one that other curated cases link to as well where they say the
    same."""
    store, _ = reasoned
    explanation = explain_case(store, FOUNDING_CASE)
    (view,) = explanation.eular
    present = {variable: weight for variable, status, weight, _ in view.rows if status == "present"}
    assert sorted(present.values()) == ["0.7", "0.8", "1.3", "2.1", "2.1", "3.1"]
    assert sum(Decimal(weight) for _, _, weight, _ in view.rows) == Decimal(view.score)
    assert Decimal(view.score) == Decimal("10.1")
    statuses = [status for _, status, _ in explanation.bohan_peter]
    assert sorted(statuses) == ["met", "met", "met", "met", "undetermined"]
    links = store.query(
        f"SELECT ?node ?type (COUNT(?from) AS ?links) WHERE {{ GRAPH {INFERRED_GRAPH} {{ "
        f"?from ?link ?node . ?node a ?type "
        f"FILTER(?link IN ({KG.hasContribution}, {KG.hasCriterionAssessment})) }} }} "
        "GROUP BY ?node ?type"
    )
    assert isinstance(links, QuerySolutions)
    nodes = {row["node"].value: (row["type"], int(row["links"].value)) for row in links}
    assert all(node.startswith(SHARED_BASE) for node in nodes)
    said = {
        KG.ScoreContribution: {
            RDF.type, KG.variableLabel, KG.weight, KG.variableStatus, KG.assessmentReason
        },
        KG.CriterionAssessment: {
            RDF.type, KG.criterion, KG.assessmentStatus, KG.assessmentReason
        },
    }  # fmt: skip
    for kind in said:
        assert max(n for t, n in nodes.values() if t == kind) > 1  # shared: fewer nodes than links
    for node, (kind, _) in nodes.items():
        predicates = {q.predicate for q in store.quads(INFERRED_GRAPH) if q.subject.value == node}
        assert predicates == said[kind]


def test_founding_case_pns_2004(reasoned: tuple[EmbeddedStore, ReasoningReport]) -> None:
    pns = founding(reasoned[1]).pns
    assert pns.pns_class == "definite"
    assert "rule 1" in pns.rule and "5 years" in pns.rule


def test_inferred_graph_records_reasoner_version_and_time(
    reasoned: tuple[EmbeddedStore, ReasoningReport],
) -> None:
    store, _ = reasoned
    values = {
        q.predicate.value.rsplit("/", 1)[-1]: q.object.value
        for q in store.quads(INFERRED_GRAPH)
        if q.subject.value.endswith("/run/hermit")
    }
    assert values["reasonerName"] == "hermit"
    assert values["reasonerVersion"].startswith("HermiT ")
    assert values["runAt"].startswith("20")


def test_explain_and_named_queries_read_the_inferred_graph(
    reasoned: tuple[EmbeddedStore, ReasoningReport],
) -> None:
    store, _ = reasoned
    table = to_table(store.query(find_query("criteria-assessment").bind({"case": FOUNDING_CASE})))
    rows = [dict(zip(table.columns, row, strict=True)) for row in table.rows]
    biopsy = next(r for r in rows if "criterion IV" in r["criterion"])
    assert biopsy["status"] == "undetermined" and "seeding" in biopsy["reason"]
    assert {r["supportedClass"] for r in rows} == {"definite dermatomyositis (Bohan and Peter)"}
    both = to_table(store.query(find_query("dm-classification").bind({"case": FOUNDING_CASE})))
    assert {row[1] for row in both.rows} == {"asserted", "inferred"}
    inferred_only = to_table(
        store.query(
            find_query("dm-classification").bind({"case": FOUNDING_CASE, "source": "inferred"})
        )
    )
    assert {row[1] for row in inferred_only.rows} == {"inferred"}


def test_no_discrepancy_for_the_founding_case(
    reasoned: tuple[EmbeddedStore, ReasoningReport],
) -> None:
    store, _ = reasoned
    table = to_table(store.query(find_query("discrepancies").bind({"case": FOUNDING_CASE})))
    assert table.rows == []


@pytest.fixture(scope="module")
def combinations(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[EmbeddedStore, dict[str, tuple[str, ...]]]:
    folder = tmp_path_factory.mktemp("combinations")
    states = write_combination_cases(folder)
    store = EmbeddedStore(tmp_path_factory.mktemp("combination-store"))
    build_graph(store, folder)
    return store, states


@pytest.mark.parametrize("reasoner", ["hermit", "pellet"])
def test_owl_reasoner_sparql_and_assessment_agree_on_every_combination(
    combinations: tuple[EmbeddedStore, dict[str, tuple[str, ...]]], reasoner: str
) -> None:
    store, states = combinations
    report = reason(store, reasoner, keep_results=True)  # type: ignore[arg-type]
    sparql = to_table(store.query(find_query("bohan-peter-sparql").bind({})))
    by_id = {row[0]: dict(zip(sparql.columns, row, strict=True)) for row in sparql.rows}
    assert len(states) == 243 and len(by_id) == 243
    assert len(report.results) == 243  # another reasoner's results are never kept
    for result in report.results.values():
        case_id = result.case.rsplit("/", 1)[-1]
        wanted = dict(zip(("I", "II", "III", "IV", "V"), states[case_id], strict=True))
        met = {name for name, state in wanted.items() if state == "met"}
        # the open-world assessment reproduces the generated states exactly
        assert {c.criterion: c.status for c in result.bohan_peter.criteria} == wanted, case_id
        # the OWL reasoner: criterion classes = the met criteria
        owl_met = {
            n
            for n, cls in (
                ("I", "BP1SymmetricalProximalWeakness"),
                ("II", "BP2RaisedMuscleEnzymes"),
                ("III", "BP3MyopathicEMG"),
                ("IV", "BP4AbnormalMuscleBiopsy"),
                ("V", "BP5TypicalSkinRash"),
            )
            if cls in result.owl.classes
        }
        assert owl_met == met, case_id
        # SPARQL alone: the same met criteria
        sparql_met = {n for n in ("I", "II", "III", "IV", "V") if by_id[case_id][n] == "met"}
        assert sparql_met == met, case_id
        # and the class follows the published rule
        words = {
            "BPDefiniteDermatomyositis": "definite dermatomyositis",
            "BPProbableDermatomyositis": "probable dermatomyositis",
            "BPPossibleDermatomyositis": "possible dermatomyositis",
            "BPDefinitePolymyositisPattern": "definite polymyositis",
            "BPProbablePolymyositisPattern": "probable polymyositis",
            "BPPossiblePolymyositisPattern": "possible polymyositis",
        }
        assert words.get(result.bohan_peter.supported_class or "") == expected_class(wanted), (
            case_id
        )
        dm = by_id[case_id]["dermatomyositis"]
        owl_dm = next(
            (w.split()[0] for c, w in words.items() if c in result.owl.classes and "derm" in w),
            "none",
        )
        assert dm == owl_dm, case_id


def test_reasoner_versions_are_recorded_per_run(
    combinations: tuple[EmbeddedStore, dict[str, tuple[str, ...]]],
) -> None:
    # every case: the store may hold pellet's results already, which a rerun would keep
    report = reason(combinations[0], "pellet", keep_results=True, every_case=True)
    assert report.reasoner.version.startswith("Pellet ")
    # profiles depend on which criteria are met (2**5), times the two HPO variants, not on the cases
    assert 0 < report.profiles <= 2 * 2**5
    assert report.cases == 243 and len(report.results) == 243


def test_reason_and_explain_commands(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from kg.cli import app, register_command_modules

    register_command_modules()
    runner = CliRunner()
    store = str(tmp_path / "store")
    assert runner.invoke(app, ["build", "--store", store]).exit_code == 0
    reasoned = runner.invoke(app, ["reason", "--reasoner", "pellet", "--store", store])
    assert reasoned.exit_code == 0, reasoned.output
    assert "Pellet" in reasoned.output
    shown = runner.invoke(app, ["explain", FOUNDING_CASE, "--store", store], terminal_width=200)
    assert shown.exit_code == 0, shown.output
    words = " ".join(shown.output.split())
    for text in (
        "supported class: definite dermatomyositis",
        "score 10.1 -> definite IIM",
        "seeding",
        "definite (definite rule 1",
    ):
        assert text in words, text
    unknown = runner.invoke(app, ["explain", "no-such-case", "--store", store])
    assert unknown.exit_code != 0


def test_a_first_run_compacts_the_store_unless_told_not_to_and_reading_every_case_prefetches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from typer.testing import CliRunner

    from kg.cli import app, register_command_modules

    register_command_modules()
    runner = CliRunner()
    built = tmp_path / "built"
    assert runner.invoke(app, ["build", "--store", str(built)]).exit_code == 0
    compacted: list[Path | None] = []
    real_compact = EmbeddedStore.compact

    def counting(self: EmbeddedStore) -> None:
        compacted.append(self.directory)
        real_compact(self)

    monkeypatch.setattr(EmbeddedStore, "compact", counting)
    prefetched: list[Path | None] = []
    real_prefetch = EmbeddedStore.prefetch

    def recording(self: EmbeddedStore) -> bool:
        prefetched.append(self.directory)
        return real_prefetch(self)

    monkeypatch.setattr(EmbeddedStore, "prefetch", recording)
    for name, options in (("kept", ["--no-compact"]), ("compacted", [])):
        store = tmp_path / name
        shutil.copytree(built, store)
        reasoned = runner.invoke(app, ["reason", "--store", str(store), *options])
        assert reasoned.exit_code == 0, reasoned.output
    assert compacted == [tmp_path / "compacted"]  # the first run's bulk writes, merged once
    again = runner.invoke(app, ["reason", "--store", str(tmp_path / "compacted")])
    assert again.exit_code == 0, again.output
    assert "(8 kept the results made from their present inputs)" in " ".join(again.output.split())
    everything = runner.invoke(app, ["reason", "--all", "--store", str(tmp_path / "compacted")])
    assert everything.exit_code == 0, everything.output
    assert "kept" not in everything.output
    assert compacted == [tmp_path / "compacted"]  # a later run writes in transactions
    # a run that reads every case reads the store's files into the page cache first; the run
    # that kept every case read none
    assert prefetched == [tmp_path / "kept", tmp_path / "compacted", tmp_path / "compacted"]


def test_discrepancy_lists_a_case_whose_facts_support_less_than_reported(tmp_path: Path) -> None:
    import yaml

    data = yaml.safe_load((CASES_DIR / f"{FOUNDING_CASE}.yaml").read_text(encoding="utf-8"))
    data["id"] = "weaker-than-reported"
    data["provenance"]["date"] = str(data["provenance"]["date"])
    # keep the rash and the weakness, drop the enzymes and the myopathic EMG result
    data["labs"] = [lab for lab in data["labs"] if lab["id"] not in ("ck", "alt")]
    for item in data["investigations"]:
        if item["type"] == "emg":
            item.pop("findings")
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "weaker-than-reported.yaml").write_text(
        yaml.safe_dump(data, allow_unicode=True), "utf-8"
    )
    store = EmbeddedStore(tmp_path / "store")
    build_graph(store, folder)
    reason(store, "hermit", keep_results=True)
    table = to_table(store.query(find_query("discrepancies").bind({})))
    (row,) = [dict(zip(table.columns, r, strict=True)) for r in table.rows]
    assert row["caseId"] == "weaker-than-reported"
    assert row["reported"] == "definite dermatomyositis"
    # I met; II undetermined (no enzyme reported); III not met (EMG done, not myopathic);
    # IV undetermined
    assert row["computed"] == "possible dermatomyositis"
    assert "3: not met" in row["criteria"] and "4: undetermined" in row["criteria"]
