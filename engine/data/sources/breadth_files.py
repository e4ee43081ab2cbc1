"""Pre-computed breadth series, as published by the repositories that computed them.

Both use *today's* index members back in time (survivorship-biased, most at the start).
Shares are stored as fractions (0.62 = 62%), like the constituent breadth dataset.

* bamhi ``date,value,breadth_200,breadth_50`` (percent): rows before the first non-zero
  reading are a 0.0 warm-up, not data (NaN). ``breadth_50`` is 3-day smoothed at source.
* shoppa ``advance_decline.csv``: advancers/decliners/% above MA for NYSE, Nasdaq and the
  S&P 500/400/600 over the repo's own universe. ``pct_above_*`` rows before the first
  non-zero reading are warm-up (NaN); the last row can be partial (a day counted while
  trading): a row whose NYSE advancers + decliners is under half the median of the 20 rows
  before it is dropped (a trailing median, so later rows never change earlier ones).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from engine.data.sources.csvfile import read_table, tidy
from engine.errors import DataError

SHOPPA_GROUPS = ("nyse", "nasdaq", "sp500", "sp400", "sp600")
SHOPPA_FIELDS = ("advancers", "decliners", "ad_cum", "pct_above_50d", "pct_above_200d")
PARTIAL_SHARE = 0.5


def _warmup_to_nan(col: pd.Series) -> pd.Series:
    """Leading exact zeros (before the first non-zero value) are warm-up rows: NaN."""
    started = (col.fillna(0.0) != 0.0).cummax()
    return col.where(started)


def read_bamhi(path: Path) -> pd.DataFrame:
    table = read_table(path, expected=["date", "value", "breadth_200", "breadth_50"])
    out = tidy(path, table, "date", {"breadth_200": "above_ma200", "breadth_50": "above_ma50"})
    return out.apply(_warmup_to_nan) / 100.0


def read_shoppa(path: Path) -> pd.DataFrame:
    table = read_table(path)
    cols = {f"{g}_{f}": f"{g}_{f}" for g in SHOPPA_GROUPS for f in SHOPPA_FIELDS}
    out = tidy(path, table, "date", cols)
    total = out["nyse_advancers"] + out["nyse_decliners"]
    usual = total.shift(1).rolling(20, min_periods=1).median()
    partial = (total < PARTIAL_SHARE * usual).to_numpy()
    if partial.all():
        raise DataError("every row looks partial (few issues counted)", where=str(path),
                        fix="check the advancers/decliners columns")
    out = out[~partial]
    pct = [c for c in out.columns if "pct_above" in c]
    out[pct] = out[pct].apply(_warmup_to_nan) / 100.0
    return out
