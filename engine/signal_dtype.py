"""The element type of (T, K) signal arrays, shared by the signal matrix and every reader.

Boolean columns (1 on, 0 off, NaN no data) are stored as float32: 0, 1 and NaN are exact, at
half the memory and memory traffic of float64 (a 20,000-variant sweep over 1927-2026 is 2 GB
instead of 4). Numeric columns, and a matrix holding any, stay float64. A module of its own,
outside ``engine.signals``, so the evaluation kernels' modules read the contract without
importing the family registry.
"""

from __future__ import annotations

import numpy as np

BOOL_DTYPE = np.float32


def signal_values(values) -> np.ndarray:
    """A signal array as the engine reads it: float32 and float64 kept as they are (no copy
    up to float64 of a matrix that can be GBs), anything else (lists, ints, bools) as float64."""
    a = np.asarray(values)
    return a if a.dtype in (np.float32, np.float64) else a.astype(np.float64)
