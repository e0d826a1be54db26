"""Check case files and report every problem at once, each with its line, rule and fix.

Stages run in order and later stages only run on what earlier ones could read: YAML syntax, then
the JSON Schema (missing, unknown and mistyped fields), then the rules of meaning (codes exist,
labels match, anchors resolve, units present, no contradictions).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from kg.curation import controlled
from kg.curation.case_file import DIRECTIONS, FACT_SECTIONS, CaseFile
from kg.curation.source import Pointer, SourceDocument, parse_yaml
from kg.curation.timeline import OffsetError, find_cycle, parse_offset
from kg.curation.units import check_ucum_unit
from kg.issues import Issue, Severity, display_path
from kg.terminology import hpo as hpo_terms
from kg.terminology import oncotree


@dataclass
class ValidationResult:
    """The outcome of validating one file: the parsed case (when readable) and its issues."""

    path: Path
    case: CaseFile | None
    issues: list[Issue]

    @property
    def ok(self) -> bool:
        """True when no issue is an error (warnings do not block)."""
        return self.case is not None and not any(issue.is_error for issue in self.issues)


@cache
def case_schema() -> dict[str, Any]:
    """Return the JSON Schema of case files (kg/curation/case.schema.json)."""
    text = resources.files("kg.curation").joinpath("case.schema.json").read_text("utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


class _Reporter:
    """Collects issues for one file, locating each by its pointer."""

    def __init__(self, doc: SourceDocument) -> None:
        self.doc = doc
        self.issues: list[Issue] = []

    def error(self, pointer: Pointer, rule: str, message: str, fix: str, *, key: bool = False) -> None:
        self._add(pointer, rule, message, fix, Severity.ERROR, key)

    def warning(self, pointer: Pointer, rule: str, message: str, fix: str) -> None:
        self._add(pointer, rule, message, fix, Severity.WARNING, False)

    def _add(self, pointer: Pointer, rule: str, message: str, fix: str, severity: Severity, key: bool) -> None:
        line, column = self.doc.position(pointer, key=key)
        self.issues.append(Issue(display_path(self.doc.path), line, column, rule, severity, message, fix))


def validate_file(path: Path) -> ValidationResult:
    """Validate one case file.

    :param path: the YAML file.
    :returns: the parsed case (None when unreadable) and every issue found.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        issue = Issue(display_path(path), 1, 1, "unreadable-file", Severity.ERROR, f"cannot read the file: {error}", "check the path and that the file is UTF-8 text.")
        return ValidationResult(path, None, [issue])
    try:
        doc = parse_yaml(text, path)
    except yaml.YAMLError as error:
        return ValidationResult(path, None, [_syntax_issue(path, error)])
    report = _Reporter(doc)
    if not isinstance(doc.data, dict):
        report.error((), "not-a-mapping", "the file does not hold a case (a YAML mapping of fields).", "start from `kg case new` or cases/merry-2020-lms.yaml.")
        return ValidationResult(path, None, report.issues)
    _check_schema(doc, report)
    if report.issues:
        return ValidationResult(path, None, report.issues)
    case = CaseFile(path=path, doc=doc, text=text)
    for rule in RULES:
        rule(case, report)
    return ValidationResult(path, case, sorted(report.issues))


def _syntax_issue(path: Path, error: yaml.YAMLError) -> Issue:
    mark = getattr(error, "problem_mark", None)
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem = getattr(error, "problem", None) or str(error)
    return Issue(display_path(path), line, column, "yaml-syntax", Severity.ERROR, f"YAML syntax error: {problem}.", "fix the indentation or quoting at this line; quote values that contain ': ' or start with a symbol.")


def _check_schema(doc: SourceDocument, report: _Reporter) -> None:
    validator = jsonschema.Draft202012Validator(case_schema())
    for error in sorted(validator.iter_errors(doc.data), key=lambda e: list(map(str, e.absolute_path))):
        for rule, pointer, message, fix, key in _explain_schema_error(error):
            report.error(pointer, rule, message, fix, key=key)


def _explain_schema_error(error: jsonschema.ValidationError) -> Iterator[tuple[str, Pointer, str, str, bool]]:
    pointer: Pointer = tuple(error.absolute_path)
    where = "/".join(map(str, pointer)) or "the top level"
    if error.validator == "required":
        missing = error.message.split("'")[1]
        yield "missing-field", pointer, f"`{missing}` is required in {where}.", f"add `{missing}:` here (see docs/curation.md).", False
    elif error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        for name in sorted(set(error.instance) - set(allowed)):
            yield "unknown-field", (*pointer, name), f"`{name}` is not a field of {where}.", f"remove it or use one of: {', '.join(allowed)}.", True
    elif error.validator == "anyOf" and pointer == ("publication",):
        yield "missing-source-id", pointer, "the publication has neither a PMID nor a DOI.", "add `pmid:` or `doi:` so every fact can be traced to its source.", False
    elif error.validator in ("type", "const"):
        yield "wrong-type", pointer, f"`{where}` is {error.instance!r}: {error.message}.", f"write a value of type {error.schema.get('type', error.schema.get('const'))}.", False
    elif error.validator == "enum":
        choices = ", ".join(map(str, error.schema["enum"]))
        yield "invalid-value", pointer, f"`{where}` is {error.instance!r}, not an allowed value.", f"use one of: {choices}.", False
    else:
        yield "invalid-value", pointer, f"`{where}`: {error.message}.", error.schema.get("description", "see docs/curation.md for the field's format."), False


# --- rules of meaning -------------------------------------------------------------------------


def check_id_matches_file(case: CaseFile, report: _Reporter) -> None:
    """The case id equals the file stem, so a case is found by its name."""
    if case.case_id != case.path.stem:
        report.error(("id",), "id-file-mismatch", f"the id `{case.case_id}` differs from the file name `{case.path.name}`.", f"rename the file to `{case.case_id}.yaml` or set `id: {case.path.stem}`.")


def check_unique_ids(case: CaseFile, report: _Reporter) -> None:
    """Fact ids are unique within their kind, because IRIs are minted from them."""
    groups: dict[str, list[tuple[Pointer, str]]] = {"events": []}
    for index, event in enumerate(case.events()):
        groups["events"].append((("timeline", "events", index, "id"), event["id"]))
    for section in FACT_SECTIONS:
        for index, fact in enumerate(case.section(section)):
            groups.setdefault(section, []).append(((section, index, "id"), fact["id"]))
    groups["findings"] = [((*pointer, "id"), finding["id"]) for pointer, finding in case.all_findings()]
    for kind, entries in groups.items():
        seen: set[str] = set()
        for pointer, identifier in entries:
            if identifier in seen:
                report.error(pointer, "duplicate-id", f"the {kind} id `{identifier}` is used twice.", "give each fact its own id.")
            seen.add(identifier)


def check_timeline(case: CaseFile, report: _Reporter) -> None:
    """Anchors resolve, the origin exists, offsets read, and anchors form no cycle."""
    timeline = case.data.get("timeline")
    if timeline is None:
        return
    ids = {event["id"] for event in case.events()}
    if timeline["origin"] not in ids:
        report.error(("timeline", "origin"), "unknown-origin", f"the origin `{timeline['origin']}` is not an event id.", f"use one of: {', '.join(sorted(ids))}.")
    for index, event in enumerate(case.events()):
        pointer: Pointer = ("timeline", "events", index)
        _check_event(event, pointer, ids, timeline["origin"], report)
    if not any(issue.rule.startswith(("unknown-anchor", "anchor-count")) for issue in report.issues):
        cycle = find_cycle(case.placements()) if _offsets_readable(case) else None
        if cycle:
            index = [e["id"] for e in case.events()].index(cycle[0])
            report.error(("timeline", "events", index), "timeline-cycle", f"the anchors form a cycle: {' -> '.join(cycle)}.", "anchor one of these events to an event outside the cycle.")


def _offsets_readable(case: CaseFile) -> bool:
    try:
        case.placements()
    except OffsetError:
        return False
    return True


def _check_event(event: dict[str, Any], pointer: Pointer, ids: set[str], origin: str, report: _Reporter) -> None:
    anchors = [d for d in DIRECTIONS if d in event]
    if event["id"] == origin:
        if anchors:
            report.error((*pointer, anchors[0]), "anchored-origin", f"the origin `{origin}` has an anchor.", "remove the anchor: all other events are placed relative to the origin.")
        return
    if len(anchors) != 1:
        report.error(pointer, "anchor-count", f"the event `{event['id']}` needs exactly one of after / before / same, has {len(anchors)}.", "place the event relative to one anchor event.")
        return
    anchor = event[anchors[0]]
    if anchor not in ids:
        report.error((*pointer, anchors[0]), "unknown-anchor", f"the anchor `{anchor}` is not an event id.", f"use one of: {', '.join(sorted(ids))}.")
    if event.get("offset") is not None:
        try:
            parse_offset(event["offset"])
        except OffsetError as error:
            report.error((*pointer, "offset"), "unreadable-offset", str(error), "write e.g. '2 months', '2-4 weeks', 'a few months', 'several days'.")
        if anchors[0] == "same":
            report.error((*pointer, "offset"), "offset-with-same", "an event at the same time as its anchor has an offset.", "use `after:` or `before:` with the offset, or drop the offset.")


def check_event_references(case: CaseFile, report: _Reporter) -> None:
    """Every `at`, `start`, `end` and `diagnosed_at` names a timeline event."""
    ids = {event["id"] for event in case.events()}
    for pointer, key, value in _event_references(case):
        if value not in ids:
            hint = f"use one of: {', '.join(sorted(ids))}." if ids else "add a `timeline:` with this event."
            report.error((*pointer, key), "unknown-event", f"`{key}: {value}` names no timeline event.", hint)


def _event_references(case: CaseFile) -> Iterator[tuple[Pointer, str, str]]:
    if "age_at" in case.data["patient"]:
        yield ("patient",), "age_at", case.data["patient"]["age_at"]
    for section in FACT_SECTIONS:
        for index, fact in enumerate(case.section(section)):
            for key in ("at", "start", "end", "diagnosed_at"):
                if key in fact:
                    yield (section, index), key, fact[key]
            for j, change in enumerate(fact.get("dose_changes") or []):
                if "at" in change:
                    yield (section, index, "dose_changes", j), "at", change["at"]
            for j, finding in enumerate(fact.get("findings") or []) if section == "investigations" else ():
                if "at" in finding:
                    yield (section, index, "findings", j), "at", finding["at"]


def check_hpo_terms(case: CaseFile, report: _Reporter) -> None:
    """HPO ids exist in the pinned release, are not obsolete, and carry their exact label."""
    release = hpo_terms.load_hpo()
    pinned = case.data["ontologies"]["hpo"]
    if pinned != release.release:
        report.error(("ontologies", "hpo"), "hpo-version-mismatch", f"the file was checked against HPO {pinned}, the project pins {release.release}.", f"re-check the HPO terms against {release.release}, then set `hpo: \"{release.release}\"`.")
    for pointer, finding in case.all_findings():
        _check_hpo_finding(release, pointer, finding, report)


def _check_hpo_finding(release: Any, pointer: Pointer, finding: dict[str, Any], report: _Reporter) -> None:
    term = release.get(finding["hpo"])
    if term is None:
        suggestions = _format_suggestions(release.suggest(finding["label"]))
        report.error((*pointer, "hpo"), "unknown-hpo-id", f"`{finding['hpo']}` is not an HPO term in release {release.release}.", f"did you mean {suggestions}?")
        return
    if term.is_obsolete:
        replacement = ", ".join(term.replaced_by or term.consider) or "none given"
        report.error((*pointer, "hpo"), "obsolete-hpo-term", f"`{finding['hpo']}` ({term.name}) is obsolete.", f"use its replacement: {replacement}.")
        return
    if finding["label"] != term.name:
        report.error((*pointer, "label"), "hpo-label-mismatch", f"`{finding['hpo']}` is labelled `{term.name}` in HPO, not `{finding['label']}`.", f"if you meant {term.name}, write `label: {term.name}`; otherwise did you mean {_format_suggestions(release.suggest(finding['label']))}?")


def _format_suggestions(terms: list[Any]) -> str:
    return " or ".join(f"{term.id} {term.name}" for term in terms) or "a term found by searching the HPO browser"


def check_oncotree_codes(case: CaseFile, report: _Reporter) -> None:
    """Tumour codes exist in the pinned OncoTree release and the label matches."""
    tree = oncotree.load_oncotree()
    if case.data["ontologies"]["oncotree"] != tree.release:
        report.error(("ontologies", "oncotree"), "oncotree-version-mismatch", f"the file was checked against {case.data['ontologies']['oncotree']}, the project pins {tree.release}.", f"re-check the codes, then set `oncotree: {tree.release}`.")
    for index, tumour in enumerate(case.section("neoplasms")):
        node = tree.get(tumour["oncotree"])
        if node is None:
            near = ", ".join(f"{n.code} {n.name}" for n in tree.suggest(tumour["label"]))
            report.error(("neoplasms", index, "oncotree"), "unknown-oncotree-code", f"`{tumour['oncotree']}` is not an OncoTree code in {tree.release}.", f"did you mean {near}?")
        elif node.name.lower() != tumour["label"].lower():
            report.error(("neoplasms", index, "label"), "oncotree-label-mismatch", f"OncoTree `{node.code}` is `{node.name}`, not `{tumour['label']}`.", f"write `label: {node.name}` or correct the code.")


def check_labs(case: CaseFile, report: _Reporter) -> None:
    """Numeric values carry a UCUM unit and a sane range; interpretation agrees with them."""
    for index, lab in enumerate(case.section("labs")):
        pointer: Pointer = ("labs", index)
        if "value" not in lab and "reported" not in lab and "interpretation" not in lab:
            report.error(pointer, "lab-without-result", f"the lab `{lab['id']}` has no value, reported text or interpretation.", "add `value:` with `unit:`, or `interpretation:` when the paper gives only that.")
        if "value" in lab:
            _check_lab_value(lab, pointer, report)
        elif "unit" in lab or "reference_range" in lab:
            report.error(pointer, "range-without-value", f"the lab `{lab['id']}` has a unit or range but no value.", "add `value:` or remove the unit and range.")


def _check_lab_value(lab: dict[str, Any], pointer: Pointer, report: _Reporter) -> None:
    if "unit" not in lab:
        report.error((*pointer, "value"), "value-without-unit", f"the value {lab['value']} of `{lab['id']}` has no unit.", "add `unit:` as a UCUM code (e.g. U/L); if the paper gives none, record the text in `reported:` instead of `value:`.")
    else:
        problem = check_ucum_unit(lab["unit"])
        if problem:
            report.error((*pointer, "unit"), "invalid-unit", f"`{lab['unit']}` is not a UCUM unit: {problem}.", "write the UCUM code, e.g. U/L, mg/dL, mm/h, 10*9/L, %.")
    reference = lab.get("reference_range") or {}
    low, high = reference.get("low"), reference.get("high")
    if low is not None and high is not None and low > high:
        report.error((*pointer, "reference_range"), "reversed-reference-range", f"the reference range of `{lab['id']}` runs from {low} down to {high}.", "write the lower limit in `low:` and the upper in `high:`.")
    elif lab.get("interpretation") and not lab.get("comparator"):
        implied = _implied_interpretation(lab["value"], low, high)
        if implied and implied != lab["interpretation"]:
            report.error((*pointer, "interpretation"), "interpretation-contradicts-range", f"`{lab['id']}` is {lab['value']} with range {low}-{high}, which is {implied}, but says `{lab['interpretation']}`.", "check the value, the range and the interpretation against the paper.")


def _implied_interpretation(value: float, low: float | None, high: float | None) -> str | None:
    if high is not None and value > high:
        return "high"
    if low is not None and value < low:
        return "low"
    if low is not None and high is not None:
        return "normal"
    return None


def check_antibodies(case: CaseFile, report: _Reporter) -> None:
    """Antibody names are known keys, and one antibody has one result per event."""
    seen: dict[tuple[str, str | None], str] = {}
    for index, result in enumerate(case.section("antibodies")):
        name = result["antibody"]
        if name not in controlled.ANTIBODIES:
            report.error(("antibodies", index, "antibody"), "unknown-antibody", f"`{name}` is not a known antibody key.", f"use one of: {', '.join(controlled.ANTIBODIES)}.")
            continue
        key = (name, result.get("at"))
        if key in seen and seen[key] != result["result"]:
            report.error(("antibodies", index, "result"), "contradictory-antibody", f"`{name}` is both {seen[key]} and {result['result']} at the same time.", "keep the result the paper states, or place the two tests at different events.")
        seen[key] = result["result"]


def check_contradictory_findings(case: CaseFile, report: _Reporter) -> None:
    """No HPO term is both observed and excluded at the same event."""
    states: dict[tuple[str, str | None], str] = {}
    for pointer, finding in case.all_findings():
        key = (finding["hpo"], finding.get("at"))
        status = finding.get("status", "observed")
        if key in states and states[key] != status:
            report.error((*pointer, "status"), "observed-and-excluded", f"`{finding['hpo']}` ({finding['label']}) is both observed and excluded at `{finding.get('at')}`.", "keep the statement the paper makes; if both are true at different times, give them different `at:` events.")
        states.setdefault(key, status)


def check_investigations(case: CaseFile, report: _Reporter) -> None:
    """An investigation not done says why and shows no results."""
    for index, item in enumerate(case.section("investigations")):
        pointer: Pointer = ("investigations", index)
        if not item["done"] and not item.get("reason"):
            report.error((*pointer, "done"), "not-done-without-reason", f"`{item['id']}` was not done but gives no reason.", "add `reason:` with the paper's words (or 'not stated').")
        if not item["done"] and (item.get("findings") or item.get("result")):
            report.error((*pointer, "done"), "results-of-undone-investigation", f"`{item['id']}` was not done but has results.", "set `done: true` or remove the results.")


def check_secondary_report(case: CaseFile, report: _Reporter) -> None:
    """A secondary report says how the publication cites the primary one."""
    info = case.data["report"]
    if info["type"] == "secondary" and not info.get("primary_reference"):
        report.error(("report",), "secondary-without-reference", "a secondary report does not say which reference of the publication it summarises.", "add `primary_reference: reference [n] of <paper>`.")


RULES: tuple[Callable[[CaseFile, _Reporter], None], ...] = (
    check_id_matches_file,
    check_unique_ids,
    check_timeline,
    check_event_references,
    check_hpo_terms,
    check_oncotree_codes,
    check_labs,
    check_antibodies,
    check_contradictory_findings,
    check_investigations,
    check_secondary_report,
)
