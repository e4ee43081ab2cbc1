"""The ``study`` command: the typer app assembled from one module per command group.

Each ``engine/cli/<group>.py`` holds plain functions wrapped in ``guarded`` (the error boundary);
this module registers them, in the order ``study --help`` lists them. A new command = a function
in its group's module + one line here.
"""

from __future__ import annotations

import sys

import typer

from engine.anatomy.commands import register as register_anatomy
from engine.cli import compare, data, families, run, scorecard, study
from engine.cli.common import console, guarded

app = typer.Typer(
    help="rally-study: did rally signals actually predict forward returns?",
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
)
data_app = typer.Typer(help="Build, list, show and import datasets.", no_args_is_help=True)
app.add_typer(data_app, name="data")

data_app.command("build")(data.data_build)
data_app.command("list")(data.data_list)
data_app.command("show")(data.data_show)
data_app.command("import")(data.data_import)

app.command("list")(study.list_studies)
app.command("show")(study.show)
app.command("families")(families.families)
app.command("validate")(study.validate)
app.command("run")(run.run_cmd)
app.command("report")(run.report_cmd)
app.command("compare")(compare.compare_cmd)
app.command("new")(study.new_cmd)
app.command("scorecard")(scorecard.scorecard_cmd)
register_anatomy(app, guarded, console)  # rallies, analogs, case


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except SystemExit as exc:
        sys.exit(exc.code)
