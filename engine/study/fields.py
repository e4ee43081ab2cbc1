"""The primitives of study-file parsing: the error context, horizons, dates, key checks.

``spec`` (the study file) and ``rally_rules`` (its [rallies]/[analogs]/[case] tables) both
parse with these, and ``overrides`` checks command-line values with them, so every error
names the file and key (or option) the same way.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import SpecError

HORIZON_UNITS = {"d": 1, "w": 5, "m": 21, "y": 252}


@dataclass(frozen=True)
class Horizon:
    label: str
    days: int


class Ctx:
    """Carries the file name so every error says where it comes from."""

    def __init__(self, path: Path):
        self.path = path

    def fail(self, key: str, message: str, fix: str) -> SpecError:
        return SpecError(message, where=f"{self.path} [{key}]", fix=fix)


def parse_horizon(value: Any, ctx: Ctx, key: str = "study.horizons") -> Horizon:
    """'1m' -> 21 trading days, '2w' -> 10, '40d' or 40 -> 40."""
    if isinstance(value, bool):
        raise ctx.fail(key, f"horizon {value!r} is not a horizon", "use '1m', '3m', '40d' or 40")
    if isinstance(value, int):
        days, label = value, f"{value}d"
    elif isinstance(value, str) and (m := re.fullmatch(r"\s*(\d+)\s*([dwmy])\s*", value.lower())):
        days, label = int(m.group(1)) * HORIZON_UNITS[m.group(2)], value.strip().lower()
    else:
        raise ctx.fail(key, f"horizon {value!r} not understood",
                       "use trading days (40 or '40d'), weeks ('2w'=10d), months ('3m'=63d) "
                       "or years ('1y'=252d)")
    if days <= 0 or days > 2520:
        raise ctx.fail(key, f"horizon {value!r} gives {days} days",
                       "a horizon must be between 1 and 2520 trading days")
    return Horizon(label, days)


# The dates the engine can hold (nanosecond timestamps, as pandas stores them)
FIRST_DATE, LAST_DATE = dt.date(1677, 9, 22), dt.date(2262, 4, 11)


def parse_date(value: Any, ctx: Ctx, key: str) -> dt.date:
    """A YYYY-MM-DD date (a TOML date or a string) the engine can hold; ``key`` names it in
    the error (a study-file key, or a command-line option such as ``--start``)."""
    date = None
    if isinstance(value, dt.datetime):
        date = value.date()
    elif isinstance(value, dt.date):
        date = value
    elif isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        with contextlib.suppress(ValueError):
            date = dt.date.fromisoformat(value.strip())
    if date is None:
        raise ctx.fail(key, f"{value!r} is not a date", "write dates as \"YYYY-MM-DD\"")
    if not FIRST_DATE <= date <= LAST_DATE:
        raise ctx.fail(key, f"{date} is outside the dates this tool handles ({FIRST_DATE} .. "
                       f"{LAST_DATE})", "write a date as YYYY-MM-DD inside that range")
    return date


def check_keys(raw: dict, allowed: set[str], ctx: Ctx, key: str) -> None:
    """Refuse a key not in ``allowed`` (with a did-you-mean hint)."""
    for k in raw:
        if k not in allowed:
            close = difflib.get_close_matches(str(k), sorted(allowed), n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise ctx.fail(f"{key}.{k}" if key else str(k), f"unknown key '{k}'",
                           f"{hint}allowed keys: {', '.join(sorted(allowed))}")


