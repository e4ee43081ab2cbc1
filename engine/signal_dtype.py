"""The element type of (T, K) signal arrays, shared by the signal matrix and every reader.

Boolean columns are stored as int8: 1 on, 0 off, ``NODATA`` (-128) for "no data that day",
the one byte per element the signal needs (a 20,000-variant sweep over 1927-2026 is 0.5 GB
instead of 2 in float32 or 4 in float64). ``NODATA`` is below zero, so every "on" test
(``> 0``) is false on it, as on NaN; the tests that NaN passes by being no number ("has
data", "known and off") go through ``has_data`` and ``known_off`` here (and
``engine.evaluate.kernels.not_nodata`` inside compiled loops). Numeric columns, and a matrix
holding any, stay float64 with NaN (IC needs the values). float32 and float64 inputs are read
as they are, NaN meaning no data. A module of its own, outside ``engine.signals``, so the
evaluation kernels' modules read the contract without importing the family registry.
"""

from __future__ import annotations

import numpy as np

BOOL_DTYPE = np.int8
NODATA = np.int8(-128)  # "no data that day" in a BOOL_DTYPE array (NaN in a float one)


def signal_values(values) -> np.ndarray:
    """A signal array as the engine reads it: int8 (``NODATA`` for no data), float32 and
    float64 kept as they are (no copy of a matrix that can be GBs), anything else (lists,
    other ints, bools) as float64."""
    a = np.asarray(values)
    return a if a.dtype in (BOOL_DTYPE, np.float32, np.float64) else a.astype(np.float64)


def to_signal(values) -> np.ndarray:
    """Values as ``BOOL_DTYPE`` by the engine's "on" rule: ``NODATA`` where NaN, 1 where > 0,
    0 elsewhere (a numeric signal's boolean view; 0/1/NaN columns map exactly). An int8 array
    is returned as it is."""
    a = np.asarray(values)
    if a.dtype == BOOL_DTYPE:
        return a
    out = (a > 0).astype(BOOL_DTYPE)
    out[a != a] = NODATA  # NaN (bool and int inputs have none)
    return out


def as_float(values, dtype=np.float64) -> np.ndarray:
    """A signal array as floats, NaN for no data (a copy for int8; few-column readers)."""
    a = signal_values(values)
    if a.dtype != BOOL_DTYPE:
        return np.asarray(a, dtype=dtype)
    out = a.astype(dtype)
    out[a == NODATA] = np.nan
    return out


def is_nodata(values: np.ndarray) -> np.ndarray:
    """Where a signal array marks "no data": ``NODATA`` (int8), NaN (floats)."""
    return values == NODATA if values.dtype == BOOL_DTYPE else np.isnan(values)


def nodata_of(dtype) -> float | np.int8:
    """The "no data" value of a signal array of ``dtype``."""
    return NODATA if np.dtype(dtype) == BOOL_DTYPE else np.nan


def has_data(values: np.ndarray) -> np.ndarray:
    """Where a signal array holds data: not ``NODATA`` (int8), finite (floats)."""
    return values != NODATA if values.dtype == BOOL_DTYPE else np.isfinite(values)


def known_off(values: np.ndarray) -> np.ndarray:
    """Where a signal is off and known (<= 0, no data excluded): yesterday's half of a rising
    edge. NaN fails ``<= 0`` by itself; ``NODATA`` has to be excluded."""
    off = values <= 0
    return off & (values != NODATA) if values.dtype == BOOL_DTYPE else off
