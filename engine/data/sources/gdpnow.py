"""Atlanta Fed GDPNow: every published nowcast, dated by its publication (forecast) date.

Format rules (the export as mirrored): a UTF-8 byte-order mark before the header, CRLF line
ends, no newline after the last line, dates ``M/D/YY``, the quarter named by its last day
(``6/30/14``). Nowcasts continue after a quarter ends until the BEA advance release, so the
quarter being nowcast is a column, not implied by the date.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from engine.data.sources.csvfile import parse_dates, parse_numbers
from engine.errors import DataError

HEADER = ["Forecast Date", "Quarter being forecasted", "GDP Nowcast"]
DATE_FORMAT = "%m/%d/%y"


def read(path: Path) -> pd.DataFrame:
    """Columns: ``nowcast`` (q/q SAAR %), ``change_since_first`` (vs the quarter's first
    nowcast), ``quarter`` (YYYYQ of the quarter nowcast), ``nowcasts_in_quarter``."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read GDPNow file ({exc})", where=str(path),
                        fix="restore the file as exported by the Atlanta Fed") from None
    lines = [ln for ln in text.replace("\r\n", "\n").replace("\r", "\n").split("\n") if ln]
    if not lines or [c.strip() for c in lines[0].split(",")] != HEADER:
        raise DataError(f"wrong header {lines[0] if lines else ''!r}; expected {HEADER}",
                        where=str(path), fix="use the GDPNow CSV export as published")
    rows = [ln.split(",") for ln in lines[1:]]
    if not rows or any(len(r) != 3 for r in rows):
        bad = next((i for i, r in enumerate(rows) if len(r) != 3), 0)
        raise DataError(f"row {bad + 2}: expected 3 fields", where=str(path),
                        fix="each line: forecast date, quarter end, nowcast")
    raw = pd.DataFrame(rows, columns=HEADER)
    index = parse_dates(raw[HEADER[0]], path, HEADER[0], DATE_FORMAT)
    quarter_end = pd.DatetimeIndex(pd.to_datetime(raw[HEADER[1]].str.strip(),
                                                  format=DATE_FORMAT, errors="coerce"))
    off = quarter_end.isna() | (quarter_end != quarter_end + pd.offsets.QuarterEnd(0))
    if off.any():
        row = int(np.flatnonzero(off)[0])
        raise DataError(f"row {row + 2}: quarter {raw[HEADER[1]].iloc[row]!r} is not a "
                        "quarter's last day", where=str(path), fix="quarters are M/D/YY ends")
    nowcast = parse_numbers(raw[HEADER[2]], path, HEADER[2])
    quarter = (quarter_end.year * 10 + quarter_end.quarter).to_numpy()
    s = pd.Series(nowcast)
    first = s.groupby(quarter).transform("first")
    out = pd.DataFrame({
        "nowcast": nowcast,
        "change_since_first": (s - first).to_numpy(),
        "quarter": quarter.astype(np.float64),
        "nowcasts_in_quarter": s.groupby(quarter).cumcount().to_numpy() + 1.0,
    }, index=index)
    return out
