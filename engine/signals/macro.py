"""Macro families: growth, activity versus trend, inflation cooling and jobless claims.

Every statistic is computed on the release's native observations (quarterly GDP, monthly
CFNAI/PCE, weekly claims) and each value becomes visible only on its availability date,
period end + the catalog's publication lag (GDP 30 days after the quarter, core PCE 30 days
after the month, CFNAI 25, claims 5 days after the week), as published in the current vintage.
"""

from __future__ import annotations

import numpy as np

from engine.lazy import pandas as pd
from engine.signals.base import REQUIRED, Param, family, less_than
from engine.signals.helpers import compare, native_stat, on_off, pct_growth, per_group

TRANSFORMS = ("level", "pct_change", "diff")


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
    quantity="{transform} − mean of previous {trend}",
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
    quantity="{trend}-period change in {periods}-period inflation, pp",
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


# ----------------------------------------------------------------------------- real time
# First-release data (gdp.first, payrolls.first, ...) and GDPNow are dated by the day each
# value was published; a reading counts from that day (lag 0), never from its period.
@family(
    "macro.release_above",
    params=(Param("series", "series", "gdp.first:growth_saar",
                  help="a first-release column, e.g. payrolls.first:change"),
            Param("above", "float", REQUIRED, help="threshold in the column's units")),
)
def release_above(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """Latest release >= `above`, as first published (no later revisions).

    Data: `series`, default gdp.first:growth_saar (real GDP q/q SAAR % in the advance
    release's own vintage); payrolls.first:change (monthly job gain, thousands),
    unrate.first:value, cpi.first:pct_yoy, ip.first:pct_yoy. Lag: the real release date
    (Philadelphia vintages: end of the vintage month, a bound that is never early).
    """
    level = per_group(grid, ("series",), lambda series: panel.daily(series))
    return compare(level, ">=", grid["above"])


@family(
    "macro.gdpnow",
    params=(Param("series", "series", "gdpnow.us:nowcast",
                  help="nowcast (q/q SAAR %) or change_since_first (pp)"),
            Param("above", "float", REQUIRED, help="percent, 2.0 = 2% SAAR")),
)
def gdpnow(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """Atlanta Fed GDPNow latest nowcast >= `above` (from the day it was published).

    Data: gdpnow.us:nowcast; with `series = "gdpnow.us:change_since_first"` the signal is
    the nowcast's revision since the quarter's first nowcast (momentum within the quarter).
    Lag: 0 after the publication date.
    """
    level = per_group(grid, ("series",), lambda series: panel.daily(series))
    return compare(level, ">=", grid["above"])


@family(
    "macro.gdpnow_vs_trend",
    params=(Param("series", "series", "gdpnow.us:nowcast", help="the nowcast"),
            Param("trend", "series", "gdp.first:growth_saar",
                  help="first-release growth whose trailing mean is the trend"),
            Param("quarters", "int", 8, min=1, max=80, help="releases in the trend"),
            Param("above", "float", 0.0, help="gap in percentage points")),
)
def gdpnow_vs_trend(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """Nowcast above trend: nowcast_t - mean(last `quarters` first-release growth) > `above`.

    The trend averages the advance-release q/q SAAR growth of the last `quarters` quarters
    published by day t, so it is what a forecaster knew then. Data: `series` (default
    gdpnow.us:nowcast) and `trend` (default gdp.first:growth_saar). Lag: 0 after each
    publication date.
    """
    now = per_group(grid, ("series",), lambda series: panel.daily(series))
    trend = per_group(grid, ("trend", "quarters"), lambda trend, quarters: native_stat(
        panel, trend, lambda s: s.rolling(quarters, min_periods=quarters).mean()))
    return compare(now - trend, ">", grid["above"])
