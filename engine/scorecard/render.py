"""Render a Scorecard through the report stack: ``Out`` tables for the terminal and CSV/JSON
(``engine.report.output``), and one ``Document`` for Markdown and HTML (``engine.report``).

The display tables are built once here and shared by every format, so the terminal, the
Markdown file and the HTML page say the same thing. The score-path chart is a
``matplotlib.figure.Figure`` (no pyplot, no backend or rcParams change) turned into
deterministic SVG by ``engine.report.charts.to_svg``; files are written atomically.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from rich.console import Console
from rich.markup import escape

from engine import metrics as M
from engine.formats import ret
from engine.report import charts
from engine.report.model import Bullets, Chart, Document, Section, Table
from engine.report.output import Out, emit
from engine.scorecard.score import Scorecard

STATUS_STYLE = {"met": "green", "not met": "red", "no data": "yellow"}
STATUS_CLASS = {"met": "strong", "no data": "nodata"}
CAVEATS = ("price indices (no dividends)",
           "state mode counts every day, so days are heavily overlapping: read `independent` "
           "(non-overlapping windows) as the sample size",
           "conditions without data are listed as such, never imputed")


def _pct(x) -> str:
    return "—" if x is None or not np.isfinite(x) else f"{100 * x:.1f}%"


def _num4(x) -> str:
    return "—" if x is None or not np.isfinite(float(x)) else f"{float(x):.4g}"


# --- display tables (every format) ----------------------------------------------------------

def odds_table(sc: Scorecard) -> pd.DataFrame:
    o = sc.odds
    return pd.DataFrame({
        "series": o["series"], "horizon": o["horizon"], "days": o[M.N_EVENTS],
        "indep.": o[M.N_INDEPENDENT], "hit": o[M.HIT_RATE].map(_pct),
        "base": o[M.BASE_RATE].map(_pct), "mean": o[M.MEAN_FWD].map(ret),
        "median": o[M.MEDIAN_FWD].map(ret),
        "hit 95% CI": [f"{_pct(a)}–{_pct(b)}" for a, b in zip(o[M.CI_LOW], o[M.CI_HIGH],
                                                                   strict=True)],
    })


def conditions_display(sc: Scorecard) -> pd.DataFrame:
    """Each condition's tested quantity on the date (its value, threshold and the date of
    the observation behind it); the parts of a combined condition follow it, marked ↳."""
    c = sc.conditions
    part = c["part_of"].fillna("").astype(str) != "" if "part_of" in c else False
    return pd.DataFrame({
        "status": c["status"], "value": [_num4(v) for v in c["tested_value"]],
        "threshold": c["threshold"].fillna("").astype(str).replace("", "—"),
        "as of": [d if isinstance(d, str) and d else "—" for d in c["as_of"]],
        "condition": np.where(part, "↳ " + c["condition"].astype(str),
                              c["condition"].astype(str)),
        "tested": c["tested"].astype(str)})


def conditions_report(sc: Scorecard) -> pd.DataFrame:
    """The Markdown/HTML conditions table: the terminal's columns, then the raw series and
    its last published value, and the rule."""
    c = sc.conditions
    out = conditions_display(sc)
    out["series"] = c["series"].fillna("").astype(str).replace("", "—")
    out["series value"] = [_num4(v) for v in c["value"]]
    out["series date"] = c["value_date"].fillna("—").astype(str)
    out["rule"] = c["rule"].astype(str)
    first = ["condition", "status", "tested", "value", "threshold", "as of"]
    return out[first + [k for k in out.columns if k not in first]]


def condition_classes(sc: Scorecard) -> list[str]:
    return [STATUS_CLASS.get(s, "") for s in sc.conditions["status"]]


def monotonic_display(sc: Scorecard) -> pd.DataFrame:
    """Score vs forward return: Spearman, its block-bootstrap 95% CI and the sample."""
    mono = sc.monotonic.copy()
    if mono.empty:
        return mono
    mono["spearman"] = mono["spearman"].map(lambda v: f"{v:+.3f}")
    mono["95% CI"] = [f"{a:+.3f} .. {b:+.3f}" for a, b in zip(mono.pop(M.CI_LOW),
                                                              mono.pop(M.CI_HIGH), strict=True)]
    mono = mono.drop(columns=[M.HORIZON_DAYS], errors="ignore").rename(
        columns={M.N_DAYS: "days", M.N_INDEPENDENT: "indep."})
    return mono.astype(str)


def buckets_display(sc: Scorecard) -> pd.DataFrame:
    """Every score bucket of the full sample (episode all), both series."""
    b = sc.buckets[sc.buckets[M.EPISODE] == "all"]
    return pd.DataFrame({"series": b["series"], "score": b["score"].astype(str),
                         "horizon": b[M.HORIZON], "days": b[M.N_EVENTS].astype(str),
                         "indep.": b[M.N_INDEPENDENT].astype(str),
                         "hit": b[M.HIT_RATE].map(_pct), "mean": b[M.MEAN_FWD].map(_pct),
                         "median": b[M.MEDIAN_FWD].map(_pct)})


def _text(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype(object).where(frame.notna(), "—").astype(str)


# --- terminal and machine formats -----------------------------------------------------------

def outs(sc: Scorecard) -> list[Out]:
    """The scorecard's tables for ``engine.report.output.emit`` (CSV: the conditions)."""
    cond = sc.conditions.drop(columns=["description"]).copy()
    cond.insert(0, "date", str(sc.date.date()))
    summary = pd.DataFrame([{"date": str(sc.date.date()), "score": sc.score,
                             "n_conditions": sc.n_conditions, "n_with_data": sc.n_with_data}])
    return [Out("conditions", cond, title=f"conditions on {sc.date.date()}",
                labels=("rule",)),
            Out("score", summary, title="score"),
            Out("odds", sc.odds, display=odds_table(sc),
                title=f"historical odds when the score was {sc.score}"),
            Out("monotonic", sc.monotonic, title="score vs forward return (Spearman)"),
            Out("past", sc.past, title=f"past spells with score >= {sc.score}")]


def print_scorecard(sc: Scorecard, console: Console) -> None:
    """The scorecard in the terminal, every table fitted to the width."""
    console.print(f"[bold]{escape(sc.study.title)}[/] — as of [bold]{sc.date.date()}[/] "
                  f"(only data published by then)", highlight=False, markup=True)
    tables = [Out("conditions", sc.conditions, display=conditions_display(sc),
                  labels=("condition", "tested"), row_class=condition_classes(sc),
                  extra={"stack_below": 50, "lead": "condition", "keys": ("status",)},
                  title=f"score {sc.score} of {sc.n_conditions} "
                  f"({sc.n_with_data} conditions with data) · value = the tested quantity "
                  "on the date (last known when no data), as of = its observation"),
              Out("odds", sc.odds, display=odds_table(sc), labels=("series",),
                  title=f"historical odds when the score was {sc.score} (on the "
                  f"{sc.n_comparable_days} days scored on the same {sc.n_with_data} "
                  "conditions)")]
    if not sc.monotonic.empty:
        tables.append(Out("monotonic", sc.monotonic, display=monotonic_display(sc),
                          labels=("series",),
                          title="does a higher score mean better returns? (Spearman)"))
    past = sc.past.head(10)
    tables.append(Out("past", past, display=past.astype(str),
                      title=f"past spells with score >= {sc.score} (most recent first; "
                      "current = the spell under way today)"))
    emit(tables, "table", console)


# --- the document (Markdown and HTML) -------------------------------------------------------

def plot_score_path(sc: Scorecard, ax=None):
    """Conditions met per day, the study's episodes shaded; returns the Axes."""
    if ax is None:
        ax = Figure(figsize=(10, 3), layout="constrained").subplots()
    path = sc.score_path
    ax.plot(path.index, path.to_numpy(), lw=0.8, color="#1f4e79")
    for ep in sc.study.episodes:
        ax.axvspan(pd.Timestamp(ep.start), min(pd.Timestamp(ep.end), path.index[-1]),
                   color="#f4b183", alpha=0.35)
        ax.text(pd.Timestamp(ep.start), sc.n_conditions + 0.2, ep.name, fontsize=8)
    ax.set_ylim(-0.5, sc.n_conditions + 0.8)
    ax.set_ylabel("conditions met")
    ax.set_title("Rally score over time (episodes shaded)")
    charts.date_axis(ax)
    return ax


def document(sc: Scorecard) -> Document:
    """What the scorecard's .md and .html say."""
    date = sc.date.date()
    cond = conditions_report(sc)
    episodes = ([Table(_text(sc.episode_starts))] if not sc.episode_starts.empty
                else ["none"])
    fig = plot_score_path(sc).figure
    return Document(
        title=sc.study.title,
        lead=(f"As of {date}, using only data published by then. Score {sc.score} of "
              f"{sc.n_conditions} ({sc.n_with_data} conditions with data; a condition "
              "without data counts as not met)."),
        facts=[("date", str(date)), ("score", f"{sc.score} of {sc.n_conditions}"),
               ("conditions with data", str(sc.n_with_data)),
               ("comparable days", str(sc.n_comparable_days))],
        sections=[
            Section("conditions", "Conditions", [
                "value = the tested quantity on the date (last known when no data); as of = "
                "the date of the observation behind it.",
                Table(cond, row_class=condition_classes(sc))]),
            Section("odds", f"Historical odds when the score was {sc.score}", [
                f"Over the {sc.n_comparable_days} past days on which all {sc.n_with_data} "
                "conditions that have data today also had data, scored on those conditions "
                "only.", Table(odds_table(sc).astype(str))]),
            Section("monotonic", "Monotonicity (score vs forward return)",
                    [Table(monotonic_display(sc))]),
            Section("buckets", "All score buckets (episode all)", [Table(buckets_display(sc))]),
            Section("score-path", "Score path", [
                Chart("score-path", "Rally score over time (episodes shaded)",
                      charts.to_svg(fig, "score-path"))]),
            Section("episodes", "Episodes: conditions at the start", episodes),
            Section("past", f"Past spells with score >= {sc.score}",
                    [Table(_text(sc.past.head(20)))]),
            Section("caveats", "Caveats", [Bullets(list(CAVEATS))]),
        ])


def to_markdown(sc: Scorecard, chart_dir: str | None = None) -> str:
    """The scorecard as Markdown (charts linked from ``chart_dir``, else named)."""
    from engine.report import markdown

    return markdown.render(document(sc), chart_dir=chart_dir)


def to_html(sc: Scorecard) -> str:
    """The scorecard as one self-contained HTML page."""
    from engine.report import html

    return html.render(document(sc))


def write(sc: Scorecard, folder: Path) -> tuple[Path, Path]:
    """``folder/scorecard-DATE.md`` (its chart in ``scorecard-DATE-charts/``) and
    ``folder/scorecard-DATE.html``, each written atomically."""
    from engine.report.files import write_document

    return write_document(document(sc), folder, f"scorecard-{sc.date.date()}")
