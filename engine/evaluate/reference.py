"""The obviously-correct slow reference: one pandas pass per variant and horizon.

This is what someone would write without the kernel: shift the closes to get the forward
return, mark the events, keep the days where both exist, ``groupby`` event/non-event. It is
deliberately a Python loop over variants (that is the point of the comparison) and doubles as
an independent check of the kernel's numbers.

Semantics (the kernel's contract):
* entry at the next bar's close: ``fwd[t, h] = close[t+1+h] / close[t+1] - 1``;
* valid days: the signal has data (not NaN) and the forward window ends inside the data;
* events: rising edges (on today, off yesterday) in ``events`` mode, every on day in ``state``;
* hit rate = share of events with ``fwd > 0``; base rate = the same over all valid days;
  ``base_mean_fwd`` = mean forward return over all valid days.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine import metrics as M

METRICS = (M.N_DAYS, M.N_EVENTS, M.HIT_RATE, M.BASE_RATE, M.EDGE, M.MEAN_FWD, M.MEDIAN_FWD,
           M.BASE_MEAN_FWD)


def _events(s: pd.Series, mode: str) -> pd.Series:
    on = s.eq(1.0)
    if mode == "state":
        return on
    return on & s.shift(1).eq(0.0)


def naive_metrics(close: np.ndarray, signals: np.ndarray, horizons, mode: str = "events",
                  mask: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """(K, H) arrays of :data:`METRICS` for one close series, restricted to ``mask`` days."""
    c = pd.Series(close)
    k = signals.shape[1]
    out = {m: np.full((k, len(horizons)), np.nan) for m in METRICS}
    in_window = pd.Series(True if mask is None else mask, index=c.index)
    for j in range(k):  # the slow part, on purpose
        s = pd.Series(signals[:, j])
        event = _events(s, mode)
        for i, h in enumerate(horizons):
            fwd = c.shift(-(1 + h)) / c.shift(-1) - 1.0
            valid = s.notna() & fwd.notna() & in_window
            df = pd.DataFrame({"fwd": fwd, "event": event, "up": fwd > 0})[valid]
            out[M.N_DAYS][j, i] = len(df)
            out[M.BASE_RATE][j, i] = df["up"].mean() if len(df) else np.nan
            out[M.BASE_MEAN_FWD][j, i] = df["fwd"].mean() if len(df) else np.nan
            by = df.groupby("event").agg(n=("fwd", "size"), mean=("fwd", "mean"),
                                         median=("fwd", "median"), hit=("up", "mean"))
            if True in by.index:
                row = by.loc[True]
                out[M.N_EVENTS][j, i] = row["n"]
                out[M.HIT_RATE][j, i] = row["hit"]
                out[M.MEAN_FWD][j, i] = row["mean"]
                out[M.MEDIAN_FWD][j, i] = row["median"]
            else:
                out[M.N_EVENTS][j, i] = 0
    out[M.EDGE] = out[M.HIT_RATE] - out[M.BASE_RATE]
    return out


def compare(ours: dict[str, np.ndarray], ref: dict[str, np.ndarray],
            rtol: float = 1e-9, atol: float = 1e-12) -> dict:
    """Max abs difference per metric between ours (K, H) and the reference; NaNs must agree."""
    diffs, ok = {}, True
    for m in METRICS:
        a, b = np.asarray(ours[m], dtype=np.float64), np.asarray(ref[m], dtype=np.float64)
        same_nan = bool(np.array_equal(np.isnan(a), np.isnan(b)))
        fin = ~np.isnan(a) & ~np.isnan(b)
        diff = float(np.max(np.abs(a[fin] - b[fin]))) if fin.any() else 0.0
        close = bool(np.allclose(a[fin], b[fin], rtol=rtol, atol=atol))
        diffs[m] = diff if same_nan else "NaN pattern differs"
        ok &= same_nan and close
    return {"ok": ok, "max_abs_diff": diffs}
