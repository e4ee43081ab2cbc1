"""FOMC families: trading days around the Fed's policy decisions.

Data: ``fomc.decisions`` (one row per decision day; ``meeting`` = 1.0, ``scheduled`` = 1.0
for a scheduled meeting, 0.0 for an unscheduled one, NaN where the meeting list cannot tell,
i.e. before 1981; see ``engine.data.sources.fomc``). A decision is placed on the first
trading day of the target on or after its date (the Sunday 2020-03-15 cut on Monday 16th).

Both families start on 1994-02-04, the FOMC's first post-meeting statement: before it the
Committee announced nothing, markets inferred a decision days or weeks later from the
desk's operations, so a "decision day" was no public event (NaN before). They stop after
the last decision in the data: whether a later meeting came is unknown there (NaN).

Two timings, one per family:

* ``fomc.meeting_window`` uses **scheduled meetings only**: their dates are published a year
  ahead, so the window is known in advance and the engine enters at the close before its
  first day (like the calendar families). Unscheduled meetings (2019-10-04, the March 2020
  calls and cuts) were not known in advance and never open a window;
* ``fomc.post_decision`` uses every decision (or only scheduled / unscheduled ones); it is
  known only once the statement is out, so it is an ordinary signal: on from the decision day
  (statements come at 14:00 ET, before the close) and the engine enters at the next close.
"""

from __future__ import annotations

import numpy as np

from engine.lazy import pandas as pd
from engine.signals.base import Param, family
from engine.signals.helpers import per_group

FIRST_STATEMENT = np.datetime64("1994-02-04")  # numpy, so importing the registry needs no pandas
DECISIONS = Param("decisions", "series", "fomc.decisions",
                  help="FOMC decision days (columns meeting, scheduled)")


def decision_days(panel, ref: str) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """(decision dates, scheduled flag 1/0/NaN) of the event dataset ``ref``."""
    id_, _ = panel.resolve(ref)
    frame = panel.frames[id_]
    on = frame["meeting"].to_numpy(dtype=np.float64) > 0
    sched = (frame["scheduled"].to_numpy(dtype=np.float64) if "scheduled" in frame.columns
             else np.full(len(frame), np.nan))
    return pd.DatetimeIndex(frame.index[on]), sched[on]


def window_flags(index: pd.DatetimeIndex, days: pd.DatetimeIndex, keep: np.ndarray,
                 unknown: np.ndarray, start: int, stop: int, last: pd.Timestamp | None,
                 ) -> np.ndarray:
    """1.0 on the trading days from ``start`` to ``stop`` (offsets in trading days, inclusive)
    around each decision with ``keep``; NaN around decisions with ``unknown``, before
    FIRST_STATEMENT and after ``stop`` trading days past ``last`` (the data's last decision);
    0.0 elsewhere. Vectorized: +1/-1 marks at window ends, cumulated."""
    t = len(index)
    pos = np.searchsorted(index.to_numpy(), days.to_numpy(), side="left")

    def cover(mask: np.ndarray) -> np.ndarray:
        lo = np.clip(pos[mask] + start, 0, t)
        hi = np.clip(pos[mask] + stop + 1, 0, t)
        marks = np.zeros(t + 1, dtype=np.int64)
        np.add.at(marks, lo, 1)
        np.add.at(marks, hi, -1)
        return np.cumsum(marks[:t]) > 0

    out = cover(keep).astype(np.float64)
    out[cover(unknown)] = np.nan
    out[np.asarray(index < FIRST_STATEMENT)] = np.nan
    end = t if last is None else int(np.searchsorted(index.to_numpy(), last.to_datetime64(),
                                                     side="left")) + stop + 1
    out[max(end, 0):] = np.nan
    return out


@family(
    "fomc.meeting_window",
    params=(DECISIONS,
            Param("before", "int", 0, min=0, max=10,
                  help="trading days before a scheduled decision day"),
            Param("after", "int", 0, min=0, max=10,
                  help="trading days after a scheduled decision day")),
    known_in_advance=True,
    quantity="trading days from a scheduled FOMC decision",
)
def meeting_window(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """Scheduled FOMC meeting window: on from `before` trading days before a scheduled
    decision day to `after` trading days after it (the decision day included; defaults 0/0 =
    the decision day alone, the close-to-close day of Lucca and Moench's pre-FOMC drift).

    Known in advance (the schedule is published a year ahead), so the engine enters at the
    close before the window's first day: a horizon of before + after + 1 days measures the
    window itself. Unscheduled meetings never open a window. Data: `decisions` (default
    fomc.decisions: scheduled from 1981 by the eight-a-year rule plus a hand-checked list of
    unscheduled meetings 2019-2020). Lag: none (a public calendar). NaN before 1994-02-04
    (no statements), around meetings the list cannot classify and after the last decision
    in the data.
    """
    def flags(decisions: str, before: int, after: int) -> np.ndarray:
        days, sched = decision_days(panel, decisions)
        last = days[-1] if len(days) else None
        return window_flags(panel.index, days, sched == 1.0, np.isnan(sched),
                            -int(before), int(after), last)

    return per_group(grid, ("decisions", "before", "after"), flags)


@family(
    "fomc.post_decision",
    params=(DECISIONS,
            Param("skip", "int", 0, min=0, max=20,
                  help="trading days after the decision day before the window opens"),
            Param("days", "int", 5, min=1, max=63, help="trading days the window lasts"),
            Param("meetings", "str", "all", choices=("all", "scheduled", "unscheduled"),
                  help="which decisions open a window")),
    quantity="trading days since an FOMC decision",
)
def post_decision(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """After an FOMC decision: on for `days` trading days starting `skip` trading days after
    the decision day (skip 0 = from the decision day itself).

    Not known in advance (an unscheduled decision is news), so it is an ordinary signal: the
    statement is public at 14:00 ET on the decision day and the engine enters at the next
    close. `meetings` = scheduled / unscheduled keeps only those decisions (NaN around the
    others' windows where the list cannot tell). The meeting list before 2019 holds the
    scheduled meetings only: the seven intermeeting moves of 1994-2008 (1994-04-18,
    1998-10-15, 2001-01-03, 2001-04-18, 2001-09-17, 2008-01-22, 2008-10-08, the only steps
    of the daily target fred.DFEDTAR off a listed meeting) open no window, so "all" means
    scheduled there. Data: `decisions` (default fomc.decisions). Lag: none (the statement's
    day). NaN before 1994-02-04 (no statements)
    and after the last decision in the data (a later one is not known there).
    """
    def flags(decisions: str, skip: int, days: int, meetings: str) -> np.ndarray:
        dates, sched = decision_days(panel, decisions)
        last = dates[-1] if len(dates) else None
        if meetings == "all":
            keep, unknown = np.ones(len(dates), dtype=bool), np.zeros(len(dates), dtype=bool)
        else:
            keep = sched == (1.0 if meetings == "scheduled" else 0.0)
            unknown = np.isnan(sched)
        return window_flags(panel.index, dates, keep, unknown, int(skip),
                            int(skip) + int(days) - 1, last)

    return per_group(grid, ("decisions", "skip", "days", "meetings"), flags)
