"""Readers for public data formats: each turns one raw file into a tidy frame.

A reader returns a DataFrame with a sorted, unique DatetimeIndex named ``date`` and float64
columns; missing values are NaN. Format knowledge (column names, missing-value conventions,
units) lives here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from engine.data.sources import (
    cboe,
    csvfile,
    fomc,
    fred,
    french,
    ici,
    shiller,
    widecsv,
    yahoo,
)

Reader = Callable[[Path], pd.DataFrame]
# How the files of a multi-file entry are joined, by source; default engine.data.splice.splice
# (extend past the end, equal on the overlap). Event lists are joined as date sets.
Combiner = Callable[..., tuple[pd.DataFrame, dict]]
COMBINERS: dict[str, Combiner] = {"fomc": fomc.combine}

READERS: dict[str, Reader] = {
    "fred": fred.read,
    "yahoo": yahoo.read,
    "shiller": shiller.read,
    "cboe": cboe.read,
    "french": french.read,
    "ici": ici.read,
    "fomc": fomc.read,
}

__all__ = ["COMBINERS", "READERS", "Reader", "csvfile", "widecsv"]
