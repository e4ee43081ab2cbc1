"""FOMC decision dates: an event dataset (column ``meeting`` = 1.0 on each decision day).

Three mirror files, three layouts (detected from the first line, nothing else is accepted):

* ``fomc_meeting_dates_1936-2021.csv``: one ISO date a line, no header. It lists every
  meeting, conference calls included (2020-03-19, 2020-03-31, 2020-08-27 have no statement);
* ``fed_statements_minutes_2020-2026_heliar.csv.gz``: ``id,date,title,url,body,kind`` with
  ``date`` as ``YYYYMMDD``; only ``kind == statement`` rows are decisions (minutes are
  published three weeks later and are not decision days);
* ``fomc_meeting_dates_2024-2026.csv``: ``event_date,event_name,event_type``.

``combine`` joins them: the old list up to the first statement (2020-01-29), then the
statements (which alone cover 2022-2023). The overlaps are checked: every statement of
2020-2021 must be a meeting of the old list, and the 2024-2026 list must equal the statements
on the dates both span; a disagreement fails the build naming the file and the dates.

Column ``scheduled`` (1.0 scheduled meeting, 0.0 unscheduled, NaN cannot be told) says
whether the meeting's date was public in advance (the FOMC publishes its eight regular
meetings a year ahead). Rules, one per file:

* the old list: from 1981 the FOMC holds eight scheduled meetings a year, and the list has
  exactly eight in every year 1981-2018, none of the intermeeting moves (1994-04-18,
  2001-01-03, 2008-01-22 ...): those years are scheduled. A year with more entries is
  scheduled only once the hand-checked ``UNSCHEDULED`` dates in it are removed and eight
  remain (2019: the 2019-10-04 call; 2020: five calls); before 1981 the count varies
  (9-13 a year) and nothing can be told: NaN;
* the statements file: every statement is a scheduled meeting's except the ``UNSCHEDULED``
  ones it holds (2020-03-03, 2020-03-15, 2020-03-23), each of which must be in the file;
* the 2024-2026 calendar lists scheduled meetings only: 1.0.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from engine.data.sources.csvfile import parse_dates, read_table
from engine.data.splice import ranges
from engine.errors import DataError

STATEMENT_COLUMNS = ["id", "date", "title", "url", "body", "kind"]
CALENDAR_COLUMNS = ["event_date", "event_name", "event_type"]


# Unscheduled FOMC meetings of 2019-2026 (federalreserve.gov/monetarypolicy/fomccalendars.htm
# marks each "unscheduled"; the first three issued statements, the rest were conference calls).
UNSCHEDULED = pd.DatetimeIndex(["2019-10-04", "2020-03-03", "2020-03-15", "2020-03-19",
                                "2020-03-23", "2020-03-31", "2020-08-27"])
# The unscheduled meetings that were conference calls without a statement.
CALLS_WITHOUT_STATEMENT = pd.DatetimeIndex(["2019-10-04", "2020-03-19", "2020-03-31",
                                            "2020-08-27"])
SCHEDULED_PER_YEAR = 8
FIRST_EIGHT_A_YEAR = 1981  # from 1981 the FOMC schedules eight regular meetings a year


def _events(dates: pd.DatetimeIndex, scheduled: np.ndarray | None = None) -> pd.DataFrame:
    flag = np.ones(len(dates)) if scheduled is None else np.asarray(scheduled, dtype=float)
    return pd.DataFrame({"meeting": np.ones(len(dates)), "scheduled": flag}, index=dates)


def scheduled_from_counts(dates: pd.DatetimeIndex) -> np.ndarray:
    """The old list's rule: 1.0 in a year from 1981 whose meetings, less the hand-checked
    ``UNSCHEDULED`` ones (0.0), are exactly eight; NaN in every other year."""
    dates = pd.DatetimeIndex(dates)
    unscheduled = dates.isin(UNSCHEDULED)
    years = dates.year.to_numpy()
    uniq, inv = np.unique(years, return_inverse=True)
    regular = np.bincount(inv, weights=(~unscheduled).astype(float))
    ok = (uniq >= FIRST_EIGHT_A_YEAR) & (regular == SCHEDULED_PER_YEAR)
    return np.where(ok[inv], np.where(unscheduled, 0.0, 1.0), np.nan)


def read(path: Path) -> pd.DataFrame:
    path = Path(path)
    frame = read_table(path)
    cols = list(frame.columns)
    if cols == STATEMENT_COLUMNS:
        rows = frame[frame["kind"].str.strip() == "statement"]
        if rows.empty:
            raise DataError("no row with kind 'statement'", where=str(path),
                            fix="use the statements file as published (kind column)")
        dates = parse_dates(rows["date"].reset_index(drop=True), path, "date", "%Y%m%d")
        listed = UNSCHEDULED[(dates.min() <= UNSCHEDULED) & (dates.max() >= UNSCHEDULED)]
        unscheduled = dates.isin(UNSCHEDULED)
        absent = listed.difference(dates[unscheduled])
        called = absent.difference(CALLS_WITHOUT_STATEMENT)
        if len(called):
            raise DataError(
                f"unscheduled FOMC statements {[str(d.date()) for d in called]} are not in "
                "the file", where=str(path),
                fix="use the statements file as published, or correct UNSCHEDULED in "
                "engine/data/sources/fomc.py")
        return _events(dates, np.where(unscheduled, 0.0, 1.0))
    if cols == CALENDAR_COLUMNS:
        return _events(parse_dates(frame["event_date"], path, "event_date"))
    if len(cols) == 1:  # headerless: the "column name" is the first date
        column = pd.concat([pd.Series([cols[0]]), frame.iloc[:, 0]], ignore_index=True)
        dates = parse_dates(column, path, "line")
        return _events(dates, scheduled_from_counts(dates))
    raise DataError(f"unknown FOMC file layout (columns {cols[:6]})", where=str(path),
                    fix="expected one date a line, or the columns "
                    f"{CALENDAR_COLUMNS} or {STATEMENT_COLUMNS}")


def combine(parts: Sequence[tuple[str, pd.DataFrame]], tolerance: float = 0.0,
            frequency: str = "daily") -> tuple[pd.DataFrame, dict]:
    """Join the meeting lists: each later list replaces the earlier on the span it covers.

    On the span both cover, a later list must agree with the earlier: equal date sets, except
    that the earlier may hold extra meetings without a decision (conference calls), which are
    dropped and listed in the report. A later list with a decision the earlier lacks fails.
    """
    label0, acc = parts[0]
    acc = acc.assign(_part=0)
    stats = [{"file": label0, "rows_in_file": len(acc)}]
    for k, (label, frame) in enumerate(parts[1:], start=1):
        frame = frame.assign(_part=k)
        lo, hi = max(acc.index[0], frame.index[0]), min(acc.index[-1], frame.index[-1])
        old = acc.index[(acc.index >= lo) & (acc.index <= hi)]
        new = frame.index[(frame.index >= lo) & (frame.index <= hi)]
        missing = new.difference(old)
        if len(missing):
            raise DataError(
                f"FOMC lists disagree: {label} has decision days "
                f"{[str(d.date()) for d in missing[:5]]} that "
                f"{stats[-1]['file']} lacks on the span both cover ({lo.date()} .. {hi.date()})",
                where=label, fix="check the dates against federalreserve.gov and fix the file "
                "order in the catalog")
        dropped = old.difference(new)
        stats.append({"file": label, "rows_in_file": len(frame), "overlap_rows": len(new),
                      "dropped_from_earlier": [str(d.date()) for d in dropped]})
        acc = pd.concat([acc[acc.index < frame.index[0]], frame,
                         acc[acc.index > frame.index[-1]]])
    for k, part in enumerate(stats):
        part["ranges"] = ranges(acc["_part"].to_numpy(), acc.index, k)
        part["rows_used"] = int((acc["_part"] == k).sum())
    acc = acc.drop(columns="_part")
    return acc, {"parts": stats, "overlap_rows": sum(s.get("overlap_rows", 0) for s in stats)}

