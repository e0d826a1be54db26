"""A case file as read from disk: its data, where each value sits, and its derived timeline."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from kg.curation.source import Pointer, SourceDocument
from kg.curation.timeline import DayBounds, Placement, derive_day_bounds, parse_offset

# Sections holding lists of facts, each fact with an `id` and an `evidence` quote.
FACT_SECTIONS = (
    "neoplasms", "findings", "labs", "antibodies", "investigations", "treatments", "responses",
    "diagnoses",
)  # fmt: skip
DIRECTIONS = ("after", "before", "same")


@dataclass
class CaseFile:
    """One parsed, schema-valid case file."""

    path: Path
    doc: SourceDocument
    text: str = field(repr=False)

    @property
    def data(self) -> dict[str, Any]:
        """The file's content as plain data."""
        return self.doc.data  # type: ignore[no-any-return]

    @property
    def case_id(self) -> str:
        """The case identifier (equal to the file stem)."""
        return str(self.data["id"])

    @cached_property
    def checksum(self) -> str:
        """SHA-256 of the file's bytes, recorded as provenance when the case is added."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def section(self, name: str) -> list[dict[str, Any]]:
        """Return a list section (empty when absent)."""
        return list(self.data.get(name) or [])

    def events(self) -> list[dict[str, Any]]:
        """Return the timeline events in file order."""
        return list((self.data.get("timeline") or {}).get("events") or [])

    def all_findings(self) -> Iterator[tuple[Pointer, dict[str, Any]]]:
        """Yield every finding with its pointer: the findings section and investigation results."""
        for index, finding in enumerate(self.section("findings")):
            yield ("findings", index), finding
        for i, investigation in enumerate(self.section("investigations")):
            for j, finding in enumerate(investigation.get("findings") or []):
                yield ("investigations", i, "findings", j), finding

    def placements(self) -> dict[str, Placement]:
        """Return every event's placement relative to its anchor (the origin has none)."""
        origin = (self.data.get("timeline") or {}).get("origin")
        result: dict[str, Placement] = {}
        for event in self.events():
            direction = next((d for d in DIRECTIONS if d in event), "origin")
            anchor = None if event["id"] == origin else event.get(direction)
            result[event["id"]] = Placement(
                event["id"],
                anchor,
                direction if anchor else "origin",
                parse_offset(event.get("offset")),
            )
        return result

    @cached_property
    def day_bounds(self) -> dict[str, DayBounds]:
        """Derived earliest and latest day of every event (call only on a validated file)."""
        return derive_day_bounds(self.placements())
