"""Reading YAML with positions: the data is what PyYAML's safe loader gives, dates left as text.

parse_yaml builds most documents in one walk of its own (kg/curation/source.py) and hands the
rest to PyYAML's constructor; either way the data and the positions must be those of PyYAML's
safe loader and of a plain walk over the composed nodes.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kg.curation.source import SourceDocument, _record_positions, _StringDateLoader, parse_yaml
from kg.curation.validate import validate_file
from kg.paths import CASES_DIR, CLAIMS_DIR

DATA = Path(__file__).parent / "data" / "cases"
CURATED = [*sorted(CASES_DIR.glob("*.yaml")), *sorted(CLAIMS_DIR.glob("*.yaml"))]
# The invalid files the validation tests read, which include YAML errors and odd shapes.
FIXTURES = sorted(DATA.glob("*/*.yaml"))

# Documents the one-walk builder does not handle itself, and forms of scalars whose meaning comes
# from PyYAML's resolvers; each must read exactly as PyYAML reads it.
EDGE_DOCUMENTS = {
    "alias": "a: &x {b: 1}\nc: *x\n",
    "merge key": "base: &b {x: 1, y: 2}\nmore:\n  <<: *b\n  y: 3\n",
    "binary": "blob: !!binary aGVsbG8=\n",
    "explicit timestamp": "when: !!timestamp 2020-01-02\n",
    "implicit date stays text": "date: 2020-01-02\n",
    "numbers": "a: 0x1F\nb: 1_000\nc: .inf\nd: -1.5e+3\ne: 017\nf: '12'\ng: -.5e3\n",
    "booleans and nulls": "a: yes\nb: Off\nc: ~\nd: null\ne:\nf: 'true'\n",
    "integer keys": "1: one\n2:\n  - x\n",
    "explicit str": "a: !!str 123\n",
    "duplicate key": "a: 1\na: 2\n",
    "complex key": "? [a, b]\n: 1\n",
    "set": "!!set {a, b}\n",
    "top-level list": "- 1\n- [2, 3]\n",
    "scalar document": "just text\n",
}


def _pyyaml_reading(text: str) -> SourceDocument:
    """Read text the plain way: PyYAML's constructor, then a walk recording every position."""
    doc = SourceDocument(path=Path("x.yaml"), data=None)
    loader = _StringDateLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            doc.data = loader.construct_document(node)
            _record_positions(node, (), doc)
    finally:
        loader.dispose()
    return doc


def _assert_same_reading(text: str) -> None:
    try:
        expected = _pyyaml_reading(text)
    except yaml.YAMLError as error:
        with pytest.raises(type(error)):
            parse_yaml(text, Path("x.yaml"))
        return
    got = parse_yaml(text, Path("x.yaml"))
    assert got.data == expected.data
    assert type(got.data) is type(expected.data)
    assert got.positions == expected.positions
    assert got.key_positions == expected.key_positions


@pytest.mark.parametrize("path", CURATED, ids=lambda p: p.name)
def test_curated_files_read_as_pyyaml_reads_them(path: Path) -> None:
    _assert_same_reading(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_fixture_files_read_as_pyyaml_reads_them(path: Path) -> None:
    _assert_same_reading(path.read_bytes().decode("utf-8", errors="replace"))


@pytest.mark.parametrize("name", sorted(EDGE_DOCUMENTS))
def test_edge_documents_read_as_pyyaml_reads_them(name: str) -> None:
    _assert_same_reading(EDGE_DOCUMENTS[name])


def test_scalar_types_follow_pyyaml() -> None:
    data = parse_yaml(EDGE_DOCUMENTS["numbers"], Path("x.yaml")).data
    # YAML 1.1 as PyYAML reads it: 017 is octal, and "-.5e3" is text (no digit before the point).
    expected = {"a": 31, "b": 1000, "c": float("inf"), "d": -1500.0, "e": 15, "f": "12"}
    assert data == {**expected, "g": "-.5e3"}
    assert parse_yaml("date: 2020-01-02\n", Path("x.yaml")).data == {"date": "2020-01-02"}


def test_an_alias_is_read_with_its_positions() -> None:
    doc = parse_yaml(EDGE_DOCUMENTS["alias"], Path("x.yaml"))
    assert doc.data == {"a": {"b": 1}, "c": {"b": 1}}
    assert doc.position(("c", "b")) == (1, 11)  # where the anchored node was written
    assert doc.position(("c",), key=True) == (2, 1)


def test_a_list_as_a_key_is_a_yaml_error() -> None:
    """PyYAML refuses it while building the data; it must not fail while recording positions."""
    with pytest.raises(yaml.YAMLError, match="unhashable key"):
        parse_yaml(EDGE_DOCUMENTS["complex key"], Path("x.yaml"))


def test_an_unknown_tag_is_still_a_yaml_error() -> None:
    with pytest.raises(yaml.YAMLError, match="could not determine a constructor"):
        parse_yaml("a: !custom 1\n", Path("x.yaml"))


def test_a_case_file_with_a_list_as_a_key_is_reported_not_crashed_on(tmp_path: Path) -> None:
    path = tmp_path / "odd.yaml"
    path.write_text("id: odd\n? [a, b]\n: 1\n", encoding="utf-8")
    result = validate_file(path)
    assert [(issue.rule, issue.line) for issue in result.issues] == [("yaml-syntax", 2)]
    assert "unhashable key" in result.issues[0].message
