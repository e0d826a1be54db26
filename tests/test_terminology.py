"""The pinned terminologies say what their sources say, and the Sarcoma grouping is sound."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from kg.errors import TerminologyError
from kg.paths import ONCOTREE_JSON
from kg.terminology.hpo import Hpo, hpo_release, load_hpo
from kg.terminology.oncotree import OncoTree, load_oncotree
from kg.terminology.sarcoma import (
    GROUPING_TSV,
    SarcomaGrouping,
    check_grouping,
    load_checked_grouping,
    load_grouping,
)

GROUPING = load_grouping()


@pytest.fixture(scope="module")
def tree() -> OncoTree:
    return load_oncotree()


@pytest.fixture(scope="module")
def hpo() -> Hpo:
    return load_hpo()


@pytest.fixture(scope="module")
def grouping(tree: OncoTree) -> SarcomaGrouping:
    return load_checked_grouping(GROUPING_TSV, tree)


def _raw_nodes() -> dict[str, dict[str, Any]]:
    """Every node of the OncoTree JSON, read without the project's loader."""
    nodes: dict[str, dict[str, Any]] = {}
    pending = [json.loads(ONCOTREE_JSON.read_text(encoding="utf-8"))["TISSUE"]]
    while pending:
        node = pending.pop()
        nodes[node["code"]] = node
        pending.extend(node["children"].values())
    return nodes


def _code_named(name: str) -> str:
    (code,) = [code for code, node in _raw_nodes().items() if node["name"] == name]
    return code


# OncoTree


def test_oncotree_release_and_size(tree: OncoTree) -> None:
    assert tree.release == "oncotree_2025_10_03"
    assert len(tree) == len(_raw_nodes()) == 898


def test_leiomyosarcoma_carries_its_cross_references_and_parent(tree: OncoTree) -> None:
    raw = _raw_nodes()["LMS"]
    lms = tree.node("LMS")
    assert lms.name == "Leiomyosarcoma"
    assert lms.nci == ("C3158",)
    assert lms.umls == ("C0023269",)
    assert lms.parent == raw["parent"] == "SOFT_TISSUE"
    assert [node.code for node in tree.ancestors("LMS")] == ["SOFT_TISSUE", "TISSUE"]
    assert "LMS" in [node.code for node in tree.children("SOFT_TISSUE")]


def test_oncotree_tree_is_navigable_both_ways(tree: OncoTree) -> None:
    assert {node.code for node in tree.descendants("LIPO")} == {"DDLS", "MRLS", "PLLS", "WDLS"}
    assert tree.is_descendant_of("WDLS", "SOFT_TISSUE")
    assert tree.is_descendant_of("LMS", "LMS")
    assert not tree.is_descendant_of("SOFT_TISSUE", "LMS")


def test_oncotree_suggests_codes_for_a_misspelt_name(tree: OncoTree) -> None:
    assert tree.suggest("Leiomyosarcom")[0].code == "LMS"
    assert tree.get("LMSS") is None


def test_missing_oncotree_file_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "oncotree_missing.json"
    with pytest.raises(TerminologyError, match=r"oncotree_missing\.json"):
        load_oncotree(missing)


# Sarcoma grouping


def test_leiomyosarcoma_is_a_sarcoma(tree: OncoTree, grouping: SarcomaGrouping) -> None:
    assert grouping.is_sarcoma("LMS", tree)
    assert grouping.is_sarcoma("ULMS", tree)


@pytest.mark.parametrize("name", ["Leiomyoma", "Hemangioma", "Myxoma", "Fibroadenoma"])
def test_benign_mesenchymal_tumours_are_not_sarcomas(
    name: str, tree: OncoTree, grouping: SarcomaGrouping
) -> None:
    code = _code_named(name)
    assert not grouping.is_sarcoma(code, tree)
    assert not grouping.decisions[code].is_sarcoma, f"{code} must be decided explicitly"


@pytest.mark.parametrize("code", ["DES", "GCTB", "CHBL", "UCS", "ULM", "PGNG", "MS"])
def test_look_alikes_are_decided_not_sarcoma(
    code: str, tree: OncoTree, grouping: SarcomaGrouping
) -> None:
    assert not grouping.decisions[code].is_sarcoma
    assert not grouping.is_sarcoma(code, tree)


def test_descendants_inherit_the_sarcoma_decision(
    tree: OncoTree, grouping: SarcomaGrouping
) -> None:
    codes = grouping.sarcoma_codes(tree)
    assert {"LIPO", "WDLS", "DDLS", "OS", "PAOS"} <= codes
    assert "SOFT_TISSUE" not in codes


@pytest.mark.parametrize("code", sorted(GROUPING.decisions))
def test_each_decision_names_a_live_node_and_gives_a_reason(code: str, tree: OncoTree) -> None:
    decision = GROUPING.decisions[code]
    node = tree.get(code)
    assert node is not None, f"{GROUPING_TSV}:{decision.line}: {code} is not an OncoTree code"
    assert decision.name == node.name, f"{GROUPING_TSV}:{decision.line}: rename to {node.name!r}"
    assert len(decision.reason) > 10, f"{GROUPING_TSV}:{decision.line}: give a reason"


def test_grouping_covers_every_node_that_looks_like_a_sarcoma(tree: OncoTree) -> None:
    looks = {
        code
        for code, node in _raw_nodes().items()
        if "Sarcoma" in (node["mainType"] or "")
        or node["tissue"] in ("Soft Tissue", "Bone")
        or "sarcoma" in node["name"].lower()
    }
    assert looks - set(GROUPING.decisions) == set()
    assert check_grouping(GROUPING, tree) == []


def test_unsound_grouping_is_refused(tmp_path: Path, tree: OncoTree) -> None:
    """Negative control: a sarcoma node over benign children, and missing rows, are caught."""
    rows = GROUPING_TSV.read_text(encoding="utf-8").splitlines()
    rows = [
        r.replace("\tnot-sarcoma\t", "\tsarcoma\t") if r.startswith("SOFT_TISSUE\t") else r
        for r in rows
    ]
    rows = [r for r in rows if not r.startswith("CHBL\t")]
    unsound = tmp_path / "grouping.tsv"
    unsound.write_text("\n".join(rows) + "\n", encoding="utf-8")
    problems = "\n".join(check_grouping(load_grouping(unsound), tree))
    assert "LM is 'not-sarcoma' but lies under SOFT_TISSUE" in problems
    assert "CHBL (Chondroblastoma) is not decided" in problems
    with pytest.raises(TerminologyError, match="unsound"):
        load_checked_grouping(unsound, tree)


def test_malformed_grouping_row_names_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "grouping.tsv"
    bad.write_text("code\tname\tdecision\treason\nLMS\tLeiomyosarcoma\tmaybe\tunsure\n")
    with pytest.raises(TerminologyError, match=r"grouping.tsv:2: decision 'maybe'"):
        load_grouping(bad)


# HPO


def test_hpo_release_is_pinned(hpo: Hpo) -> None:
    assert hpo.release == "2025-01-16"
    assert len(hpo) > 15000


def test_hpo_term_fields(hpo: Hpo) -> None:
    term = hpo.term("HP:0025508")
    assert term.name == "Gottron's papules"
    assert term.parents == ("HP:0200034",)
    assert term.definition is not None and term.definition.startswith("Violaceous papules")
    assert [(s.text, s.scope) for s in term.synonyms] == [("Gottron papules", "EXACT")]
    assert not term.is_obsolete


def test_obsolete_terms_keep_their_replacement(hpo: Hpo) -> None:
    term = hpo.term("HP:0000057")
    assert term.is_obsolete
    assert term.replaced_by == ("HP:0008665",)


def test_heliotrope_rash_of_eyelid_is_a_heliotrope_rash(hpo: Hpo) -> None:
    assert hpo.is_descendant_of("HP:0030845", "HP:0040324")
    assert "HP:0040324" in hpo.ancestors("HP:0030845")
    assert "HP:0030845" in hpo.descendants("HP:0040324")
    assert hpo.is_descendant_of("HP:0040324", "HP:0040324")
    assert not hpo.is_descendant_of("HP:0040324", "HP:0030845")
    assert hpo.is_a("HP:0008994", "HP:0003701")


def test_ancestors_reach_the_root(hpo: Hpo) -> None:
    assert "HP:0000001" in hpo.ancestors("HP:0025508")
    assert "HP:0000001" not in hpo.ancestors("HP:0000001")


def test_suggest_finds_gottrons_papules_from_a_misspelling(hpo: Hpo) -> None:
    assert hpo.suggest("Gotron papules")[0].id == "HP:0025508"
    assert hpo.suggest("gottrons papule")[0].id == "HP:0025508"


def test_suggest_finds_the_term_behind_swapped_digits(hpo: Hpo) -> None:
    assert hpo.get("HP:0205508") is None
    assert hpo.suggest("HP:0205508")[0].id == "HP:0025508"
    assert hpo.get("HP:0040342") is None
    assert hpo.suggest("HP:0040342")[0].id == "HP:0040324"


def test_suggest_never_offers_obsolete_terms(hpo: Hpo) -> None:
    assert all(not t.is_obsolete for t in hpo.suggest("Clitoromegaly", n=10))


def test_unknown_hpo_id_is_an_error_with_suggestions(hpo: Hpo) -> None:
    with pytest.raises(TerminologyError, match="HP:0025508 Gottron's papules"):
        hpo.term("HP:0205508")


def test_missing_hpo_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TerminologyError, match=r"hp\.obo"):
        load_hpo(tmp_path / "hp.obo")


def test_the_release_read_from_the_header_is_the_parsed_one(hpo: Hpo, tmp_path: Path) -> None:
    """Reasoning's basis reads the release from the header alone; it must be the release the
    criteria are then assessed with."""
    assert hpo_release() == hpo.release
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", hpo.release)
    other = tmp_path / "hp.obo"
    other.write_text("format-version: 1.2\ndata-version: hp/releases/2031-02-03\n\n[Term]\n")
    assert hpo_release(other) == "2031-02-03"
    headless = tmp_path / "headless.obo"
    headless.write_text("format-version: 1.2\n\n[Term]\ndata-version: hp/releases/2031-02-03\n")
    with pytest.raises(TerminologyError, match="no data-version line"):
        hpo_release(headless)
    with pytest.raises(TerminologyError, match="cannot read the HPO release"):
        hpo_release(tmp_path / "absent.obo")
