"""Readers for public data formats: each turns one raw file into a tidy frame.

A reader returns a DataFrame with a sorted, unique DatetimeIndex named ``date`` and float64
columns; missing values are NaN. Format knowledge (column names, missing-value conventions,
units) lives here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from engine.data.sources import cboe, csvfile, fred, french, ici, shiller, yahoo

Reader = Callable[[Path], pd.DataFrame]

READERS: dict[str, Reader] = {
    "fred": fred.read,
    "yahoo": yahoo.read,
    "shiller": shiller.read,
    "cboe": cboe.read,
    "french": french.read,
    "ici": ici.read,
}

__all__ = ["READERS", "Reader", "csvfile"]
