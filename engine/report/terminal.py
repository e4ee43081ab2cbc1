"""Metrics rows in the terminal (rich), and as CSV / JSON / Markdown (``engine.report.output``).

The table fits the console width: row id, horizon/episode and the numbers first, then the
signal and variant, cut with "…" when they do not fit (``study show-row RUN ID`` prints a row
in full); on narrow terminals each row becomes a block of lines. Rows with q <= 0.05 (and
>= 10 independent events) are green, q <= 0.10 yellow.
"""

from __future__ import annotations

import pandas as pd
from rich.console import Console

from engine.report import tables as T
from engine.report.output import Out, emit

LEAD = ("study", "target", "signal", "variant", "horizon", "episode")
STYLE = {"strong": "bold green", "weak": "yellow", "nodata": "dim", "": ""}


def metrics_out(df: pd.DataFrame, title: str, name: str = "rows", display: bool = True) -> Out:
    """An ``Out`` of metrics rows: display cells for the terminal/Markdown, tidy raw values
    (parameters as columns) for CSV/JSON. ``display=False`` for a machine format, which
    prints every row but never their display cells (built row by row, they cost seconds for
    a sweep's 80,000 rows)."""
    lead = [c for c in LEAD if c in df.columns]
    if df.empty:
        return Out(name, df, title=title)
    if not display:
        return Out(name, T.tidy(df), title=title)
    shown, classes, labels = T.terminal_rows(df, tuple(lead))
    keys = tuple(c for c in T.SHORT_LEAD if c in shown.columns)
    # when space is short, a column with one value in every row says it once, in the title
    return Out(name, T.tidy(df), display=shown, title=title, labels=labels, row_class=classes,
               extra={"keys": keys,
                      "collapsible": ("study", "target", "episode", "horizon")})


def print_table(df: pd.DataFrame, title: str, console: Console | None = None,
                fmt: str = "table") -> None:
    """Print metrics rows (already ranked) with n and q next to every hit rate."""
    console = console or Console()
    emit([metrics_out(df, title)], fmt, console)
