"""Point-in-time alignment: every series seen as it was known on each target trading day.

An observation dated at its period (e.g. CPI for 2024-03 dated 2024-03-01) becomes visible
only on its *availability date* = end of the period + the catalog's publication lag. The panel
is an as-of join of each dataset onto the target's trading days on that availability date.
Alignment lives here and nowhere else, so no signal can see a value before it was published.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from engine.data import datasets
from engine.data.catalog import Catalog, Entry, split_ref
from engine.errors import DataError

ALIASES = ("@target", "@benchmark")
# A value this many days past its availability date is no longer "the latest reading": the
# series has stopped (Shiller earnings end 2023-06) or skipped releases. Treat it as no data
# rather than carry it forward for years.
STALE_AFTER_DAYS = {"daily": 10, "weekly": 21, "monthly": 95, "quarterly": 190, "annual": 400,
                    "irregular": 190}


def period_end(dates: pd.DatetimeIndex, frequency: str) -> pd.DatetimeIndex:
    """Last day of the period each date stands for (daily, weekly and irregular dates are
    the period end: irregular rows are dated by their publication)."""
    if frequency == "monthly":
        return dates + pd.offsets.MonthEnd(0)
    if frequency == "quarterly":
        return dates + pd.offsets.QuarterEnd(0)
    return dates


def availability(dates: pd.DatetimeIndex, entry: Entry) -> pd.DatetimeIndex:
    """Date from which each observation was public: period end + ``lag_days``."""
    return period_end(pd.DatetimeIndex(dates), entry.frequency) + pd.Timedelta(days=entry.lag_days)


def asof_positions(avail: pd.DatetimeIndex, index: pd.DatetimeIndex) -> np.ndarray:
    """For each day in ``index``, the last observation available by then (-1: none)."""
    return np.searchsorted(_ns(avail), _ns(index), side="right") - 1


def _ns(dates: pd.DatetimeIndex) -> np.ndarray:
    """Integer nanoseconds: pandas 3 indexes come in s/ms/us/ns units, so never mix raw asi8."""
    return pd.DatetimeIndex(dates).as_unit("ns").asi8


class Panel:
    """The datasets a study reads, aligned on the target's trading days."""

    def __init__(
        self,
        index: pd.DatetimeIndex,
        frames: dict[str, pd.DataFrame],
        entries: dict[str, Entry],
        target: str,
        benchmark: str | None = None,
    ):
        self.index = pd.DatetimeIndex(index, name="date")
        self.frames = frames
        self.entries = entries
        self.target = target
        self.benchmark = benchmark
        self._daily_cache: dict[str, np.ndarray] = {}
        # per dataset: (period dates, as-of positions, stale days) of the last alignment; a
        # sweep aligns hundreds of statistics of one series, all on the same dates
        self._align_cache: dict[str, tuple[pd.Index, np.ndarray, np.ndarray | None]] = {}

    def resolve(self, ref: str) -> tuple[str, str]:
        """Map a reference (``id``, ``id:column``, ``@target``, ``@benchmark``) to (id, column)."""
        if ref == "@target":
            ref = self.target
        elif ref == "@benchmark":
            if self.benchmark is None:
                raise DataError("'@benchmark' used but the study has no benchmark",
                                where="study", fix="set [study] benchmark = \"index.GSPC\"")
            ref = self.benchmark
        id_, col = split_ref(ref)
        if id_ not in self.frames:
            raise DataError(f"dataset '{id_}' was not loaded into the panel", where=ref,
                            fix="declare it in the study or check the signal's series")
        frame = self.frames[id_]
        col = col or self.entries[id_].default_column
        if col not in frame.columns:
            raise DataError(f"dataset '{id_}' has no column '{col}'", where=ref,
                            fix=f"use one of {list(frame.columns)}")
        return id_, col

    def has(self, ref: str) -> bool:
        """Whether ``ref``'s dataset is loaded (an optional one the mirror lacks is not)."""
        return split_ref(ref)[0] in self.frames or ref in ("@target", "@benchmark")

    def native(self, ref: str) -> pd.Series:
        """Observations at their native frequency, indexed by period date, missing dropped."""
        id_, col = self.resolve(ref)
        return self.frames[id_][col].dropna()

    def align(self, values: pd.Series | pd.DataFrame, ref: str) -> np.ndarray:
        """As-of align values indexed by ``ref``'s period dates onto the trading days."""
        id_, _ = self.resolve(ref)
        pos, stale = self._positions(id_, values.index)
        arr = np.asarray(values.to_numpy(), dtype=np.float64)
        if len(arr):
            out = arr[np.clip(pos, 0, None)]
        else:
            out = np.full((len(pos), *arr.shape[1:]), np.nan)
        out = np.array(out, dtype=np.float64, copy=True)
        out[pos < 0] = np.nan
        if stale is not None:
            out[stale] = np.nan
        return out

    def _positions(self, id_: str, dates: pd.Index) -> tuple[np.ndarray, np.ndarray | None]:
        """For each trading day, the position of the last observation of ``dates`` public by
        then (-1: none), and the days whose last one is too old to count (None: no limit)."""
        hit = self._align_cache.get(id_)
        if hit is not None and hit[0].equals(dates):
            return hit[1], hit[2]
        avail = availability(pd.DatetimeIndex(dates), self.entries[id_])
        pos = asof_positions(avail, self.index)
        stale = None
        max_age = STALE_AFTER_DAYS.get(self.entries[id_].frequency)
        if max_age is not None and len(avail):
            age = _ns(self.index) - _ns(avail)[np.clip(pos, 0, None)]
            stale = age > pd.Timedelta(days=max_age).value
        self._align_cache[id_] = (dates, pos, stale)
        return pos, stale

    def daily(self, ref: str) -> np.ndarray:
        """The last published value on each trading day (NaN before the first one)."""
        key = ":".join(self.resolve(ref))
        if key not in self._daily_cache:
            self._daily_cache[key] = self.align(self.native(ref), ref)
        return self._daily_cache[key]

    def close(self, ref: str = "@target") -> np.ndarray:
        """Prices on the trading days, NaN where the series did not trade that exact day."""
        id_, col = self.resolve(ref)
        return self.frames[id_][col].reindex(self.index).to_numpy(np.float64)


def load_panel(
    catalog: Catalog,
    refs: Iterable[str],
    target: str,
    benchmark: str | None = None,
    mirror: Path | None = None,
) -> tuple[Panel, dict[str, datasets.DatasetMeta]]:
    """Load the target, benchmark and every referenced dataset, on the target's trading days."""
    ids = {target, *([benchmark] if benchmark else [])}
    for ref in refs:
        if ref in ALIASES:
            continue
        ids.add(split_ref(ref)[0])
    frames: dict[str, pd.DataFrame] = {}
    metas: dict[str, datasets.DatasetMeta] = {}
    for id_ in sorted(ids):
        entry = catalog.get(id_)
        if (datasets.unavailable(entry, mirror)
                and datasets.read_meta(catalog.parquet_path(id_)) is None):
            continue  # optional input the mirror lacks: Panel.has says so to the family
        frames[id_], metas[id_] = datasets.load(catalog, id_, mirror)
    tcol = catalog.get(target).default_column
    index = frames[target].index[frames[target][tcol].notna().to_numpy()]
    if len(index) < 2:
        raise DataError(f"target '{target}' has fewer than 2 prices", where=target,
                        fix="choose a target with daily price history")
    entries = {id_: catalog.get(id_) for id_ in frames}
    return Panel(index, frames, entries, target, benchmark), metas


# Units that mark a rate, a share or a flag, not a price: their "forward return" means nothing.
NOT_PRICE_UNITS = ("percent", "percentage", "fraction", "0/1", "ratio", "rate")
MAX_DAILY_GAP_DAYS = 5  # median calendar days between observations of a daily series


def check_price_series(panel: Panel, id_: str, role: str, where: str) -> None:
    """A target or benchmark must be a daily price series: returns over "1m" (21 trading
    days) of a quarterly series or of a yield would be silently wrong numbers."""
    entry = panel.entries[id_]
    col = entry.default_column
    values = panel.frames[id_][col].dropna()
    why = None
    if entry.frequency != "daily":
        why = f"it is {entry.frequency}"
    elif any(u in entry.units.lower() for u in NOT_PRICE_UNITS):
        why = f"its units are {entry.units!r}"
    elif len(values) > 1 and (gap := float(np.median(np.diff(_ns(values.index))))
                              / 86_400e9) > MAX_DAILY_GAP_DAYS:
        why = f"its observations are a median {gap:.0f} days apart"
    elif (values <= 0).any():
        why = f"its values are not positive (minimum {values.min():g})"
    if why:
        raise DataError(f"{role} '{id_}' is not a daily price series: {why}", where=where,
                        fix=f"choose a daily price series (an index or ETF close, e.g. index.RUT) "
                        f"as {role}; use '{id_}' as a signal input instead")
