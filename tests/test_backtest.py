"""engine.backtest: hand-computed equity paths and metrics, checked against vectorbt itself."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from engine.backtest import BH, METRIC_COLUMNS, backtest
from engine.errors import SpecError
from engine.evaluate.stats import deflated_sharpe_ratio

SQ = np.sqrt(252)
CLOSE6 = np.array([100.0, 102.0, 101.0, 105.0, 103.0, 104.0])
F, S = 0.001, 0.002  # fees and slippage used in the hand computations
BUY = 1 / ((1 + S) * (1 + F))  # value kept per 1.0 put in (fill at close * (1+S), fee F)
SELL = (1 - S) * (1 - F)  # value kept per 1.0 taken out


def _dates(n: int) -> pd.DatetimeIndex:
    return pd.bdate_range("2021-01-04", periods=n)


def _labels(k: int, signal: str = "sig") -> pd.DataFrame:
    return pd.DataFrame({"signal": [signal] * k, "variant": [f"v{i}" for i in range(k)],
                         "params": ["{}"] * k})


def _run(close, sig, **kw):
    """backtest() on business days with labels sig|v0.., costless unless fees/slippage given."""
    kw = {"fees": 0.0, "slippage": 0.0} | kw
    sig = np.asarray(sig, dtype=float)
    sig = sig[:, None] if sig.ndim == 1 else sig
    return backtest(_dates(len(close)), np.asarray(close, float), sig, _labels(sig.shape[1]), **kw)


def _row(res, i=0) -> pd.Series:
    return res.metrics.iloc[i]


def _rets(equity: np.ndarray) -> np.ndarray:
    return equity / np.concatenate([[1.0], equity[:-1]]) - 1


# --------------------------------------------------------------------------- long only, by hand


def test_signal_days_1_2_exact_path_and_metrics():
    # signal on days 1-2 -> bought at day 2's close (101), held, sold at day 4's close (103)
    res = _run(CLOSE6, [0, 1, 1, 0, 0, 0], fees=F, slippage=S)
    eq = res.equity["sig|v0"].to_numpy()
    want = np.array([1, 1, BUY, BUY * 105 / 101, BUY * 103 / 101 * SELL, BUY * 103 / 101 * SELL])
    np.testing.assert_allclose(eq, want, rtol=1e-12)
    m = _row(res)
    assert m["total_return"] == pytest.approx(103 / 101 * BUY * SELL - 1, rel=1e-12)
    assert m["annual_return"] == pytest.approx((103 / 101 * BUY * SELL) ** (252 / 6) - 1)
    assert m["max_drawdown"] == pytest.approx(103 / 105 * SELL - 1, rel=1e-12)  # from 105 peak
    assert m["exposure"] == pytest.approx(2 / 6)  # held after days 2 and 3
    assert m["n_trades"] == 1
    assert m["win_rate"] == 1.0
    r = _rets(want)
    assert m["sharpe"] == pytest.approx(r.mean() / r.std(ddof=1) * SQ, rel=1e-9)
    assert m["annual_vol"] == pytest.approx(r.std(ddof=1) * SQ, rel=1e-9)
    down = np.sqrt(np.mean(np.minimum(r, 0) ** 2))
    assert m["sortino"] == pytest.approx(r.mean() / down * SQ, rel=1e-9)
    assert not m["hedge"]
    assert list(res.metrics.columns) == METRIC_COLUMNS


def test_next_bar_entry_and_last_day_signal_never_trades():
    res = _run(CLOSE6, np.array([[1, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 1]], float).T)
    day0 = res.equity["sig|v0"].to_numpy()  # bought at day 1's close, sold at day 2's
    np.testing.assert_allclose(day0, [1, 1, 101 / 102, 101 / 102, 101 / 102, 101 / 102])
    last = _row(res, 1)
    assert (res.equity["sig|v1"] == 1.0).all()
    assert last["n_trades"] == 0 and last["exposure"] == 0 and last["total_return"] == 0
    assert np.isnan(last["win_rate"]) and np.isnan(last["sharpe"]) and np.isnan(last["dsr"])


def test_trade_count_win_rate_and_open_trade():
    close = [100, 102, 101, 105, 103, 104, 110, 108]
    # trades: 102->101 (loss), 105->103 (loss), 104->110 (win), bought 108 on the last day (open)
    res = _run(close, [1, 0, 1, 0, 1, 0, 1, 0])
    m = _row(res)
    assert m["n_trades"] == 4
    assert m["win_rate"] == pytest.approx(1 / 3)  # of the 3 closed trades
    assert m["exposure"] == pytest.approx(4 / 8)
    assert m["total_return"] == pytest.approx(101 / 102 * 103 / 105 * 110 / 104 - 1, rel=1e-12)


def test_all_nan_signal_is_flat():
    res = _run(CLOSE6, np.full(6, np.nan), fees=F, slippage=S)
    m = _row(res)
    assert (res.equity["sig|v0"] == 1.0).all()
    assert m["n_trades"] == 0 and m["exposure"] == 0.0
    assert m["total_return"] == 0.0 and m["max_drawdown"] == 0.0 and m["annual_vol"] == 0.0
    for col in ("sharpe", "sortino", "win_rate", "dsr"):
        assert np.isnan(m[col]), col


def test_buy_and_hold_rows_and_columns():
    bench = np.array([50.0, 51, 50, 52, 51, 53])
    res = _run(CLOSE6, [0, 1, 1, 0, 0, 0], bench_close=bench, fees=F, slippage=S,
               target_name="index.RUT", bench_name="index.GSPC")
    bh = res.metrics[res.metrics["signal"] == BH].set_index("variant")
    assert bh.loc["index.RUT", "total_return"] == pytest.approx(104 / 100 - 1, rel=1e-12)
    assert bh.loc["index.GSPC", "total_return"] == pytest.approx(53 / 50 - 1, rel=1e-12)
    assert (bh["exposure"] == 1.0).all() and (bh["n_trades"] == 1).all()
    assert bh["dsr"].isna().all() and bh["win_rate"].isna().all() and not bh["hedge"].any()
    assert list(res.equity.columns) == ["sig|v0", f"{BH}|index.RUT", f"{BH}|index.GSPC"]
    np.testing.assert_allclose(res.equity[f"{BH}|index.RUT"], CLOSE6 / 100, rtol=1e-12)
    np.testing.assert_allclose(res.equity[f"{BH}|index.GSPC"], bench / 50, rtol=1e-12)
    assert res.equity.index.equals(_dates(6))


def test_nan_at_start_of_close():
    close = np.array([np.nan, np.nan, 100, 102, 101, 105])
    res = _run(close, [1, 1, 0, 0, 0, 0])  # wants a position from day 1: first price is day 2
    eq = res.equity["sig|v0"].to_numpy()
    np.testing.assert_allclose(eq, [1, 1, 1, 1.02, 1.02, 1.02])  # bought 100, sold 102
    m = _row(res)
    assert m["exposure"] == pytest.approx(1 / 4)  # 4 days with a price
    assert m["annual_return"] == pytest.approx(1.02 ** (252 / 4) - 1)
    bh = _row(res, 1)
    assert bh["total_return"] == pytest.approx(105 / 100 - 1)
    np.testing.assert_allclose(res.equity[f"{BH}|target"], [1, 1, 1, 1.02, 1.01, 1.05])


def test_no_variants():
    res = backtest(_dates(6), CLOSE6, np.empty((6, 0)), _labels(0), bench_close=CLOSE6 / 2)
    assert list(res.metrics["signal"]) == [BH, BH]
    assert list(res.equity.columns) == [f"{BH}|target", f"{BH}|benchmark"]
    np.testing.assert_allclose(res.metrics["total_return"], [0.04, 0.04], rtol=1e-12)


# --------------------------------------------------------------------------- hedge


def test_hedge_hand_computed():
    bench = np.array([50.0, 51, 50, 52, np.nan, 51])  # day 4 missing: forward-filled (52)
    res = _run(CLOSE6, [0, 1, 1, 0, 0, 0], bench_close=bench, hedge=True, fees=F, slippage=S)
    buy2 = 1 / ((1 + 2 * S) * (1 + 2 * F))  # both legs pay costs
    sell2 = (1 - 2 * S) * (1 - 2 * F)
    d3 = 1 + 105 / 101 - 52 / 50  # day 3: long target +3.96%, short bench -4%
    d4 = 1 + 103 / 105 - 1  # day 4: bench has no price, its leg is flat
    eq = res.equity["sig|v0"].to_numpy()
    want = [1, 1, buy2, buy2 * d3, buy2 * d3 * d4 * sell2, buy2 * d3 * d4 * sell2]
    np.testing.assert_allclose(eq, want, rtol=1e-12)
    m = _row(res)
    assert bool(m["hedge"]) and m["n_trades"] == 1 and m["win_rate"] == 0.0
    assert m["total_return"] == pytest.approx(want[-1] - 1, rel=1e-12)
    bh = res.metrics[res.metrics["signal"] == BH].set_index("variant")
    assert bh.loc["benchmark", "total_return"] == pytest.approx(51 / 50 - 1)
    assert not bh["hedge"].any()


def test_hedge_needs_benchmark():
    with pytest.raises(SpecError, match="benchmark"):
        _run(CLOSE6, np.zeros(6), hedge=True)


# --------------------------------------------------------------------------- vs vectorbt


def _random_case(n=120, k=4, seed=7):
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0.0005, 0.012, n)))
    sig = (rng.random((n, k)) < 0.55).astype(float)
    sig[rng.random((n, k)) < 0.1] = np.nan
    return close, sig


def test_matches_vectorbt_called_directly():
    import vectorbt as vbt

    close, sig = _random_case()
    res = _run(close, sig, fees=F, slippage=S)
    on = np.zeros(sig.shape, dtype=bool)
    on[1:] = sig[:-1] == 1
    idx = _dates(len(close))
    pf = vbt.Portfolio.from_signals(
        pd.Series(close, index=idx), entries=pd.DataFrame(on, index=idx),
        exits=pd.DataFrame(~on, index=idx), fees=F, slippage=S, init_cash=1.0, freq="1D",
        direction="longonly")
    ra = pf.get_returns_acc(year_freq="252 days")
    m = res.metrics.iloc[: sig.shape[1]]
    np.testing.assert_allclose(res.equity.iloc[:, :4].to_numpy(), pf.value().to_numpy(),
                               rtol=1e-10)
    np.testing.assert_allclose(m["total_return"], pf.total_return(), rtol=1e-10)
    np.testing.assert_allclose(m["max_drawdown"], pf.max_drawdown(), rtol=1e-10)
    np.testing.assert_allclose(m["sharpe"], ra.sharpe_ratio(), rtol=1e-8)
    np.testing.assert_allclose(m["sortino"], ra.sortino_ratio(), rtol=1e-8)
    np.testing.assert_allclose(m["annual_vol"], ra.annualized_volatility(), rtol=1e-8)
    np.testing.assert_allclose(m["annual_return"], ra.annualized(), rtol=1e-8)
    np.testing.assert_array_equal(m["n_trades"], pf.trades.count())
    np.testing.assert_allclose(m["win_rate"], pf.trades.closed.win_rate(), rtol=1e-12)


def test_sweep_equals_separate_calls():
    close, sig = _random_case(k=4, seed=3)
    bench = 100 * np.exp(np.cumsum(np.random.default_rng(1).normal(0, 0.01, len(close))))
    for hedge in (False, True):
        sweep = _run(close, sig, bench_close=bench, hedge=hedge, fees=F, slippage=S)
        cols = [c for c in METRIC_COLUMNS if c not in ("variant", "dsr")]
        for j in range(sig.shape[1]):
            one = _run(close, sig[:, j], bench_close=bench, hedge=hedge, fees=F, slippage=S)
            pd.testing.assert_series_equal(
                sweep.metrics.iloc[j][cols], one.metrics.iloc[0][cols], check_names=False,
                rtol=1e-12)
            np.testing.assert_allclose(sweep.equity.iloc[:, j], one.equity.iloc[:, 0],
                                       rtol=1e-12)


# --------------------------------------------------------------------------- deflated Sharpe


def test_dsr_by_hand_and_monotone_in_n_trials():
    close, sig = _random_case(n=250, k=5, seed=11)
    res = _run(close, sig)
    r = np.column_stack([_rets(res.equity.iloc[:, j].to_numpy()) for j in range(5)])
    sr = r.mean(0) / r.std(0, ddof=1)
    want = deflated_sharpe_ratio(sr, 250, sps.skew(r), sps.kurtosis(r, fisher=False), 5,
                                 float(np.var(sr, ddof=1)))
    np.testing.assert_allclose(res.metrics["dsr"].iloc[:5], want, rtol=1e-9)
    dsr = np.array([_run(close, sig, n_trials=n).metrics["dsr"].to_numpy()[:5]
                    for n in (1, 5, 50, 500)])
    assert np.isfinite(dsr).all()
    assert (np.diff(dsr, axis=0) < 0).all()  # more trials tried -> less convincing


def test_dsr_single_variant_uses_sampling_variance():
    close, sig = _random_case(n=200, k=1, seed=5)
    res = _run(close, sig, n_trials=10)
    r = _rets(res.equity.iloc[:, 0].to_numpy())
    sr = r.mean() / r.std(ddof=1)
    want = deflated_sharpe_ratio(sr, 200, sps.skew(r), sps.kurtosis(r, fisher=False), 10,
                                 1 / 200)
    assert res.metrics["dsr"].iloc[0] == pytest.approx(float(want), rel=1e-9)
