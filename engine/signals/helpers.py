"""The helpers every signal family shares: grouping, comparisons, point-in-time data access.

Families import these from here (and the registry from ``base``), never from one another, so
a family module can change without touching another family (``tests/test_signal_layout.py``).
Grouping: ``per_group`` computes an expensive statistic once per unique (series, window) and
broadcasts it over the K variants; ``compare`` then makes the cheap threshold comparison.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.errors import DataError
from engine.lazy import pandas as pd


# ----------------------------------------------------------------------------- grouping
def n_variants(grid: dict[str, np.ndarray]) -> int:
    """K: the grid's length (a family without parameters has one variant)."""
    for v in grid.values():
        return len(v)
    return 1


def unique_groups(
    grid: dict[str, np.ndarray], keys: tuple[str, ...]
) -> tuple[list[dict], np.ndarray]:
    """Unique combinations of ``keys`` across variants, and each variant's group (K,) index."""
    k = n_variants(grid)
    if not keys:
        return [{}], np.zeros(k, dtype=np.int64)
    uniques, codes = [], []
    for key in keys:
        u, inv = np.unique(np.asarray(grid[key]), return_inverse=True)
        uniques.append(u)
        codes.append(inv.ravel())
    dims = tuple(len(u) for u in uniques)
    flat = np.ravel_multi_index(tuple(codes), dims)
    ucodes, inv = np.unique(flat, return_inverse=True)
    parts = np.unravel_index(ucodes, dims)
    groups = [{key: _py(uniques[i][parts[i][j]]) for i, key in enumerate(keys)}
              for j in range(len(ucodes))]
    return groups, inv.ravel()


def _py(value: Any) -> Any:
    """numpy scalar -> Python scalar (object arrays already hold Python objects)."""
    return value.item() if isinstance(value, np.generic) else value


def per_group(
    grid: dict[str, np.ndarray], keys: tuple[str, ...], compute: Callable[..., np.ndarray]
) -> np.ndarray:
    """Run ``compute(**group)`` -> (T,) once per unique group; return the (T, K) broadcast."""
    groups, inv = unique_groups(grid, keys)
    cols = np.column_stack([np.asarray(compute(**g), dtype=np.float64) for g in groups])
    return cols[:, inv]


def on_off(cond: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Boolean condition to 1.0/0.0, NaN where the inputs had no data."""
    out = np.asarray(cond, dtype=np.float64)
    return np.where(valid, out, np.nan)


@dataclass(frozen=True)
class Tested:
    """One threshold comparison made by ``compare``: ``stat op threshold``."""

    stat: np.ndarray  # (T, K) the tested quantity on the panel's days
    op: str
    threshold: np.ndarray  # (K,)


_RECORD: contextvars.ContextVar[list[Tested] | None] = contextvars.ContextVar(
    "signal_tests", default=None)


@contextlib.contextmanager
def recording() -> Iterator[list[Tested]]:
    """Collect every comparison ``compare`` makes inside the block (the scorecard shows the
    quantity a condition tests, its threshold and date, not the raw series behind it)."""
    found: list[Tested] = []
    token = _RECORD.set(found)
    try:
        yield found
    finally:
        _RECORD.reset(token)


def compare(stat: np.ndarray, op: str, threshold: np.ndarray) -> np.ndarray:
    """``stat op threshold`` broadcast over (T, K) with NaN kept (threshold is (K,))."""
    thr = np.asarray(threshold, dtype=np.float64)
    found = _RECORD.get()
    if found is not None:
        found.append(Tested(np.asarray(stat, dtype=np.float64), op,
                            np.broadcast_to(thr, np.shape(stat)[-1:]).copy()))
    with np.errstate(invalid="ignore"):
        cond = {"<": np.less, "<=": np.less_equal, ">": np.greater,
                ">=": np.greater_equal}[op](stat, thr)
    return on_off(cond, ~np.isnan(stat))


# ----------------------------------------------------------------------------- data access
def native_stat(panel, ref: str, transform: Callable[[pd.Series], pd.Series]) -> np.ndarray:
    """Compute ``transform`` on the series at its native frequency, then align point-in-time.

    The statistic of an observation is visible only from that observation's availability
    date (period end + publication lag), so lagged releases never leak into earlier days.
    """
    native = panel.native(ref)
    if native.empty:
        raise DataError(f"series '{ref}' has no observations", where=ref,
                        fix="check the dataset's coverage with `study data show`")
    values = transform(native)
    return panel.align(values.astype(np.float64), ref)


def shift(x: np.ndarray, n: int) -> np.ndarray:
    """``x`` moved down ``n`` rows along time (NaN-filled), like ``Series.shift(n)``."""
    out = np.full_like(x, np.nan, dtype=np.float64)
    if n < len(x):
        out[n:] = x[: len(x) - n]
    return out


def daily_change(panel, series: str, lookback: int) -> np.ndarray:
    """Change of the published daily value over ``lookback`` trading days (NaN if unknown)."""
    x = panel.daily(series)
    return x - shift(x, lookback)


# ----------------------------------------------------------------------------- native series
def pct_growth(s: pd.Series, periods: int) -> pd.Series:
    """Percent change over ``periods`` observations (4 on quarterly data = year on year)."""
    return (s / s.shift(periods) - 1.0) * 100.0


def expanding_percentile(s: pd.Series, min_history: int) -> pd.Series:
    """Rank of each value among all values so far (itself included), as a fraction in (0, 1].

    Ties take the average rank; NaN until ``min_history`` observations exist.
    """
    pct = s.expanding(min_periods=1).rank(pct=True)
    return pct.where(np.arange(1, len(s) + 1) >= min_history)
