"""compare.md / compare.html: one ranking of metrics rows from several runs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from engine import metrics as M
from engine.report import charts, html, markdown
from engine.report import tables as T
from engine.report.files import write_atomic
from engine.report.model import Bullets, Chart, Document, Section, Table

MAX_ROWS = 500
CHART_ROWS = 25


def write_compare_reports(metrics: pd.DataFrame, out_dir: Path, title: str,
                          ) -> tuple[Path, Path]:
    """Write ``out_dir/compare.md`` and ``out_dir/compare.html`` from metrics rows that carry
    ``study`` and ``run_id`` columns; rows are shown in the order given (already ranked)."""
    doc = build(metrics, title)
    out_dir = Path(out_dir)
    md = write_atomic(out_dir / "compare.md", markdown.render(doc, chart_dir=None))
    page = write_atomic(out_dir / "compare.html", html.render(doc))
    return md, page


def build(metrics: pd.DataFrame, title: str) -> Document:
    m = T.ensure_columns(metrics, where="compare")
    for c in ("study", "run_id"):
        if c not in m.columns:
            m[c] = "—"
    runs = m.groupby(["study", "run_id"], sort=False).size().reset_index(name="rows shown")
    doc = Document(title=title, lead="Signals from several studies and runs in one ranking.")
    doc.facts = [("runs", str(len(runs))), ("rows", str(len(m))),
                 ("episodes", ", ".join(map(str, m["episode"].unique()))),
                 ("horizons", ", ".join(map(str, m["horizon"].unique())))]
    shown = m.head(MAX_ROWS)
    lead = ("study", "target", "signal", "variant", "horizon", "episode")
    frame, cls = T.display_rows(shown, tuple(c for c in lead if c in shown.columns))
    ranking = Section("ranking", "Ranking", [Table(frame, cls)])
    if len(m) > MAX_ROWS:
        ranking.blocks.insert(0, f"Showing the first {MAX_ROWS} of {len(m)} rows.")
    doc.sections = [
        Section("runs", "Runs", [Table(runs.astype(str))]),
        ranking,
        _chart_section(m),
        Section("caveats", "Caveats", [Bullets([
            "q-values are Benjamini–Hochberg adjusted within each run, not across the runs "
            "compared here: the more studies you compare, the more a top row owes to luck.",
            "Studies can differ in target, benchmark, window and mode; an edge is measured "
            "against each study's own base rate.",
            "Every hit rate is shown with its events (all/independent) and q.",
        ])]),
    ]
    return doc


def _chart_section(m: pd.DataFrame) -> Section:
    s = Section("hit-rates", "Hit rate vs base rate (top rows)")
    top = m[m[M.N_EVENTS].astype(float) > 0].head(CHART_ROWS).copy()
    if top.empty:
        s.blocks.append("Chart not available: no row has events.")
        return s
    top["label"] = (top["study"].astype(str) + " · " + top["signal"].astype(str) + " · "
                    + top["variant"].astype(str) + " · " + top["horizon"].astype(str))
    top["horizon"] = "rows"
    fig = charts.dot_plot(top, list(dict.fromkeys(top["label"])), "label", ["rows"],
                          title=f"top {len(top)} rows: hit rate (95% CI) vs base rate")
    s.blocks.append(Chart("compare-hit-rates", "hit rate vs base rate, top rows",
                          charts.to_svg(fig, "compare-hit-rates")))
    return s
