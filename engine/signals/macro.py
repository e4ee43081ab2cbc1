"""Macro families: growth, activity versus trend, inflation cooling and jobless claims.

Every statistic is computed on the release's native observations (quarterly GDP, monthly
CFNAI/PCE, weekly claims) and each value becomes visible only on its availability date,
period end + the catalog's publication lag (GDP 30 days after the quarter, core PCE 30 days
after the month, CFNAI 25, claims 5 days after the week), as published in the current vintage.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.signals.base import (
    REQUIRED,
    Param,
    compare,
    family,
    less_than,
    native_stat,
    on_off,
    per_group,
)

TRANSFORMS = ("level", "pct_change", "diff")


def pct_growth(s: pd.Series, periods: int) -> pd.Series:
    """Percent change over ``periods`` observations (4 on quarterly data = year on year)."""
    return (s / s.shift(periods) - 1.0) * 100.0


@family(
    "macro.growth",
    params=(Param("series", "series", "fred.GDPC1", help="level series, e.g. real GDP"),
            Param("periods", "int", 4, min=1, max=120, help="observations back (4 = yoy)"),
            Param("above", "float", help="growth in percent, 2.0 = 2%")),
)
def growth(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """Growth: 100 * (x_n / x_{n-periods} - 1) >= `above` on the native observations.

    Data: `series` (default fred.GDPC1, real GDP, quarterly; periods = 4 is year on year).
    Lag: period end + catalog lag (GDP: 30 days after the quarter).
    """
    g = per_group(grid, ("series", "periods"), lambda series, periods: native_stat(
        panel, series, lambda s: pct_growth(s, periods)))
    return compare(g, ">=", grid["above"])


def _transform(s: pd.Series, how: str) -> pd.Series:
    if how == "pct_change":
        return (s / s.shift(1) - 1.0) * 100.0
    if how == "diff":
        return s.diff()
    return s


def trend_gap(s: pd.Series, trend: int, how: str) -> pd.Series:
    """Transformed value minus the mean of the previous ``trend`` transformed values."""
    v = _transform(s, how)
    return v - v.shift(1).rolling(trend, min_periods=trend).mean()


@family(
    "macro.above_trend",
    params=(Param("series", "series", REQUIRED, help="e.g. fred.CFNAI or fred.INDPRO"),
            Param("trend", "int", REQUIRED, min=1, max=240,
                  help="observations in the trailing mean (12 = a year of months)"),
            Param("above", "float", 0.0, help="gap in the transformed series' units"),
            Param("transform", "str", "level", choices=TRANSFORMS,
                  help="level, pct_change (percent per observation) or diff")),
)
def above_trend(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """Activity above trend: v_n - mean(v_{n-trend} .. v_{n-1}) > `above`.

    v is the native series transformed (level; pct_change = 100 * (x_n / x_{n-1} - 1);
    diff = x_n - x_{n-1}); the trailing mean excludes the newest value so a release is
    compared with the trend it surprised. Data: `series`. Lag: period end + catalog lag
    (CFNAI 25 days, INDPRO 17 days after the month).
    """
    gap = per_group(grid, ("series", "trend", "transform"), lambda series, trend, transform:
                    native_stat(panel, series, lambda s: trend_gap(s, trend, transform)))
    return compare(gap, ">", grid["above"])


@family(
    "macro.inflation_cooling",
    params=(Param("series", "series", "fred.PCEPILFE", help="price index level"),
            Param("periods", "int", 12, min=1, max=120, help="observations for inflation "
                  "(12 months = year on year)"),
            Param("trend", "int", REQUIRED, min=1, max=120,
                  help="observations back to compare inflation with")),
)
def inflation_cooling(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """Inflation cooling: pi_n < pi_{n-trend}, pi_n = 100 * (P_n / P_{n-periods} - 1).

    Computed on the native monthly index. Data: `series` (default fred.PCEPILFE, core PCE
    prices). Lag: month end + catalog lag (30 days for PCE).
    """
    def falling(s: pd.Series, periods: int, trend: int) -> pd.Series:
        pi = pct_growth(s, periods)
        return pi - pi.shift(trend)

    chg = per_group(grid, ("series", "periods", "trend"), lambda series, periods, trend:
                    native_stat(panel, series, lambda s: falling(s, periods, trend)))
    return compare(chg, "<", np.zeros(chg.shape[1]))


@family(
    "macro.claims_falling",
    params=(Param("series", "series", "fred.ICSA", help="weekly initial claims"),
            Param("weeks", "int", 4, min=1, max=104, help="short average (weeks)"),
            Param("trend", "int", REQUIRED, min=2, max=260, help="long average (weeks)")),
    check=less_than("weeks", "trend"),
)
def claims_falling(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """Jobless claims falling: mean of the last `weeks` releases < mean of the last `trend`.

    Both averages end at the newest weekly observation. Data: `series` (default fred.ICSA).
    Lag: week end + catalog lag (5 days for claims).
    """
    def mean(series: str, n: int) -> np.ndarray:
        return native_stat(panel, series, lambda s: s.rolling(n, min_periods=n).mean())

    short = per_group(grid, ("series", "weeks"), lambda series, weeks: mean(series, weeks))
    long = per_group(grid, ("series", "trend"), lambda series, trend: mean(series, trend))
    with np.errstate(invalid="ignore"):
        return on_off(short < long, ~(np.isnan(short) | np.isnan(long)))
