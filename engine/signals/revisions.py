"""Revision families: earnings (or any series) momentum on native monthly observations.

No public point-in-time analyst-revision history is available offline, so the earnings proxy
is Shiller's trailing S&P 500 earnings, published with a 90-day lag in the catalog (the file
interpolates quarterly reports to months); the data end in 2023-06, after which the signal is
frozen at its last published value.
"""

from __future__ import annotations

import numpy as np

from engine.signals.base import REQUIRED, Param, compare, family, native_stat, per_group
from engine.signals.macro import pct_growth


def momentum(panel, grid: dict[str, np.ndarray], periods_key: str) -> np.ndarray:
    g = per_group(grid, ("series", periods_key), lambda series, **kw: native_stat(
        panel, series, lambda s: pct_growth(s, kw[periods_key])))
    return compare(g, ">", grid["above"])


@family(
    "revisions.earnings_momentum",
    params=(Param("series", "series", "shiller.sp500:earnings", help="trailing earnings"),
            Param("months", "int", REQUIRED, min=1, max=120, help="months back"),
            Param("above", "float", 0.0, help="change in percent, 0 = rising")),
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
