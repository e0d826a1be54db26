"""The generated ontology files are up to date, complete, and wired into kg-edit.ttl."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from pyoxigraph import BlankNode, NamedNode, RdfFormat, Store, parse

from kg.catalog import read_catalog
from kg.errors import TerminologyError
from kg.paths import CASES_DIR, ONTOLOGY_DIR, PROJECT_ROOT
from kg.rdf.vocab import KG, obo_iri, oncotree_iri
from kg.terminology.hpo import load_hpo
from kg.terminology.modules import (
    CATALOG,
    HP_IMPORT_TTL,
    HP_TERMS,
    ONCOTREE_TTL,
    SARCOMA_TSV,
    read_seed_terms,
    refresh_modules,
)
from kg.terminology.oncotree import ROOT_CODE, load_oncotree
from kg.terminology.sarcoma import load_grouping

GENERATED = [ONCOTREE_TTL, HP_IMPORT_TTL, CATALOG]
OWL = "http://www.w3.org/2002/07/owl#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
A = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
OWL_CLASS = NamedNode(OWL + "Class")
SUBCLASS_OF = NamedNode(RDFS + "subClassOf")
LABEL = NamedNode(RDFS + "label")
DEFINITION = NamedNode("http://purl.obolibrary.org/obo/IAO_0000115")
XREF = NamedNode("http://www.geneontology.org/formats/oboInOwl#hasDbXref")


def _copy_inputs(root: Path) -> None:
    for relative in (HP_TERMS, SARCOMA_TSV):
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(PROJECT_ROOT / relative, root / relative)


def _store(relative: Path) -> Store:
    store = Store()
    store.load(path=str(PROJECT_ROOT / relative), format=RdfFormat.TURTLE)
    return store


@pytest.fixture(scope="module")
def hp_import() -> Store:
    return _store(HP_IMPORT_TTL)


@pytest.fixture(scope="module")
def oncotree_component() -> Store:
    return _store(ONCOTREE_TTL)


def _values(store: Store, subject: NamedNode, predicate: NamedNode) -> set[str]:
    return {q.object.value for q in store.quads_for_pattern(subject, predicate, None)}


def test_regenerating_gives_byte_identical_files(tmp_path: Path) -> None:
    _copy_inputs(tmp_path)
    written = refresh_modules(tmp_path)
    assert sorted(written) == sorted(tmp_path / relative for relative in GENERATED)
    for relative in GENERATED:
        committed = (PROJECT_ROOT / relative).read_bytes()
        fresh = (tmp_path / relative).read_bytes()
        assert fresh == committed, f"{relative} is stale: run `python -m kg.terminology.modules`"


@pytest.mark.parametrize("relative", [ONCOTREE_TTL, HP_IMPORT_TTL], ids=str)
def test_generated_turtle_has_no_blank_nodes(relative: Path) -> None:
    with (PROJECT_ROOT / relative).open("rb") as handle:
        triples = list(parse(handle, RdfFormat.TURTLE))
    assert not [t for t in triples if isinstance(t.subject, BlankNode)]
    assert not [t for t in triples if isinstance(t.object, BlankNode)]


def test_every_seed_term_and_its_ancestors_are_in_the_import(hp_import: Store) -> None:
    hpo = load_hpo()
    seeds = read_seed_terms(PROJECT_ROOT / HP_TERMS, hpo)
    assert {"HP:0040324", "HP:0025508", "HP:0003701", "HP:0002756"} <= set(seeds)
    for seed in seeds:
        for hp_id in {seed, *hpo.ancestors(seed)}:
            node = obo_iri(hp_id)
            assert _values(hp_import, node, A) == {OWL_CLASS.value}, f"{hp_id} missing"
            assert _values(hp_import, node, LABEL) == {hpo.terms[hp_id].name}
            parents = {obo_iri(p).value for p in hpo.terms[hp_id].parents}
            assert _values(hp_import, node, SUBCLASS_OF) == parents


def test_import_records_the_hpo_release(hp_import: Store) -> None:
    header = NamedNode("https://w3id.org/dmkg/ontology/imports/hp_import.owl")
    assert _values(hp_import, header, NamedNode(OWL + "versionInfo")) == {"2025-01-16"}
    assert _values(hp_import, header, NamedNode("http://purl.org/dc/terms/source")) == {
        "http://purl.obolibrary.org/obo/hp/releases/2025-01-16/hp.owl"
    }


def test_import_keeps_synonyms_with_their_scope(hp_import: Store) -> None:
    exact = NamedNode("http://www.geneontology.org/formats/oboInOwl#hasExactSynonym")
    assert _values(hp_import, obo_iri("HP:0025508"), exact) == {"Gottron papules"}


def test_every_hpo_term_used_by_a_case_is_imported(hp_import: Store) -> None:
    """Findings typed with a class outside the module would be invisible to the reasoner."""
    used = set()
    for path in sorted(CASES_DIR.glob("*.yaml")):
        used |= set(re.findall(r"\bHP:\d{7}\b", path.read_text(encoding="utf-8")))
    missing = sorted(i for i in used if not _values(hp_import, obo_iri(i), A))
    assert not missing, f"add {missing} to {HP_TERMS} and regenerate"


def test_obsolete_seed_term_is_refused_with_its_line(tmp_path: Path) -> None:
    seeds = tmp_path / "hp_terms.txt"
    seeds.write_text("# comment\nHP:0025508 # Gottron's papules\nHP:0000057 # Clitoromegaly\n")
    with pytest.raises(
        TerminologyError, match=r"hp_terms.txt:3: HP:0000057 .* obsolete.*HP:0008665"
    ):
        read_seed_terms(seeds, load_hpo())


def test_unknown_or_mislabelled_seed_is_refused(tmp_path: Path) -> None:
    seeds = tmp_path / "hp_terms.txt"
    seeds.write_text("HP:0205508 # Gottron's papules\nHP:0040324 # Heliotrope\n")
    with pytest.raises(TerminologyError) as caught:
        read_seed_terms(seeds, load_hpo())
    assert "hp_terms.txt:1: HP:0205508 is not a term" in str(caught.value)
    assert "did you mean HP:0025508 Gottron's papules" in str(caught.value)
    assert "hp_terms.txt:2: HP:0040324 is labelled 'Heliotrope rash'" in str(caught.value)


def test_unsound_grouping_stops_the_refresh(tmp_path: Path) -> None:
    _copy_inputs(tmp_path)
    tsv = tmp_path / SARCOMA_TSV
    text = tsv.read_text(encoding="utf-8")
    tsv.write_text(text.replace("HEMA\tHemangioma\tnot-sarcoma", "HEMA\tHemangioma\tsarcoma"))
    with pytest.raises(
        TerminologyError, match=r"HEMA is .sarcoma. but it \(Hemangioma\) looks benign"
    ):
        refresh_modules(tmp_path)
    assert not (tmp_path / ONCOTREE_TTL).exists()


def test_every_oncotree_node_is_a_labelled_defined_class(oncotree_component: Store) -> None:
    for node in load_oncotree():
        iri = oncotree_iri(node.code)
        if node.code == ROOT_CODE:
            assert not _values(oncotree_component, iri, A)
            continue
        assert _values(oncotree_component, iri, A) == {OWL_CLASS.value}
        assert _values(oncotree_component, iri, LABEL) == {node.name}
        assert len(_values(oncotree_component, iri, DEFINITION)) == 1
        assert _values(oncotree_component, iri, KG.oncotreeCode) == {node.code}
        parent = KG.Neoplasm if node.parent == ROOT_CODE else oncotree_iri(node.parent or "")
        assert parent.value in _values(oncotree_component, iri, SUBCLASS_OF)


def test_leiomyosarcoma_class(oncotree_component: Store) -> None:
    lms = oncotree_iri("LMS")
    assert _values(oncotree_component, lms, XREF) == {"NCIT:C3158", "UMLS:C0023269"}
    assert _values(oncotree_component, lms, SUBCLASS_OF) == {
        oncotree_iri("SOFT_TISSUE").value,
        KG.Sarcoma.value,
    }
    (definition,) = _values(oncotree_component, lms, DEFINITION)
    assert definition == (
        "A neoplasm of OncoTree type 'Leiomyosarcoma' (code LMS), "
        "main type Soft Tissue Sarcoma, tissue Soft Tissue."
    )


def test_only_curated_sarcoma_nodes_are_direct_subclasses_of_sarcoma(
    oncotree_component: Store,
) -> None:
    direct = {
        q.subject.value for q in oncotree_component.quads_for_pattern(None, SUBCLASS_OF, KG.Sarcoma)
    }
    roots = {oncotree_iri(code).value for code in load_grouping().sarcoma_roots()}
    assert direct == roots
    for code in ("LM", "HEMA", "MYXO", "DES", "UCS", "SOFT_TISSUE"):
        assert oncotree_iri(code).value not in direct


def test_no_label_is_declared_for_the_leads_classes(oncotree_component: Store) -> None:
    for term in (KG.Neoplasm, KG.Sarcoma):
        assert not list(oncotree_component.quads_for_pattern(term, None, None))


def test_oncotree_component_carries_license_and_attribution(oncotree_component: Store) -> None:
    header = NamedNode("https://w3id.org/dmkg/ontology/components/oncotree.owl")
    dcterms = "http://purl.org/dc/terms/"
    assert _values(oncotree_component, header, NamedNode(dcterms + "license")) == {
        "https://creativecommons.org/licenses/by/4.0/"
    }
    assert _values(oncotree_component, header, NamedNode(OWL + "versionInfo")) == {
        "oncotree_2025_10_03"
    }
    citation = _values(oncotree_component, header, NamedNode(dcterms + "bibliographicCitation"))
    assert citation == {
        "OncoTree, Memorial Sloan Kettering Cancer Center, https://oncotree.mskcc.org"
    }


def test_catalog_resolves_every_import_of_kg_edit() -> None:
    edit = ONTOLOGY_DIR / "kg-edit.ttl"
    if not edit.exists():
        pytest.skip("ontology/kg-edit.ttl does not exist yet")
    with edit.open("rb") as handle:
        imports = [
            t.object.value
            for t in parse(handle, RdfFormat.TURTLE, base_iri=edit.as_uri())
            if t.predicate.value == OWL + "imports"
        ]
    catalog = read_catalog(ONTOLOGY_DIR)
    assert imports, "kg-edit.ttl imports nothing"
    for iri in imports:
        assert iri in catalog, f"{iri} has no entry in {CATALOG}"
        assert catalog[iri].is_file(), f"{iri} maps to {catalog[iri]}, which does not exist"


def test_every_hpo_class_the_criteria_name_is_imported_with_all_its_descendants() -> None:
    """A finding typed by any subclass of a criteria class must be classifiable by the reasoner."""
    import re

    from kg.reasoning import bohan_peter, eular
    from kg.terminology.hpo import load_hpo

    edited = (ONTOLOGY_DIR / "kg-edit.ttl").read_text(encoding="utf-8")
    named = {f"HP:{n}" for n in re.findall(r"obo:HP_(\d{7})", edited)}
    named |= {
        *bohan_peter.TYPICAL_RASH,
        *bohan_peter.ENZYME_FINDINGS,
        *bohan_peter.BIOPSY_ABNORMALITIES,
        bohan_peter.PROXIMAL_WEAKNESS,
        bohan_peter.MYOPATHIC_EMG,
    }
    named |= {term for variable in eular.VARIABLES for term in variable.hpo}
    imported = set(
        re.findall(
            r"obo:HP_(\d{7})",
            (ONTOLOGY_DIR / "imports" / "hp_import.ttl").read_text(encoding="utf-8"),
        )
    )
    hpo = load_hpo()
    for term in sorted(named):
        below = {t for t in hpo.descendants(term) if not hpo.terms[t].is_obsolete}
        missing = sorted(t for t in below if t.removeprefix("HP:") not in imported)
        assert missing == [], f"{term}: descendants missing from the HPO import: {missing}"
