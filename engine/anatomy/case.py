"""Case replay: everything that was knowable on one date, then (apart) what happened next.

The "as of" part is computed on the panel truncated at the date (``scorecard.truncate_panel``:
later prices dropped, observations not yet published dropped), so it is identical whether or
not later data exists; the "what happened next" part reads the full panel and is kept in its
own fields, never mixed into the as-of tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.anatomy import compute as C
from engine.anatomy import detect
from engine.data.panel import Panel, availability
from engine.scorecard.score import truncate_panel


@dataclass
class CaseReplay:
    study_name: str
    requested: pd.Timestamp
    date: pd.Timestamp  # the last trading day on or before the requested date
    facts: pd.DataFrame  # item, value, detail (as of the date)
    drivers: pd.DataFrame  # driver, state, value, value_date, description (as of the date)
    rally: pd.DataFrame  # the rally under way on the date (0 or 1 row), as known then
    scorecard: object | None  # engine.scorecard.Scorecard as of the date
    analogs: C.AnalogResult
    next: pd.DataFrame | None  # forward returns after the date vs the analog band (later data)
    next_path: pd.Series | None  # rally series after the date (cumulative, from the entry)
    rally_after: pd.DataFrame | None  # the same rally's outcome with all later data
    data_end: pd.Timestamp | None = None


def _ret(x: np.ndarray, a: int, b: int) -> float:
    if a < 0 or b < 0 or not (np.isfinite(x[a]) and np.isfinite(x[b])):
        return np.nan
    return float(x[b] / x[a] - 1.0)


def facts_as_of(panel: Panel, study, lookback: int, high_window: int,
                breakout_window: int) -> pd.DataFrame:
    """Rally facts on the panel's last day (the panel is already truncated at the date)."""
    c = pd.Series(panel.close("@target")).ffill().to_numpy()
    b = pd.Series(panel.close("@benchmark")).ffill().to_numpy() if panel.benchmark else None
    t = len(c) - 1
    idx = panel.index
    year_end = int(idx.searchsorted(pd.Timestamp(year=idx[t].year, month=1, day=1))) - 1
    back = t - lookback if t - lookback >= 0 else -1
    rows = [("date", str(idx[t].date()), "last trading day on or before the date asked"),
            (f"{study.target} close", f"{c[t]:,.2f}", "")]
    ytd_t, lb_t = _ret(c, year_end, t), _ret(c, back, t)
    rows += [(f"{study.target} year to date", _p(ytd_t), f"from {_d(idx, year_end)}"),
             (f"{study.target} last {lookback} days", _p(lb_t), f"from {_d(idx, back)}")]
    if b is not None:
        ytd_b, lb_b = _ret(b, year_end, t), _ret(b, back, t)
        rows += [(f"{study.benchmark} year to date", _p(ytd_b), ""),
                 (f"{study.benchmark} last {lookback} days", _p(lb_b), ""),
                 ("lead year to date (points)", _p(ytd_t - ytd_b), "target minus benchmark"),
                 (f"lead last {lookback} days (points)", _p(lb_t - lb_b), "")]
    roll = pd.Series(c).rolling(high_window, min_periods=high_window).max().to_numpy()
    high = c >= roll
    run = np.flatnonzero(~high[: t + 1])
    streak = t - run[-1] if len(run) else t + 1
    last_high = np.flatnonzero(high[: t + 1])
    rows += [(f"new {high_window}-day highs in the last 21 days",
              str(int(high[max(0, t - 20): t + 1].sum())), "closes at a trailing high"),
             ("streak of new highs (days)", str(int(streak)), "consecutive closes at a high"),
             ("days since the last new high",
              str(int(t - last_high[-1])) if len(last_high) else "never", "")]
    prior = c[max(0, t - breakout_window): t]
    if len(prior) >= breakout_window:
        top = float(np.nanmax(prior))
        rows.append((f"breakout above the prior {breakout_window}-day high",
                     "yes" if c[t] > top else "no",
                     f"prior high {top:,.2f}; close {c[t] / top - 1:+.1%} from it"))
    else:
        rows.append((f"breakout above the prior {breakout_window}-day high", "no data",
                     f"fewer than {breakout_window} prior closes"))
    return pd.DataFrame(rows, columns=["item", "value", "detail"])


def _p(x: float) -> str:
    return "—" if not np.isfinite(x) else f"{x:+.1%}"


def _d(idx: pd.DatetimeIndex, i: int) -> str:
    return str(idx[i].date()) if i >= 0 else "no data"


def drivers_as_of(study, panel: Panel) -> pd.DataFrame:
    """Each driver's state on the panel's last day with its series' last published value."""
    values, names = C.driver_matrix(study, panel)
    t = len(panel.index) - 1
    rows = []
    for name, v in zip(names, values[t], strict=True):
        spec = study.signal(name)
        series = spec.param_dict.get("series") if spec.family else None
        value, when = None, None
        if isinstance(series, str) and series not in ("@target", "@benchmark"):
            native = panel.native(series)
            id_, _ = panel.resolve(series)
            if len(native):
                seen = native[np.asarray(availability(native.index, panel.entries[id_])
                                         <= panel.index[t])]
                if len(seen):
                    value, when = float(seen.iloc[-1]), str(seen.index[-1].date())
        rows.append({"driver": name, "state": "no data" if np.isnan(v) else
                     ("on" if v > 0 else "off"), "series": series or "", "value": value,
                     "value_date": when, "description": spec.description})
    return pd.DataFrame(rows)


def rally_under_way(study, panel: Panel) -> pd.DataFrame:
    """The last rally whose start lies within its sustained horizon of the panel's last day."""
    rule = C.rally_rule(study)
    close, bench = C.prices(panel)
    table = detect.find_rallies(panel.index, close, bench, rule, study.horizons,
                                C.window(panel, study))
    if table.empty:
        return table
    last = table.iloc[[-1]]
    age = len(panel.index) - 1 - int(panel.index.get_indexer(last["start"])[0])
    if age > rule.sustained.horizon.days:
        return table.iloc[0:0]
    out = last.copy()
    out.insert(2, "days_since_start", age)
    return out.reset_index(drop=True)


def replay(date: str | pd.Timestamp, study: str = C.DEFAULT_STUDY,
           loaded: C.Loaded | None = None, with_scorecard: bool = True) -> CaseReplay:
    """The case for ``date``: as-of facts, drivers, rally, scorecard and analogs, then what
    happened next when the data goes on past the date."""
    loaded = loaded or C.load(study, needs=("rallies", "analogs"))
    st = loaded.study
    requested = C.parse_date(date)
    C.check_date(loaded.panel, requested)
    rule = st.anatomy.case
    past = truncate_panel(loaded.panel, requested)
    when = past.index[-1]
    facts = facts_as_of(past, st, rule.lookback, rule.high_window, rule.breakout_window)
    drv = drivers_as_of(st, past)
    rally = rally_under_way(st, past) if st.anatomy.rallies else pd.DataFrame()
    sc = _scorecard(rule.scorecard, when) if with_scorecard and rule.scorecard else None
    an = C.analogs(loaded, when)
    nxt = path = after = None
    full = loaded.panel
    t = int(full.index.get_indexer([when])[0])
    if t < len(full.index) - 1:
        nxt, path = _what_next(full, st, t, an)
        if not rally.empty:
            later = C.rallies(loaded).rallies
            after = later[later["start"] == rally["start"].iloc[0]].reset_index(drop=True)
    return CaseReplay(st.name, requested, when, facts, drv, rally, sc, an, nxt, path, after,
                      full.index[-1])


def _scorecard(name: str, when: pd.Timestamp):
    """The scorecard as of ``when``. Its shown interval is the exact one on independent events,
    so the block bootstrap (``boot_*``, not shown) and the Spearman test are skipped here."""
    import dataclasses

    from engine.data.catalog import Catalog
    from engine.scorecard.score import load_scorecard_panel, score_panel
    from engine.study.spec import load_study

    catalog = Catalog.load()
    study = dataclasses.replace(load_study(name, set(catalog.entries)), n_boot=0)
    full = load_scorecard_panel(study, catalog)
    if when < full.index[0]:
        return None
    return score_panel(study, truncate_panel(full, when), monotonic=False)


def _what_next(full: Panel, study, t: int, an: C.AnalogResult):
    close, bench = C.prices(full)
    hz = np.array([h.days for h in study.horizons], dtype=np.int64)
    from engine.evaluate.core import forward_returns

    ft = forward_returns(close, hz)[t]
    fb = forward_returns(bench, hz)[t] if bench is not None else np.full(len(hz), np.nan)
    rows = []
    for j, h in enumerate(study.horizons):
        col = f"excess_{h.label}" if bench is not None else f"ret_{h.label}"
        av = an.table[col].to_numpy(np.float64) if col in an.table else np.zeros(0)
        av = av[np.isfinite(av)]
        actual = ft[j] - fb[j] if bench is not None else ft[j]
        rows.append({"horizon": h.label, "target": ft[j], "benchmark": fb[j], "excess": actual,
                     "analog_median": float(np.median(av)) if len(av) else np.nan,
                     "analog_min": float(av.min()) if len(av) else np.nan,
                     "analog_max": float(av.max()) if len(av) else np.nan,
                     "analogs_below": int((av < actual).sum()) if np.isfinite(actual) else None,
                     "n_analogs": len(av), "known": bool(np.isfinite(ft[j]))})
    rule = study.anatomy.rallies
    r = detect.rally_series(close, bench, rule) if rule else pd.Series(close).ffill().to_numpy()
    p = detect.paths_from(r, np.array([t + 1]), an.rule.horizon.days)[0] - 1.0
    return pd.DataFrame(rows), pd.Series(p, name="after the date")


def as_frame(case: CaseReplay) -> pd.DataFrame:
    """The replay as one long table for notebooks: section, item, value, knowable_on_date."""
    rows = [("facts", r.item, r.value, True) for r in case.facts.itertuples()]
    rows += [("driver", r.driver, r.state, True) for r in case.drivers.itertuples()]
    if case.scorecard is not None:
        rows.append(("scorecard", "score", f"{case.scorecard.score} of "
                     f"{case.scorecard.n_conditions}", True))
        rows += [("scorecard", r.condition, r.status, True)
                 for r in case.scorecard.conditions.itertuples() if not r.part_of]
    for r in case.analogs.table.itertuples():
        rows.append(("analog", f"#{r.rank} {pd.Timestamp(r.date).date()}",
                     f"distance {r.distance:.3f}", True))
    if case.next is not None:
        rows += [("what happened next", f"excess {r.horizon}", _p(r.excess), False)
                 for r in case.next.itertuples()]
    return pd.DataFrame(rows, columns=["section", "item", "value", "knowable_on_date"])
