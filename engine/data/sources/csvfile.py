"""Strict CSV reading shared by every source: columns, dates and numbers checked, never guessed.

Why strict: a silently mis-parsed date or a blank read as zero produces wrong numbers that
look plausible. Every problem is reported with the file, the column and the first bad row.
"""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from engine.errors import DataError

MISSING_TOKENS = frozenset({"", ".", "NA", "N/A", "NaN", "nan", "null", "#N/A"})


def _head_lines(path: Path, n: int = 6) -> list[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8-sig", errors="replace", newline="") as fh:
            return [line.rstrip("\r\n") for _, line in zip(range(n), fh, strict=False)]
    except (OSError, EOFError):
        return []


def yfinance_header(path: Path) -> tuple[int, list[str]] | None:
    """Detect a yfinance "multi-index" CSV and return (header lines, column names).

    yfinance writes 2-4 header lines: ``Price,<fields>`` / ``Ticker,<tickers>`` (once or
    twice) / ``Date,,,`` and then ``date,values``. The first line names the fields. One trap:
    files saved from ``download(auto_adjust=False)`` by some tools write the adjusted close
    under a second ``Price`` (``Price,Price,Close,High,...``): that column is ``Adj Close``.
    Returns None for an ordinary one-line header.
    """
    lines = _head_lines(Path(path))
    if len(lines) < 3 or not lines[0].startswith("Price,") or not lines[1].startswith("Ticker,"):
        return None
    n = 1
    while n < len(lines) and lines[n].startswith("Ticker,"):
        n += 1
    if n >= len(lines) or lines[n].split(",")[0] != "Date" or any(lines[n].split(",")[1:]):
        return None
    fields = [f.strip() for f in lines[0].split(",")]
    fields[0] = "Date"
    if len(fields) > 2 and fields[1] == "Price" and "Close" in fields[2:]:
        fields[1] = "Adj Close"
    if len(set(fields)) != len(fields):
        return None
    return n + 1, fields


def read_table(path: Path, expected: Sequence[str] | None = None,
               header: str = "plain") -> pd.DataFrame:
    """Read a CSV as strings, checking it exists, is not empty and has the expected columns.

    ``header="yfinance"`` accepts a yfinance multi-row header (see ``yfinance_header``) as
    well as a plain one; ``"plain"`` reads the first line as the header.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(
            "file not found",
            where=str(path),
            fix="check the mirror directory (--mirror or STUDY_DATA_MIRROR) and the catalog's "
            "`file` entry",
        )
    multi = yfinance_header(path) if header == "yfinance" else None
    options = {} if multi is None else {"skiprows": multi[0], "header": None, "names": multi[1]}
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True,
                            encoding="utf-8-sig", **options)
    except pd.errors.EmptyDataError:
        raise DataError("file is empty", where=str(path),
                        fix="re-download or restore the file") from None
    except (OSError, EOFError) as exc:  # a damaged or mislabelled .gz
        raise DataError(f"cannot decompress ({exc})", where=str(path),
                        fix="restore the file (a .gz must be gzip-compressed)") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(f"not a readable CSV ({exc})", where=str(path),
                        fix="check the file is comma-separated text") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if expected is not None and list(frame.columns) != list(expected):
        raise DataError(
            f"wrong columns {list(frame.columns)}; expected {list(expected)}",
            where=str(path),
            fix="use the file as published by the source, or import it with "
            "`study data import` naming the date and value columns",
        )
    if frame.empty:
        raise DataError("file has a header but no rows", where=str(path),
                        fix="re-download or restore the file")
    return frame


# Dates the engine can hold (nanosecond timestamps) and how far ahead a date may lie: a row
# dated years ahead is a typo or a forecast, never a published value.
FIRST_DATE, LAST_DATE = pd.Timestamp("1677-09-22"), pd.Timestamp("2262-04-11")
FUTURE_DAYS = 366


def parse_dates(values: pd.Series, path: Path, column: str,
                fmt: str | None = None) -> pd.DatetimeIndex:
    """Parse dates strictly; report the first unparsable value with its row number.

    One UTC offset for every row is dropped (the calendar date is kept); mixed offsets,
    dates outside 1677-2262 and dates more than a year ahead are refused.
    """
    text = values.astype(str).str.strip()
    try:
        parsed = pd.to_datetime(text, format=fmt or "ISO8601", errors="coerce")
    except ValueError as exc:
        if "timezone" in str(exc).lower():
            raise DataError(f"column '{column}': mixed time-zone offsets ({exc})",
                            where=str(path), fix="give plain dates (YYYY-MM-DD), or the same "
                            "offset on every row") from None
        raise DataError(f"column '{column}': date format {fmt!r} not understood "
                        f"(--date-format: {exc})", where=str(path),
                        fix="give a strftime format such as %d/%m/%Y or %Y%m%d") from None
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)  # one offset for all rows: keep the local date
    bad = parsed.isna().to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"column '{column}' row {row + 2}: cannot parse date {text.iloc[row]!r}",
            where=str(path),
            fix=f"dates must look like {'YYYY-MM-DD' if fmt is None else fmt}",
        )
    outside = ((parsed < FIRST_DATE) | (parsed > LAST_DATE)).to_numpy()
    if outside.any():
        row = int(np.flatnonzero(outside)[0])
        raise DataError(
            f"column '{column}' row {row + 2}: date {text.iloc[row]!r} is outside the dates "
            f"this tool handles ({FIRST_DATE.date()} .. {LAST_DATE.date()})", where=str(path),
            fix="fix the year of that row")
    future = (parsed > pd.Timestamp.now().normalize() + pd.Timedelta(days=FUTURE_DAYS))
    if future.to_numpy().any():
        row = int(np.flatnonzero(future.to_numpy())[0])
        raise DataError(
            f"column '{column}' row {row + 2}: date {text.iloc[row]!r} is in the future "
            f"(more than {FUTURE_DAYS} days ahead)", where=str(path),
            fix="fix the year of that row; a value cannot be published before its date")
    index = pd.DatetimeIndex(parsed, name="date").as_unit("ns")
    if index.has_duplicates:
        dup = index[index.duplicated()][0]
        raise DataError(
            f"column '{column}': duplicate date {dup.date()}",
            where=str(path),
            fix="each date must appear once; remove the repeated row",
        )
    if not index.is_monotonic_increasing:
        pos = int(np.flatnonzero(np.diff(index.asi8) < 0)[0])
        raise DataError(
            f"column '{column}': dates not sorted ({index[pos].date()} comes before "
            f"{index[pos + 1].date()} at row {pos + 3})",
            where=str(path),
            fix="sort the file by date, oldest first",
        )
    return index


def parse_numbers(values: pd.Series, path: Path, column: str) -> np.ndarray:
    """Parse floats; blanks and FRED's '.' are missing (NaN), other non-numbers are errors."""
    text = values.astype(str).str.strip()
    missing = text.isin(MISSING_TOKENS).to_numpy()
    numbers = pd.to_numeric(text.where(~missing, None), errors="coerce").to_numpy(dtype=np.float64)
    bad = np.isnan(numbers) & ~missing
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"column '{column}' row {row + 2}: non-numeric value {text.iloc[row]!r}",
            where=str(path),
            fix="values must be numbers; leave a cell empty for a missing value",
        )
    infinite = np.isinf(numbers)  # "inf", "Infinity" or an overflow like 1e999
    if infinite.any():
        row = int(np.flatnonzero(infinite)[0])
        raise DataError(
            f"column '{column}' row {row + 2}: not a finite number {text.iloc[row]!r}",
            where=str(path),
            fix="values must be finite numbers; leave a cell empty for a missing value",
        )
    return numbers


def tidy(
    path: Path,
    frame: pd.DataFrame,
    date_col: str,
    columns: dict[str, str],
    date_format: str | None = None,
) -> pd.DataFrame:
    """Turn a string frame into the tidy form: DatetimeIndex ``date`` and named float columns."""
    for raw in [date_col, *columns]:
        if raw not in frame.columns:
            raise DataError(
                f"missing column '{raw}' (has {list(frame.columns)})",
                where=str(path),
                fix="name the right column (e.g. --date-col/--value-col) or fix the header",
            )
    index = parse_dates(frame[date_col], path, date_col, date_format)
    data = {name: parse_numbers(frame[raw], path, raw) for raw, name in columns.items()}
    out = pd.DataFrame(data, index=index)
    if out.notna().sum().sum() == 0:
        raise DataError("file has no numeric values at all", where=str(path),
                        fix="check the value column")
    return out
