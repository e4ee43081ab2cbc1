"""Daily price CSVs from Yahoo Finance and its copies: indices and ETFs.

Output columns: ``close`` (split-adjusted, no dividends: the price series) and, where the file
has it, ``adj_close`` (dividends reinvested: a total-return series). Accepted layouts, each
recognised by its exact header, nothing guessed:

* ``Date,<TICKER>`` or ``date,close``: one close (first-pass indices and sectors);
* ``Date,Open,High,Low,Close,Adj Close,Volume`` (Yahoo download; for an index Adj Close =
  Close) and ``Date,Close,High,Low,Open,Volume`` (yfinance ``auto_adjust=False`` without the
  adjusted column: Close is split-adjusted only);
* ``date,open,high,low,close,volume`` with optional ``wap,count`` (market-lab, IBKR feeds);
* yfinance multi-row headers (``Price,...`` / ``Ticker,...`` / ``Date,,,``; see
  ``csvfile.yfinance_header``): with an ``Adj Close`` column, Close is split-adjusted; without
  one the file was saved with ``auto_adjust=True``, so its Close **is** the dividend-adjusted
  close and is returned as ``adj_close`` only.

Dates may carry a ``00:00:00`` time. Non-positive closes are errors, except that an all-empty
(``null``) row is a missing day.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from engine.data.sources.csvfile import read_table, tidy, yfinance_header
from engine.errors import DataError

FLAT = {
    ("Date", "Open", "High", "Low", "Close", "Adj Close", "Volume"):
        {"Close": "close", "Adj Close": "adj_close"},
    ("Date", "Close", "High", "Low", "Open", "Volume"): {"Close": "close"},
    ("date", "open", "high", "low", "close", "volume"): {"close": "close"},
    ("date", "open", "high", "low", "close", "volume", "wap", "count"): {"close": "close"},
}


def read(path: Path) -> pd.DataFrame:
    path = Path(path)
    multi = yfinance_header(path)
    frame = read_table(path, header="yfinance")
    cols = tuple(frame.columns)
    if multi is not None:
        columns = ({"Close": "close", "Adj Close": "adj_close"} if "Adj Close" in cols
                   else {"Close": "adj_close"})
    elif cols in FLAT:
        columns = FLAT[cols]
    elif len(cols) == 2 and cols[0].lower() == "date":
        columns = {cols[1]: "close"}
    else:
        raise DataError(
            f"wrong columns {list(cols)}; expected two columns: Date and the close (e.g. "
            "['Date', '^RUT'] or ['date', 'close']), a Yahoo OHLCV header or a yfinance "
            "multi-row header",
            where=str(path),
            fix="export only the date and close columns",
        )
    out = tidy(path, frame, cols[0], columns)
    bad = (out <= 0).any(axis=1).to_numpy()
    if bad.any():
        raise DataError(f"non-positive close on {out.index[np.flatnonzero(bad)[0]].date()}",
                        where=str(path),
                        fix="closes must be > 0; leave the cell empty if missing")
    return out
