"""Write case data as block-style YAML in the layout curators use, fast enough for 10^5 files.

PyYAML's emitter is pure Python and slow; case data is only mappings, lists and scalars, so a small
writer does it: plain scalars where YAML reads them back unchanged, JSON-quoted ones elsewhere
(JSON string escapes are valid in YAML double-quoted scalars).
"""

from __future__ import annotations

import json
import re
from typing import Any

_PLAIN = re.compile(r"^[A-Za-z][A-Za-z0-9 ,.()/'%*-]*$")
_RESERVED = frozenset({"y", "n", "yes", "no", "true", "false", "on", "off", "null"})


def yaml_scalar(value: Any) -> str:
    """Write a scalar as YAML: plain when unambiguous, else double-quoted (JSON escapes are YAML's).

    >>> yaml_scalar("Gottron's papules"), yaml_scalar("2-4 weeks"), yaml_scalar("no")
    ("Gottron's papules", '2-4 weeks', '"no"')
    >>> yaml_scalar("HP:0025508"), yaml_scalar(True)
    ('"HP:0025508"', 'true')
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _RESERVED and not text.endswith(" "):
        return text
    if re.match(r"^\d[\d-]* [a-z]", text) and ": " not in text and " #" not in text:
        return text
    return json.dumps(text)


def _emit(value: Any, indent: int, out: list[str]) -> None:
    pad = " " * indent
    for key, item in value.items():
        if item is None:
            continue
        if isinstance(item, dict):
            out.append(f"{pad}{key}:")
            _emit(item, indent + 2, out)
        elif isinstance(item, list):
            if not item:
                continue
            if all(not isinstance(x, dict | list) for x in item):
                out.append(f"{pad}{key}: [{', '.join(json.dumps(x) for x in item)}]")
                continue
            out.append(f"{pad}{key}:")
            for entry in item:
                lines: list[str] = []
                _emit(entry, indent + 4, lines)
                out.append(f"{pad}  - {lines[0].lstrip()}")
                out.extend(lines[1:])
        else:
            out.append(f"{pad}{key}: {yaml_scalar(item)}")


def to_yaml(data: dict[str, Any]) -> str:
    """Write case data as block-style YAML, in the layout curators use.

    >>> print(to_yaml({"id": "x", "findings": [{"id": "f1", "hpo": "HP:0025508"}], "a": [1, 2]}))
    id: x
    findings:
      - id: f1
        hpo: "HP:0025508"
    a: [1, 2]
    <BLANKLINE>
    """
    out: list[str] = []
    _emit(data, 0, out)
    return "\n".join(out) + "\n"
