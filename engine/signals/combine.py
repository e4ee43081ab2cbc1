"""Combinators on (T, K) 0/1/no-data signal matrices: all / any / not, persistence and
cooldown. Results keep their inputs' type: int8 with ``NODATA`` for the matrix's boolean
blocks, floats with NaN for a caller's arrays (``engine.signal_dtype``).

``all_of`` and ``any_of`` take the cartesian product of their inputs' variants (first input
varies slowest, like ``itertools.product``), so a combined signal tests every pairing of its
inputs' sweeps. No data propagates: a combination is unknown if any input is.
"""

from __future__ import annotations

import functools
import itertools
from functools import reduce

import numpy as np

from engine.signal_dtype import BOOL_DTYPE, NODATA, is_nodata, nodata_of, signal_values


def _as2d(a: np.ndarray) -> np.ndarray:
    a = signal_values(a)
    return a[:, None] if a.ndim == 1 else a


def _pairwise(a: np.ndarray, b: np.ndarray, op) -> np.ndarray:
    """Every column of ``a`` against every column of ``b``: (T, Ka * Kb), ``a`` slowest."""
    t = a.shape[0]
    return op(a[:, :, None], b[:, None, :]).reshape(t, a.shape[1] * b.shape[1])


def all_of(arrays: list[np.ndarray]) -> np.ndarray:
    """1 where every input is 1, 0 where all are known and one is 0, NaN if any is NaN."""
    return reduce(lambda a, b: _pairwise(a, b, np.minimum), [_as2d(x) for x in arrays])


def any_of(arrays: list[np.ndarray]) -> np.ndarray:
    """1 where any input is 1, 0 where all are 0, no data if any has none (np.maximum keeps
    NaN; ``NODATA``, the least int8, is put back where it lost)."""
    return reduce(lambda a, b: _pairwise(a, b, _maximum), [_as2d(x) for x in arrays])


def _maximum(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    out = np.maximum(a, b)
    if out.dtype == BOOL_DTYPE:
        out[(a == NODATA) | (b == NODATA)] = NODATA
    return out


def not_(a: np.ndarray) -> np.ndarray:
    """1 - a; no data stays no data."""
    a = signal_values(a)
    if a.dtype == BOOL_DTYPE:
        return np.where(a == NODATA, NODATA, 1 - a)
    return 1.0 - a  # keeps float32 (NEP 50: a Python float takes its width)


def product_labels(label_lists: list[list[str]]) -> list[tuple[str, ...]]:
    """Labels of the columns of ``all_of``/``any_of`` in the same (itertools.product) order."""
    return list(itertools.product(*label_lists))


def persistence(a: np.ndarray, n: int) -> np.ndarray:
    """On only where the signal has been on for the last ``n`` consecutive days (today included).

    A day without data inside the window breaks the run (the signal was not known to be on);
    days where ``a`` itself has none stay so.
    """
    a = signal_values(a)
    if n <= 1:
        return a.copy()
    on = (a == 1.0).astype(np.int64)
    csum = np.cumsum(on, axis=0)
    prior = np.zeros_like(csum)
    prior[n:] = csum[:-n]
    run = csum - prior  # ones within the last n rows (fewer rows at the start)
    out = (run == n).astype(a.dtype)
    out[is_nodata(a)] = nodata_of(a.dtype)
    return out


def cooldown(a: np.ndarray, n: int) -> np.ndarray:
    """Keep a spell only if its rising edge comes >= ``n`` days after the last kept edge.

    A rising edge is a day on (1) after a day not on (0, no data or the start). Suppressed
    spells become 0 for their whole length; days without data stay so. ``n`` counts rows
    (trading days).
    """
    a = signal_values(a)
    if n <= 0:
        return a.copy()
    squeeze = a.ndim == 1
    out = _cooldown_compiled()(np.ascontiguousarray(_as2d(a)), int(n))
    return out[:, 0] if squeeze else out


def _cooldown_python(a: np.ndarray, n: int) -> np.ndarray:
    """Python twin of the compiled cooldown loop over a (T, K) float or int8 array."""
    t_len, k = a.shape
    out = a.copy()
    for j in range(k):
        last = -(1 << 60)
        keep = False
        for t in range(t_len):
            v = a[t, j]
            on = v == 1.0
            was_on = t > 0 and a[t - 1, j] == 1.0
            if on and not was_on:
                keep = t - last >= n
                if keep:
                    last = t
            if on and not keep:
                out[t, j] = 0
    return out


@functools.cache
def _cooldown_compiled():
    """The compiled twin, made on first use: listing or validating studies imports no numba."""
    from numba import njit

    return njit(cache=True)(_cooldown_python)
