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
from typing import TYPE_CHECKING

import matplotlib
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, NullFormatter

from engine import metrics as M
from engine.report import tables as T

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from engine.report.chart_cache import ChartCache

COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
          "#7f7f7f", "#bcbd22", "#17becf"]
EPISODE_COLORS = ["#fdd49e", "#c6dbef", "#c7e9c0", "#dadaeb", "#fcbba1", "#d9d9d9"]
MAX_POINTS = 1500  # time series are thinned to about this many points per line
_ID_ATTR = re.compile(r'(\sid)="([^"]+)"')
_ID_REF = re.compile(r'(url\(|href=")#')
SVG_METADATA = {"Date": None, "Creator": None, "Type": None, "Format": None}


def _figure(**kwargs) -> Figure:
    """``matplotlib.figure.Figure(**kwargs)``, imported when a chart is first drawn: a report
    whose charts are all kept (``chart_cache``) never loads it (0.2 s)."""
    from matplotlib.figure import Figure

    return Figure(**kwargs)


def to_svg(fig: Figure, salt: str) -> str:
    """SVG text of ``fig``; text stays text (searchable, small), ids are salted per chart
    so several charts inlined in one page never share an id."""
    buf = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": f"rally-study:{salt}", "svg.fonttype": "none"}):
        fig.savefig(buf, format="svg", metadata=SVG_METADATA)
    return buf.getvalue()


def render_pending(charts: Sequence, cache: ChartCache | None = None) -> None:
    """Fill ``svg`` of every chart still holding its ``figure`` (``model.Chart``: a Figure, or
    a callable that builds one), then drop the figure. Several charts are built and rendered
    in forked worker processes, one per core (at most ``STUDY_REPORT_PROCESSES``, default all
    cores; 1 = here, one by one): building the figures, matplotlib's layout and SVG drawing
    are most of a report's time, and each chart's SVG is the same text wherever it is drawn
    (``to_svg`` is deterministic). A ``chart_cache.ChartCache`` gives the charts it holds
    and keeps the ones drawn."""
    pending = [c for c in charts if c.figure is not None]
    if cache is not None:
        for chart in pending:
            svg = cache.get(chart.name)
            if svg is not None:
                chart.svg, chart.figure = svg, None
        pending = [c for c in pending if c.figure is not None]
    jobs = [(c.figure, c.name) for c in pending]
    for chart, svg in zip(pending, _render_all(jobs), strict=True):
        chart.svg, chart.figure = svg, None
        if cache is not None:
            cache.put(chart.name, svg)
    if cache is not None and pending:
        cache.prune()


_JOBS: list[tuple[object, str]] = []  # read by forked workers (inherited, never pickled)


def _draw(figure, salt: str) -> str:
    return to_svg(figure() if callable(figure) else figure, salt)


def _workers(n_jobs: int) -> int:
    import multiprocessing
    import os
    import sys

    if n_jobs < 2 or sys.platform != "linux" or "fork" not in \
            multiprocessing.get_all_start_methods():
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    env = os.environ.get("STUDY_REPORT_PROCESSES", "").strip()
    limit = int(env) if env.isdigit() and int(env) > 0 else cores
    return max(1, min(n_jobs, cores, limit))


def _render_job(i: int) -> str:
    return _draw(*_JOBS[i])


def _worker_init() -> None:
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's clean-up handler
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle


def _render_all(jobs: list[tuple[object, str]]) -> list[str]:
    workers = _workers(len(jobs))
    if workers < 2:
        return [_draw(fig, salt) for fig, salt in jobs]
    import multiprocessing

    global _JOBS
    _JOBS = jobs
    pool = multiprocessing.get_context("fork").Pool(workers, initializer=_worker_init)
    try:
        out = pool.map(_render_job, range(len(jobs)), chunksize=1)
        pool.close()
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()
        _JOBS = []
    return out


def inline_svg(svg: str, prefix: str) -> str:
    """The ``<svg>`` element alone (no XML prolog/doctype), for inlining in HTML. Every id
    (and reference to it) gets ``prefix`` so several charts on one page never share an id;
    CSS lets the chart shrink to narrow screens but never blows it up past its drawn size."""
    body = svg[svg.index("<svg"):]
    body = _ID_ATTR.sub(lambda m: f'{m.group(1)}="{prefix}-{m.group(2)}"', body)
    body = _ID_REF.sub(lambda m: f"{m.group(1)}#{prefix}-", body)
    return body.replace("<svg ", '<svg class="chart" role="img" ', 1)


def _message(text: str) -> Figure:
    fig = _figure(figsize=(6, 1.2))
    ax = fig.subplots()
    ax.axis("off")
    ax.text(0.5, 0.5, text, ha="center", va="center")
    return fig


def date_axis(ax) -> None:
    locator = mdates.AutoDateLocator(maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def log_y(ax, values: np.ndarray) -> None:
    """Log scale with plain-number labels ("2", not "2x10^0"); minor ticks are labelled
    only when the data spans less than a decade, else they would collide."""
    finite = values[np.isfinite(values) & (values > 0)]
    if finite.size == 0:
        return
    ax.set_yscale("log")
    plain = FuncFormatter(lambda v, _: f"{v:g}")
    ax.yaxis.set_major_formatter(plain)
    # label some minors too, or a curve inside one or two decades shows one or two numbers:
    # 2, 3 and 5 under a decade (0.9 next to 1 would collide), 2 and 5 up to three decades
    span = finite.max() / finite.min()
    keep = (2, 3, 5) if span < 10 else (2, 5) if span < 1000 else ()
    some = FuncFormatter(lambda v, _: f"{v:g}" if v > 0 and round(
        v / 10 ** math.floor(math.log10(v) + 1e-9)) in keep else "")
    ax.yaxis.set_minor_formatter(some if keep else NullFormatter())


def thin(frame: pd.DataFrame | pd.Series):
    step = max(1, math.ceil(len(frame) / MAX_POINTS))
    if step == 1:
        return frame
    idx = np.unique(np.r_[np.arange(0, len(frame), step), len(frame) - 1])
    return frame.iloc[idx]


# --- hit rate vs base rate ----------------------------------------------------------------

def _short(text: str, n: int = 48) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


# --- event study --------------------------------------------------------------------------

def event_study_candidates(metrics: pd.DataFrame, horizon: str | None,
                           manifest: Mapping | None = None) -> pd.DataFrame:
    """The best variant of each signal at ``horizon`` that fired: whose paths the event
    study shows (``event_study_variants``)."""
    horizon = horizon or T.middle_horizon(metrics, manifest)
    best = T.best_variants(metrics)
    return best[(best["horizon"] == horizon) & (best[M.N_EVENTS].astype(float) > 0)]


def _path_keys(paths: pd.DataFrame, best: pd.DataFrame) -> set[tuple[str, str]]:
    """The (signal, variant) pairs of ``paths`` among the signals and variants of ``best``."""
    def among(values) -> set:
        return set(values) | {str(v) for v in values}

    cand = paths[paths["signal"].isin(among(best["signal"]))
                 & paths["variant"].isin(among(best["variant"]))]
    keys = cand[["signal", "variant"]].drop_duplicates().astype(str)
    return set(zip(keys["signal"], keys["variant"], strict=True))


def has_candidate_paths(paths: pd.DataFrame, best: pd.DataFrame) -> bool:
    """Whether ``paths`` holds every candidate of ``best``: then the rows of the candidates'
    signals and variants alone give ``event_study_variants`` its whole answer."""
    have = _path_keys(paths, best)
    return all((str(s), str(v)) in have
               for s, v in zip(best["signal"], best["variant"], strict=True))


def event_study_variants(paths: pd.DataFrame, metrics: pd.DataFrame, horizon: str | None,
                         manifest: Mapping | None = None) -> list[tuple[str, str]]:
    """(signal, variant) per signal: the best variant at ``horizon`` when paths has it,
    else the first variant of that signal found in paths."""
    best = event_study_candidates(metrics, horizon, manifest)
    # only the rows of the candidate signals and variants: all of a 20,000-variant sweep's
    # paths (5 million rows) took a second to deduplicate
    have = _path_keys(paths, best)
    first = None
    out = []
    for row in best.itertuples():
        key = (str(row.signal), str(row.variant))
        if key in have:
            out.append(key)
            continue
        if first is None:  # a best variant without paths: rare, so read the first ones lazily
            first = paths.drop_duplicates("signal").set_index("signal")["variant"]
        if row.signal in first.index:
            out.append((str(row.signal), str(first[row.signal])))
    return out


# --- prices with episodes -----------------------------------------------------------------

def price_figure(prices: pd.DataFrame, episodes: Sequence[Mapping],
                 names: Mapping[str, str] | None = None) -> Figure:
    """Target (and benchmark, both rebased to 100) with the study's episodes shaded."""
    if prices is None or prices.empty or "target" not in prices.columns:
        return _message("no prices in this run")
    names = names or {}
    fig = _figure(figsize=(8, 3.6))
    ax = fig.subplots()
    p = thin(prices.sort_index())
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
        log_y(ax, finite)
    lo, hi = p.index.min(), p.index.max()
    for i, ep in enumerate(episodes):
        start, end = pd.Timestamp(ep["start"]), pd.Timestamp(ep["end"])
        if end < lo or start > hi:
            continue
        ax.axvspan(max(start, lo), min(end, hi), color=EPISODE_COLORS[i % len(EPISODE_COLORS)],
                   alpha=0.6, lw=0, zorder=0)
        ax.text(max(start, lo), 1.0, f" {ep['name']}", transform=ax.get_xaxis_transform(),
                fontsize=7, va="top")
    date_axis(ax)
    ax.set_ylabel("rebased to 100" if rebase else "close")
    ax.set_title("target price with episodes shaded (price index, not total return)",
                 fontsize=10)
    ax.legend(fontsize=7, frameon=False, loc="upper left")
    return fig


# --- equity curves ------------------------------------------------------------------------

# --- parameter sweeps ---------------------------------------------------------------------

def sweep_figure(rows: pd.DataFrame, swept: Sequence[str], signal: str, horizon: str,
                 horizon_order: Sequence[str] = (),
                 min_independent: int | None = None) -> Figure:
    """Edge by parameter: a heat map over the first two swept axes at ``horizon`` (further
    axes: the one ranking's pick), or a line per horizon when only one parameter is swept."""
    if len(swept) >= 2:
        return _heatmap(rows, swept, signal, horizon, min_independent)
    return _sweep_lines(rows, swept[0], signal, horizon_order)


def _cells(rows: pd.DataFrame, swept: Sequence[str], horizon: str,
           min_independent: int | None) -> pd.DataFrame:
    """One row per (first, second) swept value at ``horizon``: the variant the one ranking
    (:func:`engine.ranking.rank_evidence`) puts first over any further swept axes, with its
    tested edge (independent events vs the base rate, the signals table's edge)."""
    from engine.ranking import DEFAULT_MIN_INDEPENDENT, rank_evidence, tested_edge

    floor = DEFAULT_MIN_INDEPENDENT if min_independent is None else int(min_independent)
    r = rank_evidence(rows[rows[M.HORIZON] == horizon], floor)
    r["_edge"] = tested_edge(r).to_numpy()
    return r.drop_duplicates([swept[0], swept[1]])


def heatmap_grid(rows: pd.DataFrame, swept: Sequence[str], horizon: str,
                 min_independent: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(edge, q) grids: rows = first swept axis, columns = second; the edge is the tested
    one (as in the signals table) and a cell over further swept axes is the one ranking's
    pick (see ``_cells``)."""
    a, b = swept[0], swept[1]
    r = _cells(rows, swept, horizon, min_independent)
    ys, xs = T.sorted_values(r[a]), T.sorted_values(r[b])
    edge = r.pivot(index=a, columns=b, values="_edge").reindex(index=ys, columns=xs)
    q = r.pivot(index=a, columns=b, values=M.Q_VALUE).reindex(index=ys, columns=xs)
    return edge, q


def heatmap_cells(rows: pd.DataFrame, swept: Sequence[str], horizon: str,
                  min_independent: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(independent events, chosen values of the collapsed axes) per cell of
    ``heatmap_grid``: what each cell's number rests on and which variant it shows."""
    a, b = swept[0], swept[1]
    r = _cells(rows, swept, horizon, min_independent)
    r["_chosen"] = [", ".join(f"{k}={row[k]}" for k in swept[2:])
                    for row in r.to_dict("records")]
    ys, xs = T.sorted_values(r[a]), T.sorted_values(r[b])
    n = r.pivot(index=a, columns=b, values=M.N_INDEPENDENT).reindex(index=ys, columns=xs)
    chosen = r.pivot(index=a, columns=b, values="_chosen").reindex(index=ys, columns=xs)
    return n, chosen


def _heatmap(rows: pd.DataFrame, swept: Sequence[str], signal: str, horizon: str,
             min_independent: int | None = None) -> Figure:
    fig = _figure(figsize=_heatmap_size(rows, swept), layout="constrained")
    plot_heatmap(rows, swept, signal, horizon, ax=fig.subplots(),
                 min_independent=min_independent)
    return fig


def _heatmap_size(rows: pd.DataFrame, swept: Sequence[str]) -> tuple[float, float]:
    """Inches for a heat map whose cells can hold their text (the chosen value of a third
    axis, e.g. "series=fred.BAMLH0A0HYM2", at 6 pt is about 0.06 in a character)."""
    ny, nx = (len(T.sorted_values(rows[c])) for c in swept[:2])
    longest = max((len(f"{k}={v}") for k in swept[2:] for v in T.sorted_values(rows[k])),
                  default=0) if nx * ny <= 64 else 0
    cell_w = max(0.9, 0.065 * longest + 0.25)
    cell_h = 0.75 if len(swept) > 2 else 0.55
    return min(2.4 + cell_w * nx, 14), min(1.6 + cell_h * ny, 12)


def plot_heatmap(rows: pd.DataFrame, swept: Sequence[str], signal: str, horizon: str,
                 ax=None, min_independent: int | None = None):
    """Tested edge (pts) over the first two swept axes at ``horizon``, independent events
    per cell (* q <= 0.05) and, for a third axis, the value the one ranking picked in each
    cell; returns ``ax``."""
    edge, q = heatmap_grid(rows, swept, horizon, min_independent)
    n_ind, chosen = heatmap_cells(rows, swept, horizon, min_independent)
    z = 100 * edge.to_numpy(dtype=float)
    lim = np.nanmax(np.abs(z)) if np.isfinite(z).any() else 1.0
    lim = lim if lim > 0 else 1.0
    ny, nx = z.shape
    ax = _axes(ax, figsize=_heatmap_size(rows, swept))
    cmap = matplotlib.colormaps["RdBu"].with_extremes(bad="#e0e0e0")
    im = ax.imshow(np.ma.masked_invalid(z), cmap=cmap, vmin=-lim, vmax=lim, aspect="auto")
    qs = q.to_numpy(dtype=float)
    ns = n_ind.to_numpy(dtype=float)
    picks = chosen.to_numpy(dtype=object)
    if nx * ny <= 400:
        for i in range(ny):  # cells of a small grid, not dates or variants of a hot path
            for j in range(nx):
                if np.isfinite(z[i, j]):
                    star = "*" if qs[i, j] <= T.STRONG_Q else ""
                    text = f"{z[i, j]:+.1f}{star}\nn {T.count(ns[i, j])}"
                    if len(swept) > 2 and nx * ny <= 64:
                        text += f"\n{picks[i, j]}"
                    ax.text(j, i, text, ha="center", va="center", fontsize=6,
                            color="white" if abs(z[i, j]) > 0.6 * lim else "black")
    _ticks(ax.set_xticks, list(edge.columns))
    _ticks(ax.set_yticks, list(edge.index))
    ax.set_xlabel(str(swept[1]))
    ax.set_ylabel(str(swept[0]))
    extra = (f"; each cell the best {', '.join(swept[2:])} by the one ranking (value in "
             "the cell)" if len(swept) > 2 else "")
    ax.set_title(f"{_short(signal)}: edge (pts) at {horizon}\nn = independent events, "
                 f"* q <= 0.05{extra}", fontsize=8, wrap=True)
    ax.figure.colorbar(im, ax=ax, shrink=0.8, label="edge, pts")
    return ax


def _ticks(setter, values: list, most: int = 25) -> None:
    """Label every value, or every k-th one when there are too many to read."""
    step = max(1, math.ceil(len(values) / most))
    pos = list(range(0, len(values), step))
    setter(pos, [str(values[i]) for i in pos], fontsize=7)


def _sweep_lines(rows: pd.DataFrame, param: str, signal: str,
                 horizon_order: Sequence[str]) -> Figure:
    from engine.ranking import tested_edge

    values = T.sorted_values(rows[param])
    pos = {v: i for i, v in enumerate(values)}
    fig = _figure(figsize=(7, 3.4))
    ax = fig.subplots()
    hs = [h for h in horizon_order if (rows["horizon"] == h).any()] or \
        list(rows["horizon"].unique())
    for k, h in enumerate(hs):
        r = rows[rows["horizon"] == h]
        r = r.assign(_x=r[param].map(pos)).sort_values("_x")
        color = COLORS[k % len(COLORS)]
        x, y = r["_x"].to_numpy(dtype=float), 100 * tested_edge(r).to_numpy(dtype=float)
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


# --- axes-level plots (notebook API: each takes ``ax=`` and returns it) -------------------

def _axes(ax, figsize=(7, 3.6)):
    """``ax`` or a fresh Axes on its own Figure (no pyplot, no global state)."""
    if ax is not None:
        return ax
    return _figure(figsize=figsize, layout="constrained").subplots()


def tested_rates(rows: pd.DataFrame) -> np.ndarray:
    """The hit rate the CI and q are about: over independent events (all events in runs
    written before that column existed)."""
    ind = pd.to_numeric(rows.get(M.HIT_RATE_INDEPENDENT, pd.Series(np.nan, index=rows.index)),
                        errors="coerce").astype(float)
    return ind.where(ind.notna(), rows[M.HIT_RATE].astype(float)).to_numpy()


def base_paths(prices: pd.DataFrame | None, days: int, relative: bool) -> np.ndarray | None:
    """The unconditional drift: mean cumulative (excess) return d = 0..days trading days
    after *every* day of the window, the yardstick an event path must beat."""
    if prices is None or "target" not in prices.columns or days < 1:
        return None
    p = prices["target"].astype(float).to_numpy()
    b = prices["benchmark"].astype(float).to_numpy() if relative and "benchmark" in prices \
        else None
    out = np.full(days + 1, np.nan)
    out[0] = 0.0
    for d in range(1, min(days, len(p) - 1) + 1):  # offsets, not dates: at most ~250
        r = p[d:] / p[:-d] - 1.0
        if b is not None:
            r = r - (b[d:] / b[:-d] - 1.0)
        out[d] = np.nanmean(r) if np.isfinite(r).any() else np.nan
    return out


def plot_event_path(path: pd.DataFrame, base: np.ndarray | None = None, ax=None,
                    title: str = "", horizons: Sequence[int] = (), relative: bool = False):
    """One signal's mean cumulative return after entry (line), its 95% band (mean ± 1.96
    s.e. across events) and the unconditional drift over the same window (dashed)."""
    ax = _axes(ax)
    p = path.sort_values("day")
    day = p["day"].to_numpy(dtype=float)
    ax.fill_between(day, 100 * p["low"].to_numpy(dtype=float),
                    100 * p["high"].to_numpy(dtype=float), color=COLORS[0], alpha=0.18, lw=0,
                    label="95% band of the mean")
    ax.plot(day, 100 * p["mean"].to_numpy(dtype=float), color=COLORS[0], lw=1.4,
            label="after events")
    if base is not None:
        n = min(len(base), int(day.max()) + 1 if len(day) else 0)
        ax.plot(np.arange(n), 100 * base[:n], color="#555555", lw=1.0, ls="--",
                label="all days (drift)")
    for d in horizons:
        if len(day) and d <= day.max():
            ax.axvline(d, color="#cccccc", lw=0.7, ls=":", zorder=0)
    ax.axhline(0, color="#999999", lw=0.6)
    n_ev = int(p["n"].max()) if "n" in p.columns and len(p) else 0
    ax.set_title(f"{_short(title, 40)}\nn = {n_ev} events", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(color="#f0f0f0")
    return ax


def plot_hit_rates(rows: pd.DataFrame, labels: Sequence[str], label_col: str,
                   groups: Sequence[str], ax=None, title: str = ""):
    """Hit rate (dot) with its exact 95% CI (whiskers) and the base rate (bar) per row, on
    a 0-100% axis; n and q written beside each dot."""
    ax = _axes(ax)
    k = max(1, len(groups))
    width = 0.7 / k
    for j, h in enumerate(groups):
        sub = rows[rows["horizon"] == h].drop_duplicates(label_col).set_index(label_col)
        sub = sub.reindex(labels)
        y = np.arange(len(labels)) - 0.35 + width * (j + 0.5)
        hit = 100 * tested_rates(sub)
        lo = np.clip(hit - 100 * sub[M.CI_LOW].astype(float).to_numpy(), 0, None)
        hi = np.clip(100 * sub[M.CI_HIGH].astype(float).to_numpy() - hit, 0, None)
        color = COLORS[j % len(COLORS)]
        ax.errorbar(hit, y, xerr=[np.nan_to_num(lo), np.nan_to_num(hi)], fmt="o",
                    color=color, ms=4.5, capsize=2.5, lw=1, label=f"{h} hit rate (95% CI)")
        ax.scatter(100 * sub[M.BASE_RATE].astype(float).to_numpy(), y, marker="|", s=160,
                   color=color, linewidths=2, label=f"{h} base rate")
        for yy, xx, row in zip(y, hit, sub.to_dict("records"), strict=True):
            if np.isfinite(xx):
                ax.annotate(f"n {T.events(row)}, q {T.qfmt(row.get(M.Q_VALUE))}", (1, yy),
                            xycoords=("axes fraction", "data"), xytext=(4, 0),
                            textcoords="offset points", va="center", fontsize=6,
                            color=color, annotation_clip=False)
    ax.set_yticks(np.arange(len(labels)), [_short(s) for s in labels], fontsize=7)
    ax.set_ylim(len(labels) - 0.5, -0.5)
    ax.set_xlim(0, 100)
    ax.axvline(50, color="#bbbbbb", lw=0.8, zorder=0)
    ax.set_xlabel("% of independent events followed by a positive return", fontsize=8)
    ax.set_title(title, fontsize=9)
    ax.grid(axis="x", color="#eeeeee")
    return ax


def plot_equity(equity: pd.DataFrame, cols: Sequence[str], benchmark: pd.Series | None,
                ax=None, benchmark_label: str = "benchmark"):
    """Portfolio value (log scale, start = 1) of ``cols`` against the matching benchmark."""
    ax = _axes(ax)
    values = []
    if benchmark is not None:
        s = thin(benchmark.dropna())
        ax.plot(s.index, s.to_numpy(), color="#222222", lw=1.3, ls="--", label=benchmark_label)
        values.append(s.to_numpy())
    e = thin(equity[list(cols)].sort_index())
    for k, c in enumerate(cols):
        s = e[c].astype(float)
        ax.plot(s.index, s.to_numpy(), color=COLORS[k % len(COLORS)], lw=1.0,
                label=_short(str(c).replace("|", " · "), 60))
        values.append(s.to_numpy())
    vals = np.concatenate(values) if values else np.array([])
    if vals.size and np.all(vals[np.isfinite(vals)] > 0):
        log_y(ax, vals)
    date_axis(ax)
    ax.set_ylabel("value (start = 1, log scale)", fontsize=8)
    ax.grid(color="#f0f0f0")
    return ax


def drawdown(values: pd.Series) -> pd.Series:
    """Fall from the running peak, as a fraction (0 at a new high, -0.3 = 30% below it)."""
    v = values.astype(float)
    return v / v.cummax() - 1.0


def calendar_returns(values: pd.DataFrame) -> pd.DataFrame:
    """Calendar-year returns of each column of values (index = dates): the year's last
    value over the previous year's last (the first value for the first year), as fractions;
    rows = years. ``partial`` marks a first or last year the data do not cover whole."""
    v = values.sort_index().astype(float)
    ends = v.groupby(v.index.year).last()
    starts = v.groupby(v.index.year).first()
    base = ends.shift(1)
    base.iloc[0] = starts.iloc[0]
    out = ends / base - 1.0
    first_day, last_day = v.index[0], v.index[-1]
    partial = np.zeros(len(out), dtype=bool)
    if len(out):
        partial[0] = (first_day.month, first_day.day) > (1, 7)
        partial[-1] = partial[-1] or (last_day.month, last_day.day) < (12, 24)
    out.index.name = "year"
    out["partial"] = partial
    return out


def plot_drawdown(equity: pd.DataFrame, cols: Sequence[str], benchmark: pd.Series | None,
                  ax=None, benchmark_label: str = "benchmark"):
    """Underwater chart: each curve's drawdown from its running peak, in %."""
    ax = _axes(ax)
    if benchmark is not None:
        s = thin(drawdown(benchmark.dropna()))
        ax.fill_between(s.index, 100 * s.to_numpy(), 0, color="#bbbbbb", alpha=0.5, lw=0,
                        label=benchmark_label)
    e = thin(equity[list(cols)].sort_index())
    for k, c in enumerate(cols):
        s = drawdown(e[c].dropna())
        ax.plot(s.index, 100 * s.to_numpy(), color=COLORS[k % len(COLORS)], lw=0.9)
    date_axis(ax)
    ax.set_ylabel("drawdown, %", fontsize=8)
    ax.grid(color="#f0f0f0")
    return ax


def plot_distribution(event_returns: np.ndarray, base_returns: np.ndarray | None, ax=None,
                      title: str = ""):
    """Forward returns after events (bars) against those after every day (outline)."""
    ax = _axes(ax)
    ev = 100 * np.asarray(event_returns, dtype=float)
    ev = ev[np.isfinite(ev)]
    both = [ev]
    if base_returns is not None:
        bs = 100 * np.asarray(base_returns, dtype=float)
        bs = bs[np.isfinite(bs)]
        both.append(bs)
    allv = np.concatenate(both) if both else ev
    if allv.size == 0:
        ax.text(0.5, 0.5, "no events", ha="center", va="center", transform=ax.transAxes)
        return ax
    lo, hi = np.nanpercentile(allv, [1, 99])
    bins = np.linspace(lo, hi, 31) if hi > lo else 10
    if base_returns is not None and len(both) > 1 and both[1].size:
        ax.hist(both[1], bins=bins, density=True, histtype="step", color="#555555", lw=1.0,
                label=f"all days (n {both[1].size})")
    ax.hist(ev, bins=bins, density=True, color=COLORS[0], alpha=0.55,
            label=f"after events (n {ev.size})")
    ax.axvline(0, color="#999999", lw=0.6)
    ax.set_title(_short(title, 40), fontsize=8)
    ax.set_xlabel("forward return, %", fontsize=7)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=6, frameon=False)
    return ax


def plot_rolling_hit_rate(events: pd.DataFrame, base_rate: float, ax=None, title: str = "",
                          window: int = 20):
    """Share of the last ``window`` events followed by a positive return, over time,
    against the base rate: is the edge steady or one lucky decade?"""
    ax = _axes(ax)
    e = events.sort_values("date")
    hits = e["hit"].astype(float).to_numpy()
    dates = pd.to_datetime(e["date"]).to_numpy()
    few = len(hits) < window
    if few:
        ax.text(0.5, 0.62, f"fewer than {window} events ({len(hits)})", ha="center",
                va="center", transform=ax.transAxes, fontsize=7)
        ax.set_xticks([])
    else:
        c = np.cumsum(np.r_[0.0, hits])
        roll = (c[window:] - c[:-window]) / window
        ax.plot(dates[window - 1:], 100 * roll, color=COLORS[0], lw=1.0,
                label=f"last {window} events")
    if np.isfinite(base_rate):
        ax.axhline(100 * base_rate, color="#555555", ls="--", lw=0.9, label="base rate")
    ax.set_ylim(0, 100)
    ax.set_ylabel("hit rate, %", fontsize=7)
    if not few:
        date_axis(ax)
    ax.set_title(_short(title, 40), fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=6, frameon=False, loc="lower left")
    return ax


# --- figures of the report (compose the axes-level plots) ---------------------------------

MAX_PANELS = 12  # small multiples: at most this many signals per figure


def _grid(n: int, ncols: int = 3, cell=(3.0, 2.3), sharey: bool = False):
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    fig = _figure(figsize=(cell[0] * ncols + 0.4, cell[1] * nrows + 0.9), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, sharey=sharey, squeeze=False)).ravel()
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes[:n]


def hit_rate_figure(metrics: pd.DataFrame, horizon: str | None = None, episode: str = "all",
                    manifest: Mapping | None = None) -> Figure:
    """Hit rate (exact 95% CI) vs base rate of each signal's best variant, one colour per
    horizon, on a 0-100% axis."""
    m = T.ensure_columns(metrics)
    best = T.best_variants(m, episode=episode, min_independent=min_independent_floor(manifest))
    best = best[best[M.N_EVENTS].astype(float) > 0]
    if horizon is not None:
        best = best[best["horizon"] == horizon]
    if best.empty:
        return _message("no signal fired: no hit rates to show")
    signals = T.signal_order(best)
    hs = [h for h in T.horizons(m, manifest) if (best["horizon"] == h).any()]
    return dot_plot(best, signals, "signal", hs, title="hit rate vs base rate — each signal's "
                    f"best variant (episode {episode})")


def min_independent_floor(manifest: Mapping | None) -> int:
    """The manifest's [study] min_independent (the default when absent or unreadable)."""
    from engine.ranking import DEFAULT_MIN_INDEPENDENT

    study = (manifest or {}).get("study") or {}
    try:
        return int(study.get("min_independent") or DEFAULT_MIN_INDEPENDENT)
    except (TypeError, ValueError):
        return DEFAULT_MIN_INDEPENDENT


def dot_plot(rows: pd.DataFrame, labels: Sequence[str], label_col: str,
             groups: Sequence[str], title: str) -> Figure:
    """Shared by the run and compare reports: rows keyed by ``label_col`` and horizon."""
    k = max(1, len(groups))
    height = 1.4 + 0.4 * len(labels) * max(1.0, k / 2)
    fig = _figure(figsize=(8, min(height + 0.4, 40)), layout="constrained")
    ax = fig.subplots()
    plot_hit_rates(rows, labels, label_col, groups, ax=ax, title=title)
    fig.legend(fontsize=7, loc="outside lower center", ncol=min(2 * k, 4), frameon=False)
    return fig


def event_study_figure(paths: pd.DataFrame, metrics: pd.DataFrame,
                       horizon: str | None = None, manifest: Mapping | None = None,
                       prices: pd.DataFrame | None = None) -> Figure:
    """Small multiples, one panel per signal (its best variant at ``horizon``): the mean
    cumulative return after entry with its 95% band, against the drift of all days."""
    if paths is None or paths.empty:
        return _message("no event paths in this run")
    m = T.ensure_columns(metrics)
    chosen = event_study_variants(paths, m, horizon, manifest)[:MAX_PANELS]
    if not chosen:
        return _message("no signal fired: no event paths")
    relative = bool(((manifest or {}).get("study") or {}).get("benchmark"))
    days = int(paths["day"].max())
    base = base_paths(prices, days, relative)
    hdays = sorted({int(d) for d in m["horizon_days"].dropna()})
    fig, axes = _grid(len(chosen), sharey=True)
    for ax, (signal, variant) in zip(axes, chosen, strict=True):
        p = paths[(paths["signal"] == signal) & (paths["variant"] == variant)]
        plot_event_path(p, base, ax=ax, title=f"{signal} ({variant})", horizons=hdays,
                        relative=relative)
    what = "excess return vs the benchmark" if relative else "return"
    fig.supxlabel("trading days after entry (dotted: horizons)", fontsize=8)
    fig.supylabel(f"mean cumulative {what}, %", fontsize=8)
    fig.suptitle(f"event study: mean cumulative {what} after the signal fires\n(solid: after "
                 "events; band: 95% of that mean; dashed: after every day, the drift)",
                 fontsize=9)
    return fig


def _spread_index(prices: pd.DataFrame | None) -> pd.Series | None:
    """Always long the target and short the benchmark, rebalanced daily, start = 1: the
    benchmark a hedged strategy must beat (the hedged buy-and-hold)."""
    if prices is None or not {"target", "benchmark"} <= set(prices.columns):
        return None
    r = prices["target"].astype(float).pct_change() - prices["benchmark"].astype(float) \
        .pct_change()
    return (1.0 + r.fillna(0.0)).cumprod()


def equity_columns(equity: pd.DataFrame, backtest: pd.DataFrame | None,
                   metrics: pd.DataFrame | None = None, manifest: Mapping | None = None,
                   ) -> list[str]:
    """One strategy per signal: its best variant by the one ranking (``engine.ranking``, at
    the study's middle horizon); by Sharpe only for runs without metrics."""
    cols = [str(c) for c in equity.columns]
    strat = [c for c in cols if "|" in c and not c.startswith("buy-and-hold|")]
    if metrics is not None and len(metrics):
        m = T.ensure_columns(metrics)
        h = T.middle_horizon(m, manifest)
        best = T.best_variants(m, min_independent=min_independent_floor(manifest))
        best = best[best["horizon"] == h]
        want = [f"{s}|{v}" for s, v in zip(best["signal"], best["variant"], strict=True)]
        chosen = [c for c in want if c in strat]
        if chosen:
            return chosen
    if backtest is not None and not backtest.empty and M.SHARPE in backtest.columns:
        b = backtest[backtest["signal"] != "buy-and-hold"].copy()
        b["col"] = b["signal"].astype(str) + "|" + b["variant"].astype(str)
        b = b[b["col"].isin(strat)].sort_values([M.SHARPE, "col"], ascending=[False, True],
                                                na_position="last", kind="stable")
        return list(b.drop_duplicates("signal")["col"])
    return list(dict.fromkeys(strat))[:MAX_PANELS]


def matching_benchmark(equity: pd.DataFrame, backtest: pd.DataFrame | None,
                       prices: pd.DataFrame | None, manifest: Mapping | None,
                       ) -> tuple[pd.Series | None, str]:
    """The buy-and-hold a strategy is judged against: the hedged one (long target, short
    benchmark) for hedged backtests, else the target itself."""
    study = (manifest or {}).get("study") or {}
    target, bench = study.get("target") or "target", study.get("benchmark")
    hedged = backtest is not None and M.HEDGE in backtest.columns and \
        bool(backtest[M.HEDGE].astype(bool).any())
    if hedged:
        s = _spread_index(prices)
        if s is not None:
            s = s.reindex(equity.index).ffill()
            return s / s.dropna().iloc[0], f"always on: {target} − {bench} (no costs)"
    col = f"buy-and-hold|{target}"
    if col in equity.columns:
        return equity[col].astype(float), f"buy-and-hold {target}"
    bh = [c for c in equity.columns if str(c).startswith("buy-and-hold|")]
    return (equity[bh[0]].astype(float), str(bh[0]).replace("|", " ")) if bh else (None, "")


def equity_figure(equity: pd.DataFrame, backtest: pd.DataFrame | None = None,
                  metrics: pd.DataFrame | None = None, prices: pd.DataFrame | None = None,
                  manifest: Mapping | None = None) -> Figure:
    """Equity (log) and drawdown of each signal's best variant against the matching
    benchmark (hedged vs hedged)."""
    if equity is None or equity.empty:
        return _message("no equity curves in this run")
    cols = equity_columns(equity, backtest, metrics, manifest)[:MAX_PANELS]
    bench, label = matching_benchmark(equity, backtest, prices, manifest)
    fig = _figure(figsize=(8.5, 6.8), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[2.2, 1])
    plot_equity(equity, cols, bench, ax=top, benchmark_label=label)
    plot_drawdown(equity, cols, bench, ax=bottom, benchmark_label=label)
    top.set_title("equity of each signal's best variant (log); dashed: " + (label or
                  "buy-and-hold"), fontsize=9)
    bottom.set_title("drawdown from the running peak (grey: the benchmark)", fontsize=8)
    h, lab = top.get_legend_handles_labels()
    fig.legend(h, lab, fontsize=6.5, loc="outside lower center", ncol=3, frameon=False)
    return fig


def distribution_figure(events: pd.DataFrame | None, chosen: Sequence[tuple[str, str]],
                        horizon: str | None, prices: pd.DataFrame | None,
                        relative: bool) -> Figure:
    """Forward-return distributions at ``horizon``: after events vs after every day."""
    if events is None or events.empty or not chosen or horizon is None:
        return _message("no events in this run")
    ev = events[events["horizon"] == horizon]
    days = int(ev["horizon_days"].iloc[0]) if len(ev) else 0
    base = forward_changes(prices, days, relative)
    chosen = list(chosen)[:MAX_PANELS]
    fig, axes = _grid(len(chosen))
    for ax, (signal, variant) in zip(axes, chosen, strict=True):
        e = ev[(ev["signal"] == signal) & (ev["variant"] == variant)]
        plot_distribution(e["fwd_return"].to_numpy(), base, ax=ax, title=signal)
    fig.suptitle(f"{horizon} forward returns: after events (bars) vs every day (line); "
                 "densities", fontsize=9)
    return fig


def forward_changes(prices: pd.DataFrame | None, days: int, relative: bool) -> np.ndarray | None:
    """Every ``days``-day change of prices.parquet's target (minus the benchmark's when
    ``relative``): the unconditional distribution a signal's returns are drawn against."""
    if prices is None or "target" not in prices.columns or days < 1:
        return None
    p = prices["target"].astype(float).to_numpy()
    r = p[days:] / p[:-days] - 1.0
    if relative and "benchmark" in prices.columns:
        b = prices["benchmark"].astype(float).to_numpy()
        r = r - (b[days:] / b[:-days] - 1.0)
    return r


def rolling_hit_figure(events: pd.DataFrame | None, best: pd.DataFrame,
                       horizon: str | None) -> Figure:
    """Rolling hit rate (last 20 events) of each signal's best variant vs its base rate."""
    if events is None or events.empty or best.empty or horizon is None:
        return _message("no events in this run")
    rows = best[best["horizon"] == horizon].head(MAX_PANELS)
    if rows.empty:
        return _message("no events in this run")
    fig, axes = _grid(len(rows), cell=(3.0, 2.0))
    for ax, row in zip(axes, rows.to_dict("records"), strict=True):
        e = events[(events["signal"] == row["signal"]) & (events["variant"] == row["variant"])
                   & (events["horizon"] == horizon)]
        plot_rolling_hit_rate(e, T.num(row.get(M.BASE_RATE)), ax=ax, title=str(row["signal"]))
    fig.suptitle(f"rolling hit rate at {horizon}: share of the last 20 events followed by a "
                 "positive return (dashed: base rate)", fontsize=9)
    return fig
