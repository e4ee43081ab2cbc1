"""The ranked table in the terminal (rich)."""

from __future__ import annotations

import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from engine.report import tables as T

STYLE = {"strong": "bold green", "weak": "yellow", "nodata": "dim", "": ""}


def print_table(df: pd.DataFrame, title: str, console: Console | None = None) -> None:
    """Print metrics rows (already ranked) with n and q next to every hit rate; rows with
    q <= 0.05 (and >= 10 independent events) in green, q <= 0.10 in yellow."""
    console = console or Console()
    lead = [c for c in ("study", "signal", "variant", "horizon", "episode") if c in df.columns]
    table = Table(title=title, title_justify="left", header_style="bold")
    for c in lead:
        table.add_column(c, overflow="fold")
    heads = {"events (n/indep.)": "events", "edge (pts)": "edge (pts)",
             "hit-rate 95% CI": "CI", "q": "q-value"}
    shown = ["events (n/indep.)", "hit rate", "base rate", "edge (pts)", "mean excess",
             "hit-rate 95% CI", "q"]
    with_ic = "ic" in df.columns and bool(df["ic"].notna().any())  # numeric signals only
    for c in shown + (["IC"] if with_ic else []):
        table.add_column(heads.get(c, c), justify="right", no_wrap=True)
    if df.empty:
        console.print(f"{title}: no rows", highlight=False)
        return
    for row in df.to_dict("records"):
        cells = T.metric_columns(row)
        extra = [T.fnum(row.get("ic"))] if with_ic else []
        table.add_row(*[escape(str(row.get(c, ""))) for c in lead], *[cells[c] for c in shown],
                      *extra, style=STYLE[T.row_class(row)])
    console.print(table)
