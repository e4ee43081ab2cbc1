"""Trend families: moving-average crossovers, N-day highs, distance from a moving average.

Every statistic is computed on the series' own observations (for a daily price: its trading
days) and then aligned point-in-time on the target's trading days, so a series with a
publication lag (e.g. a FRED daily series, 1 day) is seen only once published. Windows count
observations of the series; for daily prices that is trading days.
"""

from __future__ import annotations

import numpy as np

from engine.lazy import pandas as pd
from engine.signals.base import REQUIRED, Param, family, less_than
from engine.signals.helpers import compare, native_stat, per_group

SERIES = Param("series", "series", "@target", help="price series, e.g. @target or index.RUT")


def _window(name: str, lo: int = 2, help: str = "") -> Param:
    return Param(name, "int", REQUIRED, min=lo, max=5000, help=help)


def _ma(s: pd.Series, w: int) -> pd.Series:
    return s.rolling(w, min_periods=w).mean()


@family(
    "trend.ma_cross",
    params=(SERIES, _window("fast", help="fast moving-average length (days)"),
            _window("slow", help="slow moving-average length (days)")),
    check=less_than("fast", "slow"),
)
def ma_cross(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """Fast moving average above the slow one ('golden cross' state).

    on when mean(close, fast) > mean(close, slow) on the series' own trading days; the
    rising edge is the crossover day. Data: `series` (default the target). Lag: the series'
    catalog lag (0 for prices). NaN until `slow` observations exist.
    """
    from engine.signals.kernels import pairs_above  # numba: not imported with the registry

    n_k = len(grid["fast"])
    refs, ref_code = np.unique(np.asarray(grid["series"]), return_inverse=True)
    windows = np.concatenate([grid["fast"], grid["slow"]]).astype(np.int64)
    # each (series, window) average once, whether a fast or a slow leg uses it
    keys, inv = np.unique(np.tile(ref_code.ravel(), 2) * 10_000 + windows, return_inverse=True)
    means = np.column_stack([native_stat(panel, str(refs[key // 10_000]),
                                         lambda s, w=int(key % 10_000): _ma(s, w))
                             for key in keys])
    return pairs_above(means, inv.ravel()[:n_k], inv.ravel()[n_k:])


def _prior_high_gap(s: pd.Series, lookback: int) -> pd.Series:
    return s - s.shift(1).rolling(lookback, min_periods=lookback).max()


@family(
    "trend.breakout",
    params=(SERIES, _window("lookback", lo=1, help="days of prior closes (252 = 52 weeks)")),
)
def breakout(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """New N-day closing high: close > max of the prior `lookback` closes (today excluded).

    Data: `series` (default the target). Lag: the series' catalog lag. NaN until
    `lookback` + 1 observations exist.
    """
    gap = per_group(grid, ("series", "lookback"), lambda series, lookback: native_stat(
        panel, series, lambda s: _prior_high_gap(s, lookback)))
    return compare(gap, ">", np.zeros(gap.shape[1]))


@family(
    "trend.range_breakout",
    params=(SERIES, _window("lookback", lo=1,
                            help="days of the prior range (504 = 2 years, 756 = 3 years)")),
)
def range_breakout(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """Multi-year range breakout: close > highest close of the prior `lookback` days.

    Same formula as trend.breakout, meant for long lookbacks (2-3 years) where the series has
    been stuck in a range. Data: `series`. Lag: the series' catalog lag. NaN until
    `lookback` + 1 observations exist.
    """
    return breakout(panel, grid)


@family(
    "trend.above_ma",
    params=(SERIES, _window("window", help="moving-average length (days)")),
    quantity="close − {window}-day average",
)
def above_ma(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """Close above its own `window`-day simple moving average (today included in the mean).

    Data: `series` (default the target). Lag: the series' catalog lag. NaN until `window`
    observations exist.
    """
    gap = per_group(grid, ("series", "window"), lambda series, window: native_stat(
        panel, series, lambda s: s - _ma(s, window)))
    return compare(gap, ">", np.zeros(gap.shape[1]))


@family(
    "trend.near_high",
    params=(SERIES, _window("lookback", lo=1, help="days of closes (252 = 52 weeks)"),
            Param("within", "float", min=0.0, max=1.0,
                  help="fraction below the high, 0.05 = within 5%")),
    quantity="close / {lookback}-day high",
)
def near_high(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """Close within a fraction of its N-day high: close >= (1 - within) * max(last N closes).

    The max includes today. Data: `series` (default the target). Lag: the series' catalog
    lag. NaN until `lookback` observations exist.
    """
    ratio = per_group(grid, ("series", "lookback"), lambda series, lookback: native_stat(
        panel, series, lambda s: s / s.rolling(lookback, min_periods=lookback).max()))
    return compare(ratio, ">=", 1.0 - grid["within"])


@family(
    "trend.distance_from_ma",
    params=(SERIES, _window("window", help="moving-average length (days)")),
    numeric=True,
)
def distance_from_ma(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """Distance from the moving average, a numeric signal: close / mean(close, window) - 1.

    Positive above the average (so "on" = above it, and events are upward crossings); the
    value itself is ranked against forward returns (IC). Data: `series` (default the
    target). Lag: the series' catalog lag. NaN until `window` observations exist.
    """
    return per_group(grid, ("series", "window"), lambda series, window: native_stat(
        panel, series, lambda s: s / _ma(s, window) - 1.0))
