"""Splice several raw files of one series into one, checking that they agree where they overlap.

Why: no single public file holds a century of S&P 500 closes up to last week, so a dataset is
built from an ordered list of files (the catalog's ``file`` then its ``splice`` parts). The rule,
the same for every dataset:

* the first file gives every date it lists (empty rows such as FRED's holidays stay empty);
* each later file contributes only the dates **after** the running end (an extension) and the
  dates an earlier file lists but leaves empty (a hole, e.g. the all-``null`` RUT row of
  2020-10-02); dates it lists inside the earlier span that the earlier file does not list
  are *not* taken (counted as ``extra_dates``);
* on every date both carry a value they must agree: ``|later - earlier| <= tolerance *
  |earlier|``. Otherwise the build fails, naming both files, the date and both values, and
  nothing is written (the old Parquet stays as it was).

The report (stored in the Parquet metadata, shown by ``study data show ID --source``) says
which file covers which dates, how many overlapping days were compared, the largest relative
gap and where, and the calendar gaps of a daily series.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from engine.errors import DataError

# A daily series skips at most 4 calendar days in a normal week (Friday to Tuesday after a
# Monday holiday); longer gaps are listed so a missing month cannot hide.
DAILY_GAP_DAYS = 4
MAX_GAPS_LISTED = 25


def _day(ts: pd.Timestamp) -> str:
    return str(pd.Timestamp(ts).date())


def splice(parts: Sequence[tuple[str, pd.DataFrame]], tolerance: float,
           frequency: str = "daily") -> tuple[pd.DataFrame, dict]:
    """Join ``(file label, tidy frame)`` parts in order; return the frame and its report."""
    label0, first = parts[0]
    acc = first.sort_index()
    origin = np.zeros(len(acc), dtype=np.int64)  # index into parts: who gave each row
    overlap_rows, worst = 0, {"relative_gap": 0.0}
    part_stats = [{"file": label0, "rows_in_file": int(acc.notna().any(axis=1).sum()),
                   "extra_dates": 0, "holes_filled": [], "overlap_rows": 0}]
    for k, (label, frame) in enumerate(parts[1:], start=1):
        frame = frame.reindex(columns=acc.columns).sort_index()
        listed = frame.notna().any(axis=1).to_numpy()
        frame = frame[listed]
        common = acc.index.intersection(frame.index)
        a = acc.loc[common].to_numpy(np.float64)
        b = frame.loc[common].to_numpy(np.float64)
        both = ~np.isnan(a) & ~np.isnan(b)
        scale = np.maximum(np.abs(a), 1e-12)
        gap = np.where(both, np.abs(b - a) / scale, 0.0)
        n_overlap = int(both.any(axis=1).sum())
        overlap_rows += n_overlap
        if gap.size and gap.max() > tolerance:
            r, c = np.unravel_index(int(np.argmax(gap > tolerance)), gap.shape)
            day = common[r]
            src = parts[int(origin[acc.index.get_loc(day)])][0]
            raise DataError(
                f"spliced files disagree on {_day(day)} column '{acc.columns[c]}': {src} has "
                f"{float(a[r, c])!r}, {label} has {float(b[r, c])!r} "
                f"(relative gap {gap[r, c]:.3g} > tolerance {tolerance:g}); "
                "the built dataset was left unchanged",
                where=label,
                fix="check which file is wrong (dividend-adjusted vs price, another index, a "
                "newer revision) and fix the catalog's file/splice list or its tolerance")
        if gap.size and gap.max() > worst["relative_gap"]:
            r, c = np.unravel_index(int(np.argmax(gap)), gap.shape)
            worst = {"relative_gap": float(gap[r, c]), "date": _day(common[r]),
                     "column": str(acc.columns[c]), "files": [
                         parts[int(origin[acc.index.get_loc(common[r])])][0], label],
                     "values": [float(a[r, c]), float(b[r, c])]}
        empty = acc.isna().all(axis=1)
        holes = common[empty.loc[common].to_numpy() & ~np.isnan(b).all(axis=1)]
        end = acc.index[-1] if len(acc) else pd.Timestamp.min
        new = frame.index[frame.index > end]
        inside = frame.index[frame.index <= end]
        part_stats.append({"file": label, "rows_in_file": len(frame),
                           "extra_dates": len(inside.difference(acc.index)),
                           "holes_filled": [_day(d) for d in holes],
                           "overlap_rows": n_overlap})
        if len(holes):
            acc.loc[holes] = frame.loc[holes].to_numpy()
            origin[acc.index.get_indexer(holes)] = k
        if len(new):
            acc = pd.concat([acc, frame.loc[new]])
            origin = np.concatenate([origin, np.full(len(new), k, dtype=np.int64)])
    if acc.index.has_duplicates:  # cannot happen by construction; a guard, not a rule
        dup = acc.index[acc.index.duplicated()][0]
        raise DataError(f"splice produced duplicate date {_day(dup)}",
                        where=label0, fix="report this as a bug")
    for k, stats in enumerate(part_stats):
        mine = acc.index[origin == k]
        stats["rows_used"] = len(mine)
        stats["ranges"] = ranges(origin, acc.index, k)
    report = {"parts": part_stats, "overlap_rows": overlap_rows, "tolerance": tolerance,
              "largest_gap": worst, **gaps(acc.index, frequency)}
    return acc, report


def ranges(origin: np.ndarray, index: pd.DatetimeIndex, k: int) -> list[list[str]]:
    """Contiguous runs of rows that part ``k`` gave, as ``[first, last, rows]``."""
    mine = origin == k
    if not mine.any():
        return []
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mine.astype(np.int8), [0]])))
    return [[_day(index[s]), _day(index[e - 1]), int(e - s)]
            for s, e in zip(edges[::2], edges[1::2], strict=True)]


def gaps(index: pd.DatetimeIndex, frequency: str = "daily") -> dict:
    """Calendar gaps longer than a normal week's in a daily series (none listed otherwise)."""
    if frequency != "daily" or len(index) < 2:
        return {"gaps": [], "gaps_total": 0}
    days = np.diff(pd.DatetimeIndex(index).as_unit("ns").asi8) // (86_400 * 10**9)
    where = np.flatnonzero(days > DAILY_GAP_DAYS)
    listed = [[_day(index[i]), _day(index[i + 1]), int(days[i])]
              for i in where[np.argsort(-days[where], kind="stable")][:MAX_GAPS_LISTED]]
    return {"gaps": listed, "gaps_total": len(where)}
