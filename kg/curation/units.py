"""Check units against UCUM, the code system lab values are recorded in."""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def _parser() -> Any:
    from ucumvert import get_ucum_parser

    return get_ucum_parser()


@cache
def check_ucum_unit(unit: str) -> str | None:
    """Return why a unit is not valid UCUM, or None when it is.

    Answers are cached: a corpus uses a few dozen units, and parsing one costs milliseconds.

    :param unit: a UCUM code such as ``U/L``.
    :returns: the parser's complaint in one line, or None.

    >>> check_ucum_unit("10*9/L") is None
    True
    >>> check_ucum_unit("units per litre") is not None
    True
    """
    try:
        _parser().parse(unit)
    except Exception as error:
        return str(error).strip().splitlines()[0]
    return None
