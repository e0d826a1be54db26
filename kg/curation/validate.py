"""Check case files and report every problem at once, each with its line, rule and fix.

Stages run in order and later stages only run on what earlier ones could read: YAML syntax, then
template placeholders and the JSON Schema (missing, unknown and mistyped fields), then the rules of
meaning (codes exist, labels match, anchors resolve, units present, no contradictions), and last the
SHACL shapes over the RDF the case converts to, as a second line of defence.
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
import jsonschema_rs
import yaml
from pyoxigraph import Quad

from kg.curation import rules, timeline_rules
from kg.curation.case_file import CaseFile
from kg.curation.reporter import Reporter
from kg.curation.shapes import check_shapes
from kg.curation.source import Pointer, SourceDocument, parse_yaml
from kg.issues import Issue, Severity, display_path

Rule = Callable[[CaseFile, Reporter], None]
PLACEHOLDER = "TODO"
STARTER = "start from `kg case new` or cases/merry-2020-lms.yaml."
PROVENANCE_FIELDS = ("provenance", "curator", "date", "status")
TYPE_NAMES = {
    "number": "a number", "integer": "a whole number", "string": "text",
    "boolean": "true or false", "array": "a list", "object": "a mapping of fields", "1": "1",
}  # fmt: skip
FORMAT_HINTS = {
    "id": "write lower-case letters, digits and hyphens, starting with a letter or digit.",
    "hpo": "write an HPO id: HP: and seven digits, e.g. HP:0025508.",
    "uberon": "write an UBERON id: UBERON: and seven digits, e.g. UBERON:0002048.",
    "oncotree": "write an OncoTree code in capitals, e.g. LMS.",
    "loinc": "write a LOINC code: digits, a hyphen and a check digit, e.g. 2157-6.",
    "pmid": 'write the PubMed id as digits in quotes, e.g. "32864095".',
    "doi": "write the DOI without its https://doi.org/ prefix, e.g. 10.1186/s13569-020-00140-w.",
    "pmcid": "write PMC and digits, e.g. PMC7448451.",
    "titre": 'write the titre as 1: and a number, in quotes, e.g. "1:160".',
    "chebi": "write a ChEBI id: CHEBI: and digits, e.g. CHEBI:28748.",
    "date": "write the date as YYYY-MM-DD, e.g. 2026-11-23.",
    "title": "write the publication's title.",
}  # fmt: skip


@dataclass
class ValidationResult:
    """The outcome of validating one file: the parsed case (when readable) and its issues."""

    path: Path
    case: CaseFile | None
    issues: list[Issue]
    quads: list[Quad] | None = None  # the converted case, when it was clean enough to convert
    nquads: bytes | None = None  # the same quads as N-Quads text

    @property
    def ok(self) -> bool:
        """True when no issue is an error (warnings do not block)."""
        return self.case is not None and not any(issue.is_error for issue in self.issues)


@cache
def case_schema() -> dict[str, Any]:
    """Return the JSON Schema of case files (kg/curation/case.schema.json)."""
    text = resources.files("kg.curation").joinpath("case.schema.json").read_text("utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


@cache
def fast_schema_validator() -> jsonschema_rs.Validator:
    """Return the schema compiled by jsonschema-rs, which answers "is it valid?" in Rust.

    Checking a case with the Python validator costs about 5 ms; a build checks every case, and
    almost all are valid. The Python validator still explains a file that fails, because its
    errors carry the paths and keywords the messages below are written from.
    """
    return jsonschema_rs.validator_for(case_schema())


def validate_file(path: Path) -> ValidationResult:
    """Validate one case file.

    :param path: the YAML file.
    :returns: the parsed case (None when unreadable or schema-invalid) and every issue found.
    """
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return ValidationResult(path, None, [_unreadable_issue(path, error)])
    try:
        doc = parse_yaml(text, path)
    except yaml.YAMLError as error:
        return ValidationResult(path, None, [_syntax_issue(path, error)])
    report = Reporter(doc)
    if not isinstance(doc.data, dict):
        message = "the file does not hold a case (a YAML mapping of fields)."
        report.error((), "not-a-mapping", message, STARTER)
        return ValidationResult(path, None, report.issues)
    _check_structure(doc, report)
    if report.issues:
        return ValidationResult(path, None, sorted(report.issues))
    case = CaseFile(path=path, doc=doc, text=text)
    for rule in RULES:
        rule(case, report)
    converted = check_shapes(case, report)
    if converted is None:
        return ValidationResult(path, case, sorted(report.issues))
    return ValidationResult(path, case, sorted(report.issues), converted.quads, converted.nquads)


def _unreadable_issue(path: Path, error: OSError | UnicodeDecodeError) -> Issue:
    if isinstance(error, OSError):
        message, fix, line, column = f"cannot read the file: {error}.", "check the path.", 1, 1
    else:
        before = error.object[: error.start]
        line, column = before.count(b"\n") + 1, error.start - before.rfind(b"\n")
        byte = error.object[error.start : error.start + 1]
        message = f"the byte {byte!r} is not UTF-8 text (the file was saved in another encoding)."
        fix = "save the file as UTF-8, or retype the character here (often a curly quote or dash)."
    return Issue(display_path(path), line, column, "unreadable-file", Severity.ERROR, message, fix)


def _syntax_issue(path: Path, error: yaml.YAMLError) -> Issue:
    mark = getattr(error, "problem_mark", None)
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem = getattr(error, "problem", None) or str(error)
    return Issue(
        display_path(path), line, column, "yaml-syntax", Severity.ERROR,
        f"YAML syntax error: {problem}.",
        "fix the indentation or quoting at this line; quote values that contain ': ' or start "
        "with a symbol.",
    )  # fmt: skip


def _check_structure(doc: SourceDocument, report: Reporter) -> None:
    """Report template placeholders, then schema errors not explained by a placeholder."""
    placeholders = set(find_placeholders(doc.data))
    for pointer in sorted(placeholders, key=lambda p: doc.position(p)):
        report.error(
            pointer, "unfilled-placeholder",
            f"`{_where(pointer)}` still holds the template's placeholder `{PLACEHOLDER}`.",
            "replace it with the value from the paper (the comment beside it says what to write).",
        )  # fmt: skip
    if fast_schema_validator().is_valid(doc.data):
        return
    validator = jsonschema.Draft202012Validator(case_schema())
    for error in sorted(validator.iter_errors(doc.data), key=lambda e: list(map(str, e.path))):
        if tuple(error.absolute_path) in placeholders:
            continue
        for rule, pointer, message, fix, key in _explain_schema_error(error):
            report.error(pointer, rule, message, fix, key=key)


def find_placeholders(data: Any, pointer: Pointer = ()) -> Iterator[Pointer]:
    """Yield the pointer of every value a curator has still to fill in (``TODO`` ...).

    >>> list(find_placeholders({"patient": {"sex": "TODO", "age": 4}, "x": ["TODO quote"]}))
    [('patient', 'sex'), ('x', 0)]
    """
    if isinstance(data, dict):
        for key, value in data.items():
            yield from find_placeholders(value, (*pointer, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from find_placeholders(value, (*pointer, index))
    elif isinstance(data, str) and data.split(" ", 1)[0] == PLACEHOLDER:
        yield pointer


def _where(pointer: Pointer) -> str:
    return "/".join(map(str, pointer)) or "the top level"


SchemaProblem = tuple[str, Pointer, str, str, bool]


def _explain_schema_error(error: jsonschema.ValidationError) -> Iterator[SchemaProblem]:
    """Turn one jsonschema error into curator-facing problems (rule, pointer, message, fix, key)."""
    pointer: Pointer = tuple(error.absolute_path)
    where = _where(pointer)
    if error.validator == "required":
        yield from _explain_missing(error, pointer, where)
    elif error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        for name in sorted(set(error.instance) - set(allowed)):
            yield (
                "unknown-field", (*pointer, name), f"`{name}` is not a field of {where}.",
                f"remove it or use one of: {', '.join(allowed)}.", True,
            )  # fmt: skip
    elif error.validator == "anyOf" and pointer == ("publication",):
        yield (
            "missing-source-id", pointer, "the publication has neither a PMID nor a DOI.",
            "add `pmid:` or `doi:` so every fact can be traced to its source.", False,
        )  # fmt: skip
    elif error.validator == "oneOf" and pointer[-1:] == ("evidence",):
        yield (
            "invalid-evidence", pointer, f"the evidence of {_where(pointer[:-1])} is "
            f"{error.instance!r}, not a quote.",
            "quote the paper's sentence verbatim (a string of at least 3 characters, or a list "
            "of such strings).", False,
        )  # fmt: skip
    else:
        yield _explain_value(error, pointer, where)


def _explain_missing(
    error: jsonschema.ValidationError, pointer: Pointer, where: str
) -> Iterator[SchemaProblem]:
    for missing in [name for name in error.validator_value if name not in error.instance]:
        if missing == "evidence":
            yield (
                "missing-evidence", pointer, f"{where} has no evidence quote.",
                "add `evidence:` with the sentence of the paper that states this fact, verbatim.",
                False,
            )  # fmt: skip
        elif missing == "publication":
            yield (
                "missing-source-id", pointer, "the case has no `publication`.",
                "add `publication:` with `pmid:` or `doi:` and `title:`.", False,
            )  # fmt: skip
        elif missing in PROVENANCE_FIELDS and pointer in ((), ("provenance",)):
            yield (
                "missing-provenance", pointer, f"`{missing}` is required in {where}.",
                "record who curated the case and when: `provenance: {curator: <name or ORCID>, "
                "date: YYYY-MM-DD, status: draft | curated | reviewed}`.", False,
            )  # fmt: skip
        else:
            yield (
                "missing-field", pointer, f"`{missing}` is required in {where}.",
                f"add `{missing}:` here (see docs/curation.md).", False,
            )  # fmt: skip


def _explain_value(
    error: jsonschema.ValidationError, pointer: Pointer, where: str
) -> SchemaProblem:
    if error.validator in ("type", "const"):
        expected = error.schema.get("type", error.schema.get("const"))
        kind = TYPE_NAMES.get(str(expected), repr(expected))
        message = f"`{where}` is {error.instance!r}, not {kind}."
        return "wrong-type", pointer, message, f"write {kind} here (see docs/curation.md).", False
    if error.validator == "enum":
        choices = ", ".join(map(str, error.schema["enum"]))
        message = f"`{where}` is {error.instance!r}, not an allowed value."
        return "invalid-value", pointer, message, f"use one of: {choices}.", False
    if error.validator in ("pattern", "minLength", "format"):
        hint = FORMAT_HINTS.get(str(pointer[-1]) if pointer else "")
        fix = hint or error.schema.get("description", "see docs/curation.md for the format.")
        message = f"`{where}` is {error.instance!r}, which is not in the field's format."
        return "invalid-format", pointer, message, fix, False
    if error.validator in ("minimum", "maximum", "minItems", "maxItems"):
        fix = f"check the value against the paper ({error.validator}: {error.validator_value})."
    else:
        fix = error.schema.get("description", "see docs/curation.md for the field's values.")
    return "invalid-value", pointer, f"`{where}`: {error.message}.", fix, False


RULES: tuple[Rule, ...] = (
    rules.check_id_matches_file,
    rules.check_unique_ids,
    rules.check_dates,
    timeline_rules.check_timeline,
    timeline_rules.check_event_references,
    timeline_rules.check_order,
    rules.check_hpo_terms,
    rules.check_oncotree_codes,
    rules.check_labs,
    rules.check_antibodies,
    rules.check_contradictory_findings,
    rules.check_investigations,
    rules.check_responses,
    rules.check_secondary_report,
)
