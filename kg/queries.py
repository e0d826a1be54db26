"""The catalogue of named queries in queries/*.rq: headers, typed parameters, safe binding.

Each .rq file runs on its own in any SPARQL tool. A parameter appears in the query as
``VALUES ?name { UNDEF }``, which leaves it unbound (the default: no restriction). Binding a value
replaces that UNDEF with one RDF term built by pyoxigraph, which validates IRIs and escapes
literals, so a value is always data and never changes the query's structure.

A query that takes a ``case`` can also be bound to several cases at once: a *page* of cases in
case-id order (:func:`case_page`). Every such query sorts by case id first, so its pages, one
after the other, give exactly the rows of the unbound query; a page costs milliseconds where the
whole listing of 100,000 cases costs minutes (benchmarks/README.md). :func:`pages_of_cases` runs
a query over every case that way, one page at a time, so the memory it needs is a page's, not
the store's: Oxigraph builds a hash table of every case's rows for each OPTIONAL subquery,
which took 6 GB for the timelines of 100,000 cases. `kg query` runs the pages on every core
(kg/parallel_pages.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from pyoxigraph import Literal, NamedNode

from kg.errors import QueryError
from kg.paths import QUERIES_DIR
from kg.rdf.vocab import KG, XSD, case_graph, oncotree_iri
from kg.store.base import QueryResult, Store

CASE_PARAMETER = "case"
PARAM_TYPES = ("iri", "string", "integer", "decimal", "boolean", "case", "oncotree")
_HEADER_RE = re.compile(r"^#\s*(?P<key>[a-z]+):\s*(?P<value>.*)$")
_PARAM_RE = re.compile(
    r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*\((?P<type>[a-z]+)(?:,\s*default:\s*(?P<default>[^)]*))?\)"
    r"\s*(?P<description>.*)$"
)
_CODE_RE = re.compile(r"^[A-Z0-9_]+$")
_CASE_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
# The outermost ORDER BY, LIMIT and OFFSET start a line; those of a subquery are indented.
_SORTED_BY_CASE_RE = re.compile(
    r"^ORDER\s+BY\s+(?:ASC\s*\(\s*)?\?caseId\b", re.MULTILINE | re.IGNORECASE
)
_SLICED_RE = re.compile(r"^(?:LIMIT|OFFSET)\b", re.MULTILINE | re.IGNORECASE)


@dataclass(frozen=True)
class Parameter:
    """A typed query parameter with its default (None: unbound, no restriction)."""

    name: str
    type: str
    default: str | None
    description: str


@dataclass(frozen=True)
class NamedQuery:
    """A SPARQL query file and its parsed header."""

    name: str
    path: Path
    text: str
    title: str
    description: str
    parameters: tuple[Parameter, ...] = field(default=())
    example: str = ""

    @property
    def takes_case(self) -> bool:
        """Whether the query has a ``case`` parameter (and so can be paged by case)."""
        return any(p.name == CASE_PARAMETER for p in self.parameters)

    @property
    def runs_by_pages(self) -> bool:
        """Whether its pages of cases, in turn, give exactly the rows of the unbound query.

        That holds for a query that takes a case, sorts its rows by case id first and keeps
        them all (no LIMIT or OFFSET, which would apply to each page); a query sorted otherwise
        (or aggregating across cases) must run whole.
        """
        return (
            self.takes_case
            and _SORTED_BY_CASE_RE.search(self.text) is not None
            and _SLICED_RE.search(self.text) is None
        )

    def bind(self, values: dict[str, str], *, cases: Sequence[NamedNode] | None = None) -> str:
        """Return the query text with parameter values bound as RDF terms.

        :param values: raw values by parameter name, as typed on the command line.
        :param cases: bind the ``case`` parameter to these case IRIs (a page), not one value.
        :returns: the query ready to run.
        :raises QueryError: for an unknown parameter or a value that is not of its type, or cases
            given to a query that takes none (or with a ``case`` value as well).
        """
        if cases is not None:
            if not self.takes_case:
                raise QueryError(f"{self.name} does not take a case, so it cannot be paged by case")
            if CASE_PARAMETER in values:
                raise QueryError(f"{self.name}: give one case or a page of cases, not both")
            text = self.bind(values)
            return _substitute(text, CASE_PARAMETER, " ".join(str(c) for c in cases), self.name)
        known = {p.name: p for p in self.parameters}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise QueryError(
                f"{self.name}: unknown parameter(s) {', '.join(unknown)}; "
                f"it takes: {', '.join(known) or 'none'}"
            )
        text = self.text
        for parameter in self.parameters:
            raw = values.get(parameter.name, parameter.default)
            if raw is None:
                continue
            term = to_term(parameter, raw)
            text = _substitute(text, parameter.name, str(term), self.name)
        return text


# Only a case graph's own node has a kg:caseId; adding `?case a kg:Case` makes Oxigraph join
# before sorting: 1.4 s against 55 ms for page 501 of 100,000 cases.
_CASES_IN_ORDER = (
    f"SELECT ?case WHERE {{ GRAPH ?case {{ ?case {KG.caseId} ?caseId }} }} ORDER BY ?caseId"
)


def case_page_query(page: int, size: int) -> str:
    """The SPARQL that lists one page (1-based) of case IRIs in case-id order.

    :raises QueryError: for a page or size below 1.
    """
    if page < 1 or size < 1:
        raise QueryError(f"pages count from 1 and hold one case or more (page {page}, size {size})")
    return f"{_CASES_IN_ORDER} LIMIT {size} OFFSET {(page - 1) * size}"


def case_page(store: Store, page: int, size: int) -> list[NamedNode]:
    """Return the case IRIs of one page (1-based) in case-id order, the order case queries use.

    :raises QueryError: for a page or size below 1.
    """
    rows = store.query(case_page_query(page, size))
    return [row["case"] for row in rows]  # type: ignore[union-attr, index]


def case_pages(store: Store, size: int) -> Iterator[list[NamedNode]]:
    """Yield every case IRI in case-id order, ``size`` at a time: the pages :func:`case_page`
    returns, listed with one query instead of one per page.

    :raises QueryError: for a size below 1.
    """
    if size < 1:
        raise QueryError(f"pages hold one case or more (size {size})")
    cases = [row["case"] for row in store.query(_CASES_IN_ORDER)]  # type: ignore[union-attr, index]
    for start in range(0, len(cases), size):
        yield cases[start : start + size]


def pages_of_cases(
    store: Store, query: NamedQuery, values: dict[str, str], size: int
) -> Iterator[QueryResult]:
    """Run a query over every case, one page of ``size`` cases at a time, in case-id order.

    The results, one after the other, are the rows of the unbound query in its order. A store
    without cases gives one run of the unbound query, so that even no rows come with a header.

    :raises QueryError: for a query that does not run by pages (see ``runs_by_pages``), or a
        ``case`` value given as well.
    """
    _, texts = page_texts(store, query, values, size)
    for text in texts:
        yield store.query(text)


def page_texts(
    store: Store, query: NamedQuery, values: dict[str, str], size: int
) -> tuple[int, Iterator[str]]:
    """Return how many runs a query over every case takes by pages, and their texts: the query
    bound to each page of ``size`` cases in case-id order, or unbound once for a store without
    cases. Each text is bound only when it is reached, since it repeats its page's cases in every
    subquery (47 KB a page for bohan-peter-sparql).

    :raises QueryError: at once, for a query that does not run by pages (see
        ``runs_by_pages``), a ``case`` value given as well, or a value not of its type.
    """
    if not query.runs_by_pages:
        raise QueryError(f"{query.name} does not sort its rows by case id first, so it runs whole")
    query.bind(values, cases=[])  # checks every value before the cases are listed
    pages = list(case_pages(store, size))
    if not pages:
        return 1, iter([query.bind(values)])
    return len(pages), (query.bind(values, cases=page) for page in pages)


def _substitute(text: str, name: str, term: str, query: str) -> str:
    pattern = re.compile(rf"VALUES\s+\?{name}\s*\{{\s*UNDEF\s*\}}")
    if not pattern.search(text):
        raise QueryError(f"{query}: parameter `{name}` has no `VALUES ?{name} {{ UNDEF }}` clause")
    return pattern.sub(lambda _: f"VALUES ?{name} {{ {term} }}", text)


def to_term(parameter: Parameter, raw: str) -> NamedNode | Literal:
    """Turn a raw value into the RDF term its parameter type calls for.

    :raises QueryError: when the value is not of the type.

    >>> to_term(Parameter("t", "oncotree", None, ""), "LMS").value
    'https://w3id.org/dmkg/oncotree/LMS'
    >>> str(to_term(Parameter("n", "integer", None, ""), "12"))
    '"12"^^<http://www.w3.org/2001/XMLSchema#integer>'
    """
    kind = parameter.type
    try:
        if kind == "iri":
            if ":" not in raw:
                raise ValueError("not an absolute IRI")
            return NamedNode(raw)
        if kind == "oncotree":
            if not _CODE_RE.match(raw):
                raise ValueError("an OncoTree code is upper-case letters, digits and _, e.g. LMS")
            return oncotree_iri(raw)
        if kind == "case":
            if not _CASE_ID_RE.match(raw):
                raise ValueError("a case id is lower-case letters, digits and hyphens")
            return case_graph(raw)
        if kind == "integer":
            return Literal(str(int(raw)), datatype=XSD.integer)
        if kind == "decimal":
            return Literal(str(Decimal(raw)), datatype=XSD.decimal)
        if kind == "boolean":
            if raw.lower() not in ("true", "false"):
                raise ValueError("write true or false")
            return Literal(raw.lower(), datatype=XSD.boolean)
        return Literal(raw)
    except (ValueError, InvalidOperation) as error:
        raise QueryError(
            f"parameter `{parameter.name}` ({kind}): {raw!r} is not valid: {error}"
        ) from None


def parse_query_file(path: Path) -> NamedQuery:
    """Read a .rq file and its header.

    :raises QueryError: when the header lacks a title or a parameter line is malformed.
    """
    text = path.read_text(encoding="utf-8")
    header: dict[str, str] = {}
    parameters: list[Parameter] = []
    for line in text.splitlines():
        if not line.startswith("#"):
            if line.strip():
                break
            continue
        match = _HEADER_RE.match(line)
        if not match:
            continue
        key, value = match["key"], match["value"].strip()
        if key == "param":
            parameters.append(_parse_parameter(value, path))
        else:
            header[key] = f"{header[key]} {value}" if key in header else value
    if "title" not in header:
        raise QueryError(f"{path}: the header has no `# title:` line")
    return NamedQuery(
        name=path.stem,
        path=path,
        text=text,
        title=header["title"],
        description=header.get("description", ""),
        parameters=tuple(parameters),
        example=header.get("example", ""),
    )


def _parse_parameter(value: str, path: Path) -> Parameter:
    match = _PARAM_RE.match(value)
    if not match or match["type"] not in PARAM_TYPES:
        raise QueryError(
            f"{path}: bad parameter line {value!r}; write `# param: name (type, default: value) "
            f"description` with type one of {', '.join(PARAM_TYPES)}"
        )
    default = (match["default"] or "").strip()
    return Parameter(
        match["name"],
        match["type"],
        None if default in ("", "none") else default,
        match["description"],
    )


def load_catalogue(directory: Path = QUERIES_DIR) -> dict[str, NamedQuery]:
    """Return every named query of a folder (not its qc/ checks), keyed by name."""
    return {path.stem: parse_query_file(path) for path in sorted(directory.glob("*.rq"))}


def find_query(name: str, directory: Path = QUERIES_DIR) -> NamedQuery:
    """Return one named query.

    :raises QueryError: when no query has that name (the message lists the catalogue).
    """
    catalogue = load_catalogue(directory)
    if name not in catalogue:
        raise QueryError(f"no query named {name!r}; `kg queries` lists: {', '.join(catalogue)}")
    return catalogue[name]
