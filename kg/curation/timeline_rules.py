"""Rules for the case's timeline: anchors resolve, offsets read, no cycles, a possible order.

Kept apart from the other rules because they build on each other: day bounds can only be derived
once every anchor resolves without a cycle, and only then can an order be judged impossible.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kg.curation.case_file import DIRECTIONS, FACT_SECTIONS, CaseFile
from kg.curation.reporter import Reporter
from kg.curation.source import Pointer
from kg.curation.timeline import OffsetError, find_cycle, parse_offset

OFFSET_EXAMPLES = "'2 months', '2-4 weeks', 'a few months', 'several days'"
# After any of these, day bounds cannot be derived (or mean nothing), so order is not judged.
TIMELINE_BLOCKERS = (
    "unknown-origin", "anchored-origin", "anchor-count", "unknown-anchor", "unreadable-offset",
    "timeline-cycle", "unknown-event",
)  # fmt: skip


def check_timeline(case: CaseFile, report: Reporter) -> None:
    """Anchors resolve, the origin exists, offsets read, and anchors form no cycle."""
    timeline = case.data.get("timeline")
    if timeline is None:
        return
    ids = {event["id"] for event in case.events()}
    roots = [e["id"] for e in case.events() if not any(d in e for d in DIRECTIONS)]
    if timeline["origin"] not in ids:
        # The events without an anchor are the origin the curator meant; saying so is the fix,
        # and reporting each of them as unanchored as well would only repeat this one mistake.
        report.error(
            ("timeline", "origin"), "unknown-origin",
            f"the origin `{timeline['origin']}` is not an event id.",
            f"use one of: {', '.join(roots or sorted(ids))}.",
        )  # fmt: skip
    for index, event in enumerate(case.events()):
        origin = event["id"] if timeline["origin"] not in ids and event["id"] in roots else None
        pointer: Pointer = ("timeline", "events", index)
        _check_event(event, pointer, ids, origin or timeline["origin"], report)
    if report.has("unknown-anchor", "anchor-count", "unreadable-offset"):
        return
    cycle = find_cycle(case.placements())
    if cycle:
        index = [event["id"] for event in case.events()].index(cycle[0])
        report.error(
            ("timeline", "events", index), "timeline-cycle",
            f"the anchors form a cycle: {' -> '.join(cycle)}.",
            "anchor one of these events to an event outside the cycle.",
        )  # fmt: skip


def _check_event(
    event: dict[str, Any], pointer: Pointer, ids: set[str], origin: str, report: Reporter
) -> None:
    anchors = [direction for direction in DIRECTIONS if direction in event]
    if event["id"] == origin:
        if anchors:
            report.error(
                (*pointer, anchors[0]), "anchored-origin", f"the origin `{origin}` has an anchor.",
                "remove the anchor: all other events are placed relative to the origin.",
            )  # fmt: skip
        return
    if len(anchors) != 1:
        report.error(
            pointer, "anchor-count",
            f"the event `{event['id']}` needs exactly one of after / before / same, "
            f"has {len(anchors)}.",
            "place the event relative to one anchor event.",
        )  # fmt: skip
        return
    if event[anchors[0]] not in ids:
        report.error(
            (*pointer, anchors[0]), "unknown-anchor",
            f"the anchor `{event[anchors[0]]}` is not an event id.",
            f"use one of: {', '.join(sorted(ids))}.",
        )  # fmt: skip
    if event.get("offset") is not None:
        _check_offset(event, anchors[0], pointer, report)


def _check_offset(event: dict[str, Any], anchor: str, pointer: Pointer, report: Reporter) -> None:
    try:
        parse_offset(event["offset"])
    except OffsetError as error:
        report.error(
            (*pointer, "offset"), "unreadable-offset", f"{error}.", f"write e.g. {OFFSET_EXAMPLES}."
        )
    if anchor == "same":
        report.error(
            (*pointer, "offset"), "offset-with-same",
            "an event at the same time as its anchor has an offset.",
            "use `after:` or `before:` with the offset, or drop the offset.",
        )  # fmt: skip


def check_event_references(case: CaseFile, report: Reporter) -> None:
    """Every `at`, `start`, `end`, `age_at` and `diagnosed_at` names a timeline event."""
    ids = {event["id"] for event in case.events()}
    for pointer, key, value in event_references(case):
        if value not in ids:
            hint = f"use one of: {', '.join(sorted(ids))}." if ids else "add a `timeline:` event."
            report.error(
                (*pointer, key), "unknown-event", f"`{key}: {value}` names no timeline event.", hint
            )


def event_references(case: CaseFile) -> Iterator[tuple[Pointer, str, str]]:
    """Yield every reference to a timeline event: the pointer of its holder, the key, the id."""
    if "age_at" in case.data["patient"]:
        yield ("patient",), "age_at", case.data["patient"]["age_at"]
    for section in FACT_SECTIONS:
        for index, fact in enumerate(case.section(section)):
            yield from _fact_references((section, index), fact)


def _fact_references(pointer: Pointer, fact: dict[str, Any]) -> Iterator[tuple[Pointer, str, str]]:
    for key in ("at", "start", "end", "diagnosed_at"):
        if key in fact:
            yield pointer, key, fact[key]
    for j, change in enumerate(fact.get("dose_changes") or []):
        if "at" in change:
            yield (*pointer, "dose_changes", j), "at", change["at"]
    for j, finding in enumerate(fact.get("findings") or []):
        if "at" in finding:
            yield (*pointer, "findings", j), "at", finding["at"]


def check_order(case: CaseFile, report: Reporter) -> None:
    """Facts that must happen in order can: a treatment ends after it starts, and so on.

    Each event has a proven earliest and latest day (from the anchor chains), so when the event
    that must come later has its latest day before the earliest day of the one that must come
    first, no reading of the paper's offsets puts them in order: the order is impossible.
    """
    if report.has(*TIMELINE_BLOCKERS) or not case.events():
        return
    bounds = case.day_bounds
    for pointer, first, then, what in ordering_constraints(case):
        earliest, latest = bounds[first].earliest, bounds[then].latest
        if earliest is not None and latest is not None and latest < earliest:
            report.error(
                pointer, "impossible-order",
                f"{what}, but `{then}` is at day {latest} at the latest and `{first}` at day "
                f"{earliest} at the earliest (days from the timeline origin).",
                "check which events the fact names, and the anchors and offsets that place them.",
            )  # fmt: skip


def ordering_constraints(case: CaseFile) -> Iterator[tuple[Pointer, str, str, str]]:
    """Yield (pointer, earlier event, later event, why) for every order the facts imply."""
    starts: dict[str, str] = {}
    for index, treatment in enumerate(case.section("treatments")):
        start, end = treatment.get("start"), treatment.get("end")
        name = treatment["id"]
        if start:
            starts[name] = start
        if start and end:
            yield ("treatments", index, "end"), start, end, f"`{name}` must end after it starts"
        for j, change in enumerate(treatment.get("dose_changes") or []):
            where: Pointer = ("treatments", index, "dose_changes", j, "at")
            if start and change.get("at"):
                yield where, start, change["at"], f"a dose change of `{name}` must follow its start"
            if end and change.get("at"):
                yield where, change["at"], end, f"a dose change of `{name}` must precede its end"
    for index, response in enumerate(case.section("responses")):
        start = starts.get(response.get("treatment", ""))
        if start and response.get("at"):
            why = f"the response `{response['id']}` must follow the start of its treatment"
            yield ("responses", index, "at"), start, response["at"], why
