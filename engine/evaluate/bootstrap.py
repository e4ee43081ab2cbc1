"""Circular block bootstrap of event ratios, computed from event lists.

``stats.block_bootstrap_ci`` resamples dense (T, K) daily contributions with two
(n_boot, T) x (T, K) matrix products. For a ratio over *events* (hit rate = hits / events,
mean return = sum of event returns / events) every non-event day contributes 0, so a
replicate's sums only need the resampled day counts on the event days:

    den_b = sum over events e of counts[b, t_e]      num_b = sum_e counts[b, t_e] * w[t_e]

Work per column drops from n_boot x T to n_boot x n_events (persistent signals have a few
dozen events in thousands of days), and nothing of size (T, K) is allocated. The replicates
use the same block starts as ``block_bootstrap_ci`` (same generator, same draw order), so
the intervals are the same numbers: bit-identical for hit rates (integer sums are exact in
any order), equal to rounding (~1e-16 relative) for float weights.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from engine.evaluate.order_stats import quantiles
from engine.jit import Kernel

__all__ = ["block_counts", "block_starts", "event_ratio_ci", "replicate_counts"]

BOOT_CHUNK = 128  # replicates per draw of block starts; fixed so results never depend on it


def block_starts(rng: np.random.Generator, n_rows: int, block: int, n_boot: int) -> np.ndarray:
    """(n_boot, ceil(T / block)) first days of each replicate's circular blocks: the one draw
    behind ``block_counts`` and ``replicate_counts``, so both resample the same histories."""
    return rng.integers(0, n_rows, size=(n_boot, -(-n_rows // block)))


def block_counts(rng: np.random.Generator, n_rows: int, block: int, n_boot: int) -> np.ndarray:
    """(n_boot, T) matrix: how many times each day appears in each circular-block replicate."""
    starts = block_starts(rng, n_rows, block, n_boot)
    days = (starts[:, :, None] + np.arange(block)).reshape(n_boot, -1)[:, :n_rows] % n_rows
    flat = (days + (np.arange(n_boot) * n_rows)[:, None]).ravel()
    return np.bincount(flat, minlength=n_boot * n_rows).reshape(n_boot, n_rows).astype(float)


def replicate_counts(n_rows: int, block: int, n_boot: int, seed: int,
                     need: np.ndarray | None = None) -> np.ndarray:
    """(T, n_boot) day counts of every replicate, drawn exactly as ``block_bootstrap_ci`` does.

    Transposed so that one day's counts across replicates are contiguous (the kernel adds
    whole rows). ``need`` (T,) bool: only those rows are filled (the event days an interval
    can read); the others stay 0 and, never written, cost no memory (``np.zeros`` pages are
    mapped on first write). The block starts are drawn as in ``block_counts`` either way.
    """
    rng = np.random.default_rng(seed)
    out = np.zeros((n_rows, int(n_boot)))
    keep = np.ones(n_rows, dtype=np.bool_) if need is None else np.asarray(need, np.bool_)
    if keep.shape != (n_rows,):  # the kernel reads need[t] unchecked
        raise ValueError(f"need must be ({n_rows},), got {keep.shape}")
    for start in range(0, int(n_boot), BOOT_CHUNK):
        size = min(BOOT_CHUNK, int(n_boot) - start)
        starts = block_starts(rng, n_rows, int(block), size)
        add_blocks(starts, int(block), keep, start, out, work=size * n_rows)
    return out


def add_blocks_python(starts, block, need, first, out):
    """Add replicate ``first + b``'s day counts into column ``first + b`` of ``out`` (T, B),
    rows with ``need`` only: replicate b is the first T days of the circular blocks
    ``starts[b, j] .. starts[b, j] + block - 1``. numpy: ``block_counts(...).T``, whose
    ``np.bincount`` counts the same days (whole numbers, so the same floats)."""
    n_rows = out.shape[0]
    for b in prange(starts.shape[0]):
        col = first + b
        pos = 0
        for j in range(starts.shape[1]):
            s = starts[b, j]
            for i in range(block):
                if pos >= n_rows:
                    break
                t = (s + i) % n_rows
                if need[t]:
                    out[t, col] += 1.0
                pos += 1


add_blocks = Kernel(add_blocks_python)


def event_ratio_ci(
    counts: np.ndarray, ev_ptr: np.ndarray, ev_t: np.ndarray, weight: np.ndarray,
    ok: np.ndarray, episodes: np.ndarray, skip: np.ndarray, alpha: float = 0.05,
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile CI of ``sum(weight[t]) / n`` over each column's events, per episode.

    ``counts`` (T, n_boot) from :func:`replicate_counts`; column k's event days are
    ``ev_t[ev_ptr[k]:ev_ptr[k + 1]]``; an event counts in episode e when ``ok[t]`` (e.g. the
    forward return exists) and ``episodes[e, t]``. ``skip`` (K, E) marks cells not wanted
    (left NaN). Returns (K, E) low and high; NaN where a cell has no event or no replicate
    draws one. Equals ``stats.block_bootstrap_ci(num, den, ...)`` with den = event
    indicator and num = den * weight (see the module docstring). ``weight`` (W, T) gives W
    ratios over the same events and draws in one pass ((W, K, E) bounds, the same numbers
    as W calls): the hit rate and the mean return share their denominators.
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    w = np.asarray(weight, np.float64)
    weights = w[None] if w.ndim == 1 else w
    n_k, n_e = len(ev_ptr) - 1, episodes.shape[0]
    low = np.full((weights.shape[0], n_k, n_e), np.nan)
    high = np.full((weights.shape[0], n_k, n_e), np.nan)
    if n_k and counts.shape[1]:
        ratio_ci(counts, ev_ptr, ev_t, np.ascontiguousarray(weights),
                 np.asarray(ok, np.bool_), np.ascontiguousarray(episodes, dtype=np.bool_),
                 np.asarray(skip, np.bool_), alpha / 2, 1 - alpha / 2, low, high,
                 work=len(ev_t) * counts.shape[1] * n_e)
    return (low[0], high[0]) if w.ndim == 1 else (low, high)


def ratio_ci_python(counts, ev_ptr, ev_t, weights, ok, episodes, skip, q_lo, q_hi, low, high):
    """Percentile bounds of each replicate's event ratio, per weight, column and episode
    (the loop of ``event_ratio_ci``; compiled as ``ratio_ci``). numpy: for replicate b and
    weight row w, ``r_b = (c[:, b] * weights[w])[days].sum() / c[:, b][days].sum()`` over
    the column's event days in the episode, then ``np.quantile(r, [q_lo, q_hi])`` over the
    replicates that drew an event (``stats.block_bootstrap_ci``)."""
    n_boot = counts.shape[1]
    n_w, n_e = weights.shape[0], episodes.shape[0]
    for k in prange(len(ev_ptr) - 1):
        num = np.empty((n_w, n_boot))
        den = np.empty(n_boot)
        buf = np.empty(n_boot)
        work = np.empty(n_boot)
        for e in range(n_e):
            if skip[k, e]:
                continue
            num[:] = 0.0
            den[:] = 0.0
            n_in = 0
            for i in range(ev_ptr[k], ev_ptr[k + 1]):
                t = ev_t[i]
                if not (ok[t] and episodes[e, t]):
                    continue
                n_in += 1
                row = counts[t]
                for b in range(n_boot):
                    den[b] += row[b]
                for v in range(n_w):
                    w = weights[v, t]
                    acc = num[v]
                    for b in range(n_boot):
                        acc[b] += row[b] * w
            if n_in == 0:
                continue
            for v in range(n_w):
                n_valid = 0
                for b in range(n_boot):
                    if den[b] != 0:
                        buf[n_valid] = num[v, b] / den[b]
                        n_valid += 1
                if n_valid == 0:
                    continue
                low[v, k, e], high[v, k, e] = quantiles(buf[:n_valid], q_lo, q_hi,
                                                        work[:n_valid])


ratio_ci = Kernel(ratio_ci_python)


