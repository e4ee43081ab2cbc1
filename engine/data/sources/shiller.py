"""Shiller's monthly S&P composite (datasets/s-and-p-500 layout).

The file writes 0.0 for values not yet published (dividend, earnings, CPI and the long rate
after 2023-06; PE10 for the first ten years), so 0.0 is read as missing: no column can be 0.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from engine.data.sources.csvfile import read_table, tidy

COLUMNS = {
    "SP500": "price",
    "Dividend": "dividend",
    "Earnings": "earnings",
    "Consumer Price Index": "cpi",
    "Long Interest Rate": "long_rate",
    "Real Price": "real_price",
    "Real Dividend": "real_dividend",
    "Real Earnings": "real_earnings",
    "PE10": "pe10",
}


def read(path: Path) -> pd.DataFrame:
    frame = read_table(path, expected=["Date", *COLUMNS])
    out = tidy(path, frame, "Date", COLUMNS)
    return out.mask(out == 0.0, np.nan)
