"""The IRIs the project mints and reuses, as closed namespaces (an unknown term is an
AttributeError).

Every term of ``KG`` is declared, labelled and defined in ``ontology/kg-edit.ttl``; a test checks
it.
"""

from __future__ import annotations

from pyoxigraph import NamedNode

BASE = "https://w3id.org/dmkg/"
ONTOLOGY_IRI = BASE + "ontology"
HPO_IMPORT_IRI = BASE + "ontology/imports/hp_import.owl"
ONCOTREE_COMPONENT_IRI = BASE + "ontology/components/oncotree.owl"


class ClosedNamespace:
    """A namespace whose terms are fixed in advance.

    >>> ns = ClosedNamespace("http://example.org/", ["a"])
    >>> ns.a.value
    'http://example.org/a'
    >>> ns.b
    Traceback (most recent call last):
    ...
    AttributeError: 'b' is not a term of http://example.org/
    """

    def __init__(self, base: str, terms: list[str]) -> None:
        self._base = base
        self._terms = {term: NamedNode(base + term) for term in terms}
        # Each term is also an instance attribute, so ``KG.evidence`` is a plain lookup: the
        # converter reads about a thousand terms per case, and a __getattr__ call for each was
        # a tenth of its time. __getattr__ still answers (and refuses) names that are not terms.
        self.__dict__.update(self._terms)

    def __getattr__(self, name: str) -> NamedNode:
        try:
            return self.__dict__["_terms"][name]
        except KeyError:
            raise AttributeError(f"{name!r} is not a term of {self.__dict__['_base']}") from None

    @property
    def base(self) -> str:
        """The namespace IRI."""
        return self._base

    @property
    def terms(self) -> dict[str, NamedNode]:
        """Every term, keyed by local name."""
        return dict(self._terms)


KG_CLASSES = [
    # case, people, sources
    "Case",
    "Patient",
    "Publication",
    "Claim",
    # neoplasms
    "Neoplasm",
    "Sarcoma",
    "ImmunohistochemistryResult",
    # findings
    "Finding",
    "ObservedFinding",
    "ExcludedFinding",
    # measurements
    "LabResult",
    "AntibodyResult",
    # investigations
    "Investigation",
    "Electromyography",
    "MagneticResonanceImaging",
    "SkinBiopsy",
    "MuscleBiopsy",
    "TumourBiopsy",
    "ComputedTomography",
    "PositronEmissionTomography",
    "Ultrasound",
    "Echocardiography",
    "BloodCulture",
    # treatment and response
    "Treatment",
    "Chemotherapy",
    "Immunosuppression",
    "Surgery",
    "Radiotherapy",
    "TopicalTherapy",
    "AntimicrobialTherapy",
    "DoseChange",
    "Response",
    # diagnoses of the syndrome
    "ReportedDiagnosis",
    "Condition",
    "Dermatomyositis",
    "Polymyositis",
    "ParaneoplasticNeurologicalSyndrome",
    # antibodies (what an antibody test looks for)
    "Autoantibody",
    "MyositisSpecificAutoantibody",
    "MyositisAssociatedAutoantibody",
    "OnconeuralAntibody",
    "AntiTIF1GammaAntibody",
    "AntiNXP2Antibody",
    "AntiMi2Antibody",
    "AntiJo1Antibody",
    "AntiMDA5Antibody",
    "AntiSAEAntibody",
    "AntiSRPAntibody",
    "AntiHMGCRAntibody",
    "AntinuclearAntibody",
    "AntiENAAntibody",
    "AntiDsDNAAntibody",
    "AntiCCPAntibody",
    "AntiHuAntibody",
    "AntiYoAntibody",
    "AntiCV2Antibody",
    "AntiRiAntibody",
    "AntiMa2Antibody",
    "AntiAmphiphysinAntibody",
    # timeline
    "TimelineEvent",
    # criteria (Bohan and Peter as OWL defined classes of cases)
    "BohanPeterCriterion",
    "MuscleEnzymeResult",
    "RaisedLabResult",
    "BP1SymmetricalProximalWeakness",
    "BP2RaisedMuscleEnzymes",
    "BP3MyopathicEMG",
    "BP4AbnormalMuscleBiopsy",
    "BP5TypicalSkinRash",
    "BPDermatomyositisClass",
    "BPPossibleDermatomyositis",
    "BPProbableDermatomyositis",
    "BPDefiniteDermatomyositis",
    "BPPolymyositisPattern",
    "BPPossiblePolymyositisPattern",
    "BPProbablePolymyositisPattern",
    "BPDefinitePolymyositisPattern",
    # what reasoning writes to the inferred graph
    "ReasonerRun",
    "CriterionAssessment",
    "ClassificationResult",
    "EularAcrScore",
    "ScoreContribution",
    "PnsAssessment",
    # consistency axioms
    "InvestigationNotDone",
    "PositiveAntibodyResult",
    "NegativeAntibodyResult",
]

KG_OBJECT_PROPERTIES = [
    "reportedIn",
    "hasPatient",
    "hasNeoplasm",
    "hasFinding",
    "hasLabResult",
    "hasAntibodyResult",
    "hasInvestigation",
    "hasTreatment",
    "hasResponse",
    "hasReportedDiagnosis",
    "hasEvent",
    "hasMarker",
    "hasResultFinding",
    "hasDoseChange",
    "atEvent",
    "ageAt",
    "diagnosedAt",
    "startEvent",
    "endEvent",
    "anchor",
    "responseTo",
    "claimSource",
    "claimCitedIn",  # proposed by the literature-claims task, see docs/claims.md
]

KG_DATA_PROPERTIES = [
    # case and provenance
    "caseId",
    "reportType",
    "sourceReference",
    "curator",
    "curationDate",
    "curationStatus",
    "hpoVersion",
    "oncotreeVersion",
    "evidence",
    "note",
    "sourceFile",
    "sourceChecksum",
    "addedBy",
    "addedAt",
    "bulkLoadStartedAt",
    # publication
    "pmid",
    "doi",
    "title",
    "year",
    "journal",
    "authors",
    # patient
    "sex",
    "ageAtPresentation",
    "ethnicity",
    # neoplasm
    "grade",
    "primarySiteUnknown",
    "primarySiteText",
    "metastaticSiteText",
    "markerName",
    "markerResult",
    # findings
    "severity",
    "bodySiteText",
    # labs
    "testName",
    "loincCode",
    "value",
    "valueText",
    "comparator",
    "unit",
    "referenceLow",
    "referenceHigh",
    "interpretation",
    # antibodies
    "antibodyResult",
    "titre",
    "assay",
    # investigations
    "performed",
    "notDoneReason",
    "resultText",
    "siteText",
    # treatments
    "agentName",
    "lineOfTherapy",
    "cycles",
    "intent",
    "doseText",
    "doseChangePercent",
    "changeReason",
    # responses
    "responseCriteria",
    "responseCategory",
    # diagnoses
    "certainty",
    "criteriaCited",
    "paraneoplastic",
    # timeline
    "eventLabel",
    "offsetDirection",
    "offsetMin",
    "offsetMax",
    "offsetUnit",
    "offsetText",
    "earliestDay",
    "latestDay",
    "sequence",
    "isTimelineOrigin",
    # claims
    "claimText",
    "claimSubject",
    "statistic",
    "statisticValue",
    "intervalLow",
    "intervalHigh",
    # proposed by the literature-claims task, see docs/claims.md
    "intervalKind",
    "claimUnit",
    "claimPopulation",
    "citedAs",
]

KG_INFERENCE_PROPERTIES = [
    "producedBy",
    "assessedCase",
    "hasContribution",  # object properties
    "hasCriterionAssessment",
    "reasonerName",
    "reasonerVersion",
    "runAt",
    "caseCount",
    "reasonedCount",
    "inferredQuadCount",
    "profileCount",
    "criteriaSet",
    "assessmentStatus",
    "assessmentReason",
    "couldChange",
    "withBiopsy",
    "score",
    "iimClass",
    "subgroup",
    "variableLabel",
    "weight",
    "variableStatus",
    "pnsClass",
    "pnsRule",
    "resultsDigest",
    "inputsChecksum",
    "inputsBasis",
    "inputsDigest",  # deprecated: what inputsChecksum and inputsBasis replaced
    "basisDigest",
]

# The per-tumour-type summary of DM cases (kg/tumour_summary.py): annotations of the type classes.
KG_SUMMARY_PROPERTIES = [
    "dmCaseCount",
    "dmSources",
    "dmPositiveAntibodies",
    "summarisedAt",
]

KG_ANNOTATION_PROPERTIES = [
    "phenotype",
    "bodySite",
    "agent",
    "testedFor",
    "condition",
    "oncotreeCode",
    "primarySite",
    "metastaticSite",
    "claimAbout",
    "criterion",
    "supportedClass",
    "reasonerClass",
]

KG = ClosedNamespace(
    BASE + "vocab/",
    KG_CLASSES
    + KG_OBJECT_PROPERTIES
    + KG_DATA_PROPERTIES
    + KG_INFERENCE_PROPERTIES
    + KG_SUMMARY_PROPERTIES
    + KG_ANNOTATION_PROPERTIES,
)

RDF = ClosedNamespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#", ["type"])
RDFS = ClosedNamespace("http://www.w3.org/2000/01/rdf-schema#", ["label", "comment", "subClassOf"])
XSD = ClosedNamespace(
    "http://www.w3.org/2001/XMLSchema#",
    ["string", "integer", "decimal", "boolean", "date", "dateTime", "gYear", "minInclusive"],
)
OBO_BASE = "http://purl.obolibrary.org/obo/"
ONCOTREE_BASE = BASE + "oncotree/"
CASE_BASE = BASE + "case/"
GRAPH_BASE = BASE + "graph/"
# the inferred nodes that cases share: EULAR/ACR contributions and Bohan and Peter criterion
# assessments (kg.reasoning.inferred.shared_nodes)
SHARED_BASE = BASE + "inferred/shared/"
ONTOLOGY_GRAPH = NamedNode(GRAPH_BASE + "ontology")
CLAIMS_GRAPH = NamedNode(GRAPH_BASE + "claims")
INFERRED_GRAPH = NamedNode(GRAPH_BASE + "inferred")
HIERARCHY_GRAPH = NamedNode(GRAPH_BASE + "class-hierarchy")
SUMMARY_GRAPH = NamedNode(GRAPH_BASE + "tumour-dm-summary")
BUILD_GRAPH = NamedNode(GRAPH_BASE + "build")  # holds a marker only while a bulk load runs


def obo_iri(curie: str) -> NamedNode:
    """Return the OBO PURL of a CURIE such as ``HP:0025508``.

    >>> obo_iri("HP:0025508").value
    'http://purl.obolibrary.org/obo/HP_0025508'
    """
    prefix, _, local = curie.partition(":")
    return NamedNode(f"{OBO_BASE}{prefix}_{local}")


def oncotree_iri(code: str) -> NamedNode:
    """Return the class IRI of an OncoTree code.

    >>> oncotree_iri("LMS").value
    'https://w3id.org/dmkg/oncotree/LMS'
    """
    return NamedNode(ONCOTREE_BASE + code)


def case_graph(case_id: str) -> NamedNode:
    """Return the named graph that holds one case.

    >>> case_graph("merry-2020").value
    'https://w3id.org/dmkg/case/merry-2020'
    """
    return NamedNode(CASE_BASE + case_id)


def case_node(case_id: str, *path: str) -> NamedNode:
    """Mint a deterministic IRI for a node inside a case (no blank nodes in generated data).

    >>> case_node("merry-2020", "finding", "f1").value
    'https://w3id.org/dmkg/case/merry-2020/finding/f1'
    """
    return NamedNode("/".join([CASE_BASE + case_id, *path]))
