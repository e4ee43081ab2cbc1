"""Boolean signal matrices are int8 with ``NODATA`` (``engine.signal_dtype``): every reader
gives the numbers it gives for the same matrix in float64 (NaN for no data), bit for bit, and
numeric studies stay float64. float32 inputs are read as they are, with the same numbers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from test_signals import TARGET, make_panel

from engine.backtest import backtest
from engine.evaluate.core import (
    METRICS,
    _event_lists,
    evaluate,
    event_matrix,
    event_paths,
    event_table,
    events_in,
)
from engine.evaluate.validation import spa_pvalues
from engine.signal_dtype import (
    BOOL_DTYPE,
    NODATA,
    as_float,
    has_data,
    is_nodata,
    known_off,
    nodata_of,
    signal_values,
    to_signal,
)
from engine.signals import combine
from engine.signals.matrix import compute_signals, entry_lead
from engine.study.spec import parse_study
from engine.study.windows import any_data_in


def test_signal_values_keeps_the_three_kinds_and_widens_the_rest():
    for kind in (np.int8, np.float32, np.float64):
        a = np.zeros((3, 2), dtype=kind)
        assert signal_values(a) is a
    for other in ([[1, 0], [0, 1]], np.ones((2, 2), dtype=bool), np.ones((2, 2), dtype=np.int16),
                  np.ones((2, 2), dtype=np.int64)):
        got = signal_values(other)
        assert got.dtype == np.float64
        np.testing.assert_array_equal(got, np.asarray(other, dtype=np.float64))


def test_the_int8_encoding_by_hand():
    x = np.array([1.0, 0.0, np.nan, 2.5, -3.0, np.inf, -np.inf])
    i8 = to_signal(x)
    assert i8.dtype == BOOL_DTYPE == np.int8 and NODATA == -128
    np.testing.assert_array_equal(i8, [1, 0, -128, 1, 0, 1, 0])  # NaN -> NODATA, else > 0
    assert to_signal(i8) is i8
    np.testing.assert_array_equal(to_signal(np.array([True, False])), [1, 0])
    back = as_float(i8)
    assert back.dtype == np.float64
    np.testing.assert_array_equal(back, [1.0, 0.0, np.nan, 1.0, 0.0, 1.0, 0.0])
    assert as_float(i8, np.float32).dtype == np.float32
    np.testing.assert_array_equal(has_data(i8), [1, 1, 0, 1, 1, 1, 1])
    np.testing.assert_array_equal(has_data(x), [1, 1, 0, 1, 1, 0, 0])  # floats: finite
    np.testing.assert_array_equal(is_nodata(i8), [0, 0, 1, 0, 0, 0, 0])
    np.testing.assert_array_equal(is_nodata(x), [0, 0, 1, 0, 0, 0, 0])  # floats: NaN only
    np.testing.assert_array_equal(known_off(i8), [0, 1, 0, 0, 1, 0, 1])
    np.testing.assert_array_equal(known_off(x), [0, 1, 0, 0, 1, 0, 1])
    assert nodata_of(np.int8) == NODATA and np.isnan(nodata_of(np.float32))
    # a rising edge never comes out of a day without data, in either encoding
    day = np.array([[NODATA], [1], [0], [1]], dtype=np.int8)
    np.testing.assert_array_equal(event_matrix(day, "events")[:, 0], [0, 0, 0, 1])
    np.testing.assert_array_equal(event_matrix(as_float(day), "events")[:, 0], [0, 0, 0, 1])
    assert not any_data_in(np.full((4, 2), NODATA, np.int8), np.ones(4, bool))
    assert any_data_in(day, np.array([0, 0, 1, 0], bool))


def _study(signals: list[dict]):
    return parse_study({"study": {"title": "t", "question": "q", "target": TARGET,
                                  "horizons": ["1d", "5d"]}, "signals": signals},
                       Path("x.toml"))


def _panel(n: int = 80):
    close = pd.Series(100 + np.cumsum(np.random.default_rng(0).normal(0, 1, n)),
                      index=pd.date_range("2024-01-01", periods=n, freq="B"))
    return make_panel({TARGET: (close, "daily", 0)})


BOOLEAN = [{"name": "gc", "family": "trend.ma_cross", "params": {"fast": [2, 3], "slow": [5, 8]}},
           {"name": "up", "family": "trend.above_ma", "params": {"window": [3, 4]}},
           {"name": "both", "all": ["gc", "up"]},
           {"name": "held", "family": "trend.above_ma", "params": {"window": 4}, "persist": 3,
            "cooldown": 5},
           {"name": "santa", "family": "seasonality.turn_of_month"}]  # moved by entry_lead
NUMERIC = {"name": "dist", "family": "trend.distance_from_ma", "params": {"window": [3, 6]}}


def test_a_boolean_study_is_int8_and_equals_its_columns_computed_in_float64():
    panel = _panel()
    sm = compute_signals(_study(BOOLEAN), panel)
    assert sm.values.dtype == BOOL_DTYPE
    assert set(np.unique(sm.values)) == {NODATA, 0, 1}
    assert sm.advance.any()  # the calendar column went through entry_lead as int8
    # the same columns, built from float64 family outputs with the float64 combinators
    mixed = compute_signals(_study([*BOOLEAN, NUMERIC]), panel)
    assert mixed.values.dtype == np.float64
    np.testing.assert_array_equal(mixed.values[:, :sm.values.shape[1]], as_float(sm.values))
    assert np.isnan(mixed.values[:, :sm.values.shape[1]]).any()


def test_combinators_and_entry_lead_keep_int8_and_float32():
    rng = np.random.default_rng(1)
    a = (rng.random((30, 2)) < 0.5).astype(np.float64)
    a[rng.random((30, 2)) < 0.15] = np.nan
    b = a[:, ::-1].copy()
    lead = np.array([True, False])
    cases = [(lambda x, y: combine.all_of([x, y])), (lambda x, y: combine.any_of([x, y])),
             (lambda x, y: combine.all_of([x, y, x])), (lambda x, y: combine.any_of([y, x, y])),
             (lambda x, y: combine.not_(x)), (lambda x, y: combine.persistence(x, 3)),
             (lambda x, y: combine.cooldown(x, 4)), (lambda x, y: entry_lead(x, lead))]
    for f in cases:
        want = f(a, b)
        assert want.dtype == np.float64 and np.isnan(want).any()
        got8 = f(to_signal(a), to_signal(b))
        assert got8.dtype == np.int8
        np.testing.assert_array_equal(as_float(got8), want)
        got32 = f(a.astype(np.float32), b.astype(np.float32))
        assert got32.dtype == np.float32
        np.testing.assert_array_equal(got32.astype(float), want)


def _case(seed: int, n: int, k: int):
    """Persistent 0/1 spells, a NaN warm-up, and holes in some columns (the dense fallback)."""
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    flips = rng.random((n, k)) < 0.08
    sig = (np.cumsum(flips, axis=0) % 2).astype(np.float64)
    for j in range(k):
        sig[: rng.integers(0, n // 4), j] = np.nan
        if j % 3 == 2:
            sig[rng.random(n) < 0.05, j] = np.nan
    return close, sig


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(60, 260), k=st.integers(1, 9),
       mode=st.sampled_from(["events", "state"]))
def test_int8_and_float32_signals_give_the_float64_numbers_bit_for_bit(seed, n, k, mode):
    close, sig = _case(seed, n, k)
    for small in (to_signal(sig), sig.astype(np.float32)):
        _same_numbers(close, sig, small, n, k, mode)
    ptr64, days64 = _event_lists(sig, mode)
    ptr8, days8 = _event_lists(to_signal(sig), mode)
    np.testing.assert_array_equal(ptr8, ptr64)
    np.testing.assert_array_equal(days8, days64)


def _same_numbers(close, sig, f32, n, k, mode):
    horizons = np.array([1, 5, 20])
    half = np.arange(n) >= n // 2
    eps = [("all", np.ones(n, dtype=bool)), ("late", half)]
    kw = dict(mode=mode, n_boot=40, seed=7, episode_tests=[True, True])
    r64 = evaluate(close, sig, np.zeros(k, bool), horizons, eps, **kw)
    r32 = evaluate(close, f32, np.zeros(k, bool), horizons, eps, **kw)
    for name in METRICS:
        assert r32.metrics[name].tobytes() == r64.metrics[name].tobytes(), name
    at64, at32 = events_in(sig, mode, half), events_in(f32, mode, half)
    for x, y in zip(at64, at32, strict=True):
        np.testing.assert_array_equal(x, y)
    dates = pd.date_range("2000-01-03", periods=n, freq="B")
    pd.testing.assert_frame_equal(
        event_table(dates, f32, np.zeros(k, bool), horizons, mode, close, mask=half),
        event_table(dates, sig, np.zeros(k, bool), horizons, mode, close, mask=half))
    for x, y in zip(event_paths(close, f32, np.zeros(k, bool), 10, mode, mask=half),
                    event_paths(close, sig, np.zeros(k, bool), 10, mode, mask=half),
                    strict=True):
        assert x.tobytes() == y.tobytes()
    labels = pd.DataFrame({"signal": ["s"] * k, "variant": [str(j) for j in range(k)]})
    b64 = backtest(dates, close, sig, labels)
    b32 = backtest(dates, close, f32, labels)
    pd.testing.assert_frame_equal(b32.metrics, b64.metrics)
    pd.testing.assert_frame_equal(b32.equity, b64.equity)
    groups = np.zeros(k, dtype=np.int64)
    np.testing.assert_array_equal(
        spa_pvalues(close, f32, horizons, half, groups, mode, 50, 3),
        spa_pvalues(close, sig, horizons, half, groups, mode, 50, 3))

