"""A seeded generator of synthetic case files with the shape of the curated ones.

Benchmarks need thousands of cases that look like real ones to the whole pipeline: the same
sections, the same controlled values, real OncoTree codes and HPO terms with their exact labels,
labs with LOINC codes, UCUM units and reference ranges, timelines of anchored events with vague
offsets. Every generated file validates (``kg.curation.validate.validate_file``) and is consistent
for the reasoner. Evidence quotes are synthetic strings and say so.

Each case is drawn from its own ``random.Random(f"{seed}-{index}")``, so a corpus is the same
whatever the number of worker processes, and case ``n`` of a 1,000-case corpus is case ``n`` of the
100,000-case one. The generator also returns what it put in (tumour codes, criteria met, antibody
results), so tests can check query answers against it.

The module is longer than the project's 400-line aim on purpose: one builder per section of the
case file format, kept together so the shape of a whole case reads from top to bottom. The pools
it draws from are in :mod:`benchmarks.pools`, the YAML writer in :mod:`benchmarks.yaml_out`.

Example::

    python -m benchmarks.generate /tmp/cases 1000 --seed 7
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from benchmarks.pools import (
    BIOPSY_FINDINGS,
    CARCINOMA_TISSUES,
    CHEMOTHERAPY,
    EARLY_RASH,
    ENZYME_FINDINGS,
    ETHNICITIES,
    EVENT_LABELS,
    EXCLUDABLE,
    IMMUNOSUPPRESSION,
    JOURNALS,
    LABS,
    MARKERS,
    METASTATIC_SITES,
    MRI_MYOSITIS,
    MUSCLE_ENZYMES,
    MYOPATHIC_EMG,
    MYOSITIS_ANTIBODIES,
    ONCONEURAL,
    OTHER_ANTIBODIES,
    OTHER_SKIN,
    PRESENTING,
    SURNAMES,
    SYSTEMIC,
    TYPICAL_RASH,
    WEAKNESS,
)
from benchmarks.yaml_out import to_yaml
from kg.reasoning.bohan_peter import DM_CLASSES, PM_CLASSES
from kg.terminology.hpo import Hpo, load_hpo
from kg.terminology.oncotree import OncoTreeNode, load_oncotree

SUMMARY_FILE = "corpus-summary.json"
CASE_PREFIX = "syn"


@dataclass(frozen=True)
class Vocabulary:
    """The real codes a generated case draws from, with their labels in the pinned releases."""

    hpo_release: str
    oncotree_release: str
    labels: dict[str, str]
    is_a: dict[str, frozenset[str]]  # HPO term -> itself and its ancestors
    tumours: tuple[OncoTreeNode, ...]
    weights: tuple[float, ...]


@dataclass
class CaseSummary:
    """What one generated case holds, so tests can check query answers against it."""

    case_id: str
    tumours: list[str]
    reports_dm: bool
    criteria: dict[str, bool]
    positive_antibodies: list[str]
    quads_hint: int = 0

    @property
    def bohan_peter(self) -> str | None:
        """The Bohan and Peter class the generated facts support (closed world: met or not)."""
        muscle = sum(self.criteria[c] for c in ("I", "II", "III", "IV"))
        if self.criteria["V"]:
            return DM_CLASSES.get(min(muscle, 3))
        return PM_CLASSES.get(muscle)


@dataclass
class CorpusSummary:
    """What a generated corpus holds, in aggregate."""

    seed: int
    cases: int
    dm_cases: int = 0
    dm_cases_by_tumour: Counter[str] = field(default_factory=Counter)
    cases_by_tumour: Counter[str] = field(default_factory=Counter)
    criteria_met: Counter[str] = field(default_factory=Counter)
    bohan_peter: Counter[str] = field(default_factory=Counter)
    bytes: int = 0

    def add(self, case: CaseSummary, size: int) -> None:
        """Count one case in."""
        self.bytes += size
        self.dm_cases += case.reports_dm
        for code in set(case.tumours):
            self.cases_by_tumour[code] += 1
            self.dm_cases_by_tumour[code] += case.reports_dm
        for criterion, met in case.criteria.items():
            self.criteria_met[criterion] += met
        self.bohan_peter[case.bohan_peter or "none"] += 1

    def to_json(self) -> str:
        """Return the summary as JSON."""
        data = {
            name: dict(value) if isinstance(value, Counter) else value
            for name, value in vars(self).items()
        }
        return json.dumps(data, indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> CorpusSummary:
        """Read a summary written by :meth:`to_json`."""
        data = json.loads(text)
        counters = ("dm_cases_by_tumour", "cases_by_tumour", "criteria_met", "bohan_peter")
        for name in counters:
            data[name] = Counter(data[name])
        return cls(**data)


@cache
def load_vocabulary() -> Vocabulary:
    """Read the pinned HPO and OncoTree releases into the pools the generator draws from.

    :returns: labels and ancestors of every pooled HPO term, and weighted tumour types.
    :raises ValueError: when a pooled HPO term is unknown or obsolete in the pinned release.
    """
    hpo, tree = load_hpo(), load_oncotree()
    pooled = {
        *WEAKNESS,
        *TYPICAL_RASH,
        *ENZYME_FINDINGS,
        MYOPATHIC_EMG,
        *BIOPSY_FINDINGS,
        *OTHER_SKIN,
        *SYSTEMIC,
        *EARLY_RASH,
        *PRESENTING,
        *EXCLUDABLE,
        MRI_MYOSITIS,
    }
    labels = {term: _live_label(hpo, term) for term in sorted(pooled)}
    is_a = {term: frozenset({term, *hpo.ancestors(term)}) for term in labels}
    # Below the tissue level, and only codes the case file format accepts (it refuses e.g. MDS/MPN).
    tumours = tuple(n for n in tree if n.level >= 2 and re.fullmatch(r"[A-Z0-9_]+", n.code))
    return Vocabulary(
        hpo.release, tree.release, labels, is_a, tumours, tuple(_tumour_weight(n) for n in tumours)
    )


def _live_label(hpo: Hpo, term: str) -> str:
    found = hpo.get(term)
    if found is None or found.is_obsolete:
        raise ValueError(f"{term} is not a live term of HPO {hpo.release}; fix the generator pool")
    return found.name


def _tumour_weight(node: OncoTreeNode) -> float:
    """Weight tumour types towards sarcomas, then the carcinomas most reported with DM."""
    if node.tissue in ("Soft Tissue", "Bone") or "sarcoma" in node.name.lower():
        return 8.0
    if node.tissue in CARCINOMA_TISSUES:
        return 2.0
    return 0.3


def case_id(index: int) -> str:
    """Return the id of generated case number ``index``.

    >>> case_id(42)
    'syn-0000042'
    """
    return f"{CASE_PREFIX}-{index:07d}"


class _Case:
    """Builds one case's data, drawing from its own random stream."""

    def __init__(self, index: int, seed: int, vocab: Vocabulary) -> None:
        self.rng = random.Random(f"{seed}-{index}")  # noqa: S311 - synthetic data, not secrets
        self.vocab = vocab
        self.id = case_id(index)
        self.events: list[dict[str, Any]] = []
        self.findings: list[dict[str, Any]] = []
        self.criteria = dict.fromkeys(("I", "II", "III", "IV", "V"), False)
        self.observed_at: dict[str, set[str]] = {}

    def quote(self, text: str) -> str:
        return f"[synthetic] {text} ({self.id})"

    def event(self, ident: str, anchor: tuple[str, str] | None, offset: str | None) -> str:
        label = EVENT_LABELS[ident]
        event: dict[str, Any] = {"id": ident, "label": label}
        if anchor:
            event[anchor[0]] = anchor[1]
        if offset and anchor and anchor[0] != "same":
            event["offset"] = offset
        event["evidence"] = self.quote(f"{label}, {offset or 'time not stated'}")
        self.events.append(event)
        return ident

    def finding(self, term: str, at: str, *, excluded: bool = False, **extra: Any) -> None:
        entry: dict[str, Any] = {
            "id": f"f{len(self.findings) + 1}",
            "hpo": term,
            "label": self.vocab.labels[term],
        }
        if excluded:
            entry["status"] = "excluded"
        else:
            self.observed_at.setdefault(at, set()).add(term)
        entry.update(extra)
        entry["at"] = at
        entry["evidence"] = self.quote(f"{'no ' if excluded else ''}{self.vocab.labels[term]}")
        self.findings.append(entry)

    def exclude(self, term: str, at: str) -> bool:
        """Exclude a term at an event unless it covers (or is) a finding observed there."""
        observed = self.observed_at.get(at, set())
        if any(term in self.vocab.is_a[o] for o in observed):
            return False
        if any(f["hpo"] == term and f["at"] == at for f in self.findings):
            return False
        self.finding(term, at, excluded=True)
        return True

    def offset(self, unit: str, low: int, high: int) -> str:
        roll = self.rng.random()
        if roll < 0.15:
            return self.rng.choice(("a few", "several", "a couple of")) + f" {unit}s"
        if roll < 0.3:
            first = self.rng.randint(low, max(low, high - 1))
            return f"{first}-{first + self.rng.randint(1, 3)} {unit}s"
        amount = self.rng.randint(low, high)
        return f"{amount} {unit}{'s' if amount != 1 else ''}"


def generate_case(
    index: int, seed: int, vocab: Vocabulary | None = None
) -> tuple[dict[str, Any], CaseSummary]:
    """Generate one case file's data and a summary of what it holds.

    :param index: the case number (it names the case: ``syn-0000042``).
    :param seed: the corpus seed; the case is a pure function of (seed, index).
    :param vocab: the code pools (read from the pinned releases when not given).
    :returns: the data to write as YAML, and its summary.
    """
    vocab = vocab or load_vocabulary()
    case = _Case(index, seed, vocab)
    rng = case.rng
    timeline = _timeline(case)
    tumours = _neoplasms(case)
    _findings(case, timeline)
    labs = _labs(case)
    antibodies, positive = _antibodies(case)
    investigations = _investigations(case)
    treatments = _treatments(case)
    reports_dm = rng.random() < 0.93
    data: dict[str, Any] = {
        "id": case.id,
        "format_version": 1,
        "publication": _publication(case, index),
        "report": {"type": "primary"},
        "provenance": {
            "curator": "benchmark generator",
            "date": "2026-01-15",
            "status": rng.choice(("draft", "curated", "reviewed")),
        },
        "ontologies": {"hpo": vocab.hpo_release, "oncotree": vocab.oncotree_release},
        "patient": _patient(case),
        "neoplasms": tumours,
        "timeline": {"origin": "tumour-diagnosis", "events": case.events},
        "findings": case.findings,
        "labs": labs,
        "antibodies": antibodies,
        "investigations": investigations,
        "treatments": treatments,
        "responses": _responses(case),
        "diagnoses": _diagnoses(case, reports_dm),
    }
    if rng.random() < 0.08:
        data["report"] = {
            "type": "secondary",
            "primary_reference": f"reference [{rng.randint(1, 40)}]",
        }
    summary = CaseSummary(
        case.id, [t["oncotree"] for t in tumours], reports_dm, case.criteria, positive
    )
    return data, summary


def _publication(case: _Case, index: int) -> dict[str, Any]:
    rng = case.rng
    authors = [
        f"{rng.choice(SURNAMES)} {rng.choice('ABCDEFGHJKLMNPRST')}"
        for _ in range(rng.randint(2, 8))
    ]
    publication: dict[str, Any] = {
        "pmid": str(20_000_000 + index),
        "doi": f"10.9999/synthetic.{index}",
        "title": f"Paraneoplastic dermatomyositis: a synthetic case report number {index}",
        "journal": rng.choice(JOURNALS),
        "year": rng.randint(1985, 2025),
        "authors": authors,
    }
    if rng.random() < 0.1:
        del publication["pmid"]
    return publication


def _patient(case: _Case) -> dict[str, Any]:
    rng = case.rng
    patient: dict[str, Any] = {"sex": rng.choices(("female", "male", "unknown"), (60, 38, 2))[0]}
    if rng.random() < 0.97:
        patient["age"] = rng.randint(18, 88)
        patient["age_at"] = "presentation"
    if rng.random() < 0.5:
        patient["ethnicity"] = rng.choice(ETHNICITIES)
    patient["evidence"] = case.quote(
        f"a {patient.get('age', 'adult')}-year-old {patient['sex']} patient"
    )
    return patient


def _timeline(case: _Case) -> dict[str, str]:
    """Place 12-20 events around the cancer diagnosis (the origin); return the named ones."""
    rng, ev, off = case.rng, case.event, case.offset
    names: dict[str, str] = {}
    names["presentation"] = ev("presentation", ("before", "tumour-diagnosis"), off("week", 1, 8))
    ev("symptom-onset", ("before", "presentation"), off("month", 1, 6))
    names["tumour"] = ev("tumour-diagnosis", None, None)
    ev("staging", ("same", "tumour-diagnosis"), None)
    pattern = rng.choices(("before", "same", "after"), (30, 25, 45))[0]
    if pattern == "same":
        dm_offset = off("week", 1, 3)
        pattern = "after"
    else:
        unit = rng.choice(("month", "year")) if pattern == "before" else "month"
        dm_offset = off(unit, 1, 3 if unit == "year" else 30)
    names["dm-presentation"] = ev("dm-presentation", (pattern, "tumour-diagnosis"), dm_offset)
    ev("rash-onset", ("before", "dm-presentation"), off("week", 1, 10))
    dm_offset = off("day", 2, 20) if rng.random() < 0.7 else None
    names["dm"] = ev("dm-diagnosis", ("after", "dm-presentation"), dm_offset)
    names["surgery"] = ev("surgery", ("after", "tumour-diagnosis"), off("week", 1, 6))
    names["chemo-start"] = ev("chemotherapy-start", ("after", "surgery"), off("week", 2, 8))
    names["dose"] = ev("dose-reduction", ("after", "chemotherapy-start"), off("week", 1, 6))
    names["chemo-end"] = ev("chemotherapy-end", ("after", "chemotherapy-start"), off("month", 3, 6))
    names["response"] = ev("response-assessment", ("same", "chemotherapy-end"), None)
    names["steroids"] = ev("steroid-start", ("after", "dm-diagnosis"), off("day", 1, 10))
    ev("dm-improvement", ("after", "steroid-start"), off("week", 2, 12))
    extra = rng.randint(0, 6)
    optional = [  # every offset is drawn, used or not, so later draws do not depend on `extra`
        ("progression", ("after", "chemotherapy-end"), off("month", 1, 12)),
        ("second-line-start", ("after", "progression"), off("week", 1, 6)),
        ("dm-flare", ("before", "progression"), off("week", 1, 4)),
        ("radiotherapy", ("after", "surgery"), off("week", 3, 10)),
        ("admission", ("after", "dm-presentation"), off("day", 1, 14)),
        ("last-follow-up", ("after", "dm-improvement"), off("month", 2, 24)),
    ]
    for ident, anchor, offset in optional[:extra]:
        names[ident] = ev(ident, anchor, offset)
    return names


def _neoplasms(case: _Case) -> list[dict[str, Any]]:
    rng, vocab = case.rng, case.vocab
    count = 1 if rng.random() < 0.92 else 2
    nodes = []
    while len(nodes) < count:
        node = rng.choices(vocab.tumours, vocab.weights)[0]
        if node not in nodes:
            nodes.append(node)
    out = []
    for number, node in enumerate(nodes, start=1):
        tumour: dict[str, Any] = {
            "id": f"tumour-{number}",
            "oncotree": node.code,
            "label": node.name,
        }
        tumour["grade"] = rng.choice(("1", "2", "3", "high", "low"))
        tumour["primary_site"] = (
            "unknown" if rng.random() < 0.1 else (node.tissue or "not stated").lower()
        )
        sites = rng.sample(METASTATIC_SITES, rng.randint(0, 5))
        if sites:
            tumour["metastatic_sites"] = [
                {"text": t, **({"uberon": u} if u else {})} for t, u in sites
            ]
        markers = rng.sample(MARKERS, rng.randint(0, 4))
        if markers:
            tumour["markers"] = [
                {"marker": m, "result": rng.choice(("positive", "negative", "focal"))}
                for m in markers
            ]
        tumour["diagnosed_at"] = "tumour-diagnosis"
        tumour["evidence"] = case.quote(f"histology showed {node.name.lower()}")
        out.append(tumour)
    return out


def _findings(case: _Case, names: dict[str, str]) -> None:
    rng, dm = case.rng, names["dm-presentation"]
    for term in rng.sample(PRESENTING, rng.randint(1, 2)):
        case.finding(
            term, names["presentation"], site="as reported" if rng.random() < 0.3 else None
        )
    if rng.random() < 0.3:
        case.finding(rng.choice(EARLY_RASH), "rash-onset", severity="mild")
    if rng.random() < 0.82:
        for term in rng.sample(WEAKNESS, rng.randint(1, 3)):
            case.finding(term, dm, severity=rng.choice(("3/5", "4/5", "3-4/5", "mild")))
        case.criteria["I"] = True
    if rng.random() < 0.85:
        for term in rng.sample(TYPICAL_RASH, rng.randint(1, 3)):
            case.finding(term, dm, site=rng.choice(("eyelids", "hands", "knuckles", "face")))
        case.criteria["V"] = True
    if rng.random() < 0.1:
        case.finding(rng.choice(ENZYME_FINDINGS), dm)
        case.criteria["II"] = True
    for term in rng.sample(OTHER_SKIN, rng.randint(1, 5)):
        if term not in case.observed_at.get(dm, set()):
            case.finding(term, dm)
    for term in rng.sample(SYSTEMIC, rng.randint(1, 4)):
        case.finding(term, dm)
    for term in rng.sample(EXCLUDABLE, rng.randint(2, 6)):
        case.exclude(term, dm)
    if rng.random() < 0.4:
        case.exclude(rng.choice(("HP:0001324", "HP:0003326")), "chemotherapy-start")
    for finding in case.findings:
        if finding.get("site") is None:
            finding.pop("site", None)


def _labs(case: _Case) -> list[dict[str, Any]]:
    rng = case.rng
    out: list[dict[str, Any]] = []
    raised_any = False
    for test, loinc, unit, (low, high), normal, raised, digits in LABS:
        if test != "creatine kinase" and rng.random() < 0.4:
            continue
        is_high = rng.random() < (0.8 if loinc in MUSCLE_ENZYMES else 0.5)
        span = raised if is_high else normal
        value = round(rng.uniform(*span), digits)
        value = int(value) if digits == 0 else value
        lab: dict[str, Any] = {
            "id": f"lab-{loinc}",
            "test": test,
            "loinc": loinc,
            "value": value,
            "unit": unit,
        }
        if rng.random() < 0.9:
            lab["reference_range"] = {"low": low, "high": high}
            lab["interpretation"] = "high" if is_high else "normal"
        elif rng.random() < 0.5:
            lab["interpretation"] = "high" if is_high else "normal"
        lab["at"] = "dm-diagnosis"
        lab["evidence"] = case.quote(f"{test} {value} {unit}")
        raised_any |= loinc in MUSCLE_ENZYMES and lab.get("interpretation") == "high"
        out.append(lab)
    out.append(
        {
            "id": "renal-function",
            "test": "renal function",
            "interpretation": "normal",
            "at": "dm-diagnosis",
            "evidence": case.quote("unremarkable renal function"),
        }
    )
    if rng.random() < 0.3:
        out.append(
            {
                "id": "ferritin",
                "test": "ferritin",
                "reported": "raised, units not given",
                "at": "dm-diagnosis",
                "evidence": case.quote("ferritin was raised"),
            }
        )
    case.criteria["II"] |= raised_any
    return out


def _antibodies(case: _Case) -> tuple[list[dict[str, Any]], list[str]]:
    rng = case.rng
    out, positive = [], []
    tested = rng.sample(MYOSITIS_ANTIBODIES, rng.randint(2, 6)) + rng.sample(
        OTHER_ANTIBODIES, rng.randint(0, 3)
    )
    if rng.random() < 0.05:
        tested.append(rng.choice(ONCONEURAL))
    myositis_positive = rng.random() < 0.75
    specific = rng.choices(
        ("TIF1-gamma", "NXP2", "Mi-2", "MDA5", "SAE", "Jo-1"), (60, 15, 8, 7, 6, 4)
    )[0]
    if myositis_positive and specific not in tested:
        tested.append(specific)
    for name in tested:
        result = (
            "positive"
            if myositis_positive and name == specific
            else rng.choices(("negative", "weakly positive", "positive"), (88, 8, 4))[0]
        )
        entry: dict[str, Any] = {"id": f"ab-{name.lower()}", "antibody": name, "result": result}
        if rng.random() < 0.6:
            entry["assay"] = rng.choice(
                ("myositis line blot", "immunoblot", "ELISA", "autoantibody screen")
            )
        entry["at"] = "dm-diagnosis"
        entry["evidence"] = case.quote(f"anti-{name} {result}")
        out.append(entry)
        if result != "negative":
            positive.append(name)
    if rng.random() < 0.7:
        result = rng.choice(("positive", "weakly positive", "negative"))
        ana: dict[str, Any] = {"id": "ab-ana", "antibody": "ANA", "result": result}
        if result != "negative":
            ana["titre"] = rng.choice(("1:80", "1:160", "1:320", "1:640"))
            positive.append("ANA")
        ana.update(at="dm-diagnosis", evidence=case.quote(f"ANA {result}"))
        out.append(ana)
    return out, sorted(positive)


def _investigation(case: _Case, ident: str, kind: str, done: bool, **extra: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": ident, "type": kind, "done": done}
    entry.update({k: v for k, v in extra.items() if v is not None})
    entry.setdefault("at", "dm-diagnosis")
    entry["evidence"] = case.quote(f"{kind} {'performed' if done else 'not performed'}")
    return entry


def _result_finding(case: _Case, ident: str, term: str) -> dict[str, Any]:
    label = case.vocab.labels[term]
    return {"id": ident, "hpo": term, "label": label, "evidence": case.quote(label)}


def _investigations(case: _Case) -> list[dict[str, Any]]:
    rng = case.rng
    out = [
        _investigation(
            case,
            "tumour-biopsy",
            "tumour-biopsy",
            True,
            site="tumour",
            result="diagnostic of the tumour",
            at="tumour-diagnosis",
        ),
        _investigation(case, "staging-ct", "ct", True, result="staging", at="staging"),
    ]
    emg = rng.random()
    if emg < 0.6:
        myopathic = rng.random() < 0.85
        findings = [_result_finding(case, "emg-myopathic", MYOPATHIC_EMG)] if myopathic else None
        out.append(
            _investigation(
                case,
                "emg",
                "emg",
                True,
                site="proximal muscles",
                result="myopathic" if myopathic else "normal",
                findings=findings,
            )
        )
        case.criteria["III"] = myopathic
    elif emg < 0.8:
        out.append(
            _investigation(
                case,
                "emg",
                "emg",
                False,
                reason=rng.choice(("not stated", "patient declined", "clinically not needed")),
            )
        )
    biopsy = rng.random()
    if biopsy < 0.35:
        terms = rng.sample(BIOPSY_FINDINGS, rng.randint(0, 2)) if rng.random() < 0.9 else []
        findings = [_result_finding(case, f"biopsy-{i}", t) for i, t in enumerate(terms)] or None
        out.append(
            _investigation(
                case,
                "muscle-biopsy",
                "muscle-biopsy",
                True,
                site="quadriceps",
                result="as reported",
                findings=findings,
            )
        )
        case.criteria["IV"] = bool(terms)
    elif biopsy < 0.75:
        out.append(
            _investigation(
                case,
                "muscle-biopsy",
                "muscle-biopsy",
                False,
                reason=rng.choice(
                    ("risk of tumour seeding", "not stated", "diagnosis already clear")
                ),
            )
        )
    if rng.random() < 0.5:
        findings = (
            [_result_finding(case, "mri-myositis", MRI_MYOSITIS)] if rng.random() < 0.7 else None
        )
        out.append(
            _investigation(
                case,
                "mri",
                "mri",
                True,
                site="thighs",
                result="muscle oedema" if findings else "normal",
                findings=findings,
            )
        )
    if rng.random() < 0.5:
        out.append(
            _investigation(
                case,
                "skin-biopsy",
                "skin-biopsy",
                True,
                site="chest",
                result="consistent with dermatomyositis",
            )
        )
    elif rng.random() < 0.3:
        out.append(_investigation(case, "skin-biopsy", "skin-biopsy", False, reason="not stated"))
    if rng.random() < 0.3:
        out.append(
            _investigation(
                case, "echocardiogram", "echocardiogram", True, result="normal cardiac function"
            )
        )
    return out


def _treatments(case: _Case) -> list[dict[str, Any]]:
    rng, have = case.rng, {e["id"] for e in case.events}
    out: list[dict[str, Any]] = [
        {
            "id": "resection",
            "type": "surgery",
            "agent": "resection of the tumour",
            "start": "surgery",
            "evidence": case.quote("resection"),
        }
    ]
    chemo: dict[str, Any] = {
        "id": "first-line",
        "type": "chemotherapy",
        "agent": rng.choice(CHEMOTHERAPY),
        "line": 1,
        "intent": rng.choice(("palliative", "curative")),
        "cycles": rng.randint(2, 8),
    }
    if rng.random() < 0.4:
        chemo["dose_changes"] = [
            {
                "percent": -rng.choice((10, 20, 25, 30)),
                "reason": rng.choice(("febrile neutropenia", "mucositis", "fatigue")),
                "at": "dose-reduction",
                "evidence": case.quote("dose reduced"),
            }
        ]
    chemo.update(
        start="chemotherapy-start",
        end="chemotherapy-end",
        evidence=case.quote("first-line chemotherapy"),
    )
    out.append(chemo)
    for number, agent in enumerate(rng.sample(IMMUNOSUPPRESSION, rng.randint(1, 3)), start=1):
        entry: dict[str, Any] = {
            "id": f"immuno-{number}",
            "type": "immunosuppression",
            "agent": agent,
        }
        if agent.endswith("prednisolone"):
            entry["dose"] = f"{rng.choice((30, 40, 60, 1000))} mg daily, weaning"
        entry.update(start="steroid-start", evidence=case.quote(agent))
        out.append(entry)
    if rng.random() < 0.4:
        out.append(
            {
                "id": "topical",
                "type": "topical",
                "agent": "clobetasol 0.05%",
                "start": "steroid-start",
                "evidence": case.quote("topical steroid"),
            }
        )
    if "radiotherapy" in have:
        out.append(
            {
                "id": "radiotherapy",
                "type": "radiotherapy",
                "agent": "radiotherapy",
                "start": "radiotherapy",
                "evidence": case.quote("radiotherapy"),
            }
        )
    if "second-line-start" in have:
        out.append(
            {
                "id": "second-line",
                "type": "chemotherapy",
                "agent": rng.choice(CHEMOTHERAPY),
                "line": 2,
                "intent": "palliative",
                "start": "second-line-start",
                "evidence": case.quote("second-line chemotherapy"),
            }
        )
    return out


def _responses(case: _Case) -> list[dict[str, Any]]:
    rng = case.rng
    out = [
        {
            "id": "first-line-response",
            "treatment": "first-line",
            "criteria": "RECIST 1.1",
            "category": rng.choice(("CR", "PR", "SD", "PD")),
            "at": "response-assessment",
            "evidence": case.quote("response by RECIST 1.1"),
        }
    ]
    if any(e["id"] == "progression" for e in case.events):
        out.append(
            {
                "id": "progression",
                "treatment": "first-line",
                "criteria": "as reported",
                "category": "progression",
                "at": "progression",
                "evidence": case.quote("progression"),
            }
        )
    return out


def _diagnoses(case: _Case, reports_dm: bool) -> list[dict[str, Any]]:
    rng = case.rng
    out: list[dict[str, Any]] = []
    if reports_dm:
        out.append(
            {
                "id": "dermatomyositis",
                "condition": "dermatomyositis",
                "certainty": rng.choices(
                    ("definite", "probable", "possible", "reported"), (50, 25, 10, 15)
                )[0],
                "paraneoplastic": True,
                "criteria": [rng.choice(("Bohan and Peter 1975", "EULAR/ACR 2017", "clinical"))],
                "at": "dm-diagnosis",
                "evidence": case.quote("paraneoplastic dermatomyositis"),
            }
        )
    else:
        out.append(
            {
                "id": "polymyositis",
                "condition": "polymyositis",
                "certainty": "probable",
                "paraneoplastic": True,
                "at": "dm-diagnosis",
                "evidence": case.quote("paraneoplastic polymyositis"),
            }
        )
    if rng.random() < 0.2:
        out.append(
            {
                "id": "pns",
                "condition": "paraneoplastic-neurological-syndrome",
                "certainty": "definite",
                "paraneoplastic": True,
                "criteria": ["PNS Euronetwork 2004"],
                "at": "dm-diagnosis",
                "evidence": case.quote("meets PNS criteria"),
            }
        )
    return out


def write_case(directory: Path, index: int, seed: int) -> tuple[CaseSummary, int]:
    """Generate case ``index`` and write it as ``<id>.yaml``; return its summary and byte size."""
    data, summary = generate_case(index, seed)
    text = (
        f"# Synthetic case written by benchmarks/generate.py (seed {seed}); quotes are synthetic.\n"
        + to_yaml(data)
    )
    (directory / f"{summary.case_id}.yaml").write_text(text, encoding="utf-8")
    return summary, len(text.encode("utf-8"))


def _write_range(task: tuple[Path, int, int, int]) -> list[tuple[CaseSummary, int]]:
    directory, start, stop, seed = task
    return [write_case(directory, index, seed) for index in range(start, stop)]


def _chunks(count: int, size: int) -> Iterator[tuple[int, int]]:
    for start in range(0, count, size):
        yield start, min(count, start + size)


def generate_corpus(
    directory: Path, count: int, *, seed: int = 1, workers: int = 2
) -> CorpusSummary:
    """Write ``count`` case files into a folder (created if needed) and a summary beside them.

    :param directory: where the ``syn-*.yaml`` files go (files of the same names are replaced).
    :param count: how many cases.
    :param seed: the corpus seed.
    :param workers: processes to write with (the corpus does not depend on it).
    :returns: what the corpus holds; also written to ``corpus-summary.json`` in the folder.
    """
    directory.mkdir(parents=True, exist_ok=True)
    load_vocabulary()
    summary = CorpusSummary(seed=seed, cases=count)
    tasks = [(directory, start, stop, seed) for start, stop in _chunks(count, 500)]
    results: Iterable[list[tuple[CaseSummary, int]]]
    if workers > 1 and count > 500:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            results = pool.map(_write_range, tasks)
    else:
        results = map(_write_range, tasks)
    for chunk in results:
        for case, size in chunk:
            summary.add(case, size)
    (directory / SUMMARY_FILE).write_text(summary.to_json(), encoding="utf-8")
    return summary


def main(argv: list[str] | None = None) -> None:
    """Command line: ``python -m benchmarks.generate DIRECTORY COUNT [--seed N]``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("count", type=int)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    summary = generate_corpus(args.directory, args.count, seed=args.seed, workers=args.workers)
    print(f"wrote {summary.cases} cases ({summary.bytes / 1e6:.1f} MB) to {args.directory}")


if __name__ == "__main__":
    main()
