"""FRED series CSV (``date,value``; FRED's public endpoint uses ``observation_date,<ID>``,
its older downloads ``DATE,<ID>``, sometimes re-saved with M/D/YYYY dates).

Missing observations (holidays) are blank or '.', read as NaN and never as zero.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from engine.data.sources.csvfile import read_table, tidy
from engine.errors import DataError

URL = "https://fred.stlouisfed.org/graph/fredgraph.csv?id={series}"


def read(path: Path) -> pd.DataFrame:
    frame = read_table(path)
    cols = list(frame.columns)
    if cols == ["date", "value"]:
        return tidy(path, frame, "date", {"value": "value"})
    if len(cols) == 2 and cols[0] == "observation_date":
        return tidy(path, frame, cols[0], {cols[1]: "value"})
    if len(cols) == 2 and cols[0] == "DATE":  # FRED's older download layout (before 2020)
        first = str(frame[cols[0]].iloc[0]).strip() if len(frame) else ""
        us = re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}", first) is not None  # re-saved M/D/YYYY
        return tidy(path, frame, cols[0], {cols[1]: "value"}, "%m/%d/%Y" if us else None)
    raise DataError(
        f"wrong columns {cols}; expected ['date', 'value'] (or FRED's "
        "['observation_date', '<SERIES>'] or ['DATE', '<SERIES>'])",
        where=str(path),
        fix="use the CSV as downloaded from FRED",
    )
