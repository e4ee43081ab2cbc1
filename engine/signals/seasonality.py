"""Calendar families: the Santa Claus window, January and the turn of the month.

They read no data: only the target's trading days. Their windows are known in advance, so
the engine enters at the close *before* a window's first day (``known_in_advance``): a
horizon equal to the window length then measures the window itself (Santa Claus: 7 days).
"Last N trading days of a month" needs the month's remaining trading days; inside the data
they come from the index itself, and for the incomplete months at either end they are
projected with the exchange holiday calendar (the schedule is public in advance, so this is
not look-ahead).
"""

from __future__ import annotations

import functools

import numpy as np

from engine.lazy import pandas as pd
from engine.signals.base import Param, family
from engine.signals.helpers import n_variants


@functools.cache
def exchange_holidays():
    """NYSE full-day holidays (regular rules only; one-off closures are not predictable).

    Built on first use, so that importing the family registry needs no pandas (#15)."""
    from pandas.tseries.holiday import (
        AbstractHolidayCalendar,
        GoodFriday,
        Holiday,
        USLaborDay,
        USMartinLutherKingJr,
        USMemorialDay,
        USPresidentsDay,
        USThanksgivingDay,
        nearest_workday,
        sunday_to_monday,
    )

    class ExchangeHolidays(AbstractHolidayCalendar):
        rules = [  # noqa: RUF012 - pandas reads a class attribute
            Holiday("New Year", month=1, day=1, observance=sunday_to_monday),
            USMartinLutherKingJr, USPresidentsDay, GoodFriday, USMemorialDay,
            Holiday("Juneteenth", month=6, day=19, start_date="2022-01-01",
                    observance=nearest_workday),
            Holiday("Independence Day", month=7, day=4, observance=nearest_workday),
            USLaborDay, USThanksgivingDay,
            Holiday("Christmas", month=12, day=25, observance=nearest_workday),
        ]

    return ExchangeHolidays()


def _projected_days(start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
    if end < start:
        return pd.DatetimeIndex([])
    days = pd.bdate_range(start, end)
    return days.difference(exchange_holidays().holidays(start, end))


def month_positions(index: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(month 1-12, trading days since the month's first, trading days until its last).

    Both counts are 0 on the first / last trading day of the month.
    """
    index = pd.DatetimeIndex(index)
    if len(index) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    first, last = index[0], index[-1]
    before = _projected_days(first.to_period("M").start_time, first - pd.Timedelta(days=1))
    after = _projected_days(last + pd.Timedelta(days=1),
                            last.to_period("M").end_time.normalize())
    full = before.append(index).append(after)
    code = (full.year * 12 + full.month).to_numpy()
    _, start_pos, counts = np.unique(code, return_index=True, return_counts=True)
    group = np.searchsorted(code[start_pos], code)
    pos = np.arange(len(full))
    since = pos - start_pos[group]
    until = start_pos[group] + counts[group] - 1 - pos
    keep = slice(len(before), len(before) + len(index))
    return index.month.to_numpy(), since[keep], until[keep]


def _broadcast(on: np.ndarray) -> np.ndarray:
    return on.astype(np.float64)


@family(
    "seasonality.santa_claus",
    params=(Param("before", "int", 5, min=0, max=10, help="last trading days of December"),
            Param("after", "int", 2, min=0, max=10, help="first trading days of January")),
    data=lambda grid: [],
    known_in_advance=True,
)
def santa_claus(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """Santa Claus window: the last `before` (5) trading days of December and the first
    `after` (2) trading days of January (Hirsch's definition). Data: none (calendar only,
    so no publication lag).
    """
    month, since, until = month_positions(panel.index)
    before = grid["before"][None, :]
    after = grid["after"][None, :]
    on = (((month == 12)[:, None] & (until[:, None] < before))
          | ((month == 1)[:, None] & (since[:, None] < after)))
    return _broadcast(on)


@family("seasonality.january", params=(), data=lambda grid: [], known_in_advance=True)
def january(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """January: on every trading day in January.

    Data: none (calendar only, so no publication lag).
    """
    month = pd.DatetimeIndex(panel.index).month.to_numpy()
    on = np.repeat((month == 1)[:, None], n_variants(grid), axis=1)
    return _broadcast(on)


def _check_turn(grid: dict) -> str | None:
    both_zero = (np.asarray(grid["before"]) == 0) & (np.asarray(grid["after"]) == 0)
    if both_zero.any():
        return "before and after cannot both be 0 (the window would be empty)"
    return None


@family(
    "seasonality.turn_of_month",
    params=(Param("before", "int", 1, min=0, max=10, help="last trading days of a month"),
            Param("after", "int", 3, min=0, max=10, help="first trading days of a month")),
    data=lambda grid: [],
    check=_check_turn,
    known_in_advance=True,
)
def turn_of_month(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """Turn of the month: the last `before` trading days of each month and the first `after`
    of the next. Data: none (calendar only, so no publication lag).
    """
    _, since, until = month_positions(panel.index)
    on = (until[:, None] < grid["before"][None, :]) | (since[:, None] < grid["after"][None, :])
    return _broadcast(on)
