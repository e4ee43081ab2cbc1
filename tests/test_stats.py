"""Tests for engine.evaluate.stats: closed forms, hand examples, and cross-checks against scipy and
statsmodels (the slow, obviously-correct references)."""

from __future__ import annotations

import itertools
import math
import time

import numpy as np
import pytest
import scipy.stats as ss
import statsmodels.api as sm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.sandwich_covariance import S_hac_simple

from engine.evaluate import stats

# ----------------------------------------------------------------------------- binomial


def _scipy_binom(k, n, p):
    return np.array([ss.binomtest(int(a), int(b), float(c)).pvalue
                     for a, b, c in zip(k, n, p, strict=True)])


_prob = st.one_of(
    st.floats(0.001, 0.999),
    # simple fractions make n*p integral and the pmf symmetric: exercises the tie tolerance
    st.sampled_from([0.5, 0.25, 0.75, 0.2, 0.1, 1 / 3, 0.6]),
)
_case = st.tuples(st.integers(1, 3000), st.floats(0, 1), _prob)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_case, min_size=1, max_size=40))
def test_binomial_matches_scipy_binomtest(cases):
    n = np.array([c[0] for c in cases])
    k = np.round(np.array([c[1] for c in cases]) * n)
    p = np.array([c[2] for c in cases])
    got = stats.binomial_pvalue(k, n, p)
    np.testing.assert_allclose(got, _scipy_binom(k, n, p), rtol=1e-12, atol=0)


def test_binomial_matches_scipy_near_the_mean():
    # k close to n*p is where the far-side search and the tie rule matter most
    rng = np.random.default_rng(3)
    n = rng.integers(1, 400, 1000)
    p = rng.choice([0.5, 0.3, 0.7, rng.uniform(0.05, 0.95)], 1000)
    k = np.clip(np.round(n * p + rng.integers(-3, 4, 1000)), 0, n)
    np.testing.assert_allclose(stats.binomial_pvalue(k, n, p), _scipy_binom(k, n, p),
                               rtol=1e-12, atol=0)


def test_binomial_hand_values():
    # 3 of 10 at p=1/2: P(X<=3) = (1+10+45+120)/1024 = 176/1024; two-sided doubles it
    assert stats.binomial_pvalue(3, 10, 0.5) == pytest.approx(2 * 176 / 1024, rel=1e-12)
    # 0 of 3 at p=1/2: P(0) + P(3) = 2/8
    assert stats.binomial_pvalue(0, 3, 0.5) == pytest.approx(0.25, rel=1e-12)
    # k at the mean: p-value 1
    assert stats.binomial_pvalue(5, 10, 0.5) == 1.0
    # 2 of 2 at p=0.9: outcomes no likelier than P(2)=0.81 are all of them -> 1
    assert stats.binomial_pvalue(2, 2, 0.9) == pytest.approx(1.0)
    # 0 of 2 at p=0.9: P(0)=0.01 and P(1)=0.18 > 0.01, so p = 0.01
    assert stats.binomial_pvalue(0, 2, 0.9) == pytest.approx(0.01, rel=1e-12)


def test_binomial_edge_cases_and_broadcasting():
    got = stats.binomial_pvalue(np.array([0, 3, 0, 3, 2, 4, 1, -1, 1.5]),
                                np.array([3, 3, 3, 3, 0, 3, 3, 3, 3]),
                                np.array([0, 0, 1, 1, 0.5, 0.5, np.nan, 0.5, 0.5]))
    np.testing.assert_array_equal(got, [1, 0, 0, 1, np.nan, np.nan, np.nan, np.nan, np.nan])
    assert np.isnan(stats.binomial_pvalue(1, 3, 1.5))
    out = stats.binomial_pvalue(np.array([[1], [2]]), np.array([5, 6, 7]), 0.3)
    assert out.shape == (2, 3)
    assert out[1, 2] == pytest.approx(ss.binomtest(2, 7, 0.3).pvalue, rel=1e-12)


def test_binomial_100k_under_one_second():
    rng = np.random.default_rng(0)
    n = rng.integers(1, 5000, 100_000)
    k = rng.binomial(n, 0.4)
    p = rng.uniform(0.01, 0.99, 100_000)
    stats.binomial_pvalue(k[:10], n[:10], p[:10])
    start = time.perf_counter()
    out = stats.binomial_pvalue(k, n, p)
    assert time.perf_counter() - start < 1.0
    assert np.isfinite(out).all() and (out >= 0).all() and (out <= 1).all()


# ----------------------------------------------------------------------------- Newey-West


def _ar1(rng, shape, phi):
    e = rng.standard_normal(shape)  # shape: int or tuple, time along axis 0
    for t in range(1, shape[0]):
        e[t] += phi * e[t - 1]
    return e


def _statsmodels_hac(y, x, lags):
    res = sm.OLS(y, sm.add_constant(x)).fit(cov_type="HAC", cov_kwds={"maxlags": lags})
    return res.tvalues[1], res.pvalues[1]


def test_newey_west_matches_statsmodels_hac():
    rng = np.random.default_rng(1)
    n_rows, n_cols = 300, 6
    x = np.column_stack([
        (rng.random((n_rows, 3)) < 0.2).astype(float),  # event indicators
        _ar1(rng, (n_rows, 3), 0.8),  # persistent numeric signals
    ])
    y = 0.1 * x[:, 0] + _ar1(rng, (n_rows,), 0.9)  # overlapping-window-like errors
    lags = np.array([0, 1, 5, 20, 62, 7])
    t_stat, p_val = stats.newey_west_tstat(y, x, lags)
    for j in range(n_cols):
        ref_t, ref_p = _statsmodels_hac(y, x[:, j], int(lags[j]))
        assert t_stat[j] == pytest.approx(ref_t, rel=1e-9)
        assert p_val[j] == pytest.approx(ref_p, rel=1e-7)
    # statsmodels' use_correction=True would scale the variance by n/(n-2): not ours
    corrected = sm.OLS(y, sm.add_constant(x[:, 3])).fit(
        cov_type="HAC", cov_kwds={"maxlags": 20, "use_correction": True}).tvalues[1]
    assert abs(t_stat[3] - corrected) > 1e-4


def test_newey_west_y_per_column_and_bool_x():
    rng = np.random.default_rng(2)
    y = rng.standard_normal((200, 4))
    x = rng.random((200, 4)) < 0.3
    t_stat, _ = stats.newey_west_tstat(y, x, 4)
    for j in range(4):
        assert t_stat[j] == pytest.approx(_statsmodels_hac(y[:, j], x[:, j].astype(float), 4)[0],
                                          rel=1e-9)
    t_float, _ = stats.newey_west_tstat(y, x.astype(float), 4)
    np.testing.assert_array_equal(t_stat, t_float)
    t_one, p_one = stats.newey_west_tstat(y[:, 1], x[:, 1], 4)
    assert t_one.shape == () and t_one == t_stat[1]
    assert p_one == pytest.approx(2 * ss.norm.sf(abs(t_one)), rel=1e-12)


def test_newey_west_nan_at_ends_equals_dropping_rows():
    rng = np.random.default_rng(4)
    y = _ar1(rng, (250,), 0.5)
    x = _ar1(rng, (250, 2), 0.5)
    y[:7] = np.nan  # e.g. warm-up of a signal
    x[-20:, 1] = np.nan  # e.g. forward return not yet known at the end
    t_stat, _ = stats.newey_west_tstat(y, x, 10)
    for j in range(2):
        keep = np.isfinite(y) & np.isfinite(x[:, j])
        assert t_stat[j] == pytest.approx(_statsmodels_hac(y[keep], x[keep, j], 10)[0], rel=1e-9)


def test_newey_west_interior_gaps_keep_calendar_lags():
    """Interior NaN rows: OLS on the valid rows, HAC scores zero on gap rows (time kept)."""
    rng = np.random.default_rng(5)
    n_rows, lags = 260, 8
    y = _ar1(rng, (n_rows,), 0.7)
    x = (rng.random((n_rows, 2)) < 0.25).astype(float)
    y[rng.choice(n_rows, 30, replace=False)] = np.nan
    x[rng.choice(n_rows, 25, replace=False), 1] = np.nan
    t_stat, _ = stats.newey_west_tstat(y, x, lags)
    for j in range(2):
        keep = np.isfinite(y) & np.isfinite(x[:, j])
        design = sm.add_constant(x[keep, j])
        fit = sm.OLS(y[keep], design).fit()
        scores = np.zeros((n_rows, 2))
        scores[keep] = design * fit.resid[:, None]
        bread = np.linalg.inv(design.T @ design)
        cov = bread @ S_hac_simple(scores, nlags=lags) @ bread
        assert t_stat[j] == pytest.approx(fit.params[1] / math.sqrt(cov[1, 1]), rel=1e-9)
        # and it is not the "compress the gaps" answer
        assert t_stat[j] != pytest.approx(_statsmodels_hac(y[keep], x[keep, j], lags)[0],
                                          rel=1e-6)


def test_newey_west_undefined_columns_are_nan():
    y = np.array([1.0, 2.0, 0.5, 3.0, np.nan, 1.0])
    x = np.column_stack([
        np.ones(6),  # no variance
        [1, 0, np.nan, np.nan, 1, np.nan],  # only 2 rows valid with y
        [1, 0, 0, 1, 0, 0],  # fine
        [0, 0, 5, 5, 5, 5],  # varies over the rows where y is valid
        [2, 2, 2, 2, np.nan, 2],  # constant
    ])
    t_stat, p_val = stats.newey_west_tstat(y, x, 1)
    assert np.isnan(t_stat[[0, 1, 4]]).all() and np.isnan(p_val[[0, 1, 4]]).all()
    assert np.isfinite(t_stat[[2, 3]]).all()
    with pytest.raises(ValueError, match="lags"):
        stats.newey_west_tstat(y, x, -1)
    with pytest.raises(ValueError, match="y must be"):
        stats.newey_west_tstat(y[:5], x, 1)


def test_newey_west_lag_larger_than_sample_is_finite_and_matches():
    rng = np.random.default_rng(6)
    y, x = rng.standard_normal(12), rng.standard_normal(12)
    t_stat, _ = stats.newey_west_tstat(y, x, 30)
    assert t_stat == pytest.approx(_statsmodels_hac(y, x, 30)[0], rel=1e-9)


def test_newey_west_full_scale_speed():
    rng = np.random.default_rng(7)
    n_rows, n_cols = 7560, 10_000
    x = rng.integers(0, 20, size=(n_rows, n_cols), dtype=np.uint8) == 0
    y = rng.standard_normal(n_rows)
    stats.newey_west_tstat(y[:50], x[:50, :3], 2)  # compile outside the timing
    start = time.perf_counter()
    t_stat, _ = stats.newey_west_tstat(y, x, 62)
    assert time.perf_counter() - start < 3.0
    # y is independent of x, so t is roughly standard normal across the 10,000 columns
    assert abs(np.mean(t_stat)) < 0.05 and 0.9 < np.std(t_stat) < 1.1


# ----------------------------------------------------------------------------- bootstrap


def test_bootstrap_block1_matches_normal_proportion_ci():
    rng = np.random.default_rng(8)
    hits = (rng.random((2000, 3)) < np.array([0.3, 0.5, 0.8])).astype(float)
    low, high = stats.block_bootstrap_ci(hits, np.ones_like(hits), 1, 4000, seed=1)
    p_hat = hits.mean(axis=0)
    half = 1.959964 * np.sqrt(p_hat * (1 - p_hat) / 2000)
    np.testing.assert_allclose(low, p_hat - half, atol=0.003)
    np.testing.assert_allclose(high, p_hat + half, atol=0.003)


def test_bootstrap_hit_rate_among_events():
    rng = np.random.default_rng(9)
    events = (rng.random(4000) < 0.2).astype(float)
    num = events * (rng.random(4000) < 0.6)
    low, high = stats.block_bootstrap_ci(num, events, 1, 3000, seed=2)
    n_ev, p_hat = events.sum(), num.sum() / events.sum()
    half = 1.959964 * math.sqrt(p_hat * (1 - p_hat) / n_ev)
    assert low == pytest.approx(p_hat - half, abs=0.004)
    assert high == pytest.approx(p_hat + half, abs=0.004)
    assert low.shape == ()


def test_bootstrap_coverage_iid():
    rng = np.random.default_rng(10)
    data = (rng.random((300, 400)) < 0.3).astype(float)
    low, high = stats.block_bootstrap_ci(data, np.ones_like(data), 1, 500, seed=3)
    coverage = np.mean((low <= 0.3) & (high >= 0.3))
    assert 0.9 <= coverage <= 0.99


def test_bootstrap_blocks_widen_ci_for_dependent_data():
    rng = np.random.default_rng(11)
    persistent = _ar1(rng, (2000, 50), 0.95)  # strongly autocorrelated, mean 0
    ones = np.ones_like(persistent)
    lo1, hi1 = stats.block_bootstrap_ci(persistent, ones, 1, 300, seed=4)
    lo50, hi50 = stats.block_bootstrap_ci(persistent, ones, 50, 300, seed=4)
    # long-run sd is (1+phi)/(1-phi) = 39x the iid variance: intervals ~6x wider
    assert np.median((hi50 - lo50) / (hi1 - lo1)) > 3
    assert np.mean((lo50 <= 0) & (hi50 >= 0)) > np.mean((lo1 <= 0) & (hi1 >= 0))


def test_bootstrap_full_block_is_a_rotation():
    # block == T: every replicate is the series rotated, so every sum is the full sum
    rng = np.random.default_rng(12)
    num, den = rng.standard_normal((40, 3)), rng.random((40, 3))
    low, high = stats.block_bootstrap_ci(num, den, 40, 50, seed=5)
    np.testing.assert_allclose(low, num.sum(0) / den.sum(0), rtol=1e-12)
    np.testing.assert_allclose(high, num.sum(0) / den.sum(0), rtol=1e-12)


def test_bootstrap_count_matrix_rows():
    counts = stats._block_counts(np.random.default_rng(0), 10, 3, 5)
    assert counts.shape == (5, 10)
    np.testing.assert_array_equal(counts.sum(axis=1), 10)  # each replicate has T days


def test_bootstrap_determinism_and_common_random_numbers():
    rng = np.random.default_rng(13)
    num = rng.standard_normal((500, 4))
    den = (rng.random((500, 4)) < 0.5).astype(float)
    first = stats.block_bootstrap_ci(num, den, 10, 300, seed=7)
    again = stats.block_bootstrap_ci(num, den, 10, 300, seed=7)
    other = stats.block_bootstrap_ci(num, den, 10, 300, seed=8)
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.array_equal(first[0], other[0])
    # shared block starts: a column's CI does not depend on which other columns are present
    alone = stats.block_bootstrap_ci(num[:, 2], den[:, 2], 10, 300, seed=7)
    assert alone[0] == pytest.approx(first[0][2], rel=1e-12)
    assert alone[1] == pytest.approx(first[1][2], rel=1e-12)


def test_bootstrap_nan_rows_are_dropped_and_no_events_is_nan():
    rng = np.random.default_rng(14)
    num = rng.standard_normal((300, 3))
    den = (rng.random((300, 3)) < 0.3).astype(float)
    den[:, 2] = 0.0
    with_nan = num.copy()
    with_nan[::7, 0] = np.nan
    zeroed_num, zeroed_den = num.copy(), den.copy()
    zeroed_num[::7, 0] = 0.0
    zeroed_den[::7, 0] = 0.0
    got = stats.block_bootstrap_ci(with_nan, den, 5, 200, seed=1)
    ref = stats.block_bootstrap_ci(zeroed_num, zeroed_den, 5, 200, seed=1)
    np.testing.assert_array_equal(got[0], ref[0])
    assert np.isnan(got[0][2]) and np.isnan(got[1][2])
    assert np.isfinite(got[0][:2]).all() and (got[0][:2] < got[1][:2]).all()


def test_bootstrap_rare_events_drop_empty_replicates():
    den = np.zeros(200)
    den[100] = 1.0  # one event: replicates that miss day 100 have no ratio
    low, high = stats.block_bootstrap_ci(den * 0.04, den, 5, 300, seed=0)
    assert low == pytest.approx(0.04) and high == pytest.approx(0.04)


def test_nan_quantiles_match_numpy():
    rng = np.random.default_rng(15)
    vals = rng.standard_normal((101, 6))
    vals[rng.random((101, 6)) < 0.3] = np.nan
    vals[:, 5] = np.nan
    for q in (0.025, 0.5, 0.975):
        with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):
            ref = np.nanquantile(vals, q, axis=0)
        np.testing.assert_allclose(stats._nan_quantiles(vals, q), ref, rtol=1e-12)


def test_bootstrap_speed():
    rng = np.random.default_rng(16)
    den = (rng.random((7560, 1000)) < 0.1).astype(float)
    num = den * rng.standard_normal((7560, 1000))
    start = time.perf_counter()
    low, high = stats.block_bootstrap_ci(num, den, 63, 200, seed=0)
    assert time.perf_counter() - start < 3.0
    assert (low < high).all()


# ----------------------------------------------------------------------------- BH q-values


def test_bh_hand_example():
    # sorted p: .01 .03 .04 .20 (m=4) -> p*m/rank: .04 .06 .0533 .20
    # running min from the top: .04 .0533 .0533 .20
    q = stats.bh_qvalues(np.array([0.01, 0.04, 0.03, 0.20]))
    np.testing.assert_allclose(q, [0.04, 0.16 / 3, 0.16 / 3, 0.20], rtol=1e-12)
    # capped at 1: 0.9*2/1 = 1.8 -> min(1.8, 0.95) = 0.95
    np.testing.assert_allclose(stats.bh_qvalues(np.array([0.9, 0.95])), [0.95, 0.95])
    assert stats.bh_qvalues(np.array([0.7, 1.0, 0.99, 0.8])).max() <= 1.0


def test_bh_matches_statsmodels_with_nan_and_nd_shape():
    rng = np.random.default_rng(17)
    p = np.concatenate([rng.uniform(0, 0.01, 30), rng.uniform(0, 1, 170)])
    p[rng.choice(200, 20, replace=False)] = np.nan
    grid = rng.permutation(p).reshape(10, 4, 5)
    q = stats.bh_qvalues(grid)
    finite = np.isfinite(grid)
    ref = multipletests(grid[finite], method="fdr_bh")[1]
    np.testing.assert_allclose(q[finite], ref, rtol=1e-12)
    assert np.isnan(q[~finite]).all() and q.shape == grid.shape


@given(st.lists(st.floats(0, 1), min_size=1, max_size=60))
def test_bh_properties(values):
    p = np.array(values)
    q = stats.bh_qvalues(p)
    assert (q >= p - 1e-15).all() and (q <= 1).all()
    order = np.argsort(p, kind="stable")
    assert (np.diff(q[order]) >= -1e-15).all()  # same order as p


def test_bh_all_nan_and_bad_input():
    assert np.isnan(stats.bh_qvalues(np.array([np.nan, np.nan]))).all()
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        stats.bh_qvalues(np.array([0.2, 1.5]))


# ----------------------------------------------------------------------------- Sharpe


def _phi(z):
    return 0.5 * (1 + math.erf(z / math.sqrt(2)))


def test_deflated_sharpe_paper_example():
    """Bailey & López de Prado (2014) example: DSR ~ 0.90.

    N = 100 trials, annualized SR 2.5 and cross-trial variance 0.5 over 250 days a year,
    T = 1250 daily returns, skew -3, kurtosis 10.
      daily SR = 2.5 / sqrt(250) = 0.158114; daily V = 0.5 / 250 = 0.002
      Z^-1(1 - 1/100) = 2.326348, Z^-1(1 - 1/(100 e)) = Z^-1(0.996321) = 2.680210
      E[max] = 0.422784 * 2.326348 + 0.577216 * 2.680210 = 2.530603
      SR0 = sqrt(0.002) * 2.530603 = 0.113172
      var term = 1 - (-3) * 0.158114 + (10 - 1)/4 * 0.158114^2 = 1.530592
      z = (0.158114 - 0.113172) * sqrt(1249) / sqrt(1.530592) = 1.283816
      DSR = Phi(1.283816) = 0.900397 (the paper reports 0.9004)
    """
    sr_daily = 2.5 / math.sqrt(250)
    z99, z_e = ss.norm.ppf(0.99), ss.norm.ppf(1 - 1 / (100 * math.e))
    assert z99 == pytest.approx(2.326348, abs=1e-6) and z_e == pytest.approx(2.680210, abs=1e-6)
    sr0 = math.sqrt(0.002) * ((1 - 0.5772156649) * z99 + 0.5772156649 * z_e)
    assert sr0 == pytest.approx(0.113172, abs=1e-6)
    assert stats.expected_max_sharpe(100, 0.002) == pytest.approx(sr0, rel=1e-9)
    z = (sr_daily - sr0) * math.sqrt(1249) / math.sqrt(1 + 3 * sr_daily + 2.25 * sr_daily**2)
    got = stats.deflated_sharpe_ratio(np.array(sr_daily), 1250, -3.0, 10.0, 100, 0.002)
    assert got == pytest.approx(_phi(z), rel=1e-9)
    assert got == pytest.approx(0.900397, abs=1e-6)


def test_deflated_sharpe_one_trial_is_psr_against_zero():
    # SR 0.1 over 101 obs, normal returns: var term 1 + 0.5*0.01 = 1.005,
    # z = 0.1 * 10 / sqrt(1.005) = 0.997509 -> Phi = 0.840741
    got = stats.deflated_sharpe_ratio(np.array([0.1, -0.05]), 101, np.zeros(2), np.full(2, 3.0),
                                      1, 0.5)
    assert got[0] == pytest.approx(_phi(1 / math.sqrt(1.005)), rel=1e-12)
    assert got[0] == pytest.approx(0.840741, abs=1e-6)
    np.testing.assert_allclose(got, stats.probabilistic_sharpe_ratio(
        np.array([0.1, -0.05]), 101, 0.0, 3.0, 0.0), rtol=1e-15)


def test_deflated_sharpe_falls_with_more_trials_and_handles_bad_rows():
    dsr = [float(stats.deflated_sharpe_ratio(np.array(0.1), 500, 0.0, 3.0, n, 0.001))
           for n in (1, 10, 100, 1000)]
    assert all(a > b for a, b in itertools.pairwise(dsr))
    # skew 20 with SR 0.2: var term 1 - 4 + 0.02 < 0 -> undefined
    out = stats.deflated_sharpe_ratio(np.array([0.2, 0.2]), np.array([1, 100]),
                                      np.array([0.0, 20.0]), 3.0, 5, 0.001)
    assert np.isnan(out).all()
    with pytest.raises(ValueError):
        stats.expected_max_sharpe(0, 0.1)


def test_expected_max_sharpe_approximates_normal_maxima():
    # E[max of 100 iid N(0,1)] = 2.50759 (exact order-statistic value); formula gives 2.530
    assert stats.expected_max_sharpe(100, 1.0) == pytest.approx(2.50759, abs=0.03)
    assert stats.expected_max_sharpe(1, 1.0) == 0.0


# ----------------------------------------------------------------------------- Spearman IC


def test_spearman_matches_scipy_with_ties_and_nan():
    rng = np.random.default_rng(18)
    signal = rng.integers(0, 6, (80, 5)).astype(float)  # many ties
    fwd = np.round(rng.standard_normal(80) + 0.3 * signal[:, 0], 1)  # ties too
    signal[rng.random((80, 5)) < 0.15] = np.nan
    fwd[[3, 40]] = np.nan
    ic = stats.spearman_ic(signal, fwd)
    for j in range(5):
        keep = np.isfinite(signal[:, j]) & np.isfinite(fwd)
        ref = ss.spearmanr(signal[keep, j], fwd[keep]).statistic
        assert ic[j] == pytest.approx(ref, rel=1e-12)
    fwd2 = rng.standard_normal((80, 5))
    ic2 = stats.spearman_ic(signal, fwd2)
    for j in range(5):
        keep = np.isfinite(signal[:, j])
        assert ic2[j] == pytest.approx(ss.spearmanr(signal[keep, j], fwd2[keep, j]).statistic,
                                       rel=1e-12)


def test_spearman_hand_cases_and_undefined():
    fwd = np.array([0.01, 0.03, -0.02, 0.05, 0.0])
    signal = np.column_stack([
        fwd * 10 + 1,  # same order -> 1
        -fwd**3,  # reversed order -> -1
        np.ones(5),  # constant -> NaN
        [1, np.nan, np.nan, np.nan, 2],  # 2 rows -> NaN
        [1, 2, 3, 4, 5],  # ranks of fwd are 3,4,1,5,2: d = -2,-2,2,-1,3; 1 - 6*22/120 = -0.1
    ])
    ic = stats.spearman_ic(signal, fwd)
    np.testing.assert_allclose(ic[[0, 1, 4]], [1.0, -1.0, -0.1], rtol=1e-12)
    assert np.isnan(ic[[2, 3]]).all()
    assert stats.spearman_ic(signal[:, 4], fwd).shape == ()


def test_column_chunking_does_not_change_results(monkeypatch):
    rng = np.random.default_rng(19)
    signal = np.round(rng.standard_normal((60, 23)), 1)
    signal[rng.random((60, 23)) < 0.1] = np.nan
    fwd = rng.standard_normal((60, 23))
    fwd[5] = np.nan
    lags = rng.integers(0, 10, 23)
    whole_ic = stats.spearman_ic(signal, fwd[:, 0]), stats.spearman_ic(signal, fwd)
    whole_nw = stats.newey_west_tstat(fwd, signal, lags)[0]
    monkeypatch.setattr(stats, "_IC_CHUNK_BYTES", 60 * 8 * 4)  # 4 columns per slice
    monkeypatch.setattr(stats, "_NW_CHUNK_BYTES", 60 * 8 * 5)  # 5 columns per slice
    np.testing.assert_allclose(stats.spearman_ic(signal, fwd[:, 0]), whole_ic[0], rtol=1e-13)
    np.testing.assert_allclose(stats.spearman_ic(signal, fwd), whole_ic[1], rtol=1e-13)
    np.testing.assert_allclose(stats.newey_west_tstat(fwd, signal, lags)[0], whole_nw,
                               rtol=1e-13)
    assert np.isfinite(whole_ic[0]).all() and np.isfinite(whole_nw).all()


def test_two_sided_normal_p():
    np.testing.assert_allclose(stats.two_sided_normal_p(np.array([0.0, 1.959964, -1.959964])),
                               [1.0, 0.05, 0.05], rtol=1e-6)
    assert np.isnan(stats.two_sided_normal_p(np.nan))
    assert stats.two_sided_normal_p(30.0) > 0  # no underflow to 0 from 1 - cdf


# ---------------------------------------------------------- scipy.stats without scipy.stats
def _same_bits(got, want) -> None:
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape
    assert np.array_equal(got.view(np.int64), want.view(np.int64)), \
        np.flatnonzero(got.view(np.int64) != want.view(np.int64))[:5]


_EDGE_K = [-np.inf, -3, -1, -0.5, 0, 0.5, 1, 2, 7, 9.5, 10, 11, 1e6, np.inf, np.nan]
_EDGE_N = [-1, 0, 1, 2.5, 10, 10, 10, 37, 1000]
_EDGE_P = [-0.1, 0.0, 1e-300, 1e-9, 0.3, 0.5, 0.999999, 1.0, 1.1, np.nan]


def test_binom_twins_equal_scipy_stats_on_every_edge():
    """Off the support, at its ends, non-integer k and n, p at and beyond 0 and 1, NaN."""
    from engine.evaluate import dists

    k, n, p = (a.ravel() for a in np.meshgrid(_EDGE_K, _EDGE_N, _EDGE_P, indexing="ij"))
    with np.errstate(all="ignore"):
        for ours, theirs in [(dists.binom_pmf, ss.binom.pmf), (dists.binom_cdf, ss.binom.cdf),
                             (dists.binom_sf, ss.binom.sf)]:
            _same_bits(ours(k, n, p), theirs(k, n, p))
            _same_bits(ours(3, 10, 0.4), theirs(3, 10, 0.4))
            assert np.ndim(ours(3, 10, 0.4)) == 0


def test_without_the_private_ufuncs_the_twins_are_scipy_stats(monkeypatch):
    """A scipy release without ``scipy.special._ufuncs._binom_*``: scipy.stats does the work."""
    from engine.evaluate import dists

    monkeypatch.setattr(dists, "_UFUNCS", None)
    k, n, p = np.array([-1, 0, 3, 10, 11]), np.array([10, 10, 10, 10, 10]), 0.3
    _same_bits(dists.binom_pmf(k, n, p), ss.binom.pmf(k, n, p))
    _same_bits(dists.binom_cdf(k, n, p), ss.binom.cdf(k, n, p))
    _same_bits(dists.binom_sf(k, n, p), ss.binom.sf(k, n, p))
    _same_bits(dists.beta_ppf([0.0, 0.025, 1.0], 3.0, 8.0), ss.beta.ppf([0.0, 0.025, 1.0], 3, 8))


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 5000), st.floats(1e-6, 1 - 1e-6), st.integers(0, 2**32 - 1))
def test_binom_twins_equal_scipy_stats_on_random_tables(n_max, p, seed):
    """Random (k, n, p) of the sizes the binomial test sees: integer k in and around [0, n]."""
    from engine.evaluate import dists

    rng = np.random.default_rng(seed)
    n = rng.integers(1, n_max + 1, 200)
    k = rng.integers(-2, n + 3)
    pp = np.clip(rng.normal(p, 0.1, 200), 1e-9, 1 - 1e-9)
    for ours, theirs in [(dists.binom_pmf, ss.binom.pmf), (dists.binom_cdf, ss.binom.cdf),
                         (dists.binom_sf, ss.binom.sf)]:
        _same_bits(ours(k, n, pp), theirs(k, n, pp))
        _same_bits(ours(k.astype(np.float64), n, pp), theirs(k.astype(np.float64), n, pp))


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_beta_ppf_twin_equals_scipy_stats(seed):
    """The Clopper-Pearson quantiles: q in [0, 1] with its ends, a and b from 1e-300 up."""
    from engine.evaluate import dists

    rng = np.random.default_rng(seed)
    q = np.concatenate([[0.0, 1.0, 0.025, 0.975, -0.1, 1.1, np.nan], rng.random(93)])
    a = np.concatenate([[1e-300, 1.0, 0.0, -1.0, 3.0, 5.0, 2.0], rng.integers(1, 4000, 93)])
    b = np.concatenate([[1.0, 1e-300, 2.0, 4.0, 0.0, np.nan, 7.0], rng.integers(1, 4000, 93)])
    with np.errstate(all="ignore"):
        _same_bits(dists.beta_ppf(q, a, b), ss.beta.ppf(q, a, b))
    assert np.ndim(dists.beta_ppf(0.5, 2.0, 3.0)) == 0


def test_evaluation_statistics_do_not_import_scipy_stats():
    """The point of ``dists``: the evaluation's statistics load without scipy.stats."""
    import subprocess
    import sys

    probe = ("import sys\nimport engine.evaluate.stats\n"
             "print('scipy.stats' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.strip() == "False"
