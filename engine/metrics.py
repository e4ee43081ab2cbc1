"""The metric registry: every column of ``metrics.parquet`` and ``backtest.parquet``, once.

Each metric has its name, dtype, title, formatter and a one-line definition here; the metrics
frame (column order and dtypes), the terminal table, the Markdown/HTML headers and the
report's definitions text are all read from this module. The metric names are string
literals in this module only (``tests/test_architecture.py`` greps for it): everything else
uses the constants below (``M.HIT_RATE``), so a renamed or new metric is one edit here.

Adding a metric: one ``Metric`` entry in ``METRICS`` (or ``BACKTEST``) with its constant, and
its computation (``engine/evaluate/core.py`` for the per-variant metrics, where the kernels'
outputs are named); add a ``Column`` to ``TABLE`` if it belongs in the ranked table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from engine.formats import ci, count, fin, fnum, num, pct, pts, qfmt, ret, spct

# --- key columns: which row (not metrics) ---------------------------------------------------
SIGNAL = "signal"
VARIANT = "variant"
PARAMS = "params"
HORIZON = "horizon"
HORIZON_DAYS = "horizon_days"
EPISODE = "episode"

# --- per-variant metrics (metrics.parquet) ----------------------------------------------------
N_DAYS = "n_days"
N_EVENTS = "n_events"
N_INDEPENDENT = "n_independent"
HIT_RATE_INDEPENDENT = "hit_rate_independent"
HIT_RATE = "hit_rate"
BASE_RATE = "base_rate"
EDGE_INDEPENDENT = "edge_independent"
EDGE = "edge"
MEAN_FWD = "mean_fwd"
MEDIAN_FWD = "median_fwd"
BASE_MEAN_FWD = "base_mean_fwd"
T_HAC = "t_hac"
P_HAC = "p_hac"
P_VALUE = "p_value"
Q_VALUE = "q_value"
CI_LOW = "ci_low"
CI_HIGH = "ci_high"
BOOT_LOW = "boot_low"
BOOT_HIGH = "boot_high"
MEAN_LOW = "mean_fwd_low"
MEAN_HIGH = "mean_fwd_high"
IC = "ic"
NOTE = "note"
FLAGS = "flags"

# --- [validation] tables (validation.parquet, walkforward.parquet) ---------------------------
IN_SAMPLE_PREFIX = "is_"  # in-sample (train) side of a validation row: is_<metric>
OUT_OF_SAMPLE_PREFIX = "oos_"  # out-of-sample (test) side: oos_<metric>
N_VARIANTS = "n_variants"
SPA_P = "spa_p"
FOLD = "fold"  # walk-forward fold number as text ("1", "2", ...), or POOLED
POOLED = "pooled"
TRAIN_START = "train_start"
TRAIN_END = "train_end"
TEST_START = "test_start"
TEST_END = "test_end"

# --- backtest metrics (backtest.parquet) ------------------------------------------------------
HEDGE = "hedge"
TOTAL_RETURN = "total_return"
ANNUAL_RETURN = "annual_return"
ANNUAL_VOL = "annual_vol"
SHARPE = "sharpe"
SORTINO = "sortino"
MAX_DRAWDOWN = "max_drawdown"
EXPOSURE = "exposure"
N_TRADES = "n_trades"
WIN_RATE = "win_rate"
DSR = "dsr"


@dataclass(frozen=True)
class Metric:
    """One column: its name, numpy dtype, display title, formatter and what it means."""

    name: str
    dtype: str
    title: str
    fmt: Callable[[object], str]
    definition: str
    per_run: bool = False  # computed across the whole run (after evaluate), e.g. q-values


KEYS: tuple[Metric, ...] = (
    Metric(SIGNAL, "object", "signal", str, "the signal's name in the study file"),
    Metric(VARIANT, "object", "variant", str, "one point of the signal's parameter grid"),
    Metric(PARAMS, "object", "params", str, "the variant's parameters as JSON"),
    Metric(HORIZON, "object", "horizon", str, "the forward window's label, e.g. 3m"),
    Metric(HORIZON_DAYS, "int64", "days ahead", count, "the forward window in trading days"),
    Metric(EPISODE, "object", "episode", str, "a named episode of the study, or all"),
)

METRICS: tuple[Metric, ...] = (
    Metric(N_DAYS, "int64", "days", count,
           "valid days: the signal has data and the forward window ends inside the data"),
    Metric(N_EVENTS, "int64", "events", count,
           "rising edges (events mode) or on days (state mode) among the valid days"),
    Metric(N_INDEPENDENT, "int64", "independent", count,
           "events kept at least h days apart (non-overlapping windows)"),
    Metric(HIT_RATE_INDEPENDENT, "float64", "hit rate", pct,
           "share of independent events followed by a positive forward return (the one the "
           "binomial test and q use)"),
    Metric(HIT_RATE, "float64", "hit rate (all events)", pct,
           "share of all events followed by a positive forward return"),
    Metric(BASE_RATE, "float64", "base rate", pct,
           "the same share over all days of the window"),
    Metric(EDGE_INDEPENDENT, "float64", "edge (pts)", pts,
           "independent-events hit rate − base rate in percentage points"),
    Metric(EDGE, "float64", "edge, all events (pts)", pts,
           "all-events hit rate − base rate in percentage points"),
    Metric(MEAN_FWD, "float64", "mean fwd", ret, "mean forward return after events"),
    Metric(MEDIAN_FWD, "float64", "median fwd", ret, "median forward return after events"),
    Metric(BASE_MEAN_FWD, "float64", "base mean fwd", ret,
           "mean forward return over all valid days"),
    Metric(T_HAC, "float64", "t (HAC)", fnum,
           "Newey-West t of the event indicator, h-1 lags for the overlapping windows"),
    Metric(P_HAC, "float64", "p (HAC)", qfmt, "two-sided p-value of t (HAC)"),
    Metric(P_VALUE, "float64", "p", qfmt,
           "binomial test of the independent events' hits against the base rate"),
    Metric(Q_VALUE, "float64", "q", qfmt,
           "Benjamini–Hochberg adjusted p-value", per_run=True),
    Metric(CI_LOW, "float64", "CI low", pct,
           "lower end of the exact (Clopper–Pearson) 95% interval of the independent hit rate"),
    Metric(CI_HIGH, "float64", "CI high", pct,
           "upper end of the exact (Clopper–Pearson) 95% interval of the independent hit rate"),
    Metric(BOOT_LOW, "float64", "bootstrap low", pct,
           "lower end of the 95% block-bootstrap interval of the all-events hit rate"),
    Metric(BOOT_HIGH, "float64", "bootstrap high", pct,
           "upper end of the 95% block-bootstrap interval of the all-events hit rate"),
    Metric(MEAN_LOW, "float64", "mean fwd low", ret,
           "lower end of the 95% block-bootstrap interval of mean fwd (all events)"),
    Metric(MEAN_HIGH, "float64", "mean fwd high", ret,
           "upper end of the 95% block-bootstrap interval of mean fwd (all events)"),
    Metric(IC, "float64", "IC", fnum,
           "Spearman correlation of a numeric signal's value with the forward return"),
    Metric(NOTE, "object", "note", str,
           "why t_hac/p_hac (or p and q of an episode) are empty, when they are"),
    Metric(FLAGS, "object", "flags", str,
           "rows whose comparison is meaningless or incomplete (base rate 0%/100%, windows "
           "past the data end)"),
)

BACKTEST: tuple[Metric, ...] = (
    Metric(SIGNAL, "object", "strategy", str, "the signal, or buy-and-hold"),
    Metric(VARIANT, "object", "variant", str, "the signal's variant"),
    Metric(TOTAL_RETURN, "float64", "total return", spct, "return over the whole window"),
    Metric(ANNUAL_RETURN, "float64", "annual return", spct, "compound annual return"),
    Metric(ANNUAL_VOL, "float64", "annual vol", pct, "annualised volatility of daily returns"),
    Metric(SHARPE, "float64", "Sharpe", fnum, "annualised Sharpe ratio"),
    Metric(SORTINO, "float64", "Sortino", fnum, "annualised Sortino ratio"),
    Metric(MAX_DRAWDOWN, "float64", "max drawdown", spct, "worst peak-to-trough loss"),
    Metric(EXPOSURE, "float64", "exposure", pct, "share of days invested"),
    Metric(N_TRADES, "int64", "trades", count, "number of round trips"),
    Metric(WIN_RATE, "float64", "win rate", pct, "share of trades with a gain"),
    Metric(DSR, "float64", "DSR", fnum,
           "deflated Sharpe ratio: probability the Sharpe is real given the variants tried"),
    Metric(HEDGE, "bool", "hedge", str, "long only, or long target / short benchmark"),
)

BY_NAME: dict[str, Metric] = {m.name: m for m in (*KEYS, *METRICS)}

#: metrics.parquet's columns, in order (the output contract in docs/architecture.md).
COLUMNS: tuple[str, ...] = tuple(m.name for m in (*KEYS, *METRICS))
#: the numeric columns ``engine.evaluate`` computes per variant x horizon x episode.
EVALUATED: tuple[str, ...] = tuple(m.name for m in METRICS
                                   if not m.per_run and m.dtype != "object")
COUNTS: tuple[str, ...] = tuple(m.name for m in METRICS if m.dtype == "int64")
NUMERIC: tuple[str, ...] = (HORIZON_DAYS, *(m.name for m in METRICS if m.dtype != "object"))
TEXT: tuple[str, ...] = tuple(m.name for m in METRICS if m.dtype == "object")
BACKTEST_COLUMNS: tuple[str, ...] = tuple(m.name for m in BACKTEST)
BACKTEST_NUMERIC: tuple[str, ...] = tuple(m.name for m in BACKTEST
                                           if m.dtype in ("int64", "float64"))


def title(name: str) -> str:
    return BY_NAME[name].title


def fmt(name: str, value) -> str:
    """``value`` of metric ``name`` as it reads in every report."""
    return BY_NAME[name].fmt(value)


# --- the ranked table: the cells every report shows next to a hit rate ----------------------

def tested_hit_rate(row: Mapping) -> float:
    """The hit rate the p-value tests: over independent events (all events in old runs)."""
    hit = num(row.get(HIT_RATE_INDEPENDENT))
    return hit if fin(hit) else num(row.get(HIT_RATE))


def tested_edge(row: Mapping) -> float:
    return tested_hit_rate(row) - num(row.get(BASE_RATE))


def mean_excess(row: Mapping) -> float:
    """Mean forward return after events minus the unconditional mean over the same dates."""
    return num(row.get(MEAN_FWD)) - num(row.get(BASE_MEAN_FWD))


@dataclass(frozen=True)
class Column:
    """A display column of the ranked table: header, short header (terminal), how its cell is
    made from a metrics row, and its definition (the report's legend)."""

    title: str
    short: str
    cell: Callable[[Mapping], str]
    definition: str
    terminal: bool = True
    only_if: str | None = None  # shown only when this metric has a value in some row


TABLE: tuple[Column, ...] = (
    Column("events (n/indep.)", "events",
           lambda r: f"{count(r.get(N_EVENTS))}/{count(r.get(N_INDEPENDENT))}",
           "all / independent (non-overlapping windows)"),
    Column("hit rate", "hit rate", lambda r: pct(tested_hit_rate(r)),
           "share of independent (non-overlapping) events followed by a positive forward "
           "return, the one the binomial test and q use"),
    Column("base rate", "base rate", lambda r: pct(r.get(BASE_RATE)),
           "the same share over all days of the window"),
    Column("edge (pts)", "edge (pts)", lambda r: pts(tested_edge(r)),
           "hit rate − base rate in percentage points"),
    Column("mean fwd", "mean fwd", lambda r: ret(r.get(MEAN_FWD)),
           "mean forward return after events", terminal=False),
    Column("mean excess", "mean excess", lambda r: ret(mean_excess(r)),
           "mean forward return after events minus the all-days mean"),
    Column("hit-rate 95% CI", "CI", lambda r: ci(r.get(CI_LOW), r.get(CI_HIGH)),
           "exact (Clopper–Pearson) 95% interval of the hit rate"),
    Column("q", "q-value", lambda r: qfmt(r.get(Q_VALUE)),
           "Benjamini–Hochberg adjusted p-value"),
    Column("IC", "IC", lambda r: fnum(r.get(IC)),
           "Spearman correlation of a numeric signal with the forward return", only_if=IC),
)


def table_columns(rows, terminal: bool = False,
                  columns: tuple[Column, ...] | None = None) -> list[Column]:
    """The ``columns`` (default ``TABLE``) shown for these rows (a frame or records):
    optional ones only when some row has a value."""
    def has(name: str) -> bool:
        if hasattr(rows, "columns"):
            return name in rows.columns and bool(rows[name].notna().any())
        return any(fin(r.get(name)) for r in rows)

    return [c for c in (columns or TABLE) if (not terminal or c.terminal)
            and (c.only_if is None or has(c.only_if))]


def legend(columns: list[Column] | None = None) -> str:
    """The definitions sentence under a ranked table: 'events = ...; hit rate = ...'."""
    text = "; ".join(f"{c.short} = {c.definition}" for c in (columns or TABLE))
    return text[:1].upper() + text[1:] + "."


# --- the terminal table: compact headers, between the row id and the long labels -----------

def ci_short(lo, hi) -> str:
    """'41.0%–63.2%' (no spaces: the terminal is narrow), or — without both ends."""
    return f"{pct(lo)}–{pct(hi)}" if fin(lo) and fin(hi) else "—"


TERMINAL: tuple[Column, ...] = (
    Column("n/indep", "n/indep", TABLE[0].cell, TABLE[0].definition),
    Column("hit", "hit", TABLE[1].cell, TABLE[1].definition),
    Column("base", "base", TABLE[2].cell, TABLE[2].definition),
    Column("edge", "edge", TABLE[3].cell, TABLE[3].definition),
    Column("95% CI", "95% CI", lambda r: ci_short(r.get(CI_LOW), r.get(CI_HIGH)),
           TABLE[6].definition),
    Column("q", "q", TABLE[7].cell, TABLE[7].definition),
    Column("excess", "excess", TABLE[5].cell, TABLE[5].definition),
    Column("IC", "IC", TABLE[8].cell, TABLE[8].definition, only_if=IC),
)
