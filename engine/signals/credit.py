"""Credit families: high-yield and investment-grade spreads tightening or historically low.

Spreads are FRED daily option-adjusted spreads (lag 1 day) read as the last value published by
each trading day. Percentiles are expanding (each day ranks today's spread among the spreads
published up to today), never full-sample, so they use no future data.
"""

from __future__ import annotations

import numpy as np

from engine.signals.base import REQUIRED, Param, family
from engine.signals.helpers import (
    compare,
    daily_change,
    expanding_percentile,
    native_stat,
    per_group,
)


@family(
    "credit.spread_change",
    params=(Param("series", "series", "fred.BAMLH0A0HYM2", help="spread in percent"),
            Param("lookback", "int", REQUIRED, min=1, max=2520, help="trading days back"),
            Param("below", "float", help="change in percentage points, -0.5 = -50 bp")),
    quantity="{lookback}-day spread change, pp",
)
def spread_change(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """Spread tightened: s_t - s_{t-lookback} <= `below` (percentage points, trading days).

    s is the last spread published by each trading day. Data: `series` (default
    fred.BAMLH0A0HYM2, ICE BofA US high yield OAS). Lag: the catalog lag (1 day).
    """
    return compare(_changes(panel, grid), "<=", grid["below"])


def _changes(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """(T, K) spread change over each variant's lookback, once per unique (series, lookback)."""
    return per_group(grid, ("series", "lookback"),
                     lambda series, lookback: daily_change(panel, series, lookback))


@family(
    "credit.spread_percentile",
    params=(Param("series", "series", "fred.BAMLH0A0HYM2", help="spread in percent"),
            Param("below", "float", min=0.0, max=1.0, help="percentile, 0.25 = bottom quarter"),
            Param("min_history", "int", 252, min=1, max=100_000,
                  help="observations needed before a percentile is given")),
)
def spread_percentile(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """Spread low versus its own past: expanding percentile rank of today's spread <= `below`.

    rank = #(past and present spreads <= today's, ties averaged) / #(spreads so far),
    computed on the native daily observations; NaN before `min_history` observations.
    Data: `series`. Lag: the catalog lag (1 day for FRED OAS).
    """
    pct = per_group(grid, ("series", "min_history"), lambda series, min_history: native_stat(
        panel, series, lambda s: expanding_percentile(s, min_history)))
    return compare(pct, "<=", grid["below"])


@family(
    "credit.tightening",
    params=(Param("series", "series", "fred.BAMLH0A0HYM2", help="spread in percent"),
            Param("lookback", "int", REQUIRED, min=1, max=2520, help="trading days back")),
    numeric=True,
)
def tightening(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """How much the spread tightened, a numeric signal: s_{t-lookback} - s_t (pp).

    Positive when spreads fell ("on" = tighter than `lookback` days ago); the value itself is
    ranked against forward returns (IC). s is the last spread published by each trading day.
    Data: `series`. Lag: the catalog lag (1 day for FRED daily spreads).
    """
    return -_changes(panel, grid)
