"""Event-list bootstrap (engine.bootstrap) against the dense matrix-product one it replaces."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.evaluate import bootstrap, stats
from engine.evaluate.core import MIN_CI_EVENTS, evaluate, event_matrix, forward_returns


def _persistent_signals(rng, n, k, nan_head=True):
    """On/off spells of random length, NaN before a random start: like real signals."""
    flips = rng.random((n, k)) < rng.uniform(0.01, 0.2, size=k)
    sig = (np.cumsum(flips, axis=0) % 2).astype(np.float64)
    if nan_head:
        for j in range(k):
            sig[: rng.integers(0, n // 4), j] = np.nan
    return sig


def _dense_reference(sig, fwd, ep, horizons, mode, n_boot, seed):
    """The previous implementation: dense (T, K x E) indicators through block_bootstrap_ci."""
    n_k, n_e = sig.shape[1], ep.shape[0]
    low = np.full((n_k, len(horizons), n_e), np.nan)
    high = low.copy()
    event = event_matrix(sig, mode) & np.isfinite(sig)
    for j, h in enumerate(horizons):
        ok = np.isfinite(fwd[:, j])[:, None] & ep.T
        den = event[:, :, None] & ok[:, None, :]
        num = den & (fwd[:, j] > 0)[:, None, None]
        lo, hi = stats.block_bootstrap_ci(num.reshape(len(sig), -1).astype(float),
                                          den.reshape(len(sig), -1).astype(float), int(h),
                                          n_boot, seed)
        low[:, j], high[:, j] = lo.reshape(n_k, n_e), hi.reshape(n_k, n_e)
    return low, high


@settings(max_examples=15, deadline=None)
@given(n=st.integers(60, 400), k=st.integers(1, 12), seed=st.integers(0, 2**16),
       n_boot=st.sampled_from([1, 7, 130, 300]), mode=st.sampled_from(["events", "state"]))
def test_hit_rate_ci_bit_identical_to_dense_bootstrap(n, k, seed, n_boot, mode):
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    sig = _persistent_signals(rng, n, k)
    horizons = np.array([1, 5, 21])
    ep_mask = np.zeros(n, dtype=bool)
    ep_mask[n // 3: 2 * n // 3] = True
    episodes = [("all", np.ones(n, dtype=bool)), ("mid", ep_mask)]
    res = evaluate(close, sig, np.zeros(k, bool), horizons, episodes, mode=mode,
                   n_boot=n_boot, seed=seed)
    lo, hi = _dense_reference(sig, forward_returns(close, horizons),
                              np.stack([m for _, m in episodes]), horizons, mode, n_boot, seed)
    few = res.metrics["n_independent"] < MIN_CI_EVENTS
    lo[few], hi[few] = np.nan, np.nan
    np.testing.assert_array_equal(res.metrics["boot_low"], lo)  # integer sums: exact
    np.testing.assert_array_equal(res.metrics["boot_high"], hi)


def test_float_weights_match_dense_bootstrap_to_rounding():
    """A mean (float weights) equals block_bootstrap_ci up to the order of the sums."""
    rng = np.random.default_rng(3)
    n, k = 500, 6
    sig = _persistent_signals(rng, n, k)
    ev = event_matrix(sig, "events") & np.isfinite(sig)
    w = rng.normal(0.01, 0.05, n)
    ok = rng.random(n) > 0.1
    den = (ev & ok[:, None]).astype(float)
    lo_ref, hi_ref = stats.block_bootstrap_ci(den * w[:, None], den, 10, 257, 11)
    kk, tt = np.nonzero(ev.T)
    ptr = np.concatenate([[0], np.cumsum(np.bincount(kk, minlength=k))])
    counts = bootstrap.replicate_counts(n, 10, 257, 11)
    lo, hi = bootstrap.event_ratio_ci(counts, ptr, tt, w, ok, np.ones((1, n), bool),
                                      np.zeros((k, 1), bool))
    np.testing.assert_allclose(lo[:, 0], lo_ref, rtol=0, atol=1e-12)
    np.testing.assert_allclose(hi[:, 0], hi_ref, rtol=0, atol=1e-12)
    assert np.isfinite(lo).all()


def test_skipped_and_eventless_cells_are_nan():
    n = 50
    counts = bootstrap.replicate_counts(n, 5, 20, 0)
    ptr = np.array([0, 2, 2])  # column 0: events on days 3 and 30; column 1: none
    days = np.array([3, 30])
    lo, hi = bootstrap.event_ratio_ci(counts, ptr, days, np.ones(n), np.ones(n, bool),
                                      np.ones((2, n), bool), np.array([[False, True],
                                                                       [False, False]]))
    assert lo[0, 0] == hi[0, 0] == 1.0  # every event a hit
    assert np.isnan(lo[0, 1]) and np.isnan(lo[1]).all() and np.isnan(hi[1]).all()


def test_replicate_counts_are_block_bootstrap_draws():
    c = bootstrap.replicate_counts(100, 7, 300, 5)
    assert c.shape == (100, 300)
    np.testing.assert_array_equal(c.sum(axis=0), 100)  # every replicate has T days
    with pytest.raises(ValueError, match="alpha"):
        bootstrap.event_ratio_ci(c, np.array([0]), np.array([], int), np.ones(100),
                                 np.ones(100, bool), np.ones((1, 100), bool),
                                 np.zeros((0, 1), bool), alpha=1.5)


# ------------------------------------------------------------------ event paths kernel


def _paths_reference(close, sig, max_days, mode, bench=None, mask=None):
    """The previous event_paths: (events x steps) path matrix summed with np.add.at."""
    ev = event_matrix(sig, mode)
    if mask is not None:
        ev &= mask[:, None]
    k, t = np.nonzero(ev.T)
    steps = np.arange(max_days + 1)

    def path(c):
        n = len(c)
        entry = t + 1
        idx = entry[:, None] + steps[None, :]
        with np.errstate(invalid="ignore", divide="ignore"):
            base = np.where(entry < n, c[np.minimum(entry, n - 1)], np.nan)
            out = c[np.minimum(idx, n - 1)] / base[:, None] - 1.0
        out[idx >= n] = np.nan
        out[~np.isfinite(out)] = np.nan
        return out

    p = path(close) if bench is None else path(close) - path(bench)
    ok = np.isfinite(p)
    vals = np.where(ok, p, 0.0)
    shape = (sig.shape[1], max_days + 1)
    count, total, squares = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    np.add.at(count, k, ok.astype(np.float64))
    np.add.at(total, k, vals)
    np.add.at(squares, k, vals * vals)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, total / count, np.nan)
        var = np.where(count > 1, (squares - count * mean * mean) / (count - 1), np.nan)
    return mean, np.sqrt(np.maximum(var, 0.0)), count.astype(np.int64)


@settings(max_examples=15, deadline=None)
@given(n=st.integers(30, 300), k=st.integers(1, 8), seed=st.integers(0, 2**16),
       with_bench=st.booleans(), mode=st.sampled_from(["events", "state"]))
def test_event_paths_kernel_bit_identical_to_add_at(n, k, seed, with_bench, mode):
    from engine.evaluate.core import event_paths

    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, n)))
    close[rng.random(n) < 0.02] = np.nan  # holes in the prices
    bench = 50 * np.exp(np.cumsum(rng.normal(0, 0.01, n))) if with_bench else None
    sig = _persistent_signals(rng, n, k)
    mask = rng.random(n) < 0.8
    max_days = int(rng.integers(1, 60))
    got = event_paths(close, sig, np.zeros(k, bool), max_days, mode, bench, mask)
    want = _paths_reference(close, sig, max_days, mode, bench, mask)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)


# ------------------------------------------------------------------ backtest in column slices


def test_backtest_slices_and_shown_equity_equal_one_call(monkeypatch):
    import pandas as pd

    from engine import backtest as bt
    from engine.report import charts

    rng = np.random.default_rng(8)
    n, k = 300, 9
    dates = pd.bdate_range("2020-01-01", periods=n)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    bench = 50 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    sig = _persistent_signals(rng, n, k)
    labels = pd.DataFrame({"signal": ["a"] * 5 + ["b"] * 4, "variant": [f"v{i}" for i in range(k)]})
    kw = dict(bench_close=bench, hedge=True, fees=0.001, slippage=0.0005)
    whole = bt.backtest(dates, close, sig, labels, **kw)
    monkeypatch.setattr(bt, "_STATS_CHUNK_BYTES", 8 * n * 2)  # two columns per slice
    sliced = bt.backtest(dates, close, sig, labels, **kw)
    # numpy's column sums may round differently with the slice width: 1e-12, not bits
    pd.testing.assert_frame_equal(sliced.metrics, whole.metrics, check_exact=False, rtol=1e-12,
                                  atol=1e-15)
    pd.testing.assert_frame_equal(sliced.equity, whole.equity, check_exact=True)
    top = bt.backtest(dates, close, sig, labels, equity_top=2, **kw)
    pd.testing.assert_frame_equal(top.metrics, sliced.metrics, check_exact=True)
    assert len(top.equity.columns) == 2 + 2 + 2  # 2 per signal + 2 buy-and-hold
    pd.testing.assert_frame_equal(top.equity, whole.equity[top.equity.columns],
                                  check_exact=True)
    # the chart's choice (best variant per signal by Sharpe) is among the kept curves
    assert charts.equity_columns(top.equity, top.metrics) == charts.equity_columns(
        whole.equity, whole.metrics)


def test_event_lists_in_column_slices_equal_one_pass():
    from engine.evaluate import core

    rng = np.random.default_rng(2)
    sig = _persistent_signals(rng, 120, 2 * core._CHUNK + 7)
    mask = rng.random(120) < 0.7
    for mode in ("events", "state"):
        ev = event_matrix(sig, mode) & mask[:, None]
        k, t = np.nonzero(ev.T)
        got_t, got_k = core.events_in(sig, mode, mask)
        np.testing.assert_array_equal(got_t, t)
        np.testing.assert_array_equal(got_k, k)
