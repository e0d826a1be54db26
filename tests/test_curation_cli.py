"""The curator's commands as a curator runs them: validate, add, remove, list, show, case new."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from pyoxigraph import Store as OxStore
from typer.testing import CliRunner, Result

from kg.cli_curation import commands
from kg.paths import CASES_DIR
from kg.rdf.vocab import CASE_BASE, KG, case_graph

DATA = Path(__file__).parent / "data" / "cases"
SHORT_CASE = DATA / "valid" / "short-founding.yaml"
ISSUE_LINE = re.compile(
    r"^(?P<path>\S+):(?P<line>\d+):(?P<col>\d+): error \[(?P<rule>[a-z0-9-]+)\] "
)


def run(*args: str | Path) -> Result:
    """Run a `kg` curation command the way the console script does."""
    return CliRunner().invoke(commands, [str(a) for a in args])


def case_copy(
    folder: Path, case_id: str, source: Path = SHORT_CASE, **changes: tuple[str, str]
) -> Path:
    """Copy a case file under a new id, with text replacements (old=new given as pairs)."""
    text = source.read_text(encoding="utf-8")
    text = re.sub(r"^id: .*$", f"id: {case_id}", text, count=1, flags=re.MULTILINE)
    for old, new in changes.values():
        assert old in text, old
        text = text.replace(old, new)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{case_id}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def stored(store: Path) -> dict[str, int]:
    """Read the store without locking it: quads per case graph."""
    ox = OxStore.read_only(str(store))
    counts: dict[str, int] = {}
    for quad in ox.quads_for_pattern(None, None, None, None):
        name = quad.graph_name.value  # type: ignore[union-attr]
        if name.startswith(CASE_BASE):
            counts[name.removeprefix(CASE_BASE)] = counts.get(name.removeprefix(CASE_BASE), 0) + 1
    return counts


def dump(store: Path) -> list[str]:
    """Every quad of the store as sorted N-Quads lines."""
    ox = OxStore.read_only(str(store))
    return sorted(str(quad) for quad in ox.quads_for_pattern(None, None, None, None))


# --- validate ------------------------------------------------------------------------------------


def test_validate_exits_0_on_the_real_cases() -> None:
    result = run("validate", CASES_DIR)
    assert result.exit_code == 0, result.output
    assert "0 with errors" in result.stderr


def test_validate_exits_1_and_reports_every_problem_of_every_file_with_a_fix(
    tmp_path: Path,
) -> None:
    bad = case_copy(tmp_path, "two-faults", a=("hpo: HP:0025508", "hpo: HP:0025805"),
                    b=("unit: U/L", "unit: units per litre"))  # fmt: skip
    result = run("validate", bad, DATA / "invalid" / "unknown-antibody.yaml", SHORT_CASE)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    found = [(m["path"], m["rule"]) for m in map(ISSUE_LINE.match, lines) if m]
    assert sorted(rule for _, rule in found) == [
        "invalid-unit",
        "unknown-antibody",
        "unknown-hpo-id",
    ]
    assert all(
        lines[lines.index(line) + 1].startswith("    fix: ")
        for line in lines
        if ISSUE_LINE.match(line)
    )
    assert "did you mean HP:0025508 Gottron's papules" in result.stdout
    assert "3 file(s) checked, 2 with errors" in result.stderr


def test_validate_exits_2_when_it_cannot_run(tmp_path: Path) -> None:
    assert run("validate", tmp_path / "missing.yaml").exit_code == 2
    assert run("validate", tmp_path).exit_code == 2  # a folder without case files


def test_validate_json_lists_issues_for_tools() -> None:
    result = run("validate", "--format", "json", DATA / "invalid" / "invalid-unit.yaml")
    assert result.exit_code == 1
    (issue,) = json.loads(result.stdout)
    assert issue["rule"] == "invalid-unit" and issue["line"] > 1 and issue["fix"]


# --- add, idempotence, replace, provenance ----------------------------------------------------


def test_add_records_provenance_and_adding_again_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KG_USER", "curator-a")
    store = tmp_path / "store"
    first = run("add", "--store", store, SHORT_CASE)
    assert first.exit_code == 0, first.output
    assert "1 added, 0 replaced, 0 unchanged, from 1 file(s)" in first.stdout
    before = dump(store)
    again = run("add", "--store", store, SHORT_CASE)
    assert again.exit_code == 0 and "0 added, 0 replaced, 1 unchanged" in again.stdout
    assert dump(store) == before
    provenance = {
        line.split(" ")[1]: line
        for line in before
        if line.startswith(f"<{case_graph('short-founding').value}> ")
    }
    checksum = hashlib.sha256(SHORT_CASE.read_bytes()).hexdigest()
    assert f'"{checksum}"' in provenance[f"<{KG.sourceChecksum.value}>"]
    assert '"curator-a"' in provenance[f"<{KG.addedBy.value}>"]
    assert "short-founding.yaml" in provenance[f"<{KG.sourceFile.value}>"]
    assert "dateTime" in provenance[f"<{KG.addedAt.value}>"]


def test_a_different_case_under_a_stored_id_is_refused_unless_replace(tmp_path: Path) -> None:
    store = tmp_path / "store"
    assert run("add", "--store", store, SHORT_CASE).exit_code == 0
    before = dump(store)
    changed = case_copy(tmp_path / "changed", "short-founding", a=("age: 43", "age: 44"))
    refused = run("add", "--store", store, changed)
    assert refused.exit_code == 1
    assert "[case-exists]" in refused.stderr and "--replace" in refused.stderr
    assert dump(store) == before
    replaced = run("add", "--store", store, "--replace", changed)
    assert replaced.exit_code == 0 and "0 added, 1 replaced" in replaced.stdout
    assert any('"44"' in line for line in dump(store))


def test_a_batch_with_one_bad_file_adds_nothing_and_names_the_file(tmp_path: Path) -> None:
    store = tmp_path / "store"
    run("add", "--store", store, SHORT_CASE)
    before = dump(store)
    folder = tmp_path / "batch"
    for n in range(3):
        case_copy(folder, f"good-{n}")
    shutil.copy(DATA / "invalid" / "invalid-unit.yaml", folder / "invalid-unit.yaml")
    result = run("add", "--store", store, folder)
    assert result.exit_code == 1
    assert "invalid-unit.yaml:" in result.stderr and "[invalid-unit]" in result.stderr
    assert "nothing was changed" in result.stderr
    assert dump(store) == before


def test_two_files_with_one_id_in_a_batch_are_refused(tmp_path: Path) -> None:
    one = case_copy(tmp_path / "a", "same-id")
    other = case_copy(tmp_path / "b", "same-id", a=("age: 43", "age: 50"))
    result = run("add", "--store", tmp_path / "store", one, other)
    assert result.exit_code == 1 and "[repeated-case-id]" in result.stderr
    assert not (tmp_path / "store").exists() or stored(tmp_path / "store") == {}


def test_bulk_add_of_a_folder_shows_progress_and_a_summary(tmp_path: Path) -> None:
    folder = tmp_path / "bulk"
    for n in range(5):
        case_copy(folder, f"bulk-{n}", a=("age: 43", f"age: {20 + 10 * n}"))
    result = run("add", "--store", tmp_path / "store", folder)
    assert result.exit_code == 0, result.output
    assert re.search(r"validate .* 5/5", result.stderr) and re.search(
        r"write .* 5/5", result.stderr
    )
    assert "5 added, 0 replaced, 0 unchanged, from 5 file(s)" in result.stdout
    assert sorted(stored(tmp_path / "store")) == [f"bulk-{n}" for n in range(5)]


# --- likely duplicates --------------------------------------------------------------------------


def test_a_likely_duplicate_is_reported_for_review_and_not_merged(tmp_path: Path) -> None:
    store = tmp_path / "store"
    assert run("add", "--store", store, SHORT_CASE).exit_code == 0
    review = case_copy(
        tmp_path / "review", "smith-2022-review",
        a=('pmid: "32864095"', 'pmid: "35000001"'),
        b=("doi: 10.1186/s13569-020-00140-w", "doi: 10.1000/review.2022"),
        c=("age: 43", "age: 44"),
    )  # fmt: skip
    result = run("add", "--store", store, review)
    assert result.exit_code == 0, result.output
    assert "1 likely duplicate(s) to review (not merged)" in result.stdout
    assert "warning [likely-duplicate]" in result.stdout
    assert "`short-founding`" in result.stdout and "`smith-2022-review`" in result.stdout
    assert sorted(stored(store)) == ["short-founding", "smith-2022-review"]
    unrelated = case_copy(tmp_path / "other", "male-patient", a=("sex: female", "sex: male"))
    assert "likely duplicate" not in run("add", "--store", store, unrelated).stdout


# --- remove, list, show -------------------------------------------------------------------------


def test_list_show_and_remove(tmp_path: Path) -> None:
    store = tmp_path / "store"
    run("add", "--store", store, SHORT_CASE, CASES_DIR / "merry-2020-lms.yaml")
    listed = run("list", "--store", store, "--format", "csv")
    assert listed.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(listed.stdout)))
    assert [row["case"] for row in rows] == ["merry-2020-lms", "short-founding"]
    assert rows[0]["tumours"] == "LMS" and rows[0]["sex"] == "female" and rows[0]["age"] == "43"
    assert "merry-2020-lms" in run("list", "--store", store).stdout
    shown = run("show", "--store", store, "merry-2020-lms")
    assert shown.exit_code == 0
    for expected in (
        "PMID 32864095", "female, 43 years", "LMS Leiomyosarcoma", "Gottron's papules",
        "no Dysphagia", "creatine kinase 695 U/L [25-200] (high)", "TIF1-gamma: positive",
        "not done: potential risk", "sha256", "day 84..279",
    ):  # fmt: skip
        assert expected in shown.stdout, expected
    removed = run("remove", "--store", store, "short-founding")
    assert removed.exit_code == 0 and "removed `short-founding`" in removed.stdout
    assert sorted(stored(store)) == ["merry-2020-lms"]


def test_remove_and_show_of_an_unknown_case_exit_2(tmp_path: Path) -> None:
    store = tmp_path / "store"
    run("add", "--store", store, SHORT_CASE)
    for command in ("remove", "show"):
        result = run(command, "--store", store, "no-such-case")
        assert result.exit_code == 2 and "no case `no-such-case`" in result.stderr


# --- case new -----------------------------------------------------------------------------------

FILLED = {
    ("patient", "sex"): "female", ("patient", "age"): 43,
    ("patient", "evidence"): "A 43-year-old, previously healthy Caucasian female",
    ("neoplasms", 0, "oncotree"): "LMS", ("neoplasms", 0, "label"): "Leiomyosarcoma",
    ("neoplasms", 0, "evidence"): "revealed grade 2 leiomyosarcoma",
    ("timeline", "events", 0, "label"): "Presentation with rash and weakness",
    ("timeline", "events", 0, "evidence"): "the patient presented acutely unwell",
    ("findings", 0, "hpo"): "HP:0025508", ("findings", 0, "label"): "Gottron's papules",
    ("findings", 0, "evidence"): "periungual erythema and Gottron’s papules were noted",
}  # fmt: skip


def _fill(data: Any, pointer: tuple[str | int, ...] = ()) -> Any:
    if isinstance(data, dict):
        return {key: _fill(value, (*pointer, key)) for key, value in data.items()}
    if isinstance(data, list):
        return [_fill(value, (*pointer, index)) for index, value in enumerate(data)]
    return FILLED.get(pointer, data)


def test_case_new_writes_a_template_that_validates_once_filled_in(tmp_path: Path) -> None:
    result = run(
        "case", "new", "--pmid", "32864095", "--title", "Paraneoplastic dermatomyositis",
        "--year", "2020", "--author", "Merry E", "--author", "Smrke A", "--dir", tmp_path,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    path = tmp_path / "merry-2020.yaml"
    first = run("validate", path)
    assert first.exit_code == 1
    rules = {m["rule"] for m in map(ISSUE_LINE.match, first.stdout.splitlines()) if m}
    assert rules == {"unfilled-placeholder"}
    placeholders = first.stdout.count("[unfilled-placeholder]")
    assert placeholders == len(FILLED)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["publication"] == {"pmid": "32864095", "title": "Paraneoplastic dermatomyositis",
                                   "year": 2020, "authors": ["Merry E", "Smrke A"]}  # fmt: skip
    path.write_text(yaml.safe_dump(_fill(data), allow_unicode=True), encoding="utf-8")
    filled = run("validate", path)
    assert filled.exit_code == 0, filled.output
    again = run("case", "new", "--pmid", "32864095", "--title", "T", "--year", "2020",
                "--author", "Merry E", "--dir", tmp_path)  # fmt: skip
    assert again.exit_code == 0 and (tmp_path / "merry-2020-2.yaml").exists()


def test_case_new_refuses_without_a_source_or_over_an_existing_file(tmp_path: Path) -> None:
    assert run("case", "new", "--title", "No source", "--dir", tmp_path).exit_code == 2
    args = ("case", "new", "--doi", "10.1000/x", "--title", "T", "--id", "taken", "--dir", tmp_path)
    assert run(*args).exit_code == 0
    refused = run(*args)
    assert refused.exit_code == 2 and "exists already" in refused.stderr
