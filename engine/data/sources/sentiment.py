"""Survey sentiment and risk indices published as date-indexed CSV tables.

* AAII investor sentiment (weekly, Thursday): ``Date,Bullish,Neutral,Bearish,Spread,...`` in
  percent; the file also carries three copies of the S&P 500 close (``SP500_Price_x/_y``,
  a merge artefact) and a moving average, which are not AAII data and are dropped.
* NAAIM exposure (weekly, Wednesday): ``Date,NAAIM,NAAIM_MA20,...``. The file lists two dates
  twice (e.g. 2006-07-05 as 19.44 and 19.444...): a repeated date is accepted only when the
  values agree to the published two decimals, and the more precise (last) row is kept.
* CBOE put/call (shoppa ``market_regime``): ``pc_equity_raw``, ``pc_index_raw`` per day.
* CBOE volatility indices (heliar, 27 series): one column per index, empty before it existed.
* OFR Financial Stress Index: ``OFR_FSI`` and its components.
* Baker-Bloom-Davis daily EPU: separate ``day,month,year`` columns.

Values keep their published units (percent, index points); column names are lower-cased.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from engine.data.sources.csvfile import parse_numbers, read_table, tidy
from engine.errors import DataError


def _lower(columns: list[str]) -> dict[str, str]:
    return {c: c.strip().lower() for c in columns}


def read_table_wide(path: Path, date_col: str, drop: tuple[str, ...] = ()) -> pd.DataFrame:
    """Every other column of a date-indexed table as floats, names lower-cased."""
    frame = read_table(path)
    if date_col not in frame.columns:
        raise DataError(f"missing column '{date_col}' (has {list(frame.columns)[:8]})",
                        where=str(path), fix="use the file as published")
    cols = [c for c in frame.columns if c != date_col and c not in drop]
    return tidy(path, frame, date_col, _lower(cols))


def read_aaii(path: Path) -> pd.DataFrame:
    path = Path(path)
    frame = read_table(path)
    need = ["Date", "Bullish", "Neutral", "Bearish", "Spread"]
    if frame.columns[:5].tolist() != need:
        raise DataError(f"wrong columns {list(frame.columns)[:6]}; expected {need} first",
                        where=str(path), fix="use the AAII sentiment file as published")
    return tidy(path, frame, "Date", _lower(need[1:]))


def read_naaim(path: Path) -> pd.DataFrame:
    path = Path(path)
    frame = read_table(path)
    if frame.columns[:2].tolist() != ["Date", "NAAIM"]:
        raise DataError(f"wrong columns {list(frame.columns)[:4]}; expected ['Date', 'NAAIM']",
                        where=str(path), fix="use the NAAIM exposure file as published")
    dates = frame["Date"].str.strip()
    values = parse_numbers(frame["NAAIM"], path, "NAAIM")
    dup = dates.duplicated(keep=False).to_numpy()
    if dup.any():
        group = pd.Series(values[dup]).groupby(dates[dup].to_numpy())
        spread = (group.max() - group.min())
        bad = spread[spread > 0.005 + 1e-9]
        if len(bad):
            raise DataError(f"date {bad.index[0]} listed twice with different values",
                            where=str(path), fix="keep one row per date")
    keep = ~dates.duplicated(keep="last").to_numpy()
    out = tidy(path, frame[keep].reset_index(drop=True), "Date", {"NAAIM": "naaim"})
    return out


def read_putcall(path: Path) -> pd.DataFrame:
    path = Path(path)
    frame = read_table(path)
    need = ["pc_equity_raw", "pc_index_raw"]
    missing = [c for c in ["date", *need] if c not in frame.columns]
    if missing:
        raise DataError(f"missing columns {missing}", where=str(path),
                        fix="use the market_regime file as published")
    out = tidy(path, frame, "date", {"pc_equity_raw": "equity", "pc_index_raw": "index"})
    return out.mask(out <= 0)  # a ratio of volumes is > 0; 0 is a day without data


def read_wide(path: Path) -> pd.DataFrame:
    """CBOE vol indices, OFR FSI: a ``date`` column and one column per series."""
    return read_table_wide(Path(path), "date")


def read_epu(path: Path) -> pd.DataFrame:
    path = Path(path)
    frame = read_table(path)
    need = ["day", "month", "year", "daily_policy_index"]
    if frame.columns.tolist() != need:
        raise DataError(f"wrong columns {frame.columns.tolist()}; expected {need}",
                        where=str(path), fix="use the daily EPU file as published")
    parts = {k: pd.to_numeric(frame[k], errors="coerce") for k in need[:3]}
    dates = pd.to_datetime(pd.DataFrame(parts), errors="coerce")
    if dates.isna().any():
        row = int(np.flatnonzero(dates.isna().to_numpy())[0])
        raise DataError(f"row {row + 2}: day/month/year is not a date "
                        f"({frame.iloc[row, :3].tolist()})", where=str(path),
                        fix="day, month and year must form a calendar date")
    iso = pd.DataFrame({"date": dates.dt.strftime("%Y-%m-%d"),
                        "epu": frame["daily_policy_index"]})
    return tidy(path, iso, "date", {"epu": "epu"})


GPR_COLUMNS = {"GPRD": "gprd", "GPRD_ACT": "gprd_act", "GPRD_THREAT": "gprd_threat",
               "N10D": "n10d"}


def read_gpr(path: Path) -> pd.DataFrame:
    """Caldara-Iacoviello daily GPR, a legacy BIFF ``.xls`` (read with python-calamine).

    ``DAY`` is ``YYYYMMDD`` as a number. The sheet's first rows also hold a variable legend in
    ``var_name``/``var_label`` (text, not data) and the moving averages ``GPRD_MA7/MA30`` and
    the ``event`` notes are derived columns: all are ignored.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError("file not found", where=str(path),
                        fix="check the mirror directory and the catalog's `file` entry")
    try:
        sheet = pd.read_excel(path, engine="calamine", dtype=object)
    except ImportError:
        raise DataError("reading .xls needs python-calamine", where=str(path),
                        fix="pip install 'python-calamine>=0.2'") from None
    except Exception as exc:  # calamine raises its own error types for a damaged workbook
        raise DataError(f"not a readable Excel workbook ({exc})", where=str(path),
                        fix="restore the .xls as published") from None
    missing = [c for c in ["DAY", *GPR_COLUMNS] if c not in sheet.columns]
    if missing:
        raise DataError(f"missing columns {missing} (has {list(sheet.columns)[:10]})",
                        where=str(path), fix="use the daily GPR workbook as published")
    text = sheet[["DAY", *GPR_COLUMNS]].astype(str).apply(lambda col: col.str.strip())
    text["DAY"] = text["DAY"].str.replace(r"\.0$", "", regex=True)
    return tidy(path, text, "DAY", GPR_COLUMNS, date_format="%Y%m%d")
