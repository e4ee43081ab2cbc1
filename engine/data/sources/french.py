"""Kenneth French daily factors. Values are published in percent; stored as fractions."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from engine.data.sources.csvfile import read_table, tidy

COLUMNS = {"Mkt-RF": "mkt_rf", "SMB": "smb", "HML": "hml", "RF": "rf"}


def read(path: Path) -> pd.DataFrame:
    frame = read_table(path, expected=["Date", *COLUMNS])
    return tidy(path, frame, "Date", COLUMNS, date_format="%Y%m%d") / 100.0
