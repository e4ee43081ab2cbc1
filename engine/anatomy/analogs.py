"""Nearest past analogs of a date: the k past dates whose driver state was closest.

Point in time, for a query day d:

* features are the study's ``[analogs] features``, each the last value published by each
  trading day (or its change/return over ``days``), read from the point-in-time panel;
* they are standardised with the mean and standard deviation of the days up to d only, and
  a feature without a value on d is dropped (and named) rather than imputed;
* candidates are past days whose whole forward window (``horizon``) ends by d, so what followed
  each analog was already known on d, and that have every kept feature;
* the nearest candidate is taken, then everything within ``horizon`` days of it is removed, and
  so on: one analog per non-overlapping window, at most k. Fewer than k is said, not padded.

The unconditional distribution is every candidate day's forward return over the same horizon.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from engine import metrics as M
from engine.evaluate.core import forward_returns
from engine.study.rally_rules import AnalogRule, Feature
from engine.study.spec import Horizon


def feature_matrix(panel, features: tuple[Feature, ...]) -> np.ndarray:
    """(T, P) point-in-time feature values on the panel's trading days."""
    cols = []
    for f in features:  # a handful of features
        if f.transform == "relative_return":
            c = pd.Series(panel.close("@target")).ffill().to_numpy()
            b = pd.Series(panel.close("@benchmark")).ffill().to_numpy()
            cols.append(_ret(c, f.days) - _ret(b, f.days))
            continue
        x = panel.daily(f.series)
        if f.transform == "level":
            cols.append(x)
        elif f.transform == "change":
            cols.append(x - _lag(x, f.days))
        else:
            cols.append(_ret(x, f.days))
    return np.column_stack(cols) if cols else np.empty((len(panel.index), 0))


def _lag(x: np.ndarray, n: int) -> np.ndarray:
    out = np.full_like(x, np.nan, dtype=np.float64)
    if n < len(x):
        out[n:] = x[: len(x) - n]
    return out


def _ret(x: np.ndarray, n: int) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return x / _lag(x, n) - 1.0


@dataclass
class Search:
    """Result of one analog search (positions into the panel's days)."""

    query: int
    positions: np.ndarray
    distances: np.ndarray
    used: list[str]
    dropped: list[str]
    n_candidates: int
    z_query: np.ndarray = field(default_factory=lambda: np.zeros(0))
    z_analogs: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    note: str = ""


def nearest(values: np.ndarray, query: int, k: int, horizon: int, distance: str = "euclidean",
            exclude_recent: int = 0, names: list[str] | None = None) -> Search:
    """The k nearest non-overlapping past days to ``query`` by standardised features."""
    x = np.asarray(values, dtype=np.float64)
    names = names or [f"f{i}" for i in range(x.shape[1])]
    past = x[: query + 1]
    with warnings.catch_warnings():  # an all-NaN feature has no mean: dropped below
        warnings.simplefilter("ignore", RuntimeWarning)
        mu = np.nanmean(past, axis=0) if len(past) else np.full(x.shape[1], np.nan)
        sd = np.nanstd(past, axis=0, ddof=1) if len(past) > 1 else np.full(x.shape[1], np.nan)
    usable = np.isfinite(x[query]) & np.isfinite(sd) & (sd > 0)
    used = [n for n, u in zip(names, usable, strict=True) if u]
    dropped = [n for n, u in zip(names, usable, strict=True) if not u]
    empty = Search(query, np.zeros(0, dtype=np.int64), np.zeros(0), used, dropped, 0)
    if not usable.any():
        empty.note = "no feature has a value on this date: no analogs"
        return empty
    z = (x[:, usable] - mu[usable]) / sd[usable]
    last = query - 1 - horizon - exclude_recent  # forward window of t ends by the query day
    cand = np.zeros(len(x), dtype=bool)
    if last >= 0:
        cand[: last + 1] = np.isfinite(z[: last + 1]).all(axis=1)
    diff = z - z[query]
    if distance == "manhattan":
        dist = np.abs(diff).sum(axis=1)
    else:
        dist = np.sqrt((diff * diff).sum(axis=1))
    dist = np.where(cand, dist, np.inf)
    picks: list[int] = []
    for _ in range(k):  # k picks; each removes a window of candidates
        i = int(np.argmin(dist))
        if not np.isfinite(dist[i]):
            break
        picks.append(i)
        dist[max(0, i - horizon + 1): i + horizon] = np.inf
    pos = np.array(picks, dtype=np.int64)
    full = np.sqrt((diff * diff).sum(axis=1)) if distance != "manhattan" \
        else np.abs(diff).sum(axis=1)
    note = ""
    if len(pos) < k:
        note = (f"only {len(pos)} independent analog(s) with complete data before this date "
                f"(k = {k} asked)")
    return Search(query, pos, full[pos], used, dropped, int(cand.sum()), z[query], z[pos], note)


def outcome_table(dates: pd.DatetimeIndex, close: np.ndarray, bench: np.ndarray | None,
                  positions: np.ndarray, horizons: tuple[Horizon, ...]) -> pd.DataFrame:
    """Forward return of the target (and excess over the benchmark) after each position."""
    hz = np.array([h.days for h in horizons], dtype=np.int64)
    fwd = forward_returns(close, hz)[positions]
    frame = pd.DataFrame({"date": pd.DatetimeIndex(dates)[positions]})
    bf = forward_returns(bench, hz)[positions] if bench is not None else None
    for j, h in enumerate(horizons):
        frame[f"ret_{h.label}"] = fwd[:, j]
        if bf is not None:
            frame[f"excess_{h.label}"] = fwd[:, j] - bf[:, j]
    return frame


def distribution(close: np.ndarray, bench: np.ndarray | None, positions: np.ndarray,
                 query: int, horizons: tuple[Horizon, ...]) -> pd.DataFrame:
    """Analogs vs every past day (forward window known by the query day), per horizon."""
    hz = np.array([h.days for h in horizons], dtype=np.int64)
    fwd = forward_returns(close, hz, bench_close=bench)
    rows = []
    for j, h in enumerate(horizons):
        last = query - 1 - h.days
        allv = fwd[: max(last + 1, 0), j]
        allv = allv[np.isfinite(allv)]
        av = fwd[positions, j]
        av = av[np.isfinite(av)]
        for group, v, n_ind in (("analogs", av, len(av)),
                                ("all past days", allv, len(allv) // h.days)):
            rows.append({"horizon": h.label, "group": group, "n": len(v),
                         M.N_INDEPENDENT: int(n_ind),
                         "mean": float(v.mean()) if len(v) else np.nan,
                         "median": float(np.median(v)) if len(v) else np.nan,
                         "share_up": float((v > 0).mean()) if len(v) else np.nan,
                         "p10": float(np.quantile(v, 0.1)) if len(v) else np.nan,
                         "p90": float(np.quantile(v, 0.9)) if len(v) else np.nan})
    return pd.DataFrame(rows)


def search(panel, rule: AnalogRule, when: pd.Timestamp) -> Search:
    """Run the study's analog rule on ``panel`` for the last trading day on or before ``when``."""
    values = feature_matrix(panel, rule.features)
    query = int(panel.index.searchsorted(when, side="right")) - 1
    return nearest(values, query, rule.k, rule.horizon.days, rule.distance,
                   rule.exclude_recent, [f.name for f in rule.features])
