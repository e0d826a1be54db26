"""Read and check claim files (claims/*.yaml): statements from the literature with their sources.

Claims follow the same discipline as case files: every problem is reported at once, located to
its line with the rule broken and how to fix it, and a batch of claim files enters the store
only when all of them are clean. The format is described in docs/claims.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from kg.curation import controlled
from kg.curation.reporter import Reporter
from kg.curation.source import Pointer, SourceDocument, parse_yaml
from kg.issues import Issue, Severity, display_path
from kg.terminology import oncotree

SUBJECT_KINDS = ("antibody", "oncotree", "condition")
# The values a unit allows, so a misplaced decimal point (0.58 as a percentage) is caught.
UNIT_BOUNDS: dict[str, tuple[float | None, float | None]] = {
    "%": (0, 100),
    "fraction": (0, 1),
    "ratio": (0, None),
    "cases": (0, None),
    "years": (None, None),
}


@dataclass(frozen=True)
class ClaimFile:
    """One parsed, schema-valid claim file."""

    path: Path
    doc: SourceDocument

    @property
    def data(self) -> dict[str, Any]:
        """The file's content as plain data."""
        return self.doc.data  # type: ignore[no-any-return]

    @property
    def claims(self) -> list[dict[str, Any]]:
        """The claims in file order."""
        return list(self.data["claims"])

    @property
    def quoted_from(self) -> dict[str, Any] | None:
        """The publication whose text the evidence quotes come from, if any."""
        return self.data.get("quoted_from")


@dataclass
class ClaimValidation:
    """The outcome of validating one claim file: the parsed file (when readable) and its issues."""

    path: Path
    file: ClaimFile | None
    issues: list[Issue]

    @property
    def ok(self) -> bool:
        """True when the file was read and no issue is an error."""
        return self.file is not None and not any(issue.is_error for issue in self.issues)


@cache
def claims_schema() -> dict[str, Any]:
    """Return the JSON Schema of claim files (kg/curation/claims.schema.json)."""
    text = resources.files("kg.curation").joinpath("claims.schema.json").read_text("utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def claim_files(directory: Path) -> list[Path]:
    """Return the claim files of a folder, sorted; an absent folder holds none."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.glob("*.y*ml") if not p.name.startswith("."))


def validate_claims_dir(directory: Path) -> list[ClaimValidation]:
    """Validate every claim file of a folder, including ids that clash across files.

    :param directory: the folder (``claims/``); a missing folder gives an empty list.
    :returns: one result per file, in file order.
    """
    results = [validate_claim_file(path) for path in claim_files(directory)]
    check_ids_across_files(results)
    return results


def validate_claim_file(path: Path) -> ClaimValidation:
    """Validate one claim file: YAML syntax, then the schema, then the rules of meaning.

    :param path: the YAML file.
    :returns: the parsed file (None when unreadable or schema-invalid) and every issue found.
    """
    try:
        doc = parse_yaml(path.read_text(encoding="utf-8"), path)
    except (OSError, UnicodeDecodeError) as error:
        return ClaimValidation(path, None, [_file_issue(path, str(error))])
    except yaml.YAMLError as error:
        return ClaimValidation(path, None, [_syntax_issue(path, error)])
    report = Reporter(doc)
    if not isinstance(doc.data, dict):
        report.error(
            (),
            "not-a-mapping",
            "the file does not hold claims (a YAML mapping).",
            "start from claims/merry-2020-claims.yaml.",
        )
        return ClaimValidation(path, None, report.issues)
    _check_schema(doc, report)
    if report.issues:
        return ClaimValidation(path, None, sorted(report.issues))
    claim_file = ClaimFile(path, doc)
    for rule in RULES:
        rule(claim_file, report)
    return ClaimValidation(path, claim_file, sorted(report.issues))


def _file_issue(path: Path, problem: str) -> Issue:
    return Issue(
        display_path(path),
        1,
        1,
        "unreadable-file",
        Severity.ERROR,
        f"cannot read the file: {problem}.",
        "check the path and that the file is UTF-8 text.",
    )


def _syntax_issue(path: Path, error: yaml.YAMLError) -> Issue:
    mark = getattr(error, "problem_mark", None)
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem = getattr(error, "problem", None) or str(error)
    return Issue(
        display_path(path),
        line,
        column,
        "yaml-syntax",
        Severity.ERROR,
        f"YAML syntax error: {problem}.",
        "fix the indentation or quoting at this line.",
    )


# --- schema ------------------------------------------------------------------------------------


def _check_schema(doc: SourceDocument, report: Reporter) -> None:
    validator = jsonschema.Draft202012Validator(claims_schema())
    for error in sorted(validator.iter_errors(doc.data), key=lambda e: list(map(str, e.path))):
        pointer: Pointer = tuple(error.absolute_path)
        for rule, where, message, fix, key in _explain(error, pointer):
            report.error(where, rule, message, fix, key=key)


def _explain(
    error: jsonschema.ValidationError, pointer: Pointer
) -> Iterator[tuple[str, Pointer, str, str, bool]]:
    """Turn one schema error into curator-facing problems (rule, pointer, message, fix, key)."""
    where = "/".join(map(str, pointer)) or "the top level"
    if error.validator == "required":
        for name in [n for n in error.validator_value if n not in error.instance]:
            yield (
                "missing-field",
                pointer,
                f"`{name}` is required in {where}.",
                f"add `{name}:` here (see docs/claims.md).",
                False,
            )
    elif error.validator == "additionalProperties":
        allowed = ", ".join(sorted(error.schema.get("properties", {})))
        for name in sorted(set(error.instance) - set(error.schema.get("properties", {}))):
            yield (
                "unknown-field",
                (*pointer, name),
                f"`{name}` is not a field of {where}.",
                f"remove it or use one of: {allowed}.",
                True,
            )
    elif error.validator == "anyOf" and "pmid" in error.schema.get("properties", {}):
        yield (
            "missing-source-id",
            pointer,
            f"the publication at {where} has neither a PMID nor a DOI.",
            "add `pmid:` or `doi:`; without one, cite it only as `cited_as:`.",
            False,
        )
    elif error.validator in ("minProperties", "maxProperties") and pointer[-2:-1] == ("subjects",):
        yield (
            "one-subject-per-entry",
            pointer,
            f"{where} must name exactly one subject.",
            f"write one of {', '.join(SUBJECT_KINDS)} per list entry.",
            False,
        )
    elif error.validator == "enum":
        choices = ", ".join(map(str, error.validator_value))
        yield (
            "invalid-value",
            pointer,
            f"`{where}` is {error.instance!r}, not an allowed value.",
            f"use one of: {choices}.",
            False,
        )
    else:
        fix = error.schema.get("description", "see docs/claims.md for the field's format.")
        yield "invalid-value", pointer, f"`{where}`: {error.message}.", fix, False


# --- rules of meaning --------------------------------------------------------------------------


def check_unique_ids(claim_file: ClaimFile, report: Reporter) -> None:
    """Claim ids are unique, because each mints the claim's IRI."""
    seen: set[str] = set()
    for index, claim in enumerate(claim_file.claims):
        if claim["id"] in seen:
            report.error(
                ("claims", index, "id"),
                "duplicate-claim-id",
                f"the claim id `{claim['id']}` is used twice in this file.",
                "give each claim its own id.",
            )
        seen.add(claim["id"])


def check_subjects(claim_file: ClaimFile, report: Reporter) -> None:
    """Subjects name a known antibody key, condition key or OncoTree code of the pinned release."""
    for index, claim in enumerate(claim_file.claims):
        for j, subject in enumerate(claim["subjects"]):
            kind, value = next(iter(subject.items()))
            problem = _subject_problem(kind, value)
            if problem:
                report.error(("claims", index, "subjects", j, kind), f"unknown-{kind}", *problem)


def _subject_problem(kind: str, value: str) -> tuple[str, str] | None:
    """Return (message, fix) when a subject is not a known term, else None."""
    if kind == "antibody" and value not in controlled.ANTIBODIES:
        return (
            f"`{value}` is not a known antibody key.",
            f"use one of: {', '.join(controlled.ANTIBODIES)}.",
        )
    if kind == "condition" and value not in controlled.CONDITIONS:
        return (
            f"`{value}` is not a known condition.",
            f"use one of: {', '.join(controlled.CONDITIONS)}.",
        )
    if kind == "oncotree":
        tree = oncotree.load_oncotree()
        if tree.get(value) is None:
            near = ", ".join(f"{node.code} {node.name}" for node in tree.suggest(value))
            return (
                f"`{value}` is not an OncoTree code in {tree.release}.",
                f"did you mean {near or 'a code from the OncoTree browser'}?",
            )
    return None


def check_values(claim_file: ClaimFile, report: Reporter) -> None:
    """A value or interval has a unit, fits it, and the interval is ordered and holds the value."""
    for index, claim in enumerate(claim_file.claims):
        pointer: Pointer = ("claims", index)
        numbers = _numbers(claim)
        if numbers and "unit" not in claim:
            report.error(
                pointer,
                "value-without-unit",
                f"the claim `{claim['id']}` has a value or interval but no unit.",
                "add `unit:` (%, fraction, ratio, years or cases).",
            )
        elif numbers:
            _check_bounds(claim, numbers, pointer, report)
        _check_interval(claim, pointer, report)


def _numbers(claim: dict[str, Any]) -> dict[Pointer, float]:
    """Every number of a claim, by its pointer relative to the claim."""
    found: dict[Pointer, float] = {}
    if "value" in claim:
        found[("value",)] = claim["value"]
    for end in ("low", "high"):
        if end in (claim.get("interval") or {}):
            found[("interval", end)] = claim["interval"][end]
    return found


def _check_bounds(
    claim: dict[str, Any], numbers: dict[Pointer, float], pointer: Pointer, report: Reporter
) -> None:
    low, high = UNIT_BOUNDS[claim["unit"]]
    for where, number in numbers.items():
        if (low is not None and number < low) or (high is not None and number > high):
            span = f"{low if low is not None else '-inf'} to {high if high is not None else 'inf'}"
            report.error(
                (*pointer, *where),
                "value-outside-unit",
                f"{number} is outside {span}, the range of the unit `{claim['unit']}`.",
                "check the number and the unit against the source (58% is 58, not 0.58).",
            )


def _check_interval(claim: dict[str, Any], pointer: Pointer, report: Reporter) -> None:
    interval = claim.get("interval") or {}
    low, high, value = interval.get("low"), interval.get("high"), claim.get("value")
    if low is not None and high is not None and low > high:
        report.error(
            (*pointer, "interval"),
            "reversed-interval",
            f"the interval of `{claim['id']}` runs from {low} down to {high}.",
            "write the lower bound in `low:` and the upper in `high:`.",
        )
    elif value is not None and not _within(value, low, high):
        report.error(
            (*pointer, "value"),
            "value-outside-interval",
            f"the value {value} of `{claim['id']}` lies outside its interval {low}-{high}.",
            "check the value and interval against the source.",
        )


def _within(value: float, low: float | None, high: float | None) -> bool:
    return (low is None or low <= value) and (high is None or value <= high)


def check_quotes_have_a_text(claim_file: ClaimFile, report: Reporter) -> None:
    """Evidence quotes and reference numbers belong to a publication: `quoted_from` names it."""
    if claim_file.quoted_from is not None:
        return
    for index, claim in enumerate(claim_file.claims):
        if "evidence" in claim:
            report.error(
                ("claims", index, "evidence"),
                "evidence-without-quoted-from",
                f"the claim `{claim['id']}` quotes a text but the file has no `quoted_from:`.",
                "add `quoted_from:` with the publication the quotes come from, or drop the quotes.",
            )
        if "cited_as" in claim["source"]:
            report.error(
                ("claims", index, "source", "cited_as"),
                "cited-as-without-quoted-from",
                f"the claim `{claim['id']}` gives a reference number but the file does "
                "not say whose reference list it is in.",
                "add `quoted_from:` with the citing publication.",
            )


RULES: tuple[Callable[[ClaimFile, Reporter], None], ...] = (
    check_unique_ids,
    check_subjects,
    check_values,
    check_quotes_have_a_text,
)


def check_ids_across_files(results: Iterable[ClaimValidation]) -> None:
    """Add an issue to every later file that reuses a claim id of an earlier one (IRIs clash)."""
    first_seen: dict[str, Path] = {}
    for result in results:
        if result.file is None:
            continue
        report = Reporter(result.file.doc)
        for index, claim in enumerate(result.file.claims):
            owner = first_seen.setdefault(claim["id"], result.path)
            if owner != result.path:
                report.error(
                    ("claims", index, "id"),
                    "duplicate-claim-id",
                    f"the claim id `{claim['id']}` is already used in {display_path(owner)}.",
                    "give this claim another id.",
                )
        result.issues = sorted(result.issues + report.issues)
