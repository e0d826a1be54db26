"""Exceptions for faults of the environment or the program (curated-data problems are Issues)."""


class KgError(Exception):
    """Base class of every error the project raises on purpose."""


class CaseFileError(KgError):
    """A case file could not be read at all (missing, unreadable)."""


class StoreError(KgError):
    """The store could not be opened, read or written."""


class UnsupportedOperation(StoreError):
    """A store backend cannot do what was asked; the message says what to use instead."""


class QueryError(KgError):
    """A named query is unknown, malformed, or its parameters are wrong."""


class ReasonerError(KgError):
    """The OWL reasoner failed or found the data inconsistent."""


class TerminologyError(KgError):
    """A shipped terminology (HPO, OncoTree) could not be loaded."""
