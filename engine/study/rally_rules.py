"""The ``[rallies]``, ``[analogs]`` and ``[case]`` tables of a study file, validated.

A rally starts on the first day the rule is met: the rally series (the target, or the target
over the benchmark for a relative rally) closes at least ``gain`` above its lowest close of the
last ``low_window`` trading days, that low being at most ``within`` days old. Only closes up to
the start are used, so the start is knowable on its own day. ``[rallies.sustained]`` says which
rallies lasted: the rally series still up more than ``min_return`` after ``horizon`` and never
more than ``max_giveback`` below its running peak (from the entry) inside that horizon.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.study.fields import Ctx, Horizon, check_keys, parse_horizon

RALLY_KEYS = {"series", "gain", "low_window", "within", "min_gap", "sustained"}
SUSTAINED_KEYS = {"horizon", "min_return", "max_giveback"}
ANALOG_KEYS = {"k", "distance", "horizon", "features", "exclude_recent"}
FEATURE_KEYS = {"name", "series", "transform", "days"}
CASE_KEYS = {"lookback", "scorecard", "high_window", "breakout_window"}
DISTANCES = ("euclidean", "manhattan")
TRANSFORMS = ("level", "change", "return", "relative_return")
SERIES_KINDS = ("relative", "target")
SIX_MONTHS = Horizon("6m", 126)


@dataclass(frozen=True)
class SustainRule:
    horizon: Horizon
    min_return: float = 0.0
    max_giveback: float = 0.10

    def describe(self) -> str:
        return (f"sustained = rally series up more than {self.min_return:.0%} after "
                f"{self.horizon.label} ({self.horizon.days} trading days) and never more than "
                f"{self.max_giveback:.0%} below its peak since the start within that horizon")


@dataclass(frozen=True)
class RallyRule:
    series: str = "relative"
    gain: float = 0.08
    low_window: int = 126
    within: int = 63
    min_gap: int = 126
    sustained: SustainRule = SustainRule(SIX_MONTHS)

    def describe(self, target: str, benchmark: str | None) -> str:
        line = f"{target} / {benchmark}" if self.series == "relative" else target
        return (f"rally = {line} closes >= {self.gain:.0%} above its lowest close of the last "
                f"{self.low_window} trading days, that low at most {self.within} days old; "
                f"start = first such day (entry at the next close); a new rally needs "
                f"{self.min_gap} days since the last start")


@dataclass(frozen=True)
class Feature:
    name: str
    series: str
    transform: str = "level"
    days: int = 0

    def describe(self) -> str:
        if self.transform == "level":
            return f"{self.series} (last value published)"
        if self.transform == "relative_return":
            return f"target return minus benchmark return over {self.days} days"
        return f"{self.transform} of {self.series} over {self.days} days"


@dataclass(frozen=True)
class AnalogRule:
    k: int = 5
    distance: str = "euclidean"
    horizon: Horizon = SIX_MONTHS
    features: tuple[Feature, ...] = ()
    exclude_recent: int = 0  # also skip candidate dates this close to the query date


@dataclass(frozen=True)
class CaseRule:
    lookback: int = 63
    scorecard: str | None = "rally-scorecard"
    high_window: int = 252
    breakout_window: int = 504


@dataclass(frozen=True)
class Anatomy:
    rallies: RallyRule | None
    analogs: AnalogRule | None
    case: CaseRule


def parse_anatomy(raw: dict, ctx: Ctx, benchmark: str | None) -> Anatomy:
    """Parse the optional tables; every error names the file and key."""
    rallies = _rallies(raw["rallies"], ctx, benchmark) if "rallies" in raw else None
    analogs = _analogs(raw["analogs"], ctx, benchmark) if "analogs" in raw else None
    return Anatomy(rallies, analogs, _case(raw.get("case", {}), ctx))


def _table(value: Any, ctx: Ctx, key: str) -> dict:
    if not isinstance(value, dict):
        raise ctx.fail(key, "must be a table", f"write [{key}] with key = value lines")
    return value


def _num(raw: dict, name: str, default: float, ctx: Ctx, key: str, lo: float,
         hi: float) -> float:
    value = raw.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
        raise ctx.fail(f"{key}.{name}", f"{name} = {value!r} not allowed",
                       f"use a number from {lo:g} to {hi:g}")
    return float(value)


def _count(raw: dict, name: str, default: int, ctx: Ctx, key: str, lo: int, hi: int) -> int:
    value = raw.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ctx.fail(f"{key}.{name}", f"{name} = {value!r} not allowed",
                       f"use an integer from {lo} to {hi}")
    return value


def _choice(raw: dict, name: str, default: str, choices: tuple, ctx: Ctx, key: str) -> str:
    value = raw.get(name, default)
    if value not in choices:
        raise ctx.fail(f"{key}.{name}", f"{name} = {value!r} not allowed",
                       f"use one of {list(choices)}")
    return value


def _rallies(value: Any, ctx: Ctx, benchmark: str | None) -> RallyRule:
    raw = _table(value, ctx, "rallies")
    check_keys(raw, RALLY_KEYS, ctx, "rallies")
    series = _choice(raw, "series", "relative", SERIES_KINDS, ctx, "rallies")
    if series == "relative" and benchmark is None:
        raise ctx.fail("rallies.series", "a relative rally needs a benchmark",
                       "set [study] benchmark = \"index.GSPC\" or series = \"target\"")
    low_window = _count(raw, "low_window", 126, ctx, "rallies", 2, 2520)
    within = _count(raw, "within", 63, ctx, "rallies", 1, 2520)
    if within >= low_window:
        raise ctx.fail("rallies.within", f"within = {within} must be below low_window = "
                       f"{low_window}", "the low must lie inside the trailing window")
    sraw = _table(raw.get("sustained", {}), ctx, "rallies.sustained")
    check_keys(sraw, SUSTAINED_KEYS, ctx, "rallies.sustained")
    sustained = SustainRule(
        horizon=parse_horizon(sraw.get("horizon", "6m"), ctx, "rallies.sustained.horizon"),
        min_return=_num(sraw, "min_return", 0.0, ctx, "rallies.sustained", -1.0, 10.0),
        max_giveback=_num(sraw, "max_giveback", 0.10, ctx, "rallies.sustained", 0.0, 1.0))
    return RallyRule(
        series=series, gain=_num(raw, "gain", 0.08, ctx, "rallies", 0.001, 10.0),
        low_window=low_window, within=within,
        min_gap=_count(raw, "min_gap", 126, ctx, "rallies", 1, 2520), sustained=sustained)


def _analogs(value: Any, ctx: Ctx, benchmark: str | None) -> AnalogRule:
    raw = _table(value, ctx, "analogs")
    check_keys(raw, ANALOG_KEYS, ctx, "analogs")
    feats_raw = raw.get("features")
    if not isinstance(feats_raw, list) or not feats_raw:
        raise ctx.fail("analogs.features", "analogs need a non-empty list of features",
                       "features = [{ name = \"rel-63d\", series = \"@target\", "
                       "transform = \"relative_return\", days = 63 }]")
    features: list[Feature] = []
    for i, f in enumerate(feats_raw):
        key = f"analogs.features[{i}]"
        f = _table(f, ctx, key)
        check_keys(f, FEATURE_KEYS, ctx, key)
        name = f.get("name")
        if not isinstance(name, str) or not name or name in {x.name for x in features}:
            raise ctx.fail(f"{key}.name", f"feature name {name!r} missing or repeated",
                           "give each feature a unique name")
        series = f.get("series", "@target")
        if not isinstance(series, str) or not series:
            raise ctx.fail(f"{key}.series", f"series {series!r} not a dataset reference",
                           "series = \"fred.DGS10\" or \"@target\"")
        transform = _choice(f, "transform", "level", TRANSFORMS, ctx, key)
        if transform == "relative_return" and benchmark is None:
            raise ctx.fail(f"{key}.transform", "relative_return needs a benchmark",
                           "set [study] benchmark or use transform = \"return\"")
        days = _count(f, "days", 0 if transform == "level" else 63, ctx, key, 0, 2520)
        if transform != "level" and days < 1:
            raise ctx.fail(f"{key}.days", f"transform {transform!r} needs days >= 1",
                           "days = 63")
        features.append(Feature(name, series, transform, days))
    return AnalogRule(
        k=_count(raw, "k", 5, ctx, "analogs", 1, 200),
        distance=_choice(raw, "distance", "euclidean", DISTANCES, ctx, "analogs"),
        horizon=parse_horizon(raw.get("horizon", "6m"), ctx, "analogs.horizon"),
        features=tuple(features),
        exclude_recent=_count(raw, "exclude_recent", 0, ctx, "analogs", 0, 2520))


def _case(value: Any, ctx: Ctx) -> CaseRule:
    raw = _table(value, ctx, "case")
    check_keys(raw, CASE_KEYS, ctx, "case")
    sc = raw.get("scorecard", "rally-scorecard")
    if not isinstance(sc, str):
        raise ctx.fail("case.scorecard", f"scorecard = {sc!r} is not a study name",
                       "scorecard = \"rally-scorecard\" or \"\" for none")
    return CaseRule(
        lookback=_count(raw, "lookback", 63, ctx, "case", 1, 2520),
        scorecard=sc or None,
        high_window=_count(raw, "high_window", 252, ctx, "case", 2, 2520),
        breakout_window=_count(raw, "breakout_window", 504, ctx, "case", 2, 5040))
