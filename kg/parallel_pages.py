"""Run the pages of a case query over every case on every core, each page serialized by a worker.

`kg query NAME` over every case runs one page of cases at a time so that its memory stays that of
a page (kg/queries.py). A page's cost is Oxigraph's, on one core: evaluating the page and decoding
the terms it returns. Pages do not depend on each other, so worker processes that open the store
read-only run them side by side and hand each page back serialized, which is all the command does
with it. Pages come back in case-id order, and only a few are held at any time
(``IN_FLIGHT_PER_WORKER``). Over 10,000 cases on two cores this took `bohan-peter-sparql` from
14.7 s to 7.2 s and `case-timeline` from 7.3 s to 4.3 s (queries/README.md).

The workers read the store as this process does, read-only, which assumes, as any read-only open
does, that no other process writes to it meanwhile. A store this process holds for writing is not
shared: it may compact at any time, and RocksDB leaves a reader undefined while that happens.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections import deque
from collections.abc import Generator, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import cache
from pathlib import Path

from kg.cores import usable_cores
from kg.errors import QueryError, StoreError
from kg.queries import NamedQuery, page_texts
from kg.results import SOLUTION_FORMATS, serialize
from kg.store.base import Store
from kg.store.embedded import EmbeddedStore

# Pages each worker should have to run before one is started: a worker costs about 0.2 s to start
# (Python, the package, opening the store), and at 1,000 cases (10 pages) dm-cancer-interval took
# 0.33 s on two workers against 0.16 s in one process, bohan-peter-sparql 0.8 s against 1.4 s.
PAGES_PER_WORKER = 10
# Pages submitted ahead of the one being written, per worker: enough that no worker waits for the
# next page, few enough that a slow reader of the output does not make the pages pile up.
IN_FLIGHT_PER_WORKER = 2


def serialized_pages(
    store: Store, query: NamedQuery, values: dict[str, str], size: int, fmt: str
) -> Generator[bytes, None, None]:
    """Run a case query over every case page by page, yielding each page serialized, in order.

    :param store: the store; an embedded store opened read-only runs its pages on every core.
    :param query: a query that runs by pages (see ``NamedQuery.runs_by_pages``).
    :param values: its other parameters, as typed on the command line.
    :param size: cases per page.
    :param fmt: a format for solutions: csv, tsv, json or xml.
    :returns: one document per page, each with its own header, as one run of that page gives; a
        store without cases gives one run of the unbound query.
    :raises QueryError: for a query that does not run by pages, a ``case`` value given as well,
        a bad value, a page size below 1, or a format that is not for solutions.
    :raises StoreError: when a worker process stops without finishing its page.
    """
    if fmt not in SOLUTION_FORMATS:
        raise QueryError(
            f"unknown format {fmt!r} for pages; use one of {', '.join(SOLUTION_FORMATS)}"
        )
    count, texts = page_texts(store, query, values, size)
    workers = worker_count(store, count)
    if workers < 2:
        for text in texts:
            yield serialize(store.query(text), fmt)
        return
    assert isinstance(store, EmbeddedStore) and store.directory is not None
    yield from _run_in_workers(store.directory, texts, fmt, workers)


def worker_count(store: Store, pages: int) -> int:
    """Return how many worker processes should run ``pages`` pages (below 2: run them here):
    one per :data:`PAGES_PER_WORKER` pages, at most one per core this process may use.

    >>> worker_count(EmbeddedStore(), 1000)  # an in-memory store cannot be opened elsewhere
    0
    """
    shareable = isinstance(store, EmbeddedStore) and store.directory is not None and store.read_only
    if not shareable:
        return 0
    return min(usable_cores(), pages // PAGES_PER_WORKER)


def _run_in_workers(
    directory: Path, texts: Iterator[str], fmt: str, workers: int
) -> Iterator[bytes]:
    """Yield each page's results in order as the workers finish them, keeping a few pages ahead.

    When the caller stops early (the output was closed) or a page fails, the pages not yet started
    are cancelled and only those already running are waited for.
    """
    context = multiprocessing.get_context("spawn")  # the caller holds the store's threads
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_ignore_interrupts)
    pending: deque[Future[bytes]] = deque()
    try:
        for text in texts:
            pending.append(pool.submit(run_page, str(directory), text, fmt))
            if len(pending) >= workers * IN_FLIGHT_PER_WORKER:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    except BrokenProcessPool as error:
        raise StoreError(
            f"a process running the pages of the query stopped ({error}); if the machine ran out "
            "of memory, run the query again with a smaller --page-size"
        ) from error
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _ignore_interrupts() -> None:
    """Leave Ctrl-C to the command: the workers get it too (one process group) and would each
    print a traceback; the command's exit ends them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def run_page(directory: str, text: str, fmt: str) -> bytes:
    """Run one page's query text on the store at ``directory`` (in a worker) and serialize it."""
    return serialize(_read_only_store(directory).query(text), fmt)


@cache
def _read_only_store(directory: str) -> EmbeddedStore:
    """The store, opened once per worker process and kept for the pages that follow."""
    return EmbeddedStore(Path(directory), read_only=True)
