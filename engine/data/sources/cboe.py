"""CBOE VIX daily history (``DATE,OPEN,HIGH,LOW,CLOSE``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from engine.data.sources.csvfile import read_table, tidy


def read(path: Path) -> pd.DataFrame:
    frame = read_table(path, expected=["DATE", "OPEN", "HIGH", "LOW", "CLOSE"])
    return tidy(path, frame, "DATE", {c: c.lower() for c in ["OPEN", "HIGH", "LOW", "CLOSE"]})
