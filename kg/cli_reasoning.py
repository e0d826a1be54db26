"""`kg reason` and `kg explain`: classify cases against the criteria and show why."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from kg.cli_options import Endpoint, StoreDir, UpdateEndpoint, location
from kg.reasoning.consistency import Inconsistency
from kg.reasoning.explain import CaseExplanation, explain_case
from kg.reasoning.reason import reason
from kg.store import open_store

commands = typer.Typer()
console = Console()
errors = Console(stderr=True)


@commands.command("reason")
def reason_command(
    reasoner: Annotated[str, typer.Option(help="hermit or pellet.")] = "hermit",
    store: StoreDir = None,
    endpoint: Endpoint = None,
    update_endpoint: UpdateEndpoint = None,
    compact: Annotated[
        bool,
        typer.Option(
            help="After a first run's bulk writes, or a run that rewrote a tenth of the "
            "inferred graph or more, compact the embedded store so that queries read it fast "
            "(1.1x to 3.5x at 10,000 cases); --no-compact leaves it to `kg compact`."
        ),
    ] = True,
    every_case: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Reason about every case again, even those whose results were made from their "
            "present file, ontology, reasoner and code (for case graphs changed by hand), and "
            "delete what else the inferred graph holds (quads written into it by hand).",
        ),
    ] = False,
) -> None:
    """Classify every case (Bohan and Peter by OWL reasoner; EULAR/ACR 2017; PNS 2004).

    Inferences replace the inferred graph; on an inconsistent case nothing changes and the exit
    code is 1. A case whose file, and the ontology, reasoner and code, are as they were at the
    last run keeps its results without being read again.

    \b
    Example:
        kg reason --reasoner pellet
    """
    if reasoner not in ("hermit", "pellet"):
        raise typer.BadParameter("use hermit or pellet", param_hint="--reasoner")
    target = open_store(location(store, endpoint, update_endpoint))
    try:
        report = reason(target, reasoner, compact=compact, every_case=every_case)  # type: ignore[arg-type]
    except Inconsistency as error:
        errors.print(f"inconsistent: {error}", markup=False, highlight=False)
        raise typer.Exit(1) from None
    kept = (
        f" ({report.kept} kept the results made from their present inputs)" if report.kept else ""
    )
    console.print(
        f"{report.cases} case(s){kept}, {report.patterns} distinct conflict pattern(s) checked "
        f"and {report.profiles} distinct profile(s) classified by {report.reasoner.version}; "
        "inferences written to the inferred graph."
    )
    target.close()


@commands.command("explain")
def explain_command(
    case_id: Annotated[str, typer.Argument(help="The case id, e.g. merry-2020-lms.")],
    store: StoreDir = None,
    endpoint: Endpoint = None,
    update_endpoint: UpdateEndpoint = None,
) -> None:
    """Show a case's classification under each criteria set, with the arithmetic.

    \b
    Example:
        kg explain merry-2020-lms
    """
    target = open_store(location(store, endpoint, update_endpoint), read_only=True)
    render_explanation(explain_case(target, case_id))


def render_explanation(explanation: CaseExplanation) -> None:
    """Print the three criteria sets as tables."""
    console.print(f"[bold]{explanation.case_id}[/bold]  (inferred by {explanation.reasoner})")
    bp = Table("criterion", "status", "reason", title="Bohan and Peter 1975", title_justify="left")
    for row in explanation.bohan_peter:
        bp.add_row(*row)
    console.print(bp)
    console.print(
        f"  supported class: {explanation.bp_class}; reasoner class: {explanation.owl_class}"
    )
    console.print(
        f"  undetermined criteria that could change it: {explanation.could_change or 'none'}"
    )
    for score in explanation.eular:
        table = Table(
            "variable", "status", "weight", "reason", title=score.title, title_justify="left"
        )
        for row in score.rows:
            table.add_row(*row)
        console.print(table)
        console.print(
            f"  score {score.score} -> {score.iim_class}"
            + (f", subgroup {score.subgroup}" if score.subgroup else "")
        )
    console.print(
        f"[bold]PNS Euronetwork 2004[/bold]: {explanation.pns_class} ({explanation.pns_rule})"
    )
