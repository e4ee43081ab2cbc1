"""Valuation families: how stretched the market is versus its own history, point in time."""

from __future__ import annotations

import numpy as np

from engine.signals.base import Param, family
from engine.signals.helpers import compare, expanding_percentile, native_stat, per_group


@family(
    "valuation.cape_percentile",
    params=(Param("series", "series", "shiller.sp500:pe10", help="valuation ratio, monthly"),
            Param("below", "float", min=0.0, max=1.0, help="percentile, 0.8 = 80th"),
            Param("min_history", "int", 120, min=1, max=100_000,
                  help="observations needed before a percentile is given")),
    quantity="percentile of its history so far",
)
def cape_percentile(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """Valuation not stretched: expanding percentile rank of CAPE <= `below`.

    Rank of this month's CAPE among every CAPE published so far (ties averaged), never the
    full sample. Data: `series` (default shiller.sp500:pe10, from 1881). Lag: month end +
    catalog lag (90 days for Shiller). NaN before `min_history` months.
    """
    pct = per_group(grid, ("series", "min_history"), lambda series, min_history: native_stat(
        panel, series, lambda s: expanding_percentile(s, min_history)))
    return compare(pct, "<=", grid["below"])
