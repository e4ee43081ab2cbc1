"""FRED series CSV (``date,value``; FRED's public endpoint uses ``observation_date,<ID>``).

Missing observations (holidays) are blank or '.', read as NaN and never as zero.
"""

from __future__ import annotations

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
    raise DataError(
        f"wrong columns {cols}; expected ['date', 'value'] (or FRED's "
        "['observation_date', '<SERIES>'])",
        where=str(path),
        fix="use the CSV as downloaded from FRED",
    )
