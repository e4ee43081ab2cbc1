"""The evaluate kernel: hand-computed cases, the naive reference, and invariants (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.evaluate import reference as naive
from engine.evaluate import stats
from engine.evaluate.core import (
    METRICS,
    evaluate,
    event_matrix,
    event_paths,
    event_table,
    forward_returns,
)
from engine.evaluate.distributed import evaluate_chunked

CLOSE = np.array([100.0, 101.0, 102.0, 100.0, 103.0, 104.0])
# fwd over 1 day entered at the next close: close[t+2] / close[t+1] - 1
FWD1 = np.array([102 / 101 - 1, 100 / 102 - 1, 103 / 100 - 1, 104 / 103 - 1, np.nan, np.nan])


def _all(n: int) -> list[tuple[str, np.ndarray]]:
    return [("all", np.ones(n, dtype=bool))]


def _one(signal, mode="events", close=CLOSE, horizons=(1,), bench=None, episodes=None, **kw):
    sig = np.asarray(signal, dtype=np.float64)[:, None]
    res = evaluate(close, sig, np.zeros(1, dtype=bool), np.array(horizons), episodes
                   or _all(len(close)), mode=mode, bench_close=bench, **kw)
    return {k: v[0, 0, 0] for k, v in res.metrics.items()}


def test_forward_returns_enter_at_next_close_and_end_with_nan():
    fwd = forward_returns(CLOSE, np.array([1, 2]))
    np.testing.assert_allclose(fwd[:, 0], FWD1, equal_nan=True)
    np.testing.assert_allclose(fwd[:, 1], [100 / 101 - 1, 103 / 102 - 1, 104 / 100 - 1,
                                           np.nan, np.nan, np.nan], equal_nan=True)


def test_forward_returns_minus_benchmark():
    bench = np.array([50.0, 50.0, 51.0, 51.0, 51.0, 52.0])
    fwd = forward_returns(CLOSE, np.array([1]), bench)
    np.testing.assert_allclose(fwd[:4, 0], FWD1[:4] - np.array([0.02, 0.0, 0.0, 52 / 51 - 1]))


def test_events_mode_hand_computed():
    # events: rising edges at t=1 and t=4; t=4 has no forward window (end of data) -> dropped
    m = _one([0, 1, 1, 0, 1, 0])
    assert m["n_days"] == 4 and m["n_events"] == 1 and m["n_independent"] == 1
    assert m["hit_rate"] == 0.0
    assert m["base_rate"] == 0.75
    assert m["edge"] == -0.75
    assert m["mean_fwd"] == pytest.approx(100 / 102 - 1)
    assert m["median_fwd"] == pytest.approx(100 / 102 - 1)
    assert m["base_mean_fwd"] == pytest.approx(np.nanmean(FWD1))


def test_state_mode_hand_computed():
    m = _one([0, 1, 1, 0, 1, 0], mode="state")
    assert m["n_events"] == 2 and m["hit_rate"] == 0.5
    assert m["mean_fwd"] == pytest.approx((FWD1[1] + FWD1[2]) / 2)
    assert m["median_fwd"] == pytest.approx((FWD1[1] + FWD1[2]) / 2)


def test_no_edge_out_of_missing_data():
    # yesterday NaN is "unknown", not "off": t=1 is no event; t=3 is
    m = _one([np.nan, 1, 0, 1, 0, 0])
    assert m["n_days"] == 3 and m["n_events"] == 1
    assert m["hit_rate"] == 1.0  # fwd at t=3 is 104/103 - 1 > 0


def test_signal_without_data_gives_zero_days_not_made_up_numbers():
    m = _one([np.nan] * 6)
    assert m["n_days"] == 0 and m["n_events"] == 0
    assert np.isnan(m["hit_rate"]) and np.isnan(m["base_rate"]) and np.isnan(m["p_value"])


def test_independent_events_are_at_least_h_days_apart():
    close = 100 * np.exp(np.linspace(0, 0.2, 40))  # always rising: every hit is 1
    sig = np.zeros(40)
    sig[[2, 4, 6, 12]] = 1.0  # rising edges at 2, 4, 6, 12
    m = _one(sig, close=close, horizons=(3,))
    assert m["n_events"] == 4
    assert m["n_independent"] == 3  # 2 kept, 4 too close, 6 kept (4 days later), 12 kept
    # 3 of 3 independent hits against a base rate of 1.0: binomial p = 1
    assert m["p_value"] == 1.0


def test_episode_mask_restricts_event_days_and_base_rate():
    ep = np.array([False, True, True, True, False, False])
    m = _one([0, 1, 1, 0, 1, 0], episodes=[("all", np.ones(6, bool)), ("ep", ep)])
    assert m["n_days"] == 4  # episode 0 is "all"
    res = evaluate(CLOSE, np.array([[0, 1, 1, 0, 1, 0]], float).T, np.zeros(1, bool),
                   np.array([1]), [("all", np.ones(6, bool)), ("ep", ep)])
    assert res.metrics["n_days"][0, 0, 1] == 3
    assert res.metrics["base_rate"][0, 0, 1] == pytest.approx(2 / 3)
    frame = res.to_frame(pd.DataFrame({"signal": ["s"], "variant": ["v"], "params": ["{}"]}))
    assert list(frame["episode"]) == ["all", "ep"]
    assert frame["n_days"].dtype == np.int64


def test_matches_naive_reference_on_random_signals():
    rng = np.random.default_rng(3)
    n = 400
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    sig = (rng.random((n, 12)) > 0.6).astype(float)
    sig[:30, 2] = np.nan
    sig[100:140, 5] = np.nan
    horizons = np.array([1, 5, 21])
    ep = np.zeros(n, dtype=bool)
    ep[150:300] = True
    for mode in ("events", "state"):
        res = evaluate(close, sig, np.zeros(12, bool), horizons,
                       [("all", np.ones(n, bool)), ("ep", ep)], mode=mode)
        for e, mask in enumerate((None, ep)):
            ref = naive.naive_metrics(close, sig, horizons, mode, mask)
            ours = {m: res.metrics[m][:, :, e] for m in naive.METRICS}
            assert naive.compare(ours, ref)["ok"], naive.compare(ours, ref)


def test_hac_t_matches_stats_newey_west():
    rng = np.random.default_rng(5)
    n = 300
    close = 100 * np.exp(np.cumsum(rng.normal(0.0005, 0.01, n)))
    sig = (rng.random((n, 4)) > 0.5).astype(float)
    horizons = np.array([1, 10])
    res = evaluate(close, sig, np.zeros(4, bool), horizons, _all(n))
    fwd = forward_returns(close, horizons)
    ev = event_matrix(sig, "events").astype(float)
    for j, h in enumerate(horizons):
        x = np.where(np.isfinite(fwd[:, j])[:, None], ev, np.nan)
        t, p = stats.newey_west_tstat(fwd[:, j], x, int(h) - 1)
        np.testing.assert_allclose(res.metrics["t_hac"][:, j, 0], t, rtol=1e-10)
        np.testing.assert_allclose(res.metrics["p_hac"][:, j, 0], p, rtol=1e-10)


def test_binomial_p_uses_independent_events_against_base_rate():
    rng = np.random.default_rng(8)
    n = 500
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    sig = (rng.random((n, 1)) > 0.7).astype(float)
    m = _one(sig[:, 0], close=close, horizons=(5,))
    from scipy.stats import binomtest

    fwd = forward_returns(close, np.array([5]))[:, 0]
    ev = np.flatnonzero(event_matrix(sig, "events")[:, 0] & np.isfinite(fwd))
    kept, last = [], -99
    for t in ev:  # the obvious greedy rule, written out
        if t - last >= 5:
            kept.append(t)
            last = t
    hits = int((fwd[kept] > 0).sum())
    assert m["n_independent"] == len(kept)
    expected = binomtest(hits, len(kept), m["base_rate"]).pvalue
    assert m["p_value"] == pytest.approx(expected, rel=1e-9)


def test_bootstrap_ci_brackets_hit_rate_and_is_deterministic():
    rng = np.random.default_rng(1)
    n = 600
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    sig = (rng.random((n, 3)) > 0.5).astype(float)
    a = evaluate(close, sig, np.zeros(3, bool), np.array([5]), _all(n), n_boot=300, seed=4)
    b = evaluate(close, sig, np.zeros(3, bool), np.array([5]), _all(n), n_boot=300, seed=4)
    lo, hi, hr = (a.metrics[k][:, 0, 0] for k in ("boot_low", "boot_high", "hit_rate"))
    assert np.all(lo <= hr) and np.all(hr <= hi) and np.all(hi - lo > 0)
    np.testing.assert_array_equal(lo, b.metrics["boot_low"][:, 0, 0])


def test_ic_only_for_numeric_signals():
    n = 200
    close = 100 * np.exp(np.linspace(0, 0.5, n) + 0.01 * np.sin(np.arange(n)))
    fwd = forward_returns(close, np.array([1]))[:, 0]
    value = np.r_[fwd[1:], np.nan]  # a numeric signal equal to the forward return shifted
    sig = np.column_stack([np.nan_to_num(fwd, nan=0.0), value])
    res = evaluate(close, sig, np.array([True, False]), np.array([1]), _all(n))
    assert res.metrics["ic"][0, 0, 0] == pytest.approx(1.0)
    assert np.isnan(res.metrics["ic"][1, 0, 0])


def test_event_table_and_paths():
    sig = np.array([0, 1, 1, 0, 1, 0], float)[:, None]
    dates = pd.bdate_range("2024-01-01", periods=6)
    tab = event_table(dates, sig, np.zeros(1, bool), np.array([1]), "events", CLOSE)
    assert list(tab["date"]) == [dates[1]]  # the event at t=4 has no forward window
    assert list(tab["entry_date"]) == [dates[2]]
    assert tab["fwd_return"].iloc[0] == pytest.approx(100 / 102 - 1)
    mean, _, count = event_paths(CLOSE, sig, np.zeros(1, bool), 2, "events")
    # events at t=1 (entry 102: path 0, 100/102-1, 103/102-1) and t=4 (entry 104: 0, nan, nan)
    np.testing.assert_allclose(mean[0], [0.0, 100 / 102 - 1, 103 / 102 - 1])
    np.testing.assert_array_equal(count[0], [2, 1, 1])
    masked = event_table(dates, sig, np.zeros(1, bool), np.array([1]), "events", CLOSE,
                         mask=np.array([0, 0, 1, 1, 1, 1], bool))
    assert masked.empty


# ------------------------------------------------------------------ invariants (hypothesis)

signals_st = st.integers(min_value=30, max_value=120).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.integers(0, 2**31 - 1),
        st.integers(1, 6),
        st.floats(0.05, 0.95),
    )
)


def _random_case(n, seed, k, p_on):
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    sig = (rng.random((n, k)) < p_on).astype(float)
    sig[rng.random((n, k)) < 0.05] = np.nan
    return close, sig


@settings(max_examples=40, deadline=None)
@given(signals_st, st.sampled_from(["events", "state"]))
def test_invariants(case, mode):
    n, seed, k, p_on = case
    close, sig = _random_case(n, seed, k, p_on)
    horizons = np.array([1, 3, 10])
    res = evaluate(close, sig, np.zeros(k, bool), horizons, _all(n), mode=mode)
    m = res.metrics
    hr = m["hit_rate"][np.isfinite(m["hit_rate"])]
    assert np.all((hr >= 0) & (hr <= 1))
    assert np.all(m["n_events"] <= m["n_days"])
    assert np.all(m["n_independent"] <= m["n_events"])
    # base rate does not depend on the signal: a fully-known signal gets the series' base rate
    full = np.nan_to_num(sig)
    res_full = evaluate(close, np.column_stack([full, 1 - full]), np.zeros(2 * k, bool),
                        horizons, _all(n), mode="state")
    base = res_full.metrics["base_rate"]
    assert np.allclose(base, base[:1], equal_nan=True)
    # a signal and its negation partition the valid days (state mode)
    ev = res_full.metrics["n_events"]
    np.testing.assert_array_equal(ev[:k] + ev[k:], res_full.metrics["n_days"][:k])
    # order of signals does not matter
    perm = np.random.default_rng(seed).permutation(k)
    res_p = evaluate(close, sig[:, perm], np.zeros(k, bool), horizons, _all(n), mode=mode)
    for name in METRICS:
        np.testing.assert_array_equal(res_p.metrics[name], m[name][perm])
    # chunked evaluation (what the Dask executor does) equals one call
    chunked = evaluate_chunked(close, sig, np.zeros(k, bool), horizons, _all(n), mode, None, 0,
                               0, chunk=2)
    for name in METRICS:
        np.testing.assert_array_equal(chunked.metrics[name], m[name])


@settings(max_examples=25, deadline=None)
@given(st.integers(40, 150), st.integers(0, 2**31 - 1))
def test_always_on_state_signal_reproduces_base_rate(n, seed):
    close, _ = _random_case(n, seed, 1, 0.5)
    res = evaluate(close, np.ones((n, 1)), np.zeros(1, bool), np.array([1, 5]), _all(n),
                   mode="state")
    np.testing.assert_array_equal(res.metrics["hit_rate"], res.metrics["base_rate"])
    np.testing.assert_allclose(res.metrics["mean_fwd"], res.metrics["base_mean_fwd"])
    np.testing.assert_array_equal(res.metrics["edge"], 0.0)


@settings(max_examples=25, deadline=None)
@given(st.integers(60, 150), st.integers(0, 2**31 - 1), st.integers(1, 10))
def test_no_look_ahead_future_prices_do_not_change_the_past(n, seed, h):
    """Rewriting everything after a cut leaves metrics of an episode that ends h+1 bars earlier
    unchanged: a day's forward window is its only view of the future."""
    close, sig = _random_case(n, seed, 3, 0.4)
    cut = n // 2
    later = close.copy()
    later[cut:] *= np.random.default_rng(seed + 1).uniform(0.5, 1.5, n - cut)
    sig2 = sig.copy()
    sig2[cut:] = 1 - np.nan_to_num(sig2[cut:])
    ep = np.zeros(n, dtype=bool)
    ep[: cut - h - 1] = True
    eps = [("all", np.ones(n, bool)), ("early", ep)]
    a = evaluate(close, sig, np.zeros(3, bool), np.array([h]), eps)
    b = evaluate(later, sig2, np.zeros(3, bool), np.array([h]), eps)
    for name in ("n_days", "n_events", "hit_rate", "base_rate", "mean_fwd", "median_fwd"):
        np.testing.assert_array_equal(a.metrics[name][:, :, 1], b.metrics[name][:, :, 1])


@settings(max_examples=60, deadline=None)
@given(st.integers(20, 300), st.integers(0, 2**31 - 1), st.sampled_from([1, 2, 5, 21, 40]),
       st.booleans())
def test_sparse_kernel_equals_dense_kernel(n, seed, h, with_episode):
    """The events-mode fast path (edges + shared prefix sums) gives the dense pass's numbers,
    for persistent signals with missing data at the start, the end, or in the middle."""
    from engine.evaluate import kernels

    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0.0002, 0.01, n)))
    spells = np.cumsum(rng.random((n, 8)) < rng.uniform(0.02, 0.5, 8), axis=0) % 2
    sig = spells.astype(float)
    sig[: rng.integers(0, n // 2), 0] = np.nan
    sig[n - rng.integers(1, n // 3 + 2):, 1] = np.nan
    sig[n // 3: n // 3 + 5, 2] = np.nan  # a hole: handed to the dense kernel
    sig[:, 3] = np.nan
    sig[:, 4] = (rng.random(n) < 0.5).astype(float)  # dense events
    horizons = np.array(sorted({1, h}))
    ep = np.ones(n, bool)
    if with_episode:
        ep[: n // 4] = False
        ep[3 * n // 4:] = False
    eps = [("all", np.ones(n, bool)), ("ep", ep)]
    res = evaluate(close, sig, np.zeros(8, bool), horizons, eps)
    fwd_t = np.ascontiguousarray(forward_returns(close, horizons).T)
    k = sig.shape[1]
    counts = np.zeros((k, len(horizons), 2, 6), dtype=np.int64)
    sums = np.zeros((k, len(horizons), 2, 2))
    med = np.full((k, len(horizons), 2), np.nan)
    t_hac = np.full((k, len(horizons), 2), np.nan)
    kernels.dense(sig, fwd_t, np.stack([m for _, m in eps]), horizons, False, np.arange(k),
                  counts, sums, med, t_hac)
    np.testing.assert_array_equal(res.metrics["n_days"], counts[..., 0])
    np.testing.assert_array_equal(res.metrics["n_events"], counts[..., 1])
    np.testing.assert_array_equal(res.metrics["n_independent"], counts[..., 4])
    np.testing.assert_allclose(res.metrics["median_fwd"], med, equal_nan=True)
    np.testing.assert_allclose(res.metrics["mean_fwd"] * np.maximum(counts[..., 1], 1),
                               np.where(counts[..., 1] > 0, sums[..., 0], np.nan),
                               rtol=1e-9, atol=1e-12, equal_nan=True)
    # evaluate blanks t where HAC means nothing (issue 12); elsewhere the kernels agree
    usable = stats.hac_usable(counts[..., 4], counts[..., 0], (horizons - 1)[None, :, None])
    usable[:, :, 1] = False  # the episode is descriptive
    np.testing.assert_allclose(res.metrics["t_hac"], np.where(usable, t_hac, np.nan),
                               rtol=1e-7, atol=1e-9, equal_nan=True)


def test_infinite_signal_values_count_as_no_data_in_both_kernels():
    rng = np.random.default_rng(4)
    n = 120
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    sig = (rng.random((n, 2)) > 0.5).astype(float)
    sig[40:45, 0] = np.inf
    as_nan = sig.copy()
    as_nan[~np.isfinite(as_nan)] = np.nan
    for mode in ("events", "state"):
        a = evaluate(close, sig, np.zeros(2, bool), np.array([1, 5]), _all(n), mode=mode)
        b = evaluate(close, as_nan, np.zeros(2, bool), np.array([1, 5]), _all(n), mode=mode)
        for name in ("n_days", "n_events", "hit_rate", "t_hac"):
            np.testing.assert_array_equal(a.metrics[name], b.metrics[name])


def test_no_bootstrap_interval_from_fewer_than_three_independent_events():
    n = 200
    close = 100 * np.exp(np.linspace(0, 0.3, n))
    sig = np.zeros((n, 2))
    sig[[50, 120], 0] = 1.0  # two events: no bootstrap interval
    sig[[20, 60, 100, 140], 1] = 1.0  # four: a bootstrap interval
    res = evaluate(close, sig, np.zeros(2, bool), np.array([5]), _all(n), n_boot=100)
    m = res.metrics
    assert np.isnan(m["boot_low"][0, 0, 0]) and np.isnan(m["boot_high"][0, 0, 0])
    assert m["boot_low"][1, 0, 0] == 1.0  # every event wins on a rising line: resampling
    # cannot show the uncertainty, which is why the headline CI is the exact one
    assert m["ci_low"][1, 0, 0] == pytest.approx(0.025 ** (1 / 4)) and m["ci_high"][1, 0, 0] == 1


def _sparse_and_dense(sig, close, horizons, eps):
    from engine.evaluate import kernels

    fwd_t = np.ascontiguousarray(forward_returns(close, horizons).T)
    ep = np.stack([m for _, m in eps])
    k, shape = sig.shape[1], (sig.shape[1], len(horizons), len(eps))
    out = []
    for sparse in (True, False):
        counts = np.zeros((*shape, 6), dtype=np.int64)
        sums, med, t = np.zeros((*shape, 2)), np.full(shape, np.nan), np.full(shape, np.nan)
        if sparse:
            fallback = np.zeros(k, dtype=bool)
            kernels.sparse(sig, fwd_t, *kernels.shared_sums(fwd_t, ep, horizons), horizons,
                           counts, sums, med, t, fallback)
        else:
            kernels.dense(sig, fwd_t, ep, horizons, False, np.arange(k), counts, sums, med, t)
        out.append(t)
    return out[0], out[1], fallback


def test_sparse_hac_t_in_a_near_perfect_fit_is_the_dense_sum():
    """The case that failed (n=66, seed=1385, h=40: 1236.6119 vs 1236.6122): 3 valid days, 1
    event, 39 lags. The long-run variance (1.7e-9) is 1e6 times smaller than the prefix-sum
    terms it was the difference of, so it kept ~9 digits; such cells now take the dense sum."""
    rng = np.random.default_rng(1385)
    n = 66
    close = 100 * np.exp(np.cumsum(rng.normal(0.0002, 0.01, n)))
    spells = np.cumsum(rng.random((n, 8)) < rng.uniform(0.02, 0.5, 8), axis=0) % 2
    sig = spells.astype(float)
    sig[: rng.integers(0, n // 2), 0] = np.nan
    sparse, dense, fallback = _sparse_and_dense(sig, close, np.array([1, 40]),
                                                [("all", np.ones(n, bool))])
    assert not fallback[0]
    assert dense[0, 1, 0] == pytest.approx(1236.6122036042068, rel=1e-12)
    assert sparse[0, 1, 0] == dense[0, 1, 0]  # the same sums in the same order


@settings(max_examples=60, deadline=None)
@given(st.integers(20, 300), st.integers(0, 2**31 - 1), st.sampled_from([1, 2, 5, 21, 40]))
def test_sparse_hac_t_matches_dense_to_its_rounding_bound(n, seed, h):
    """Raw t (before evaluate blanks unusable cells): a variance kept from the prefix sums has
    lost at most a factor 1/CANCEL of eps (times sqrt(n) for the running sums), so t agrees
    to half that, relative."""
    from engine.evaluate import kernels

    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0.0002, 0.01, n)))
    sig = (np.cumsum(rng.random((n, 6)) < rng.uniform(0.02, 0.5, 6), axis=0) % 2).astype(float)
    sig[: rng.integers(0, n // 2), 0] = np.nan
    sig[n - rng.integers(1, n // 3 + 2):, 1] = np.nan
    ep = np.ones(n, bool)
    ep[: n // 4] = False
    sparse, dense, fallback = _sparse_and_dense(sig, close, np.array(sorted({1, h})),
                                                [("all", np.ones(n, bool)), ("ep", ep)])
    rtol = 0.5 * np.finfo(float).eps / kernels.CANCEL * np.sqrt(n)
    np.testing.assert_allclose(sparse[~fallback], dense[~fallback], rtol=rtol, atol=0,
                               equal_nan=True)
