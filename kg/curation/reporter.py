"""Collect the issues of one case file, each located by the path to the value it is about.

Rules name *what* is wrong by a pointer into the data (``("labs", 2, "unit")``); the reporter turns
that into the file's line and column, so no rule has to know about YAML marks.
"""

from __future__ import annotations

from kg.curation.source import Pointer, SourceDocument
from kg.issues import Issue, Severity, display_path


class Reporter:
    """Collects issues for one file, locating each by its pointer."""

    def __init__(self, doc: SourceDocument) -> None:
        self.doc = doc
        self.issues: list[Issue] = []

    def error(
        self, pointer: Pointer, rule: str, message: str, fix: str, *, key: bool = False
    ) -> None:
        """Record a problem that blocks the file from entering the store.

        :param pointer: where the problem is, as keys and list indices.
        :param rule: the rule id (kebab-case), listed in docs/curation.md.
        :param message: what is wrong, quoting the offending value.
        :param fix: how to fix it, as an instruction.
        :param key: point at the mapping key rather than its value (for unknown fields).
        """
        self._add(pointer, rule, message, fix, Severity.ERROR, key)

    def warning(self, pointer: Pointer, rule: str, message: str, fix: str) -> None:
        """Record a problem worth a look that does not block the file."""
        self._add(pointer, rule, message, fix, Severity.WARNING, False)

    def has(self, *rules: str) -> bool:
        """Whether one of these rules has fired already (later rules may depend on it)."""
        return any(issue.rule in rules for issue in self.issues)

    def has_errors(self) -> bool:
        """Whether any error was recorded so far."""
        return any(issue.is_error for issue in self.issues)

    def _add(
        self, pointer: Pointer, rule: str, message: str, fix: str, severity: Severity, key: bool
    ) -> None:
        line, column = self.doc.position(pointer, key=key)
        path = display_path(self.doc.path)
        self.issues.append(Issue(path, line, column, rule, severity, message, fix))
