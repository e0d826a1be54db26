"""The default backend: an on-disk pyoxigraph store, transactional, nothing to start."""

from __future__ import annotations

import gzip
import io
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from pyoxigraph import NamedNode, Quad, RdfFormat, Store

from kg.errors import QueryError, StoreError
from kg.store.base import QueryResult

# Bytes of N-Quads per bulk load call. pyoxigraph's loader parses batches of a million quads and
# processes one per core while it parses the next, so a long input holds three batches at once (at
# 100,000 cases the loader peaked at 1.9 GB). About 1.7 million quads (the spool's quads average
# 184 bytes) make two batches, one per core, and nothing waits with a third.
BULK_LOAD_BYTES = 320 * 1024 * 1024
PREFETCH_CHUNK = 8 * 1024 * 1024  # bytes per read while prefetching: large, sequential requests


def load_groups(paths: list[Path], max_bytes: int = BULK_LOAD_BYTES) -> list[list[Path]]:
    """Split files, in order, into runs of at most ``max_bytes`` (a larger file is a run alone).

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> files = [folder / name for name in "abcd"]
    >>> for file, size in zip(files, (0, 90, 20, 200)):
    ...     _ = file.write_bytes(b"x" * size)
    >>> [[p.name for p in group] for group in load_groups(files, max_bytes=100)]
    [['a', 'b'], ['c'], ['d']]
    """
    groups: list[list[Path]] = []
    size = 0
    for path in paths:
        length = path.stat().st_size
        if not groups or size + length > max_bytes:
            groups.append([])
            size = 0
        groups[-1].append(path)
        size += length
    return groups


def available_memory() -> int:
    """Bytes of memory the OS could give without swapping (MemAvailable), else its free memory;
    0 where neither can be read, which turns prefetching off."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # no sysconf, or not that name (macOS)
        return 0


def prefetch_files(paths: Sequence[Path], budget: int) -> bool:
    """Read files through once, so that the OS page cache holds them, if together they fit in
    ``budget`` bytes; return whether they were read.

    Reading is what works here: ``posix_fadvise(WILLNEED)`` on the 13 GB of the 100,000-case
    store returned at once and left about 3 GB cached, while one sequential pass read it all
    in 31 s (benchmarks/README.md). A file that is gone by the time it is reached (RocksDB
    deletes the files a background compaction merged) is skipped: this only saves time.
    """
    if sum(_size(path) for path in paths) > budget:
        return False
    buffer = bytearray(PREFETCH_CHUNK)
    for path in paths:
        try:
            with path.open("rb", buffering=0) as handle:
                while handle.readinto(buffer):
                    pass
        except FileNotFoundError:
            continue
    return True


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def rdf_format_for(path: Path) -> RdfFormat:
    """Return the RDF format a dump or load file's name implies.

    >>> rdf_format_for(Path("backup.nq.gz")) == RdfFormat.N_QUADS
    True
    """
    name = path.name.removesuffix(".gz")
    if name.endswith(".nq"):
        return RdfFormat.N_QUADS
    if name.endswith(".trig"):
        return RdfFormat.TRIG
    raise StoreError(f"{path}: unknown format; name the file *.nq, *.trig, *.nq.gz or *.trig.gz")


def replace_graphs_update(graphs: dict[NamedNode, list[Quad]]) -> str:
    """Build one SPARQL update that replaces several named graphs.

    Terms are written in their N-Triples form by pyoxigraph, which escapes them, so no curated
    text can change the update's structure.

    >>> from pyoxigraph import Literal
    >>> g = NamedNode("http://e.org/g")
    >>> print(replace_graphs_update({g: [Quad(g, g, Literal('a "b"'), g)]}))
    DROP SILENT GRAPH <http://e.org/g> ;
    INSERT DATA { GRAPH <http://e.org/g> {
    <http://e.org/g> <http://e.org/g> "a \\"b\\"" .
    } }
    """
    parts = []
    for graph, quads in graphs.items():
        triples = "\n".join(f"{q.subject} {q.predicate} {q.object} ." for q in quads)
        parts.append(
            f"DROP SILENT GRAPH {graph} ;\nINSERT DATA {{ GRAPH {graph} {{\n{triples}\n}} }}"
        )
    return " ;\n".join(parts)


class ConcatenatedFiles(io.RawIOBase):
    """Read several files as one stream, so one bulk load takes every spool file of a build."""

    def __init__(self, paths: list[Path]) -> None:
        super().__init__()
        self._paths: Iterator[Path] = iter(paths)
        self._current: BinaryIO | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while True:
            if self._current is None:
                path = next(self._paths, None)
                if path is None:
                    return 0
                self._current = path.open("rb")
            count = self._current.readinto(buffer)
            if count:
                return count
            self._current.close()
            self._current = None

    def close(self) -> None:
        if self._current is not None:
            self._current.close()
            self._current = None
        super().close()


class EmbeddedStore:
    """A pyoxigraph store in a directory (or in memory when no directory is given)."""

    def __init__(self, directory: Path | None = None, *, read_only: bool = False) -> None:
        self.directory = directory
        self.read_only = read_only
        try:
            if directory is None:
                self._store = Store()
            elif read_only:
                self._store = Store.read_only(str(directory))
            else:
                directory.mkdir(parents=True, exist_ok=True)
                self._store = Store(str(directory))
        except (OSError, RuntimeError) as error:  # RocksDB reports a damaged store as RuntimeError
            raise StoreError(f"cannot open the store in {directory}: {error}") from error

    def replace_graph(self, graph: NamedNode, quads: Iterable[Quad]) -> None:
        self.replace_graphs({graph: list(quads)})

    def replace_graphs(self, graphs: dict[NamedNode, list[Quad]]) -> None:
        # One SPARQL update runs in one transaction in Oxigraph: a crash leaves all or none.
        self._store.update(replace_graphs_update(graphs))

    def drop_graph(self, graph: NamedNode) -> None:
        self._store.remove_graph(graph)

    def graphs(self) -> list[NamedNode]:
        return sorted(
            (g for g in self._store.named_graphs() if isinstance(g, NamedNode)),
            key=lambda g: g.value,
        )

    def query(self, sparql: str) -> QueryResult:
        try:
            return self._store.query(sparql, use_default_graph_as_union=True)
        except SyntaxError as error:
            # the same error type as the remote backend, so callers need not know which ran
            raise QueryError(f"the query is not valid SPARQL: {error}") from None

    def update(self, sparql: str) -> None:
        self._store.update(sparql)

    def add_quads(self, quads: Iterable[Quad]) -> None:
        """Add quads in one transaction (all or none), without writing and parsing SPARQL text."""
        self._store.extend(quads)

    def add_nquads(self, data: bytes) -> None:
        """Add N-Quads text in one transaction (all or none), without SPARQL text.

        Reasoning inserts the results of new cases this way, a batch of cases at a time; remote
        stores have no such method and get ``INSERT DATA`` updates instead.
        """
        self._store.load(data, RdfFormat.N_QUADS)

    def bulk_add_nquads(self, data: bytes) -> None:
        """Add N-Quads text as new files on disk: about 4x faster than :meth:`add_nquads`, not
        atomic.

        For writes a failed run can redo: a crash may leave part of the quads written. Reasoning
        uses it only to fill an inferred graph that was empty when the run began; a run that
        stops midway leaves no run record, and the next run finds the graph not empty and brings
        every case to its results through transactions.

        pyoxigraph's bulk loader lets other Python threads run while it loads, so a caller can go
        on working while a thread writes. The text is parsed leniently (IRIs are not checked
        again): reasoning writes it from IRIs the store already held or the project mints.
        """
        self._store.bulk_load(data, RdfFormat.N_QUADS, lenient=True)

    def quads(self, graph: NamedNode | None = None) -> Iterator[Quad]:
        return iter(self._store.quads_for_pattern(None, None, None, graph))

    def snapshot(self, target: Path) -> None:
        """Write a copy of the store that other processes may open read-only while this one runs.

        pyoxigraph calls opening a store read-only while another process writes to it undefined
        behaviour (a compaction can delete a file the reader still lists). RocksDB's checkpoint
        hard-links the data files when ``target`` is on the same file system, so the copy takes
        milliseconds and little disk until this store rewrites those files.

        :raises StoreError: for an in-memory store, or a target that cannot be written.
        """
        if self.directory is None:
            raise StoreError("an in-memory store has no files to snapshot")
        try:
            self._store.backup(str(target))
        except (OSError, RuntimeError) as error:  # RocksDB reports its errors as RuntimeError
            raise StoreError(f"cannot snapshot the store into {target}: {error}") from error

    def flush(self) -> None:
        """Write RocksDB's in-memory tables to disk. Long runs of updates call it now and then:
        without it the process grew by about 0.75 KB per inserted quad (1.8 GB after 2.2 million),
        with it every 100,000 quads it stays near 170 MB, no slower."""
        self._store.flush()

    def prefetch(self) -> bool:
        """Read the store's data files (``*.sst``) once into the OS page cache before a read of
        every case; return whether it did (only for a store in a directory whose files fit in
        three quarters of the memory available: the cache is memory the OS gives back, but a
        store larger than that would only push out its own first files; and not where a file
        cannot be read, since this only saves time).

        A query over every case looks up rows all over the store, and RocksDB's own block cache
        is 32 MB (pyoxigraph does not let us set it), so from a cold page cache each lookup waits
        on the disk for a few kilobytes: at 100,000 cases the cases fact query took 304 s cold
        and 27 s after one sequential read of the store's 13 GB, which took 31 s; reading all
        the facts as `kg reason` does, from a cold cache, took 191 s without and 153 s with
        that read (medians of 3; benchmarks/README.md).
        """
        if self.directory is None:
            return False
        budget = available_memory() * 3 // 4
        try:
            return prefetch_files(sorted(self.directory.glob("*.sst")), budget)
        except OSError:
            return False

    def compact(self) -> None:
        """Merge the files that bulk writes leave behind into RocksDB's sorted levels.

        Each bulk write adds files that overlap the ones before it. Left alone, RocksDB compacts
        them in the background and, past a few dozen, stops every write until it has caught
        up: at 100,000 cases the first write after the build's bulk load waited 158 s. Reads pay
        too, since a lookup consults every overlapping file, and a process that only reads never
        merges them. The build calls this once after its bulk load, and a first reasoning run
        after its bulk writes, so the store they hand on is in the shape reads want. It is not
        cheap: 588 s after a 1,013 s load at 100,000 cases (benchmarks/README.md).
        """
        self._store.optimize()

    def bulk_load_files(self, paths: list[Path]) -> None:
        """Load N-Quads files in bulk (no transaction: the caller marks the load in progress).

        pyoxigraph's bulk loader parses on several threads and writes sorted files straight
        into RocksDB, several times faster than SPARQL updates. The files go in runs of about
        :data:`BULK_LOAD_BYTES` (:func:`load_groups`), one call each, which bounds the loader's
        memory whatever the corpus size; the files each call adds are merged by :meth:`compact`.
        """
        for group in load_groups(paths, BULK_LOAD_BYTES):
            with io.BufferedReader(ConcatenatedFiles(group), buffer_size=1 << 20) as stream:
                self._store.bulk_load(stream, RdfFormat.N_QUADS)

    def dump(self, path: Path) -> None:
        opener = gzip.open if path.name.endswith(".gz") else open
        with opener(path, "wb") as handle:
            self._store.dump(handle, rdf_format_for(path))

    def close(self) -> None:
        # Drop the handle, so RocksDB's directory lock is released now rather than whenever the
        # last reference goes (a traceback can keep one): reopening the directory in this process,
        # as a test or a second command does, would otherwise fail. Closing twice is harmless.
        store = self.__dict__.pop("_store", None)
        if store is not None and not self.read_only:
            store.flush()
