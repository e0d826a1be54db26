"""Validate and convert a folder of case files on every core, spooling the converted quads to disk.

A build of a hundred thousand cases cannot hold every parsed case (its data and the position of
every value) in memory until the batch is judged, and validation is CPU-bound Python. So worker
processes validate chunks of files, write each valid case's quads as N-Quads to a spool file per
chunk, and hand back only what judging the batch needs: the issues, the case id and its position,
and the checksum. The spool is what the store then loads, in bulk when the store holds no case.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import Quad, RdfFormat, parse

from kg.cores import usable_cores
from kg.curation.case_file import CaseFile
from kg.curation.validate import ValidationResult, validate_file
from kg.issues import Issue

# Files per worker task: large enough that one spool file is written per task, small enough that
# both workers stay busy to the end and progress moves.
CHUNK_FILES = 64
# Below this many files, starting worker processes (each loads the terminologies and shapes once,
# about two seconds) costs more than it saves.
PARALLEL_MIN_FILES = 200


@dataclass(frozen=True)
class SpoolSpan:
    """Where one case's N-Quads lie in a spool file."""

    file: Path
    offset: int
    length: int

    def read_quads(self) -> list[Quad]:
        """Parse this case's quads back from the spool."""
        with self.file.open("rb") as handle:
            handle.seek(self.offset)
            data = handle.read(self.length)
        return list(parse(data, RdfFormat.N_QUADS))


@dataclass
class PreparedCase:
    """One validated case file, reduced to what judging and writing a batch needs.

    The quads are either in memory (small batches, e.g. ``kg add``) or in a spool file (builds).
    """

    path: Path
    issues: list[Issue]
    case_id: str | None = None
    checksum: str | None = None
    id_position: tuple[int, int] = (1, 1)
    case: CaseFile | None = None
    quads: list[Quad] | None = None
    spool: SpoolSpan | None = None

    @property
    def ok(self) -> bool:
        """True when the file is a case and no issue is an error (warnings do not block)."""
        return self.case_id is not None and not any(issue.is_error for issue in self.issues)

    def load_quads(self) -> list[Quad]:
        """Return the case's converted quads, from memory or from the spool."""
        if self.quads is not None:
            return self.quads
        if self.spool is not None:
            return self.spool.read_quads()
        raise ValueError(f"{self.path}: the case was not converted (it has errors)")

    @classmethod
    def from_result(cls, result: ValidationResult, *, keep_case: bool = True) -> PreparedCase:
        """Reduce a validation result, keeping its quads in memory (and its parsed case)."""
        case = result.case
        if case is None:
            return cls(result.path, result.issues)
        return cls(
            result.path, result.issues, case.case_id, case.checksum, case.doc.position(("id",)),
            case if keep_case else None, result.quads,
        )  # fmt: skip


def prepare_chunk(index: int, paths: list[Path], spool_dir: Path) -> list[PreparedCase]:
    """Validate a chunk of files and spool the quads of those that are valid.

    :param index: the chunk's number, which names its spool file.
    :param paths: the files, in order.
    :param spool_dir: the folder spool files are written to.
    :returns: one prepared case per file, holding spans into the spool instead of quads.
    """
    spool = spool_dir / f"chunk-{index:07d}.nq"
    prepared = []
    with spool.open("wb") as out:
        for path in paths:
            result = validate_file(path)
            item = PreparedCase.from_result(result, keep_case=False)
            if item.ok and result.nquads is not None:  # the text the shapes were checked on
                item.spool = SpoolSpan(spool, out.tell(), len(result.nquads))
                out.write(result.nquads)
            item.quads = None
            prepared.append(item)
    return prepared


def prepare_files(
    paths: list[Path], spool_dir: Path, progress: Callable[[Path], None] | None = None
) -> list[PreparedCase]:
    """Validate and convert every file, spooling quads; results keep the order of ``paths``.

    :param paths: the case files.
    :param spool_dir: an empty folder that outlives the write (the caller removes it).
    :param progress: called with each file's path once it is prepared.
    """
    chunks = [paths[i : i + CHUNK_FILES] for i in range(0, len(paths), CHUNK_FILES)]
    workers = min(usable_cores(), len(paths) // PARALLEL_MIN_FILES)
    results: list[PreparedCase] = []
    if workers > 1:
        context = multiprocessing.get_context("spawn")  # the caller may hold store threads
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            indices = range(len(chunks))
            for chunk in pool.map(prepare_chunk, indices, chunks, [spool_dir] * len(chunks)):
                _collect(chunk, results, progress)
        return results
    for index, chunk_paths in enumerate(chunks):
        _collect(prepare_chunk(index, chunk_paths, spool_dir), results, progress)
    return results


def _collect(
    chunk: list[PreparedCase], into: list[PreparedCase], progress: Callable[[Path], None] | None
) -> None:
    into.extend(chunk)
    if progress:
        for item in chunk:
            progress(item.path)


def spool_files(prepared: list[PreparedCase]) -> list[Path]:
    """Return the distinct spool files of a batch, in order."""
    return list(dict.fromkeys(p.spool.file for p in prepared if p.spool is not None))
