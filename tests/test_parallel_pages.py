"""Running the pages of a case query in worker processes (kg/parallel_pages.py)."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from kg import parallel_pages
from kg.errors import QueryError
from kg.paths import CASES_DIR
from kg.queries import find_query, load_catalogue, parse_query_file
from kg.results import join_pages, serialize, to_table
from kg.store import EmbeddedStore
from tests.conftest import build_closed_store


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The eight curated cases built into a store on disk, closed so it opens read-only."""
    return build_closed_store(tmp_path_factory.mktemp("paged"))


@pytest.fixture
def eager(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One worker per page, on two cores; returns the worker count of each run in workers."""
    monkeypatch.setattr(parallel_pages, "PAGES_PER_WORKER", 1)
    monkeypatch.setattr(parallel_pages, "usable_cores", lambda: 2)
    runs: list[int] = []
    original = parallel_pages._run_in_workers

    def recording(directory, texts, fmt, workers):  # type: ignore[no-untyped-def]
        runs.append(workers)
        return original(directory, texts, fmt, workers)

    monkeypatch.setattr(parallel_pages, "_run_in_workers", recording)
    return runs


@pytest.mark.parametrize("output_format", ["csv", "tsv", "json", "xml"])
def test_pages_run_by_workers_join_into_one_run_of_the_whole_query(
    store_dir: Path, eager: list[int], output_format: str
) -> None:
    """Pages of one case each, run by two worker processes, join byte for byte into what one run
    of the unbound query writes, for every case query of the catalogue."""
    store = EmbeddedStore(store_dir, read_only=True)
    for query in load_catalogue().values():
        if not query.runs_by_pages:
            continue
        whole = serialize(store.query(query.bind({})), output_format)
        pages = parallel_pages.serialized_pages(store, query, {}, 1, output_format)
        assert b"".join(join_pages(pages, output_format)) == whole, query.name
    assert eager and set(eager) == {2}  # every query ran its eight pages on two workers
    store.close()


def test_pages_keep_case_id_order(store_dir: Path, eager: list[int]) -> None:
    """Each page holds its own case's rows, in case-id order, whichever worker finished first."""
    store = EmbeddedStore(store_dir, read_only=True)
    pages = list(parallel_pages.serialized_pages(store, find_query("case-timeline"), {}, 1, "tsv"))
    case_ids = sorted(case.stem for case in CASES_DIR.glob("*.yaml"))
    assert len(pages) == len(case_ids) == 8 and eager == [2]
    whole = serialize(store.query(find_query("case-timeline").bind({})), "tsv").decode()
    for case_id, page in zip(case_ids, pages, strict=True):
        rows = page.decode().splitlines()[1:]
        expected = [row for row in whole.splitlines()[1:] if row.startswith(f'"{case_id}"')]
        assert rows == expected, case_id
    assert sum(bool(page.decode().splitlines()[1:]) for page in pages) >= 2
    store.close()


def test_only_a_store_opened_read_only_on_disk_is_shared(
    store_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers open the store read-only: safe only while no process writes to it, so a store
    this process holds for writing (which may compact at any time) runs its pages here."""
    monkeypatch.setattr(parallel_pages, "usable_cores", lambda: 2)
    writable = EmbeddedStore(store_dir)
    assert parallel_pages.worker_count(writable, 1000) == 0
    writable.close()
    assert parallel_pages.worker_count(EmbeddedStore(), 1000) == 0  # in memory: nothing to open
    shared = EmbeddedStore(store_dir, read_only=True)
    # one worker per ten pages, at most one per core: 19 pages run here, 20 on two workers
    assert [parallel_pages.worker_count(shared, n) for n in (19, 20, 1000)] == [1, 2, 2]
    monkeypatch.setattr(parallel_pages, "usable_cores", lambda: 8)
    assert [parallel_pages.worker_count(shared, n) for n in (35, 1000)] == [3, 8]
    shared.close()


def test_a_page_that_fails_in_a_worker_fails_the_run(
    store_dir: Path, eager: list[int], tmp_path: Path
) -> None:
    """A worker's error comes back as it was raised there, and no worker is left running."""
    path = tmp_path / "broken.rq"
    path.write_text(
        "# title: Undeclared prefix\n"
        "# param: case (case, default: none) Only this case.\n"
        "SELECT ?caseId WHERE { VALUES ?case { UNDEF }\n"
        "  GRAPH ?case { ?case nope:caseId ?caseId } }\n"
        "ORDER BY ?caseId\n"
    )
    query = parse_query_file(path)
    store = EmbeddedStore(store_dir, read_only=True)
    with pytest.raises(QueryError, match="not valid SPARQL"):
        list(parallel_pages.serialized_pages(store, query, {}, 1, "csv"))
    assert eager == [2] and multiprocessing.active_children() == []
    store.close()


def test_stopping_early_leaves_no_worker_running(store_dir: Path, eager: list[int]) -> None:
    """Output closed after the first page (`kg query ... | head`): the rest are cancelled."""
    store = EmbeddedStore(store_dir, read_only=True)
    pages = parallel_pages.serialized_pages(store, find_query("case-timeline"), {}, 1, "csv")
    assert next(pages).startswith(b"caseId,")
    pages.close()
    assert eager == [2] and multiprocessing.active_children() == []
    store.close()


def test_queries_that_do_not_run_by_pages_are_refused_before_any_work(store_dir: Path) -> None:
    store = EmbeddedStore(store_dir, read_only=True)
    with pytest.raises(QueryError, match="runs whole"):
        next(
            parallel_pages.serialized_pages(
                store, find_query("tumour-dm-associations"), {}, 1, "csv"
            )
        )
    with pytest.raises(QueryError, match="unknown format"):
        next(parallel_pages.serialized_pages(store, find_query("case-timeline"), {}, 1, "table"))
    store.close()


def test_a_store_without_cases_still_gives_one_page(eager: list[int]) -> None:
    """No case, no page: one run of the unbound query, so the document still has its header."""
    pages = list(
        parallel_pages.serialized_pages(EmbeddedStore(), find_query("case-timeline"), {}, 1, "csv")
    )
    assert len(pages) == 1 and pages[0].startswith(b"caseId,sequence,") and eager == []


@pytest.mark.parametrize("output_format", ["table", "csv"])
def test_kg_query_prints_pages_run_by_workers(
    store_dir: Path, eager: list[int], output_format: str
) -> None:
    """`kg query` over every case, its eight pages run on two workers, prints what one run of
    the unbound query gives: the same bytes in csv, the same table."""
    from typer.testing import CliRunner

    from kg.cli import app, console, render_table

    store = EmbeddedStore(store_dir, read_only=True)
    whole = store.query(find_query("dm-classification").bind({}))
    if output_format == "csv":
        expected = serialize(whole, "csv")
    else:
        with console.capture() as captured:
            render_table(to_table(whole), title=find_query("dm-classification").title)
        expected = captured.get().encode()
    store.close()
    args = ["query", "dm-classification", "--page-size", "1", "-f", output_format]
    result = CliRunner().invoke(app, [*args, "--store", str(store_dir)])
    assert result.exit_code == 0, result.output
    assert eager == [2]
    assert result.stdout_bytes == expected and b"merry-2020-lms" in expected
