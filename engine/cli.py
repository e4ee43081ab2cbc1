"""The ``study`` command: thin wrappers that parse options and call the engine.

Exit codes: 0 ok, 2 bad input (a ``StudyError``: message, no traceback), 1 internal error.
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from engine.errors import StudyError

console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 160)

app = typer.Typer(
    help="rally-study: did rally signals actually predict forward returns?",
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
)
data_app = typer.Typer(help="Build, list, show and import datasets.", no_args_is_help=True)
app.add_typer(data_app, name="data")


def guarded(func):
    """Turn a StudyError into exit 2 with its message; other errors into exit 1 with a short note."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except StudyError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
            raise typer.Exit(2) from None
        except typer.Exit:
            raise
        except KeyboardInterrupt:
            err_console.print("interrupted; nothing was written")
            raise typer.Exit(130) from None
        except Exception as exc:
            if os.environ.get("STUDY_DEBUG"):
                raise
            err_console.print(f"[bold red]internal error:[/] {type(exc).__name__}: {exc}\n"
                              "This is a bug. Re-run with STUDY_DEBUG=1 for the traceback.",
                              highlight=False)
            raise typer.Exit(1) from None

    return wrapper


MirrorOpt = Annotated[
    Path | None,
    typer.Option("--mirror", help="Offline data mirror directory (default: $STUDY_DATA_MIRROR)."),
]


# ----------------------------------------------------------------------------- data commands
@data_app.command("build")
@guarded
def data_build(
    ids: Annotated[list[str] | None, typer.Argument(help="Dataset ids (default: all).")] = None,
    mirror: MirrorOpt = None,
    force: Annotated[bool, typer.Option(help="Rebuild even if unchanged.")] = False,
) -> None:
    """Build Parquet datasets from the mirror (or download them when online)."""
    from engine import dataops, paths
    from engine.catalog import Catalog

    catalog = Catalog.load()
    mirror_path = paths.mirror_dir(mirror)
    if mirror_path is None:
        console.print("[yellow]no --mirror or STUDY_DATA_MIRROR: downloading from public sources")
    built = up = 0

    def report(outcome):
        nonlocal built, up
        if outcome.status == "built":
            built += 1
        else:
            up += 1

    with console.status("building datasets..."):
        dataops.build(catalog, ids, mirror_path, force=force, on_done=report)
    console.print(f"[green]{built} built, {up} up to date[/] in {catalog.root}")


@data_app.command("list")
@guarded
def data_list() -> None:
    """List datasets with coverage, rows, source and publication lag."""
    from engine import dataops
    from engine.catalog import Catalog

    cov = dataops.coverage(Catalog.load())
    table = Table(title="datasets")
    for col in ["id", "frequency", "first", "last", "rows", "source", "lag_days"]:
        table.add_column(col, justify="right" if col in ("rows", "lag_days") else "left")
    for row in cov.itertuples():
        built = row.built
        table.add_row(row.id, row.frequency, row.first if built else "[dim]not built",
                      row.last if built else "", str(row.rows) if built else "",
                      row.source, str(row.lag_days))
    console.print(table)


@data_app.command("show")
@guarded
def data_show(
    id_: Annotated[str, typer.Argument(metavar="ID", help="Dataset id, e.g. fred.DGS10.")],
    tail: Annotated[int, typer.Option(help="Rows to show from the end.")] = 10,
) -> None:
    """Show a dataset's catalog entry, provenance and last rows."""
    from engine import datasets
    from engine.catalog import Catalog

    catalog = Catalog.load()
    entry = catalog.get(id_)
    frame, meta = datasets.load(catalog, id_)
    console.print(f"[bold]{entry.id}[/] — {entry.description}\n"
                  f"source {entry.source} · file {entry.file} · {entry.frequency} · "
                  f"units {entry.units} · lag {entry.lag_days} days after period end\n"
                  f"{meta.rows} rows {meta.first} .. {meta.last} · source sha256 "
                  f"{meta.source_sha256[:12]} · built {meta.built_at}", highlight=False)
    console.print(frame.tail(tail).to_string())


@data_app.command("import")
@guarded
def data_import(
    file: Annotated[Path, typer.Argument(help="CSV file with a date and a value column.")],
    id_: Annotated[str, typer.Option("--id", help="New dataset id: custom.NAME.")],
    date_col: Annotated[str, typer.Option(help="Name of the date column.")] = "date",
    value_col: Annotated[str, typer.Option(help="Name of the value column.")] = "value",
    freq: Annotated[str, typer.Option(help="daily|weekly|monthly|quarterly.")] = "daily",
    lag: Annotated[int, typer.Option(help="Publication lag: days after period end.")] = 0,
    units: Annotated[str, typer.Option(help="Units, for the catalog.")] = "",
    description: Annotated[str, typer.Option(help="One-line description.")] = "",
    date_format: Annotated[str | None, typer.Option(help="strftime format if not ISO.")] = None,
) -> None:
    """Import your own series (e.g. estimate revisions, fund flows) as custom.NAME."""
    from engine import dataops
    from engine.catalog import Catalog

    outcome = dataops.import_csv(Catalog.load(), file, id_, date_col, value_col, freq, lag,
                                 units, description, date_format)
    m = outcome.meta
    console.print(f"[green]imported {id_}[/]: {m.rows} rows {m.first} .. {m.last}")


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except SystemExit as exc:
        sys.exit(exc.code)
