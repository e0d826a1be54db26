"""Classify every case in the store against the criteria and write the inferred graph.

Flow, in chunks of :data:`CHUNK_SIZE` cases so memory is bounded by a chunk, not the corpus:
1. read the criterion-relevant facts of every case into a spool, by chunk; from each chunk collect
   the canonical profiles and the conflict patterns, then check every distinct pattern of the
   corpus for contradictions with the reasoner;
2. if any case contradicts itself, explain the first and stop: nothing has been written;
3. classify each distinct canonical profile once with the OWL reasoner;
4. for each chunk, build its facts from the spool again, assess the open-world status of each
   criterion, the EULAR/ACR score and the PNS class (:mod:`kg.reasoning.assessment`: in worker
   processes for a large store), and bring the inferred graph to the new results
   (:mod:`kg.reasoning.writes`: one transaction per batch of whole cases, only what changed;
   a first run fills the empty graph in bulk writes).
The fact queries run once over the whole store and their rows are spooled to temporary files by
chunk (:func:`~kg.reasoning.facts.spool_case_facts`): 100,000 cases' facts would not fit the memory
budget, and querying the store per chunk costs nearly a full read each time in Oxigraph 0.5. For
a large store in a directory they run in two worker processes reading a snapshot of it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from kg.reasoning.assessment import Batch, Chunk, assess_here, assess_in_workers
from kg.reasoning.classify import classify_profiles
from kg.reasoning.consistency import (
    Pattern,
    conflict_patterns,
    failing_patterns,
    inconsistent_cases,
    raise_inconsistent,
)
from kg.reasoning.engine import Reasoner, ReasonerInfo, reasoner_version
from kg.reasoning.facts import CaseFacts, case_iris, spool_case_facts, spooled_facts, worker_count
from kg.reasoning.inferred import CaseResults, run_node, run_quads
from kg.reasoning.profiles import Canonicaliser, Profile, profile_of
from kg.reasoning.writes import InferredWriter
from kg.store.base import Store
from kg.terminology.hpo import load_hpo
from kg.timing import StageTimer

CHUNK_SIZE = 1000  # cases whose facts are in memory at once


@dataclass(frozen=True)
class ReasoningReport:
    """What a reasoning run did; ``results`` only when asked for (it grows with the corpus)."""

    reasoner: ReasonerInfo
    cases: int
    profiles: int
    results: dict[str, CaseResults]
    seconds: dict[str, float] = field(default_factory=dict)  # by stage
    patterns: int = 0  # distinct conflict patterns checked for consistency


def _chunks(cases: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(cases), CHUNK_SIZE):
        yield cases[start : start + CHUNK_SIZE]


def reason(
    store: Store, reasoner: Reasoner = "hermit", *, keep_results: bool = False
) -> ReasoningReport:
    """Run the whole classification and bring the inferred graph to its results.

    :param keep_results: also return every case's results (tests; memory grows with the corpus);
        the cases are then assessed in this process, never in workers.
    :raises Inconsistency: when a case contradicts itself (the store is left unchanged).
    :raises ReasonerError: when the reasoner fails, or a process assessing cases stops.
    """
    stages = StageTimer()
    hpo = load_hpo()
    canonical = Canonicaliser(hpo.is_a)
    with stages("list cases"):
        cases = case_iris(store)
    chunks = list(_chunks(cases))
    with tempfile.TemporaryDirectory(prefix="kg-reason-") as spool:
        case_profiles, patterns = _check_and_spool(
            store, chunks, Path(spool), canonical, reasoner, stages
        )
        profiles = {p for chunk in case_profiles for p in chunk.values()}
        with stages("classify"):
            classified = classify_profiles(sorted(profiles), reasoner)
        info = next(iter(classified.values())).reasoner if classified else None
        if info is None:
            info = ReasonerInfo(reasoner, reasoner_version(reasoner), 0.0)
        run = run_node(info)
        writer = InferredWriter(store)
        work = (
            Chunk(Path(spool), index, {case: classified[p] for case, p in chunk_profiles.items()})
            for index, chunk_profiles in enumerate(case_profiles)
        )
        results: dict[str, CaseResults] = {}
        workers = worker_count(len(cases))
        if keep_results or workers < 2:
            batches: Iterator[tuple[Batch, dict[str, CaseResults]]] = assess_here(
                work, run, hpo.is_a
            )
        else:
            batches = ((batch, {}) for batch in assess_in_workers(work, run, workers))
        with closing(batches):  # stops the workers if a write fails
            while True:
                with stages("assess"):  # here, or waiting for the workers and parsing
                    item = next(batches, None)
                if item is None:
                    break
                with stages("write"):
                    writer.write_chunk(item[0])
                if keep_results:
                    results.update(item[1])
        with stages("write"):
            writer.finish(
                cases, run, run_quads(info, datetime.now(UTC), len(cases), len(classified))
            )
    return ReasoningReport(
        info, len(cases), len(classified), results, stages.seconds, len(patterns)
    )


def _check_and_spool(
    store: Store,
    chunks: list[list[str]],
    spool: Path,
    canonical: Canonicaliser,
    reasoner: Reasoner,
    stages: StageTimer,
) -> tuple[list[dict[str, Profile]], set[Pattern]]:
    """First pass: spool every chunk's facts and check the corpus for contradictions.

    Each case's canonical profile is noted, and each chunk's conflict patterns are collected;
    every distinct pattern of the corpus is checked once by the reasoner
    (:mod:`kg.reasoning.consistency`).

    :returns: each chunk's cases with their canonical profiles, and the conflict patterns checked.
    :raises Inconsistency: for the first inconsistent case, with how many others there are.
    """
    profiles: dict[Profile, Profile] = {}  # each distinct profile, held once for every case
    case_profiles: list[dict[str, Profile]] = []
    patterns: set[Pattern] = set()
    with stages("read facts"):
        spool_case_facts(store, chunks, spool)
    for index in range(len(chunks)):
        with stages("read spool"):
            facts = spooled_facts(spool, index)
        with stages("profiles"):
            case_profiles.append(
                {
                    case: profiles.setdefault(p, p)
                    for case, f in facts.items()
                    for p in (canonical.canonical(profile_of(f, canonical.is_a)),)
                }
            )
        with stages("consistency"):
            patterns |= {p for f in facts.values() for p in conflict_patterns(f)}
    with stages("consistency"):
        failing = failing_patterns(patterns, reasoner)
    if failing:
        with stages("explain"):
            _raise_first_inconsistent(spool, len(chunks), failing, reasoner)
    return case_profiles, patterns


def _raise_first_inconsistent(
    spool: Path, chunks: int, failing: set[Pattern], reasoner: Reasoner
) -> None:
    """Find the cases holding a failing pattern and raise for the first, explained.

    :raises Inconsistency: always.
    """
    first: CaseFacts | None = None
    culprits = 0
    for index in range(chunks):
        facts = spooled_facts(spool, index)
        found = inconsistent_cases(facts, failing)
        culprits += len(found)
        if found and (first is None or found[0] < first.case):
            first = facts[found[0]]
    assert first is not None, "a failing pattern belongs to some case"
    raise_inconsistent(first, culprits, reasoner)
