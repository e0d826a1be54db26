"""Classify every case in the store against the criteria and write the inferred graph.

Flow, in chunks of :data:`CHUNK_SIZE` cases so memory is bounded by a chunk, not the corpus:
0. keep the results of every case made from its present inputs (its file and the run's basis:
   reasoner, ontology, code, HPO release; :mod:`kg.reasoning.basis`): it is not read at all;
1. read the criterion-relevant facts of the other cases into a spool, by chunk; from each chunk
   collect the canonical profiles and the conflict patterns, then check every distinct pattern
   for contradictions with the reasoner;
2. if any case contradicts itself, explain the first and stop: nothing has been written;
3. classify each distinct canonical profile once with the OWL reasoner;
4. for each chunk, build its facts from the spool again, assess the open-world status of each
   criterion, the EULAR/ACR score and the PNS class, and bring the inferred graph to the new results
   (:mod:`kg.reasoning.writes`: one transaction per batch of whole cases, only what changed;
   a first run fills the empty graph in bulk writes).
When at most :data:`GRAPH_READ_SHARE` of the cases are left to reason about, their facts are
read from their graphs alone (:func:`~kg.reasoning.facts.spool_facts_of_graphs`). Otherwise the
fact queries run once over the whole store and their rows are spooled to temporary files by
chunk (:func:`~kg.reasoning.facts.spool_case_facts`): 100,000 cases' facts would not fit the memory
budget, and querying the store per chunk costs nearly a full read each time in Oxigraph 0.5. For
a large store in a directory they run in two worker processes reading a snapshot of it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from pyoxigraph import NamedNode

from kg.rdf.vocab import KG
from kg.reasoning.basis import RunPlan, basis_digest, plan_run
from kg.reasoning.bohan_peter import assess_bohan_peter
from kg.reasoning.classify import Classification, classify_profiles
from kg.reasoning.consistency import (
    Pattern,
    conflict_patterns,
    failing_patterns,
    inconsistent_cases,
    raise_inconsistent,
)
from kg.reasoning.engine import Reasoner, ReasonerInfo, reasoner_version
from kg.reasoning.eular import score_eular_acr
from kg.reasoning.facts import (
    CaseFacts,
    spool_case_facts,
    spool_facts_of_graphs,
    spooled_facts,
)
from kg.reasoning.inferred import (
    CaseResults,
    case_statements,
    run_node,
    run_quads,
    shared_nodes,
)
from kg.reasoning.pns import classify_pns
from kg.reasoning.profiles import Canonicaliser, Profile, profile_of
from kg.reasoning.statements import Statement
from kg.reasoning.writes import InferredWriter
from kg.store.base import Store
from kg.terminology.hpo import load_hpo
from kg.timing import StageTimer

CHUNK_SIZE = 1000  # cases whose facts are in memory at once
WRITE_CASES = 250  # cases assessed and written at a time: their quads are all held until written
# Read the facts of the cases to redo from their graphs alone when they are at most this share of
# all cases; more, and one read of every case is cheaper. At 10,000 cases reading by graphs took
# 3.4 ms a case (one process), a read of every case 1.9 ms a case (two): even at about half the
# cases; a quarter leaves room for a store less well cached (benchmarks/README.md).
GRAPH_READ_SHARE = 0.25
# HPO subsumption answers remembered per run. The criteria ask the same few dozen anchors about
# the same terms in case after case (assessing 2,000 cases asked 470,000 times); the pairs a corpus
# asks about number in the thousands, and this bounds them whatever the corpus.
IS_A_MEMO = 1 << 18


@dataclass(frozen=True)
class ReasoningReport:
    """What a reasoning run did; ``results`` only when asked for (it grows with the corpus)."""

    reasoner: ReasonerInfo
    cases: int
    profiles: int
    results: dict[str, CaseResults]
    seconds: dict[str, float] = field(default_factory=dict)  # by stage
    patterns: int = 0  # distinct conflict patterns checked for consistency
    kept: int = 0  # cases whose results were made from their present inputs, left as they were


def case_results(facts: CaseFacts, classification: object, is_a: object) -> CaseResults:
    """Combine the reasoner's classes with the open-world assessment and the scores for one case."""
    bohan_peter = assess_bohan_peter(facts, is_a)  # type: ignore[arg-type]
    scores = [score_eular_acr(facts, is_a, with_biopsy=False)]  # type: ignore[arg-type]
    if any(b.performed for b in facts.muscle_biopsy):
        scores.append(score_eular_acr(facts, is_a, with_biopsy=True))  # type: ignore[arg-type]
    reported_dm = any(condition == KG.Dermatomyositis.value for condition, _ in facts.reported)
    has_dm = reported_dm or "BPPossibleDermatomyositis" in classification.classes  # type: ignore[attr-defined]
    return CaseResults(
        facts.case, classification, bohan_peter, tuple(scores), classify_pns(facts, has_dm)
    )  # type: ignore[arg-type]


def _chunks(cases: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(cases), CHUNK_SIZE):
        yield cases[start : start + CHUNK_SIZE]


def reason(
    store: Store,
    reasoner: Reasoner = "hermit",
    *,
    keep_results: bool = False,
    compact: bool = True,
    every_case: bool = False,
) -> ReasoningReport:
    """Run the whole classification and bring the inferred graph to its results.

    :param keep_results: also return the results of every case reasoned about (tests; memory
        grows with the corpus).
    :param compact: after a first run's bulk writes, or a run that rewrote a large share of the
        graph, compact the store so that reads of it are fast
        (:meth:`~kg.reasoning.writes.InferredWriter.compact_if_needed`); ``False`` leaves that
        to ``kg compact``, for a store that will be thrown away or compacted later.
    :param every_case: reason about every case, even those whose results were made from their
        present inputs (for a store whose case graphs were changed other than from their files).
    :raises Inconsistency: when a case contradicts itself (the store is left unchanged).
    :raises ReasonerError: when the reasoner fails.
    """
    stages = StageTimer()
    version = reasoner_version(reasoner)
    with stages("plan"):
        plan = plan_run(store, basis_digest(reasoner, version), reuse=not every_case)
    todo = plan.todo
    by_graphs = plan.kept > 0 and len(todo) <= GRAPH_READ_SHARE * plan.cases
    if todo and not by_graphs:
        with stages("prefetch"):
            _prefetch(store)
    chunks = list(_chunks(todo))
    # HPO is parsed only when some case must be reasoned about (about a second)
    is_a = lru_cache(maxsize=IS_A_MEMO)(load_hpo().is_a) if chunks else _no_case_asks
    canonical = Canonicaliser(is_a)
    with tempfile.TemporaryDirectory(prefix="kg-reason-") as spool:
        if chunks:
            with stages("read facts"):
                read = spool_facts_of_graphs if by_graphs else spool_case_facts
                read(store, chunks, Path(spool))
        profile_of_case, patterns = _check_spooled(
            len(chunks), Path(spool), canonical, reasoner, stages
        )
        with stages("classify"):
            classified = classify_profiles(sorted(set(profile_of_case.values())), reasoner)
        info = next(iter(classified.values())).reasoner if classified else None
        if info is None:
            info = ReasonerInfo(reasoner, version, 0.0)
        run = run_node(info)
        writer = InferredWriter(store)
        results: dict[str, CaseResults] = {}
        try:
            for index in range(len(chunks)):
                with stages("read spool"):
                    facts = spooled_facts(Path(spool), index)
                names = sorted(facts)
                for start in range(0, len(names), WRITE_CASES):
                    part = {case: facts[case] for case in names[start : start + WRITE_CASES]}
                    with stages("assess"):
                        part_results = _assess(part, classified, profile_of_case, is_a)
                        new = {case: _statements(r, run, plan) for case, r in part_results.items()}
                        shared = shared_nodes(part_results.values())
                    with stages("write"):
                        writer.write_chunk(new, shared)
                    if keep_results:
                        results.update(part_results)
        except BaseException:
            writer.abandon()  # the caller may close the store once this error reaches it
            raise
    record = run_quads(
        info, datetime.now(UTC), plan.cases, len(classified), plan.basis, reasoned=len(todo)
    )
    with stages("write"):
        writer.finish(None, run, record, every_case_written=not plan.kept)
    if compact and writer.needs_compaction:
        with stages("compact"):
            writer.compact_if_needed()
    return ReasoningReport(
        info, plan.cases, len(classified), results, stages.seconds, len(patterns), plan.kept
    )


def _no_case_asks(term: str, ancestor: str) -> bool:
    """Subsumption for a run with no case to reason about: nothing asks."""
    raise AssertionError(f"HPO asked whether {term} is a {ancestor} with no case to reason about")


def _statements(results: CaseResults, run: NamedNode, plan: RunPlan) -> list[Statement]:
    """A case's inferred quads, with what they were made from where its file is known."""
    return [*case_statements(results, run), *plan.inputs(results.case)]


def _prefetch(store: Store) -> None:
    """Bring an embedded store's files into the OS page cache before the reads of every case:
    from a cold cache they wait on the disk lookup by lookup
    (:meth:`~kg.store.embedded.EmbeddedStore.prefetch`)."""
    prefetch = getattr(store, "prefetch", None)
    if callable(prefetch):
        prefetch()


def _check_spooled(
    chunks: int,
    spool: Path,
    canonical: Canonicaliser,
    reasoner: Reasoner,
    stages: StageTimer,
) -> tuple[dict[str, Profile], set[Pattern]]:
    """First pass over the spooled facts: collect the profiles and check for contradictions.

    Each chunk's conflict patterns are collected, and every distinct pattern of the cases to
    reason about is checked once by the reasoner (:mod:`kg.reasoning.consistency`).

    :returns: each case's canonical profile (equal profiles are one object, so the map costs a
        reference a case; the second pass reads it instead of projecting every case again) and
        the conflict patterns checked.
    :raises Inconsistency: for the first inconsistent case, with how many others there are.
    """
    profile_of_case: dict[str, Profile] = {}
    distinct: dict[Profile, Profile] = {}
    patterns: set[Pattern] = set()
    for index in range(chunks):
        with stages("read spool"):
            facts = spooled_facts(spool, index)
        with stages("profiles"):
            for case, f in facts.items():
                profile = canonical.canonical(profile_of(f, canonical.is_a))
                profile_of_case[case] = distinct.setdefault(profile, profile)
        with stages("consistency"):
            patterns |= {p for f in facts.values() for p in conflict_patterns(f)}
    with stages("consistency"):
        failing = failing_patterns(patterns, reasoner)
    if failing:
        with stages("explain"):
            _raise_first_inconsistent(spool, chunks, failing, reasoner)
    return profile_of_case, patterns


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


def _assess(
    facts: dict[str, CaseFacts],
    classified: dict[Profile, Classification],
    profile_of_case: dict[str, Profile],
    is_a: object,
) -> dict[str, CaseResults]:
    """Every case's results: its canonical profile's classes, then the Python assessments."""
    return {
        case: case_results(f, classified[profile_of_case[case]], is_a) for case, f in facts.items()
    }
