"""Quality checks over the graph, ODK style: each query in queries/qc/ returns violations.

A check is `SELECT ?entity ?property ?value ?message ... ORDER BY ?entity`; every row is a
violation and an empty result is a pass. The file stem is the rule id.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import QuerySolutions

from kg.errors import QueryError
from kg.paths import QC_DIR
from kg.queries import parse_query_file
from kg.results import short_text
from kg.store.base import Store

REQUIRED_VARIABLES = ("entity", "property", "value")


@dataclass(frozen=True)
class Check:
    """One quality check: its rule id, severity, fix and query."""

    rule: str
    title: str
    severity: str
    fix: str
    sparql: str
    path: Path


@dataclass(frozen=True)
class Violation:
    """One row returned by a check."""

    rule: str
    severity: str
    entity: str
    property: str
    value: str
    message: str
    fix: str

    def __str__(self) -> str:
        what = self.message or f"{self.property} = {self.value!r}"
        return f"{self.entity}: {self.severity} [{self.rule}] {what}\n    fix: {self.fix}"


def load_checks(directory: Path = QC_DIR) -> list[Check]:
    """Read every active check (qc/inactive/ is skipped).

    :raises QueryError: when a check lacks its severity or fix header.
    """
    checks = []
    for path in sorted(directory.glob("*.rq")):
        query = parse_query_file(path)
        header = _header(path)
        if header.get("severity") not in ("error", "warning") or not header.get("fix"):
            raise QueryError(
                f"{path}: a check needs `# severity: error|warning` and `# fix:` lines"
            )
        checks.append(
            Check(path.stem, query.title, header["severity"], header["fix"], query.text, path)
        )
    return checks


def _header(path: Path) -> dict[str, str]:
    header = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        key, sep, value = line.lstrip("# ").partition(":")
        if sep:
            header.setdefault(key.strip(), value.strip())
    return header


def run_check(store: Store, check: Check) -> list[Violation]:
    """Run one check and return its violations."""
    result = store.query(check.sparql)
    if not isinstance(result, QuerySolutions):
        raise QueryError(f"{check.path}: a check must be a SELECT query")
    names = [v.value for v in result.variables]
    missing = [v for v in REQUIRED_VARIABLES if v not in names]
    if missing:
        raise QueryError(
            f"{check.path}: a check must select ?entity ?property ?value; missing {missing}"
        )
    return [
        Violation(
            check.rule,
            check.severity,
            short_text(row["entity"]),
            short_text(row["property"]),
            short_text(row["value"]),
            short_text(row["message"]) if "message" in names else "",
            check.fix,
        )
        for row in result
    ]


def run_checks(store: Store, directory: Path = QC_DIR) -> list[Violation]:
    """Run every check and return all violations, in rule order."""
    return [violation for check in load_checks(directory) for violation in run_check(store, check)]
