"""A study's days on a price index: the study window, episode masks, the [validation] halves.

Masks are boolean arrays over the panel's trading days: (T,) or, where each horizon sees a
different set of days (clipped episodes, the in-sample half), (T, H). Everything here is
pure NumPy on the index and the parsed ``Study``; runner and the scorecard both use it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.errors import SpecError
from engine.signal_dtype import has_data
from engine.study.spec import Study

IN_SAMPLE = "in-sample"
OUT_OF_SAMPLE = "out-of-sample"


def horizon_days(study: Study) -> np.ndarray:
    """(H,) the study's horizons in trading days, int64."""
    return np.array([h.days for h in study.horizons], dtype=np.int64)


def window_mask(index: pd.DatetimeIndex, study: Study) -> np.ndarray:
    """(T,) the days inside [study] start .. end (at least two, else a SpecError)."""
    mask = np.ones(len(index), dtype=bool)
    if study.start:
        mask &= index >= pd.Timestamp(study.start)
    if study.end:
        mask &= index <= pd.Timestamp(study.end)
    if mask.sum() < 2:
        raise SpecError(
            f"the study window {study.start or '…'} .. {study.end or '…'} has no overlap with "
            f"target {study.target} ({index[0].date()} .. {index[-1].date()})",
            where=f"{study.path} [study.start/end]", fix="move the window inside the data")
    return mask


def any_data_in(values: np.ndarray, window: np.ndarray, block: int = 256) -> bool:
    """Whether any (T, K) signal value on a ``window`` day is data (``has_data``). Reads
    blocks of rows and stops at the first with data, instead of copying the window's rows of
    a matrix that can be GBs (a 20,000-variant sweep spent 3 s here)."""
    rows = np.flatnonzero(window)
    return any(has_data(values[rows[a:a + block]]).any() for a in range(0, len(rows), block))


def check_horizons(index: pd.DatetimeIndex, window: np.ndarray, study: Study,
                   where: str) -> None:
    """Every horizon needs at least one full forward window after the study start; otherwise
    its rows would all be empty (n = 0) with exit 0."""
    first = int(np.flatnonzero(window)[0])
    room = len(index) - 1 - first  # trading days from the first window day to the last price
    for h in study.horizons:
        if h.days > room:
            raise SpecError(
                f"horizon {h.label} ({h.days} trading days) is longer than the data after the "
                f"study start ({room} trading days, {index[first].date()} .. "
                f"{index[-1].date()}): no forward return can be measured", where=where,
                fix="choose a shorter horizon, or an earlier start")


def episode_masks(index: pd.DatetimeIndex, study: Study,
                  window: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """("all", window) then one mask per episode: (T,) or, for ``clip = true``, (T, H) with
    only the days whose forward window ends inside the episode."""
    horizons = horizon_days(study)
    out = [("all", window)]
    for ep in study.episodes:
        mask = window & (index >= pd.Timestamp(ep.start)) & (index <= pd.Timestamp(ep.end))
        if not mask.any():
            raise SpecError(
                f"episode '{ep.name}' ({ep.start} .. {ep.end}) is outside the data of target "
                f"{study.target} in the study window ({index[window][0].date()} .. "
                f"{index[window][-1].date()})",
                where=f"{study.path} [episodes]",
                fix="move the episode inside the data or remove it")
        out.append((ep.name, clip_episode_masks(mask, horizons) if ep.clip else mask))
    return out


def clip_episode_masks(mask: np.ndarray, horizons: np.ndarray) -> np.ndarray:
    """(T, H): days of ``mask`` whose h-day window, entered at the next close t+1 and left at
    close t+1+h, ends on or before the episode's last day (so no window runs past it)."""
    mask = np.asarray(mask, dtype=bool)
    days = np.flatnonzero(mask)
    out = np.zeros((len(mask), len(horizons)), dtype=bool)
    if days.size == 0:
        return out
    last = days[-1]
    t = np.arange(len(mask))[:, None]
    return mask[:, None] & (t + 1 + np.asarray(horizons, dtype=np.int64)[None, :] <= last)


def episode_tests(study: Study) -> list[bool]:
    """Which episodes get p, q and HAC t: the full sample, and episodes with ``test = true``
    (the [validation] halves are descriptive: their numbers sit in validation.parquet)."""
    halves = [False, False] if study.validation_split else []
    return [True] + [bool(e.test) for e in study.episodes] + halves


def split_masks(index: pd.DatetimeIndex, window: np.ndarray, split: pd.Timestamp,
                horizons: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(T, H) in-sample mask (window days before ``split`` whose h-day window also ends
    before it) and (T,) out-of-sample mask (window days from ``split`` on)."""
    before = window & (index < split)
    t = np.arange(len(index))[:, None]
    last = np.flatnonzero(before)
    end = last[-1] if last.size else -1
    ins = before[:, None] & (t + 1 + np.asarray(horizons, dtype=np.int64)[None, :] <= end)
    return ins, window & (index >= split)


def validation_episodes(index: pd.DatetimeIndex, study: Study,
                        window: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """The [validation] halves as two more episodes (in-sample clipped at the split)."""
    if not study.validation_split:
        return []
    ins, oos = split_masks(index, window, pd.Timestamp(study.validation_split),
                           horizon_days(study))
    if not ins.any() or not oos.any():
        raise SpecError(f"[validation] split {study.validation_split} leaves no in-sample or "
                        "no out-of-sample days with data", where=f"{study.path} [validation]",
                        fix="move the split inside the data window")
    return [(IN_SAMPLE, ins), (OUT_OF_SAMPLE, oos)]
