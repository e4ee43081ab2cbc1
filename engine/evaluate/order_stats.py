"""Order statistics for the compiled kernels: k-th smallest, median, linear quantile.

Why not ``np.median`` / ``np.partition`` inside the kernels: numba compiles its generic
implementations of those (any dtype, NaN handling, array-valued kth) in 1 to 5 s each, which
was a third of a first run's compile time. These loops compile in a fraction of that and
give the same numbers: an order statistic is a value of the input, whatever the algorithm,
and the median and quantile do numpy's arithmetic on it.

Inputs are 1-d float arrays without NaN (the kernels pass forward returns on valid days and
bootstrap ratios of replicates that drew an event). Every function reorders its input in
place; callers pass scratch buffers.
"""

from __future__ import annotations

import numpy as np
from numba.extending import register_jitable

__all__ = ["kth_smallest", "median", "quantile"]


@register_jitable
def kth_smallest(a, k):
    """``np.partition(a, k)[k]``, in place: Wirth's selection (Hoare partitions, pivot a[k]).

    Afterwards ``a[:k] <= a[k] <= a[k + 1:]``. Scans stop on values equal to the pivot, so
    arrays with many ties (bootstrap hit rates take few distinct values) split evenly.
    """
    lo, hi = 0, len(a) - 1
    while lo < hi:
        x = a[k]
        i, j = lo, hi
        while i <= j:
            while a[i] < x:
                i += 1
            while x < a[j]:
                j -= 1
            if i <= j:
                a[i], a[j] = a[j], a[i]
                i += 1
                j -= 1
        if j < k:
            lo = i
        if k < i:
            hi = j
    return a[k]


@register_jitable
def _min_from(a, start):
    """Smallest of a[start:] (the next order statistic once a[:start] is selected)."""
    out = a[start]
    for i in range(start + 1, len(a)):
        if a[i] < out:
            out = a[i]
    return out


@register_jitable
def median(a):
    """``np.median(a)`` for n >= 1, in place: the middle value, or the mean of the two."""
    n = len(a)
    half = n >> 1
    if n & 1:
        return kth_smallest(a, half)
    low = kth_smallest(a, half - 1)
    return (low + _min_from(a, half)) / 2


@register_jitable
def quantile(a, q):
    """``np.quantile(a, q)`` (method "linear") for n >= 1, in place."""
    n = len(a)
    pos = (n - 1) * q
    below = int(np.floor(pos))
    lo_val = kth_smallest(a, below)
    hi_val = _min_from(a, below + 1) if below + 1 < n else lo_val
    return lo_val + (pos - below) * (hi_val - lo_val)
