"""Run the pages of a case query over every case on every core, each page serialized by a worker.

`kg query NAME` over every case runs one page of cases at a time (:func:`kg.queries.pages_of_cases`)
so that its memory stays that of a page. A page's cost is Oxigraph's, on one core: evaluating the
page and decoding the terms it returns. Pages do not depend on each other, so worker processes that
open the store read-only run them side by side and hand each page back serialized, which is all the
command does with it. Pages come back in case-id order, and only a few are held at any time
(``IN_FLIGHT_PER_WORKER``). Over 10,000 cases on two cores this took `bohan-peter-sparql` from
14.7 s to 7.2 s and `case-timeline` from 7.3 s to 4.3 s (queries/README.md).

Only a store this process opened read-only is shared this way: RocksDB leaves a read-only reader
undefined while another process writes, and a store open for writing may compact at any time.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from functools import cache
from pathlib import Path

from kg.queries import NamedQuery, case_pages
from kg.results import serialize
from kg.store.base import Store
from kg.store.embedded import EmbeddedStore

# Below this many pages, starting the workers (each starts Python, imports the package and opens
# the store: about 0.2 s) can cost more than the other core saves: at 1,000 cases (10 pages),
# dm-cancer-interval took 0.33 s against 0.16 s in one process, bohan-peter-sparql 0.8 s
# against 1.4 s.
PARALLEL_MIN_PAGES = 20
# Pages submitted ahead of the one being written, per worker: enough that no worker waits for the
# next page, few enough that a slow reader of the output does not make the pages pile up.
IN_FLIGHT_PER_WORKER = 2


def serialized_pages(
    store: Store, query: NamedQuery, values: dict[str, str], size: int, fmt: str
) -> Iterator[bytes]:
    """Run a case query over every case page by page, yielding each page serialized, in order.

    :param store: the store; an embedded store opened read-only runs its pages on every core.
    :param query: a query that runs by pages (see ``NamedQuery.runs_by_pages``).
    :param values: its other parameters, as typed on the command line.
    :param size: cases per page.
    :param fmt: a results format of :mod:`kg.results` (not ``table``).
    :returns: one document per page, each with its own header, as one run of that page gives; a
        store without cases gives one run of the unbound query.
    :raises QueryError: as :func:`kg.queries.pages_of_cases` does.
    """
    query.bind(values, cases=[])  # checks every value (and that it takes a case) before listing
    pages = list(case_pages(store, size))
    if not pages:
        yield serialize(store.query(query.bind(values)), fmt)
        return
    texts = (query.bind(values, cases=page) for page in pages)
    workers = worker_count(store, len(pages))
    if workers < 2:
        for text in texts:
            yield serialize(store.query(text), fmt)
        return
    assert isinstance(store, EmbeddedStore) and store.directory is not None
    yield from _run_in_workers(store.directory, texts, fmt, workers)


def worker_count(store: Store, pages: int) -> int:
    """Return how many worker processes should run ``pages`` pages (below 2: run them here).

    >>> worker_count(EmbeddedStore(), 1000)  # an in-memory store cannot be opened elsewhere
    0
    """
    shareable = isinstance(store, EmbeddedStore) and store.directory is not None and store.read_only
    if not shareable or pages < PARALLEL_MIN_PAGES:
        return 0
    return min(os.cpu_count() or 1, pages)


def _run_in_workers(
    directory: Path, texts: Iterator[str], fmt: str, workers: int
) -> Iterator[bytes]:
    context = multiprocessing.get_context("spawn")  # the caller holds the store's threads
    pending: deque[Future[bytes]] = deque()
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        try:
            for text in texts:
                pending.append(pool.submit(run_page, str(directory), text, fmt))
                if len(pending) >= workers * IN_FLIGHT_PER_WORKER:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:  # output closed early or a page failed: drop the rest
                future.cancel()


def run_page(directory: str, text: str, fmt: str) -> bytes:
    """Run one page's query text on the store at ``directory`` (in a worker) and serialize it."""
    return serialize(_read_only_store(directory).query(text), fmt)


@cache
def _read_only_store(directory: str) -> EmbeddedStore:
    """The store, opened once per worker process and kept for the pages that follow."""
    return EmbeddedStore(Path(directory), read_only=True)
