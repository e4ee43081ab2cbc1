"""engine.backtest_kernel against vectorbt itself, bit for bit (#15).

The reference is what ``engine.backtest`` ran before the kernel: one
``vectorbt.Portfolio.from_signals`` call per slice, then ``pf.value()``, ``pf.assets()`` and the
exit trades, and the column statistics computed from those (T x K) frames with numpy. Every
value curve, count, trade tally and statistic must be *equal*, not close.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine import backtest as B
from engine import backtest_kernel as K
from engine import metrics as M

vbt = pytest.importorskip("vectorbt")


def _vectorbt_simulate(dates, prices, entries, exits, fees, slippage):
    """engine.backtest._simulate before #15 (vectorbt), verbatim in what it computes."""
    n_cols = prices.shape[1]
    idx = pd.DatetimeIndex(dates)
    flips = int(np.count_nonzero(np.diff(entries, axis=0, prepend=False))) + n_cols
    close = pd.DataFrame(np.where(np.isfinite(prices), prices, 1.0), index=idx)
    pf = vbt.Portfolio.from_signals(
        close, entries=pd.DataFrame(entries, index=idx), exits=pd.DataFrame(exits, index=idx),
        direction="longonly", size=np.inf, size_type="amount", accumulate=False,
        fees=fees[None, :], slippage=slippage[None, :], fixed_fees=0.0, init_cash=1.0,
        use_stops=False, max_orders=flips, freq="1D",
    )
    value = pf.value().to_numpy(dtype=np.float64)
    held = pf.assets().to_numpy(dtype=np.float64) > 0
    rec = pf.trades.values
    n_trades = np.bincount(rec["col"], minlength=n_cols).astype(np.int64)
    closed = rec["status"] == 1
    n_closed = np.bincount(rec["col"][closed], minlength=n_cols)
    n_won = np.bincount(rec["col"][closed & (rec["pnl"] > 0)], minlength=n_cols)
    with np.errstate(invalid="ignore", divide="ignore"):
        win_rate = np.where(n_closed > 0, n_won / n_closed, np.nan)
    return value, held, n_trades, win_rate


def _reference_stats(value, live, held):
    """engine.backtest._column_stats before #15 (from the value frame)."""
    n = live.sum(axis=0).astype(np.float64)
    prev = np.vstack([np.ones((1, value.shape[1])), value[:-1]])
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(live, value / prev - 1.0, 0.0)
        mean = r.sum(axis=0) / n
        dev = np.where(live, r - mean, 0.0)
        m2, m3, m4 = ((dev**p).sum(axis=0) / n for p in (2, 3, 4))
        std = np.sqrt(np.where(n > 1, m2 * n / (n - 1), np.nan))
        down = np.sqrt((np.minimum(r, 0.0) ** 2).sum(axis=0) / n)
        sr = np.where(std > 0, mean / std, np.nan)
        total = np.where(n > 0, value[-1] - 1.0, np.nan)
        peak = np.maximum(np.maximum.accumulate(np.where(live, value, 1.0), axis=0), 1.0)
        mdd = np.where(n > 0, np.where(live, value / peak - 1.0, 0.0).min(axis=0), np.nan)
        return {M.TOTAL_RETURN: total, M.ANNUAL_RETURN: (1.0 + total) ** (252 / n) - 1.0,
                M.ANNUAL_VOL: std * np.sqrt(252), M.SHARPE: sr * np.sqrt(252),
                M.SORTINO: np.where(down > 0, mean / down * np.sqrt(252), np.nan),
                M.MAX_DRAWDOWN: mdd, M.EXPOSURE: (held & live).sum(axis=0) / n,
                "_skew": np.where(m2 > 0, m3 / m2**1.5, np.nan),
                "_kurt": np.where(m2 > 0, m4 / m2**2, np.nan)}


def _case(seed, n=300, k=7, nan_lead=0, numeric=False, wipe=False, gap=False):
    rng = np.random.default_rng(seed)
    r = rng.normal(0.0003, 0.02, n)
    if wipe:  # a day that (nearly) wipes the position out: vectorbt's min-size rejections
        r[n // 2] = -0.9999999
    close = 100 * np.cumprod(1 + r)
    bench = 40 * np.cumprod(1 + rng.normal(0.0002, 0.015, n))
    close[:nan_lead] = np.nan
    if gap:
        close[n // 3: n // 3 + 5] = np.nan  # forward-filled by the backtest
    if numeric:
        sig = rng.normal(size=(n, k))
    else:
        spells = pd.DataFrame(rng.normal(size=(n, k))).rolling(15, min_periods=1).mean()
        sig = (spells.to_numpy() > rng.normal(0, 0.2, k)).astype(float)
        sig[rng.random((n, k)) < 0.03] = np.nan
        sig[:, 0] = 1.0  # always on
        sig[:, 1] = 0.0  # never on
    return pd.bdate_range("2001-01-02", periods=n), close, bench, sig


def _spec(asset, sig, fees, slippage):
    k = sig.shape[1]
    return B._Columns(prices=asset[:, None], signals=sig, asset=np.zeros(k, np.int64),
                      sig=np.arange(k, dtype=np.int64), fees=np.full(k, fees),
                      slippage=np.full(k, slippage))


CASES = [dict(seed=s, **kw) for s in range(4) for kw in (
    {}, {"nan_lead": 23}, {"numeric": True}, {"wipe": True}, {"gap": True})]


@pytest.mark.parametrize("hedge", [False, True])
@pytest.mark.parametrize("costs", [(0.0005, 0.0005), (0.0, 0.0), (0.02, 0.09)])
@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(f"{k}{v}" for k, v in c.items()))
def test_kernel_equals_vectorbt_bit_for_bit(case, hedge, costs):
    dates, close, bench, sig = _case(**case)
    fees, slippage = costs
    n, k = sig.shape
    cost = 2.0 if hedge else 1.0
    asset = B._spread_index(close, bench) if hedge else B._ffill(close)
    prices = np.repeat(asset[:, None], k, axis=1)
    live = np.isfinite(prices)
    wanted = np.zeros(prices.shape, dtype=bool)
    with np.errstate(invalid="ignore"):
        wanted[1:] = sig[:-1] > 0
    value, held, n_trades, win_rate = _vectorbt_simulate(
        dates, prices, wanted & live, ~wanted & live, np.full(k, cost * fees),
        np.full(k, cost * slippage))

    ret, val = np.empty((n, k)), np.empty((n, k))
    ints, _ = K.simulate(asset[:, None], np.zeros(k, np.int64), sig,
                              np.arange(k, dtype=np.int64), np.full(k, cost * fees),
                              np.full(k, cost * slippage), ret, val)
    np.testing.assert_array_equal(val, value, strict=True)
    np.testing.assert_array_equal(ints[K.N_HELD], (held & live).sum(axis=0))
    np.testing.assert_array_equal(ints[K.N_LIVE], live.sum(axis=0))
    np.testing.assert_array_equal(ints[K.N_TRADES], n_trades)
    with np.errstate(invalid="ignore", divide="ignore"):
        wr = np.where(ints[K.N_CLOSED] > 0, ints[K.N_WON] / ints[K.N_CLOSED], np.nan)
    np.testing.assert_array_equal(wr, win_rate)

    # the whole backtest: every statistic equal to the frame-based one
    labels = pd.DataFrame({"signal": "s", "variant": [f"v{i}" for i in range(k)]})
    res = B.backtest(dates, close, sig, labels, bench_close=bench, hedge=hedge, fees=fees,
                     slippage=slippage)
    ref = _reference_stats(value, live, held)
    got = res.metrics.iloc[:k]
    for col in (M.TOTAL_RETURN, M.ANNUAL_RETURN, M.ANNUAL_VOL, M.SHARPE, M.SORTINO,
                M.MAX_DRAWDOWN, M.EXPOSURE):
        np.testing.assert_array_equal(got[col].to_numpy(), ref[col], err_msg=col)
    # skewness and kurtosis (only the deflated Sharpe uses them): products, not numpy's pow
    np.testing.assert_allclose(B._stats_by_slices(_spec(asset, sig, cost * fees,
                                                        cost * slippage))["_skew"][:k],
                               ref["_skew"], rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(got[M.N_TRADES].to_numpy(), n_trades)
    np.testing.assert_array_equal(res.equity.iloc[:, :k].to_numpy(), value)


def test_buy_and_hold_columns_equal_vectorbt():
    dates, close, bench, _ = _case(3, nan_lead=11)
    prices = np.column_stack([B._ffill(close), B._ffill(bench)])
    live = np.isfinite(prices)
    value, held, n_trades, _ = _vectorbt_simulate(
        dates, prices, live, np.zeros_like(live), np.zeros(2), np.zeros(2))
    labels = pd.DataFrame({"signal": [], "variant": []})
    res = B.backtest(dates, close, np.empty((len(dates), 0)), labels, bench_close=bench)
    np.testing.assert_array_equal(res.equity.to_numpy(), value)
    ref = _reference_stats(value, live, held)
    for col in (M.TOTAL_RETURN, M.SHARPE, M.MAX_DRAWDOWN, M.EXPOSURE):
        np.testing.assert_array_equal(res.metrics[col].to_numpy(), ref[col], err_msg=col)
    np.testing.assert_array_equal(res.metrics[M.N_TRADES].to_numpy(), n_trades)


def test_moments_match_numpy_column_sums():
    """sum r, sum dev^2 and sum min(r, 0)^2 are numpy's ``sum(axis=0)`` bit for bit (the same
    row-by-row order); dev^3 and dev^4 are products, within a few ulps of numpy's ``pow``."""
    rng = np.random.default_rng(5)
    for n_cols in (2, 3, 17):
        r = rng.normal(0, 0.01, (500, n_cols))
        prices = np.ones((500, 2))
        prices[:40, 1] = np.nan
        asset = rng.integers(0, 2, n_cols)
        live = np.isfinite(prices[:, asset])
        r[~live] = 0.0
        n = live.sum(axis=0).astype(np.float64)
        got = K.moments(r, prices, asset, n)
        mean = r.sum(axis=0) / n
        dev = np.where(live, r - mean, 0.0)
        np.testing.assert_array_equal(got[0], r.sum(axis=0))
        np.testing.assert_array_equal(got[1], (dev**2).sum(axis=0))
        np.testing.assert_array_equal(got[4], (np.minimum(r, 0.0) ** 2).sum(axis=0))
        np.testing.assert_allclose(got[2], (dev**3).sum(axis=0), rtol=1e-13)
        np.testing.assert_allclose(got[3], (dev**4).sum(axis=0), rtol=1e-13)


def test_backtest_imports_no_vectorbt():
    import subprocess
    import sys

    code = ("import sys, numpy as np, pandas as pd\n"
            "from engine.backtest import backtest\n"
            "d = pd.bdate_range('2020-01-01', periods=50)\n"
            "backtest(d, np.linspace(1, 2, 50), np.ones((50, 2)),"
            " pd.DataFrame({'signal': ['a', 'a'], 'variant': ['x', 'y']}))\n"
            "print('vectorbt' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=300)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("case", CASES[:10],
                         ids=lambda c: "-".join(f"{k}{v}" for k, v in c.items()))
def test_python_twins_equal_the_compiled_kernels(case):
    """simulate/moments are compiled from simulate_python/moments_python: same numbers, bit
    for bit, on the same edge cases (leading NaN, near wipe-out, gaps, numeric signals)."""
    _, close, _, sig = _case(**case, n=120)
    n, k = sig.shape
    asset = B._ffill(close)[:, None]
    args = (asset, np.zeros(k, np.int64), sig, np.arange(k, dtype=np.int64),
            np.full(k, 0.001), np.full(k, 0.002))
    out = {}
    for name, fn in (("numba", K.simulate), ("python", K.simulate_python)):
        ret, val = np.empty((n, k)), np.empty((n, k))
        with np.errstate(all="ignore"):
            ints, floats = fn(*args, ret, val)
            sums = (K.moments if name == "numba" else K.moments_python)(
                ret, asset, args[1], ints[K.N_LIVE].astype(np.float64))
        out[name] = (ints, floats, ret, val, sums)
    for a, b in zip(out["numba"], out["python"], strict=True):
        np.testing.assert_array_equal(a, b, strict=False)
    assert out["numba"][0][K.N_TRADES].sum() > 0  # the case trades something
