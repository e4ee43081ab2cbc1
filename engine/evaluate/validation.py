"""Out-of-sample evidence for a sweep: pick in-sample, judge out-of-sample, and correct the
in-sample pick for how many variants were tried (Hansen's SPA test).

A study's ``[validation] split = "YYYY-MM-DD"`` cuts the window in two. For every signal and
horizon the best variant is chosen on the in-sample rows by the one ranking
(:func:`engine.ranking.best_variants`); the table then shows that variant's hit rate, edge,
exact CI and n on both sides, so a reader sees whether the in-sample winner kept winning.
In-sample days are clipped (only windows that end before the split), so no in-sample window
sees an out-of-sample return.

``[validation] walk_forward = { train = "10y", test = "3y" }`` (optional ``step``, default
= test, and ``anchored = true`` for an expanding train window) repeats the pick fold by fold:
fold i picks on the train window [first + i*step, first + train + i*step) and is judged on the
``test`` months after it (:func:`walk_forward_folds`, :func:`walk_forward`). Only days whose
forward window ends inside their own train or test window count (the purge is the horizon),
so no pick sees a test-window return and the test windows' events never overlap: their
counts add up to a pooled out-of-sample hit rate, edge, exact CI and binomial p
(``walkforward.parquet``).

The data-snooping question, "is the best of these K variants better than the base rate, given
that K were tried?", is Hansen's (2005) Superior Predictive Ability test, computed with
``arch.bootstrap.SPA`` (a well-kept implementation, not ours). Each variant's daily
performance is ``d_k(t) = event_k(t) * (1[fwd(t) > 0] - base_k)`` over its valid in-sample
days: its mean is P(event) x edge, so "no variant beats its base rate" is
H0: max_k E[d_k] <= 0. The losses passed to SPA are ``-d_k`` against a zero benchmark, with a
stationary bootstrap of mean block length h (the forward windows overlap by h - 1 days).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine import metrics as M
from engine.evaluate import stats
from engine.evaluate.core import evaluate, event_matrix, forward_returns
from engine.ranking import DEFAULT_MIN_INDEPENDENT, best_variants
from engine.signal_dtype import has_data, signal_values
from engine.study.windows import IN_SAMPLE, OUT_OF_SAMPLE, clip_episode_masks

MAX_SPA_CELLS = 5e7  # T x K above this: the SPA p is left empty
SPA_REPS = 500  # bootstrap replicates per SPA test (at most the study's n_boot)


def spa_pvalues(close: np.ndarray, signals: np.ndarray, horizons: np.ndarray,
                mask: np.ndarray, groups: np.ndarray, mode: str, n_boot: int, seed: int,
                bench_close: np.ndarray | None = None) -> np.ndarray:
    """(G, H) consistent SPA p-values, one per group of variant columns and horizon.

    ``mask`` is (T, H) (or (T,)): the days the test uses. ``groups`` (K,) labels each column
    (its signal); columns of one group form one sweep. NaN where the group never fired on
    those days, ``n_boot`` is 0, or T x K exceeds ``MAX_SPA_CELLS``. Uses min(n_boot,
    ``SPA_REPS``) replicates, seeded, so reruns give the same p.
    """
    from arch.bootstrap import SPA

    sig = signal_values(signals)
    horizons = np.asarray(horizons, dtype=np.int64)
    fwd = forward_returns(close, horizons, bench_close)
    mask2 = np.asarray(mask, dtype=bool)
    if mask2.ndim == 1:
        mask2 = np.repeat(mask2[:, None], len(horizons), axis=1)
    labels, inverse = np.unique(np.asarray(groups), return_inverse=True)
    out = np.full((len(labels), len(horizons)), np.nan)
    if not n_boot:
        return out
    events = event_matrix(sig, mode) & has_data(sig)
    for j, h in enumerate(horizons):  # a handful of horizons
        rows = mask2[:, j] & np.isfinite(fwd[:, j])
        if rows.sum() < 2 * h + 2:
            continue
        hit = (fwd[rows, j] > 0).astype(np.float64)[:, None]
        valid = has_data(sig[rows])
        with np.errstate(invalid="ignore", divide="ignore"):
            base = (hit * valid).sum(axis=0) / np.maximum(valid.sum(axis=0), 1)
        perf = events[rows] * (hit - base[None, :])  # (T', K)
        for g in range(len(labels)):  # one SPA per sweep (signal): a handful
            cols = np.flatnonzero(inverse == g)
            d = perf[:, cols]
            if not events[rows][:, cols].any() or d.size > MAX_SPA_CELLS:
                continue
            spa = SPA(np.zeros(d.shape[0]), -d, block_size=int(h),
                      reps=int(min(n_boot, SPA_REPS)),
                      bootstrap="stationary", seed=int(seed))
            spa.compute()
            out[g, j] = float(spa.pvalues["consistent"])
    return out


TABLE_COLUMNS = (M.N_INDEPENDENT, M.HIT_RATE_INDEPENDENT, M.BASE_RATE, M.EDGE_INDEPENDENT,
                 M.CI_LOW, M.CI_HIGH)


def validation_table(metrics: pd.DataFrame, spa: pd.DataFrame | None = None,
                     min_independent: int = DEFAULT_MIN_INDEPENDENT) -> pd.DataFrame:
    """One row per signal x horizon: the in-sample best variant and its numbers on both
    sides of the split (``is_*`` and ``oos_*``), plus the sweep's SPA p when given."""
    ins = metrics[metrics[M.EPISODE] == IN_SAMPLE]
    oos = metrics[metrics[M.EPISODE] == OUT_OF_SAMPLE]
    if ins.empty:
        return pd.DataFrame()
    best = best_variants(ins, episode=None, min_independent=min_independent)
    n_var = ins.groupby([M.SIGNAL, M.HORIZON])[M.VARIANT].nunique().rename(M.N_VARIANTS)
    keys = [M.SIGNAL, M.VARIANT, M.HORIZON]
    ip, op = M.IN_SAMPLE_PREFIX, M.OUT_OF_SAMPLE_PREFIX
    out = best[[*keys, M.HORIZON_DAYS, *TABLE_COLUMNS]].rename(
        columns={c: ip + c for c in TABLE_COLUMNS})
    out = out.merge(oos[[*keys, *TABLE_COLUMNS]].rename(
        columns={c: op + c for c in TABLE_COLUMNS}), on=keys, how="left")
    out = out.merge(n_var.reset_index(), on=[M.SIGNAL, M.HORIZON], how="left")
    if spa is not None and not spa.empty:
        out = out.merge(spa, on=[M.SIGNAL, M.HORIZON], how="left")
    else:
        out[M.SPA_P] = np.nan
    return out.reset_index(drop=True)


# ----------------------------------------------------------------------------- walk-forward

@dataclass(frozen=True)
class Fold:
    """One walk-forward fold: its calendar bounds and (T, H) day masks.

    ``train``/``test`` hold the window days inside [train_lo, train_hi) / [test_lo, test_hi)
    whose h-day forward window (entered at the next close, left h closes later) ends on or
    before the last data day of that same window: no train window sees a test-window return
    (the purge is the horizon), and no test window reaches into the next fold's test window,
    so the pooled out-of-sample events never overlap."""

    number: int
    train_lo: pd.Timestamp
    train_hi: pd.Timestamp  # exclusive
    test_lo: pd.Timestamp
    test_hi: pd.Timestamp  # exclusive
    train: np.ndarray
    test: np.ndarray
    days: tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp, pd.Timestamp] | None = None
    # first and last data day of the train window, then of the test window


def walk_forward_folds(index: pd.DatetimeIndex, window: np.ndarray, train_months: int,
                       test_months: int, step_months: int, anchored: bool,
                       horizons: np.ndarray) -> list[Fold]:
    """The folds of ``[validation] walk_forward`` over the window days of ``index``.

    Fold i (from 0) trains on [first + i*step, first + train + i*step) (anchored: from
    ``first``, the window's first day) and tests on the ``test`` months that follow, calendar
    months throughout; folds continue while the test window starts inside the data (the last
    one may be shorter). Folds whose train or test side has no day with a complete forward
    window at some horizon keep that horizon empty; folds with none at all are dropped."""
    idx = pd.DatetimeIndex(index)
    window = np.asarray(window, dtype=bool)
    days = idx[window]
    if days.empty:
        return []
    first, last = days[0], days[-1]
    folds: list[Fold] = []
    i = 0
    while True:  # a handful of folds (calendar arithmetic, not a loop over dates)
        lo = first if anchored else first + pd.DateOffset(months=i * step_months)
        train_hi = first + pd.DateOffset(months=train_months + i * step_months)
        test_hi = train_hi + pd.DateOffset(months=test_months)
        if train_hi > last:
            break
        in_tr = window & (idx >= lo) & (idx < train_hi)
        in_te = window & (idx >= train_hi) & (idx < test_hi)
        tr, te = clip_episode_masks(in_tr, horizons), clip_episode_masks(in_te, horizons)
        if tr.any() and te.any():
            a, b = idx[in_tr], idx[in_te]
            folds.append(Fold(len(folds) + 1, lo, train_hi, train_hi, test_hi, tr, te,
                              (a[0], a[-1], b[0], b[-1])))
        i += 1
    return folds


_WF_COUNTS = (M.N_DAYS, M.N_EVENTS, M.N_INDEPENDENT)
_WF_SIDE = (M.N_INDEPENDENT, M.HIT_RATE_INDEPENDENT, M.BASE_RATE, M.EDGE_INDEPENDENT,
            M.CI_LOW, M.CI_HIGH, M.Q_VALUE)
_WF_OOS = (M.N_DAYS, M.N_EVENTS, M.N_INDEPENDENT, M.HIT_RATE_INDEPENDENT, M.BASE_RATE,
           M.EDGE_INDEPENDENT, M.CI_LOW, M.CI_HIGH, M.MEAN_FWD, M.BASE_MEAN_FWD, M.P_VALUE)


def walk_forward(close: np.ndarray, signals: np.ndarray, numeric: np.ndarray,
                 horizons: np.ndarray, horizon_labels: dict[int, str], labels: pd.DataFrame,
                 index: pd.DatetimeIndex, folds: list[Fold], mode: str,
                 bench_close: np.ndarray | None = None,
                 min_independent: int = DEFAULT_MIN_INDEPENDENT) -> pd.DataFrame:
    """Per fold and pooled: each signal's best variant picked on the fold's train days,
    judged on its test days. One row per signal x horizon x fold, then one ``pooled`` row
    per signal x horizon.

    Every fold's train and test masks are episodes of one ``evaluate`` call (no bootstrap:
    the intervals are exact). In-sample, p is the binomial test of each variant on the train
    days and q its Benjamini-Hochberg adjustment over every row of that fold's train side
    (the sweep the pick is made from), so the pick is the one ranking's
    (:func:`engine.ranking.best_variants`: q, then independent events, then |edge|). Signals
    whose pick never fired in the train window are left out of that fold. The pooled row
    adds the folds' counts (independent hits, events, days; the test windows do not overlap,
    so neither do their events): hit rate, base rate (days-weighted), edge, exact CI, mean
    forward return, a binomial p against the pooled base rate and its Benjamini-Hochberg q
    over the pooled rows (every signal x horizon of the table).
    """
    horizons = np.asarray(horizons, dtype=np.int64)
    if not folds:
        return pd.DataFrame()
    episodes = [(f"train-{f.number}", f.train) for f in folds]
    episodes += [(f"test-{f.number}", f.test) for f in folds]
    del numeric  # no IC here: the pick and its test use hit rates and event counts only
    n_k = np.asarray(signals).shape[1]
    res = evaluate(close, signals, np.zeros(n_k, dtype=bool), horizons, episodes, mode=mode,
                   bench_close=bench_close, n_boot=0, episode_tests=[True] * len(episodes))
    frame = res.to_frame(labels)
    frame.insert(frame.columns.get_loc(M.HORIZON_DAYS), M.HORIZON,
                 frame[M.HORIZON_DAYS].map(horizon_labels))
    keys = [M.SIGNAL, M.VARIANT, M.HORIZON]
    ip, op = M.IN_SAMPLE_PREFIX, M.OUT_OF_SAMPLE_PREFIX
    parts = []
    for f in folds:  # a handful of folds
        tr = frame[frame[M.EPISODE] == f"train-{f.number}"].copy()
        tr[M.Q_VALUE] = stats.bh_qvalues(tr[M.P_VALUE].to_numpy(np.float64))
        n_var = tr.groupby([M.SIGNAL, M.HORIZON])[M.VARIANT].nunique().rename(M.N_VARIANTS)
        best = best_variants(tr, episode=None, min_independent=min_independent)
        best = best[best[M.N_EVENTS] > 0]
        te = frame[frame[M.EPISODE] == f"test-{f.number}"]
        row = best[[*keys, M.HORIZON_DAYS, *_WF_SIDE]].rename(
            columns={c: ip + c for c in _WF_SIDE})
        row = row.merge(te[[*keys, *_WF_OOS]].rename(columns={c: op + c for c in _WF_OOS}),
                        on=keys, how="left")
        row = row.merge(n_var.reset_index(), on=[M.SIGNAL, M.HORIZON], how="left")
        days = f.days or (index[f.train.any(axis=1)][0], index[f.train.any(axis=1)][-1],
                          index[f.test.any(axis=1)][0], index[f.test.any(axis=1)][-1])
        row.insert(0, M.FOLD, str(f.number))
        row[M.TRAIN_START], row[M.TRAIN_END], row[M.TEST_START], row[M.TEST_END] = days
        parts.append(row)
    folds_t = pd.concat(parts, ignore_index=True)
    pooled = _pool(folds_t)
    out = pd.concat([folds_t, pooled], ignore_index=True)
    out[M.FOLD] = out[M.FOLD].astype(object)
    for c in (M.IN_SAMPLE_PREFIX + M.N_INDEPENDENT, M.N_VARIANTS,
              *(M.OUT_OF_SAMPLE_PREFIX + c for c in _WF_COUNTS)):
        out[c] = out[c].astype("Int64")
    order = {s: i for i, s in enumerate(dict.fromkeys(labels[M.SIGNAL]))}
    out["_s"] = out[M.SIGNAL].map(order)
    out["_f"] = np.where(out[M.FOLD] == M.POOLED, 10**6,
                         pd.to_numeric(out[M.FOLD], errors="coerce"))
    out = out.sort_values(["_s", M.HORIZON_DAYS, "_f"], kind="stable")
    return out.drop(columns=["_s", "_f"]).reset_index(drop=True)


def _pool(folds_t: pd.DataFrame) -> pd.DataFrame:
    """One pooled row per signal x horizon from the per-fold out-of-sample counts."""
    op = M.OUT_OF_SAMPLE_PREFIX
    f = folds_t.copy()
    n_ind = f[op + M.N_INDEPENDENT].fillna(0)
    n_ev = f[op + M.N_EVENTS].fillna(0)
    n_days = f[op + M.N_DAYS].fillna(0)
    f["_ih"] = np.rint(f[op + M.HIT_RATE_INDEPENDENT].fillna(0) * n_ind)
    f["_bh"] = f[op + M.BASE_RATE].fillna(0) * n_days
    f["_ms"] = f[op + M.MEAN_FWD].fillna(0) * n_ev
    f["_bs"] = f[op + M.BASE_MEAN_FWD].fillna(0) * n_days
    f["_ni"], f["_ne"], f["_nd"] = n_ind, n_ev, n_days
    g = f.groupby([M.SIGNAL, M.HORIZON, M.HORIZON_DAYS], sort=False)
    s = g[["_ih", "_bh", "_ms", "_bs", "_ni", "_ne", "_nd"]].sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        hit = np.where(s["_ni"] > 0, s["_ih"] / s["_ni"].where(s["_ni"] > 0, 1), np.nan)
        base = np.where(s["_nd"] > 0, s["_bh"] / s["_nd"].where(s["_nd"] > 0, 1), np.nan)
        mean = np.where(s["_ne"] > 0, s["_ms"] / s["_ne"].where(s["_ne"] > 0, 1), np.nan)
        bmean = np.where(s["_nd"] > 0, s["_bs"] / s["_nd"].where(s["_nd"] > 0, 1), np.nan)
    low, high = stats.exact_binomial_ci(s["_ih"].to_numpy(), s["_ni"].to_numpy())
    out = s.reset_index()[[M.SIGNAL, M.HORIZON, M.HORIZON_DAYS]]
    out.insert(0, M.FOLD, M.POOLED)
    out[M.VARIANT] = "per fold"
    out[op + M.N_DAYS] = s["_nd"].to_numpy().astype(np.int64)
    out[op + M.N_EVENTS] = s["_ne"].to_numpy().astype(np.int64)
    out[op + M.N_INDEPENDENT] = s["_ni"].to_numpy().astype(np.int64)
    out[op + M.HIT_RATE_INDEPENDENT] = hit
    out[op + M.BASE_RATE] = base
    out[op + M.EDGE_INDEPENDENT] = hit - base
    out[op + M.CI_LOW], out[op + M.CI_HIGH] = low, high
    out[op + M.MEAN_FWD] = mean
    out[op + M.BASE_MEAN_FWD] = bmean
    out[op + M.P_VALUE] = stats.binomial_pvalue(s["_ih"].to_numpy(), s["_ni"].to_numpy(), base)
    out[op + M.Q_VALUE] = stats.bh_qvalues(out[op + M.P_VALUE].to_numpy(np.float64))
    out[M.N_VARIANTS] = g[M.N_VARIANTS].max().to_numpy()
    out[M.TEST_START] = g[M.TEST_START].min().to_numpy()
    out[M.TEST_END] = g[M.TEST_END].max().to_numpy()
    return out
