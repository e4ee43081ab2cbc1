"""Breadth families: how many of the 11 Select Sector SPDR ETFs take part in a move.

Each sector's condition is computed on its own trading history (so XLC, from 2018, and XLRE,
from 2015, join when they start) and aligned point-in-time (lag 0: a close counts from its own
day). The share counts only sectors with a close that day and enough history for the
condition; fewer than 5 such sectors gives NaN (no breadth reading).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from engine.errors import DataError
from engine.lazy import pandas as pd
from engine.signals.base import REQUIRED, SECTORS, Param, family, less_than, sector_refs
from engine.signals.helpers import compare, native_stat, on_off, per_group, shift

MIN_SECTORS = 5
SHARE = dict(kind="float", default=REQUIRED, min=0.0, max=1.0)


def sector_share(panel, condition: Callable[[pd.Series], pd.Series]) -> np.ndarray:
    """(T,) share of sectors whose native-frequency ``condition`` (1/0/NaN) holds each day."""
    present = [ref for ref in SECTORS if ref.partition(":")[0] in panel.frames]
    if not present:
        raise DataError("no sector ETF is loaded", where="breadth",
                        fix="build the sector.* datasets: study data build")
    flags = np.column_stack([native_stat(panel, ref, condition) for ref in present])
    traded = np.column_stack([~np.isnan(panel.close(ref)) for ref in present])
    known = traded & ~np.isnan(flags)
    count = known.sum(axis=1)
    hits = (np.where(known, flags, 0.0) == 1.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = hits / count
    return np.where(count >= MIN_SECTORS, share, np.nan)


def _flag(cond: pd.Series, valid: pd.Series) -> pd.Series:
    return cond.astype(np.float64).where(valid)


def above_ma_share(panel, window: int) -> np.ndarray:
    """Share of sectors closing above their own ``window``-day moving average."""
    def cond(s: pd.Series) -> pd.Series:
        ma = s.rolling(window, min_periods=window).mean()
        return _flag(s > ma, ma.notna())

    return sector_share(panel, cond)


@family(
    "breadth.sectors_above_ma",
    params=(Param("window", "int", min=2, max=1000, help="moving-average length (days)"),
            Param("above", **SHARE, help="minimum share of sectors, 0.6 = 60%")),
    data=sector_refs,
    quantity="share of sectors above {window}-day avg",
)
def sectors_above_ma(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """Share of the 11 sector ETFs closing above their own `window`-day average >= `above`.

    share = #(close > MA(window)) / #(sectors with a close today and `window` days of
    history); NaN when fewer than 5 sectors qualify. Data: sector.XLB .. sector.XLY. Lag: 0.
    """
    share = per_group(grid, ("window",), lambda window: above_ma_share(panel, window))
    return compare(share, ">=", grid["above"])


@family(
    "breadth.sectors_thrust",
    params=(Param("window", "int", min=2, max=1000, help="moving-average length (days)"),
            Param("low", **SHARE, help="washed-out share the thrust starts below"),
            Param("high", **SHARE, help="share the thrust must exceed"),
            Param("days", "int", min=1, max=252, help="days the rise may take")),
    data=sector_refs,
    check=less_than("low", "high"),
)
def sectors_thrust(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """Breadth thrust: share above MA jumps from below `low` to above `high` within `days`.

    On the day s_t > high while s_{t-1} <= high and min(s_{t-days} .. s_{t-1}) < low, where
    s is the share of sectors above their `window`-day average (see sectors_above_ma). The
    signal is a one-day event. NaN when any share in the window is unknown. Data: the 11
    sector ETFs. Lag: 0.
    """
    cache: dict[int, np.ndarray] = {}

    def share_of(window: int) -> np.ndarray:
        if window not in cache:
            cache[window] = above_ma_share(panel, window)
        return cache[window]

    share = per_group(grid, ("window",), share_of)
    prior_min = per_group(grid, ("window", "days"), lambda window, days: pd.Series(
        share_of(window)).shift(1).rolling(days, min_periods=days).min().to_numpy())
    return rising_thrust(share, prior_min, grid["low"].astype(np.float64),
                         grid["high"].astype(np.float64))


@family(
    "breadth.sectors_advancing",
    params=(Param("days", "int", min=1, max=1000, help="days back to compare (21 = a month)"),
            Param("above", **SHARE, help="minimum share of sectors, 0.7 = 70%")),
    data=sector_refs,
)
def sectors_advancing(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """Share of sector ETFs whose close is above their close `days` trading days ago >= `above`.

    Each sector compares with its own close `days` observations earlier; the share counts
    sectors with a close today and that much history (NaN under 5). Data: the 11 sector
    ETFs. Lag: 0.
    """
    def share_of(days: int) -> np.ndarray:
        def cond(s: pd.Series) -> pd.Series:
            past = s.shift(days)
            return _flag(s > past, past.notna())

        return sector_share(panel, cond)

    share = per_group(grid, ("days",), share_of)
    return compare(share, ">=", grid["above"])


# ----------------------------------------------------------------------------- index members
# Breadth over index constituents (dataset breadth.sp500: membership-masked S&P 500 members
# of each date, from their own prices) or over a pre-computed breadth series
# (breadth.bamhi, breadth.shoppa). Every column is a daily reading with lag 0.
MEMBERS = "breadth.sp500"


def _daily(panel, grid: dict[str, np.ndarray], key: str = "series") -> np.ndarray:
    return per_group(grid, (key,), lambda **g: panel.daily(g[key]))


@family(
    "breadth.members_above",
    params=(Param("series", "series", f"{MEMBERS}:above_ma200",
                  help="a share column: above_ma50, above_ma200, adv_5d, net_new_highs, ..."),
            Param("above", "float", REQUIRED, min=-1.0, max=1.0,
                  help="minimum share, 0.6 = 60% of members")),
)
def members_above(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """Share of index members with a condition >= `above` (members of that date only).

    Data: `series`, default breadth.sp500:above_ma200 = #(members with close > their
    200-day mean) / #(members with a price and 200 days of history). Other columns:
    above_ma50, adv_1d/5d/21d/63d (share up over N days), net_new_highs (share at a 252-day
    high minus share at a low); pre-computed: breadth.bamhi:above_ma200 (today's members),
    breadth.shoppa:sp600_pct_above_200d (S&P 600 small caps). Lag: 0.
    """
    return compare(_daily(panel, grid), ">=", grid["above"])


def rising_thrust(share: np.ndarray, prior_min: np.ndarray, low: np.ndarray,
                  high: np.ndarray) -> np.ndarray:
    """One-day event: s_t > high, s_{t-1} <= high and the prior window's minimum < low."""
    prev = shift(share, 1)
    valid = ~(np.isnan(share) | np.isnan(prev) | np.isnan(prior_min))
    with np.errstate(invalid="ignore"):
        cond = (share > high) & (prev <= high) & (prior_min < low)
    return on_off(cond, valid)


@family(
    "breadth.members_thrust",
    params=(Param("series", "series", f"{MEMBERS}:zweig_ema",
                  help="a share, default the 10-day EMA of advancers/(advancers+decliners)"),
            Param("low", "float", 0.40, min=0.0, max=1.0, help="washed-out level"),
            Param("high", "float", 0.615, min=0.0, max=1.0, help="thrust level"),
            Param("days", "int", 10, min=1, max=252, help="days the rise may take")),
    check=less_than("low", "high"),
)
def members_thrust(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """Zweig-style breadth thrust: the share crosses above `high` within `days` of < `low`.

    Default: the 10-day EMA of advancers / (advancers + decliners) among S&P 500 members
    rising from below 0.40 to above 0.615 within 10 days. A one-day event.
    Data: `series` (default breadth.sp500:zweig_ema). Lag: 0.
    """
    share = _daily(panel, grid)
    prior_min = per_group(grid, ("series", "days"), lambda series, days: pd.Series(
        panel.daily(series)).shift(1).rolling(days, min_periods=days).min().to_numpy())
    return rising_thrust(share, prior_min, grid["low"].astype(np.float64),
                         grid["high"].astype(np.float64))


@family(
    "breadth.ad_line_rising",
    params=(Param("series", "series", f"{MEMBERS}:ad_line", help="a cumulative A/D line"),
            Param("days", "int", REQUIRED, min=1, max=1000, help="trading days back")),
)
def ad_line_rising(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """Advance/decline line higher than `days` trading days ago: AD_t > AD_{t-days}.

    AD = running sum of (advancers - decliners) among index members. Data: `series`
    (default breadth.sp500:ad_line; breadth.shoppa:sp600_ad_cum for S&P 600 small caps).
    Lag: 0.
    """
    ad = _daily(panel, grid)
    past = per_group(grid, ("series", "days"),
                     lambda series, days: shift(panel.daily(series), days))
    with np.errstate(invalid="ignore"):
        return on_off(ad > past, ~(np.isnan(ad) | np.isnan(past)))
