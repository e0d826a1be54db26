"""Evidence quotes of curated files, and the normalisation that matches them to the paper's text."""

from __future__ import annotations

import re


def normalise_text(text: str) -> str:
    """Lower-case and keep only letters and digits.

    The paper's text comes from a PDF: line breaks split words and quotes are typographic.

    >>> normalise_text("Gottron’s pap-\\nules")
    'gottronspapules'
    """
    return re.sub(r"[^0-9a-z]", "", text.lower())


def evidence_quotes(value: object) -> list[str]:
    """Every `evidence` quote anywhere in a parsed case or claim file.

    >>> evidence_quotes({"evidence": "a", "findings": [{"evidence": ["b", "c"]}]})
    ['a', 'b', 'c']
    """
    if isinstance(value, dict):
        found: list[str] = []
        for key, item in value.items():
            if key == "evidence":
                found += [item] if isinstance(item, str) else list(item)
            else:
                found += evidence_quotes(item)
        return found
    if isinstance(value, list):
        return [quote for item in value for quote in evidence_quotes(item)]
    return []
