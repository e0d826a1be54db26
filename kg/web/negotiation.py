"""HTTP content negotiation for the SPARQL endpoint: which format a client's Accept header wants.

Pure functions, no I/O, so the query workers and the HTTP handler agree on formats.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyoxigraph import QueryResultsFormat, RdfFormat


@dataclass(frozen=True)
class Offer:
    """A media type the endpoint can produce, and the pyoxigraph format that writes it."""

    media_type: str
    format: QueryResultsFormat | RdfFormat


# First offer of each list is the default when the client accepts anything.
SOLUTION_OFFERS = (
    Offer("application/sparql-results+json", QueryResultsFormat.JSON),
    Offer("application/sparql-results+xml", QueryResultsFormat.XML),
    Offer("text/csv", QueryResultsFormat.CSV),
    Offer("text/tab-separated-values", QueryResultsFormat.TSV),
    Offer("application/json", QueryResultsFormat.JSON),
    Offer("application/xml", QueryResultsFormat.XML),
)
GRAPH_OFFERS = (
    Offer("text/turtle", RdfFormat.TURTLE),
    Offer("application/n-triples", RdfFormat.N_TRIPLES),
    Offer("text/plain", RdfFormat.N_TRIPLES),
)


def parse_accept(header: str | None) -> list[tuple[str, float]]:
    """Return the media ranges of an Accept header with their quality values.

    >>> parse_accept("text/csv;q=0.5, application/sparql-results+json")
    [('text/csv', 0.5), ('application/sparql-results+json', 1.0)]
    >>> parse_accept(None)
    [('*/*', 1.0)]
    """
    if not header or not header.strip():
        return [("*/*", 1.0)]
    ranges = []
    for part in header.split(","):
        fields = [f.strip() for f in part.split(";")]
        quality = 1.0
        for parameter in fields[1:]:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if fields[0]:
            ranges.append((fields[0].lower(), quality))
    return ranges


def _quality(media_type: str, ranges: list[tuple[str, float]]) -> float:
    """The quality of a media type under the most specific range that matches it."""
    kind = media_type.split("/", 1)[0]
    best: tuple[int, float] = (-1, 0.0)
    for media_range, quality in ranges:
        if media_range == media_type:
            specificity = 2
        elif media_range == f"{kind}/*":
            specificity = 1
        elif media_range == "*/*":
            specificity = 0
        else:
            continue
        best = max(best, (specificity, quality), key=lambda pair: pair[0])
    return best[1]


def choose(header: str | None, offers: tuple[Offer, ...]) -> Offer | None:
    """Return the offer the client prefers most (ties: the server's order), or None.

    >>> choose("text/csv", SOLUTION_OFFERS).media_type
    'text/csv'
    >>> choose("text/html;q=0.9, */*;q=0.1", GRAPH_OFFERS).media_type
    'text/turtle'
    >>> choose("text/html", SOLUTION_OFFERS) is None
    True
    """
    ranges = parse_accept(header)
    scored = [
        (_quality(offer.media_type, ranges), -index, offer) for index, offer in enumerate(offers)
    ]
    quality, _, offer = max(scored, key=lambda item: (item[0], item[1]))
    return offer if quality > 0 else None


def acceptable_types(offers: tuple[Offer, ...]) -> str:
    """List the media types of some offers, for a 406 message."""
    return ", ".join(offer.media_type for offer in offers)
