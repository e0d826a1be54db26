"""EULAR/ACR 2017 classification criteria for idiopathic inflammatory myopathies: a weighted sum.

OWL cannot add weights, so the score is computed here from the same case facts, and every
variable's contribution is kept so a user can follow the arithmetic. Weights and cut-offs:
Lundberg et al., Ann Rheum Dis 2017;76:1955-1964, doi:10.1136/annrheumdis-2017-211468 (criteria.md
section 2). The probability formula is not implemented: its constants are unverified.
"""

from __future__ import annotations

from dataclasses import dataclass

from kg.rdf.vocab import KG
from kg.reasoning.bohan_peter import IsA
from kg.reasoning.facts import CaseFacts

SOURCE = "doi:10.1136/annrheumdis-2017-211468"
PRESENT, ABSENT, UNDETERMINED = "present", "absent", "undetermined"
# LOINC codes of the enzymes this variable names: CK, LDH, AST, ALT (not aldolase).
SCORED_ENZYME_LOINC = frozenset({"2157-6", "2532-0", "1920-8", "1742-6"})
SCORED_ENZYME_FINDINGS = ("HP:0003236", "HP:0025435", "HP:0031956", "HP:0031964")
SKIN_ITEMS = ("heliotrope", "gottron-papules", "gottron-sign")


@dataclass(frozen=True)
class Variable:
    """One scored variable: weights without and with biopsy, and the HPO terms that show it."""

    key: str
    label: str
    without_biopsy: float | None
    with_biopsy: float
    hpo: tuple[str, ...] = ()
    note: str = ""


VARIABLES = (
    Variable("age-18-40", "Age at onset >=18 and <40 years", 1.3, 1.5),
    Variable("age-40", "Age at onset >=40 years", 2.1, 2.2),
    Variable(
        "proximal-upper",
        "Objective symmetric weakness of the proximal upper extremities",
        0.7,
        0.7,
        ("HP:0008997",),
    ),
    Variable(
        "proximal-lower",
        "Objective symmetric weakness of the proximal lower extremities",
        0.8,
        0.5,
        ("HP:0008994",),
    ),
    Variable(
        "neck-flexors",
        "Neck flexors relatively weaker than neck extensors",
        1.9,
        1.6,
        ("HP:0003722",),
        "read from HPO Neck flexor weakness, which does not state the comparison",
    ),
    Variable(
        "legs-proximal-distal",
        "In the legs, proximal muscles relatively weaker than distal",
        0.9,
        1.2,
        (),
        "no HPO term states this comparison, so it is undetermined unless excluded",
    ),
    Variable("heliotrope", "Heliotrope rash", 3.1, 3.2, ("HP:0040324",)),
    Variable("gottron-papules", "Gottron's papules", 2.1, 2.7, ("HP:0025508",)),
    Variable("gottron-sign", "Gottron's sign", 3.3, 3.7, ("HP:0430033",)),
    Variable("dysphagia", "Dysphagia or oesophageal dysmotility", 0.7, 0.6, ("HP:0002015",)),
    Variable("anti-jo-1", "Anti-Jo-1 (anti-histidyl-tRNA synthetase) antibody positive", 3.9, 3.8),
    Variable(
        "enzymes",
        "Highest serum CK, LDH, AST or ALT above the upper limit of normal",
        1.3,
        1.4,
        SCORED_ENZYME_FINDINGS,
    ),
    Variable(
        "endomysial-infiltrate",
        "Biopsy: endomysial mononuclear infiltrate surrounding, not invading, myofibres",
        None,
        1.7,
        (),
        "no HPO term in the pinned release",
    ),
    Variable(
        "perimysial-infiltrate",
        "Biopsy: perimysial and/or perivascular mononuclear infiltrate",
        None,
        1.2,
        (),
        "no HPO term in the pinned release",
    ),
    Variable(
        "perifascicular-atrophy", "Biopsy: perifascicular atrophy", None, 1.9, ("HP:0100296",)
    ),
    Variable("rimmed-vacuoles", "Biopsy: rimmed vacuoles", None, 3.1, ("HP:0003805",)),
)

# (class, probability band, minimum score without biopsy, minimum score with biopsy), best first.
CLASSES = (
    ("definite IIM", ">=90%", 7.5, 8.7),
    ("probable IIM", "55% to <90%", 5.5, 6.7),
    ("possible IIM", "50% to <55%", 5.3, 6.5),
)


@dataclass(frozen=True)
class Contribution:
    """What one variable added to the score, and why."""

    variable: Variable
    status: str
    weight: float
    reason: str


@dataclass(frozen=True)
class EularScore:
    """The score with or without biopsy, its class, and the subgroup."""

    with_biopsy: bool
    contributions: tuple[Contribution, ...]
    score: float
    iim_class: str
    subgroup: str | None

    def undetermined(self) -> list[str]:
        """Variables that were neither documented nor excluded (could raise the score)."""
        return [c.variable.label for c in self.contributions if c.status == UNDETERMINED]


@dataclass(frozen=True)
class _CaseTerms:
    """A case's observed and excluded HPO terms, sorted once for every variable a score reads
    (rebuilding and sorting them per variable took a quarter of the scoring time)."""

    observed: tuple[str, ...]
    excluded: tuple[str, ...]
    biopsy_results: tuple[str, ...]  # of the biopsies performed, sorted: the first found is named

    @classmethod
    def of(cls, facts: CaseFacts) -> _CaseTerms:
        biopsy = {t for b in facts.muscle_biopsy if b.performed for t in b.results}
        observed, excluded = sorted(facts.observed_terms), sorted(facts.excluded_terms)
        return cls(tuple(observed), tuple(excluded), tuple(sorted(biopsy)))


def _status_from_hpo(case: _CaseTerms, terms: tuple[str, ...], is_a: IsA) -> tuple[str, str]:
    for term in case.observed:
        if any(is_a(term, wanted) for wanted in terms):
            return PRESENT, f"observed {term}"
    covering = [next((e for e in case.excluded if is_a(w, e)), None) for w in terms]
    if terms and all(covering):
        return ABSENT, "excluded " + ", ".join(sorted(set(filter(None, covering))))
    return UNDETERMINED, "not reported"


def _variable_status(
    variable: Variable, facts: CaseFacts, is_a: IsA, case: _CaseTerms
) -> tuple[str, str]:
    if variable.key in ("age-18-40", "age-40"):
        if facts.age is None:
            return UNDETERMINED, "age not reported"
        low, high = (18, 40) if variable.key == "age-18-40" else (40, 200)
        inside = low <= facts.age < high
        return (PRESENT if inside else ABSENT), f"age {facts.age:g} at presentation"
    if variable.key == "anti-jo-1":
        results = {r for cls, r, _ in facts.antibodies if cls == KG.AntiJo1Antibody.value}
        if results & {"positive", "weakly positive"}:
            return PRESENT, "anti-Jo-1 positive"
        return (
            (ABSENT, "anti-Jo-1 negative") if results else (UNDETERMINED, "anti-Jo-1 not reported")
        )
    if variable.key == "enzymes":
        scored = [lab for lab in facts.labs if lab[0] in SCORED_ENZYME_LOINC]
        raised = sorted(lab[2] for lab in scored if lab[1] == "high")
        if raised:
            return PRESENT, "raised " + ", ".join(raised)
        status, reason = _status_from_hpo(case, variable.hpo, is_a)
        if status == PRESENT or not scored:
            return status, reason
        return ABSENT, "normal " + ", ".join(sorted(lab[2] for lab in scored))
    if variable.without_biopsy is None:
        found = [t for t in case.biopsy_results for w in variable.hpo if is_a(t, w)]
        return (
            (PRESENT, f"biopsy showed {found[0]}")
            if found
            else (ABSENT if case.biopsy_results else UNDETERMINED, variable.note or "not reported")
        )
    if not variable.hpo:
        return UNDETERMINED, variable.note
    return _status_from_hpo(case, variable.hpo, is_a)


def score_eular_acr(facts: CaseFacts, is_a: IsA, *, with_biopsy: bool) -> EularScore:
    """Score a case by the EULAR/ACR 2017 table and classify it by the published cut-offs.

    :param facts: the case's criterion-relevant facts.
    :param is_a: reflexive HPO subsumption.
    :param with_biopsy: use the with-biopsy weights and biopsy variables.
    """
    case = _CaseTerms.of(facts)
    contributions = []
    for variable in VARIABLES:
        if variable.without_biopsy is None and not with_biopsy:
            continue
        status, reason = _variable_status(variable, facts, is_a, case)
        weight = variable.with_biopsy if with_biopsy else variable.without_biopsy
        contributions.append(
            Contribution(variable, status, weight if status == PRESENT else 0.0, reason)
        )
    score = round(sum(c.weight for c in contributions), 1)
    present = {c.variable.key for c in contributions if c.status == PRESENT}
    iim_class = _classify(score, with_biopsy, present)
    return EularScore(
        with_biopsy, tuple(contributions), score, iim_class, _subgroup(iim_class, present, facts)
    )


def _classify(score: float, with_biopsy: bool, present: set[str]) -> str:
    biopsy_features = present & {
        "endomysial-infiltrate",
        "perimysial-infiltrate",
        "perifascicular-atrophy",
        "rimmed-vacuoles",
    }
    if not present & set(SKIN_ITEMS) and not biopsy_features:
        # Without any of the three skin items a case needs muscle biopsy features to be IIM.
        return "not IIM (no skin item and no biopsy feature)"
    for name, _band, cut_without, cut_with in CLASSES:
        if score >= (cut_with if with_biopsy else cut_without):
            return name
    return "not IIM"


def _subgroup(iim_class: str, present: set[str], facts: CaseFacts) -> str | None:
    if iim_class not in ("definite IIM", "probable IIM"):
        return None
    skin = bool(present & set(SKIN_ITEMS))
    if facts.age is not None and facts.age < 18:
        return "juvenile dermatomyositis" if skin else "juvenile myositis other than JDM"
    weakness = bool(present & {"proximal-upper", "proximal-lower"})
    if skin:
        return "dermatomyositis" if weakness else "amyopathic dermatomyositis"
    if "rimmed-vacuoles" in present:
        return "inclusion body myositis"
    return "polymyositis (including immune-mediated necrotising myopathy)"
