"""Revision families: earnings (or any series) momentum on native monthly observations.

Forward (expected) earnings, dated at each report: the FactSet forward 12-month EPS implied by
its forward P/E (2017 .. 2026, ~bi-weekly) and the S&P DJI consensus by quarterly vintage
(2017Q3 ..). The older proxy is Shiller's trailing S&P 500 earnings (90-day lag; the file
interpolates quarterly reports to months; it ends 2023-06, ``shiller.ie`` runs to 2024-12).
"""

from __future__ import annotations

import numpy as np

from engine.lazy import pandas as pd
from engine.signals.base import REQUIRED, Param, family
from engine.signals.helpers import compare, native_stat, pct_growth, per_group


def momentum(panel, grid: dict[str, np.ndarray], periods_key: str) -> np.ndarray:
    g = per_group(grid, ("series", periods_key), lambda series, **kw: native_stat(
        panel, series, lambda s: pct_growth(s, kw[periods_key])))
    return compare(g, ">", grid["above"])


@family(
    "revisions.earnings_momentum",
    params=(Param("series", "series", "shiller.sp500:earnings", help="trailing earnings"),
            Param("months", "int", REQUIRED, min=1, max=120, help="months back"),
            Param("above", "float", 0.0, help="change in percent, 0 = rising")),
    quantity="{months}-month growth, %",
)
def earnings_momentum(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """Earnings rising: 100 * (E_m / E_{m-months} - 1) > `above` on monthly observations.

    Data: `series` (default shiller.sp500:earnings). Lag: month end + catalog lag (90 days
    for Shiller).
    """
    return momentum(panel, grid, "months")


@family(
    "revisions.series_momentum",
    params=(Param("series", "series", REQUIRED, help="any level series, e.g. your own"),
            Param("periods", "int", REQUIRED, min=1, max=520, help="observations back"),
            Param("above", "float", 0.0, help="change in percent, 0 = rising")),
)
def series_momentum(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """Series rising: 100 * (x_n / x_{n-periods} - 1) > `above` on native observations.

    For user series (e.g. imported estimate revisions). Data: `series`. Lag: period end +
    the series' catalog lag.
    """
    return momentum(panel, grid, "periods")


def change_over(s: pd.Series, days: int, max_gap: int) -> pd.Series:
    """100 * (x_d / x_p - 1), p = the last report on or before d - ``days`` calendar days;
    NaN when that report is more than ``max_gap`` days older than d - ``days``."""
    ns = s.index.as_unit("ns").asi8
    back = ns - pd.Timedelta(days=days).value
    pos = np.searchsorted(ns, back, side="right") - 1
    ok = pos >= 0
    prior = np.where(ok, s.to_numpy()[np.clip(pos, 0, None)], np.nan)
    age = back - ns[np.clip(pos, 0, None)]
    prior[~ok | (age > pd.Timedelta(days=max_gap).value)] = np.nan
    return pd.Series((s.to_numpy() / prior - 1.0) * 100.0, index=s.index)


@family(
    "revisions.forward_eps",
    params=(Param("series", "series", "earnings.fwd_eps:fwd_eps",
                  help="forward 12-month EPS, dated at each report"),
            Param("weeks", "int", REQUIRED, min=1, max=104, help="weeks back"),
            Param("above", "float", 0.0, help="revision in percent, 0 = revised up")),
)
def forward_eps(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """Forward-EPS revision momentum: 100 * (E_d / E_{d - weeks} - 1) > `above`.

    E_d is the forward 12-month EPS of the report dated d; E_{d - weeks} is the last report
    on or before that date, and no older than 45 days beyond it (reports have gaps).
    Data: `series` (default earnings.fwd_eps:fwd_eps = S&P 500 close / FactSet forward P/E;
    earnings.spdji:op_eps_4q for the S&P DJI consensus). Lag: 0 after the report.
    """
    g = per_group(grid, ("series", "weeks"), lambda series, weeks: native_stat(
        panel, series, lambda s: change_over(s, 7 * weeks, 45)))
    return compare(g, ">", grid["above"])
