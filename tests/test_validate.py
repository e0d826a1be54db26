"""Each bad case file gets exactly its rule at its line, with a fix, and leaves the store alone.

tests/data/cases/invalid/<rule>.yaml is the valid short founding case (data/cases/valid/) with one
fault; its first line says which rule must fire at which line. The docs' rule table, the rules the
code can emit, the SHACL shapes and these files are kept in step here.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pyoxigraph import Literal, NamedNode, Quad

from kg import prepare
from kg.build import InvalidCases
from kg.cases import add_cases, check_paths, validate_paths
from kg.curation import controlled
from kg.curation.case_file import CaseFile
from kg.curation.shapes import find_violations, locate, shape_rules
from kg.curation.timeline import VAGUE_AMOUNTS
from kg.curation.validate import case_schema, validate_file
from kg.issues import display_path
from kg.paths import CASES_DIR, PROJECT_ROOT
from kg.rdf.convert import convert_case
from kg.rdf.vocab import KG, RDF, XSD
from kg.store import EmbeddedStore

DATA = Path(__file__).parent / "data" / "cases"
INVALID = sorted((DATA / "invalid").glob("*.yaml"))
SHORT_CASE = DATA / "valid" / "short-founding.yaml"
EXPECT = re.compile(rb"^# expect: (?P<rule>[a-z0-9-]+) at line (?P<line>[0-9]+)\n")
# Rules about a batch or the store, not one file; tests/test_curation_cli.py triggers each.
BATCH_RULES = {"repeated-case-id", "case-exists", "likely-duplicate"}
RULE_SOURCES = [
    PROJECT_ROOT / "kg" / "curation" / name
    for name in ("validate.py", "rules.py", "timeline_rules.py", "reporter.py")
] + [PROJECT_ROOT / "kg" / "build.py", PROJECT_ROOT / "kg" / "cases.py"]


def expectation(path: Path) -> tuple[str, int]:
    """Read the rule and line a bad file must produce from its first line."""
    match = EXPECT.match(path.read_bytes())
    assert match, f"{path.name}: first line must be '# expect: <rule-id> at line N'"
    return match["rule"].decode(), int(match["line"])


def sorted_dump(store: EmbeddedStore, path: Path) -> list[bytes]:
    """Dump the whole store as N-Quads and sort the lines (order is not meaningful)."""
    store.dump(path)
    return sorted(path.read_bytes().splitlines())


def test_there_are_at_least_25_distinct_faults_each_named_by_its_rule() -> None:
    rules = [expectation(path)[0] for path in INVALID]
    assert len(set(rules)) == len(rules) >= 25
    assert [path.stem for path in INVALID] == rules


def test_the_short_founding_case_they_are_made_from_is_valid() -> None:
    result = validate_file(SHORT_CASE)
    assert [str(issue) for issue in result.issues] == []


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_bad_file_gives_exactly_its_rule_at_its_line(path: Path) -> None:
    rule, line = expectation(path)
    result = validate_file(path)
    assert [(issue.rule, issue.line) for issue in result.issues] == [(rule, line)]
    issue = result.issues[0]
    assert issue.is_error and not result.ok
    head = f"{display_path(path)}:{line}:{issue.column}: error [{rule}] "
    assert str(issue).startswith(head)
    assert "\n    fix: " in str(issue) and issue.fix.strip() and issue.fix != issue.message


@pytest.fixture(scope="module")
def seeded_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStore]:
    """An on-disk store holding the short founding case (bad files must leave it as it is)."""
    store = EmbeddedStore(tmp_path_factory.mktemp("seeded") / "store")
    add_cases(store, [SHORT_CASE])
    yield store
    store.close()


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_bad_file_is_refused_by_add_and_leaves_the_store_as_it_was(
    path: Path, seeded_store: EmbeddedStore, tmp_path: Path
) -> None:
    rule, line = expectation(path)
    before = sorted_dump(seeded_store, tmp_path / "before.nq")
    with pytest.raises(InvalidCases) as refused:
        add_cases(seeded_store, [SHORT_CASE, path], replace=True)
    assert [(i.path, i.rule, i.line) for i in refused.value.issues] == [
        (display_path(path), rule, line)
    ]
    assert sorted_dump(seeded_store, tmp_path / "after.nq") == before


def test_every_real_case_validates_clean_as_one_batch() -> None:
    checked = validate_paths(sorted(CASES_DIR.glob("*.yaml")))
    assert [str(issue) for result in checked for issue in result.issues] == []


def test_checking_a_folder_on_both_cores_reports_what_one_core_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # every invalid file, the valid short case and a second file with its id (a batch problem)
    twin = tmp_path / "twin.yaml"
    twin.write_text(SHORT_CASE.read_text(encoding="utf-8"), encoding="utf-8")
    files = [*INVALID, SHORT_CASE, twin]
    monkeypatch.setattr(prepare, "PARALLEL_MIN_FILES", 4)  # use the worker pool with few files
    monkeypatch.setattr(prepare, "CHUNK_FILES", 8)

    def found(results: list[Any]) -> list[tuple[str, str, int | None, bool]]:
        return [(i.path, i.rule, i.line, r.ok) for r in results for i in r.issues]

    parallel = found(check_paths(files))
    assert parallel == found(validate_paths(files))
    assert (display_path(twin), "repeated-case-id", 3, False) in parallel  # its id line
    assert len({path for path, *_ in parallel}) == len(INVALID) + 1  # the twin, not the original


def test_every_problem_of_a_file_is_reported_in_one_run(tmp_path: Path) -> None:
    text = SHORT_CASE.read_text(encoding="utf-8").replace("id: short-founding", "id: many")
    faults = {
        "hpo: HP:0025508": "hpo: HP:0025805", "unit: U/L": "unit: units",
        "antibody: TIF1-gamma": "antibody: TIF1g", "date: 2026-11-23": "date: 2026-02-30",
    }  # fmt: skip
    for old, new in faults.items():
        text = text.replace(old, new)
    (tmp_path / "many.yaml").write_text(text, encoding="utf-8")
    rules = [issue.rule for issue in validate_file(tmp_path / "many.yaml").issues]
    assert sorted(rules) == ["invalid-date", "invalid-unit", "unknown-antibody", "unknown-hpo-id"]


# --- SHACL, the second line of defence ----------------------------------------------------------


def _short_case() -> CaseFile:
    result = validate_file(SHORT_CASE)
    assert result.case is not None
    return result.case


def _node(case: CaseFile, *path: str) -> str:
    return "/".join(["https://w3id.org/dmkg/case", case.case_id, *path])


Mutation = Callable[[CaseFile, list[Quad]], list[Quad]]


def _drop(predicate: NamedNode, subject: str | None = None) -> Mutation:
    def mutate(case: CaseFile, quads: list[Quad]) -> list[Quad]:
        focus = NamedNode(_node(case, subject)) if subject else None
        hit = [q for q in quads if q.predicate == predicate and focus in (None, q.subject)]
        return [q for q in quads if q not in hit]

    return mutate


def _set(subject: str, predicate: NamedNode, value: NamedNode | Literal) -> Mutation:
    def mutate(case: CaseFile, quads: list[Quad]) -> list[Quad]:
        node = NamedNode(_node(case, *subject.split("/")))
        kept = [q for q in quads if not (q.subject == node and q.predicate == predicate)]
        return [*kept, Quad(node, predicate, value, quads[0].graph_name)]

    return mutate


def _add(subject: str, predicate: NamedNode, value: NamedNode) -> Mutation:
    def mutate(case: CaseFile, quads: list[Quad]) -> list[Quad]:
        node = NamedNode(_node(case, *subject.split("/")))
        return [*quads, Quad(node, predicate, value, quads[0].graph_name)]

    return mutate


def _case_level(predicate: NamedNode) -> Mutation:
    def mutate(case: CaseFile, quads: list[Quad]) -> list[Quad]:
        return [
            q
            for q in quads
            if not (q.subject == NamedNode(_node(case)) and q.predicate == predicate)
        ]

    return mutate


def _decimal(text: str) -> Literal:
    return Literal(text, datatype=XSD.decimal)


def _integer(text: str) -> Literal:
    return Literal(text, datatype=XSD.integer)


# One mutation of the short founding case's RDF per shape: each shape must be seen to fire.
SHAPE_FAULTS: dict[str, Mutation] = {
    "shacl-case-id": _case_level(KG.caseId),
    "shacl-case-source": _case_level(KG.reportedIn),
    "shacl-case-patient": _case_level(KG.hasPatient),
    "shacl-case-curator": _case_level(KG.curator),
    "shacl-case-curation-date": _case_level(KG.curationDate),
    "shacl-case-hpo-version": _case_level(KG.hpoVersion),
    "shacl-case-oncotree-version": _case_level(KG.oncotreeVersion),
    "shacl-publication-id": lambda c, q: _drop(KG.doi)(c, _drop(KG.pmid)(c, q)),
    "shacl-publication-title": _drop(KG.title),
    "shacl-patient-sex": _drop(KG.sex),
    "shacl-evidence": _drop(KG.evidence, "findings/knee-pain"),
    "shacl-fact-event": _set("findings/knee-pain", KG.atEvent, NamedNode("https://example.org/x")),
    "shacl-neoplasm-type": _drop(RDF.type, "neoplasm/lms"),
    "shacl-finding-phenotype": _drop(KG.phenotype, "findings/knee-pain"),
    "shacl-finding-status": _add("findings/knee-pain", RDF.type, KG.ExcludedFinding),
    "shacl-lab-value-unit": _drop(KG.unit),
    "shacl-lab-range": _set("labs/ck", KG.referenceLow, _decimal("300")),
    "shacl-decimal-form": _set("labs/ck", KG.referenceHigh, _decimal("2E+2")),
    "shacl-lab-interpretation": _set("labs/ck", KG.interpretation, Literal("raised")),
    "shacl-antibody-result": _set("antibodies/tif1-gamma", KG.antibodyResult, Literal("equivocal")),
    "shacl-investigation-done": _drop(KG.notDoneReason),
    "shacl-treatment-agent": _drop(KG.agentName),
    "shacl-event-placement": _drop(KG.anchor, "event/doxorubicin-start"),
    "shacl-event-bounds": _set("event/lms-diagnosis", KG.earliestDay, _integer("5")),
}  # fmt: skip


def test_every_shape_has_a_fault_that_makes_it_fire() -> None:
    assert sorted(SHAPE_FAULTS) == shape_rules()


def test_the_converted_short_case_conforms() -> None:
    assert find_violations(convert_case(_short_case())) == []


@pytest.mark.parametrize("rule", sorted(SHAPE_FAULTS))
def test_shape_fires_and_is_located_in_the_case_file(rule: str) -> None:
    case = _short_case()
    violations = find_violations(SHAPE_FAULTS[rule](case, convert_case(case)))
    fired = [v for v in violations if v.rule == rule]
    assert fired, f"{rule} did not fire; got {[v.rule for v in violations]}"
    for violation in fired:
        line, _ = case.doc.position(locate(case, violation.focus, violation.predicate))
        assert line >= 3 and violation.fix and violation.message  # not the comment lines


def test_a_shape_violation_points_at_the_line_of_the_fact() -> None:
    case = _short_case()
    quads = SHAPE_FAULTS["shacl-decimal-form"](case, convert_case(case))
    # "2E+2"^^xsd:decimal is ill-typed, so shacl-lab-range also fires: SHACL counts values that
    # cannot be compared as violations of sh:lessThanOrEquals.
    by_rule = {v.rule: v for v in find_violations(quads)}
    assert sorted(by_rule) == ["shacl-decimal-form", "shacl-lab-range"]
    violation = by_rule["shacl-decimal-form"]
    pointer = locate(case, violation.focus, violation.predicate)
    assert pointer == ("labs", 0, "reference_range")
    assert case.doc.position(pointer)[0] == _line_of(SHORT_CASE, "reference_range:")


def _line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text("utf-8").splitlines(), 1) if text in line)


# --- the docs' rule table is the set of rules the code emits ------------------------------------


def _documented_rules() -> set[str]:
    text = (PROJECT_ROOT / "docs" / "curation.md").read_text(encoding="utf-8")
    rules_section = text.split("\n## Validation rules\n", 1)[1]
    return set(re.findall(r"^\| `([a-z0-9-]+)` \|", rules_section, flags=re.MULTILINE))


def _emitted_rules() -> set[str]:
    """Rule ids written in the code where an issue is made (found by reading the syntax tree)."""
    found: set[str] = set()
    for path in RULE_SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            found |= _rule_literals(node)
    return found


def _rule_literals(node: ast.AST) -> set[str]:
    candidates: list[ast.expr] = []
    if isinstance(node, ast.Call):
        name = getattr(node.func, "attr", getattr(node.func, "id", ""))
        if name in ("error", "warning") and len(node.args) >= 2:
            candidates.append(node.args[1])
        if name == "Issue" and len(node.args) >= 4:
            candidates.append(node.args[3])
    returned = node.value if isinstance(node, ast.Yield | ast.Return) else None
    if isinstance(returned, ast.Tuple) and len(returned.elts) == 5:  # the schema stage's problems
        candidates.append(returned.elts[0])
    return {c.value for c in candidates if isinstance(c, ast.Constant) and isinstance(c.value, str)}


def test_docs_list_every_rule_the_code_emits_and_no_other() -> None:
    emitted = _emitted_rules() | set(shape_rules())
    assert _documented_rules() == emitted


def test_every_file_rule_has_a_bad_file_and_every_other_rule_a_test() -> None:
    with_files = {expectation(path)[0] for path in INVALID}
    assert _emitted_rules() - with_files == BATCH_RULES


def _schema_fields(node: dict[str, Any]) -> set[str]:
    """Every property name anywhere in the case file schema."""
    found: set[str] = set()
    for name, child in node.get("properties", {}).items():
        found |= {name} | _schema_fields(child)
    if isinstance(node.get("items"), dict):
        found |= _schema_fields(node["items"])
    return found


def test_docs_describe_every_field_every_antibody_key_and_every_vague_word() -> None:
    text = (PROJECT_ROOT / "docs" / "curation.md").read_text(encoding="utf-8")
    prose = re.sub(r"^```.*?^```", "", text, flags=re.MULTILINE | re.DOTALL)  # not the examples
    quoted = set(re.findall(r"`([^`]+)`", prose))
    words = set(re.findall(r"[a-z_]+", " ".join(quoted)))
    assert _schema_fields(case_schema()) - words == set()
    assert set(controlled.ANTIBODIES) - quoted == set()
    for word, (low, high) in VAGUE_AMOUNTS.items():
        assert f"`{word}`" in text and (f"| {low} |" in text or f"| {low} to {high} |" in text)
