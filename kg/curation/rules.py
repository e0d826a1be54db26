"""The rules of meaning: what a schema-valid case file must also satisfy to enter the graph.

Each rule is a function ``check_x(case, report)`` that records every problem it finds and never
raises, so one run of ``kg validate`` reports them all. The rule ids are listed, with their fixes,
in docs/curation.md; tests/data/cases/invalid/ holds one file per rule that must trigger it.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from kg.curation import controlled
from kg.curation.case_file import FACT_SECTIONS, CaseFile
from kg.curation.reporter import Reporter
from kg.curation.source import Pointer
from kg.curation.units import check_ucum_unit
from kg.terminology import hpo as hpo_terms
from kg.terminology import oncotree

# A curation date may be a day ahead of the machine's clock (time zones), never more.
_CLOCK_TOLERANCE = timedelta(days=1)


def check_id_matches_file(case: CaseFile, report: Reporter) -> None:
    """The case id equals the file stem, so a case is found by its name."""
    if case.case_id != case.path.stem:
        report.error(
            ("id",), "id-file-mismatch",
            f"the id `{case.case_id}` differs from the file name `{case.path.name}`.",
            f"rename the file to `{case.case_id}.yaml` or set `id: {case.path.stem}`.",
        )  # fmt: skip


def check_unique_ids(case: CaseFile, report: Reporter) -> None:
    """Fact ids are unique within their kind, because IRIs are minted from them."""
    groups: dict[str, list[tuple[Pointer, str]]] = {"events": []}
    for index, event in enumerate(case.events()):
        groups["events"].append((("timeline", "events", index, "id"), event["id"]))
    for section in FACT_SECTIONS:
        for index, fact in enumerate(case.section(section)):
            groups.setdefault(section, []).append(((section, index, "id"), fact["id"]))
    groups["findings"] = [((*pointer, "id"), fact["id"]) for pointer, fact in case.all_findings()]
    for kind, entries in groups.items():
        seen: set[str] = set()
        for pointer, identifier in entries:
            if identifier in seen:
                report.error(
                    pointer, "duplicate-id", f"the {kind} id `{identifier}` is used twice.",
                    "give each fact its own id.",
                )  # fmt: skip
            seen.add(identifier)


def check_dates(case: CaseFile, report: Reporter) -> None:
    """The curation date is a real calendar date, and not in the future."""
    text = case.data["provenance"]["date"]
    pointer: Pointer = ("provenance", "date")
    try:
        when = date.fromisoformat(text)
    except ValueError:
        report.error(
            pointer, "invalid-date", f"`{text}` is not a calendar date.",
            "write the date you curated the case as YYYY-MM-DD, e.g. 2026-11-23.",
        )  # fmt: skip
        return
    if when > date.today() + _CLOCK_TOLERANCE:
        report.error(
            pointer, "invalid-date", f"the curation date {text} lies in the future.",
            f"write the date you curated the case (today is {date.today().isoformat()}).",
        )  # fmt: skip


def check_hpo_terms(case: CaseFile, report: Reporter) -> None:
    """HPO ids exist in the pinned release, are not obsolete, and carry their exact label."""
    release = hpo_terms.load_hpo()
    pinned = case.data["ontologies"]["hpo"]
    if pinned != release.release:
        report.error(
            ("ontologies", "hpo"), "hpo-version-mismatch",
            f"the file was checked against HPO {pinned}, the project pins {release.release}.",
            f"re-check the HPO terms against {release.release}, "
            f'then set `hpo: "{release.release}"`.',
        )  # fmt: skip
    for pointer, finding in case.all_findings():
        _check_hpo_finding(release, pointer, finding, report)


def _check_hpo_finding(
    release: Any, pointer: Pointer, finding: dict[str, Any], report: Reporter
) -> None:
    term = release.get(finding["hpo"])
    if term is None:
        report.error(
            (*pointer, "hpo"), "unknown-hpo-id",
            f"`{finding['hpo']}` is not an HPO term in release {release.release}.",
            f"did you mean {_format_suggestions(_nearest(release, finding))}?",
        )  # fmt: skip
        return
    if term.is_obsolete:
        replacement = ", ".join(term.replaced_by or term.consider) or "none given"
        report.error(
            (*pointer, "hpo"), "obsolete-hpo-term",
            f"`{finding['hpo']}` ({term.name}) is obsolete in HPO {release.release}.",
            f"use its replacement: {replacement}.",
        )  # fmt: skip
        return
    if finding["label"] != term.name:
        others = [t for t in release.suggest(finding["label"]) if t.id != term.id]
        nearest = _format_suggestions(others)
        report.error(
            (*pointer, "label"), "hpo-label-mismatch",
            f"`{finding['hpo']}` is labelled `{term.name}` in HPO, not `{finding['label']}`.",
            f"if you meant {term.name}, write `label: {term.name}`; "
            f"otherwise did you mean {nearest}?",
        )  # fmt: skip


def _nearest(release: Any, finding: dict[str, Any]) -> list[Any]:
    """Terms near the label the curator wrote, then near the id (a typo in the digits)."""
    terms = [*release.suggest(finding["label"]), *release.suggest(finding["hpo"])]
    return list({term.id: term for term in terms}.values())[:3]


def _format_suggestions(terms: list[Any]) -> str:
    found = " or ".join(f"{term.id} {term.name}" for term in terms)
    return found or "a term found by searching the HPO browser (https://hpo.jax.org)"


def check_oncotree_codes(case: CaseFile, report: Reporter) -> None:
    """Tumour codes exist in the pinned OncoTree release and the label matches."""
    tree = oncotree.load_oncotree()
    pinned = case.data["ontologies"]["oncotree"]
    if pinned != tree.release:
        report.error(
            ("ontologies", "oncotree"), "oncotree-version-mismatch",
            f"the file was checked against {pinned}, the project pins {tree.release}.",
            f"re-check the codes, then set `oncotree: {tree.release}`.",
        )  # fmt: skip
    for index, tumour in enumerate(case.section("neoplasms")):
        node = tree.get(tumour["oncotree"])
        if node is None:
            near = ", ".join(f"{n.code} {n.name}" for n in tree.suggest(tumour["label"]))
            report.error(
                ("neoplasms", index, "oncotree"), "unknown-oncotree-code",
                f"`{tumour['oncotree']}` is not an OncoTree code in {tree.release}.",
                f"did you mean {near or 'a code found at https://oncotree.mskcc.org'}?",
            )  # fmt: skip
        elif node.name.lower() != tumour["label"].lower():
            report.error(
                ("neoplasms", index, "label"), "oncotree-label-mismatch",
                f"OncoTree `{node.code}` is `{node.name}`, not `{tumour['label']}`.",
                f"write `label: {node.name}` or correct the code.",
            )  # fmt: skip


def check_labs(case: CaseFile, report: Reporter) -> None:
    """Numeric values carry a UCUM unit and a sane range; interpretation agrees with them."""
    for index, lab in enumerate(case.section("labs")):
        pointer: Pointer = ("labs", index)
        if "value" not in lab and "reported" not in lab and "interpretation" not in lab:
            report.error(
                pointer, "lab-without-result",
                f"the lab `{lab['id']}` has no value, reported text or interpretation.",
                "add `value:` with `unit:`, or `interpretation:` when the paper gives only that.",
            )  # fmt: skip
        if "value" in lab:
            _check_lab_value(lab, pointer, report)
        elif "unit" in lab or "reference_range" in lab:
            report.error(
                pointer, "range-without-value",
                f"the lab `{lab['id']}` has a unit or range but no value.",
                "add `value:` or remove the unit and range.",
            )  # fmt: skip


def _check_lab_value(lab: dict[str, Any], pointer: Pointer, report: Reporter) -> None:
    if "unit" not in lab:
        report.error(
            (*pointer, "value"), "value-without-unit",
            f"the value {lab['value']} of `{lab['id']}` has no unit.",
            "add `unit:` as a UCUM code (e.g. U/L); if the paper gives none, record the text in "
            "`reported:` instead of `value:`.",
        )  # fmt: skip
    else:
        problem = check_ucum_unit(lab["unit"])
        if problem:
            report.error(
                (*pointer, "unit"), "invalid-unit",
                f"`{lab['unit']}` is not a UCUM unit: {problem}.",
                "write the UCUM code, e.g. U/L, mg/dL, mm/h, 10*9/L, %.",
            )  # fmt: skip
    _check_lab_range(lab, pointer, report)


def _check_lab_range(lab: dict[str, Any], pointer: Pointer, report: Reporter) -> None:
    reference = lab.get("reference_range") or {}
    low, high = reference.get("low"), reference.get("high")
    if low is not None and high is not None and low > high:
        report.error(
            (*pointer, "reference_range"), "reversed-reference-range",
            f"the reference range of `{lab['id']}` runs from {low} down to {high}.",
            "write the lower limit in `low:` and the upper in `high:`.",
        )  # fmt: skip
    elif lab.get("interpretation") and not lab.get("comparator"):
        implied = _implied_interpretation(lab["value"], low, high)
        if implied and implied != lab["interpretation"]:
            report.error(
                (*pointer, "interpretation"), "interpretation-contradicts-range",
                f"`{lab['id']}` is {lab['value']} with range {low}-{high}, which is {implied}, "
                f"but says `{lab['interpretation']}`.",
                "check the value, the range and the interpretation against the paper.",
            )  # fmt: skip


def _implied_interpretation(value: float, low: float | None, high: float | None) -> str | None:
    """Return what a value means against its range, or None when the range cannot say.

    >>> _implied_interpretation(695, 25, 200), _implied_interpretation(5, None, None)
    ('high', None)
    """
    if high is not None and value > high:
        return "high"
    if low is not None and value < low:
        return "low"
    if low is not None and high is not None:
        return "normal"
    return None


def check_antibodies(case: CaseFile, report: Reporter) -> None:
    """Antibody names are known keys, and one antibody has one result per event."""
    seen: dict[tuple[str, str | None], str] = {}
    for index, result in enumerate(case.section("antibodies")):
        name = result["antibody"]
        if name not in controlled.ANTIBODIES:
            report.error(
                ("antibodies", index, "antibody"), "unknown-antibody",
                f"`{name}` is not a known antibody key.",
                f"use one of: {', '.join(controlled.ANTIBODIES)}.",
            )  # fmt: skip
            continue
        key = (name, result.get("at"))
        if key in seen and seen[key] != result["result"]:
            report.error(
                ("antibodies", index, "result"), "contradictory-antibody",
                f"`{name}` is both {seen[key]} and {result['result']} at the same time.",
                "keep the result the paper states, or place the two tests at different events.",
            )  # fmt: skip
        seen.setdefault(key, result["result"])


def check_contradictory_findings(case: CaseFile, report: Reporter) -> None:
    """No HPO term is both observed and excluded at the same event."""
    states: dict[tuple[str, str | None], str] = {}
    for pointer, finding in case.all_findings():
        key = (finding["hpo"], finding.get("at"))
        status = finding.get("status", "observed")
        if key in states and states[key] != status:
            report.error(
                (*pointer, "status"), "observed-and-excluded",
                f"`{finding['hpo']}` ({finding['label']}) is both observed and excluded at "
                f"`{finding.get('at')}`.",
                "keep the statement the paper makes; if both are true at different times, give "
                "them different `at:` events.",
            )  # fmt: skip
        states.setdefault(key, status)


def check_investigations(case: CaseFile, report: Reporter) -> None:
    """An investigation not done says why and shows no results."""
    for index, item in enumerate(case.section("investigations")):
        pointer: Pointer = ("investigations", index, "done")
        if item["done"]:
            continue
        if not item.get("reason"):
            report.error(
                pointer, "not-done-without-reason",
                f"`{item['id']}` was not done but gives no reason.",
                "add `reason:` with the paper's words (or 'not stated').",
            )  # fmt: skip
        if item.get("findings") or item.get("result"):
            report.error(
                pointer, "results-of-undone-investigation",
                f"`{item['id']}` was not done but has results.",
                "set `done: true` or remove the results.",
            )  # fmt: skip


def check_responses(case: CaseFile, report: Reporter) -> None:
    """A response names a treatment of the same case, since it is linked to that treatment."""
    treatments = {treatment["id"] for treatment in case.section("treatments")}
    for index, response in enumerate(case.section("responses")):
        name = response.get("treatment")
        if name is not None and name not in treatments:
            choices = ", ".join(sorted(treatments)) or "none: add the treatment first"
            report.error(
                ("responses", index, "treatment"), "unknown-treatment",
                f"`treatment: {name}` names no treatment of this case.",
                f"use one of the treatment ids: {choices}.",
            )  # fmt: skip


def check_secondary_report(case: CaseFile, report: Reporter) -> None:
    """A secondary report says how the publication cites the primary one."""
    info = case.data["report"]
    if info["type"] == "secondary" and not info.get("primary_reference"):
        report.error(
            ("report",), "secondary-without-reference",
            "a secondary report does not say which reference of the publication it summarises.",
            "add `primary_reference: reference [n] of <paper>`.",
        )  # fmt: skip
