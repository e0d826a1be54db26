"""Time as case reports give it: offsets from anchor events, with no more precision than the paper.

A paper says "two months later" or "a few months' history", rarely a date. Each event is placed
relative to one anchor; this module reads the offset phrase into a range and derives, for each
event, the earliest and latest day it can have happened, counted from the case's timeline origin.

Vague words are ranges (documented in docs/curation.md): "a couple of" = 2, "a few" = 2-4,
"several" = 3-9. A month counts 28 to 31 days and a year 365 to 366, so day bounds never claim more
than the paper does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

UNIT_DAYS: dict[str, tuple[int, int]] = {
    "day": (1, 1),
    "week": (7, 7),
    "month": (28, 31),
    "year": (365, 366),
}
VAGUE_AMOUNTS: dict[str, tuple[int, int]] = {
    "a couple of": (2, 2),
    "a few": (2, 4),
    "few": (2, 4),
    "several": (3, 9),
}
NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip
_AMOUNT = r"(?P<amount>\d+(?:\.\d+)?(?:\s*[-–]\s*\d+(?:\.\d+)?)?|[a-z ]+?)"
_OFFSET_RE = re.compile(rf"^\s*{_AMOUNT}\s+(?P<unit>day|week|month|year)s?\s*$")


class OffsetError(ValueError):
    """An offset phrase this module cannot read."""


@dataclass(frozen=True)
class Offset:
    """A distance from an anchor: between ``low`` and ``high`` units (``high`` None = unbounded)."""

    low: float
    high: float | None
    unit: str | None
    text: str

    def days(self) -> tuple[int, int | None]:
        """Return the offset's bounds in days.

        >>> parse_offset("2 months").days()
        (56, 62)
        >>> parse_offset(None).days()
        (0, None)
        """
        if self.unit is None:
            return (0, None)
        short, long = UNIT_DAYS[self.unit]
        high = None if self.high is None else round(self.high * long)
        return (round(self.low * short), high)


def parse_offset(text: str | None) -> Offset:
    """Read an offset phrase such as ``2 months``, ``2-4 weeks``, ``a few months``,
    ``several days``.

    :param text: the phrase, or None when the paper gives no distance (then 0 to unbounded).
    :returns: the offset as a range.
    :raises OffsetError: when the phrase does not follow the grammar.

    >>> parse_offset("a few months")
    Offset(low=2, high=4, unit='month', text='a few months')
    >>> parse_offset("2-4 weeks")
    Offset(low=2.0, high=4.0, unit='week', text='2-4 weeks')
    >>> parse_offset("two months").high
    2
    """
    if text is None:
        return Offset(0, None, None, "")
    match = _OFFSET_RE.match(text.lower())
    if not match:
        raise OffsetError(
            f"cannot read offset {text!r}; write a number or range and a unit, e.g. '2 months', "
            "'2-4 weeks', 'a few months', 'several days'"
        )
    low, high = _read_amount(match["amount"].strip(), text)
    return Offset(low, high, match["unit"], text)


def _read_amount(amount: str, text: str) -> tuple[float, float]:
    if amount in VAGUE_AMOUNTS:
        return VAGUE_AMOUNTS[amount]
    if amount in NUMBER_WORDS:
        return (NUMBER_WORDS[amount], NUMBER_WORDS[amount])
    parts = re.split(r"\s*[-–]\s*", amount)
    try:
        numbers = [float(part) for part in parts]
    except ValueError:
        words = ", ".join(sorted(VAGUE_AMOUNTS))
        raise OffsetError(
            f"unknown amount {amount!r} in {text!r}; use a number or one of: {words}"
        ) from None
    if numbers[0] > numbers[-1]:
        raise OffsetError(
            f"range {amount!r} in {text!r} runs backwards; write the smaller number first"
        )
    return (numbers[0], numbers[-1])


@dataclass(frozen=True)
class Placement:
    """Where one event sits relative to its anchor."""

    event: str
    anchor: str | None
    direction: str  # after | before | same | origin
    offset: Offset


@dataclass(frozen=True)
class DayBounds:
    """The earliest and latest day of an event from the origin; None means unbounded that way."""

    earliest: int | None
    latest: int | None


def derive_day_bounds(placements: dict[str, Placement]) -> dict[str, DayBounds]:
    """Derive day bounds for every event from the anchor chains.

    :param placements: every event's placement, keyed by event id; anchors must resolve and be
        acyclic (see :func:`find_cycle`).
    :returns: day bounds per event id.

    >>> p = {"a": Placement("a", None, "origin", parse_offset(None)),
    ...      "b": Placement("b", "a", "after", parse_offset("2 months")),
    ...      "c": Placement("c", "b", "before", parse_offset("a few days"))}
    >>> derive_day_bounds(p)["c"]
    DayBounds(earliest=52, latest=60)
    """
    bounds: dict[str, DayBounds] = {}

    def resolve(event: str) -> DayBounds:
        if event not in bounds:
            bounds[event] = _place(placements[event], resolve)
        return bounds[event]

    for event in placements:
        resolve(event)
    return bounds


def _place(placement: Placement, resolve: object) -> DayBounds:
    if placement.anchor is None:
        return DayBounds(0, 0)
    anchor = resolve(placement.anchor)  # type: ignore[operator]
    low, high = placement.offset.days()
    if placement.direction == "same":
        return anchor
    if placement.direction == "after":
        latest = None if anchor.latest is None or high is None else anchor.latest + high
        earliest = None if anchor.earliest is None else anchor.earliest + low
        return DayBounds(earliest, latest)
    earliest = None if anchor.earliest is None or high is None else anchor.earliest - high
    latest = None if anchor.latest is None else anchor.latest - low
    return DayBounds(earliest, latest)


def find_cycle(placements: dict[str, Placement]) -> list[str] | None:
    """Return the events of an anchor cycle, or None when the anchors form a forest.

    >>> find_cycle({"a": Placement("a", "b", "after", parse_offset(None)),
    ...             "b": Placement("b", "a", "after", parse_offset(None))})
    ['a', 'b', 'a']
    """
    for start in placements:
        seen: list[str] = []
        current: str | None = start
        while current is not None and current in placements:
            if current in seen:
                return [*seen[seen.index(current) :], current]
            seen.append(current)
            current = placements[current].anchor
    return None
