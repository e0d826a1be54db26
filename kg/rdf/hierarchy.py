"""The reflexive-transitive closure of rdfs:subClassOf, materialised for queries. Pure: no I/O.

Queries roll findings up the HPO hierarchy and tumours up OncoTree. Property paths
(rdfs:subClassOf*) are evaluated poorly or wrongly by some engines (Virtuoso) and cost time at
scale, so the build writes every (class, ancestor-or-self) pair once, into its own graph.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from pyoxigraph import NamedNode, Quad

from kg.rdf.vocab import HIERARCHY_GRAPH, RDF, RDFS

OWL_CLASS = NamedNode("http://www.w3.org/2002/07/owl#Class")


def hierarchy_quads(ontology: Iterable[Quad]) -> list[Quad]:
    """Return (class, rdfs:subClassOf, ancestor) for every named class and each ancestor or itself.

    >>> a, b, c = (NamedNode(f"http://e.org/{n}") for n in "abc")
    >>> g = NamedNode("http://e.org/g")
    >>> quads = hierarchy_quads([Quad(a, RDFS.subClassOf, b, g), Quad(b, RDFS.subClassOf, c, g)])
    >>> sorted((q.subject.value[-1], q.object.value[-1]) for q in quads)
    [('a', 'a'), ('a', 'b'), ('a', 'c'), ('b', 'b'), ('b', 'c'), ('c', 'c')]
    """
    parents: dict[NamedNode, set[NamedNode]] = defaultdict(set)
    classes: set[NamedNode] = set()
    for quad in ontology:
        if (
            quad.predicate == RDFS.subClassOf
            and isinstance(quad.subject, NamedNode)
            and isinstance(quad.object, NamedNode)
        ):
            parents[quad.subject].add(quad.object)
            classes |= {quad.subject, quad.object}
        elif (
            quad.predicate == RDF.type
            and quad.object == OWL_CLASS
            and isinstance(quad.subject, NamedNode)
        ):
            classes.add(quad.subject)
    closure: dict[NamedNode, set[NamedNode]] = {}

    def ancestors(node: NamedNode, seen: frozenset[NamedNode] = frozenset()) -> set[NamedNode]:
        if node not in closure:
            found = {node}
            for parent in parents.get(node, ()):
                if parent not in seen:
                    found |= ancestors(parent, seen | {node})
            closure[node] = found
        return closure[node]

    return [
        Quad(node, RDFS.subClassOf, ancestor, HIERARCHY_GRAPH)
        for node in sorted(classes, key=lambda n: n.value)
        for ancestor in sorted(ancestors(node), key=lambda n: n.value)
    ]
