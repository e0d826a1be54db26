"""The `kg` command line: parse arguments, call the library, render. No logic lives here."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Generator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table as RichTable

from kg import build, parallel_pages, qc, queries, results
from kg.cli_options import Endpoint, Format, StoreDir, UpdateEndpoint, location
from kg.errors import KgError
from kg.issues import Issue
from kg.paths import CASES_DIR
from kg.store import open_store
from kg.tumour_summary import refresh_summary, require_summary

app = typer.Typer(
    help="Build and query a knowledge graph of case reports of paraneoplastic dermatomyositis.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console()
errors = Console(stderr=True)


def _print_issues(issues: list[Issue]) -> None:
    for issue in issues:
        errors.print(str(issue), markup=False, highlight=False)


def render_table(table: results.Table, title: str | None = None) -> None:
    """Print a result table with rich."""
    view = RichTable(title=title, show_lines=False, title_justify="left")
    for column in table.columns:
        view.add_column(column, overflow="fold")
    for row in table.rows:
        view.add_row(*row)
    console.print(view)


@app.command("build")
def build_command(
    cases: Annotated[Path, typer.Option(help="Folder of case files.")] = CASES_DIR,
    store: StoreDir = None,
    endpoint: Endpoint = None,
    update_endpoint: UpdateEndpoint = None,
) -> None:
    """Load the ontology and every case file into the store (unchanged cases are skipped).

    \b
    Example:
        kg build --store /tmp/dm-graph
    """
    target = open_store(location(store, endpoint, update_endpoint))
    report = build.build_graph(target, cases)
    console.print(
        f"{len(report.added)} added, {len(report.replaced)} replaced, "
        f"{len(report.unchanged)} unchanged; ontology "
        f"{'updated' if report.ontology_updated else 'unchanged'} in "
        f"{location(store, endpoint, update_endpoint).describe()}"
    )
    _print_issues(report.warnings)
    target.close()


@app.command("summary")
def summary_command(
    store: StoreDir = None,
    endpoint: Endpoint = None,
    update_endpoint: UpdateEndpoint = None,
) -> None:
    """Recompute the summary of DM cases by tumour type that tumour-dm-associations reads.

    Every write of cases recomputes it; run this after a write that did not finish, or after
    changing cases with SPARQL updates of your own. A summary that still holds is kept as it is.

    \b
    Example:
        kg summary --store /tmp/dm-graph
    """
    where = location(store, endpoint, update_endpoint)
    target = open_store(where)
    types = refresh_summary(target)
    console.print(f"{types} tumour type(s) with a DM case summarised in {where.describe()}")
    target.close()


@app.command("queries")
def queries_command() -> None:
    """List the named queries with their parameters.

    \b
    Example:
        kg queries
    """
    for query in queries.load_catalogue().values():
        console.print(f"[bold]{query.name}[/bold]  {query.title}", soft_wrap=True)
        for p in query.parameters:
            default = f", default {p.default}" if p.default else ""
            console.print(
                f"    --param {p.name}=<{p.type}{default}>  {p.description}", soft_wrap=True
            )
        if query.example:
            console.print(f"    example: {query.example}", soft_wrap=True, highlight=False)


def _parse_params(pairs: list[str]) -> dict[str, str]:
    values = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise KgError(f"--param {pair!r}: write name=value")
        values[name.strip()] = value
    return values


@app.command("query")
def query_command(
    name: Annotated[str | None, typer.Argument(help="A named query (see `kg queries`).")] = None,
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="name=value")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="Run a .rq file instead.")] = None,
    page: Annotated[
        int | None,
        typer.Option(help="Only this page of cases (from 1, in case-id order); case queries."),
    ] = None,
    page_size: Annotated[
        int,
        typer.Option(help="Cases per page; a case query over every case also runs by such pages."),
    ] = 100,
    fmt: Format = "table",
    store: StoreDir = None,
    endpoint: Endpoint = None,
    update_endpoint: UpdateEndpoint = None,
) -> None:
    """Run a named query (or a .rq file) and print its results.

    A case query of the catalogue over every case runs one page of cases at a time, on every
    core when the store is on disk, and prints the pages as one result: in csv, tsv, json or xml
    each page is written as it comes, so memory stays that of a few pages (a table collects every
    row first).

    \b
    Examples:
        kg query tumour-dm-associations --param tumour=SOFT_TISSUE --format csv
        kg query case-timeline --page 2 --page-size 50
    """
    if (name is None) == (file is None):
        raise KgError("give a query name or --file FILE.rq, not both")
    query = queries.parse_query_file(file) if file else queries.find_query(name or "")
    values = _parse_params(param or [])
    if page is not None:
        query.bind(values, cases=[])  # refuses a query without a case before the store opens
    target = open_store(location(store, endpoint, update_endpoint), read_only=True)
    require_summary(target, query.text)
    # only catalogue queries: their pages are checked against the whole run (tests/test_queries.py)
    by_pages = file is None and page is None and query.runs_by_pages
    if by_pages and queries.CASE_PARAMETER not in values:
        transfer = "json" if fmt == "table" else fmt  # a table is built from the rows read back
        pages = parallel_pages.serialized_pages(target, query, values, page_size, transfer)
        _print_pages(pages, fmt, query.title)
        return
    cases = None if page is None else queries.case_page(target, page, page_size)
    result = target.query(query.bind(values, cases=cases))
    if fmt == "table":
        render_table(results.to_table(result), title=query.title)
    else:
        sys.stdout.buffer.write(results.serialize(result, fmt))
        sys.stdout.flush()


def _print_pages(pages: Generator[bytes, None, None], fmt: str, title: str) -> None:
    """Print the serialized pages of a case query as one result, writing each page as it comes
    (for a table, in JSON: the table is built from every row read back). Closing the pages when
    the output fails (a closed pipe) stops the workers here, not whenever the generator is freed."""
    with contextlib.closing(pages):
        if fmt == "table":
            solutions = (results.read_solutions(page, "json") for page in pages)
            render_table(results.to_table_pages(solutions), title=title)
            return
        for chunk in results.join_pages(pages, fmt):
            sys.stdout.buffer.write(chunk)
        sys.stdout.flush()


@app.command("qc")
def qc_command(
    list_rules: Annotated[bool, typer.Option("--list", help="List the checks and exit.")] = False,
    store: StoreDir = None,
    endpoint: Endpoint = None,
    update_endpoint: UpdateEndpoint = None,
) -> None:
    """Run every quality check in queries/qc/; exit 1 when any returns a violation.

    \b
    Example:
        kg qc
    """
    if list_rules:
        for check in qc.load_checks():
            console.print(
                f"[bold]{check.rule}[/bold] ({check.severity}): {check.title}\n    fix: {check.fix}"
            )
        return
    target = open_store(location(store, endpoint, update_endpoint), read_only=True)
    violations = qc.run_checks(target)
    for violation in violations:
        errors.print(str(violation), markup=False, highlight=False)
    console.print(f"{len(qc.load_checks())} checks, {len(violations)} violation(s)")
    if any(v.severity == "error" for v in violations):
        raise typer.Exit(1)


@app.command("report")
def report_command(
    cases: Annotated[Path, typer.Option(help="Folder of case files.")] = CASES_DIR,
    store: StoreDir = None,
) -> None:
    """Build the graph from the curated cases, classify them, and print the headline tables.

    \b
    Example:
        kg report --store /tmp/dm-graph
    """
    target = open_store(location(store, None, None))
    report = build.build_graph(target, cases)
    console.print(
        f"Graph built: {len(report.added) + len(report.replaced) + len(report.unchanged)} case(s)."
    )
    from kg.reasoning.reason import reason

    reasoning = reason(target, "hermit")
    console.print(
        f"Classified by {reasoning.reasoner.version}: {reasoning.profiles} distinct profile(s)."
    )
    for name in HEADLINE_QUERIES:
        query = queries.find_query(name)
        render_table(results.to_table(target.query(query.bind({}))), title=query.title)
    target.close()


HEADLINE_QUERIES = (
    "tumour-dm-associations",
    "antibody-profile",
    "dm-cancer-interval",
    "case-timeline",
    "dm-classification",
    "criteria-assessment",
)


def register_command_modules() -> None:
    """Add the commands other modules define (each module owns one group of commands)."""
    import importlib

    for module_name in COMMAND_MODULES:
        commands = importlib.import_module(module_name).commands
        app.registered_commands.extend(
            c for c in commands.registered_commands if c not in app.registered_commands
        )
        app.registered_groups.extend(
            g for g in commands.registered_groups if g not in app.registered_groups
        )


COMMAND_MODULES = ("kg.cli_curation", "kg.cli_reasoning", "kg.cli_store")


def main() -> None:
    """Run the CLI, turning project errors into a message and exit code 2 (1 for invalid data)."""
    debug = "--debug" in sys.argv
    if debug:
        sys.argv.remove("--debug")
    register_command_modules()
    try:
        app()
    except build.InvalidCases as error:
        _print_issues(error.issues)
        errors.print(f"error: {error}", markup=False)
        sys.exit(1)
    except KgError as error:
        if debug:
            raise
        errors.print(f"error: {error}", markup=False)
        sys.exit(2)
