"""The curated Sarcoma grouping: which OncoTree nodes are sarcomas, decided one by one.

OncoTree's ``mainType`` is not a malignancy flag ("Soft Tissue Sarcoma" holds leiomyoma,
haemangioma and myxoma), so membership in kg:Sarcoma is an explicit, reviewed decision per node,
kept with its reason in ``ontology/sarcoma-grouping.tsv``. A node decided ``sarcoma`` passes the
decision to everything below it, so :func:`check_grouping` refuses a grouping in which a sarcoma
node has a benign or ``not-sarcoma`` descendant, or in which a node that must be decided is not.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from kg.errors import TerminologyError
from kg.paths import ONTOLOGY_DIR
from kg.terminology.oncotree import OncoTree, OncoTreeNode, load_oncotree

GROUPING_TSV = ONTOLOGY_DIR / "sarcoma-grouping.tsv"
COLUMNS = ("code", "name", "decision", "reason")
DECISIONS = {"sarcoma": True, "not-sarcoma": False}
MESENCHYMAL_TISSUES = frozenset({"Soft Tissue", "Bone"})
BENIGN_NAME = re.compile(
    r"\b(benign|borderline|uncertain malignant potential|leiomyoma|hemangioma|haemangioma|"
    r"myxoma|lipoma|fibroadenoma|fibroma|myofibroma|neurofibroma|schwannoma|chondroma|"
    r"osteoma|chondroblastoma|desmoid|fibromatosis)\b",
    re.IGNORECASE,
)
# Nodes decided 'sarcoma' whose OncoTree name still reads benign, each for a stated reason.
BENIGN_NAME_EXCEPTIONS = MappingProxyType(
    {"MSCHW": "WHO 5th ed. renamed it malignant melanotic nerve sheath tumour (malignant)"}
)


@dataclass(frozen=True)
class SarcomaDecision:
    """One reviewed node: is it a sarcoma, and why (the reason ends up in the ontology)."""

    code: str
    name: str
    is_sarcoma: bool
    reason: str
    line: int = 0


@dataclass(frozen=True)
class SarcomaGrouping:
    """Every reviewed node, keyed by OncoTree code, and the file it came from."""

    decisions: Mapping[str, SarcomaDecision]
    source: Path

    def __iter__(self) -> Iterator[SarcomaDecision]:
        return iter(self.decisions.values())

    def sarcoma_roots(self) -> tuple[str, ...]:
        """Return the codes decided ``sarcoma``, sorted (descendants are implied, not listed)."""
        return tuple(sorted(d.code for d in self if d.is_sarcoma))

    def is_sarcoma(self, code: str, tree: OncoTree) -> bool:
        """Return True when the node, or a node above it, is decided ``sarcoma``.

        :raises TerminologyError: when the code is not in the tree.
        """
        chain = (tree.node(code), *tree.ancestors(code))
        return any(self._decided_sarcoma(node.code) for node in chain)

    def sarcoma_codes(self, tree: OncoTree) -> frozenset[str]:
        """Return every OncoTree code in the grouping: the decided nodes and all below them."""
        codes: set[str] = set()
        for root in self.sarcoma_roots():
            codes.add(root)
            codes.update(node.code for node in tree.descendants(root))
        return frozenset(codes)

    def _decided_sarcoma(self, code: str) -> bool:
        decision = self.decisions.get(code)
        return decision is not None and decision.is_sarcoma


def load_grouping(path: Path = GROUPING_TSV) -> SarcomaGrouping:
    """Read the curated grouping (tab-separated, ``#`` lines are comments).

    :param path: the TSV with columns code, name, decision, reason.
    :returns: the decisions, keyed by code.
    :raises TerminologyError: naming the file and line of a malformed or duplicate row.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise TerminologyError(f"{path}: cannot read the Sarcoma grouping: {error}") from error
    rows = [(n, line) for n, line in enumerate(lines, 1) if line and not line.startswith("#")]
    if not rows or tuple(rows[0][1].split("\t")) != COLUMNS:
        header = "<TAB>".join(COLUMNS)
        raise TerminologyError(f"{path}: the first row that is not a comment must be {header}")
    decisions: dict[str, SarcomaDecision] = {}
    for number, line in rows[1:]:
        decision = _parse_row(path, number, line)
        if decision.code in decisions:
            raise TerminologyError(f"{path}:{number}: {decision.code} is decided twice")
        decisions[decision.code] = decision
    return SarcomaGrouping(MappingProxyType(decisions), path)


def _parse_row(path: Path, number: int, line: str) -> SarcomaDecision:
    fields = line.split("\t")
    if len(fields) != len(COLUMNS) or not all(f.strip() for f in fields):
        raise TerminologyError(
            f"{path}:{number}: expected {len(COLUMNS)} non-empty tab-separated fields "
            f"({', '.join(COLUMNS)}), found {len(fields)}"
        )
    code, name, decision, reason = (f.strip() for f in fields)
    if decision not in DECISIONS:
        raise TerminologyError(
            f"{path}:{number}: decision {decision!r} for {code}; write 'sarcoma' or 'not-sarcoma'"
        )
    return SarcomaDecision(code, name, DECISIONS[decision], reason, number)


def must_be_decided(node: OncoTreeNode) -> bool:
    """Return True for nodes the grouping must decide explicitly.

    Those are the nodes where OncoTree's labels hint at a sarcoma: a main type containing
    "Sarcoma", the Soft Tissue or Bone tissues, or "sarcoma" in the name.

    >>> must_be_decided(OncoTreeNode("LM", "Leiomyoma", "Soft Tissue Cancer", "Soft Tissue",
    ...                              "SOFT_TISSUE", 2))
    True
    """
    return (
        "Sarcoma" in (node.main_type or "")
        or node.tissue in MESENCHYMAL_TISSUES
        or "sarcoma" in node.name.casefold()
    )


def check_grouping(grouping: SarcomaGrouping, tree: OncoTree) -> list[str]:
    """Return every problem of the grouping against the tree; empty means it is sound.

    :param grouping: the curated decisions.
    :param tree: the OncoTree release they refer to.
    :returns: one message per problem, each naming the file line, the rule and the fix.
    """
    problems = [_check_row(grouping.source, d, tree) for d in grouping]
    problems += [
        f"{grouping.source}: {node.code} ({node.name}) is not decided; add a row for it"
        for node in tree
        if must_be_decided(node) and node.code not in grouping.decisions
    ]
    for root in grouping.sarcoma_roots():
        if tree.get(root) is not None:
            problems += _check_below_sarcoma(grouping, tree, grouping.decisions[root])
    return [problem for problem in problems if problem]


def _check_row(source: Path, decision: SarcomaDecision, tree: OncoTree) -> str:
    where = f"{source}:{decision.line}"
    node = tree.get(decision.code)
    if node is None:
        return f"{where}: {decision.code} is not an OncoTree code in {tree.release}"
    if node.name != decision.name:
        return f"{where}: {decision.code} is named {node.name!r} in {tree.release}; fix the name"
    return ""


def _check_below_sarcoma(
    grouping: SarcomaGrouping, tree: OncoTree, root: SarcomaDecision
) -> list[str]:
    """A sarcoma node, and everything under it (which inherits the decision), may not be benign."""
    problems = []
    for node in (tree.node(root.code), *tree.descendants(root.code)):
        below = grouping.decisions.get(node.code)
        if node.code != root.code and below is not None and not below.is_sarcoma:
            problems.append(
                f"{grouping.source}:{below.line}: {node.code} is 'not-sarcoma' but lies under "
                f"{root.code}, decided 'sarcoma' on line {root.line}; decide the children of "
                f"{root.code} one by one instead"
            )
        elif BENIGN_NAME.search(node.name) and node.code not in BENIGN_NAME_EXCEPTIONS:
            what = "it" if node.code == root.code else f"its descendant {node.code}"
            problems.append(
                f"{grouping.source}:{root.line}: {root.code} is 'sarcoma' but {what} "
                f"({node.name}) looks benign; fix the decision or decide the children one by one"
            )
    return problems


def load_checked_grouping(
    path: Path = GROUPING_TSV, tree: OncoTree | None = None
) -> SarcomaGrouping:
    """Load the grouping and refuse it loudly when :func:`check_grouping` finds a problem.

    :raises TerminologyError: listing every problem.
    """
    grouping = load_grouping(path)
    problems = check_grouping(grouping, tree or load_oncotree())
    if problems:
        raise TerminologyError("the Sarcoma grouping is unsound:\n" + "\n".join(problems))
    return grouping
