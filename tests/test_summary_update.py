"""A write of a few cases corrects the tumour-type summary instead of counting every case, and the
corrected summary is the one a full count gives: after removals, replacements and builds of
changed files (generated cases: many tumour types, sources and positive antibodies, plus second
reports of one paper, so that a source can stay with another case when one leaves)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pyoxigraph import NamedNode

from benchmarks.generate import generate_case, load_vocabulary, to_yaml
from kg import summary_update
from kg.build import build_graph
from kg.cases import add_cases, remove_case
from kg.rdf.vocab import KG
from kg.store import EmbeddedStore
from kg.tumour_summary import refresh_summary
from tests.test_tumour_summary import record_tallies, summary_rows

Rows = set[tuple[str, str, str]]


def full_count(store: EmbeddedStore) -> Rows:
    """The summary a count of every case gives (it leaves the store's summary at that)."""
    refresh_summary(store)
    return summary_rows(store)


@pytest.fixture
def cases(tmp_path: Path) -> Path:
    """24 generated cases, and two more reports of the paper of the first one."""
    folder = tmp_path / "cases"
    folder.mkdir()
    vocab = load_vocabulary()
    for index in range(24):
        data, made = generate_case(index, seed=11, vocab=vocab)
        (folder / f"{made.case_id}.yaml").write_text(to_yaml(data), encoding="utf-8")
    first = sorted(folder.glob("*.yaml"))[0]
    for suffix in ("b", "c"):
        text = first.read_text(encoding="utf-8")
        copy = text.replace(f"id: {first.stem}\n", f"id: {first.stem}-{suffix}\n")
        (folder / f"{first.stem}-{suffix}.yaml").write_text(copy, encoding="utf-8")
    return folder


@pytest.fixture
def store(tmp_path: Path, cases: Path) -> EmbeddedStore:
    built = EmbeddedStore(tmp_path / "store")
    build_graph(built, cases)
    return built


@pytest.fixture
def no_full_count(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Record every tally the writes make; a count of every case fails the test."""
    return record_tallies(monkeypatch, ("kg.summary_update.tally",), partial_only=True)


@pytest.mark.parametrize("rare_cases", [1000, 0], ids=["from-antibody", "from-tumour-type"])
def test_removing_cases_one_by_one_gives_what_a_full_count_gives(
    store: EmbeddedStore, cases: Path, monkeypatch: pytest.MonkeyPatch, rare_cases: int
) -> None:
    """Every case is removed in turn, the paper's second reports first (its source stays with
    the first report, then leaves with it); at each step the corrected summary is checked
    against a full count. Both ways of asking whether an antibody stays are checked: from its
    positive cases (every antibody is rare among 26 cases) and from the tumour type's cases."""
    monkeypatch.setattr(summary_update, "RARE_CASES", rare_cases)
    ids = sorted(path.stem for path in cases.glob("*.yaml"))
    first = ids[0]
    order = [f"{first}-b", f"{first}-c", *[i for i in ids if not i.startswith(f"{first}-")]]
    emptied, dropped_sources, dropped_antibodies = 0, 0, 0
    for case_id in order:
        before = summary_rows(store)
        with monkeypatch.context() as patch:
            patch.setattr("kg.summary_update.refresh_summary", _no_recount)
            remove_case(store, case_id)
        corrected = summary_rows(store)
        assert corrected == full_count(store), case_id
        emptied += len({s for s, _, _ in before} - {s for s, _, _ in corrected})
        dropped_sources += _shorter_lists(before, corrected, KG.dmSources)
        dropped_antibodies += _shorter_lists(before, corrected, KG.dmPositiveAntibodies)
    assert summary_rows(store) == set()
    # every kind of correction happened along the way, not only whole types going
    assert emptied and dropped_sources and dropped_antibodies


def _no_recount(store: EmbeddedStore) -> int:
    raise AssertionError("the removal fell back to counting every case")


def _shorter_lists(before: Rows, after: Rows, predicate: NamedNode) -> int:
    """How many types kept the statement but lost an item of its list."""
    old = {s: set(o.split(", ")) for s, p, o in before if p == predicate.value}
    new = {s: set(o.split(", ")) for s, p, o in after if p == predicate.value}
    return sum(1 for s, items in new.items() if items < old[s])


def test_a_source_stays_while_another_report_of_its_paper_does(
    store: EmbeddedStore, cases: Path
) -> None:
    first = sorted(path.stem for path in cases.glob("*.yaml"))[0]
    pmid = re.search(r'pmid: "(\d+)"', (cases / f"{first}.yaml").read_text()).group(1)  # type: ignore[union-attr]
    for case_id in (first, f"{first}-b"):
        remove_case(store, case_id)
        assert any(f"PMID:{pmid}" in o for _, _, o in summary_rows(store))  # the -c report has it
    remove_case(store, f"{first}-c")
    assert not any(f"PMID:{pmid}" in o for _, _, o in summary_rows(store))


def test_replacing_changed_cases_gives_what_a_full_count_gives(
    store: EmbeddedStore, cases: Path, no_full_count: list[object]
) -> None:
    """A corrected file replaces its case: one paper's PMID changes, one antibody becomes
    negative, so the old source and antibody leave while the new ones arrive."""
    files = sorted(cases.glob("*.yaml"))
    text = files[3].read_text(encoding="utf-8")
    files[3].write_text(re.sub(r'pmid: "\d+"', 'pmid: "39999999"', text), encoding="utf-8")
    text = files[5].read_text(encoding="utf-8")
    assert "result: positive" in text
    files[5].write_text(text.replace("result: positive", "result: negative", 1), encoding="utf-8")
    report = add_cases(store, [files[3], files[5]], replace=True)
    assert sorted(report.build.replaced) == sorted([files[3].stem, files[5].stem])
    assert len(no_full_count) == 2  # the old versions before the write, the new ones after it
    corrected = summary_rows(store)
    assert any("PMID:39999999" in o for _, _, o in corrected)
    assert corrected == full_count(store)


def test_a_build_of_changed_files_corrects_the_summary(
    store: EmbeddedStore, cases: Path, no_full_count: list[object]
) -> None:
    files = sorted(cases.glob("*.yaml"))
    text = files[7].read_text(encoding="utf-8")
    files[7].write_text(re.sub(r'pmid: "\d+"', 'pmid: "38888888"', text), encoding="utf-8")
    files[9].unlink()  # a build does not remove the cases of deleted files
    report = build_graph(store, cases)
    assert report.replaced == [files[7].stem]
    assert no_full_count == [[NamedNode(f"https://w3id.org/dmkg/case/{files[7].stem}")]] * 2
    assert summary_rows(store) == full_count(store)


def test_a_summary_that_did_not_count_a_leaving_case_is_counted_in_full(
    store: EmbeddedStore, cases: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A case graph written by hand after the summary was made is not in it, so removing the case
    cannot be corrected (its source is not in the summary's lists): the removal counts every
    case."""
    case = sorted(path.stem for path in cases.glob("*.yaml"))[4]
    graph = NamedNode(f"https://w3id.org/dmkg/case/{case}")
    quads = list(store.quads(graph))
    remove_case(store, case)
    store.replace_graph(graph, quads)  # by hand, as a SPARQL update would: no summary change
    recounts: list[object] = []

    def recount(target: EmbeddedStore) -> int:
        recounts.append(target)
        return refresh_summary(target)

    monkeypatch.setattr("kg.summary_update.refresh_summary", recount)
    remove_case(store, case)
    assert recounts == [store]
    assert summary_rows(store) == full_count(store)


def test_a_write_of_many_cases_counts_every_case(
    store: EmbeddedStore, cases: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(summary_update, "MOST_CASES", 1)
    tallied = record_tallies(monkeypatch)
    ids = sorted(path.stem for path in cases.glob("*.yaml"))[:2]
    for case_id in ids:
        remove_case(store, case_id)  # one case: corrected
    assert None not in tallied
    add_cases(store, [cases / f"{case_id}.yaml" for case_id in ids])  # two: counted in full
    assert tallied[-1] is None
    monkeypatch.setattr(summary_update, "MOST_CASES", 1000)
    monkeypatch.setattr(summary_update, "MOST_LEAVING", 1)
    for case_id in ids:
        path = cases / f"{case_id}.yaml"
        path.write_text(path.read_text(encoding="utf-8") + "# corrected\n", encoding="utf-8")
    tallied.clear()
    add_cases(store, [cases / f"{case_id}.yaml" for case_id in ids], replace=True)
    assert tallied == [None]  # two cases leave (their old versions): counted in full
    assert summary_rows(store) == full_count(store)
