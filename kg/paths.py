"""Where the project's own files live, relative to the project root (configuration, not state)."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY_DIR = PROJECT_ROOT / "ontology"
CASES_DIR = PROJECT_ROOT / "cases"
CLAIMS_DIR = PROJECT_ROOT / "claims"
QUERIES_DIR = PROJECT_ROOT / "queries"
QC_DIR = QUERIES_DIR / "qc"
SHARED_DIR = PROJECT_ROOT.parent / "shared"
ONCOTREE_JSON = SHARED_DIR / "data" / "oncotree" / "oncotree_2025_10_03.json"


def default_store_dir() -> Path:
    """Return the default embedded store directory.

    ``KG_STORE`` overrides it; otherwise the store lives in ``data/store`` under the project root,
    which is git-ignored, so several checkouts never share one store by accident.

    :returns: the directory of the default embedded store.
    """
    override = os.environ.get("KG_STORE")
    return Path(override) if override else PROJECT_ROOT / "data" / "store"


def internal_query(name: str) -> str:
    """Return the text of one of the package's own queries (``kg/sparql/<name>.rq``).

    These are read by the code, not offered to users: the named queries live in ``queries/``.
    """
    return resources.files("kg").joinpath("sparql", f"{name}.rq").read_text("utf-8")
