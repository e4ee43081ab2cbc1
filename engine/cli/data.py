"""``study data build|list|show|import``: the datasets."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from engine.cli.common import FormatOpt, MirrorOpt, at_least, console, guarded


@guarded
def data_build(
    ids: Annotated[list[str] | None, typer.Argument(help="Dataset ids (default: all).")] = None,
    mirror: MirrorOpt = None,
    force: Annotated[bool, typer.Option(help="Rebuild even if unchanged.")] = False,
) -> None:
    """Build Parquet datasets from the mirror (or download them when online)."""
    from engine import paths
    from engine.data import dataops
    from engine.data.catalog import Catalog

    catalog = Catalog.load()
    mirror_path = paths.mirror_dir(mirror)
    if mirror_path is None:
        console.print("no --mirror or STUDY_DATA_MIRROR: downloading from public sources",
                      style="yellow")
    built = up = 0
    skipped: list[str] = []

    def report(outcome):
        nonlocal built, up
        if outcome.status == "skipped":
            skipped.append(outcome.id)
        elif outcome.status == "built":
            built += 1
            summary = outcome.meta.provenance.get("summary")
            if summary:  # e.g. constituent breadth: gaps, missing tickers
                counts = ", ".join(f"{k} {v}" for k, v in summary.items())
                console.print(f"{outcome.id}: {counts}", highlight=False)
        else:
            up += 1

    with console.status("building datasets..."):
        dataops.build(catalog, ids, mirror_path, force=force, on_done=report)
    console.print(f"[green]{built} built, {up} up to date[/] in {escape(str(catalog.root))}",
                  markup=True)
    if skipped:
        console.print(f"skipped (optional, not in this mirror): {', '.join(skipped)}",
                      style="yellow", highlight=False)


@guarded
def data_list(fmt: FormatOpt = "table") -> None:
    """List datasets with coverage, rows, source and publication lag."""
    import pandas as pd

    from engine.data import dataops
    from engine.data.catalog import Catalog
    from engine.report.output import Out, check_format, emit

    check_format(fmt)
    catalog = Catalog.load()
    cov = dataops.coverage(catalog)
    built = cov["built"].astype(bool)
    optional = [catalog.get(i).optional for i in cov["id"]]
    absent = pd.Series(["not built (optional)" if o else "not built" for o in optional],
                       index=cov.index)
    shown = pd.DataFrame({
        "id": cov["id"], "frequency": cov["frequency"],
        "first": cov["first"].where(built, absent).astype(str),
        "last": cov["last"].where(built, "").astype(str),
        "rows": [str(r) if b else "" for r, b in zip(cov["rows"], built, strict=True)],
        "source": cov["source"], "lag_days": cov["lag_days"].astype(str),
        "timing": cov["timing"].astype(str)})
    emit([Out("datasets", cov, display=shown, title="datasets", labels=("timing",),
              extra={"stack_below": 12, "lead": "id"},
              row_class=["" if b else "nodata" for b in built])], fmt, console)


@guarded
def data_show(
    id_: Annotated[str, typer.Argument(metavar="ID", help="Dataset id, e.g. fred.DGS10.")],
    tail: Annotated[int, typer.Option(help="Rows to show from the end.")] = 10,
    mirror: MirrorOpt = None,
    source: Annotated[bool, typer.Option(
        "--source", help="Which mirror file each date range came from, overlap checks, gaps.")
    ] = False,
) -> None:
    """Show a dataset's catalog entry, provenance and last rows (stale check with a mirror)."""
    from engine import paths
    from engine.data import dataops, datasets
    from engine.data.catalog import Catalog

    catalog = Catalog.load()
    entry = catalog.get(id_)
    frame, meta = datasets.load(catalog, id_, paths.mirror_dir(mirror))
    at_least(tail, 0, "--tail")
    console.print(f"{entry.id} — {entry.description}\n"
                  f"source {entry.source} · file {entry.file} · {entry.frequency} · "
                  f"units {entry.units} · lag {entry.lag_days} days after period end\n"
                  f"{meta.rows} rows {meta.first} .. {meta.last} · source sha256 "
                  f"{meta.source_sha256[:12]} · built {meta.built_at}", highlight=False)
    if source:
        console.print("\n".join(dataops.source_lines(meta)), highlight=False)
        return
    console.print(frame.tail(tail).to_string())


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
    header: Annotated[str, typer.Option(
        help="plain, or yfinance for a yfinance multi-row header (Price/Ticker/Date lines).")
    ] = "plain",
    zero_missing: Annotated[bool, typer.Option(
        "--zero-missing", help="Read 0 as a missing value (files that write 0 for 'none').")
    ] = False,
) -> None:
    """Import your own series (e.g. estimate revisions, fund flows) as custom.NAME."""
    from engine.data import dataops
    from engine.data.catalog import Catalog

    outcome = dataops.import_csv(Catalog.load(), file, id_, date_col, value_col, freq, lag,
                                 units, description, date_format, header, zero_missing)
    m = outcome.meta
    console.print(f"imported {id_}: {m.rows} rows {m.first} .. {m.last}", style="green")
