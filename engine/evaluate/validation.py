"""Out-of-sample evidence for a sweep: pick in-sample, judge out-of-sample, and correct the
in-sample pick for how many variants were tried (Hansen's SPA test).

A study's ``[validation] split = "YYYY-MM-DD"`` cuts the window in two. For every signal and
horizon the best variant is chosen on the in-sample rows by the one ranking
(:func:`engine.ranking.best_variants`); the table then shows that variant's hit rate, edge,
exact CI and n on both sides, so a reader sees whether the in-sample winner kept winning.
In-sample days are clipped (only windows that end before the split), so no in-sample window
sees an out-of-sample return.

The data-snooping question, "is the best of these K variants better than the base rate, given
that K were tried?", is Hansen's (2005) Superior Predictive Ability test, computed with
``arch.bootstrap.SPA`` (a well-kept implementation, not ours). Each variant's daily
performance is ``d_k(t) = event_k(t) * (1[fwd(t) > 0] - base_k)`` over its valid in-sample
days: its mean is P(event) x edge, so "no variant beats its base rate" is
H0: max_k E[d_k] <= 0. The losses passed to SPA are ``-d_k`` against a zero benchmark, with a
stationary bootstrap of mean block length h (the forward windows overlap by h - 1 days).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.evaluate.core import event_matrix, forward_returns
from engine.ranking import DEFAULT_MIN_INDEPENDENT, best_variants
from engine.study.windows import IN_SAMPLE, OUT_OF_SAMPLE

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

    sig = np.asarray(signals, dtype=np.float64)
    horizons = np.asarray(horizons, dtype=np.int64)
    fwd = forward_returns(close, horizons, bench_close)
    mask2 = np.asarray(mask, dtype=bool)
    if mask2.ndim == 1:
        mask2 = np.repeat(mask2[:, None], len(horizons), axis=1)
    labels, inverse = np.unique(np.asarray(groups), return_inverse=True)
    out = np.full((len(labels), len(horizons)), np.nan)
    if not n_boot:
        return out
    events = event_matrix(sig, mode) & np.isfinite(sig)
    for j, h in enumerate(horizons):  # a handful of horizons
        rows = mask2[:, j] & np.isfinite(fwd[:, j])
        if rows.sum() < 2 * h + 2:
            continue
        hit = (fwd[rows, j] > 0).astype(np.float64)[:, None]
        valid = np.isfinite(sig[rows])
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


TABLE_COLUMNS = ("n_independent", "hit_rate_independent", "base_rate", "edge_independent",
                 "ci_low", "ci_high")


def validation_table(metrics: pd.DataFrame, spa: pd.DataFrame | None = None,
                     min_independent: int = DEFAULT_MIN_INDEPENDENT) -> pd.DataFrame:
    """One row per signal x horizon: the in-sample best variant and its numbers on both
    sides of the split (``is_*`` and ``oos_*``), plus the sweep's SPA p when given."""
    ins = metrics[metrics["episode"] == IN_SAMPLE]
    oos = metrics[metrics["episode"] == OUT_OF_SAMPLE]
    if ins.empty:
        return pd.DataFrame()
    best = best_variants(ins, episode=None, min_independent=min_independent)
    n_var = ins.groupby(["signal", "horizon"])["variant"].nunique().rename("n_variants")
    keys = ["signal", "variant", "horizon"]
    out = best[[*keys, "horizon_days", *TABLE_COLUMNS]].rename(
        columns={c: f"is_{c}" for c in TABLE_COLUMNS})
    out = out.merge(oos[[*keys, *TABLE_COLUMNS]].rename(
        columns={c: f"oos_{c}" for c in TABLE_COLUMNS}), on=keys, how="left")
    out = out.merge(n_var.reset_index(), on=["signal", "horizon"], how="left")
    if spa is not None and not spa.empty:
        out = out.merge(spa, on=["signal", "horizon"], how="left")
    else:
        out["spa_p"] = np.nan
    return out.reset_index(drop=True)
