"""Kenneth French Data Library files: factors, momentum, size portfolios. Stored as fractions.

Traps handled here and nowhere else:

* the library's files hold a text preamble (4-12 lines), then one or more **blocks**: a
  header line starting with ``,`` (``,Mkt-RF,SMB,HML,RF``), rows dated ``YYYYMMDD`` (daily)
  or ``YYYYMM`` (monthly), a blank line, the next block's title ("Equal Weight Returns --
  Monthly", " Annual Factors: January-December", ...), and a ``Copyright`` trailer. CRLF.
  Some uploaders strip the preamble (first pass ``ff3_factors_daily.csv`` starts
  ``Date,Mkt-RF,...``) or the first block's title (``Portfolios_Formed_on_ME``); the first
  block is always the one before any titled block;
* values are **percent** (0.45 = 0.45 %): divided by 100 once, here;
* ``-99.99`` (and ``-999``) mean missing in the portfolio files;
* vintages: French revises history between releases, so a dataset reads exactly one file
  (the catalog never splices two French vintages).
"""

from __future__ import annotations

import gzip
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from engine.data.sources.csvfile import parse_dates, parse_numbers
from engine.errors import DataError

# The library's column names -> ours. Size sorts: deciles d01..d10, quintiles q1..q5,
# the 30/40/30 split and firms with non-positive book equity ("<= 0").
NAMES = {
    "Mkt-RF": "mkt_rf", "SMB": "smb", "HML": "hml", "RF": "rf", "RMW": "rmw", "CMA": "cma",
    "Mom": "mom", "<= 0": "neg", "Lo 30": "lo30", "Med 40": "med40", "Hi 30": "hi30",
    "Lo 20": "q1", "Qnt 2": "q2", "Qnt 3": "q3", "Qnt 4": "q4", "Hi 20": "q5",
    "Lo 10": "d01", **{f"Dec {k}": f"d{k:02d}" for k in range(2, 10)}, "Hi 10": "d10",
}
MISSING = (-99.99, -999.0)
EQUAL_WEIGHT_MONTHLY = "Equal Weight Returns -- Monthly"
_DATE = re.compile(r"^\s*(\d{6}|\d{8}|\d{4}-\d{2}-\d{2})\s*,")


def _lines(path: Path) -> list[str]:
    if not path.is_file():
        raise DataError("file not found", where=str(path),
                        fix="check the mirror directory and the catalog's `file` entry")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8-sig", errors="replace", newline="") as fh:
            return fh.read().splitlines()
    except (OSError, EOFError) as exc:
        raise DataError(f"cannot decompress ({exc})", where=str(path),
                        fix="restore the file (a .gz must be gzip-compressed)") from None


def blocks(path: Path) -> list[tuple[str, list[str], list[str]]]:
    """``(title, header fields, data lines)`` for every block of a library file."""
    lines = _lines(Path(path))
    text = pd.Series(lines, dtype=object)
    is_header = text.str.match(r"^\s*(Date)?\s*,").to_numpy() & ~text.str.match(_DATE).to_numpy()
    is_data = text.str.match(_DATE).to_numpy()
    out = []
    for h in np.flatnonzero(is_header):
        end = h + 1
        stop = np.flatnonzero(~is_data[end:])
        end = end + (stop[0] if len(stop) else len(lines) - end)
        if end == h + 1:
            continue
        title = next((lines[i].strip() for i in range(h - 1, -1, -1)
                      if lines[i].strip() and not is_data[i]), "")
        header = [c.strip() for c in lines[h].split(",")]
        out.append((title if out else "", header, lines[h + 1:end]))
    if not out:
        raise DataError("no data block (a ',Col1,Col2' header followed by dated rows)",
                        where=str(path), fix="use the file as published by the French library")
    return out


def _frame(path: Path, header: list[str], rows: list[str]) -> pd.DataFrame:
    names = ["date", *header[1:]]
    unknown = [c for c in names[1:] if c not in NAMES]
    if unknown:
        raise DataError(f"unknown columns {unknown}", where=str(path),
                        fix="use the file as published by the French library")
    raw = pd.read_csv(io.StringIO("\n".join(rows)), header=None, names=names, dtype=str,
                      keep_default_na=False, skipinitialspace=True)
    first = raw["date"].iloc[0].strip()
    fmt = "%Y%m%d" if len(first) == 8 else "%Y%m" if len(first) == 6 else None
    index = parse_dates(raw["date"], path, "date", fmt)
    data = {NAMES[c]: parse_numbers(raw[c], path, c) for c in names[1:]}
    out = pd.DataFrame(data, index=index)
    out = out.mask(out.isin(MISSING))
    return out / 100.0


FLAT_HEADERS = (["Date", "Mkt-RF", "SMB", "HML", "RF"], ["Date", "Mom"])


def read(path: Path) -> pd.DataFrame:
    """The first block: daily/monthly factors, momentum, or value-weighted size portfolios."""
    path = Path(path)
    _, header, rows = blocks(path)[0]
    if header[0] == "Date" and header not in FLAT_HEADERS:  # a re-saved file, no preamble
        raise DataError(f"wrong columns {header}; expected {FLAT_HEADERS[0]}", where=str(path),
                        fix="use the file as published by the French library")
    return _frame(path, header, rows)


def read_equal_weight(path: Path) -> pd.DataFrame:
    """The "Equal Weight Returns -- Monthly" block of a portfolio file."""
    path = Path(path)
    for title, header, rows in blocks(path):
        if title == EQUAL_WEIGHT_MONTHLY:
            return _frame(path, header, rows)
    raise DataError(f"no block titled '{EQUAL_WEIGHT_MONTHLY}'", where=str(path),
                    fix="use a French portfolio file with value- and equal-weight blocks")
