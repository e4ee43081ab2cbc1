"""The ``study`` command: the typer app assembled from one module per command group.

Each ``engine/cli/<group>.py`` holds plain functions wrapped in ``guarded`` (the error boundary);
this module registers them, in the order ``study --help`` lists them. A new command = a function
in its group's module + one line here.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from engine.cli import anatomy, compare, data, families, rows, run, scorecard, study

HELP_OPTIONS = {"help_option_names": ["-h", "--help"]}
app = typer.Typer(
    help="rally-study: did rally signals actually predict forward returns?",
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
    context_settings=HELP_OPTIONS,
)
data_app = typer.Typer(help="Build, list, show and import datasets.", no_args_is_help=True,
                       context_settings=HELP_OPTIONS)
app.add_typer(data_app, name="data")


def _no_value_hint_on_flags() -> None:
    """Typer prints a ``<bool>`` type after flags such as ``--no-report`` that take no value;
    show nothing there instead (a type hint on a flag reads as "pass a value")."""
    from typer.core import TyperOption

    original = getattr(TyperOption, "display_type_rich", None)
    if original is None or getattr(original, "_rally_flag_patch", False):
        return

    def display_type_rich(self, ctx):
        if getattr(self, "is_flag", False) and self.metavar is None:
            return None
        return original(self, ctx)

    display_type_rich._rally_flag_patch = True
    TyperOption.display_type_rich = display_type_rich


_no_value_hint_on_flags()


def _version(value: bool) -> None:
    if value:
        from engine.version import __version__

        typer.echo(f"rally-study {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", "-V", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """rally-study: did rally signals actually predict forward returns?"""


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
app.command("show-row")(rows.show_row_cmd)
app.command("new")(study.new_cmd)
app.command("scorecard")(scorecard.scorecard_cmd)
app.command("rallies")(anatomy.rallies_cmd)
app.command("analogs")(anatomy.analogs_cmd)
app.command("case")(anatomy.case_cmd)


def main() -> None:
    """Console-script entry point (SIGTERM unwinds like Ctrl-C: temporaries are removed)."""
    from engine import atomic

    atomic.install_sigterm_handler()
    try:
        app()
    except SystemExit as exc:
        if atomic.terminated and exc.code != 143:  # SIGTERM outside a command's boundary
            print("terminated; nothing half-written was kept", file=sys.stderr)
            sys.exit(143)
        sys.exit(exc.code)
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM before typer took over
        print("terminated; nothing half-written was kept" if atomic.terminated else
              "interrupted; nothing was written", file=sys.stderr)
        sys.exit(143 if atomic.terminated else 130)
