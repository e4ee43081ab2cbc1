"""Flow families: unusually large fund flows versus their own recent history."""

from __future__ import annotations

import numpy as np

from engine.lazy import pandas as pd
from engine.signals.base import REQUIRED, Param, family
from engine.signals.helpers import compare, native_stat, per_group


def flow_zscore(s: pd.Series, window: int) -> pd.Series:
    """(x_n - mean) / std of the previous ``window`` observations (ddof 1; NaN if std is 0)."""
    prior = s.shift(1).rolling(window, min_periods=window)
    std = prior.std()
    return (s - prior.mean()) / std.where(std > 0)


@family(
    "flows.zscore",
    params=(Param("series", "series", "ici.flows_weekly:domestic_equity",
                  help="flow series, e.g. ici.flows_weekly:total_equity"),
            Param("window", "int", REQUIRED, min=3, max=520,
                  help="observations in the trailing baseline"),
            Param("above", "float", help="z-score threshold, 1.0 = one standard deviation")),
)
def zscore(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """Flow surge: z_n = (x_n - mean(x_{n-window} .. x_{n-1})) / std(same) >= `above`.

    Computed on native observations (weekly or monthly ICI flows); the baseline excludes the
    newest value. Data: `series`. Lag: period end + catalog lag (ICI weekly 7 days, monthly 30).
    """
    z = per_group(grid, ("series", "window"), lambda series, window: native_stat(
        panel, series, lambda s: flow_zscore(s, window)))
    return compare(z, ">=", grid["above"])
