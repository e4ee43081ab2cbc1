"""Boolean signal matrices are float32 (``engine.signal_dtype``): every reader gives the numbers
it gives for the same matrix in float64, bit for bit, and numeric studies stay float64."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from test_signals import TARGET, make_panel

from engine.backtest import backtest
from engine.evaluate.core import METRICS, evaluate, event_paths, event_table, events_in
from engine.evaluate.validation import spa_pvalues
from engine.signal_dtype import BOOL_DTYPE, signal_values
from engine.signals import combine
from engine.signals.matrix import compute_signals, entry_lead
from engine.study.spec import parse_study


def test_signal_values_keeps_both_widths_and_widens_the_rest():
    f32 = np.zeros((3, 2), dtype=np.float32)
    f64 = np.zeros((3, 2))
    assert signal_values(f32) is f32 and signal_values(f64) is f64
    for other in ([[1, 0], [0, 1]], np.ones((2, 2), dtype=bool), np.ones((2, 2), dtype=np.int8)):
        got = signal_values(other)
        assert got.dtype == np.float64
        np.testing.assert_array_equal(got, np.asarray(other, dtype=np.float64))


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


def test_a_boolean_study_is_float32_and_equals_its_columns_computed_in_float64():
    panel = _panel()
    sm = compute_signals(_study(BOOLEAN), panel)
    assert sm.values.dtype == BOOL_DTYPE
    assert set(np.unique(sm.values[np.isfinite(sm.values)])) <= {0.0, 1.0}
    assert sm.advance.any()  # the calendar column went through entry_lead as float32
    # the same columns, built from float64 family outputs with the float64 combinators
    mixed = compute_signals(_study([*BOOLEAN, NUMERIC]), panel)
    assert mixed.values.dtype == np.float64
    np.testing.assert_array_equal(mixed.values[:, :sm.values.shape[1]], sm.values)


def test_combinators_and_entry_lead_keep_float32():
    rng = np.random.default_rng(1)
    a = (rng.random((30, 2)) < 0.5).astype(np.float32)
    a[rng.random((30, 2)) < 0.1] = np.nan
    b = a[:, ::-1].copy()
    for got, want in ((combine.all_of([a, b]), combine.all_of([a.astype(float), b])),
                      (combine.any_of([a, b]), combine.any_of([a.astype(float), b])),
                      (combine.not_(a), combine.not_(a.astype(float))),
                      (combine.persistence(a, 3), combine.persistence(a.astype(float), 3)),
                      (combine.cooldown(a, 4), combine.cooldown(a.astype(float), 4)),
                      (entry_lead(a, np.array([True, False])),
                       entry_lead(a.astype(float), np.array([True, False])))):
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got, want.astype(np.float32))
        np.testing.assert_array_equal(got.astype(float), want)


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
def test_float32_signals_give_the_float64_numbers_bit_for_bit(seed, n, k, mode):
    close, sig = _case(seed, n, k)
    f32 = sig.astype(np.float32)
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

