"""Volatility families: calm VIX, and a VIX spike that is fading."""

from __future__ import annotations

import numpy as np

from engine.lazy import pandas as pd
from engine.signals.base import Param, family
from engine.signals.helpers import compare, on_off, per_group


@family(
    "volatility.vix_level",
    params=(Param("series", "series", "cboe.vix", help="volatility index, e.g. cboe.vix"),
            Param("below", "float", min=0.0, help="level, 20 = VIX under 20")),
)
def vix_level(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """Calm volatility: VIX_t < `below`, the last close published by each trading day.

    Data: `series` (default cboe.vix close). Lag: the catalog lag (0 for CBOE).
    """
    level = per_group(grid, ("series",), lambda series: panel.daily(series))
    return compare(level, "<", grid["below"])


@family(
    "volatility.vix_spike_fade",
    params=(Param("series", "series", "cboe.vix", help="volatility index"),
            Param("spike", "float", min=0.0, help="peak level that counts as a spike"),
            Param("days", "int", min=1, max=252, help="trading days the spike may lie back"),
            Param("fall", "float", min=0.0, max=1.0,
                  help="fraction below the peak, 0.25 = 25% off the peak")),
)
def vix_spike_fade(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """Spike fading: peak = max(VIX over the last `days` trading days, today included);
    on when peak >= `spike` and VIX_t <= (1 - `fall`) * peak.

    Data: `series` (default cboe.vix close). Lag: the catalog lag (0). NaN until `days`
    published values exist.
    """
    level = per_group(grid, ("series",), lambda series: panel.daily(series))
    peak = per_group(grid, ("series", "days"), lambda series, days: pd.Series(
        panel.daily(series)).rolling(days, min_periods=days).max().to_numpy())
    valid = ~(np.isnan(level) | np.isnan(peak))
    with np.errstate(invalid="ignore"):
        cond = (peak >= grid["spike"]) & (level <= (1.0 - grid["fall"]) * peak)
    return on_off(cond, valid)

