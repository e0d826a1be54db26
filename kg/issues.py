"""Problems found in curated data, collected and reported together like compiler output."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class Severity(StrEnum):
    """How bad a problem is: errors block adding a case, warnings do not."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Issue:
    """One problem in a curated file, located to a line and column, with how to fix it.

    >>> print(Issue("cases/x.yaml", 3, 5, "unknown-hpo-id", Severity.ERROR, "`HP:1` is unknown.",
    ...             "use an HPO id."))
    cases/x.yaml:3:5: error [unknown-hpo-id] `HP:1` is unknown.
        fix: use an HPO id.
    """

    path: str
    line: int
    column: int
    rule: str
    severity: Severity
    message: str
    fix: str

    def __str__(self) -> str:
        head = (
            f"{self.path}:{self.line}:{self.column}: {self.severity} [{self.rule}] {self.message}"
        )
        return f"{head}\n    fix: {self.fix}" if self.fix else head

    @property
    def is_error(self) -> bool:
        """Whether this issue blocks the file from entering the store."""
        return self.severity == Severity.ERROR


def display_path(path: Path) -> str:
    """Return a path relative to the working directory where possible, as compilers print them.

    :param path: the file the issue is about.
    :returns: the shortest readable form of the path.
    """
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
