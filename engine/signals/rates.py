"""Rates families: Treasury yield moves, the yield curve, and the Fed's easing cycle.

Daily series (FRED yields, lag 1 day) are read as the last value published by each trading
day; changes are over trading days of the target. The monthly fed funds rate is differenced
on its own monthly observations and each result is seen only once that month is published
(month end + lag).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.signals.base import (
    REQUIRED,
    Param,
    compare,
    family,
    native_stat,
    per_group,
    shift,
)

LOOKBACK = Param("lookback", "int", REQUIRED, min=1, max=2520, help="trading days back")


def daily_change(panel, series: str, lookback: int) -> np.ndarray:
    """Change of the published daily value over ``lookback`` trading days (NaN if unknown)."""
    x = panel.daily(series)
    return x - shift(x, lookback)


@family(
    "rates.yield_change",
    params=(Param("series", "series", "fred.DGS10", help="yield series in percent"),
            LOOKBACK,
            Param("below", "float", help="change in percentage points, -0.25 = -25 bp")),
)
def yield_change(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """Yield fell: y_t - y_{t-lookback} <= `below` (percentage points, trading days).

    y is the last value published by each trading day. Data: `series` (default
    fred.DGS10). Lag: the catalog lag (1 day for FRED daily yields).
    """
    chg = per_group(grid, ("series", "lookback"),
                    lambda series, lookback: daily_change(panel, series, lookback))
    return compare(chg, "<=", grid["below"])


@family(
    "rates.curve_level",
    params=(Param("series", "series", "fred.T10Y2Y", help="curve spread in percent"),
            Param("above", "float", 0.0, help="level in percentage points")),
)
def curve_level(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """Curve level: spread_t > `above` (percentage points; 0 = not inverted).

    Data: `series` (default fred.T10Y2Y, 10y minus 2y). Lag: the catalog lag (1 day).
    """
    level = per_group(grid, ("series",), lambda series: panel.daily(series))
    return compare(level, ">", grid["above"])


@family(
    "rates.curve_change",
    params=(Param("series", "series", "fred.T10Y2Y", help="curve spread in percent"),
            LOOKBACK,
            Param("above", "float", help="steepening in percentage points")),
)
def curve_change(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """Curve steepening: spread_t - spread_{t-lookback} >= `above` (pp, trading days).

    Data: `series` (default fred.T10Y2Y). Lag: the catalog lag (1 day).
    """
    chg = per_group(grid, ("series", "lookback"),
                    lambda series, lookback: daily_change(panel, series, lookback))
    return compare(chg, ">=", grid["above"])


@family(
    "rates.fed_easing",
    params=(Param("series", "series", "fred.FEDFUNDS", help="policy rate, monthly"),
            Param("months", "int", REQUIRED, min=1, max=120, help="months back"),
            Param("below", "float", help="change in percentage points, -0.25 = one cut")),
)
def fed_easing(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """Fed easing: r_m - r_{m-months} <= `below` on the monthly series (percentage points).

    Differenced on the native monthly observations, then each month's change is seen only
    from its publication (month end + catalog lag; 1 day for FEDFUNDS, a monthly average).
    Data: `series` (default fred.FEDFUNDS).
    """
    chg = per_group(grid, ("series", "months"), lambda series, months: native_stat(
        panel, series, lambda s: s - s.shift(months)))
    return compare(chg, "<=", grid["below"])


def first_cut_flags(s: pd.Series, months: int, rise: float, cut: float) -> pd.Series:
    """1.0 in the month of the first cut after a hiking cycle, 0.0 otherwise, NaN early on."""
    prior = s.shift(1)
    peak = prior.rolling(months, min_periods=months).max()  # max of the prior `months` obs
    start = s.shift(months)  # the value `months` observations ago
    hiked = (peak - start) >= rise
    at_peak = prior >= peak - cut  # no cut yet since the cycle's peak
    dropped = (prior - s) >= cut
    flags = (hiked & at_peak & dropped).astype(np.float64)
    return flags.where(peak.notna() & start.notna())


@family(
    "rates.fed_first_cut",
    params=(Param("series", "series", "fred.FEDFUNDS", help="policy rate, monthly"),
            Param("months", "int", 24, min=2, max=120,
                  help="months back in which the hiking cycle must lie"),
            Param("rise", "float", 0.25, min=0.0,
                  help="minimum rise (pp) over those months to count as a hiking cycle"),
            Param("cut", "float", 0.15, min=0.0,
                  help="minimum one-month fall (pp) to count as a cut (ignores noise)")),
)
def fed_first_cut(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """First cut after a hiking cycle, on the monthly rate r.

    Month m is the first cut when (1) the rate fell: r_{m-1} - r_m >= `cut`; (2) a hiking
    cycle came before: max(r_{m-months} .. r_{m-1}) - r_{m-months} >= `rise`; (3) no cut
    since the peak: r_{m-1} >= that max - `cut`. The flag is on from month m's publication
    until the next month is published (about one month), so its rising edge is the
    publication day. FEDFUNDS is a monthly *average*: a mid-month cut shows partly in that
    month, and `cut` = 0.15 pp ignores the effective rate's drift; with the defaults the
    flagged months since 1980 are 1984-09, 1989-06, 1995-07, 1998-10, 2001-01, 2007-08,
    2019-08 and 2024-09. Data: `series` (default fred.FEDFUNDS). Lag: month end + catalog
    lag (1 day).
    """
    flags = per_group(grid, ("series", "months", "rise", "cut"),
                      lambda series, months, rise, cut: native_stat(
                          panel, series, lambda s: first_cut_flags(s, months, rise, cut)))
    return compare(flags, ">", np.full(flags.shape[1], 0.5))
