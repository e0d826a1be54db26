"""Read one case's inferences back from the inferred graph, for `kg explain`."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from pyoxigraph import QuerySolutions

from kg.errors import KgError
from kg.queries import NamedQuery, parse_query_file
from kg.store.base import Store


@dataclass
class ScoreView:
    """One EULAR/ACR score with its contributions as rows."""

    title: str
    score: str
    iim_class: str
    subgroup: str
    rows: list[tuple[str, str, str, str]] = field(default_factory=list)


@dataclass
class CaseExplanation:
    """What `kg explain` shows for one case."""

    case_id: str
    reasoner: str = ""
    bohan_peter: list[tuple[str, str, str]] = field(default_factory=list)
    bp_class: str = "not classified"
    owl_class: str = "not classified"
    could_change: str = ""
    eular: list[ScoreView] = field(default_factory=list)
    pns_class: str = ""
    pns_rule: str = ""


@cache
def _query(name: str) -> NamedQuery:
    return parse_query_file(
        Path(str(resources.files("kg.reasoning").joinpath("sparql").joinpath(f"{name}.rq")))
    )


def _rows(store: Store, name: str, case_id: str) -> list[dict[str, str]]:
    result = store.query(_query(name).bind({"case": case_id}))
    assert isinstance(result, QuerySolutions)
    names = [v.value for v in result.variables]
    return [{n: (str(row[n].value) if row[n] is not None else "") for n in names} for row in result]


def explain_case(store: Store, case_id: str) -> CaseExplanation:
    """Collect a case's criteria, scores and PNS class from the inferred graph.

    :raises KgError: when the case has no inferences (unknown case, or `kg reason` not run).
    """
    summary = _rows(store, "explain-summary", case_id)
    if not summary:
        raise KgError(
            f"no inferences for case {case_id!r}; check the id (`kg list`) and run `kg reason`"
        )
    head = summary[0]
    explanation = CaseExplanation(
        case_id,
        head["reasoner"],
        bp_class=head["supportedLabel"] or "not classified",
        owl_class=head["owlLabel"] or "not classified",
        could_change=head["couldChange"],
        pns_class=head["pnsClass"],
        pns_rule=head["pnsRule"],
    )
    for row in _rows(store, "explain-criteria", case_id):
        explanation.bohan_peter.append((row["criterion"], row["status"], row["reason"]))
    views: dict[str, ScoreView] = {}
    for row in _rows(store, "explain-scores", case_id):
        title = "EULAR/ACR 2017 " + (
            "with biopsy" if row["withBiopsy"] == "true" else "without biopsy"
        )
        view = views.setdefault(
            title, ScoreView(title, row["score"], row["iimClass"], row["subgroup"])
        )
        view.rows.append((row["variable"], row["status"], row["weight"], row["reason"]))
    explanation.eular = [views[k] for k in sorted(views, reverse=True)]
    return explanation
