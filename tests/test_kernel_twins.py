"""Every numba kernel is compiled from a plain-Python body (``f = njit(...)(f_python)``, as
arch's ``recursions_python``); the twin and the compiled kernel give the same numbers. The
evaluate kernels are compiled twice (``engine.jit.Kernel``: parallel for big jobs,
serial for small ones), and the two agree bit for bit.

Inputs are small and random (hypothesis): signals with spells, missing data at the start, the
end and in the middle, infinities; episodes that cut the sample; forward returns with gaps.
The compiled code runs the same operations in the same order (numba's default, no fastmath),
so the float outputs agree to 1e-12 relative (in practice bit for bit) and counts exactly.
"""

from __future__ import annotations

from unittest import mock

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import jit
from engine.evaluate import bootstrap, kernels, stats
from engine.evaluate.core import forward_returns
from engine.signal_dtype import BOOL_DTYPE, NODATA, to_signal
from engine.signals import kernels as signal_kernels
from engine.signals.helpers import on_off

RTOL = 1e-12


def case(seed: int, n: int, k: int, n_h: int):
    """close (n,), signals (n, k) with spells / NaN / inf, horizons (n_h,), episodes (2, n)."""
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0.0003, 0.01, n)))
    flips = rng.random((n, k)) < rng.uniform(0.05, 0.6, k)
    sig = (np.cumsum(flips, axis=0) % 2).astype(float)
    for j in range(k):
        kind = rng.integers(0, 5)
        if kind == 1:
            sig[: rng.integers(0, n), j] = np.nan  # late start
        elif kind == 2:
            sig[rng.integers(0, n):, j] = np.nan  # early end
        elif kind == 3:
            a = rng.integers(0, n)
            sig[a: a + rng.integers(1, 5), j] = np.nan  # a hole
        elif kind == 4:
            sig[rng.integers(0, n), j] = np.inf if rng.random() < 0.5 else -np.inf
    horizons = np.unique(rng.integers(1, max(2, n // 3), n_h)).astype(np.int64)
    ep = np.ones((2, n), dtype=bool)
    ep[1, : rng.integers(0, n)] = False
    fwd_t = np.ascontiguousarray(forward_returns(close, horizons).T)
    return close, sig, horizons, ep, fwd_t


def outputs(k: int, n_h: int, n_e: int):
    return (np.zeros((k, n_h, n_e, 6), dtype=np.int64), np.zeros((k, n_h, n_e, 2)),
            np.full((k, n_h, n_e), np.nan), np.full((k, n_h, n_e), np.nan))


def assert_same(a: tuple, b: tuple) -> None:
    for x, y in zip(a, b, strict=True):
        x, y = np.asarray(x), np.asarray(y)
        if x.dtype.kind in "biu":
            np.testing.assert_array_equal(x, y)
        else:
            np.testing.assert_allclose(x, y, rtol=RTOL, atol=0, equal_nan=True)


def assert_bitwise(a: tuple, b: tuple) -> None:
    """Serial == parallel compilation: the same bytes."""
    for x, y in zip(a, b, strict=True):
        x, y = np.asarray(x), np.asarray(y)
        assert x.dtype == y.dtype and x.shape == y.shape
        assert x.tobytes() == y.tobytes()


CASES = dict(seed=st.integers(0, 2**31 - 1), n=st.integers(3, 70), k=st.integers(1, 6),
             n_h=st.integers(1, 3))


@settings(max_examples=40, deadline=None)
@given(**CASES, state=st.booleans(), int8=st.booleans())
def test_dense_twin_equals_compiled(seed, n, k, n_h, state, int8):
    _, sig, horizons, ep, fwd_t = case(seed, n, k, n_h)
    sig = to_signal(sig) if int8 else sig  # the matrix's encoding (NODATA), or floats
    cols = np.arange(k)
    res = []
    for fn in (kernels.dense_python, kernels.dense.parallel, kernels.dense.serial):
        out = outputs(k, len(horizons), 2)
        with np.errstate(all="ignore"):  # inf - inf in the Python twin, as numba does silently
            fn(sig, fwd_t, ep, horizons, state, cols, *out)
        res.append(out)
    assert_same(res[0], res[1])
    assert_bitwise(res[1], res[2])


@settings(max_examples=40, deadline=None)
@given(**CASES, int8=st.booleans())
def test_sparse_twin_equals_compiled(seed, n, k, n_h, int8):
    _, sig, horizons, ep, fwd_t = case(seed, n, k, n_h)
    sig = to_signal(sig) if int8 else sig
    shared = kernels.shared_sums(fwd_t, ep, horizons)
    got = []
    for python, parallel_from in ((True, 0), (False, 0), (False, jit.PARALLEL_FROM)):
        out, fallback = outputs(k, len(horizons), 2), np.zeros(k, dtype=bool)
        with np.errstate(all="ignore"), mock.patch.object(jit, "PARALLEL_FROM", parallel_from):
            ptr, days = kernels.sparse(sig, fwd_t, *shared, horizons, *out, fallback,
                                       python=python)
        got.append((*out, fallback, ptr, days))
    assert_same(got[0], got[1])
    assert_bitwise(got[1], got[2])


def test_the_twins_are_plain_python_and_the_kernels_compiled_from_them():
    pairs = [(kernels.dense, kernels.dense_python),
             (kernels.count_edges, kernels.count_edges_python),
             (kernels.write_edges, kernels.write_edges_python),
             (kernels.sparse_columns, kernels.sparse_columns_python),
             (kernels.path_sums, kernels.path_sums_python),
             (stats.nw_kernel, stats.nw_kernel_python),
             (bootstrap.ratio_ci, bootstrap.ratio_ci_python),
             (kernels.count_events, kernels.count_events_python),
             (bootstrap.add_blocks, bootstrap.add_blocks_python),
             (kernels.write_events, kernels.write_events_python),
             (signal_kernels._pairs_above, signal_kernels.pairs_above_python)]
    for compiled, twin in pairs:
        assert compiled.py_func is twin
        if isinstance(compiled, jit.Kernel):
            assert compiled.parallel.py_func is twin
            assert compiled.serial.py_func.__code__ is twin.__code__
            # numba's cache is keyed by qualified name: the serial copy must not share it
            assert compiled.serial.py_func.__qualname__ == twin.__qualname__ + "_serial"
            assert compiled.parallel.targetoptions.get("parallel") is True
            assert not compiled.serial.targetoptions.get("parallel")
        assert type(twin).__name__ == "function"
        assert "pandas" in twin.__doc__ or "statsmodels" in twin.__doc__ or \
            "numpy" in twin.__doc__, twin.__name__


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(2, 60), k=st.integers(1, 5),
       n_steps=st.integers(1, 12), bench=st.booleans())
def test_path_sums_twin_equals_compiled(seed, n, k, n_steps, bench):
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, n)))
    close[rng.random(n) < 0.1] = np.nan
    b = 50 * np.exp(np.cumsum(rng.normal(0, 0.02, n))) if bench else None
    per = rng.integers(0, n // 2 + 1, k)
    ptr = np.concatenate([[0], np.cumsum(per)]).astype(np.int64)
    ev_t = np.concatenate([np.sort(rng.choice(n, p, replace=False)) for p in per]
                          ).astype(np.int64)
    res = []
    for fn in (kernels.path_sums_python, kernels.path_sums.parallel, kernels.path_sums.serial):
        out = (np.zeros((k, n_steps)), np.zeros((k, n_steps)), np.zeros((k, n_steps)))
        with np.errstate(all="ignore"):
            fn(close, b, ptr, ev_t, n_steps, *out)
        res.append(out)
    assert_same(res[0], res[1])
    assert_bitwise(res[1], res[2])


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(3, 80), k=st.integers(1, 5),
       shared_y=st.booleans(), boolean=st.booleans())
def test_newey_west_twin_equals_compiled(seed, n, k, shared_y, boolean):
    rng = np.random.default_rng(seed)
    x = rng.random((n, k)) < 0.3 if boolean else rng.normal(size=(n, k))
    if not boolean:
        x[rng.random((n, k)) < 0.1] = np.nan
    x = x.view(np.uint8) if boolean else x
    y = rng.normal(size=(n, 1 if shared_y else k))
    y[rng.random(y.shape) < 0.05] = np.nan
    lags = rng.integers(0, max(1, n // 2), k).astype(np.int64)
    with np.errstate(all="ignore"):
        py = stats.nw_kernel_python(x, y, lags)
    np.testing.assert_allclose(py, stats.nw_kernel(x, y, lags), rtol=RTOL, atol=0,
                               equal_nan=True)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(5, 60), k=st.integers(1, 4),
       n_boot=st.integers(1, 40))
def test_bootstrap_ratio_twin_equals_compiled(seed, n, k, n_boot):
    rng = np.random.default_rng(seed)
    counts = bootstrap.replicate_counts(n, int(rng.integers(1, 6)), n_boot, seed)
    per = rng.integers(0, n // 3 + 1, k)
    ptr = np.concatenate([[0], np.cumsum(per)]).astype(np.int64)
    ev_t = np.concatenate([np.sort(rng.choice(n, p, replace=False)) for p in per]
                          ).astype(np.int64)
    weights = np.stack([rng.normal(size=n), (rng.random(n) < 0.5).astype(float)])
    ok = rng.random(n) < 0.9
    episodes = np.ones((2, n), dtype=bool)
    episodes[1, : n // 2] = False
    skip = rng.random((k, 2)) < 0.2
    res = []
    for fn in (bootstrap.ratio_ci_python, bootstrap.ratio_ci.parallel, bootstrap.ratio_ci.serial):
        low, high = np.full((2, k, 2), np.nan), np.full((2, k, 2), np.nan)
        fn(counts, ptr, ev_t, weights, ok, episodes, skip, 0.025, 0.975, low, high)
        res.append((low, high))
    assert_same(res[0], res[1])
    assert_bitwise(res[1], res[2])
    # two weights in one pass: the bytes of one call per weight
    both = bootstrap.event_ratio_ci(counts, ptr, ev_t, weights, ok, episodes, skip)
    for v in range(2):
        one = bootstrap.event_ratio_ci(counts, ptr, ev_t, weights[v], ok, episodes, skip)
        assert both[0][v].tobytes() == one[0].tobytes()
        assert both[1][v].tobytes() == one[1].tobytes()


@pytest.mark.parametrize(("work", "threads", "want"), [
    (None, 2, "parallel"), (0, 2, "serial"), (jit.PARALLEL_FROM - 1, 2, "serial"),
    (jit.PARALLEL_FROM, 2, "parallel"), (10**12, 1, "serial"), (None, 1, "parallel")])
def test_a_kernel_runs_parallel_only_for_big_jobs(work, threads, want):
    with mock.patch.object(numba.config, "NUMBA_NUM_THREADS", threads):
        assert kernels.dense.pick(work) is getattr(kernels.dense, want)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(1, 50), m=st.integers(1, 6),
       k=st.integers(1, 12))
def test_pairs_above_equals_numpy_and_its_twin(seed, n, m, k):
    """trend.ma_cross's kernel: the numpy expression it replaced, stored as the matrix stores
    it (``to_signal``: int8), bit for bit, with NaN runs (warm-up), infinities and ties."""
    rng = np.random.default_rng(seed)
    means = rng.integers(-3, 4, (n, m)).astype(float)  # small integers: ties happen
    means[rng.random((n, m)) < 0.2] = np.nan
    means[rng.random((n, m)) < 0.05] = np.inf
    first, second = rng.integers(0, m, k), rng.integers(0, m, k)
    a, b = means[:, first], means[:, second]
    with np.errstate(invalid="ignore"):
        want = to_signal(on_off(a > b, ~(np.isnan(a) | np.isnan(b))))
    got = signal_kernels.pairs_above(means, first, second)
    assert got.dtype == BOOL_DTYPE == np.int8
    np.testing.assert_array_equal(np.isnan(a) | np.isnan(b), got == NODATA)
    assert got.tobytes() == want.tobytes()
    for fn in (signal_kernels.pairs_above_python, signal_kernels._pairs_above.parallel,
               signal_kernels._pairs_above.serial):
        out = np.empty_like(want)
        fn(means, first.astype(np.int64), second.astype(np.int64), out)
        assert out.tobytes() == want.tobytes()


@settings(max_examples=40, deadline=None)
@given(**CASES, state=st.booleans(), masked=st.booleans(), int8=st.booleans())
def test_event_days_equal_numpy_and_the_twins(seed, n, k, n_h, state, masked, int8):
    """The event list of the event table and paths: ``np.nonzero`` of ``event_matrix`` & mask,
    column-major, including NaN (or ``NODATA``) spells and infinities (which count as numbers
    there)."""
    from engine.evaluate.core import event_matrix, events_in

    _, sig, _, ep, _ = case(seed, n, k, n_h)
    sig = to_signal(sig) if int8 else sig
    mode = "state" if state else "events"
    mask = ep[1] if masked else None
    ev = event_matrix(sig, mode) & (np.ones(n, bool) if mask is None else mask)[:, None]
    want_k, want_t = np.nonzero(ev.T)
    got_t, got_k = events_in(sig, mode, mask)
    assert got_t.dtype == want_t.dtype and got_k.dtype == want_k.dtype
    np.testing.assert_array_equal(got_t, want_t)
    np.testing.assert_array_equal(got_k, want_k)
    keep = np.ones(n, bool) if mask is None else mask
    for python in (True, False):
        t, kk = kernels.event_days(sig, keep, state, python=python)
        np.testing.assert_array_equal(t, want_t)
        np.testing.assert_array_equal(kk, want_k)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(1, 60), block=st.integers(1, 70),
       n_boot=st.integers(1, 300), sparse=st.booleans())
def test_replicate_counts_equal_bincount_draws(seed, n, block, n_boot, sparse):
    """The compiled day counts are ``block_counts``' bincounts of the same draws (chunks of
    ``BOOT_CHUNK`` replicates from one generator), on the rows asked for; other rows stay 0."""
    rng = np.random.default_rng(seed)
    want = np.concatenate([bootstrap.block_counts(rng, n, block, min(bootstrap.BOOT_CHUNK,
                                                                     n_boot - a)).T
                           for a in range(0, n_boot, bootstrap.BOOT_CHUNK)], axis=1)
    need = np.random.default_rng(seed + 1).random(n) < 0.5 if sparse else None
    got = bootstrap.replicate_counts(n, block, n_boot, seed, need=need)
    keep = np.ones(n, bool) if need is None else need
    assert got[keep].tobytes() == want[keep].tobytes()
    assert not got[~keep].any()
    starts = np.random.default_rng(seed).integers(0, n, size=(min(n_boot, 128), -(-n // block)))
    outs = []
    for fn in (bootstrap.add_blocks_python, bootstrap.add_blocks.parallel,
               bootstrap.add_blocks.serial):
        out = np.zeros((n, starts.shape[0]))
        fn(starts, block, keep, 0, out)
        outs.append(out)
    assert outs[0].tobytes() == outs[1].tobytes() == outs[2].tobytes()


def test_event_days_refuse_a_mask_of_another_length():
    """The compiled passes read ``mask[t]`` without bounds checks: a wrong length is an error,
    never a read past the array."""
    from engine.evaluate.core import events_in

    with pytest.raises(ValueError, match=r"mask must be \(5,\)"):
        events_in(np.ones((5, 2)), "events", np.ones(4, dtype=bool))


def test_compiled_helpers_refuse_out_of_range_inputs():
    """Arrays the kernels index without bounds checks are checked before the call."""
    with pytest.raises(ValueError, match=r"need must be \(10,\)"):
        bootstrap.replicate_counts(10, 2, 5, 0, need=np.ones(9, dtype=bool))
    with pytest.raises(IndexError, match="out of range for 2 columns"):
        signal_kernels.pairs_above(np.ones((3, 2)), [0], [2])
