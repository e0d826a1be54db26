"""The literature corpus: the cases the founding paper cites, and its claims, beside the cases.

The secondary cases hold only what Merry et al. 2020 (PMID 32864095) say about the cases they cite;
the claims hold its statistics with their sources. Every quote must be in the founding paper.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from kg.build import InvalidCases, build_claims, build_graph
from kg.curation.claims import validate_claim_file, validate_claims_dir
from kg.curation.validate import validate_file
from kg.paths import CASES_DIR, CLAIMS_DIR
from kg.queries import find_query
from kg.rdf.vocab import CLAIMS_GRAPH
from kg.results import to_table
from kg.store import EmbeddedStore
from tests.conftest import FOUNDING_PAPER
from tests.evidence import evidence_quotes, normalise_text

FOUNDING_PMID = "32864095"
SECONDARY_CASES = {
    "merry-2020-ref7-9-chs-a": "one of references [7]-[9] of Merry 2020",
    "merry-2020-ref7-9-chs-b": "one of references [7]-[9] of Merry 2020",
    "merry-2020-ref7-9-chs-c": "one of references [7]-[9] of Merry 2020",
    "merry-2020-ref10-chs-humerus": "reference [10] of Merry 2020",
    "merry-2020-ref11-mesenchymal": "reference [11] of Merry 2020",
    "merry-2020-ref30-chs-cavernous-sinus": "reference [30] of Merry 2020",
    "merry-2020-ref33-ucs": "reference [33] of Merry 2020",
}


def run(store: EmbeddedStore, name: str, **params: str) -> list[dict[str, str]]:
    table = to_table(store.query(find_query(name).bind(params)))
    return [dict(zip(table.columns, row, strict=True)) for row in table.rows]


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


# --- secondary cases -----------------------------------------------------------------------------


@pytest.mark.parametrize("case_id", sorted(SECONDARY_CASES))
def test_secondary_case_validates_and_names_its_reference(case_id: str) -> None:
    result = validate_file(CASES_DIR / f"{case_id}.yaml")
    assert [str(issue) for issue in result.issues] == []
    assert result.case is not None
    data = result.case.data
    assert data["report"]["type"] == "secondary"
    assert data["report"]["primary_reference"] == SECONDARY_CASES[case_id]
    assert data["publication"]["pmid"] == FOUNDING_PMID


def test_only_the_confirmed_primary_publication_is_named() -> None:
    named = {
        case_id: _load(CASES_DIR / f"{case_id}.yaml")["report"].get("primary_publication")
        for case_id in SECONDARY_CASES
    }
    assert {case_id for case_id, pub in named.items() if pub} == {
        "merry-2020-ref30-chs-cavernous-sinus"
    }
    patel = named["merry-2020-ref30-chs-cavernous-sinus"]
    assert patel["doi"] == "10.1097/WNO.0b013e3182a30480"
    assert "journals.lww.com" in patel["confirmed_by"]
    assert "pmid" not in patel  # not confirmed


def test_secondary_cases_record_only_stated_patient_facts() -> None:
    humerus = _load(CASES_DIR / "merry-2020-ref10-chs-humerus.yaml")["patient"]
    assert humerus["sex"] == "female"
    assert "age" not in humerus  # "of similar age" is not a number
    for case_id in set(SECONDARY_CASES) - {"merry-2020-ref10-chs-humerus"}:
        assert _load(CASES_DIR / f"{case_id}.yaml")["patient"]["sex"] == "unknown"


def test_every_literature_quote_is_in_the_founding_paper() -> None:
    paper = normalise_text(FOUNDING_PAPER.read_text(encoding="utf-8"))
    quotes = [
        q
        for case_id in SECONDARY_CASES
        for q in evidence_quotes(_load(CASES_DIR / f"{case_id}.yaml"))
    ]
    for path in sorted(CLAIMS_DIR.glob("*.yaml")):
        data = _load(path)
        if (data.get("quoted_from") or {}).get("pmid") == FOUNDING_PMID:
            quotes += evidence_quotes(data["claims"])
    assert len(quotes) > 60
    assert [quote for quote in quotes if normalise_text(quote) not in paper] == []


# --- claims ------------------------------------------------------------------------------------


def test_claim_files_validate_clean() -> None:
    results = validate_claims_dir(CLAIMS_DIR)
    assert results, "claims/ holds no claim files"
    assert [str(issue) for result in results for issue in result.issues] == []


def test_tif1_gamma_ppv_and_npv_are_sourced_and_cited(built_store: EmbeddedStore) -> None:
    rows = run(built_store, "literature-claims", subject="TIF1-gamma")
    quoted = {
        row["statistic"]: row for row in rows if row["citedAs"] == "reference [26] of Merry 2020"
    }
    assert (quoted["PPV"]["value"], quoted["NPV"]["value"]) == ("58", "95")
    for row in (quoted["PPV"], quoted["NPV"]):
        assert row["unit"] == "%"
        assert row["source"] == "Trallero-Araguás E et al. 2012, doi:10.1002/art.33379"
        assert row["citedBy"] == "Merry E et al. 2020, PMID:32864095"


def test_claims_the_founding_paper_does_not_quote_have_no_citing_paper(
    built_store: EmbeddedStore,
) -> None:
    rows = run(built_store, "literature-claims", subject="TIF1-gamma")
    sensitivity = [row for row in rows if row["claim"] == "trallero-2012-tif1-gamma-sensitivity"]
    assert [(r["value"], r["low"], r["high"], r["intervalKind"]) for r in sensitivity] == [
        ("78", "45", "94", "95% CI")
    ]
    assert sensitivity[0]["citedBy"] == ""
    dors = {row["source"].split(" ")[0]: row["value"] for row in rows if row["statistic"] == "DOR"}
    assert dors == {"Trallero-Araguás": "27.26", "Best": "9.37"}


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("anti-TIF1-gamma antibody", "merry-2020-tif1-gamma-ppv"),  # the class label
        ("anti-p155/140", "merry-2020-tif1-gamma-ppv"),  # a synonym
        ("myositis-specific autoantibody", "merry-2020-tif1-gamma-ppv"),  # a superclass
        ("CHS", "merry-2020-chondrosarcoma-cases"),
        ("sarcoma", "merry-2020-chondrosarcoma-cases"),  # the curated grouping
        ("SOFT_TISSUE", "merry-2020-soft-tissue-sarcoma-cases"),
    ],
)
def test_claims_are_found_through_the_ontology(
    built_store: EmbeddedStore, subject: str, expected: str
) -> None:
    assert expected in {
        row["claim"] for row in run(built_store, "literature-claims", subject=subject)
    }


def test_chondrosarcoma_claim_and_cases_agree(built_store: EmbeddedStore) -> None:
    (claim,) = [
        row
        for row in run(built_store, "literature-claims", subject="CHS")
        if row["claim"] == "merry-2020-chondrosarcoma-cases"
    ]
    assert (claim["statistic"], claim["value"], claim["unit"]) == ("count", "4", "cases")
    assert claim["citedAs"] == "references [7-10] of Merry 2020"
    # the four of references [7-10] plus the cavernous sinus case of reference [30]
    rows = {row["code"]: row for row in run(built_store, "tumour-dm-associations", tumour="CHS")}
    chs = rows["CHS"]
    assert chs["label"] == "Chondrosarcoma"
    assert chs["cases"] == "5"
    assert set(chs["sources"].split(", ")) == {"PMID:32864095", "doi:10.1097/WNO.0b013e3182a30480"}
    assert "anti-TIF1-gamma antibody" in chs["positiveAntibodies"]


def test_uterine_carcinosarcoma_is_recorded_but_not_a_sarcoma(built_store: EmbeddedStore) -> None:
    rows = {row["code"]: row for row in run(built_store, "tumour-dm-associations")}
    assert rows["UCS"]["cases"] == "1"
    # the curated grouping classes uterine carcinosarcoma as a carcinoma
    in_sarcoma = built_store.query(
        """PREFIX kg: <https://w3id.org/dmkg/vocab/>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        ASK {
          GRAPH <https://w3id.org/dmkg/case/merry-2020-ref33-ucs> { ?tumour a ?type }
          GRAPH <https://w3id.org/dmkg/graph/ontology> { ?type rdfs:subClassOf* kg:Sarcoma }
        }"""
    )
    assert not bool(in_sarcoma)


# --- claim validation and building --------------------------------------------------------------

BAD_CLAIMS = """\
format_version: 1
claims:
  - id: bad-antibody
    text: A claim about an antibody that is not in the list.
    subjects: [{antibody: TIF-1}]
    statistic: PPV
    value: 580
    unit: "%"
    source: {cited_as: "reference [1] of Nobody 2020"}
    evidence: a quote from nowhere
  - id: bad-interval
    text: A claim whose interval runs backwards.
    subjects: [{oncotree: CHSS}]
    statistic: DOR
    value: 5
    interval: {low: 9, high: 2, kind: 95% CI}
    source: {publication: {title: A paper with no identifier}}
"""


def test_claim_problems_are_located_and_explained(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(BAD_CLAIMS, encoding="utf-8")
    result = validate_claim_file(path)
    assert not result.ok
    rules = {issue.rule: issue.line for issue in result.issues}
    assert rules == {"missing-source-id": 17}
    # once the schema passes, the rules of meaning report everything else at once
    path.write_text(
        BAD_CLAIMS.replace(
            "{title: A paper with no identifier}", "{title: A paper, doi: 10.1000/x}"
        ),
        encoding="utf-8",
    )
    issues = validate_claim_file(path).issues
    found = {(issue.rule, issue.line) for issue in issues}
    assert found == {
        ("unknown-antibody", 5),
        ("value-outside-unit", 7),
        ("evidence-without-quoted-from", 10),
        ("cited-as-without-quoted-from", 9),
        ("unknown-oncotree", 13),
        ("value-without-unit", 11),
        ("reversed-interval", 16),
    }
    oncotree = next(issue for issue in issues if issue.rule == "unknown-oncotree")
    assert "CHS Chondrosarcoma" in oncotree.fix


def test_a_claim_id_used_in_two_files_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "claims"
    shutil.copytree(CLAIMS_DIR, folder)
    source = (folder / "merry-2020-claims.yaml").read_text(encoding="utf-8")
    (folder / "zz-copy.yaml").write_text(source, encoding="utf-8")
    issues = [issue for result in validate_claims_dir(folder) for issue in result.issues]
    assert issues and {issue.rule for issue in issues} == {"duplicate-claim-id"}
    assert all(issue.path.endswith("zz-copy.yaml") for issue in issues)


def test_an_invalid_claim_file_changes_nothing(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "store")
    build_graph(store, CASES_DIR)
    before = sorted(str(quad) for quad in store.quads())
    claims = tmp_path / "claims"
    shutil.copytree(CLAIMS_DIR, claims)
    (claims / "bad.yaml").write_text(BAD_CLAIMS, encoding="utf-8")
    shutil.copytree(CASES_DIR, tmp_path / "cases")
    changed = tmp_path / "cases" / "merry-2020-ref33-ucs.yaml"
    changed.write_text(changed.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    with pytest.raises(InvalidCases) as error:
        build_graph(store, tmp_path / "cases", claims_dir=claims)
    assert any(issue.rule == "missing-source-id" for issue in error.value.issues)
    assert sorted(str(quad) for quad in store.quads()) == before
    store.close()


def test_claims_have_their_own_graph_and_rebuild_unchanged(memory_store: EmbeddedStore) -> None:
    assert build_claims(memory_store) is True
    assert build_claims(memory_store) is False
    assert memory_store.graphs() == [CLAIMS_GRAPH]
