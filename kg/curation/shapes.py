"""Run the SHACL shapes (kg/curation/shapes.ttl) over the RDF a case converts to.

The case-file rules check what a curator wrote; the shapes check what the graph will hold. They
agree on every case the rules accept, unless the rules or the converter have a bug, which is why
this runs last, as a second line of defence. A violation is reported like any other issue, located
at the line of the fact whose IRI is the focus node (IRIs are minted from the fact ids).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

import pyshacl_turbo
import rdflib
from pyoxigraph import BlankNode, Literal, NamedNode, Quad, RdfFormat, Triple, serialize
from rdflib.namespace import SH

from kg.curation.case_file import CaseFile
from kg.curation.reporter import Reporter
from kg.curation.source import Pointer
from kg.rdf.vocab import CASE_BASE, KG

SHAPES_BASE = "https://w3id.org/dmkg/shapes/"
RULE_PREFIX = "shacl-"
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_MAX_NESTING = 20  # list cells and nested shapes between a result's shape and its named shape
# The case file key each predicate of a fact node comes from (kg/rdf/convert.py), for locating.
FACT_KEYS = {
    "evidence": "evidence", "note": "note", "atEvent": "at", "phenotype": "hpo",
    "severity": "severity", "bodySiteText": "site", "testName": "test", "loincCode": "loinc",
    "value": "value", "valueText": "reported", "comparator": "comparator", "unit": "unit",
    "referenceLow": "reference_range", "referenceHigh": "reference_range",
    "interpretation": "interpretation", "antibodyResult": "result", "titre": "titre",
    "assay": "assay", "testedFor": "antibody", "performed": "done", "notDoneReason": "reason",
    "siteText": "site", "resultText": "result", "hasResultFinding": "findings",
    "agentName": "agent", "lineOfTherapy": "line", "cycles": "cycles", "intent": "intent",
    "doseText": "dose", "startEvent": "start", "endEvent": "end", "responseCriteria": "criteria",
    "responseCategory": "category", "responseTo": "treatment", "certainty": "certainty",
    "paraneoplastic": "paraneoplastic", "criteriaCited": "criteria", "condition": "condition",
    "eventLabel": "label", "offsetText": "offset", "offsetMin": "offset", "offsetMax": "offset",
    "grade": "grade", "sex": "sex", "ageAtPresentation": "age", "ethnicity": "ethnicity",
    "ageAt": "age_at", "doseChangePercent": "percent", "changeReason": "reason",
}  # fmt: skip
# The case node's predicates, which come from the file's header sections.
CASE_KEYS: dict[str, Pointer] = {
    "caseId": ("id",), "curator": ("provenance", "curator"), "curationDate": ("provenance", "date"),
    "curationStatus": ("provenance", "status"), "hpoVersion": ("ontologies", "hpo"),
    "oncotreeVersion": ("ontologies", "oncotree"), "reportedIn": ("publication",),
    "hasPatient": ("patient",), "reportType": ("report", "type"),
}  # fmt: skip


@dataclass(frozen=True)
class ShapeViolation:
    """One SHACL result, reduced to what a curator needs: rule, where, what, and how to fix."""

    rule: str
    focus: str
    predicate: str | None
    message: str
    fix: str


@cache
def shapes_graph() -> rdflib.Graph:
    """Return the parsed shapes (parsed once per process: every case is checked against them)."""
    text = resources.files("kg.curation").joinpath("shapes.ttl").read_text("utf-8")
    return rdflib.Graph().parse(data=text, format="turtle")


@cache
def compiled_shapes() -> pyshacl_turbo.CompiledShapes:
    """Return the shapes compiled once per process for the SHACL engine.

    pyshacl-turbo runs SHACL Core in Rust over an in-memory pyoxigraph store, about eight times
    faster per case than pySHACL over an rdflib graph (benchmarks/README.md), which matters when a
    build validates a hundred thousand cases.
    """
    return pyshacl_turbo.compile_shapes(shapes_graph())


def shape_rules() -> list[str]:
    """Return the rule id of every shape that can fire, sorted (for docs and their sync test).

    >>> "shacl-lab-value-unit" in shape_rules()
    True
    """
    graph = shapes_graph()
    named = {s for s in graph.subjects(SH.message, None) if isinstance(s, rdflib.URIRef)}
    return sorted(RULE_PREFIX + str(s).removeprefix(SHAPES_BASE) for s in named)


def find_violations(quads: Iterable[Quad]) -> list[ShapeViolation]:
    """Validate quads against the shapes.

    :param quads: one case's quads (their graph name is ignored).
    :returns: every violation, in a stable order.
    """
    quads = list(quads)
    return violations_in(quads, serialize(quads, format=RdfFormat.N_QUADS))


def violations_in(quads: list[Quad], nquads: bytes) -> list[ShapeViolation]:
    """Validate quads, given also as N-Quads text, against the shapes.

    The engine reads its data as N-Quads text: handed a pyoxigraph Store, pyshacl-turbo dumps it
    to text and wraps that in an ``Input``. A case's quads are serialized anyway (a build spools
    them), so the text is wrapped here and no Store is filled only to be dumped, about 1 ms of
    the 18 ms a case's validation takes. ``Input`` is not in the package's ``__all__``, so
    pyproject.toml holds pyshacl-turbo below 0.7, and the shape tests fail if its meaning moves.

    :param quads: one case's quads (their graph name is ignored), to locate a violation.
    :param nquads: the same quads as N-Quads.
    :returns: every violation, in a stable order.
    """
    data = pyshacl_turbo.Input(
        nquads.decode("utf-8"), "oxigraph-nquads", None, {}, preserve_ids=True
    )  # the engine reads every graph of the text, so the case graph is kept
    conforms, results, _ = compiled_shapes().validate(data)
    if conforms:
        return []
    assert isinstance(results, rdflib.Graph)
    located = _rdflib_graph(quads)  # only a failing case is translated, to locate its values
    found = {_violation(results, node, located) for node in results.subjects(SH.focusNode, None)}
    return sorted(found, key=lambda v: (v.focus, v.rule, v.predicate or ""))


def _rdflib_graph(quads: list[Quad]) -> rdflib.Graph:
    graph = rdflib.Graph()
    for quad in quads:
        graph.add(
            (_rdflib_term(quad.subject), _rdflib_term(quad.predicate), _rdflib_term(quad.object))
        )
    return graph


def _rdflib_term(term: NamedNode | BlankNode | Literal | Triple) -> rdflib.term.Identifier:
    """Translate a term keeping its exact lexical form (rdflib would rewrite "2E+2" as "200",
    hiding the malformed decimals shape:decimal-form is there to catch)."""
    if isinstance(term, NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, BlankNode):
        return rdflib.BNode(term.value)
    if isinstance(term, Literal):
        datatype = None if term.language or term.datatype.value == _XSD_STRING else term.datatype
        return rdflib.Literal(
            term.value, lang=term.language, normalize=False,
            datatype=rdflib.URIRef(datatype.value) if datatype else None,
        )  # fmt: skip
    raise TypeError(f"case data holds no RDF-star triples, got {term}")


def _violation(results: rdflib.Graph, node: rdflib.term.Node, data: rdflib.Graph) -> ShapeViolation:
    shape = _named_shape(results.value(node, SH.sourceShape))
    focus = results.value(node, SH.focusNode)
    path = results.value(node, SH.resultPath)
    value = results.value(node, SH.value)
    if not isinstance(path, rdflib.URIRef) and value is not None:
        # A path of alternatives: the predicate that holds the offending value locates it.
        path = next(data.predicates(focus, value), path)
    shapes = shapes_graph()
    message = str(shapes.value(shape, SH.message) or results.value(node, SH.resultMessage))
    if value is not None and value != focus and not isinstance(value, rdflib.BNode):
        message += f" (value: {value})"
    return ShapeViolation(
        rule=RULE_PREFIX + str(shape).removeprefix(SHAPES_BASE),
        focus=str(focus),
        predicate=str(path) if isinstance(path, rdflib.URIRef) else None,
        message=message + ".",
        fix=str(shapes.value(shape, SH.description) or "see kg/curation/shapes.ttl."),
    )  # fmt: skip


def _named_shape(shape: rdflib.term.Node | None) -> rdflib.term.Node | None:
    """Return the named shape a nested, blank source shape belongs to, climbing through lists."""
    graph = shapes_graph()
    for _ in range(_MAX_NESTING):
        if not isinstance(shape, rdflib.BNode):
            return shape
        shape = next(graph.subjects(None, shape), None)
    return shape


def locate(case: CaseFile, focus: str, predicate: str | None) -> Pointer:
    """Return the case file pointer of a focus node IRI and the property the result is about.

    :param case: the case the RDF was converted from.
    :param focus: the focus node's IRI, minted by kg/rdf/convert.py from the fact's id.
    :param predicate: the result path's IRI, if any.
    :returns: the pointer of the closest value in the file (the fact itself when unknown).
    """
    own = CASE_BASE + case.case_id
    name = (predicate or "").removeprefix(KG.base)
    if focus == own:
        return CASE_KEYS.get(name, ())
    if not focus.startswith(own + "/"):
        return ("publication",)
    item = _item_pointer(case, focus[len(own) + 1 :].split("/"))
    if name == "anchor" and item[:2] == ("timeline", "events"):
        event = case.events()[int(item[2])]
        return (*item, next((d for d in ("after", "before", "same") if d in event), "id"))
    if name == "diagnosedAt":
        return (*item, "diagnosed_at" if item[:1] == ("neoplasms",) else "at")
    key = FACT_KEYS.get(name)
    return (*item, key) if key else item


def _item_pointer(case: CaseFile, parts: list[str]) -> Pointer:
    kind, ident = parts[0], parts[1] if len(parts) > 1 else ""
    if kind == "patient":
        return ("patient",)
    if kind == "event":
        return ("timeline", "events", _index(case.events(), ident))
    if kind == "findings":
        return next((p for p, f in case.all_findings() if f["id"] == ident), ("findings",))
    section = "neoplasms" if kind == "neoplasm" else kind
    pointer: Pointer = (section, _index(case.section(section), ident))
    if len(parts) == 4 and parts[2] in ("marker", "dose-change") and parts[3].isdigit():
        nested = "markers" if parts[2] == "marker" else "dose_changes"
        pointer = (*pointer, nested, int(parts[3]) - 1)
    return pointer


def _index(items: list[dict[str, object]], ident: str) -> int:
    return next((i for i, item in enumerate(items) if item.get("id") == ident), 0)


@dataclass(frozen=True)
class ConvertedCase:
    """A case's quads, and the same quads as N-Quads text (what the shapes and the spool read)."""

    quads: list[Quad]
    nquads: bytes


def check_shapes(case: CaseFile, report: Reporter) -> ConvertedCase | None:
    """Convert the case to RDF and check it against the SHACL shapes (runs only on a clean case).

    The converter needs a case the earlier rules accept, and a shape firing after an earlier
    error would only repeat it, so a case with errors is not converted.

    :returns: the converted case (so the build need not convert or serialize again), or None
        when the case had errors before this check.
    """
    if report.has_errors():
        return None
    from kg.rdf.convert import convert_case  # the one place curation looks downstream; see above

    quads = convert_case(case)
    converted = ConvertedCase(quads, serialize(quads, format=RdfFormat.N_QUADS))
    for violation in violations_in(quads, converted.nquads):
        pointer = locate(case, violation.focus, violation.predicate)
        report.error(pointer, violation.rule, violation.message, violation.fix)
    return converted
