"""Earnings expectations, each row dated when the numbers were public (never earlier).

* FactSet *Earnings Insight* forward 12-month P/E (``date,fwd_pe_12m,avg_5y,avg_10y``, one
  report per row, irregular dates). Implied forward EPS = S&P 500 close / forward P/E, with
  the close of the report date (or the last session before it). The P/E is printed with one
  decimal, so the implied EPS carries up to +-0.3% rounding noise.
* S&P DJI estimate history (rwkopcke parquet): one column per vintage quarter
  (``2025-Q1``), each cell a struct ``{date, op_eps, rep_eps, ..., 12m_op_eps, yr_qtr}`` for
  a future quarter. The forward estimate of a vintage is the 4-quarter operating EPS ending
  three quarters after the vintage quarter (the horizon every vintage covers). A vintage is
  dated at the end of its quarter; the catalog adds the publication lag.
* Shiller's ``ie_data`` export: 6 title lines, then the header, a byte-order mark,
  thousands separators in quotes, and dates written ``YYYY.MM`` as numbers, so October is
  ``2024.1``: the fraction is read as text and right-padded ("1" -> "10"), never a number.
* S&P DJI earnings workbook (``sp-eps <date>.xlsx``), sheet ``QUARTERLY DATA``: actual EPS by
  quarter since 1988, newest first under a 3-line header; dates are datetimes or Excel serial
  numbers (46022 = 2025-12-31); the newest quarters are blank (still estimates).
* Survey of Professional Forecasters mean levels (``meanLevel.xlsx``, sheet ``CPROF``):
  corporate profits after tax, ``CPROF2`` = current quarter, ``CPROF6`` = four quarters
  later. The survey is released in the middle of the quarter's middle month; a survey is
  dated at the end of that month (a bound that is never early).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from engine.data.sources.csvfile import parse_dates, parse_numbers, read_table
from engine.errors import DataError


# ----------------------------------------------------------------------------- FactSet
def read_index_close(path: Path) -> pd.Series:
    """Daily close from a ``date,...,close`` (or ``Date,...,Close``) file, gzip allowed."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, EOFError) as exc:
        raise DataError(f"cannot read index closes ({exc})", where=str(path),
                        fix="restore the index file") from None
    cols = {c.lower(): c for c in frame.columns}
    if "date" not in cols or "close" not in cols:
        raise DataError(f"wrong columns {list(frame.columns)}; need date and close",
                        where=str(path), fix="use the index OHLC file as published")
    index = parse_dates(frame[cols["date"]].str.slice(0, 10), Path(path), cols["date"])
    return pd.Series(parse_numbers(frame[cols["close"]], Path(path), cols["close"]),
                     index=index).dropna()


def read_factset(paths: Sequence[Path]) -> pd.DataFrame:
    """``paths``: the FactSet CSV, then an S&P 500 daily close file.

    Columns: ``fwd_eps`` (implied forward 12-month EPS), ``fwd_pe``, ``price``."""
    if len(paths) != 2:
        raise DataError("forward EPS needs the FactSet P/E file and an S&P 500 close file",
                        where=", ".join(map(str, paths)), fix="list both in `file`")
    pe_path, px_path = Path(paths[0]), Path(paths[1])
    table = read_table(pe_path, expected=["date", "fwd_pe_12m", "avg_5y", "avg_10y"])
    index = parse_dates(table["date"], pe_path, "date")
    pe = parse_numbers(table["fwd_pe_12m"], pe_path, "fwd_pe_12m")
    if (pe <= 0).any():
        row = int(np.flatnonzero(pe <= 0)[0])
        raise DataError(f"row {row + 2}: forward P/E {pe[row]} is not positive",
                        where=str(pe_path), fix="P/E must be > 0 (leave blank if unknown)")
    close = read_index_close(px_path)
    pos = np.searchsorted(close.index.as_unit("ns").asi8, index.as_unit("ns").asi8,
                          side="right") - 1
    price = np.where(pos >= 0, close.to_numpy()[np.clip(pos, 0, None)], np.nan)
    # a report after the last close has no price yet: NaN, never a stale price
    age = (index - close.index[np.clip(pos, 0, None)]).days.to_numpy()
    price = np.where(age <= 5, price, np.nan)
    return pd.DataFrame({"fwd_eps": price / pe, "fwd_pe": pe, "price": price}, index=index)


# ----------------------------------------------------------------------------- S&P DJI
def _quarter_start(label: str, where: str) -> pd.Timestamp:
    try:
        year, q = label.split("-Q")
        return pd.Timestamp(year=int(year), month=3 * int(q) - 2, day=1)
    except (ValueError, AttributeError):
        raise DataError(f"column {label!r} is not a quarter like 2025-Q1", where=where,
                        fix="use the estimates parquet as published") from None


def read_spdji_estimates(path: Path) -> pd.DataFrame:
    """Forward 4-quarter operating and reported EPS estimate per vintage quarter.

    Index: vintage quarter start (quarterly). Columns ``op_eps_4q``, ``rep_eps_4q``."""
    path = Path(path)
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise DataError(f"cannot read the estimates parquet ({exc})", where=str(path),
                        fix="restore the file") from None
    vintages, op, rep = [], [], []
    for name in table.column_names:  # ~35 vintages; each cell is a nested struct
        start = _quarter_start(name, str(path))
        col = table.column(name)
        if not pa.types.is_struct(col.type):
            raise DataError(f"column {name!r} is {col.type}, expected a struct per quarter",
                            where=str(path), fix="use the estimates parquet as published")
        cells = [c for c in col.to_pylist() if c]
        want = start + pd.offsets.QuarterBegin(3, startingMonth=1)
        label = f"{want.year}-Q{want.quarter}"
        hit = [c for c in cells if c.get("yr_qtr") == label]
        vintages.append(start)
        op.append(hit[0].get("12m_op_eps") if hit else np.nan)
        rep.append(hit[0].get("12m_rep_eps") if hit else np.nan)
    frame = pd.DataFrame({"op_eps_4q": np.asarray(op, dtype=np.float64),
                          "rep_eps_4q": np.asarray(rep, dtype=np.float64)},
                         index=pd.DatetimeIndex(vintages, name="date"))
    if frame.index.has_duplicates:
        raise DataError("a vintage quarter appears twice", where=str(path),
                        fix="use the estimates parquet as published")
    return frame.sort_index()


# ----------------------------------------------------------------------------- Shiller
IE_COLUMNS = {"P": "price", "D": "dividend", "E": "earnings", "CPI": "cpi", "CAPE": "cape"}


def shiller_month(text: pd.Series, path: Path) -> pd.DatetimeIndex:
    """``2024.1`` -> 2024-10-01 and ``2024.01`` -> 2024-01-01: the fraction is a month string."""
    parts = text.str.strip().str.extract(r"^(\d{4})\.(\d{1,2})$")
    bad = parts[0].isna().to_numpy().copy()
    month = parts[1].str.ljust(2, "0")
    bad |= ~month.isin([f"{m:02d}" for m in range(1, 13)]).to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(f"Date row {row + 8}: {text.iloc[row]!r} is not YYYY.MM",
                        where=str(path), fix="dates must be YYYY.MM (October = YYYY.1)")
    return pd.DatetimeIndex(pd.to_datetime(parts[0] + "-" + month + "-01"), name="date")


def read_ie_data(path: Path) -> pd.DataFrame:
    """Monthly price, dividend, earnings, CPI and CAPE; rows without a date are dropped."""
    path = Path(path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, skiprows=6, header=None,
                          encoding="utf-8-sig")
    except (OSError, pd.errors.ParserError, UnicodeDecodeError, EOFError) as exc:
        raise DataError(f"cannot read ie_data ({exc})", where=str(path),
                        fix="restore the CSV export of ie_data.xls") from None
    header = [str(c).strip() for c in raw.iloc[0]]
    need = ["Date", *IE_COLUMNS]
    if [h for h in need if h not in header]:
        raise DataError(f"header {header[:8]} lacks {need}", where=str(path),
                        fix="the 7th line must be the column header (Date,P,D,E,CPI,...)")
    body = raw.iloc[1:]
    body.columns = header
    body = body[body["Date"].str.strip() != ""]
    index = shiller_month(body["Date"], path)
    data = {name: parse_numbers(body[col].str.replace(",", "", regex=False), path, col)
            for col, name in IE_COLUMNS.items()}
    out = pd.DataFrame(data, index=index)
    if out.index.has_duplicates:
        dup = out.index[out.index.duplicated()][0]
        raise DataError(f"month {dup:%Y-%m} appears twice", where=str(path),
                        fix="check the YYYY.MM dates (October is YYYY.1)")
    return out


# ----------------------------------------------------------------------------- SPF
def read_spf_cprof(path: Path) -> pd.DataFrame:
    """Mean SPF corporate-profit forecasts, dated at the end of the survey's middle month.

    Columns ``cprof_growth_4q`` = 100 * (CPROF6 / CPROF2 - 1), ``cprof_current`` = CPROF2."""
    path = Path(path)
    try:
        sheet = pd.read_excel(path, sheet_name="CPROF", engine="calamine")
    except (OSError, ValueError, ImportError) as exc:
        raise DataError(f"cannot read sheet CPROF ({exc})", where=str(path),
                        fix="restore meanLevel.xlsx; reading needs python-calamine") from None
    return cprof_from_sheet(sheet, path)


def cprof_from_sheet(sheet: pd.DataFrame, path: Path) -> pd.DataFrame:
    """The ``CPROF`` sheet (``YEAR,QUARTER,CPROF1..6,...``) as dated forecasts."""
    need = ["YEAR", "QUARTER", "CPROF2", "CPROF6"]
    if [c for c in need if c not in sheet.columns]:
        raise DataError(f"sheet CPROF lacks {need}", where=str(path),
                        fix="use the SPF meanLevel workbook as published")
    year = pd.to_numeric(sheet["YEAR"], errors="coerce")
    q = pd.to_numeric(sheet["QUARTER"], errors="coerce")
    ok = year.notna() & q.between(1, 4)
    month = (3 * q[ok] - 1).astype(int)
    dates = pd.to_datetime({"year": year[ok].astype(int), "month": month, "day": 1}) \
        + pd.offsets.MonthEnd(0)
    cur = pd.to_numeric(sheet.loc[ok, "CPROF2"], errors="coerce").to_numpy(np.float64)
    ahead = pd.to_numeric(sheet.loc[ok, "CPROF6"], errors="coerce").to_numpy(np.float64)
    return pd.DataFrame({"cprof_growth_4q": (ahead / cur - 1.0) * 100.0, "cprof_current": cur},
                        index=pd.DatetimeIndex(dates, name="date"))


# ----------------------------------------------------------------------------- S&P DJI workbook
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
QUARTERLY_SHEET = "QUARTERLY DATA"


def excel_date(cell: object) -> pd.Timestamp | None:
    """A workbook date cell: a datetime, or an Excel serial day number (46022 = 2025-12-31)."""
    if isinstance(cell, pd.Timestamp | np.datetime64) or hasattr(cell, "year"):
        ts = pd.Timestamp(cell)
        return None if pd.isna(ts) else ts.normalize()
    if isinstance(cell, int | float | np.integer | np.floating) and not isinstance(cell, bool) \
            and 20000 <= float(cell) <= 80000 and float(cell) == int(cell):
        return EXCEL_EPOCH + pd.Timedelta(days=int(cell))
    return None


def read_spdji_quarterly(path: Path) -> pd.DataFrame:
    """Sheet ``QUARTERLY DATA`` of the S&P DJI earnings workbook (actuals since 1988)."""
    path = Path(path)
    try:
        sheet = pd.read_excel(path, sheet_name=QUARTERLY_SHEET, header=None, dtype=object,
                              engine="calamine")
    except (OSError, ValueError, ImportError) as exc:
        raise DataError(f"cannot read sheet {QUARTERLY_SHEET!r} ({exc})", where=str(path),
                        fix="restore the sp-eps workbook; reading needs python-calamine") from None
    return quarterly_from_sheet(sheet, path)


def quarterly_from_sheet(sheet: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Actual operating / reported EPS by quarter end; the newest quarters, still estimates
    in the report, are blank there and stay NaN (never the estimate).

    Columns ``op_eps_12m`` (sum of the last 4 quarters, NaN unless all 4 are actuals),
    ``op_eps``, ``rep_eps``, ``price``. Index: quarter start (quarterly)."""
    first = sheet.iloc[:, 0]
    header = [i for i, v in enumerate(first) if str(v).strip().upper() == "END"]
    if not header or sheet.shape[1] < 8:
        raise DataError(f"sheet {QUARTERLY_SHEET!r} has no 'QUARTER END' header row",
                        where=str(path), fix="use the S&P DJI sp-eps workbook as published")
    body = sheet.iloc[header[0] + 1:]
    dates = [excel_date(v) for v in body.iloc[:, 0]]
    n = next((i for i, d in enumerate(dates) if d is None), len(dates))
    if n == 0:
        raise DataError(f"sheet {QUARTERLY_SHEET!r}: no quarter-end dates under the header",
                        where=str(path), fix="dates must be dates or Excel serial numbers")
    body = body.iloc[:n]
    idx = pd.DatetimeIndex(dates[:n]).to_period("Q").start_time

    def num(col: int) -> np.ndarray:
        return pd.to_numeric(body.iloc[:, col], errors="coerce").to_numpy(np.float64)

    out = pd.DataFrame({"op_eps": num(1), "rep_eps": num(2), "price": num(7)},
                       index=pd.DatetimeIndex(idx, name="date"))
    out = out[~out.index.duplicated(keep="first")].sort_index()  # newest first in the sheet
    out.insert(0, "op_eps_12m", out["op_eps"].rolling(4, min_periods=4).sum())
    return out
