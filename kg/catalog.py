"""Resolve the ontology's imports to local files through catalog-v001.xml, as Protégé does."""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from pathlib import Path

from pyoxigraph import NamedNode, RdfFormat, parse

from kg.errors import KgError
from kg.paths import ONTOLOGY_DIR

EDIT_FILE = "kg-edit.ttl"
CATALOG_FILE = "catalog-v001.xml"
OWL_IMPORTS = NamedNode("http://www.w3.org/2002/07/owl#imports")
_CATALOG_NS = "{urn:oasis:names:tc:entity:xmlns:xml:catalog}"


def read_catalog(ontology_dir: Path = ONTOLOGY_DIR) -> dict[str, Path]:
    """Return the catalog's mapping from import IRI to local file.

    :raises KgError: when the catalog is missing or malformed.
    """
    path = ontology_dir / CATALOG_FILE
    try:
        root = ET.parse(path).getroot()  # noqa: S314 - the project's own file
    except (OSError, ET.ParseError) as error:
        raise KgError(f"{path}: cannot read the import catalog: {error}") from error
    return {
        entry.attrib["name"]: ontology_dir / entry.attrib["uri"]
        for entry in root.iter(f"{_CATALOG_NS}uri")
    }


def ontology_files(ontology_dir: Path = ONTOLOGY_DIR) -> list[Path]:
    """Return kg-edit.ttl followed by every file it imports, transitively, through the catalog.

    :raises KgError: when an import has no catalog entry or its file is missing.
    """
    catalog = read_catalog(ontology_dir)
    pending, seen = [ontology_dir / EDIT_FILE], []
    while pending:
        path = pending.pop(0)
        if path in seen:
            continue
        if not path.exists():
            raise KgError(f"{path}: ontology file missing; run `python -m kg.terminology.modules`")
        seen.append(path)
        for iri in _imports_of(path):
            if iri not in catalog:
                raise KgError(f"{path}: imports {iri}, which has no entry in {CATALOG_FILE}")
            pending.append(catalog[iri])
    return seen


def _imports_of(path: Path) -> list[str]:
    with path.open("rb") as handle:
        return [
            str(t.object.value)
            for t in parse(handle, RdfFormat.TURTLE, base_iri=path.as_uri())
            if t.predicate == OWL_IMPORTS
        ]


def ontology_checksum(ontology_dir: Path = ONTOLOGY_DIR) -> str:
    """SHA-256 over the ontology files' bytes: blank nodes make graph comparison unstable."""
    digest = hashlib.sha256()
    for path in ontology_files(ontology_dir):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()
