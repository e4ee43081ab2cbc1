"""The rally scorecard: how many sustainability conditions hold on a date, and the odds.

The conditions are the study's top-level boolean signals (signals used only as inputs of a
combinator are parts, not conditions). The score is the count of conditions met each day
(a condition without data counts as not met and is reported as "no data"). Historical odds
come from the same engine as every study: the score buckets become one-hot state signals
evaluated for the target and, when ``[scorecard] small/large`` are set, small minus large.

Point in time: everything for date D is computed on data truncated at D — prices up to D and
only observations whose availability date (period end + lag) is on or before D — so neither
the conditions nor the historical odds can use anything published later.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from engine import metrics as M
from engine import paths
from engine.data import dataops
from engine.data.catalog import Catalog, split_ref
from engine.data.panel import Panel, availability, load_panel
from engine.errors import SpecError
from engine.signal_dtype import as_float
from engine.signals.matrix import compute_signals, required_refs
from engine.study.spec import Study, load_study
from engine.study.windows import episode_masks, window_mask


@dataclass
class Scorecard:
    study: Study
    date: pd.Timestamp
    conditions: pd.DataFrame
    score: int
    n_conditions: int
    n_with_data: int
    buckets: pd.DataFrame
    monotonic: pd.DataFrame
    past: pd.DataFrame
    score_path: pd.Series
    met: pd.DataFrame  # (T, N) 1/0/NaN condition matrix
    episode_starts: pd.DataFrame = field(default_factory=pd.DataFrame)
    n_comparable_days: int = 0  # window days with data for every condition that has it today

    @property
    def odds(self) -> pd.DataFrame:
        """Historical forward returns on days with the same score as today (episode all)."""
        b = self.buckets
        return b[(b["score"] == self.score) & (b["episode"] == "all")].reset_index(drop=True)


def truncate_panel(panel: Panel, date: pd.Timestamp) -> Panel:
    """The panel as it could be known on ``date``: later prices and unpublished rows removed."""
    frames = {}
    for id_, frame in panel.frames.items():
        avail = availability(frame.index, panel.entries[id_])
        frames[id_] = frame[np.asarray(avail <= date)]
    index = panel.index[panel.index <= date]
    if len(index) < 2:
        raise SpecError(f"no target data on or before {date.date()}", where="--date",
                        fix=f"use a date after {panel.index[0].date()}")
    return Panel(index, frames, panel.entries, panel.target, panel.benchmark)


def conditions_of(study: Study) -> list[str]:
    used = {name for s in study.signals for name in s.inputs}
    return [s.name for s in study.signals if s.name not in used]


def load_scorecard_panel(study: Study, catalog: Catalog) -> Panel:
    refs = set(required_refs(study)) | {v for _, v in study.scorecard}
    dataops.build_missing(catalog, [study.target, study.benchmark, *sorted(refs)],
                          paths.mirror_dir())
    panel, _ = load_panel(catalog, refs, study.target, study.benchmark, paths.mirror_dir())
    return panel


def compute(study_name: str = "rally-scorecard", date: str | None = None,
            panel: Panel | None = None, monotonic: bool = True) -> Scorecard:
    """Score ``date`` (default: the last trading day with data) using only data known then."""
    catalog = Catalog.load()
    study = load_study(study_name, set(catalog.entries))
    full = panel or load_scorecard_panel(study, catalog)
    when = full.index[-1] if date is None else _parse_date(date)
    if when < full.index[0]:
        raise SpecError(f"date {when.date()} is before the target's data "
                        f"({full.index[0].date()})", where="--date", fix="use a later date")
    pan = truncate_panel(full, when)
    return score_panel(study, pan, monotonic)


def _parse_date(text: str) -> pd.Timestamp:
    try:
        return pd.Timestamp(text).normalize()
    except ValueError:
        raise SpecError(f"date {text!r} not understood", where="--date",
                        fix="use YYYY-MM-DD") from None


def score_panel(study: Study, panel: Panel, monotonic: bool = True) -> Scorecard:
    """Conditions, score, bucket statistics and past dates on an already point-in-time panel."""
    names = conditions_of(study)
    sm = compute_signals(study, panel, entry_timing=False)
    sm = sm.select(names)
    if len(sm.labels) != len(names) or sm.numeric.any():
        raise SpecError("scorecard conditions must be boolean signals without sweeps",
                        where=f"{study.path} [signals]",
                        fix="give each condition single parameter values")
    met = as_float(sm.values)  # float64, NaN for no data: the score sums (a few columns)
    score = np.nansum(met, axis=1)
    with_data = np.isfinite(met).sum(axis=1)
    window = window_mask(panel.index, study)
    t = len(panel.index) - 1
    # Odds compare like with like: the score over the conditions that have data today, on
    # the past days where all of those had data ("5 of 8, 6 with data" is judged against
    # days scored on the same 6, never against days scored on all 8).
    same = comparable_days(met, t)
    window_same = window & same
    score_same = np.nansum(met[:, np.isfinite(met[t])], axis=1)  # today's conditions only
    episodes = episode_masks_safe(panel.index, study, window_same)
    conditions = _condition_rows(study, panel, names, met[t], t)
    buckets, mono = _bucket_stats(study, panel, score_same, len(names), episodes,
                                  monotonic, same)
    past = _past_dates(panel, score_same, int(score[t]), window_same)
    starts = _episode_starts(study, panel, names, met, score)
    return Scorecard(
        study=study, date=panel.index[t], conditions=conditions, score=int(score[t]),
        n_conditions=len(names), n_with_data=int(with_data[t]), buckets=buckets,
        monotonic=mono, past=past, score_path=pd.Series(score, index=panel.index, name="score"),
        met=pd.DataFrame(met, index=panel.index, columns=names), episode_starts=starts,
        n_comparable_days=int(window_same.sum()),
    )


def comparable_days(met: np.ndarray, t: int) -> np.ndarray:
    """(T,) days on which every condition that has data on day ``t`` also had data."""
    today = np.isfinite(met[t])
    return np.isfinite(met[:, today]).all(axis=1)


def episode_masks_safe(index: pd.DatetimeIndex, study: Study,
                       window: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """Episodes that start after the scored date are simply absent (not an error)."""
    kept = [e for e in study.episodes if pd.Timestamp(e.start) <= index[-1]]
    return episode_masks(index, dataclasses.replace(study, episodes=tuple(kept)), window)


def _condition_rows(study: Study, panel: Panel, names: list[str], row: np.ndarray, t: int):
    """One row per condition, then (``part_of``) one per input of a combined condition.

    ``tested`` names the quantity the condition compares with its ``threshold`` (e.g. the
    change in inflation, not the price index), ``tested_value`` is that quantity on the date
    (or its last known value when the condition has no data) and ``as_of`` the date of the
    observation behind it; ``value``/``value_date`` keep the raw series' last published value.
    """
    out = []
    for name, v in zip(names, row, strict=True):
        spec = study.signal(name)
        out.append(_condition_row(study, panel, spec, v, t))
        if spec.combinator:
            for part in _parts(study, spec):
                out.append(_condition_row(study, panel, part, None, t) | {"part_of": name})
    return pd.DataFrame(out, columns=CONDITION_COLUMNS)


CONDITION_COLUMNS = ["condition", "status", "tested", "tested_value", "threshold", "as_of",
                     "series", "value", "value_date", "rule", "description", "part_of"]


def _parts(study: Study, spec) -> list:
    """The family signals a combined condition is made of (nested combinators flattened)."""
    out = []
    for name in spec.inputs:
        s = study.signal(name)
        out += _parts(study, s) if s.combinator else [s]
    return list(dict.fromkeys(out))


def _condition_row(study: Study, panel: Panel, spec, v, t: int) -> dict:
    from engine.signals.grid import variants
    from engine.signals.helpers import recording

    series = spec.param_dict.get("series") if spec.family else None
    value, value_date = _last_seen(panel, [series] if isinstance(series, str) else [], t)
    row = {"condition": spec.name, "series": series or "", "value": value,
           "value_date": value_date, "description": spec.description, "part_of": "",
           "tested": "", "tested_value": None, "threshold": "", "as_of": None}
    if spec.combinator:
        row["rule"] = f"{spec.combinator}({', '.join(spec.inputs)})"
        row["tested"] = {"all": "every part met", "any": "at least one part met",
                         "not": "the part not met"}[spec.combinator]
        parts = _parts(study, spec)
        dates = [d for d in (_data_date(study, panel, p, t) for p in parts) if d]
        row["as_of"] = max(dates) if dates else None
    else:
        grid = variants(spec)
        family, params = grid.family, spec.param_dict
        row["rule"] = ", ".join(f"{k}={x}" for k, x in spec.params if k != "series")
        with recording() as tests:
            on = family.func(panel, grid.columns())
        row["tested"] = family.describe_quantity(params)
        if len(tests) == 1:  # one quantity against one threshold: show both
            stat = tests[0].stat[: t + 1, 0]
            seen = np.flatnonzero(np.isfinite(stat))
            row["tested_value"] = float(stat[seen[-1]]) if len(seen) else None
            row["threshold"] = f"{tests[0].op} {tests[0].threshold[0]:g}"
        if v is None:  # a part: its own state on the date
            v = float(np.asarray(on, dtype=np.float64)[t, 0])
        row["as_of"] = _data_date(study, panel, spec, t)
    row["status"] = "no data" if v is None or np.isnan(v) else ("met" if v > 0 else "not met")
    return row


def _data_date(study: Study, panel: Panel, spec, t: int) -> str | None:
    """The newest observation (period date) behind a family signal published by day ``t``."""
    from engine.signals.grid import variants

    grid = variants(spec)
    return _last_seen(panel, grid.family.data(grid.columns()), t)[1]


def _last_seen(panel: Panel, refs, t: int) -> tuple[float | None, str | None]:
    """(value, period date) of the newest observation of ``refs`` published by day ``t``
    (several refs: the newest date, no single value)."""
    found = []
    for ref in refs:
        native = panel.native(ref)
        if not len(native):
            continue
        id_, _ = panel.resolve(ref)
        seen = native[np.asarray(availability(native.index, panel.entries[id_])
                                 <= panel.index[t])]
        if len(seen):
            found.append((seen.index[-1], float(seen.iloc[-1])))
    if not found:
        return None, None
    date, value = max(found)
    return (value if len(refs) == 1 else None), str(date.date())


def _bucket_stats(study, panel, score, n, episodes, monotonic=True, same=None):
    """Evaluate one-hot score buckets (state mode) for the target and small-minus-large,
    on the ``same`` days only (days scored on the same conditions as today)."""
    from engine.evaluate.core import evaluate
    from engine.evaluate.stats import spearman_ic

    onehot = (score[:, None] == np.arange(n + 1)[None, :]).astype(np.float64)
    if same is not None:
        onehot[~same] = np.nan  # no data: left out of the days and of the base rate
    labels = pd.DataFrame({"signal": "score", "variant": [str(s) for s in range(n + 1)],
                           "params": [json.dumps({"score": s}) for s in range(n + 1)]})
    horizons = np.array([h.days for h in study.horizons], dtype=np.int64)
    hl = {h.days: h.label for h in study.horizons}
    series = [("index", panel.close("@target"), None)]
    sc = dict(study.scorecard)
    if "small" in sc and "large" in sc:
        series.append(("small-minus-large", _close(panel, sc["small"]), _close(panel, sc["large"])))
    frames, mono = [], []
    for label, close, bench in series:
        res = evaluate(close, onehot, np.zeros(n + 1, dtype=bool), horizons, episodes,
                       mode="state", bench_close=bench, n_boot=study.n_boot, seed=study.seed)
        f = res.to_frame(labels)
        f.insert(0, "series", label)
        f["score"] = f["variant"].astype(int)
        f["horizon"] = f["horizon_days"].map(hl)
        frames.append(f)
        if monotonic:  # the score-vs-return Spearman bootstrap (the case replay skips it)
            mono.extend(_monotonic(label, close, bench, score, horizons, hl, episodes[0][1],
                                   study, spearman_ic))
    buckets = pd.concat(frames, ignore_index=True)
    keep = ["series", "score", "horizon", "horizon_days", "episode", M.N_DAYS, M.N_EVENTS,
            M.N_INDEPENDENT,
            M.HIT_RATE, M.BASE_RATE, M.MEAN_FWD, M.MEDIAN_FWD, M.BASE_MEAN_FWD, M.CI_LOW,
            M.CI_HIGH, M.P_VALUE]
    return buckets[keep], pd.DataFrame(mono)


def _close(panel: Panel, id_: str) -> np.ndarray:
    return panel.frames[split_ref(id_)[0]][panel.entries[split_ref(id_)[0]].default_column] \
        .reindex(panel.index).to_numpy(np.float64)


def _monotonic(label, close, bench, score, horizons, hl, window, study, spearman_ic):
    """Spearman of score vs forward return with a block-bootstrap CI (block = horizon)."""
    from engine.evaluate.core import forward_returns

    fwd = forward_returns(close, horizons, bench_close=bench)
    rng = np.random.default_rng(study.seed)
    rows = []
    for j, h in enumerate(horizons):
        ok = window & np.isfinite(fwd[:, j])
        x, y = score[ok].astype(np.float64), fwd[ok, j]
        rho = float(spearman_ic(x[:, None], y)[0]) if len(x) > 2 else np.nan
        lo = hi = np.nan
        if len(x) > 2 * h and study.n_boot:
            nb = min(study.n_boot, 300)
            nblocks = -(-len(x) // int(h))
            starts = rng.integers(0, len(x), size=(nb, nblocks))
            idx = ((starts[:, :, None] + np.arange(int(h))[None, None, :]) % len(x))
            idx = idx.reshape(nb, -1)[:, : len(x)]
            boot = spearman_ic(x[idx].T, y[idx].T)
            lo, hi = np.nanpercentile(boot, [2.5, 97.5])
        rows.append({"series": label, "horizon": hl[int(h)], "horizon_days": int(h),
                     "spearman": rho, M.CI_LOW: float(lo), M.CI_HIGH: float(hi),
                     M.N_DAYS: int(ok.sum()), M.N_INDEPENDENT: int(ok.sum() // h)})
    return rows


def _past_dates(panel: Panel, score: np.ndarray, current: int, window: np.ndarray) -> pd.DataFrame:
    """Spells with score >= today's, most recent first; the spell under way today (if any)
    comes first with ``current`` True, so its length so far reads against the past ones."""
    high = (score >= current) & window
    start = high & ~np.r_[False, high[:-1]]
    idx = np.flatnonzero(start)
    ends = np.flatnonzero(high & ~np.r_[high[1:], False])
    t = len(score) - 1
    rows = []
    for i in idx[::-1]:  # spells, not days
        e = ends[ends >= i][0]
        rows.append({"start": panel.index[i].date(), "end": panel.index[e].date(),
                     "days": int(e - i + 1), "max_score": int(score[i:e + 1].max()),
                     "current": bool(e == t)})
    return pd.DataFrame(rows, columns=["start", "end", "days", "max_score", "current"])


def _episode_starts(study, panel, names, met, score):
    rows = []
    for ep in study.episodes:
        i = int(panel.index.searchsorted(pd.Timestamp(ep.start)))
        if i >= len(panel.index):
            continue
        row = {"episode": ep.name, "date": panel.index[i].date(), "score": int(score[i])}
        for name, v in zip(names, met[i], strict=True):
            row[name] = "no data" if np.isnan(v) else ("met" if v > 0 else "not met")
        rows.append(row)
    return pd.DataFrame(rows)
