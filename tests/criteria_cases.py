"""Generate case files covering every combination of Bohan and Peter criteria met / not met /
undetermined.

Each criterion is set through the same kinds of facts a curator records, and "met" uses HPO
descendants of the criteria's classes on purpose, so the HPO hierarchy has to do the work.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import yaml

STATES = ("met", "not met", "undetermined")
CRITERIA = ("I", "II", "III", "IV", "V")
QUOTE = "synthetic case generated for criteria tests"


def _finding(fid: str, hpo: str, label: str, status: str = "observed") -> dict[str, Any]:
    return {
        "id": fid,
        "hpo": hpo,
        "label": label,
        "status": status,
        "at": "presentation",
        "evidence": QUOTE,
    }


def _facts(criterion: str, state: str, variant: int) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {"findings": [], "labs": [], "investigations": []}
    if criterion == "I" and state == "met":
        term = [
            ("HP:0008997", "Proximal muscle weakness in upper limbs"),
            ("HP:0003701", "Proximal muscle weakness"),
        ][variant % 2]
        out["findings"].append(_finding("weakness", *term))
    elif criterion == "I" and state == "not met":
        out["findings"].append(_finding("no-weakness", "HP:0001324", "Muscle weakness", "excluded"))
    elif criterion == "II":
        if state != "undetermined":
            value, interpretation = (695, "high") if state == "met" else (120, "normal")
            out["labs"].append(
                {
                    "id": "ck",
                    "test": "creatine kinase",
                    "loinc": "2157-6",
                    "value": value,
                    "unit": "U/L",
                    "reference_range": {"low": 25, "high": 200},
                    "interpretation": interpretation,
                    "at": "presentation",
                    "evidence": QUOTE,
                }
            )
    elif criterion in ("III", "IV"):
        kind = "emg" if criterion == "III" else "muscle-biopsy"
        item: dict[str, Any] = {
            "id": kind,
            "type": kind,
            "done": state != "undetermined",
            "at": "presentation",
            "evidence": QUOTE,
        }
        if state == "undetermined":
            item["reason"] = "not done in this synthetic case"
        elif state == "met":
            term = (
                ("HP:0003458", "EMG: myopathic abnormalities")
                if criterion == "III"
                else [
                    ("HP:0100296", "Perifascicular muscle fiber atrophy"),
                    ("HP:0003713", "Muscle fiber necrosis"),
                ][variant % 2]
            )
            item["findings"] = [_finding(f"{kind}-result", *term)]
        out["investigations"].append(item)
    elif criterion == "V" and state == "met":
        term = [("HP:0030845", "Heliotrope rash of eyelid"), ("HP:0025508", "Gottron's papules")][
            variant % 2
        ]
        out["findings"].append(_finding("rash", *term))
    elif criterion == "V" and state == "not met":
        out["findings"] += [
            _finding("no-heliotrope", "HP:0040324", "Heliotrope rash", "excluded"),
            _finding("no-gottron-papules", "HP:0025508", "Gottron's papules", "excluded"),
            _finding("no-gottron-sign", "HP:0430033", "Gottron sign", "excluded"),
        ]
    return out


def combination_case(states: tuple[str, ...], index: int) -> dict[str, Any]:
    """Return one case file's data for a combination of criterion states (I-V)."""
    case: dict[str, Any] = {
        "id": f"criteria-{index:03d}",
        "format_version": 1,
        "publication": {"doi": "10.0000/synthetic", "title": "Synthetic criteria combinations"},
        "report": {"type": "primary"},
        "provenance": {"curator": "test generator", "date": "2026-11-23", "status": "draft"},
        "ontologies": {"hpo": "2025-01-16", "oncotree": "oncotree_2025_10_03"},
        "patient": {"sex": "female", "age": 50, "evidence": QUOTE},
        "timeline": {
            "origin": "presentation",
            "events": [{"id": "presentation", "label": "Presentation", "evidence": QUOTE}],
        },
        "findings": [],
        "labs": [],
        "investigations": [],
    }
    for criterion, state in zip(CRITERIA, states, strict=True):
        for section, items in _facts(criterion, state, index).items():
            case[section] += items
    return {k: v for k, v in case.items() if v != []}


def all_combinations() -> list[tuple[str, ...]]:
    """Every assignment of met / not met / undetermined to criteria I-V (243)."""
    return list(itertools.product(STATES, repeat=len(CRITERIA)))


def write_combination_cases(folder: Path) -> dict[str, tuple[str, ...]]:
    """Write one case file per combination; return case id -> states."""
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for index, states in enumerate(all_combinations()):
        data = combination_case(states, index)
        (folder / f"{data['id']}.yaml").write_text(
            yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8"
        )
        written[data["id"]] = states
    return written


def expected_class(states: dict[str, str]) -> str | None:
    """The Bohan and Peter class by the published rule, straight from criteria.md."""
    muscle = sum(states[c] == "met" for c in ("I", "II", "III", "IV"))
    if states["V"] == "met":
        return {0: None, 1: "possible dermatomyositis", 2: "probable dermatomyositis"}.get(
            muscle, "definite dermatomyositis"
        )
    if states["V"] == "not met":
        return {
            4: "definite polymyositis",
            3: "probable polymyositis",
            2: "possible polymyositis",
        }.get(muscle)
    return None
