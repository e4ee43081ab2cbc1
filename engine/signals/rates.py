"""Rates families: Treasury yield moves, the yield curve, and the Fed's easing cycle.

Daily series (FRED yields, lag 1 day) are read as the last value published by each trading
day; changes are over trading days of the target. The monthly fed funds rate is differenced
on its own monthly observations and each result is seen only once that month is published
(month end + lag).
"""

from __future__ import annotations

import numpy as np

from engine.lazy import pandas as pd
from engine.signals.base import REQUIRED, Param, family
from engine.signals.helpers import compare, daily_change, native_stat, per_group

LOOKBACK = Param("lookback", "int", REQUIRED, min=1, max=2520, help="trading days back")


@family(
    "rates.yield_change",
    params=(Param("series", "series", "fred.DGS10", help="yield series in percent"),
            LOOKBACK,
            Param("below", "float", help="change in percentage points, -0.25 = -25 bp")),
)
def yield_change(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """Yield fell: y_t - y_{t-lookback} <= `below` (percentage points, trading days).

    y is the last value published by each trading day. Data: `series` (default
    fred.DGS10). Lag: the catalog lag (1 day for FRED daily yields).
    """
    chg = per_group(grid, ("series", "lookback"),
                    lambda series, lookback: daily_change(panel, series, lookback))
    return compare(chg, "<=", grid["below"])


@family(
    "rates.curve_level",
    params=(Param("series", "series", "fred.T10Y2Y", help="curve spread in percent"),
            Param("above", "float", 0.0, help="level in percentage points")),
)
def curve_level(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """Curve level: spread_t > `above` (percentage points; 0 = not inverted).

    Data: `series` (default fred.T10Y2Y, 10y minus 2y). Lag: the catalog lag (1 day).
    """
    level = per_group(grid, ("series",), lambda series: panel.daily(series))
    return compare(level, ">", grid["above"])


@family(
    "rates.curve_change",
    params=(Param("series", "series", "fred.T10Y2Y", help="curve spread in percent"),
            LOOKBACK,
            Param("above", "float", help="steepening in percentage points")),
)
def curve_change(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """Curve steepening: spread_t - spread_{t-lookback} >= `above` (pp, trading days).

    Data: `series` (default fred.T10Y2Y). Lag: the catalog lag (1 day).
    """
    chg = per_group(grid, ("series", "lookback"),
                    lambda series, lookback: daily_change(panel, series, lookback))
    return compare(chg, ">=", grid["above"])


@family(
    "rates.fed_easing",
    params=(Param("series", "series", "fred.FEDFUNDS", help="policy rate, monthly"),
            Param("months", "int", REQUIRED, min=1, max=120, help="months back"),
            Param("below", "float", help="change in percentage points, -0.25 = one cut")),
    quantity="{months}-month change, pp",
)
def fed_easing(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """Fed easing: r_m - r_{m-months} <= `below` on the monthly series (percentage points).

    Differenced on the native monthly observations, then each month's change is seen only
    from its publication (month end + catalog lag; 1 day for FEDFUNDS, a monthly average).
    Data: `series` (default fred.FEDFUNDS).
    """
    chg = per_group(grid, ("series", "months"), lambda series, months: native_stat(
        panel, series, lambda s: s - s.shift(months)))
    return compare(chg, "<=", grid["below"])


def first_cut_flags(s: pd.Series, months: int, rise: float, cut: float) -> pd.Series:
    """1.0 in the month of the first cut after a hiking cycle, 0.0 otherwise, NaN early on."""
    prior = s.shift(1)
    peak = prior.rolling(months, min_periods=months).max()  # max of the prior `months` obs
    start = s.shift(months)  # the value `months` observations ago
    hiked = (peak - start) >= rise
    at_peak = prior >= peak - cut  # no cut yet since the cycle's peak
    dropped = (prior - s) >= cut
    flags = (hiked & at_peak & dropped).astype(np.float64)
    return flags.where(peak.notna() & start.notna())


@family(
    "rates.fed_first_cut",
    params=(Param("series", "series", "fred.FEDFUNDS", help="policy rate, monthly"),
            Param("months", "int", 24, min=2, max=120,
                  help="months back in which the hiking cycle must lie"),
            Param("rise", "float", 0.25, min=0.0,
                  help="minimum rise (pp) over those months to count as a hiking cycle"),
            Param("cut", "float", 0.15, min=0.0,
                  help="minimum one-month fall (pp) to count as a cut (ignores noise)")),
)
def fed_first_cut(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """First cut after a hiking cycle, on the monthly rate r.

    Month m is the first cut when (1) the rate fell: r_{m-1} - r_m >= `cut`; (2) a hiking
    cycle came before: max(r_{m-months} .. r_{m-1}) - r_{m-months} >= `rise`; (3) no cut
    since the peak: r_{m-1} >= that max - `cut`. The flag is on from month m's publication
    until the next month is published (about one month), so its rising edge is the
    publication day. FEDFUNDS is a monthly *average*: a mid-month cut shows partly in that
    month, and `cut` = 0.15 pp ignores the effective rate's drift; with the defaults the
    flagged months since 1980 are 1984-09, 1989-06, 1995-07, 1998-10, 2001-01, 2007-08,
    2019-08 and 2024-09. Data: `series` (default fred.FEDFUNDS). Lag: month end + catalog
    lag (1 day).
    """
    flags = per_group(grid, ("series", "months", "rise", "cut"),
                      lambda series, months, rise, cut: native_stat(
                          panel, series, lambda s: first_cut_flags(s, months, rise, cut)))
    return compare(flags, ">", np.full(flags.shape[1], 0.5))


def decision_changes(decisions: pd.DatetimeIndex, rate: pd.Series,
                     target: pd.Series | None = None, days: int = 7) -> pd.Series:
    """Policy-rate change decided at each FOMC decision day (percentage points).

    Where the daily target is known on both sides, the change is its first value after the
    decision day minus its last value before it, which holds both for the range's upper limit
    (from 2008-12-16; it steps the day after the decision) and for the single target before
    it (DFEDTAR, 1982-09-27 .. 2008-12-15; it steps on the decision day). Before that, the
    median of the daily effective rate over the ``days`` calendar days after the decision
    minus the median over the ``days`` before: the median ignores the month- and quarter-end
    spikes of the effective rate. NaN where either side has no observation.
    """
    decisions = pd.DatetimeIndex(decisions).sort_values()
    r = rate.dropna().sort_index()
    cal = r.asfreq("D")  # calendar days; missing days stay NaN and are skipped by the median
    med = cal.rolling(days, min_periods=1).median()  # median over the `days` ending each day
    before = med.reindex(decisions - pd.Timedelta(days=1)).to_numpy()
    after = med.reindex(decisions + pd.Timedelta(days=days)).to_numpy()
    change = after - before
    if target is not None and not target.dropna().empty:
        t = target.dropna().sort_index()
        tt, tv = t.index.to_numpy(), t.to_numpy()
        at = np.searchsorted(tt, decisions.to_numpy(), side="left") - 1  # strictly before
        nxt = np.searchsorted(tt, decisions.to_numpy(), side="right")  # strictly after
        ok = (at >= 0) & (nxt < len(tt))
        okk = ok.copy()
        okk[ok] = (tt[nxt[ok]] - decisions.to_numpy()[ok]) <= np.timedelta64(days, "D")
        change = np.where(okk, tv[np.minimum(nxt, len(tt) - 1)] - tv[np.maximum(at, 0)], change)
    return pd.Series(change, index=decisions)


def decision_known_dates(decisions: pd.DatetimeIndex, target: pd.Series | None,
                         days: int = 7) -> pd.DatetimeIndex:
    """When the rate data alone show each decision's size (before any publication lag): the
    target's first observation after the decision where the target sizes it, else the last
    day of the effective-rate window (decision + ``days``)."""
    decisions = pd.DatetimeIndex(decisions).sort_values()
    known = decisions + pd.Timedelta(days=days)
    if target is not None and not target.dropna().empty:
        tt = target.dropna().sort_index().index
        nxt = tt.searchsorted(decisions, side="right")
        ok = (nxt < len(tt)) & (tt.searchsorted(decisions, side="left") > 0)
        step = tt[np.minimum(nxt, len(tt) - 1)]
        ok &= np.asarray(step - decisions <= pd.Timedelta(days=days))
        known = pd.DatetimeIndex(np.where(ok, step, known))
    return known


def splice_target(old: pd.Series | None, new: pd.Series | None) -> pd.Series | None:
    """One daily target series: the single target ``old`` up to the day before ``new`` (the
    range's upper limit) starts, then ``new``."""
    parts = [x.dropna().sort_index() for x in (old, new) if x is not None]
    parts = [x for x in parts if not x.empty]
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    a, b = parts
    return pd.concat([a[a.index < b.index[0]], b])


def target_steps(old: pd.Series | None, before: pd.Timestamp | None = None) -> pd.DatetimeIndex:
    """Days the single target changed (it steps on the decision day: intermeeting moves such
    as 2001-01-03 are decisions the meeting list lacks), before ``before``."""
    if old is None:
        return pd.DatetimeIndex([])
    x = old.dropna().sort_index()
    if before is not None:
        x = x[x.index < before]
    v = x.to_numpy()
    return x.index[1:][v[1:] != v[:-1]]


def first_cut_days(changes: pd.Series, cut: float, gap_months: int) -> pd.Series:
    """1.0 at decisions that cut by at least ``cut`` pp with no such cut in the
    ``gap_months`` before (the first cut of an easing cycle), 0.0 at other decisions."""
    d = changes.index
    is_cut = (changes <= -cut).to_numpy()
    cut_dates = d[is_cut]
    prev = np.searchsorted(cut_dates.to_numpy(), d.to_numpy(), side="left") - 1
    if len(cut_dates):
        last_cut = np.where(prev >= 0, cut_dates.to_numpy()[np.maximum(prev, 0)],
                            np.datetime64("NaT"))
    else:  # no cut at all: no decision follows one
        last_cut = np.full(len(d), np.datetime64("NaT"), dtype="datetime64[ns]")
    since = pd.DatetimeIndex(last_cut)
    fresh = since.isna() | (since < d - pd.DateOffset(months=gap_months))
    out = (is_cut & fresh).astype(np.float64)
    return pd.Series(np.where(changes.isna(), np.nan, out), index=d)


@family(
    "rates.first_cut",
    params=(Param("rate", "series", "fred.DFF", help="daily effective fed funds rate"),
            Param("target", "series", "fred.DFEDTARU", help="daily target (upper limit)"),
            Param("old_target", "series", "fred.DFEDTAR",
                  help="daily single target before the range (steps on the decision day)"),
            Param("decisions", "series", "fomc.decisions", help="FOMC decision days"),
            Param("gap_months", "int", 12, min=1, max=120,
                  help="months without a cut before a cut counts as the first"),
            Param("cut", "float", 0.2, min=0.0, help="minimum cut (pp) at one decision"),
            Param("timing", "str", "decision", choices=("decision", "data"),
                  help="decision: on the decision day; data: once the rates show it")),
)
def first_cut(panel, grid: dict[str, np.ndarray]) -> np.ndarray:
    """First cut of an easing cycle, dated on the FOMC decision day itself.

    Decision days: the FOMC meeting list, plus the days the single target (`old_target`,
    DFEDTAR, 1982-09-27 .. 2008-12-15) changed between meetings (intermeeting moves such as
    2001-01-03, which the meeting list lacks; that target steps on the decision day). Each
    decision's size is read from the daily target: the range's upper limit from 2008-12-16,
    the single target from 1982-09-27 (first value after the decision day minus last value
    before it), and from the daily effective rate before 1982-09-27 (median of the 7 days
    after minus the 7 days before, see ``decision_changes``). A decision that cuts by at least
    `cut` with no cut in the previous `gap_months` is a first cut; the flag is on from that
    decision day to the next decision, so its rising edge is the decision day and the engine
    enters at the next close. The decision is public on its day (statements since 1994;
    before, markets read it from open-market operations within a day or two); the rates after
    it only size it. With the defaults the flagged decisions since 1986 are 1989-06-06,
    1995-07-06, 1998-09-29, 2001-01-03, 2007-09-18, 2019-07-31 and 2024-09-18, each the Fed's
    first cut of its cycle (the effective rate alone misfired on its drift in 1997-02,
    1998-05 and 2007-08 and dated 2001-01-03 at 2001-01-31).
    `timing = "data"` is the strictly point-in-time variant: each flag appears only when the
    rate data that size the decision are published (the target's step + its lag, or the
    effective-rate window's end + its lag), a day to a week after the decision.
    Data: `rate`, `target`, `old_target`, `decisions`. `old_target` is an optional dataset
    (an addition beside the mirror's own files): without it, decisions before 2008-12-16 are
    sized from the effective rate and intermeeting moves are not added. Lag: none for the
    decision day (the statement).
    """
    def flags(rate: str, target: str, old_target: str, decisions: str, gap_months: int,
              cut: float, timing: str):
        dec = panel.native(decisions)
        new = panel.native(target)
        old = panel.native(old_target) if panel.has(old_target) else None
        start = new.dropna().index[0] if not new.dropna().empty else None
        days = dec.index[dec.to_numpy() > 0].union(target_steps(old, start))
        tgt = splice_target(old, new)
        f = first_cut_days(decision_changes(days, panel.native(rate), tgt), float(cut),
                           int(gap_months))
        if timing == "data":
            lag = {panel.resolve(r)[0]: panel.entries[panel.resolve(r)[0]].lag_days
                   for r in (rate, target, old_target)}
            known = decision_known_dates(f.index, tgt)
            by_target = known != f.index + pd.Timedelta(days=7)
            in_new = start is not None and np.asarray(f.index >= start)
            t_lag = np.where(in_new, lag[panel.resolve(target)[0]],
                             lag[panel.resolve(old_target)[0]])
            shift = np.where(by_target, t_lag, lag[panel.resolve(rate)[0]])
            when = known + pd.to_timedelta(shift, unit="D")
            f = pd.Series(f.to_numpy(), index=when).sort_index()
            f = f[~f.index.duplicated(keep="last")]
        pos = np.searchsorted(f.index.to_numpy(), panel.index.to_numpy(), side="right") - 1
        return np.where(pos >= 0, f.to_numpy()[np.maximum(pos, 0)], np.nan)

    return per_group(grid, ("rate", "target", "old_target", "decisions", "gap_months", "cut",
                            "timing"), flags)
