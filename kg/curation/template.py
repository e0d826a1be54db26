"""The case file a curator starts from: `kg case new` fills in the publication and provenance.

Every value the curator must supply holds the placeholder ``TODO``, which validation reports as
`unfilled-placeholder` at its line, so a half-finished file can never be added by mistake. The
pinned ontology releases and today's date are written in, so the file is born consistent with the
project. Optional sections are present as commented examples, to uncomment or delete.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from string import Template

from kg.errors import CaseFileError
from kg.terminology import load_hpo, load_oncotree

SCHEMA_FILE = Path(__file__).with_name("case.schema.json")
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")

_TEMPLATE = Template("""\
# yaml-language-server: $$schema=$schema
# Written by `kg case new`. Every field is described in docs/curation.md, with the founding case
# (cases/merry-2020-lms.yaml) as the worked example. Replace each TODO with what the paper says,
# quote the paper verbatim in every `evidence:`, uncomment the sections you need, then run:
#   kg validate $path
id: $case_id
format_version: 1
publication:
$publication
report:
  type: primary  # or secondary, with primary_reference: "reference [n] of <this paper>"
provenance:
  curator: $curator
  date: "$today"
  status: draft  # draft | curated | reviewed
ontologies:
  hpo: "$hpo"
  oncotree: $oncotree

patient:
  sex: TODO  # female | male | unknown
  age: TODO  # age in years at `age_at`, a number; delete this line if the paper does not say
  age_at: presentation
  evidence: TODO quote the sentence giving the patient's sex and age

neoplasms:
  - id: tumour
    oncotree: TODO  # OncoTree code, e.g. LMS (https://oncotree.mskcc.org)
    label: TODO  # the OncoTree name of that code, e.g. Leiomyosarcoma
    diagnosed_at: presentation
    evidence: TODO quote the sentence naming the tumour

timeline:
  origin: presentation
  events:
    - id: presentation
      label: TODO  # what happened, e.g. Presentation with rash and proximal weakness
      evidence: TODO quote the sentence describing the event
    # - id: dm-diagnosis
    #   label: Diagnosis of dermatomyositis
    #   after: presentation  # or before: / same: another event id
    #   offset: 2 months  # '2 months', '2-4 weeks', 'a few months', 'several days'
    #   evidence: "Two months later, ..."

findings:
  - id: finding-1
    hpo: TODO  # HPO id, e.g. HP:0025508
    label: TODO  # its HPO label, exactly, e.g. Gottron's papules
    at: presentation
    evidence: TODO quote the sentence stating the finding
  # - id: no-dysphagia
  #   hpo: HP:0002015
  #   label: Dysphagia
  #   status: excluded  # the paper says it was absent
  #   at: presentation
  #   evidence: "The patient denied swallowing difficulty."

# labs:
#   - id: ck
#     test: creatine kinase
#     loinc: 2157-6
#     value: 695
#     unit: U/L  # UCUM
#     reference_range: {low: 25, high: 200}
#     interpretation: high  # high | normal | low
#     at: presentation
#     evidence: "..."

# antibodies:
#   - id: tif1-gamma
#     antibody: TIF1-gamma  # keys in docs/curation.md
#     result: positive  # positive | weakly positive | negative
#     at: presentation
#     evidence: "..."

# investigations:
#   - id: muscle-biopsy
#     type: muscle-biopsy  # emg | mri | skin-biopsy | muscle-biopsy | tumour-biopsy | ct | ...
#     done: false
#     reason: not stated  # why it was not done, in the paper's words
#     at: presentation
#     evidence: "..."

# treatments:
#   - id: prednisolone
#     type: immunosuppression  # chemotherapy | immunosuppression | surgery | radiotherapy | ...
#     agent: prednisolone
#     start: presentation
#     evidence: "..."

# responses:
#   - id: response-1
#     treatment: prednisolone
#     criteria: as reported  # or RECIST 1.1
#     category: improvement
#     at: presentation
#     evidence: "..."

# diagnoses:
#   - id: dermatomyositis
#     condition: dermatomyositis
#     certainty: definite  # definite | probable | possible | likely | reported
#     paraneoplastic: true
#     criteria: [Bohan and Peter 1975]
#     at: presentation
#     evidence: "..."
""")


@dataclass(frozen=True)
class Publication:
    """The publication a new case is curated from, as given on the command line."""

    title: str
    pmid: str | None = None
    doi: str | None = None
    journal: str | None = None
    year: int | None = None
    authors: tuple[str, ...] = ()

    def fields(self) -> dict[str, object]:
        """Return the publication's fields as the case file writes them (absent ones left out)."""
        values = {
            "pmid": self.pmid, "doi": self.doi, "title": self.title, "journal": self.journal,
            "year": self.year, "authors": list(self.authors),
        }  # fmt: skip
        return {key: value for key, value in values.items() if value}


def suggest_case_id(publication: Publication) -> str:
    """Derive a case id from the first author and year, else from the PMID or DOI.

    >>> suggest_case_id(Publication("T", pmid="32864095", year=2020, authors=("Merry E",)))
    'merry-2020'
    >>> suggest_case_id(Publication("T", doi="10.1186/s13569-020-00140-w"))
    'doi-10-1186-s13569-020-00140-w'
    """
    if publication.authors and publication.year:
        return slug(f"{publication.authors[0].split()[0]}-{publication.year}")
    if publication.pmid:
        return f"pmid-{publication.pmid}"
    if publication.doi:
        return slug(f"doi-{publication.doi}")
    raise CaseFileError("give --id, or a PMID or DOI to derive the case id from")


def slug(text: str) -> str:
    """Turn text into an id: lower-case ASCII letters, digits and single hyphens.

    >>> slug("Gómez-Ruiz 2019")
    'gomez-ruiz-2019'
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def render_case_template(
    case_id: str, publication: Publication, *, curator: str, hpo: str, oncotree: str,
    folder: Path, today: date | None = None,
) -> str:  # fmt: skip
    """Return the text of a new case file.

    :param case_id: the case id (also the file stem).
    :param publication: the source publication.
    :param curator: who curates it (name or ORCID).
    :param hpo: the pinned HPO release.
    :param oncotree: the pinned OncoTree release.
    :param folder: where the file will live (for the relative path to the schema).
    :param today: the curation date (default: today).
    :returns: YAML text with ``TODO`` placeholders.
    """
    return _TEMPLATE.substitute(
        schema=Path(os.path.relpath(SCHEMA_FILE, folder.resolve())).as_posix(),
        path=(folder / f"{case_id}.yaml").as_posix(),
        case_id=case_id,
        publication="\n".join(
            f"  {k}: {json.dumps(v, ensure_ascii=False)}" for k, v in publication.fields().items()
        ),
        curator=json.dumps(curator, ensure_ascii=False),
        today=(today or date.today()).isoformat(),
        hpo=hpo,
        oncotree=oncotree,
    )


def new_case_file(
    folder: Path, case_id: str | None, publication: Publication, curator: str
) -> Path:
    """Write a new case file from the template, never over an existing one.

    :param folder: the folder of case files.
    :param case_id: the id to use; derived from the publication when None (adding ``-2``, ``-3``
        ... when a case of that paper exists already).
    :param publication: the source publication.
    :param curator: who curates it (name or ORCID).
    :returns: the path of the new file, pinned to the project's HPO and OncoTree releases.
    :raises CaseFileError: for a malformed id, or an explicit id whose file exists.
    """
    if case_id is not None and not _ID_RE.match(case_id):
        raise CaseFileError(
            f"`{case_id}` is not a case id: use lower-case letters, digits, hyphens"
        )
    chosen = case_id or _free_id(folder, suggest_case_id(publication))
    path = folder / f"{chosen}.yaml"
    if path.exists():
        raise CaseFileError(f"{path} exists already; choose another --id")
    text = render_case_template(
        chosen, publication, curator=curator, hpo=load_hpo().release,
        oncotree=load_oncotree().release, folder=folder,
    )  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _free_id(folder: Path, base: str) -> str:
    candidate, number = base, 1
    while (folder / f"{candidate}.yaml").exists():
        number += 1
        candidate = f"{base}-{number}"
    return candidate
