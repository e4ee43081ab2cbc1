"""Compiled loops of the signal families, each beside its Python twin (``engine.jit``).

Imported inside the family that uses it, so the registry (and the light commands that read
its parameter tables) never imports numba.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from engine.jit import Kernel
from engine.signal_dtype import BOOL_DTYPE, NODATA

__all__ = ["pairs_above"]

_NODATA = int(NODATA)  # a plain int: numba freezes it into the kernel as a constant


def pairs_above_python(means, first, second, out):
    """``out[t, k]`` = 1 where ``means[t, first[k]] > means[t, second[k]]``, 0 where not,
    ``NODATA`` where either is NaN. numpy: ``on_off(a > b, ~(isnan(a) | isnan(b)))`` with
    ``a, b = means[:, first], means[:, second]``, without the (T, K) temporaries: a sweep's
    grid pairs a few hundred columns into tens of thousands."""
    n_k = len(first)
    for t in prange(means.shape[0]):
        row = means[t]
        for k in range(n_k):
            a = row[first[k]]
            b = row[second[k]]
            if np.isnan(a) or np.isnan(b):
                out[t, k] = _NODATA
            elif a > b:
                out[t, k] = 1
            else:
                out[t, k] = 0


_pairs_above = Kernel(pairs_above_python)


def pairs_above(means: np.ndarray, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """(T, K) boolean signals (``BOOL_DTYPE``, written directly: no float64 matrix on the way):
    column pair k of ``means`` compared, as ``pairs_above_python``."""
    means = np.ascontiguousarray(means, dtype=np.float64)
    first = np.asarray(first, dtype=np.int64)
    second = np.asarray(second, dtype=np.int64)
    for idx in (first, second):  # the kernel indexes unchecked
        if idx.size and (idx.min() < 0 or idx.max() >= means.shape[1]):
            raise IndexError(f"column index out of range for {means.shape[1]} columns")
    out = np.empty((means.shape[0], len(first)), dtype=BOOL_DTYPE)
    if out.size:
        _pairs_above(means, first, second, out, work=out.size)
    return out
