"""Find every rally in a price history by the study's rule, with its trough and outcome.

Input contract: ``dates`` (T,), ``close`` (T,) target closes and optionally ``bench`` (T,)
benchmark closes on the same days (NaN where a series did not trade; the last close is
carried forward, which uses only the past). The *rally series* is the target, or the target
over the benchmark for a relative rule.

* met on day t: ``r_t / min(r_{t-low_window+1..t}) - 1 >= gain`` and that minimum is at most
  ``within`` days old (a full trailing window is required);
* start: the first met day of a spell, kept only ``min_gap`` days or more after the last kept
  start (``engine.signals.combine.cooldown``); trough: the day of that minimum;
* outcomes are forward of the start and entered at the next close, like every engine return:
  ``ret_h = close[t+1+h] / close[t+1] - 1`` for the target, the benchmark and their difference;
  the rally-series path from the entry gives the drawdown from its running peak
  (``max_drawdown`` over the longest horizon, ``giveback`` inside the sustained horizon) and the
  days to its peak;
* outcome: "failed" once the giveback exceeds ``max_giveback`` (knowable as soon as it happens),
  else "pending" until the sustained horizon has passed, then "sustained" if the rally series is
  up more than ``min_return`` at the horizon, else "failed".
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from engine import metrics as M
from engine.evaluate.core import forward_returns
from engine.signals.combine import cooldown
from engine.study.rally_rules import RallyRule
from engine.study.spec import Horizon

OUTCOMES = ("sustained", "failed", "pending")


def rally_series(close: np.ndarray, bench: np.ndarray | None, rule: RallyRule) -> np.ndarray:
    """Target (or target / benchmark) with the last close carried forward over gaps."""
    c = pd.Series(np.asarray(close, dtype=np.float64)).ffill().to_numpy()
    if rule.series == "relative":
        if bench is None:
            raise ValueError("a relative rally rule needs benchmark closes")
        b = pd.Series(np.asarray(bench, dtype=np.float64)).ffill().to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            return c / b
    return c


def rule_met(r: np.ndarray, rule: RallyRule) -> tuple[np.ndarray, np.ndarray]:
    """(met (T,) 1/0/NaN, trough position (T,) int, -1 where undefined)."""
    n, w = len(r), rule.low_window
    met = np.full(n, np.nan)
    trough = np.full(n, -1, dtype=np.int64)
    if n < w:
        return met, trough
    win = sliding_window_view(np.where(np.isfinite(r), r, np.inf), w)  # (n-w+1, w)
    arg = np.argmin(win, axis=1)
    low = win[np.arange(len(win)), arg]
    pos = np.arange(w - 1, n)
    tpos = pos - (w - 1) + arg
    ok = np.isfinite(low) & np.isfinite(r[pos]) & (low > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        cond = (r[pos] / low - 1.0 >= rule.gain) & (pos - tpos <= rule.within)
    met[pos] = np.where(ok, cond.astype(np.float64), np.nan)
    trough[pos] = np.where(ok, tpos, -1)
    return met, trough


def start_positions(met: np.ndarray, min_gap: int) -> np.ndarray:
    """Positions of rally starts: rising edges of ``met`` at least ``min_gap`` days apart."""
    kept = cooldown(met, min_gap)
    on = kept == 1.0
    return np.flatnonzero(on & ~np.r_[False, on[:-1]])


def paths_from(r: np.ndarray, entry: np.ndarray, days: int) -> np.ndarray:
    """(n, days + 1) rally-series value relative to the entry close; NaN past the data."""
    steps = np.arange(days + 1)
    idx = entry[:, None] + steps[None, :]
    inside = idx < len(r)
    vals = r[np.clip(idx, 0, len(r) - 1)]
    with np.errstate(invalid="ignore", divide="ignore"):
        out = vals / r[np.clip(entry, 0, len(r) - 1)][:, None]
    out[~inside | (entry[:, None] >= len(r))] = np.nan
    return out


def drawdown(path: np.ndarray) -> np.ndarray:
    """Largest fall below the running peak along each row (0 = never fell); NaN-safe."""
    peak = np.fmax.accumulate(np.where(np.isfinite(path), path, -np.inf), axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        dd = np.where(np.isfinite(path), 1.0 - path / peak, np.nan)
    out = np.full(path.shape[0], np.nan)
    have = np.isfinite(dd).any(axis=1)
    out[have] = np.nanmax(dd[have], axis=1)
    return out


def find_rallies(dates: pd.DatetimeIndex, close: np.ndarray, bench: np.ndarray | None,
                 rule: RallyRule, horizons: tuple[Horizon, ...],
                 window: np.ndarray | None = None) -> pd.DataFrame:
    """One row per rally start (inside ``window`` if given), with trough and outcomes."""
    dates = pd.DatetimeIndex(dates)
    r = rally_series(close, bench, rule)
    met, trough = rule_met(r, rule)
    if window is not None:
        met = np.where(np.asarray(window, dtype=bool), met, 0.0)
    starts = start_positions(met, rule.min_gap)
    return outcomes(dates, close, bench, r, starts, trough[starts], rule, horizons)


def outcomes(dates: pd.DatetimeIndex, close: np.ndarray, bench: np.ndarray | None,
             r: np.ndarray, starts: np.ndarray, troughs: np.ndarray, rule: RallyRule,
             horizons: tuple[Horizon, ...]) -> pd.DataFrame:
    """The outcome columns for rallies starting at ``starts`` (positions into ``dates``)."""
    n = len(dates)
    hz = np.array([h.days for h in horizons], dtype=np.int64)
    sus = rule.sustained.horizon.days
    longest = int(max(hz.max(initial=0), sus))
    entry = starts + 1
    frame = pd.DataFrame({
        "start": dates[starts], "trough": dates[troughs],
        "trough_to_start_days": starts - troughs,
        "gain_at_start": r[starts] / r[troughs] - 1.0,
        "entry": pd.DatetimeIndex([dates[e] if e < n else pd.NaT for e in entry]),
    })
    c = np.asarray(close, dtype=np.float64)
    fwd_t = forward_returns(c, hz)[starts]
    fwd_b = forward_returns(np.asarray(bench, dtype=np.float64), hz)[starts] \
        if bench is not None else None
    for j, h in enumerate(horizons):
        frame[f"ret_{h.label}"] = fwd_t[:, j]
        if fwd_b is not None:
            frame[f"bench_{h.label}"] = fwd_b[:, j]
            frame[f"excess_{h.label}"] = fwd_t[:, j] - fwd_b[:, j]
    path = paths_from(r, entry, longest)
    full = np.isfinite(path[:, -1]) if len(path) else np.zeros(0, dtype=bool)
    frame[M.MAX_DRAWDOWN] = drawdown(path)
    frame["max_drawdown_complete"] = full
    have = np.isfinite(path).any(axis=1) if len(path) else np.zeros(0, dtype=bool)
    peak_day = np.full(len(starts), -1, dtype=np.int64)
    peak_day[have] = np.nanargmax(path[have], axis=1)
    frame["days_to_peak"] = np.where(have, peak_day, -1)
    frame["peak_gain"] = np.where(have, np.nanmax(np.where(have[:, None], path, 0.0), axis=1)
                                  - 1.0, np.nan)
    within = path[:, : sus + 1]
    frame["giveback"] = drawdown(within)
    at_h = within[:, -1] - 1.0 if len(within) else np.zeros(0)
    frame[f"series_{rule.sustained.horizon.label}"] = at_h
    failed_early = frame["giveback"].to_numpy() > rule.sustained.max_giveback
    done = np.isfinite(at_h)
    outcome = np.where(failed_early, "failed",
                       np.where(~done, "pending",
                                np.where(at_h > rule.sustained.min_return, "sustained",
                                         "failed")))
    frame["outcome"] = pd.Categorical(outcome, categories=list(OUTCOMES))
    frame.insert(0, "rally", np.arange(1, len(starts) + 1))
    return frame


def independent(starts: np.ndarray, horizon: int) -> np.ndarray:
    """Boolean mask keeping rallies greedily at least ``horizon`` days apart (first kept), so
    their forward windows never overlap (the engine's ``n_independent`` rule)."""
    keep = np.zeros(len(starts), dtype=bool)
    last = None
    for i, s in enumerate(np.asarray(starts)):  # a few dozen rallies, not dates
        if last is None or s - last >= horizon:
            keep[i] = True
            last = s
    return keep
