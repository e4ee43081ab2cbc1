"""Real-time (first-release) macro data: ALFRED GDP releases and Philadelphia Fed vintages.

Why: today's revised values shifted by a fixed lag show numbers that were not known then
(benchmark revisions) and show them too early when a release slipped (Q4-2018 GDP, the 2025
shutdown). These readers index every value by the date it was published.

* GDP releases (``gdpc1_releases_first_second_third.csv``): one row per quarter with the
  first/second/third release dates. ALFRED's history starts in 1991-12, so earlier quarters
  carry a backfilled "release" date years later: a release more than ``MAX_RELEASE_LAG_DAYS``
  after its quarter began is not a real release and is dropped; when several quarters share
  one release date (a benchmark re-publication) only the newest quarter is kept.
* Philadelphia RTDSM workbooks: one column per vintage (``EMPLOY24M3`` = March 2024 vintage,
  ``CPI24Q1`` = 2024Q1 vintage), rows ``YYYY:MM`` or ``YYYY:Qn``, missing ``#N/A``. The Fed
  takes monthly vintages in the middle of the month and quarterly ones in the middle of the
  quarter's middle month; a vintage is dated here at the END of that month, a bound that is
  never early (exact vintage dates are not in the mirror).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from engine.data.sources.csvfile import MISSING_TOKENS, parse_dates, parse_numbers, read_table
from engine.errors import DataError

MAX_RELEASE_LAG_DAYS = 300
STAGES = ("first", "second", "third")
VINTAGE = re.compile(r"^([A-Z]+?)(\d{2})([MQ])(\d{1,2})$")
OBS = re.compile(r"^(\d{4}):(?:(\d{2})|Q([1-4]))$")


# ----------------------------------------------------------------------------- GDP releases
def read_gdp_release(path: Path, stage: str) -> pd.DataFrame:
    """Real GDP at its ``stage`` release, indexed by that release's date.

    Columns: ``growth_saar`` (q/q SAAR %, computed within the release's own vintage),
    ``level`` (chained 2017 USD bn), ``quarter`` (YYYYQ)."""
    table = read_table(path)
    need = ["observation_date", f"{stage}_release_date", f"{stage}_release",
            f"qoq_saar_growth_alfred_{stage}_pct"]
    missing = [c for c in need if c not in table.columns]
    if missing:
        raise DataError(f"missing columns {missing}", where=str(path),
                        fix="use the ALFRED first/second/third release panel as published")
    obs = parse_dates(table["observation_date"], path, "observation_date")
    rel_txt = table[f"{stage}_release_date"].str.strip()
    keep = (rel_txt != "").to_numpy().copy()
    rel = pd.DatetimeIndex(pd.to_datetime(rel_txt.where(keep, None), format="ISO8601",
                                          errors="coerce"))
    if rel[keep].isna().any():
        row = int(np.flatnonzero(keep & rel.isna())[0])
        raise DataError(f"row {row + 2}: cannot parse {stage}_release_date {rel_txt.iloc[row]!r}",
                        where=str(path), fix="dates must be YYYY-MM-DD")
    lag = (rel - obs).days.to_numpy(dtype=np.float64)
    keep &= lag <= MAX_RELEASE_LAG_DAYS
    frame = pd.DataFrame({
        "growth_saar": parse_numbers(table[f"qoq_saar_growth_alfred_{stage}_pct"], path,
                                     f"qoq_saar_growth_alfred_{stage}_pct"),
        "level": parse_numbers(table[f"{stage}_release"], path, f"{stage}_release"),
        "quarter": (obs.year * 10 + obs.quarter).to_numpy(np.float64),
    }, index=pd.DatetimeIndex(rel, name="date"))[keep]
    frame = frame[~frame.index.duplicated(keep="last")]  # rows are oldest quarter first
    return frame.sort_index()


def read_gdp_first(path: Path) -> pd.DataFrame:
    """The advance (first) estimates: a one-argument reader for the source registry."""
    return read_gdp_release(Path(path), "first")


def read_gdp_second(path: Path) -> pd.DataFrame:
    return read_gdp_release(Path(path), "second")


def read_gdp_third(path: Path) -> pd.DataFrame:
    return read_gdp_release(Path(path), "third")


# ----------------------------------------------------------------------------- Philadelphia
@dataclass(frozen=True)
class Vintages:
    """A real-time data set: ``values`` is (observations x vintages), ``dates[j]`` is the
    day vintage j was public (a bound, see the module doc)."""

    values: pd.DataFrame  # index: observation period start; columns: vintage names
    dates: pd.DatetimeIndex

    def as_of(self, day: str | pd.Timestamp) -> pd.Series:
        """The whole history as published in the newest vintage public on ``day``."""
        pos = int(np.searchsorted(self.dates.asi8, pd.Timestamp(day).as_unit("ns").value,
                                  side="right")) - 1
        if pos < 0:
            return pd.Series(dtype=np.float64, name=None)
        return self.values.iloc[:, pos].dropna()


def vintage_date(name: str, where: str) -> pd.Timestamp:
    """``EMPLOY24M3`` -> 2024-03-31; ``CPI24Q1`` -> 2024-02-29 (end of the middle month)."""
    m = VINTAGE.match(name)
    if not m:
        raise DataError(f"column {name!r} is not a vintage name like EMPLOY24M3 or CPI24Q1",
                        where=where, fix="use the Philadelphia Fed workbook as published")
    yy, kind, n = int(m.group(2)), m.group(3), int(m.group(4))
    year = 1900 + yy if yy >= 40 else 2000 + yy
    month = n if kind == "M" else 3 * n - 1
    if not 1 <= month <= 12:
        raise DataError(f"column {name!r}: bad period {n}", where=where,
                        fix="months 1-12, quarters 1-4")
    return pd.Timestamp(year=year, month=month, day=1) + pd.offsets.MonthEnd(0)


def obs_dates(values: pd.Series, where: str) -> pd.DatetimeIndex:
    """``1939:01`` -> 1939-01-01; ``1947:Q2`` -> 1947-04-01."""
    text = values.astype(str).str.strip()
    parts = text.str.extract(OBS)
    bad = parts[0].isna().to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(f"DATE row {row + 2}: {text.iloc[row]!r} is not YYYY:MM or YYYY:Qn",
                        where=where, fix="use the Philadelphia Fed workbook as published")
    month = parts[1].astype(float).fillna(parts[2].astype(float) * 3 - 2).astype(int)
    return pd.DatetimeIndex(pd.to_datetime(
        {"year": parts[0].astype(int), "month": month, "day": 1}), name="date")


def read_vintages(path: Path) -> Vintages:
    """Read a RTDSM workbook (``#N/A`` = missing) into a :class:`Vintages`."""
    path = Path(path)
    try:
        sheet = pd.read_excel(path, dtype=object, engine="calamine")
    except (OSError, ValueError, ImportError) as exc:
        raise DataError(f"cannot read the workbook ({exc})", where=str(path),
                        fix="restore the .xlsx; reading needs python-calamine") from None
    return vintages_from_sheet(sheet, path)


def vintages_from_sheet(sheet: pd.DataFrame, path: Path) -> Vintages:
    """The workbook's sheet (``DATE`` + one column per vintage) as :class:`Vintages`."""
    if "DATE" not in sheet.columns:
        raise DataError(f"no DATE column (has {list(sheet.columns)[:4]} ...)", where=str(path),
                        fix="use the Philadelphia Fed workbook as published")
    index = obs_dates(sheet["DATE"], str(path))
    names = [c for c in sheet.columns if c != "DATE"]
    dates = pd.DatetimeIndex([vintage_date(str(c), str(path)) for c in names])
    if not dates.is_monotonic_increasing:
        raise DataError("vintage columns are not in date order", where=str(path),
                        fix="use the workbook as published")
    values = pd.DataFrame(_numbers(sheet[names], path), index=index, columns=names)
    return Vintages(values, dates.as_unit("ns"))


def _numbers(block: pd.DataFrame, path: Path) -> np.ndarray:
    """Whole-sheet number parsing: ``#N/A`` and blanks are missing, anything else must be a
    number (reported with its cell)."""
    cells = pd.Series(block.to_numpy(dtype=object).ravel())
    nums = pd.to_numeric(cells, errors="coerce").to_numpy(np.float64)
    text = cells.astype(object).where(cells.notna(), "").map(str).str.strip()
    bad = np.isnan(nums) & ~text.isin(MISSING_TOKENS).to_numpy()
    if bad.any():
        r, c = divmod(int(np.flatnonzero(bad)[0]), block.shape[1])
        raise DataError(f"column {block.columns[c]!r} row {r + 2}: non-numeric "
                        f"{text.iloc[r * block.shape[1] + c]!r}",
                        where=str(path), fix="values must be numbers or #N/A")
    return nums.reshape(block.shape)


def first_release(vintages: Vintages) -> pd.DataFrame:
    """One row per vintage, dated when it was public: its newest observation, as first
    published, and changes computed *within* that vintage.

    Columns: ``value``, ``change`` (vs the previous observation in the same vintage),
    ``pct_yoy`` (vs 12 months earlier, same vintage), ``obs`` (YYYYMM of the observation).
    """
    v = vintages.values.to_numpy()
    have = ~np.isnan(v)
    if not have.any():
        raise DataError("workbook has no values", where="vintages", fix="check the file")
    n_obs = len(v)
    last = np.where(have.any(0), n_obs - 1 - have[::-1].argmax(0), -1)
    cols = np.arange(v.shape[1])
    ok = last >= 0
    newest = np.where(ok, v[np.clip(last, 0, None), cols], np.nan)
    idx = pd.DatetimeIndex(vintages.values.index)
    step = 12 if len(idx) > 1 and (idx[1] - idx[0]).days < 40 else 4

    def back(k: int) -> np.ndarray:
        pos = last - k
        return np.where(ok & (pos >= 0), v[np.clip(pos, 0, None), cols], np.nan)

    obs = pd.DatetimeIndex(vintages.values.index)[np.clip(last, 0, None)]
    out = pd.DataFrame({
        "value": newest, "change": newest - back(1),
        "pct_yoy": (newest / back(step) - 1.0) * 100.0,
        "obs": (obs.year * 100 + obs.month).to_numpy(np.float64),
    }, index=pd.DatetimeIndex(vintages.dates, name="date"))[ok]
    # the first vintage holds decades of history at once: only its newest value counts
    return out[~out.index.duplicated(keep="last")]


def read_first(path: Path) -> pd.DataFrame:
    return first_release(read_vintages(path))
