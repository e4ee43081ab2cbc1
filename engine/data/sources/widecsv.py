"""One column of a wide date-indexed panel (heliar's ``fred_2026/<group>.csv.gz``).

Such panels merge daily, weekly and monthly series on one ``date`` column, so most cells are
empty: a blank is "no observation that day", never zero. Referenced from the catalog as
``file = "fred_2026/rates.csv.gz#DFEDTARU"``. Columns are the panel's own names, which are
not always FRED ids: ``growth.csv.gz`` column ``GDP`` is **real** GDP (FRED ``GDPC1``), ``CPI`` is
``CPIAUCSL``, ``CORE_CPI`` is ``CPILFESL``; ``FRED_2026_COLUMNS`` below is the one place that
maps a FRED id to its panel column, and the splice check (equal on the overlap) catches a
wrong mapping such as nominal GDP onto the real-GDP column.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from engine.data.sources.csvfile import read_table, tidy
from engine.errors import DataError

# FRED id -> "fred_2026 file#column" for series the first-pass ``fred/`` files also hold.
# Deliberately absent: fred.GDP (nominal). growth.csv.gz#GDP is real GDP = GDPC1.
FRED_2026_COLUMNS = {
    "FEDFUNDS": "fred_2026/rates.csv.gz#FEDFUNDS",
    "DGS10": "fred_2026/rates.csv.gz#DGS10",
    "DGS2": "fred_2026/rates.csv.gz#DGS2",
    "DGS30": "fred_2026/rates.csv.gz#DGS30",
    "GDPC1": "fred_2026/growth.csv.gz#GDP",
    "INDPRO": "fred_2026/growth.csv.gz#INDPRO",
    "DGORDER": "fred_2026/growth.csv.gz#DGORDER",
    "UNRATE": "fred_2026/labor.csv.gz#UNRATE",
    "PAYEMS": "fred_2026/labor.csv.gz#PAYEMS",
    "ICSA": "fred_2026/labor.csv.gz#ICSA",
    "JTSJOL": "fred_2026/labor_market.csv.gz#JOLTS_OPEN",
    "CPIAUCSL": "fred_2026/inflation.csv.gz#CPI",
    "CPILFESL": "fred_2026/inflation.csv.gz#CORE_CPI",
    "PCEPILFE": "fred_2026/inflation.csv.gz#CORE_PCE",
    "T5YIE": "fred_2026/inflation.csv.gz#T5YIE",
    "T10YIE": "fred_2026/inflation.csv.gz#T10YIE",
    "MICH": "fred_2026/inflation.csv.gz#MICH",
    "ANFCI": "fred_2026/liquidity.csv.gz#ANFCI",
    "RRPONTSYD": "fred_2026/liquidity.csv.gz#RRPONTSYD",
    "WALCL": "fred_2026/liquidity.csv.gz#WALCL",
    "UMCSENT": "fred_2026/sentiment.csv.gz#UMCSENT",
    "STLFSI4": "fred_2026/sentiment.csv.gz#STLFSI4",
    "VIXCLS": "fred_2026/volatility.csv.gz#VIX",
    "BAMLH0A0HYM2": "fred_2026/volatility.csv.gz#HY_OAS",
    "BAMLC0A0CM": "fred_2026/volatility.csv.gz#IG_OAS",
}


def read(path: Path, column: str, name: str = "value") -> pd.DataFrame:
    """Column ``column`` of the panel at ``path`` as a tidy frame with one column ``name``."""
    frame = read_table(path)
    if "date" not in frame.columns:
        raise DataError(f"wide panel has no 'date' column (has {list(frame.columns)[:8]})",
                        where=str(path), fix="use the panel as published (first column 'date')")
    if column not in frame.columns:
        raise DataError(f"wide panel has no column '{column}'", where=str(path),
                        fix=f"use one of {[c for c in frame.columns if c != 'date']}")
    out = tidy(path, frame[["date", column]], "date", {column: name})
    return out[out[name].notna().to_numpy()]
