"""Daily close CSV: a date column and one close column (Yahoo ``Date,^GSPC`` or ``date,close``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from engine.data.sources.csvfile import read_table, tidy
from engine.errors import DataError


def read(path: Path) -> pd.DataFrame:
    frame = read_table(path)
    cols = list(frame.columns)
    if len(cols) != 2 or cols[0].lower() != "date":
        raise DataError(
            f"wrong columns {cols}; expected two columns: Date and the close "
            "(e.g. ['Date', '^RUT'] or ['date', 'close'])",
            where=str(path),
            fix="export only the date and close columns",
        )
    out = tidy(path, frame, cols[0], {cols[1]: "close"})
    if (out["close"] <= 0).any():
        bad = out.index[(out["close"] <= 0).to_numpy()][0]
        raise DataError(f"non-positive close on {bad.date()}", where=str(path),
                        fix="closes must be > 0; leave the cell empty if missing")
    return out
