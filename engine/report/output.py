"""Print tables in the format a reader asked for: a terminal table that fits the width, or
CSV / JSON / Markdown for programs and documents.

Every command that prints results (run, compare, scorecard, rallies, analogs) builds a list
of ``Out`` and calls ``emit``. Machine formats get the raw values (numbers stay numbers, NaN
becomes empty / null) and nothing else on stdout, so ``study run X --format csv > x.csv``
is a clean file; the terminal table gets display strings fitted to the width:

* short columns (row id, horizon, the numbers) first, long labels (signal, variant) last;
* a label longer than its share of the width is cut with "…"; the row id (``#``) finds the
  whole row again (``study show-row RUN ID``);
* below ``STACK_BELOW`` columns left for the labels (and too few for all of them), each row
  is printed as a block of lines (labels in full on their own line, numbers under them)
  instead of a squeezed table.

Width: ``$COLUMNS`` when set, else the terminal's width, else 80 (a pipe or a file).
"""

from __future__ import annotations

import datetime
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from engine.console import DEFAULT_WIDTH, fit_console, terminal_width  # noqa: F401
from engine.errors import StudyError

FORMATS = ("table", "csv", "json", "markdown")
STACK_BELOW = 34  # fewer columns than this left for the labels: stacked layout
MIN_LABEL = 10  # no label column is cut shorter than this
STYLE = {"strong": "bold green", "weak": "yellow", "nodata": "dim", "bad": "red", "": ""}
GAP = 2  # spaces between terminal columns (a blank border column + 1 of padding)


@dataclass
class Out:
    """One table to print.

    ``data`` holds raw values (for CSV/JSON); ``display`` the same rows as display strings
    (for the terminal and Markdown; default: ``data`` as text). ``labels`` are the long text
    columns placed last and cut to fit; ``row_class`` colours rows (strong/weak/nodata)."""

    name: str
    data: pd.DataFrame
    display: pd.DataFrame | None = None
    title: str = ""
    labels: Sequence[str] = ()
    row_class: list[str] | None = None
    note: str = ""
    extra: dict = field(default_factory=dict)

    def shown(self) -> pd.DataFrame:
        if self.display is not None:
            return self.display
        return self.data.astype(object).where(self.data.notna(), "—").astype(str)


def check_format(fmt: str, where: str = "--format") -> str:
    """``fmt`` if known, else exit-2 error listing the choices."""
    if fmt not in FORMATS:
        raise StudyError(f"format {fmt!r} not known", where=where,
                         fix=f"use one of {', '.join(FORMATS)}")
    return fmt


def emit(tables: Sequence[Out], fmt: str, console: Console) -> None:
    """Print ``tables`` as ``fmt``. CSV carries the first table only (one header per file);
    JSON is one object with a key per table."""
    check_format(fmt)
    if fmt == "table":
        for t in tables:
            print_fitted(t, console)
        return
    if fmt == "markdown":
        from engine.report.markdown import table as md_table

        parts = []
        for t in tables:
            parts += [f"## {t.title or t.name}", ""]
            if t.note:
                parts += [t.note, ""]
            parts += [*md_table(t.shown()), ""]
        _write(console, "\n".join(parts))
        return
    if fmt == "csv":
        _write(console, tables[0].data.to_csv(index=False) if tables else "")
        return
    doc = {t.name: records(t.data) for t in tables}
    _write(console, json.dumps(doc, indent=1, ensure_ascii=False) + "\n")


def _write(console: Console, text: str) -> None:
    console.file.write(text)
    console.file.flush()


def records(frame: pd.DataFrame) -> list[dict]:
    """Rows as JSON-ready dicts: NaN/NA -> None, numpy scalars -> Python, dates -> ISO.

    Converted a column at a time (``_plain`` on every cell took 3 s for a sweep's 80,000
    rows); the same values as ``_plain`` on each cell of ``frame.to_dict("records")``."""
    keys = [str(k) for k in frame.columns]
    columns = [_plain_column(frame.iloc[:, i]) for i in range(frame.shape[1])]
    if not columns:
        return [{} for _ in range(len(frame))]
    return [dict(zip(keys, row, strict=True)) for row in zip(*columns, strict=True)]


def _plain_column(column: pd.Series) -> list:
    kind = column.dtype.kind if isinstance(column.dtype, np.dtype) else ""
    if kind and kind in "iub":
        return column.to_numpy().tolist()
    if kind == "f":
        values = column.to_numpy()
        out = values.tolist()
        for i in np.flatnonzero(~np.isfinite(values)).tolist():
            out[i] = None
        return out
    return [_plain(v) for v in column.tolist()]


def _plain(v):
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (pd.Timestamp, np.datetime64)):
        return pd.Timestamp(v).isoformat()
    if isinstance(v, (datetime.date, datetime.datetime)):
        return v.isoformat()
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, (list, tuple, np.ndarray)):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    return v


# --- terminal ---------------------------------------------------------------------------

def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(1, width - 1)] + "…"


def label_widths(natural: Sequence[int], budget: int) -> list[int]:
    """Share ``budget`` columns among label columns of ``natural`` widths, in order: all in
    full when they fit; else each in turn gets its full width as long as the ones after it
    keep ``MIN_LABEL`` each (the first label, e.g. the signal, is the one that identifies
    a row), and the last takes what is left."""
    if sum(natural) <= budget:
        return list(natural)
    widths = []
    left = budget
    for i, n in enumerate(natural):
        after = sum(min(m, MIN_LABEL) for m in natural[i + 1:])
        w = max(min(n, MIN_LABEL), min(n, left - after))
        widths.append(w)
        left -= w
    return widths


def layout(shown: pd.DataFrame, labels: Sequence[str], width: int, wrap: bool = False,
           stack_below: int = STACK_BELOW) -> tuple[list[str], list[str], dict[str, int]] | None:
    """(short columns, label columns, label widths) of the table layout at ``width``, or
    None when the labels would get fewer than ``STACK_BELOW`` columns (stacked layout)."""
    labels = [c for c in labels if c in shown.columns]
    short = [c for c in shown.columns if c not in labels]
    natural = {c: max([len(str(c))] + [len(str(v)) for v in shown[c]]) for c in shown.columns}
    gaps = GAP * (len(short) + len(labels) - 1)  # between columns
    budget = width - sum(natural[c] for c in short) - gaps - 1  # 1: never the last column
    need = min(stack_below, sum(natural[c] for c in labels))  # short labels: all of them
    if labels and budget < need and not wrap:
        return None
    if not labels and budget < 0 and not wrap:  # too wide, nothing to cut: one block a row
        return None
    widths = label_widths([natural[c] for c in labels], max(budget, 0))
    return short, labels, dict(zip(labels, widths, strict=True))


def print_fitted(t: Out, console: Console) -> None:
    """The terminal view of one ``Out``: a table fitted to the console width, or stacked."""
    shown = t.shown()
    if shown.empty:
        console.print(Text(f"{t.title or t.name}: no rows"), highlight=False, soft_wrap=False)
        return
    width = console.width
    wrap = bool(t.extra.get("wrap"))
    stack_below = int(t.extra.get("stack_below", STACK_BELOW))
    plan = layout(shown, t.labels, width, wrap, stack_below)
    if _squeezed(shown, t.labels, plan):
        same = [c for c in t.extra.get("collapsible", ()) if c in shown.columns
                and shown[c].nunique() == 1 and len(shown) > 1]
        if same:  # say a column that has one value once, in the title
            said = [f"{c} {shown[c].iloc[0]}" for c in same]
            said = [x for x in said if x not in t.title]
            t = replace(t, title=(t.title + " · " if t.title and said else t.title)
                        + ", ".join(said),
                        labels=[c for c in t.labels if c not in same])
            shown = shown.drop(columns=same)
            plan = layout(shown, t.labels, width, wrap, stack_below)
    classes = t.row_class or [""] * len(shown)
    if plan is None:
        _print_stacked(t, shown, classes, console)
    else:
        _print_table(t, shown, classes, plan, console)
    if t.note:
        console.print(Text(t.note), style="dim", highlight=False, soft_wrap=False)


def _squeezed(shown: pd.DataFrame, labels: Sequence[str], plan) -> bool:
    """True when the layout is stacked or cuts a label."""
    if plan is None:
        return True
    _, labs, widths = plan
    return any(widths[c] < max([len(str(c))] + [len(str(v)) for v in shown[c]]) for c in labs)


def _numeric(col: pd.Series) -> bool:
    from engine.report.tables import looks_numeric

    return looks_numeric(col)


def _print_table(t: Out, shown: pd.DataFrame, classes: list[str], plan, console: Console,
                 ) -> None:
    short, labels, widths = plan
    if t.title:
        console.print(Text(t.title), style="bold", highlight=False, soft_wrap=False)
    table = Table(header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False,
                  padding=(0, GAP - 1, 0, 0), show_edge=False)
    for c in short:
        natural = max([len(str(c))] + [len(str(v)) for v in shown[c]])
        table.add_column(str(c), justify="right" if _numeric(shown[c]) else "left",
                         no_wrap=True, min_width=natural)
    wrap = bool(t.extra.get("wrap"))  # labels wrap onto more lines instead of being cut
    for c in labels:
        table.add_column(str(c), no_wrap=not wrap, overflow="fold" if wrap else "ellipsis",
                         max_width=widths[c])
    for cls, row in zip(classes, shown.to_dict("records"), strict=True):
        cells = [Text(str(row[c])) for c in short]
        cells += [Text(str(row[c]) if wrap else _cut(str(row[c]), widths[c]))
                  for c in labels]
        table.add_row(*cells, style=STYLE.get(cls, ""))
    console.print(table)


def _print_stacked(t: Out, shown: pd.DataFrame, classes: list[str], console: Console) -> None:
    """Each row as a block: the first short column and the labels in full on one line, the
    other short columns as ``name value`` pairs wrapped to the width."""
    width = console.width
    labels = [c for c in t.labels if c in shown.columns]
    short = [c for c in shown.columns if c not in labels]
    head = short[:1] if short and str(short[0]) == "#" else []
    lead = t.extra.get("lead")
    if lead in short:  # this column leads each block; every other one is a name-value pair
        labels, short = [lead], [c for c in short if c != lead] + labels
    elif not head and short and not labels:  # no row id and no labels: the first column leads
        labels, short = short[:1], short[1:]
    keys = [c for c in short if c in t.extra.get("keys", ())]
    rest = [c for c in short if c not in head and c not in keys]
    if t.title:
        console.print(Text(t.title), style="bold", highlight=False, soft_wrap=False)
    for cls, row in zip(classes, shown.to_dict("records"), strict=True):
        style = STYLE.get(cls, "")
        lead = " ".join(f"#{row[c]}" for c in head)
        first = " · ".join([str(row[c]) for c in labels[:1]] + [str(row[c]) for c in keys])
        console.print(Text(f"{lead} {first}".strip()), style=style or "bold",
                      highlight=False, soft_wrap=False, overflow="fold")
        indent = "   "
        for c in labels[1:]:
            console.print(Text(f"{indent}{row[c]}"), style=style, highlight=False,
                          soft_wrap=False, overflow="fold")
        line = indent
        for c in rest:
            pair = f"{c} {row[c]}"
            if len(line) > len(indent) and len(line) + 2 + len(pair) > width:
                console.print(Text(line), style=style, highlight=False, soft_wrap=False)
                line = indent
            line += ("" if line == indent else "  ") + pair
        if line.strip():
            console.print(Text(line), style=style, highlight=False, soft_wrap=False)
