"""Memory-bandwidth floor: the fastest any kernel could be is the time to stream its bytes once.

Measured with numpy streaming kernels on arrays far larger than the last-level cache, best of
several runs (the best run is the one least disturbed by the OS):

* read, 1 core:  ``a.max()`` (SIMD, memory-bound; ``a.sum()`` is not: numpy's pairwise sum is
  compute-bound near 10 GB/s here and would understate the floor's bandwidth);
* read, all cores: ``a @ a`` (OpenBLAS ddot, threaded over every core; reads ``a.nbytes`` once);
* copy, 1 core: ``np.copyto(b, a)`` moves ``2 * a.nbytes`` (write-allocate traffic not counted).

The floor uses the all-core read bandwidth (the strictest, since the kernel may use every core),
because the job is read-dominated: the signal matrix is read once and the outputs are tiny.
Bytes the job must touch (the signals in the engine's int8 matrix, one byte per element,
``engine.signal_dtype``; 8-byte floats everywhere else)::

    bytes = n_assets * (T*K*1          # signal matrix (int8 1/0/NODATA)
                        + T*8          # closes
                        + 2*T*H*8      # forward returns, written once and read once
                        + K*H*E*M*8)   # M output metrics per variant x horizon x episode
"""

from __future__ import annotations

import time

import numpy as np

N_METRICS = 15  # the (K, H, E) arrays in EvalResult.metrics


def _best(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _ddot_seconds(a: np.ndarray, repeat: int, threads: int | None) -> float:
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl ships with scipy's stack
        return _best(lambda: a @ a, repeat)
    with threadpool_limits(limits=threads, user_api="blas"):
        return _best(lambda: a @ a, repeat)


def measure(n_bytes: int = 512 * 2**20, repeat: int = 7) -> dict[str, float]:
    """Best-of-``repeat`` read and copy bandwidth in GB/s (1 GB = 1e9 bytes)."""
    a = np.ones(n_bytes // 8)
    b = np.empty_like(a)
    np.copyto(b, a)  # fault the pages in before timing
    a.max()
    read_1 = a.nbytes / min(_best(a.max, repeat), _ddot_seconds(a, repeat, 1)) / 1e9
    read_all = a.nbytes / _ddot_seconds(a, repeat, None) / 1e9
    copy_1 = 2 * a.nbytes / _best(lambda: np.copyto(b, a), repeat) / 1e9
    return {"array_bytes": int(a.nbytes), "read_gbps_1core": read_1,
            "read_gbps": max(read_1, read_all), "copy_gbps_1core": copy_1, "repeat": repeat}


def job_bytes(n_assets: int, n_days: int, n_variants: int, n_horizons: int,
              n_episodes: int = 1) -> int:
    """Bytes the evaluate job must touch at least once (formula in the module docstring)."""
    per_asset = (n_days * n_variants * 1 + n_days * 8 + 2 * n_days * n_horizons * 8
                 + n_variants * n_horizons * n_episodes * N_METRICS * 8)
    return int(n_assets * per_asset)


def floor_seconds(n_bytes: int, read_gbps: float) -> float:
    """Time to stream ``n_bytes`` once at the measured read bandwidth."""
    return n_bytes / (read_gbps * 1e9)
