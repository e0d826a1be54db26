"""Bring the tumour-type summary up to date after a write of some cases, without counting them all.

A full count (:func:`kg.tumour_summary.tally`) reads every DM case in the store: about a minute
at 100,000 cases, so removing or correcting one case cost that much. A write of a few cases only
changes the summary at the tumour types above them, so the writers read the stored summary before
they write (:func:`read_before`) and correct it afterwards (:func:`update_summary`):

- cases that arrive (added ones, and the new version of a replaced one) only add: they are
  tallied alone and merged in;
- cases that leave (removed ones, and the old version of a replaced one) are tallied before the
  write. After it, each type's count drops by theirs, and each source or antibody they brought
  to a type stays only when a DM case still in the store brings it to that type. The store is
  asked about just those: the cases of that publication, and for an antibody either its few
  positive cases or the type's cases until one has it (:func:`_antibodies_held`).

The result is the summary a full count gives (tests/test_summary_update.py checks it against
one). Whatever cannot be trusted or would cost more is counted in full instead: no stored
summary, lists that cannot be split back into items, counts that do not add up (a store whose
case graphs were edited with SPARQL), or a write where many cases leave (the lookups for each
cost more than a full count past about 50 at 100,000 cases: :data:`MOST_LEAVING`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from pyoxigraph import Literal, NamedNode

from kg.rdf.vocab import KG, ONTOLOGY_GRAPH, RDFS, SUMMARY_GRAPH
from kg.store.base import Store
from kg.tumour_summary import (
    TumourTally,
    ensure_summary,
    refresh_summary,
    source_of,
    stored_tallies,
    summary_quads,
    tally,
    types_above,
)

# A write of more cases than these is counted in full (benchmarks/README.md). At 100,000 cases
# a full count took 64 to 78 s; tallying cases graph by graph about 1 ms a case; correcting for
# leaving cases about 1 to 2 s for one, 40 s for 50 (the lookups of their sources and antibodies).
MOST_CASES = 1000  # leaving and arriving
MOST_LEAVING = 20
SOURCE_BATCH = 250  # sources bound per query
CASE_BATCH = 250  # cases bound per query
# An antibody positive in at most this many cases is looked up from them (see _antibodies_held).
RARE_CASES = 1000


@dataclass
class SummaryBefore:
    """The stored summary before a write of cases, and what the cases leaving brought to it."""

    tallies: dict[NamedNode, TumourTally]
    leaving: dict[NamedNode, TumourTally]
    above: dict[NamedNode, set[NamedNode]]  # the tumour hierarchy (:func:`types_above`)


def read_before(store: Store, leaving: Sequence[NamedNode], arriving: int) -> SummaryBefore | None:
    """Read what :func:`update_summary` needs, before the write drops the summary.

    :param leaving: the graphs of the cases the write removes or replaces (still in the store).
    :param arriving: how many cases the write adds or replaces.
    :returns: None when the summary is to be counted in full afterwards (see the module
        docstring).
    """
    if len(leaving) > MOST_LEAVING or len(leaving) + arriving > MOST_CASES:
        return None
    tallies = stored_tallies(store)
    if tallies is None:
        return None
    above = types_above(store)
    return SummaryBefore(tallies, tally(store, list(leaving), above) if leaving else {}, above)


def update_summary(
    store: Store, before: SummaryBefore | None, arrived: Sequence[NamedNode]
) -> None:
    """Bring the summary up to date after the write, from what was read before it.

    :param before: from :func:`read_before`; None counts every case (when the summary is missing).
    :param arrived: the graphs of the cases the write added or replaced.
    """
    if before is None:
        ensure_summary(store)  # the write dropped it, unless it wrote nothing
        return
    tallies = _without_leaving(store, before)
    if tallies is None:
        refresh_summary(store)
        return
    if arrived:
        for tumour, counted in tally(store, list(arrived), before.above).items():
            merged = tallies.setdefault(tumour, TumourTally())
            merged.cases |= counted.cases
            merged.sources |= counted.sources
            merged.antibodies |= counted.antibodies
    kept = {tumour: counted for tumour, counted in tallies.items() if counted.count > 0}
    store.replace_graph(SUMMARY_GRAPH, summary_quads(kept, datetime.now(UTC)))


def _without_leaving(store: Store, before: SummaryBefore) -> dict[NamedNode, TumourTally] | None:
    """The summary without the leaving cases, or None when it did not count them as they were."""
    tallies = {tumour: _copy(counted) for tumour, counted in before.tallies.items()}
    doubtful_sources: dict[NamedNode, set[str]] = {}
    doubtful_antibodies: dict[NamedNode, set[str]] = {}
    for tumour, gone in before.leaving.items():
        counted = tallies.get(tumour)
        if counted is None or not _holds(counted, gone):
            return None
        counted.earlier -= len(gone.cases)
        if counted.count == 0:
            counted.sources, counted.antibodies = set(), set()
            continue
        doubtful_sources[tumour] = set(gone.sources)
        doubtful_antibodies[tumour] = set(gone.antibodies)
    above = before.above
    held = _sources_held(store, set().union(*doubtful_sources.values()), above)
    for tumour, sources in doubtful_sources.items():
        tallies[tumour].sources -= {s for s in sources if (tumour, s) not in held}
    still = _antibodies_held(store, doubtful_antibodies, above)
    for tumour, labels in doubtful_antibodies.items():
        tallies[tumour].antibodies -= {a for a in labels if (tumour, a) not in still}
    return tallies


def _holds(counted: TumourTally, gone: TumourTally) -> bool:
    """Tell whether a stored tally counted a leaving one: its cases, sources and antibodies."""
    return (
        counted.count >= len(gone.cases)
        and gone.sources <= counted.sources
        and gone.antibodies <= counted.antibodies
    )


def _copy(counted: TumourTally) -> TumourTally:
    sets = (set(counted.cases), set(counted.sources), set(counted.antibodies))
    return TumourTally(*sets, earlier=counted.earlier)


def _sources_held(
    store: Store, sources: set[str], above: dict[NamedNode, set[NamedNode]]
) -> set[tuple[NamedNode, str]]:
    """Which tumour types each source still brings DM cases to, among the cases in the store.

    A source names a publication by its PMID, or its DOI when it has none
    (:func:`~kg.tumour_summary.source_of`), so the cases of a publication are found from the
    value of either and the source is named again from what each case states.
    """
    keys = sorted(
        (KG.pmid if source.startswith("PMID:") else KG.doi, source.split(":", 1)[1])
        for source in sources
    )
    held: set[tuple[NamedNode, str]] = set()
    for start in range(0, len(keys), SOURCE_BATCH):
        for row in store.query(_cases_of_sources(keys[start : start + SOURCE_BATCH])):
            source = source_of(row["pmid"], row["doi"])  # type: ignore[index]
            if source in sources:
                held |= {(tumour, source) for tumour in above.get(row["leafType"], ())}  # type: ignore[index, call-overload]
    return held


# A case that reports DM, with its publication and each tumour type it states, as the full count
# reads it (kg/sparql/tumour-dm-cases.rq); inside ``GRAPH ?case``.
_DM_CASE = (
    f"?case a {KG.Case} ; {KG.reportedIn} ?publication ; {KG.hasReportedDiagnosis} ?diagnosis ; "
    f"{KG.hasNeoplasm} ?neoplasm . ?diagnosis {KG.condition} {KG.Dermatomyositis} . "
    "?neoplasm a ?leafType ."
)


def _cases_of_sources(keys: Iterable[tuple[NamedNode, str]]) -> str:
    """A query for the leaf tumour types of the DM cases of some publications, by PMID or DOI."""
    values = " ".join(f"({key} {Literal(value)})" for key, value in keys)
    return f"""SELECT DISTINCT ?leafType ?pmid ?doi WHERE {{
  VALUES (?key ?value) {{ {values} }}
  GRAPH ?case {{ ?publication ?key ?value . {_DM_CASE} }}
  OPTIONAL {{ GRAPH ?case {{ ?publication {KG.pmid} ?pmid }} }}
  OPTIONAL {{ GRAPH ?case {{ ?publication {KG.doi} ?doi }} }}
}}"""


def _antibodies_held(
    store: Store, doubtful: dict[NamedNode, set[str]], above: dict[NamedNode, set[NamedNode]]
) -> set[tuple[NamedNode, str]]:
    """Which of these (tumour type, antibody label) pairs a DM case in the store still brings.

    Two ways, whichever is cheaper: an antibody found positive in few cases is looked up from
    those cases (at 100,000 cases, 50 to 80 ms for a rare onconeural antibody); a common one from
    each type's cases, where the first case with it answers, which is soon when it is common
    (from the types alone, a rare antibody under a broad type took 7.6 s).
    """
    held: set[tuple[NamedNode, str]] = set()
    labels = set().union(*doubtful.values())
    classes = _classes_of(store, labels)
    for label in sorted(labels):
        types = {tumour for tumour, wanted in doubtful.items() if label in wanted}
        cases = _positive_cases(store, classes.get(label, set()))
        if len(cases) <= RARE_CASES:
            for leaf in _dm_leaf_types(store, sorted(cases)):
                held |= {(tumour, label) for tumour in above.get(leaf, ()) if tumour in types}
        else:
            held |= {(t, label) for t in types if _antibody_held(store, t, label, above)}
    return held


def _classes_of(store: Store, labels: set[str]) -> dict[str, set[NamedNode]]:
    """The ontology's classes by label (the summary names antibodies by their labels)."""
    wanted = ", ".join(str(Literal(label)) for label in sorted(labels))
    query = f"""SELECT ?class ?label WHERE {{
  GRAPH {ONTOLOGY_GRAPH} {{ ?class {RDFS.label} ?label }} FILTER(STR(?label) IN ({wanted}))
}}"""
    classes: dict[str, set[NamedNode]] = defaultdict(set)
    for row in store.query(query) if labels else ():  # type: ignore[union-attr]
        classes[row["label"].value].add(row["class"])  # type: ignore[index]
    return classes


def _positive_cases(store: Store, classes: set[NamedNode]) -> set[NamedNode]:
    """The case graphs with a positive result for one of these antibody classes, up to one more
    than :data:`RARE_CASES`. The class is bound in the pattern and the outcome filtered after: a
    bound outcome made Oxigraph start from every positive result (6 s against 78 ms)."""
    cases: set[NamedNode] = set()
    for antibody in sorted(classes, key=str):
        query = f"""SELECT DISTINCT ?case WHERE {{
  GRAPH ?case {{ ?result {KG.testedFor} {antibody} ; {KG.antibodyResult} ?outcome }}
  FILTER(?outcome IN ("positive", "weakly positive"))
}} LIMIT {RARE_CASES + 1}"""
        cases |= {row["case"] for row in store.query(query)}  # type: ignore[index, union-attr]
        if len(cases) > RARE_CASES:
            break
    return cases


def _dm_leaf_types(store: Store, cases: list[NamedNode]) -> set[NamedNode]:
    """The tumour types stated for those of these cases that report DM (as the full count reads
    them), :data:`CASE_BATCH` cases a query."""
    leaves: set[NamedNode] = set()
    for start in range(0, len(cases), CASE_BATCH):
        values = " ".join(str(case) for case in cases[start : start + CASE_BATCH])
        query = f"""SELECT DISTINCT ?leafType WHERE {{
  VALUES ?case {{ {values} }}
  GRAPH ?case {{ {_DM_CASE} }}
}}"""
        leaves |= {row["leafType"] for row in store.query(query)}  # type: ignore[index, union-attr]
    return leaves


def _antibody_held(
    store: Store, tumour: NamedNode, label: str, above: dict[NamedNode, set[NamedNode]]
) -> bool:
    """Tell whether a DM case in the store at or under a tumour type is positive for an antibody
    of this label: the first such case answers (Oxigraph starts from the type's cases)."""
    leaves = [leaf for leaf, types in above.items() if tumour in types]
    query = f"""SELECT ?case WHERE {{
  VALUES ?leafType {{ {" ".join(str(leaf) for leaf in leaves)} }}
  VALUES ?outcome {{ "positive" "weakly positive" }}
  GRAPH {ONTOLOGY_GRAPH} {{ ?antibodyClass {RDFS.label} ?label . }}
  FILTER(STR(?label) = {Literal(label)})
  GRAPH ?case {{
    ?neoplasm a ?leafType .
    ?case {KG.hasNeoplasm} ?neoplasm ; {KG.hasReportedDiagnosis} ?diagnosis ;
          {KG.hasAntibodyResult} ?result .
    ?diagnosis {KG.condition} {KG.Dermatomyositis} .
    ?result {KG.testedFor} ?antibodyClass ; {KG.antibodyResult} ?outcome .
  }}
}} LIMIT 1"""
    return any(True for _ in store.query(query))  # type: ignore[union-attr]
