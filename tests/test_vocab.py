"""Every IRI the code mints from the vocabulary is declared, labelled and defined in the
ontology.
"""

from __future__ import annotations

from pyoxigraph import NamedNode, RdfFormat, parse

from kg.catalog import EDIT_FILE
from kg.paths import ONTOLOGY_DIR
from kg.rdf.vocab import KG

LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
DEFINITION = "http://purl.obolibrary.org/obo/IAO_0000115"
TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
KINDS = {
    "http://www.w3.org/2002/07/owl#" + kind
    for kind in ("Class", "ObjectProperty", "DatatypeProperty", "AnnotationProperty")
}


def _edited() -> dict[str, dict[str, set[str]]]:
    terms: dict[str, dict[str, set[str]]] = {}
    with (ONTOLOGY_DIR / EDIT_FILE).open("rb") as handle:
        for triple in parse(handle, RdfFormat.TURTLE):
            if isinstance(triple.subject, NamedNode):
                terms.setdefault(triple.subject.value, {}).setdefault(
                    triple.predicate.value, set()
                ).add(str(triple.object.value))
    return terms


def test_every_vocabulary_term_is_declared_labelled_and_defined() -> None:
    edited = _edited()
    for name, node in KG.terms.items():
        entry = edited.get(node.value, {})
        assert entry.get(TYPE, set()) & KINDS, f"kg:{name} is not declared in {EDIT_FILE}"
        assert entry.get(LABEL), f"kg:{name} has no rdfs:label"
        assert entry.get(DEFINITION), f"kg:{name} has no definition"


def test_the_ontology_declares_nothing_the_code_cannot_name() -> None:
    ours = {iri for iri in _edited() if iri.startswith(KG.base)}
    assert ours <= {node.value for node in KG.terms.values()}


def test_ontology_header_has_the_required_metadata() -> None:
    header = _edited()["https://w3id.org/dmkg/ontology"]
    for predicate in (
        "http://www.w3.org/2002/07/owl#versionIRI",
        "http://purl.org/dc/terms/title",
        "http://purl.org/dc/terms/description",
        "http://purl.org/dc/terms/license",
    ):
        assert header.get(predicate), predicate
