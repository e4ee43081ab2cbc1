"""Generic level families for any series, and the sentiment and risk-off families.

Every statistic is computed on the series' own observations (weekly AAII, daily GPR, ...)
and then aligned point in time by the panel (period end + the catalog's publication lag): a
survey is first visible on the day its publication lag allows, never earlier.
"""

from __future__ import annotations

import numpy as np

from engine.lazy import pandas as pd
from engine.signals.base import REQUIRED, Param, family
from engine.signals.helpers import compare, native_stat, per_group

SERIES = Param("series", "series", REQUIRED, help="any dataset id or id:column")


@family("level.above", params=(SERIES, Param("above", "float", help="level, series units")))
def above(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """Level above: x_t > `above`, x_t the latest published value of `series`.

    Data: `series` (any dataset). Lag: the series' catalog lag.
    """
    level = per_group(grid, ("series",), lambda series: panel.daily(series))
    return compare(level, ">", grid["above"])


@family("level.below", params=(SERIES, Param("below", "float", help="level, series units")))
def below(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """Level below: x_t < `below`, x_t the latest published value of `series`.

    Data: `series` (any dataset). Lag: the series' catalog lag.
    """
    level = per_group(grid, ("series",), lambda series: panel.daily(series))
    return compare(level, "<", grid["below"])


def rolling_percentile(s: pd.Series, window: int) -> pd.Series:
    """Share of the last `window` observations (current included) <= the current one, 0..1;
    NaN until `window` observations exist (pandas ``rolling(window).rank(pct=True)``)."""
    return s.rolling(window, min_periods=window).rank(pct=True, method="max")


@family(
    "level.percentile",
    params=(SERIES,
            Param("window", "int", 260, min=5, max=100_000,
                  help="trailing observations (the series' own frequency)"),
            Param("above", "float", 0.0, min=0.0, max=1.0, help="on when percentile >= above"),
            Param("below", "float", 1.0, min=0.0, max=1.0, help="on when percentile <= below")),
    check=lambda grid: ("set above or below, not both (the other at its default)"
                        if ((np.asarray(grid["above"]) > 0) & (np.asarray(grid["below"]) < 1)).any()
                        else None),
)
def percentile(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """Level percentile: p_t = share of the last `window` observations <= x_t (0..1); on
    when p_t >= `above` (high) or p_t <= `below` (low).

    Computed on the series' own observations, then seen from each one's publication date.
    Data: `series`. Lag: the series' catalog lag.
    """
    pct = per_group(grid, ("series", "window"), lambda series, window: native_stat(
        panel, series, lambda s: rolling_percentile(s, window)))
    high = compare(pct, ">=", grid["above"])
    low = compare(pct, "<=", grid["below"])
    use_low = np.asarray(grid["below"]) < 1.0
    return np.where(use_low[None, :], low, high)


@family(
    "sentiment.aaii_contrarian",
    params=(Param("series", "series", "sentiment.aaii:spread",
                  help="AAII bulls minus bears, percentage points"),
            Param("below", "float", -20.0, help="spread at or below this (pp) = fear")),
)
def aaii_contrarian(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """AAII contrarian: bulls% - bears% <= `below` (default -20 pp): retail fear, read as a
    contrarian buy. Data: sentiment.aaii:spread (weekly, dated on the Thursday release).
    Lag: catalog lag 0 days (visible from the release day's close).
    """
    level = per_group(grid, ("series",), lambda series: panel.daily(series))
    return compare(level, "<=", grid["below"])


@family(
    "sentiment.naaim_washout",
    params=(Param("series", "series", "sentiment.naaim", help="NAAIM exposure, percent"),
            Param("below", "float", 40.0, help="active managers' exposure at or below")),
)
def naaim_washout(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """NAAIM washout: active managers' equity exposure <= `below` (default 40 %): positioning
    washed out, read as a contrarian buy. Data: sentiment.naaim (weekly, Wednesday survey).
    Lag: catalog lag 1 day (published the day after the survey).
    """
    level = per_group(grid, ("series",), lambda series: panel.daily(series))
    return compare(level, "<=", grid["below"])


def fade_from_spike(s: pd.Series, lookback: int, window: int, spike: float,
                    fall: float) -> pd.Series:
    """1 where the peak of the last `lookback` observations was a spike (>= the `spike`
    quantile of the `window` observations before it) and x_t <= peak * (1 - fall)."""
    peak = s.rolling(lookback, min_periods=1).max()
    level = s.rolling(window, min_periods=window).quantile(spike).shift(lookback)
    on = (peak >= level) & (s <= peak * (1.0 - fall))
    return on.astype(np.float64).where(level.notna())


@family(
    "risk.fading",
    params=(Param("series", "series", "risk.gpr", help="a risk index: GPR, EPU, OFR FSI"),
            Param("lookback", "int", 20, min=2, max=500, help="observations to find the peak"),
            Param("window", "int", 750, min=20, max=100_000,
                  help="observations that define a spike"),
            Param("spike", "float", 0.95, min=0.5, max=1.0,
                  help="quantile of the window the peak must reach"),
            Param("fall", "float", 0.3, min=0.0, max=1.0, help="fall from the peak, fraction")),
)
def fading(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """Risk-off fading: the peak of the last `lookback` observations reached the `spike`
    quantile of the `window` observations before them, and x_t is at least `fall` below
    that peak (a scare that is passing). Works on any risk index: risk.gpr (Caldara-
    Iacoviello daily GPR), risk.epu (daily policy uncertainty), risk.ofr_fsi (stress).
    Data: `series`. Lag: the series' catalog lag (GPR 7 days, EPU 1, OFR FSI 3).
    """
    keys = ("series", "lookback", "window", "spike", "fall")
    return per_group(grid, keys, lambda series, lookback, window, spike, fall: native_stat(
        panel, series, lambda s: fade_from_spike(s, lookback, window, spike, fall)))
