"""Rally-anatomy charts. Each plot function draws on ``ax`` (made if not given) and returns it,
so notebooks can compose them; the ``*_figure`` helpers make the report's figures.

Figures are ``matplotlib.figure.Figure`` (no pyplot) and go through ``engine.report.charts``'
deterministic SVG writer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from engine import metrics as M
from engine.report.charts import date_axis, log_y, thin

OUTCOME_COLORS = {"sustained": "#2ca02c", "failed": "#d62728", "pending": "#bdbdbd"}


def _axes(ax: Axes | None, size=(9, 3.4)) -> Axes:
    if ax is not None:
        return ax
    return Figure(figsize=size, layout="constrained").subplots()


def rally_timeline(price: pd.Series, rallies: pd.DataFrame, horizon_days: int,
                   ax: Axes | None = None, title: str = "") -> Axes:
    """``price`` on a log scale with each rally shaded from its start over the sustained
    horizon, colored by outcome; the trough is marked."""
    ax = _axes(ax)
    p = price.dropna()
    p = p[p > 0]
    shown = thin(p)
    ax.plot(shown.index, shown.to_numpy(), color="#1f4e79", lw=0.9)
    log_y(ax, p.to_numpy())
    idx = p.index
    for r in rallies.itertuples():
        i = idx.searchsorted(r.start)
        end = idx[min(i + horizon_days, len(idx) - 1)]
        ax.axvspan(r.start, end, color=OUTCOME_COLORS.get(str(r.outcome), "#bdbdbd"),
                   alpha=0.35, lw=0, zorder=0)
        if r.trough in p.index:
            ax.plot([r.trough], [p.loc[r.trough]], marker="v", ms=3, color="#555555", lw=0)
    ax.legend(handles=[Patch(color=c, alpha=0.5, label=k) for k, c in OUTCOME_COLORS.items()],
              fontsize=7, frameon=False, loc="upper left", ncol=3)
    date_axis(ax)
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def timeline_figure(res) -> Figure:
    """Two panels: the target and the rally series (target / benchmark), both log scale."""
    fig = Figure(figsize=(9, 5.6), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True)
    h = res.rule.sustained.horizon.days
    rally_timeline(res.close, res.rallies, h, ax=top,
                   title=f"{res.study.target} (log scale), rallies shaded by outcome over "
                         f"{res.rule.sustained.horizon.label}")
    if res.rule.series == "relative":
        rally_timeline(res.series, res.rallies, h, ax=bottom,
                       title=f"{res.study.target} / {res.study.benchmark} (the rally series); "
                             "triangles = troughs")
    else:
        bottom.set_visible(False)
    return fig


def driver_odds(table: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Odds ratio (sustained when on vs off) with its exact 95% interval, log scale; drivers
    whose odds ratio is undefined (never on or never off) are listed without a dot."""
    ax = _axes(ax, (7, 0.45 * max(len(table), 2) + 1.2))
    t = table.reset_index(drop=True)
    y = np.arange(len(t))[::-1]
    orr = t["odds_ratio"].to_numpy(np.float64)
    lo = np.clip(t[M.CI_LOW].to_numpy(np.float64), 1e-2, 1e2)
    hi = np.clip(t[M.CI_HIGH].to_numpy(np.float64), 1e-2, 1e2)
    ok = np.isfinite(orr)
    for yi, a, b, o in zip(y[ok], lo[ok], hi[ok], np.clip(orr[ok], 1e-2, 1e2), strict=True):
        ax.plot([a, b], [yi, yi], color="#1f4e79", lw=1.2)
        ax.plot([o], [yi], "o", color="#1f4e79", ms=4)
    for yi, o in zip(y[~ok], orr[~ok], strict=True):
        text = "  odds ratio infinite" if np.isinf(o) else "  undefined (never on or off)"
        ax.text(1.0, yi, text, fontsize=7, va="center", color="#555555")
    ax.axvline(1.0, color="#999999", lw=0.8, ls="--")
    ax.set_xscale("log")
    ax.set_xlim(1e-2, 1e2)
    ax.set_yticks(y, [f"{d} (on {a}, off {b})" for d, a, b in
                      zip(t["driver"], t["n_on"], t["n_off"], strict=True)], fontsize=7)
    ax.set_xlabel("odds ratio of 'sustained', driver on vs off (exact 95% CI, clipped)")
    return ax


def analog_fan(paths: pd.DataFrame, band: pd.DataFrame, ax: Axes | None = None,
               actual: pd.Series | None = None, title: str = "") -> Axes:
    """Each analog's path after its date (thin), their median, the analog range (shaded), the
    unconditional 10-90% band of every past day (dashed) and, if given, the actual path."""
    ax = _axes(ax, (8, 3.8))
    days = np.arange(len(band))
    if not band.empty and band.notna().any().any():
        ax.plot(days, 100 * band["p10"].to_numpy(float), color="#7f7f7f", ls="--", lw=0.9,
                label="all past days: 10% / 90%")
        ax.plot(days, 100 * band["p90"].to_numpy(float), color="#7f7f7f", ls="--", lw=0.9)
    if paths.shape[1]:
        v = 100 * paths.to_numpy(np.float64)
        for j in range(v.shape[1]):  # a handful of analogs
            ax.plot(days[: len(v)], v[:, j], color="#9ecae1", lw=0.8)
        with np.errstate(all="ignore"):
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                lo, med, hi = (np.nanmin(v, axis=1), np.nanmedian(v, axis=1),
                               np.nanmax(v, axis=1))
        ax.fill_between(days[: len(v)], lo, hi, color="#c6dbef", alpha=0.5,
                        label=f"analog range ({v.shape[1]} analogs)")
        ax.plot(days[: len(v)], med, color="#08519c", lw=1.8, label="analog median")
    if actual is not None and np.isfinite(actual.to_numpy(float)).any():
        a = 100 * actual.to_numpy(np.float64)
        ax.plot(np.arange(len(a)), a, color="black", lw=2.0, label="what actually happened")
    ax.axhline(0, color="#999999", lw=0.6)
    ax.set_xlabel("trading days after the date (entry at the next close)")
    ax.set_ylabel("rally series, % change")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7, frameon=False, loc="upper left")
    else:
        ax.text(0.5, 0.5, "no analog and no past day to compare with", ha="center",
                va="center", transform=ax.transAxes, color="#555555")
    if title:
        ax.set_title(title, fontsize=10)
    return ax
