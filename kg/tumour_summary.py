"""The per-tumour-type summary of dermatomyositis cases that `tumour-dm-associations` reads.

The question "which tumour types carry DM, with which antibodies, reported where" rolls every DM
case up the tumour hierarchy and aggregates over all of them: work in proportion to the whole
store (tens of seconds at 100,000 cases, mostly Oxigraph decoding the terms it reads), for an
answer of one row per tumour type. So whatever writes cases (the build, `kg add`, `kg remove`)
recomputes the summary once afterwards, into its own graph, and the named query only looks rows
up there. A write of a few cases corrects the summary it read before writing instead of counting
every case (:mod:`kg.summary_update`). The summary is derived data, like the class hierarchy: the
case graphs stay the only record of what the papers say, and the direct form of the query
(``tests/data/tumour-dm-associations-direct.rq``) gives the same rows
(tests/test_tumour_summary.py).

A summary that is present is current: each writer drops it *before* it changes a case or the
ontology (:func:`invalidate_summary`) and recomputes it afterwards, so a write that fails or is
interrupted in between leaves no summary rather than a stale one. The next `kg build` or
`kg add`, or `kg summary`, recomputes a missing summary, and `kg query` refuses to read one that
is missing (:func:`require_summary`) instead of answering with no rows.

Each tumour type (an OncoTree class, or a curated grouping such as Sarcoma) that has a DM case at
or under it is the subject of three statements in the summary graph: the number of DM cases, their
sources (``PMID:...`` or ``doi:...``), and the antibodies found positive or weakly positive in
them (absent when there are none). Lists are sorted and joined with ", ", so the query's output no
longer depends on the order an engine happens to aggregate in.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pyoxigraph import Literal, NamedNode, Quad, QuerySolution

from kg.errors import StoreError
from kg.paths import internal_query
from kg.rdf.vocab import (
    CASE_BASE,
    HIERARCHY_GRAPH,
    KG,
    ONTOLOGY_GRAPH,
    RDFS,
    SUMMARY_GRAPH,
    XSD,
)
from kg.store.base import Store
from kg.store.sparql_text import with_graph_batches

SEPARATOR = ", "


@dataclass
class TumourTally:
    """What the DM cases at or under one tumour type have in common with it."""

    cases: set[str] = field(default_factory=set)
    sources: set[str] = field(default_factory=set)
    antibodies: set[str] = field(default_factory=set)
    earlier: int = 0  # DM cases a stored summary counted, whose ids it does not keep

    @property
    def count(self) -> int:
        """How many DM cases are at or under the type."""
        return self.earlier + len(self.cases)


def refresh_summary(store: Store, previous: Iterable[Quad] | None = None) -> int:
    """Recompute the summary from the case graphs and replace its graph in one transaction.

    A summary that still holds is kept as it was, time included, so its time stays that of the
    last change, and a store restored from a complete dump stays quad for quad the store dumped.

    :param previous: the summary to keep if it still holds; by default the stored one (`kg load`
        passes the dump's, which it dropped while loading).
    :returns: the number of tumour types with at least one DM case.
    """
    tallies = tally(store)
    stored = set(store.quads(SUMMARY_GRAPH))
    kept = stored if previous is None else set(previous)
    quads = set(summary_quads(tallies, datetime.now(UTC)))
    if _rows(kept) == _rows(quads) and kept != _rows(kept):
        quads = kept
    if quads != stored:
        store.replace_graph(SUMMARY_GRAPH, list(quads))
    return len(tallies)


def stored_tallies(store: Store) -> dict[NamedNode, TumourTally] | None:
    """Read the stored summary back as tallies (counts, sources, antibodies), or None when there
    is none or its lists cannot be split back into their items.

    The lists are joined with :data:`SEPARATOR`. A source never holds it (a PMID is digits, and
    the case schema allows no space in a DOI); an antibody label might, so a summary whose
    antibody lists hold a label of the ontology that contains the separator is not read back.
    """
    quads = list(store.quads(SUMMARY_GRAPH))
    if not any(q.predicate == KG.summarisedAt for q in quads):
        return None
    unsplittable = _labels_with_separator(store)
    tallies: dict[NamedNode, TumourTally] = defaultdict(TumourTally)
    for quad in quads:
        if not isinstance(quad.subject, NamedNode) or quad.subject == SUMMARY_GRAPH:
            continue
        counted, value = tallies[quad.subject], quad.object.value
        if quad.predicate == KG.dmCaseCount:
            counted.earlier = int(value)
        elif quad.predicate == KG.dmSources:
            counted.sources = set(value.split(SEPARATOR)) if value else set()
        elif quad.predicate == KG.dmPositiveAntibodies:
            if any(label in value for label in unsplittable):
                return None
            counted.antibodies = set(value.split(SEPARATOR))
    return dict(tallies)


def _labels_with_separator(store: Store) -> list[str]:
    """The ontology's labels that contain :data:`SEPARATOR` (OncoTree names such as "Sarcoma,
    NOS"; no antibody's label holds it today)."""
    rows = store.query(
        f"SELECT DISTINCT ?label WHERE {{ GRAPH {ONTOLOGY_GRAPH} {{ ?c {RDFS.label} ?label }} "
        f'FILTER(CONTAINS(STR(?label), "{SEPARATOR}")) }}'
    )
    return [row["label"].value for row in rows]  # type: ignore[union-attr]


def _rows(quads: set[Quad]) -> set[Quad]:
    """A summary's statements without its time stamp."""
    return {q for q in quads if q.predicate != KG.summarisedAt}


def invalidate_summary(store: Store) -> None:
    """Drop the summary before a write that may change its inputs (see the module docstring)."""
    store.drop_graph(SUMMARY_GRAPH)


def ensure_summary(store: Store) -> bool:
    """Recompute the summary when the store has none (a write invalidated it, or it never had one).

    :returns: True when it was recomputed.
    """
    if summary_is_present(store):
        return False
    refresh_summary(store)
    return True


def require_summary(store: Store, sparql: str) -> None:
    """Refuse to run a query that reads the summary graph while the store has no summary.

    Without it the query would answer with no rows, which reads as "no tumour type has a DM case".

    :raises StoreError: naming the graph and the command that recomputes it.
    """
    if SUMMARY_GRAPH.value in sparql and not summary_is_present(store):
        raise StoreError(
            f"the store has no summary of DM cases by tumour type (graph <{SUMMARY_GRAPH.value}>):"
            " the store was never built, or its last write of cases stopped before recomputing"
            " it; run `kg summary` (or the next `kg build` or `kg add`) to recompute it"
        )


def summary_inputs_changed(graphs: Iterable[NamedNode]) -> bool:
    """Tell whether replacing these graphs can change the summary (or replaced the summary itself).

    >>> summary_inputs_changed([NamedNode("https://w3id.org/dmkg/graph/claims")])
    False
    >>> summary_inputs_changed([NamedNode("https://w3id.org/dmkg/case/a")])
    True
    """
    inputs = {ONTOLOGY_GRAPH, HIERARCHY_GRAPH, SUMMARY_GRAPH}
    return any(g in inputs or g.value.startswith(CASE_BASE) for g in graphs)


def summary_is_present(store: Store) -> bool:
    """Tell whether the store holds a summary (an empty one counts: a store may have no DM case)."""
    marker = (
        f"SELECT ?t WHERE {{ GRAPH <{SUMMARY_GRAPH.value}> "
        f"{{ <{SUMMARY_GRAPH.value}> <{KG.summarisedAt.value}> ?t }} }} LIMIT 1"
    )
    return any(True for _ in store.query(marker))  # type: ignore[union-attr]


def tally(
    store: Store,
    graphs: list[NamedNode] | None = None,
    above: dict[NamedNode, set[NamedNode]] | None = None,
) -> dict[NamedNode, TumourTally]:
    """Roll every DM case, its sources and its positive antibodies up to each tumour type above it.

    Three reads (the DM cases with their types and publications, the hierarchy of neoplasm types,
    the positive antibody results), each one pass over its rows, then the roll-up in memory: one
    entry per case and ancestor type, a few hundred thousand at 100,000 cases.

    :param graphs: only the cases of these graphs (default: every case).
    :param above: the hierarchy as :func:`types_above` reads it, when the caller has it.
    """
    above = types_above(store) if above is None else above
    case_types: dict[str, set[NamedNode]] = defaultdict(set)
    tallies: dict[NamedNode, TumourTally] = defaultdict(TumourTally)
    for row in _rows_of(store, "tumour-dm-cases", graphs):
        case = row["case"].value
        source = source_of(row["pmid"], row["doi"])
        for tumour_type in above.get(row["leafType"], ()):
            case_types[case].add(tumour_type)
            tallies[tumour_type].cases.add(case)
            if source:
                tallies[tumour_type].sources.add(source)
    for row in _rows_of(store, "tumour-dm-antibodies", graphs):
        for tumour_type in case_types.get(row["case"].value, ()):
            tallies[tumour_type].antibodies.add(row["antibodyLabel"].value)
    return dict(tallies)


def _rows_of(store: Store, name: str, graphs: list[NamedNode] | None) -> Iterator[QuerySolution]:
    """Run an internal query over every case, or over some case graphs (with the ontology, which
    the antibodies' labels come from) :data:`~kg.store.sparql_text.GRAPH_BATCH` at a time."""
    text = internal_query(name)
    if graphs is None:
        yield from store.query(text)  # type: ignore[misc]
        return
    for batch in with_graph_batches(text, graphs, also=[ONTOLOGY_GRAPH]):
        yield from store.query(batch)  # type: ignore[misc]


def summary_quads(tallies: dict[NamedNode, TumourTally], when: datetime) -> list[Quad]:
    """Write each type's tally as statements about the type, plus the time of the summary.

    >>> t = TumourTally({"c1", "c2"}, {"PMID:2", "PMID:1"}, set())
    >>> lms = NamedNode("https://w3id.org/dmkg/oncotree/LMS")
    >>> quads = summary_quads({lms: t}, datetime(2026, 1, 1, tzinfo=UTC))
    >>> [(q.predicate.value.rsplit("/", 1)[1], q.object.value) for q in quads]
    ... # doctest: +NORMALIZE_WHITESPACE
    [('dmCaseCount', '2'), ('dmSources', 'PMID:1, PMID:2'),
     ('summarisedAt', '2026-01-01T00:00:00+00:00')]
    """
    quads = []
    for tumour_type, counted in sorted(tallies.items(), key=lambda item: item[0].value):
        values = [
            (KG.dmCaseCount, Literal(str(counted.count), datatype=XSD.integer)),
            (KG.dmSources, Literal(SEPARATOR.join(sorted(counted.sources)))),
        ]
        if counted.antibodies:
            antibodies = SEPARATOR.join(sorted(counted.antibodies))
            values.append((KG.dmPositiveAntibodies, Literal(antibodies)))
        quads += [Quad(tumour_type, p, o, SUMMARY_GRAPH) for p, o in values]
    stamp = Literal(when.isoformat(timespec="seconds"), datatype=XSD.dateTime)
    quads.append(Quad(SUMMARY_GRAPH, KG.summarisedAt, stamp, SUMMARY_GRAPH))
    return quads


def types_above(store: Store) -> dict[NamedNode, set[NamedNode]]:
    """Map each class to the neoplasm types it is (itself included, when it is one)."""
    above: dict[NamedNode, set[NamedNode]] = defaultdict(set)
    for row in store.query(internal_query("tumour-hierarchy")):  # type: ignore[union-attr]
        above[row["class"]].add(row["tumourType"])
    return above


def source_of(pmid: Literal | None, doi: Literal | None) -> str | None:
    """Name a publication as the direct query does: its PMID when it has one, else its DOI."""
    if pmid is not None:
        return f"PMID:{pmid.value}"
    return f"doi:{doi.value}" if doi is not None else None
