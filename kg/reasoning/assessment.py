"""Assess the spooled chunks of cases and turn the results into inferred quads, on every core.

Assessing a case (the open-world status of each criterion, the EULAR/ACR scores, the PNS class)
and making its quads is plain Python, about 1.3 ms per case: at 100,000 cases two minutes on one
core while the store writes wait for it. A large run therefore hands whole chunks to worker
processes: each reads its chunk's facts from the spool, assesses every case, and sends back each
case's quads as N-Quads text, which this process parses (in Rust, about twice as fast as making
the quads in Python) and writes. The workers never open the store, and at most one chunk more
than there are workers is in flight, so memory is bounded by a few chunks, not by the corpus.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import NamedNode, Quad, RdfFormat, parse, serialize

from kg.errors import ReasonerError
from kg.rdf.vocab import KG
from kg.reasoning.bohan_peter import IsA, assess_bohan_peter
from kg.reasoning.classify import Classification
from kg.reasoning.eular import score_eular_acr
from kg.reasoning.facts import CaseFacts, spooled_facts
from kg.reasoning.inferred import CaseResults, case_quads
from kg.reasoning.pns import classify_pns
from kg.terminology.hpo import load_hpo

WRITE_CASES = 250  # cases assessed and written at a time: their quads are all held until written

Batch = dict[str, list[Quad]]  # up to WRITE_CASES cases -> each one's inferred quads


@dataclass(frozen=True)
class Chunk:
    """One chunk's work: where its facts are spooled, and each case's classification by the
    reasoner (its canonical profile's, looked up while the facts were first read)."""

    spool: Path
    index: int
    classifications: dict[str, Classification]


def case_results(facts: CaseFacts, classification: Classification, is_a: IsA) -> CaseResults:
    """Combine the reasoner's classes with the open-world assessment and the scores for one case."""
    bohan_peter = assess_bohan_peter(facts, is_a)
    scores = [score_eular_acr(facts, is_a, with_biopsy=False)]
    if any(b.performed for b in facts.muscle_biopsy):
        scores.append(score_eular_acr(facts, is_a, with_biopsy=True))
    reported_dm = any(condition == KG.Dermatomyositis.value for condition, _ in facts.reported)
    has_dm = reported_dm or "BPPossibleDermatomyositis" in classification.classes
    return CaseResults(
        facts.case, classification, bohan_peter, tuple(scores), classify_pns(facts, has_dm)
    )


def _assessed(chunk: Chunk, is_a: IsA) -> Iterator[dict[str, CaseResults]]:
    """A chunk's results, :data:`WRITE_CASES` cases at a time, in case order."""
    facts = spooled_facts(chunk.spool, chunk.index)
    names = sorted(facts)
    for start in range(0, len(names), WRITE_CASES):
        yield {
            case: case_results(facts[case], chunk.classifications[case], is_a)
            for case in names[start : start + WRITE_CASES]
        }


def assess_here(
    chunks: Iterable[Chunk], run: NamedNode, is_a: IsA
) -> Iterator[tuple[Batch, dict[str, CaseResults]]]:
    """Assess every chunk in this process: each batch's quads, with the results they came from."""
    for chunk in chunks:
        for results in _assessed(chunk, is_a):
            yield {case: list(case_quads(r, run)) for case, r in results.items()}, results


def assess_in_workers(chunks: Iterable[Chunk], run: NamedNode, workers: int) -> Iterator[Batch]:
    """Assess the chunks in worker processes and yield each batch's quads, in chunk order.

    :raises ReasonerError: when a worker process stops without finishing its chunk.
    """
    context = multiprocessing.get_context("spawn")  # the caller holds the store's threads
    pool = ProcessPoolExecutor(workers, mp_context=context)
    todo = iter(chunks)
    pending: deque[Future[list[list[tuple[str, bytes]]]]] = deque()
    try:
        for chunk in todo:
            pending.append(pool.submit(_assess_to_nquads, chunk, run.value))
            if len(pending) > workers:
                break
        while pending:
            batches = pending.popleft().result()  # re-raises a worker's error
            following = next(todo, None)
            if following is not None:
                pending.append(pool.submit(_assess_to_nquads, following, run.value))
            for batch in batches:
                yield {case: list(parse(text, format=RdfFormat.N_QUADS)) for case, text in batch}
    except BrokenProcessPool as error:
        raise ReasonerError(
            f"a process assessing the cases stopped ({error}); "
            "if the machine ran out of memory, run `kg reason` again with fewer other programs"
        ) from error
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _assess_to_nquads(chunk: Chunk, run: str) -> list[list[tuple[str, bytes]]]:
    """In a worker process: a chunk's batches, each case's quads as N-Quads text."""
    is_a = load_hpo().is_a  # parsed once per worker process
    node = NamedNode(run)
    return [
        [
            (case, serialize(case_quads(r, node), format=RdfFormat.N_QUADS) or b"")
            for case, r in results.items()
        ]
        for results in _assessed(chunk, is_a)
    ]
