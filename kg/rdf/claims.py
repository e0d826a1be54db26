"""Turn validated claim files into quads in the claims graph. Pure: no I/O.

Claims live in one named graph of their own (``CLAIMS_GRAPH``), beside the case graphs, so a
query can put "what the literature says" next to "what the cases show". Each claim's IRI is
minted from its id, so converting the same files twice gives the same quads.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pyoxigraph import Literal, NamedNode, Quad

from kg.curation import controlled
from kg.curation.claims import ClaimFile
from kg.rdf.convert import publication_iri
from kg.rdf.vocab import BASE, CLAIMS_GRAPH, KG, RDF, XSD, oncotree_iri

CLAIM_BASE = BASE + "claim/"


def claim_iri(claim_id: str) -> NamedNode:
    """Return the IRI of a claim.

    >>> claim_iri("merry-2020-tif1-gamma-ppv").value
    'https://w3id.org/dmkg/claim/merry-2020-tif1-gamma-ppv'
    """
    return NamedNode(CLAIM_BASE + claim_id)


def subject_class(subject: dict[str, str]) -> NamedNode:
    """Return the ontology class a claim subject names (antibody, OncoTree type or condition).

    >>> subject_class({"antibody": "TIF1-gamma"}).value
    'https://w3id.org/dmkg/vocab/AntiTIF1GammaAntibody'
    >>> subject_class({"oncotree": "CHS"}).value
    'https://w3id.org/dmkg/oncotree/CHS'
    """
    kind, value = next(iter(subject.items()))
    if kind == "antibody":
        return getattr(KG, controlled.ANTIBODIES[value])  # type: ignore[no-any-return]
    if kind == "condition":
        return getattr(KG, controlled.CONDITIONS[value])  # type: ignore[no-any-return]
    return oncotree_iri(value)


class _Quads:
    """Collects triples into the claims graph, skipping absent values."""

    def __init__(self) -> None:
        self.quads: list[Quad] = []

    def add(
        self, subject: NamedNode, predicate: NamedNode, obj: NamedNode | Literal | None
    ) -> None:
        if obj is not None:
            self.quads.append(Quad(subject, predicate, obj, CLAIMS_GRAPH))

    def text(self, subject: NamedNode, predicate: NamedNode, value: Any) -> None:
        if value is not None:
            self.add(subject, predicate, Literal(" ".join(str(value).split())))

    def decimal(self, subject: NamedNode, predicate: NamedNode, value: Any) -> None:
        if value is not None:
            number = format(Decimal(str(value)).normalize(), "f")
            self.add(subject, predicate, Literal(number, datatype=XSD.decimal))


def convert_claims(claim_file: ClaimFile) -> list[Quad]:
    """Convert one validated claim file into quads of the claims graph.

    :param claim_file: a claim file that passed validation.
    :returns: the quads, all in ``CLAIMS_GRAPH``; publications shared by several claims appear
        once per claim, and a store keeps one copy.
    """
    out = _Quads()
    quoted_from = claim_file.quoted_from
    citing = _publication(quoted_from, out) if quoted_from else None
    for claim in claim_file.claims:
        _claim(claim, citing, out)
    return out.quads


def _claim(claim: dict[str, Any], citing: NamedNode | None, out: _Quads) -> None:
    node = claim_iri(claim["id"])
    out.add(node, RDF.type, KG.Claim)
    out.text(node, KG.claimText, claim["text"])
    for subject in claim["subjects"]:
        out.text(node, KG.claimSubject, next(iter(subject.values())))
        out.add(node, KG.claimAbout, subject_class(subject))
    out.text(node, KG.statistic, claim["statistic"])
    out.decimal(node, KG.statisticValue, claim.get("value"))
    interval = claim.get("interval") or {}
    out.decimal(node, KG.intervalLow, interval.get("low"))
    out.decimal(node, KG.intervalHigh, interval.get("high"))
    out.text(node, KG.intervalKind, interval.get("kind"))
    out.text(node, KG.claimUnit, claim.get("unit"))
    out.text(node, KG.claimPopulation, claim.get("population"))
    _sources(node, claim["source"], citing, out)
    quotes = claim.get("evidence")
    for quote in [quotes] if isinstance(quotes, str) else quotes or []:
        out.text(node, KG.evidence, quote)
    out.text(node, KG.note, claim.get("note"))


def _sources(
    node: NamedNode, source: dict[str, Any], citing: NamedNode | None, out: _Quads
) -> None:
    """Link the work that makes the claim, and the quoting paper when it only cites that work."""
    made_by = _publication(source["publication"], out) if "publication" in source else None
    out.add(node, KG.claimSource, made_by)
    out.text(node, KG.citedAs, source.get("cited_as"))
    if citing is not None and made_by != citing:
        out.add(node, KG.claimCitedIn, citing)


def _publication(publication: dict[str, Any], out: _Quads) -> NamedNode:
    node = publication_iri(publication)
    out.add(node, RDF.type, KG.Publication)
    for key in ("pmid", "doi", "title", "journal"):
        out.text(node, getattr(KG, key), publication.get(key))
    if publication.get("year") is not None:
        out.add(node, KG.year, Literal(str(publication["year"]), datatype=XSD.integer))
    if publication.get("authors"):
        out.text(node, KG.authors, ", ".join(publication["authors"]))
    return node
