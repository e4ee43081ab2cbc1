"""The kernels' order statistics equal numpy's, bit for bit, compiled and as plain Python.

Bootstrap hit rates take a handful of distinct values, so the arrays are drawn both from a
continuous range and from a few repeated values (ties are where selection code goes wrong).
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

from engine.evaluate import order_stats, stats

continuous = st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=60)
ties = st.lists(st.sampled_from([0.0, 0.25, 1 / 3, 0.5, 1.0, -0.0]), min_size=1, max_size=60)
values = st.one_of(continuous, ties)

kth_c = njit(lambda a, k: order_stats.kth_smallest(a, k))
median_c = njit(lambda a: order_stats.median(a))
quantile_c = njit(lambda a, q: order_stats.quantile(a, q))
quantiles_c = njit(lambda a, lo, hi, work: order_stats.quantiles(a, lo, hi, work))


def same(a: float, b: float) -> bool:
    """Equal as bits (0.0 and -0.0 differ)."""
    return np.float64(a).tobytes() == np.float64(b).tobytes()


@settings(max_examples=150, deadline=None)
@given(values, st.data())
def test_kth_smallest_is_the_sorted_value_and_partitions(vals, data):
    a = np.array(vals)
    k = data.draw(st.integers(0, len(a) - 1))
    for fn in (order_stats.kth_smallest, kth_c):
        b = a.copy()
        assert fn(b, k) == np.sort(a)[k]
        assert (b[:k] <= b[k]).all() and (b[k + 1:] >= b[k]).all()
        assert sorted(b) == sorted(a)  # a permutation: nothing lost or duplicated


@settings(max_examples=150, deadline=None)
@given(values)
def test_median_is_numpys(vals):
    a = np.array(vals)
    for fn in (order_stats.median, median_c):
        assert fn(a.copy()) == np.median(a)


@settings(max_examples=150, deadline=None)
@given(values, st.sampled_from([0.0, 0.025, 0.05, 0.5, 0.95, 0.975, 1.0]))
def test_quantile_is_the_bootstrap_quantile_of_stats(vals, q):
    """Bit-identical to ``stats._nan_quantiles`` (the dense bootstrap's), and numpy's linear
    quantile to rounding (numpy interpolates from the nearer end)."""
    a = np.array(vals)
    ref = stats._nan_quantiles(a[:, None], q)[0]
    for fn in (order_stats.quantile, quantile_c):
        got = fn(a.copy(), q)
        assert same(got, ref), (got, ref)
        np.testing.assert_allclose(got, np.quantile(a, q), rtol=1e-12, atol=1e-9)


big_continuous = st.lists(st.floats(-1e6, 1e6), min_size=400, max_size=1500)
big_ties = st.lists(st.sampled_from([0.0, 0.25, 1 / 3, 0.5, 1.0, 2.0]), min_size=400,
                    max_size=1500)


@settings(max_examples=120, deadline=None)
@given(st.one_of(big_continuous, big_ties, values),
       st.sampled_from([(0.025, 0.975), (0.0, 1.0), (0.05, 0.95), (0.4, 0.6), (0.0, 0.025)]))
def test_quantiles_are_two_quantile_calls_bit_for_bit(vals, qs):
    """The tail-sampling pair (bootstrap intervals) gives the two full selections' bits,
    whether the tails serve or the fallback runs (ties, small arrays)."""
    a = np.array(vals)
    want = (order_stats.quantile(a.copy(), qs[0]), order_stats.quantile(a.copy(), qs[1]))
    for fn in (order_stats.quantiles, quantiles_c):
        b = a.copy()
        got = fn(b, *qs, np.empty(len(a)))
        assert same(got[0], want[0]) and same(got[1], want[1]), (got, want)
        assert sorted(b) == sorted(a)


def test_quantiles_tails_serve_a_bootstrap_sized_array():
    """1,000 replicates: the answer comes from the tails (the input is left as it was), and
    a sample that misses (the wanted ranks all tied) falls back to the full selection."""
    a = np.random.default_rng(0).normal(size=1000)
    b = a.copy()
    assert quantiles_c(b, 0.025, 0.975, np.empty(1000)) == (np.quantile(a, 0.025),
                                                             np.quantile(a, 0.975))
    assert b.tobytes() == a.tobytes()  # untouched: no full selection ran
    tied = np.concatenate([np.zeros(990), np.arange(1.0, 11.0)])
    c = tied.copy()
    assert quantiles_c(c, 0.025, 0.975, np.empty(1000)) == (0.0, 0.0)


def test_hand_cases():
    assert median_c(np.array([3.0, 1.0, 2.0])) == 2.0
    assert median_c(np.array([4.0, 1.0, 3.0, 2.0])) == 2.5
    assert quantile_c(np.array([0.0, 10.0]), 0.25) == 2.5
    assert quantile_c(np.full(1000, 0.5), 0.025) == 0.5  # all ties: no degenerate loop
    ramp = np.arange(1000.0)
    assert quantile_c(ramp.copy(), 0.975) == 974.025
    assert kth_c(ramp[::-1].copy(), 0) == 0.0
