"""ICI estimated net new cash flow into long-term mutual funds (USD millions)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from engine.data.sources.csvfile import read_table, tidy

COLUMNS = {
    "Total Equity": "total_equity",
    "Domestic Equity": "domestic_equity",
    "World Equity": "world_equity",
    "Hybrid": "hybrid",
    "Total Bond": "total_bond",
    "Taxable Bond": "taxable_bond",
    "Municipal Bond": "municipal_bond",
    "Total": "total",
}


def read(path: Path) -> pd.DataFrame:
    frame = read_table(path, expected=["Date", *COLUMNS])
    return tidy(path, frame, "Date", COLUMNS)
