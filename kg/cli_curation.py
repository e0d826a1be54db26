"""The curator's commands: `kg validate`, `add`, `remove`, `list`, `show` and `kg case new`.

Rendering only: each command reads its arguments, calls kg.cases or kg.curation, and prints. The
exit codes are the ones scripts rely on: 0 done and clean, 1 problems in the case files (every one
printed as ``file:line:column: severity [rule] message`` with a ``fix:`` line), 2 could not run.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from kg import cases, results
from kg.build import InvalidCases
from kg.case_summary import summarise_case
from kg.cli_options import Endpoint, Format, StoreDir, UpdateEndpoint, location
from kg.curation.template import Publication, new_case_file
from kg.errors import KgError
from kg.issues import Issue
from kg.paths import CASES_DIR
from kg.store import open_store

commands = typer.Typer()
case_app = typer.Typer(help="Start new case files from the template.", no_args_is_help=True)
commands.add_typer(case_app, name="case")
console = Console()
errors = Console(stderr=True)

Paths = Annotated[list[Path], typer.Argument(help="Case files, or folders of case files.")]
IssueFormat = Annotated[str, typer.Option("--format", "-f", help="text or json.")]
MAX_DUPLICATES_SHOWN = 20
# The table fits a terminal; --format csv or json also gives who added each case, when, from where.
LIST_TABLE_COLUMNS = ("case", "publication", "sex", "age", "tumours", "findings")


@contextmanager
def exit_codes() -> Iterator[None]:
    """Turn failures into a message and the documented exit code (no traceback)."""
    try:
        yield
    except InvalidCases as error:
        print_issues(error.issues)
        errors.print(f"error: {error}", markup=False, highlight=False)
        raise typer.Exit(1) from None
    except KgError as error:
        errors.print(f"error: {error}", markup=False, highlight=False)
        raise typer.Exit(2) from None


def print_issues(issues: list[Issue], out: Console = errors) -> None:
    """Print issues like compiler output, each followed by its fix."""
    for issue in issues:
        out.print(str(issue), markup=False, highlight=False, soft_wrap=True)


class RichProgress:
    """Draws one progress bar per stage of a batch (validate, write) on stderr."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, int] = {}

    def start(self, stage: str, total: int) -> None:
        """Add a bar for a stage."""
        self.tasks[stage] = int(self.progress.add_task(stage, total=total))

    def advance(self, stage: str) -> None:
        """Advance a stage's bar by one item."""
        self.progress.advance(self.tasks[stage])  # type: ignore[arg-type]


@contextmanager
def progress_bars() -> Iterator[RichProgress]:
    """Show progress bars while a batch runs."""
    columns = (TextColumn("{task.description:>8}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())  # fmt: skip
    with Progress(*columns, console=errors, transient=False) as progress:
        yield RichProgress(progress)


@commands.command("validate")
def validate_command(paths: Paths, fmt: IssueFormat = "text") -> None:
    """Check case files and report every problem in one run, each with its line, rule and fix.

    Exit 0 when clean (warnings allowed), 1 when any file has an error, 2 when it could not run.

    \b
    Example:
        kg validate cases/
    """
    if fmt not in ("text", "json"):
        raise typer.BadParameter("use text or json", param_hint="--format")
    with exit_codes():
        files = cases.expand_paths(paths)
        with progress_bars() as bars:
            checked = cases.check_paths(files, bars)
    issues = sorted(issue for result in checked for issue in result.issues)
    if fmt == "json":
        sys.stdout.write(json.dumps([asdict(issue) for issue in issues], indent=1) + "\n")
    else:
        print_issues(issues, console)
    failed = sum(1 for result in checked if not result.ok)
    errors.print(f"{len(files)} file(s) checked, {failed} with errors, {len(issues)} issue(s)")
    raise typer.Exit(1 if failed else 0)


@commands.command("add")
def add_command(
    paths: Paths,
    replace: Annotated[
        bool, typer.Option(help="Let a changed file replace its stored case.")
    ] = False,
    store: StoreDir = None,
    endpoint: Endpoint = None,
    update_endpoint: UpdateEndpoint = None,
) -> None:
    """Validate case files and add them to the store: all of them, or none.

    An unchanged file changes nothing; a different case under a stored id is refused unless
    --replace. Likely duplicates (one patient in two papers) are reported for review.

    \b
    Example:
        kg add cases/merry-2020-lms.yaml
    """
    where = location(store, endpoint, update_endpoint)
    with exit_codes():
        files = cases.expand_paths(paths)
        target = open_store(where)
        try:
            with progress_bars() as bars:
                report = cases.add_cases(target, files, replace=replace, progress=bars)
        finally:
            target.close()
    render_add_report(report, where.describe())


def render_add_report(report: cases.AddReport, where: str) -> None:
    """Print what an add changed, its warnings, and the likely duplicates to review."""
    done = report.build
    console.print(
        f"{len(done.added)} added, {len(done.replaced)} replaced, {len(done.unchanged)} "
        f"unchanged, from {report.files} file(s), in {where}",
        markup=False, highlight=False,
    )  # fmt: skip
    print_issues(done.warnings)
    if report.duplicates:
        shown = report.duplicates[:MAX_DUPLICATES_SHOWN]
        console.print(f"{len(report.duplicates)} likely duplicate(s) to review (not merged):")
        print_issues(shown, console)
        if len(report.duplicates) > len(shown):
            console.print(f"... and {len(report.duplicates) - len(shown)} more")


@commands.command("remove")
def remove_command(
    case_id: Annotated[str, typer.Argument(help="The case id, e.g. merry-2020-lms.")],
    store: StoreDir = None,
    endpoint: Endpoint = None,
    update_endpoint: UpdateEndpoint = None,
) -> None:
    """Remove one case from the store (its named graph); its file is left alone.

    \b
    Example:
        kg remove merry-2020-lms
    """
    where = location(store, endpoint, update_endpoint)
    with exit_codes():
        target = open_store(where)
        try:
            cases.remove_case(target, case_id)
        finally:
            target.close()
    console.print(f"removed `{case_id}` from {where.describe()}", markup=False, highlight=False)


@commands.command("list")
def list_command(
    fmt: Format = "table",
    store: StoreDir = None,
    endpoint: Endpoint = None,
    update_endpoint: UpdateEndpoint = None,
) -> None:
    """List the cases in the store: source, patient, tumours (--format csv adds provenance).

    \b
    Example:
        kg list --format csv
    """
    with exit_codes():
        target = open_store(location(store, endpoint, update_endpoint), read_only=True)
        try:
            answer = cases.list_cases(target)
            if fmt != "table":
                sys.stdout.buffer.write(results.serialize(answer, fmt))
                return
            table = results.to_table(answer)
        finally:
            target.close()
    shown = [table.columns.index(column) for column in LIST_TABLE_COLUMNS]
    view = Table(title=f"{len(table.rows)} case(s)", title_justify="left")
    for index in shown:
        view.add_column(table.columns[index], overflow="fold", no_wrap=index == 0)
    for row in table.rows:
        view.add_row(*(row[index] for index in shown))
    console.print(view)


@commands.command("show")
def show_command(
    case_id: Annotated[str, typer.Argument(help="The case id, e.g. merry-2020-lms.")],
    store: StoreDir = None,
    endpoint: Endpoint = None,
    update_endpoint: UpdateEndpoint = None,
) -> None:
    """Show one stored case: publication, patient, provenance, then its facts in time order.

    \b
    Example:
        kg show merry-2020-lms
    """
    with exit_codes():
        target = open_store(location(store, endpoint, update_endpoint), read_only=True)
        try:
            summary = summarise_case(target, case_id)
        finally:
            target.close()
    console.print(f"[bold]{summary.case_id}[/bold]")
    for label, value in summary.header:
        console.print(f"  {label:>11}: {value}", markup=False, highlight=False)
    for title, lines in summary.sections:
        console.print(f"\n[bold]{title}[/bold]")
        for line in lines:
            console.print(f"  {line}", markup=False, highlight=False)


@case_app.command("new")
def case_new_command(
    title: Annotated[str, typer.Option(help="The publication's title.")],
    pmid: Annotated[str | None, typer.Option(help="PubMed id, e.g. 32864095.")] = None,
    doi: Annotated[str | None, typer.Option(help="DOI, e.g. 10.1186/s13569-020-00140-w.")] = None,
    case_id: Annotated[
        str | None, typer.Option("--id", help="Case id (default: author-year).")
    ] = None,
    journal: Annotated[str | None, typer.Option(help="Journal name.")] = None,
    year: Annotated[int | None, typer.Option(help="Publication year.")] = None,
    author: Annotated[
        list[str] | None, typer.Option(help="An author, 'Surname I' (repeat).")
    ] = None,
    curator: Annotated[
        str | None, typer.Option(help="Your name or ORCID [default: $KG_USER].")
    ] = None,
    folder: Annotated[Path, typer.Option("--dir", help="Where case files live.")] = CASES_DIR,
) -> None:
    """Write a new case file from the template, for the publication given.

    \b
    Example:
        kg case new --pmid 32864095 --title "Paraneoplastic dermatomyositis ..." --year 2020 \\
            --author "Merry E" --id merry-2020-lms
    """
    if not (pmid or doi):
        errors.print("error: give --pmid or --doi: every case must be traceable to its source")
        raise typer.Exit(2)
    paper = Publication(title, pmid, doi, journal, year, tuple(author or ()))
    who = curator or os.environ.get("KG_USER") or getpass.getuser()
    with exit_codes():
        path = new_case_file(folder, case_id, paper, who)
    console.print(f"wrote {path}; fill in every TODO, then run: kg validate {path}", markup=False)
