"""Load a rally study once and answer its three questions: rallies, drivers, analogs.

``load`` reads the study, builds missing datasets and loads one point-in-time panel holding
the target, the benchmark, every driver's data and every analog feature. The functions below
work on that panel (or on a truncated copy of it, for the case replay), so nothing is read
twice and nothing published after a date can reach an answer for that date.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine import paths
from engine.anatomy import analogs as A
from engine.anatomy import detect, drivers
from engine.data.catalog import Catalog
from engine.data.panel import Panel, load_panel
from engine.errors import SpecError
from engine.signal_dtype import as_float
from engine.signals.matrix import compute_signals, required_refs
from engine.study.rally_rules import AnalogRule, RallyRule
from engine.study.spec import Study, load_study

DEFAULT_STUDY = "small-cap-rallies"


@dataclass
class Loaded:
    study: Study
    panel: Panel
    catalog: Catalog | None = None


def refs_of(study: Study) -> set[str]:
    refs = set(required_refs(study))
    if study.anatomy is not None and study.anatomy.analogs is not None:
        refs |= {f.series for f in study.anatomy.analogs.features}
    return refs


def load(study_name: str = DEFAULT_STUDY, needs: tuple[str, ...] = ()) -> Loaded:
    """The study and its panel (datasets built from the mirror when missing); ``needs``
    ("rallies", "analogs") are checked first, so a study without them fails before any data
    is read."""
    from engine.data.dataops import build_missing

    catalog = Catalog.load()
    study = load_study(study_name, set(catalog.entries))
    if "rallies" in needs:
        rally_rule(study)
    if "analogs" in needs:
        analog_rule(study)
    refs = refs_of(study)
    build_missing(catalog, [study.target, study.benchmark, *sorted(refs)], paths.mirror_dir())
    panel, _ = load_panel(catalog, refs, study.target, study.benchmark, paths.mirror_dir())
    return Loaded(study, panel, catalog)


def rally_rule(study: Study) -> RallyRule:
    rule = study.anatomy.rallies if study.anatomy is not None else None
    if rule is None:
        raise SpecError("the study has no [rallies] table", where=f"{study.path} [rallies]",
                        fix="add [rallies] gain/low_window/within (see studies/"
                            "small-cap-rallies.toml) or use --study small-cap-rallies")
    return rule


def analog_rule(study: Study) -> AnalogRule:
    rule = study.anatomy.analogs if study.anatomy is not None else None
    if rule is None:
        raise SpecError("the study has no [analogs] table", where=f"{study.path} [analogs]",
                        fix="add [analogs] k/distance/horizon/features (see studies/"
                            "small-cap-rallies.toml) or use --study small-cap-rallies")
    return rule


def prices(panel: Panel) -> tuple[np.ndarray, np.ndarray | None]:
    close = panel.close("@target")
    bench = panel.close("@benchmark") if panel.benchmark else None
    return close, bench


def window(panel: Panel, study: Study) -> np.ndarray:
    mask = np.ones(len(panel.index), dtype=bool)
    if study.start:
        mask &= panel.index >= pd.Timestamp(study.start)
    if study.end:
        mask &= panel.index <= pd.Timestamp(study.end)
    return mask


def driver_names(study: Study) -> list[str]:
    used = {name for s in study.signals for name in s.inputs}
    return [s.name for s in study.signals if s.name not in used]


def driver_matrix(study: Study, panel: Panel) -> tuple[np.ndarray, list[str]]:
    """(T, N) 1/0/NaN state of every top-level driver signal (numeric ones on when > 0)."""
    names = driver_names(study)
    # the state on the day itself: calendar drivers are not moved to an entry date here
    sm = compute_signals(study, panel, entry_timing=False).select(names)
    if len(sm.labels) != len(names):
        raise SpecError("rally drivers must be signals without parameter sweeps",
                        where=f"{study.path} [signals]",
                        fix="give each driver single parameter values")
    values = np.array(as_float(sm.values), copy=True)  # float64, NaN for no data: a copy
    num = sm.numeric
    if num.any():
        part = values[:, num]
        values[:, num] = np.where(np.isnan(part), np.nan, (part > 0).astype(np.float64))
    return values, list(sm.labels["signal"])


@dataclass
class RallyResult:
    study: Study
    rule: RallyRule
    rallies: pd.DataFrame  # one row per rally: dates, outcomes, driver states
    states: pd.DataFrame  # (n_rallies, n_drivers) on/off/no data
    drivers: pd.DataFrame  # per-driver table
    counts: pd.DataFrame  # drivers-on count view
    independent: np.ndarray
    series: pd.Series  # the rally series (for the timeline)
    close: pd.Series
    bench: pd.Series | None
    note: str = ""


def rallies(loaded: Loaded) -> RallyResult:
    """Every rally of the study window with outcome, driver states and the driver tables."""
    study, panel = loaded.study, loaded.panel
    rule = rally_rule(study)
    close, bench = prices(panel)
    win = window(panel, study)
    table = detect.find_rallies(panel.index, close, bench, rule, study.horizons, win)
    starts = panel.index.get_indexer(table["start"])
    values, names = driver_matrix(study, panel)
    states = drivers.states_at(values, starts, names)
    indep = detect.independent(starts, rule.sustained.horizon.days)
    table["independent"] = indep
    note = ""
    if table.empty:
        note = (f"no rally met the rule ({rule.describe(study.target, study.benchmark)}) "
                f"between {panel.index[win][0].date()} and {panel.index[win][-1].date()}; "
                "lower [rallies] gain or raise within")
    dtab = drivers.driver_table(states, table["outcome"], indep)
    ctab = drivers.count_table(states, table["outcome"], indep)
    out = pd.concat([table, states.add_prefix("driver:")], axis=1)
    r = detect.rally_series(close, bench, rule)
    return RallyResult(study, rule, out, states, dtab, ctab, indep,
                       pd.Series(r, index=panel.index, name="rally series"),
                       pd.Series(close, index=panel.index, name=study.target),
                       None if bench is None else pd.Series(bench, index=panel.index,
                                                            name=study.benchmark), note)


@dataclass
class AnalogResult:
    study: Study
    rule: AnalogRule
    date: pd.Timestamp
    search: A.Search
    table: pd.DataFrame  # one row per analog
    distribution: pd.DataFrame
    paths: pd.DataFrame  # (days, analogs) cumulative rally-series path
    unconditional_band: pd.DataFrame  # days x (p10, p50, p90) over all past days


def check_date(panel: Panel, when: pd.Timestamp, what: str = "--date") -> None:
    first, last = panel.index[0], panel.index[-1]
    if when < first:
        raise SpecError(f"date {when.date()} is before the target's data ({first.date()} .. "
                        f"{last.date()})", where=what, fix=f"use a date from {first.date()}")
    if when > last:
        raise SpecError(f"date {when.date()} is after the target's data ({first.date()} .. "
                        f"{last.date()})", where=what,
                        fix=f"use a date up to {last.date()} (or rebuild the data)")


def parse_date(text: str | pd.Timestamp) -> pd.Timestamp:
    try:
        return pd.Timestamp(text).normalize()
    except (ValueError, TypeError):
        raise SpecError(f"date {text!r} not understood", where="--date",
                        fix="use YYYY-MM-DD") from None


def analogs(loaded: Loaded, when: pd.Timestamp) -> AnalogResult:
    """The k nearest non-overlapping past analogs of ``when`` (data published by then only)."""
    from engine.scorecard.score import truncate_panel

    study = loaded.study
    rule = analog_rule(study)
    check_date(loaded.panel, when)
    panel = truncate_panel(loaded.panel, when)
    res = A.search(panel, rule, when)
    close, bench = prices(panel)
    table = A.outcome_table(panel.index, close, bench, res.positions, study.horizons)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    table.insert(2, "distance", res.distances)
    for j, name in enumerate(res.used):
        table[f"z:{name}"] = res.z_analogs[:, j] if len(res.positions) else []
    dist = A.distribution(close, bench, res.positions, res.query, study.horizons)
    r = detect.rally_series(close, bench, rally_rule(study)) if study.anatomy.rallies \
        else pd.Series(close).ffill().to_numpy()
    h = rule.horizon.days
    path = detect.paths_from(r, res.positions + 1, h) - 1.0
    paths = pd.DataFrame(path.T, columns=[str(d.date()) for d in panel.index[res.positions]])
    last = res.query - 1 - h
    every = np.arange(0, max(last + 1, 0))
    band = pd.DataFrame(index=np.arange(h + 1), columns=["p10", "p50", "p90"], dtype=float)
    if len(every):
        allp = detect.paths_from(r, every + 1, h) - 1.0
        with np.errstate(invalid="ignore"):
            band[:] = np.nanquantile(allp, [0.1, 0.5, 0.9], axis=0).T
    return AnalogResult(study, rule, panel.index[res.query], res, table, dist, paths, band)
