"""Report charts as matplotlib Figures, and their deterministic SVG text.

Figures are built with ``matplotlib.figure.Figure`` directly (no pyplot, no GUI backend), so
rendering works headless and never changes the backend of a notebook that imports this.
``to_svg`` fixes the id salt and drops the date so the same run renders byte-identical SVG.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Mapping, Sequence

import matplotlib
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullFormatter

from engine import metrics as M
from engine.report import tables as T

COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
          "#7f7f7f", "#bcbd22", "#17becf"]
EPISODE_COLORS = ["#fdd49e", "#c6dbef", "#c7e9c0", "#dadaeb", "#fcbba1", "#d9d9d9"]
MAX_POINTS = 1500  # time series are thinned to about this many points per line
_ID_ATTR = re.compile(r'(\sid)="([^"]+)"')
_ID_REF = re.compile(r'(url\(|href=")#')
SVG_METADATA = {"Date": None, "Creator": None, "Type": None, "Format": None}


def to_svg(fig: Figure, salt: str) -> str:
    """SVG text of ``fig``; text stays text (searchable, small), ids are salted per chart
    so several charts inlined in one page never share an id."""
    buf = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": f"rally-study:{salt}", "svg.fonttype": "none"}):
        fig.savefig(buf, format="svg", metadata=SVG_METADATA, bbox_inches="tight")
    return buf.getvalue()


def inline_svg(svg: str, prefix: str) -> str:
    """The ``<svg>`` element alone (no XML prolog/doctype), for inlining in HTML. Every id
    (and reference to it) gets ``prefix`` so several charts on one page never share an id;
    CSS lets the chart shrink to narrow screens but never blows it up past its drawn size."""
    body = svg[svg.index("<svg"):]
    body = _ID_ATTR.sub(lambda m: f'{m.group(1)}="{prefix}-{m.group(2)}"', body)
    body = _ID_REF.sub(lambda m: f"{m.group(1)}#{prefix}-", body)
    return body.replace("<svg ", '<svg class="chart" role="img" ', 1)


def _message(text: str) -> Figure:
    fig = Figure(figsize=(6, 1.2))
    ax = fig.subplots()
    ax.axis("off")
    ax.text(0.5, 0.5, text, ha="center", va="center")
    return fig


def _date_axis(ax) -> None:
    locator = mdates.AutoDateLocator(maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _log_y(ax, values: np.ndarray) -> None:
    """Log scale with plain-number labels ("2", not "2x10^0"); minor ticks are labelled
    only when the data spans less than a decade, else they would collide."""
    finite = values[np.isfinite(values) & (values > 0)]
    if finite.size == 0:
        return
    ax.set_yscale("log")
    plain = FuncFormatter(lambda v, _: f"{v:g}")
    ax.yaxis.set_major_formatter(plain)
    ax.yaxis.set_minor_formatter(plain if finite.max() / finite.min() < 10 else NullFormatter())


def _thin(frame: pd.DataFrame | pd.Series):
    step = max(1, math.ceil(len(frame) / MAX_POINTS))
    if step == 1:
        return frame
    idx = np.unique(np.r_[np.arange(0, len(frame), step), len(frame) - 1])
    return frame.iloc[idx]


# --- hit rate vs base rate ----------------------------------------------------------------

def hit_rate_figure(metrics: pd.DataFrame, horizon: str | None = None, episode: str = "all",
                    manifest: Mapping | None = None) -> Figure:
    """Hit rate (dot, 95% CI whiskers) vs base rate (bar) of each signal's best variant,
    one color per horizon."""
    m = T.ensure_columns(metrics)
    best = T.best_variants(m, episode=episode)
    best = best[best[M.N_EVENTS].astype(float) > 0]
    if horizon is not None:
        best = best[best["horizon"] == horizon]
    if best.empty:
        return _message("no signal fired: no hit rates to show")
    signals = T.signal_order(best)
    hs = [h for h in T.horizons(m, manifest) if (best["horizon"] == h).any()]
    return dot_plot(best, signals, "signal", hs,
                    title=f"hit rate vs base rate (best variant per signal, episode {episode})")


def dot_plot(rows: pd.DataFrame, labels: Sequence[str], label_col: str,
             groups: Sequence[str], title: str) -> Figure:
    """Shared by the run and compare reports: rows keyed by ``label_col`` and horizon."""
    k = max(1, len(groups))
    height = 1.4 + 0.4 * len(labels) * max(1.0, k / 2)
    fig = Figure(figsize=(8, min(height + 0.4, 40)), layout="constrained")
    ax = fig.subplots()
    width = 0.7 / k
    for j, h in enumerate(groups):
        sub = rows[rows["horizon"] == h].drop_duplicates(label_col).set_index(label_col)
        sub = sub.reindex(labels)
        y = np.arange(len(labels)) - 0.35 + width * (j + 0.5)
        hit = 100 * sub[M.HIT_RATE].astype(float).to_numpy()
        lo = np.clip(hit - 100 * sub[M.CI_LOW].astype(float).to_numpy(), 0, None)
        hi = np.clip(100 * sub[M.CI_HIGH].astype(float).to_numpy() - hit, 0, None)
        color = COLORS[j % len(COLORS)]
        ax.errorbar(hit, y, xerr=[np.nan_to_num(lo), np.nan_to_num(hi)], fmt="o",
                    color=color, ms=5, capsize=2, lw=1, label=f"{h} hit rate")
        ax.scatter(100 * sub[M.BASE_RATE].astype(float).to_numpy(), y, marker="|", s=140,
                   color=color, linewidths=2, label=f"{h} base rate")
        right = np.where(np.isfinite(hi), hit + np.nan_to_num(hi), hit)
        for yy, xx, row in zip(y, right, sub.to_dict("records"), strict=True):
            if np.isfinite(xx):
                ax.annotate(f"n {T.events(row)}, q {T.qfmt(row.get(M.Q_VALUE))}", (xx, yy),
                            xytext=(4, 0), textcoords="offset points", va="center",
                            fontsize=6, color=color)
    ax.set_yticks(np.arange(len(labels)), [_short(s) for s in labels])
    ax.invert_yaxis()
    ax.axvline(50, color="#bbbbbb", lw=0.8, zorder=0)
    ax.margins(x=0.2)
    ax.set_xlabel("share of events with a positive forward return, %")
    ax.set_title(title, fontsize=10)
    ax.grid(axis="x", color="#eeeeee")
    fig.legend(fontsize=7, loc="outside lower center", ncol=min(2 * k, 8), frameon=False)
    return fig


def _short(text: str, n: int = 48) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


# --- event study --------------------------------------------------------------------------

def event_study_figure(paths: pd.DataFrame, metrics: pd.DataFrame,
                       horizon: str | None = None, manifest: Mapping | None = None) -> Figure:
    """Mean cumulative (excess) return after events, with its 95% band, one line per
    signal's best variant (chosen at ``horizon``, default the study's middle horizon)."""
    if paths is None or paths.empty:
        return _message("no event paths in this run")
    m = T.ensure_columns(metrics)
    chosen = event_study_variants(paths, m, horizon, manifest)
    if not chosen:
        return _message("no signal fired: no event paths")
    fig = Figure(figsize=(8, 4.5))
    ax = fig.subplots()
    for i, (signal, variant) in enumerate(chosen):
        p = paths[(paths["signal"] == signal) & (paths["variant"] == variant)].sort_values("day")
        color = COLORS[i % len(COLORS)]
        day = p["day"].to_numpy(dtype=float)
        ax.plot(day, 100 * p["mean"].to_numpy(dtype=float), color=color, lw=1.5,
                label=_short(f"{signal} ({variant})", 60))
        ax.fill_between(day, 100 * p["low"].to_numpy(dtype=float),
                        100 * p["high"].to_numpy(dtype=float), color=color, alpha=0.12, lw=0)
    days = sorted({int(d) for d in m["horizon_days"].dropna()})
    for d in days:
        ax.axvline(d, color="#cccccc", lw=0.8, ls=":", zorder=0)
    ax.axhline(0, color="#888888", lw=0.8)
    ax.set_xlabel("trading days after entry (dotted: horizons)")
    ax.set_ylabel("mean cumulative return, %")
    ax.set_title("event study: average path after the signal fires (band: 95%)", fontsize=10)
    ax.legend(fontsize=7, frameon=False)
    return fig


def event_study_variants(paths: pd.DataFrame, metrics: pd.DataFrame, horizon: str | None,
                         manifest: Mapping | None = None) -> list[tuple[str, str]]:
    """(signal, variant) per signal: the best variant at ``horizon`` when paths has it,
    else the first variant of that signal found in paths."""
    horizon = horizon or T.middle_horizon(metrics, manifest)
    best = T.best_variants(metrics)
    best = best[(best["horizon"] == horizon) & (best[M.N_EVENTS].astype(float) > 0)]
    keys = paths[["signal", "variant"]].drop_duplicates().astype(str)
    have = set(zip(keys["signal"], keys["variant"], strict=True))
    first = paths.drop_duplicates("signal").set_index("signal")["variant"]
    out = []
    for row in best.itertuples():
        key = (str(row.signal), str(row.variant))
        if key in have:
            out.append(key)
        elif row.signal in first.index:
            out.append((str(row.signal), str(first[row.signal])))
    return out


# --- prices with episodes -----------------------------------------------------------------

def price_figure(prices: pd.DataFrame, episodes: Sequence[Mapping],
                 names: Mapping[str, str] | None = None) -> Figure:
    """Target (and benchmark, both rebased to 100) with the study's episodes shaded."""
    if prices is None or prices.empty or "target" not in prices.columns:
        return _message("no prices in this run")
    names = names or {}
    fig = Figure(figsize=(8, 3.6))
    ax = fig.subplots()
    p = _thin(prices.sort_index())
    cols = [c for c in ("target", "benchmark") if c in p.columns]
    rebase = len(cols) > 1
    plotted = []
    for i, c in enumerate(cols):
        s = p[c].astype(float).dropna()
        s = s[s > 0] if rebase else s
        if s.empty:
            continue
        y = 100 * s / s.iloc[0] if rebase else s
        ax.plot(s.index, y, color=["#1f4e79", "#999999"][i], lw=1.1, label=names.get(c, c))
        plotted.append(y.to_numpy())
    finite = np.concatenate(plotted) if plotted else np.array([])
    finite = finite[np.isfinite(finite) & (finite > 0)]
    if finite.size and finite.max() / finite.min() > 4:
        _log_y(ax, finite)
    lo, hi = p.index.min(), p.index.max()
    for i, ep in enumerate(episodes):
        start, end = pd.Timestamp(ep["start"]), pd.Timestamp(ep["end"])
        if end < lo or start > hi:
            continue
        ax.axvspan(max(start, lo), min(end, hi), color=EPISODE_COLORS[i % len(EPISODE_COLORS)],
                   alpha=0.6, lw=0, zorder=0)
        ax.text(max(start, lo), 1.0, f" {ep['name']}", transform=ax.get_xaxis_transform(),
                fontsize=7, va="top")
    _date_axis(ax)
    ax.set_ylabel("rebased to 100" if rebase else "close")
    ax.set_title("target price with episodes shaded (price index, not total return)",
                 fontsize=10)
    ax.legend(fontsize=7, frameon=False, loc="upper left")
    return fig


# --- equity curves ------------------------------------------------------------------------

def equity_columns(equity: pd.DataFrame, backtest: pd.DataFrame | None) -> list[str]:
    """Buy-and-hold columns first, then one strategy per signal: its best variant by Sharpe
    (by final value when there is no backtest table)."""
    cols = [str(c) for c in equity.columns]
    bh = [c for c in cols if c.startswith("buy-and-hold|")]
    strat = [c for c in cols if "|" in c and c not in bh]
    chosen: dict[str, str] = {}
    if backtest is not None and not backtest.empty and M.SHARPE in backtest.columns:
        b = backtest[backtest["signal"] != "buy-and-hold"].copy()
        b["col"] = b["signal"].astype(str) + "|" + b["variant"].astype(str)
        b = b[b["col"].isin(strat)].sort_values([M.SHARPE, "col"], ascending=[False, True],
                                                na_position="last", kind="stable")
        first = b.drop_duplicates("signal")
        chosen = dict(zip(first["signal"].astype(str), first["col"], strict=True))
    if not chosen and strat:
        last = equity[strat].ffill().iloc[-1].astype(float).sort_values(ascending=False)
        for c in last.index:
            chosen.setdefault(c.split("|", 1)[0], c)
    return bh + list(chosen.values())


def equity_figure(equity: pd.DataFrame, backtest: pd.DataFrame | None = None) -> Figure:
    """Portfolio value (log scale) of each signal's best strategy vs buy-and-hold."""
    if equity is None or equity.empty:
        return _message("no equity curves in this run")
    cols = equity_columns(equity, backtest)
    e = _thin(equity[cols].sort_index())
    fig = Figure(figsize=(8, 4))
    ax = fig.subplots()
    k = 0
    for c in cols:
        s = e[c].astype(float)
        if c.startswith("buy-and-hold|"):
            ax.plot(s.index, s, color="#333333", lw=1.2, ls="--", label=_short(c, 60))
        else:
            ax.plot(s.index, s, color=COLORS[k % len(COLORS)], lw=1.1, label=_short(c, 60))
            k += 1
    vals = e[cols].astype(float).to_numpy()
    if np.all(vals[np.isfinite(vals)] > 0):
        _log_y(ax, vals)
    _date_axis(ax)
    ax.set_ylabel("portfolio value (start = 1)")
    ax.set_title("equity curves: best variant per signal vs buy-and-hold", fontsize=10)
    ax.legend(fontsize=7, frameon=False, loc="upper left")
    return fig


# --- parameter sweeps ---------------------------------------------------------------------

def sweep_figure(rows: pd.DataFrame, swept: Sequence[str], signal: str, horizon: str,
                 horizon_order: Sequence[str] = ()) -> Figure:
    """Edge by parameter: a heat map over the first two swept axes at ``horizon`` (best over
    any further axes), or a line per horizon when only one parameter is swept."""
    if len(swept) >= 2:
        return _heatmap(rows, swept, signal, horizon)
    return _sweep_lines(rows, swept[0], signal, horizon_order)


def heatmap_grid(rows: pd.DataFrame, swept: Sequence[str], horizon: str,
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(edge, q) grids: rows = first swept axis, columns = second; the cell is the variant
    with the highest edge over any further swept axes."""
    a, b = swept[0], swept[1]
    r = rows[rows["horizon"] == horizon].copy()
    r[M.EDGE] = r[M.EDGE].astype(float)
    r = r.sort_values(M.EDGE, ascending=False, na_position="last", kind="stable")
    r = r.drop_duplicates([a, b])
    ys, xs = T.sorted_values(r[a]), T.sorted_values(r[b])
    edge = r.pivot(index=a, columns=b, values=M.EDGE).reindex(index=ys, columns=xs)
    q = r.pivot(index=a, columns=b, values=M.Q_VALUE).reindex(index=ys, columns=xs)
    return edge, q


def _heatmap(rows: pd.DataFrame, swept: Sequence[str], signal: str, horizon: str) -> Figure:
    edge, q = heatmap_grid(rows, swept, horizon)
    z = 100 * edge.to_numpy(dtype=float)
    lim = np.nanmax(np.abs(z)) if np.isfinite(z).any() else 1.0
    lim = lim if lim > 0 else 1.0
    ny, nx = z.shape
    fig = Figure(figsize=(min(1.2 + 0.75 * nx, 12), min(1.4 + 0.45 * ny, 12)))
    ax = fig.subplots()
    cmap = matplotlib.colormaps["RdBu"].with_extremes(bad="#e0e0e0")
    im = ax.imshow(np.ma.masked_invalid(z), cmap=cmap, vmin=-lim, vmax=lim, aspect="auto")
    qs = q.to_numpy(dtype=float)
    if nx * ny <= 400:
        for i in range(ny):
            for j in range(nx):
                if np.isfinite(z[i, j]):
                    star = "*" if qs[i, j] <= T.STRONG_Q else ""
                    ax.text(j, i, f"{z[i, j]:+.1f}{star}", ha="center", va="center",
                            fontsize=7, color="white" if abs(z[i, j]) > 0.6 * lim else "black")
    _ticks(ax.set_xticks, list(edge.columns))
    _ticks(ax.set_yticks, list(edge.index))
    ax.set_xlabel(str(swept[1]))
    ax.set_ylabel(str(swept[0]))
    extra = f"; best over {', '.join(swept[2:])}" if len(swept) > 2 else ""
    ax.set_title(f"{_short(signal)}: edge (pts) at {horizon}{extra} (* q <= 0.05)",
                 fontsize=9)
    fig.colorbar(im, ax=ax, shrink=0.8, label="edge, pts")
    return fig


def _ticks(setter, values: list, most: int = 25) -> None:
    """Label every value, or every k-th one when there are too many to read."""
    step = max(1, math.ceil(len(values) / most))
    pos = list(range(0, len(values), step))
    setter(pos, [str(values[i]) for i in pos], fontsize=7)


def _sweep_lines(rows: pd.DataFrame, param: str, signal: str,
                 horizon_order: Sequence[str]) -> Figure:
    values = T.sorted_values(rows[param])
    pos = {v: i for i, v in enumerate(values)}
    fig = Figure(figsize=(7, 3.4))
    ax = fig.subplots()
    hs = [h for h in horizon_order if (rows["horizon"] == h).any()] or \
        list(rows["horizon"].unique())
    for k, h in enumerate(hs):
        r = rows[rows["horizon"] == h]
        r = r.assign(_x=r[param].map(pos)).sort_values("_x")
        color = COLORS[k % len(COLORS)]
        x, y = r["_x"].to_numpy(dtype=float), 100 * r[M.EDGE].to_numpy(dtype=float)
        ax.plot(x, y, marker="o", ms=4, color=color, label=str(h), lw=1.2)
        sig = r[M.Q_VALUE].astype(float).to_numpy() <= T.STRONG_Q
        ax.scatter(x[sig], y[sig], s=70, facecolors="none", edgecolors=color)
    ax.axhline(0, color="#888888", lw=0.8)
    _ticks(ax.set_xticks, values)
    ax.set_xlabel(param)
    ax.set_ylabel("edge, pts")
    ax.set_title(f"{_short(signal)}: edge by {param} (ringed: q <= 0.05)", fontsize=9)
    ax.legend(fontsize=7, frameon=False, title="horizon", title_fontsize=7)
    return fig
