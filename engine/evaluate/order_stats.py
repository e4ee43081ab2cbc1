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

__all__ = ["kth_smallest", "median", "quantile", "quantiles"]


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


_SAMPLE = 128  # values sampled to place the two pivots of ``quantiles``
_MARGIN = 8  # sample ranks the pivots leave beyond the ranks wanted


@register_jitable
def quantiles(a, q_lo, q_hi, work):
    """``(np.quantile(a, q_lo), np.quantile(a, q_hi))`` (q_lo < q_hi), as two ``quantile``
    calls give them, for the tails a bootstrap interval wants (2.5% and 97.5%).

    Two full selections cost most of a bootstrap interval's time. Here pivots are placed by
    a sample just beyond the wanted ranks, one scan copies the values at or beyond each
    pivot into ``work`` (len(a); the low tail from the front, the high tail from the back),
    and the order statistics are selected inside those few values: every value at or below
    a pivot is in its tail, so a tail holding the wanted rank gives the same values. When a
    tail falls short (an unlucky sample, or ties across both pivots) the full selection
    runs instead: the same numbers either way (as bits, but for which of tied 0.0 and -0.0
    comes out; the bootstrap's ratios hold no -0.0). ``a`` is left unchanged when the tails
    serve, reordered otherwise.
    """
    n = len(a)
    pos_lo, pos_hi = (n - 1) * q_lo, (n - 1) * q_hi
    b_lo, b_hi = int(np.floor(pos_lo)), int(np.floor(pos_hi))
    if n < 4 * _SAMPLE:
        return quantile(a, q_lo), quantile(a, q_hi)
    step = n // _SAMPLE
    for i in range(_SAMPLE):
        work[i] = a[i * step]
    sample = work[:_SAMPLE]
    r_lo = min(_SAMPLE - 1, (b_lo + 2) * _SAMPLE // n + _MARGIN)
    r_hi = max(0, b_hi * _SAMPLE // n - _MARGIN)
    p_lo = kth_smallest(sample, r_lo)
    p_hi = kth_smallest(sample, r_hi)
    if not p_lo < p_hi:
        return quantile(a, q_lo), quantile(a, q_hi)
    n_lo = 0
    n_hi = 0
    for i in range(n):
        x = a[i]
        if x <= p_lo:
            work[n_lo] = x
            n_lo += 1
        elif x >= p_hi:
            n_hi += 1
            work[n - n_hi] = x
    need_lo = min(n, b_lo + 2)
    if n_lo >= need_lo:
        low_tail = work[:n_lo]
        v = kth_smallest(low_tail, b_lo)
        w = _min_from(low_tail, b_lo + 1) if b_lo + 1 < n else v
        lo = v + (pos_lo - b_lo) * (w - v)
    else:
        lo = np.nan
    j = b_hi - (n - n_hi)  # the wanted rank inside the high tail
    if j >= 0:
        high_tail = work[n - n_hi:]
        v = kth_smallest(high_tail, j)
        w = _min_from(high_tail, j + 1) if b_hi + 1 < n else v
        hi = v + (pos_hi - b_hi) * (w - v)
    else:
        hi = np.nan
    if n_lo < need_lo:
        lo = quantile(a, q_lo)
    if j < 0:
        hi = quantile(a, q_hi)
    return lo, hi
