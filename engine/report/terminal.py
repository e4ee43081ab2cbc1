"""The ranked table in the terminal (rich)."""

from __future__ import annotations

import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from engine import metrics as M
from engine.report.verdict import row_class

STYLE = {"strong": "bold green", "weak": "yellow", "nodata": "dim", "": ""}


def print_table(df: pd.DataFrame, title: str, console: Console | None = None) -> None:
    """Print metrics rows (already ranked) with n and q next to every hit rate; rows with
    q <= 0.05 (and >= 10 independent events) in green, q <= 0.10 in yellow."""
    console = console or Console()
    lead = [c for c in ("study", "signal", "variant", "horizon", "episode") if c in df.columns]
    table = Table(title=title, title_justify="left", header_style="bold")
    for c in lead:
        table.add_column(c, overflow="fold")
    shown = M.table_columns(df, terminal=True)  # IC only when a numeric signal has values
    for c in shown:
        table.add_column(c.short, justify="right", no_wrap=True)
    if df.empty:
        console.print(f"{title}: no rows", highlight=False)
        return
    for row in df.to_dict("records"):
        table.add_row(*[escape(str(row.get(c, ""))) for c in lead], *[c.cell(row) for c in shown],
                      style=STYLE[row_class(row)])
    console.print(table)
