"""Backtest every signal variant as a long/flat portfolio, against buy-and-hold.

Rules (the same for every variant, so variants differ only by their signal):

* **No look-ahead.** A signal seen at day t's close is acted on at day t+1's close: the
  position held after the close of day t+1 is the signal of day t (on = value > 0; 0 and
  NaN are off). A signal on the last day therefore never trades. Entries and exits are the
  shifted *state* (not edges), so a position is (re)opened whenever it should be held.
* **Costs.** ``fees`` and ``slippage`` are fractions charged per side by vectorbt: buys fill
  at close * (1 + slippage) and sells at close * (1 - slippage), each paying ``fees`` of the
  traded value. The whole portfolio value (start 1.0) goes in on entry and comes out on exit.
* **Hedge** (``hedge=True``): long the target and short the benchmark for equal notional,
  rebalanced daily. It is simulated as one vectorbt asset, the *spread index*
  ``S_t = prod(1 + r_target - r_bench)``, so a day in position earns exactly
  ``r_target_t - r_bench_t`` on the whole equity (no interest on the short's cash). Both legs
  trade on every entry and exit, so the spread asset is charged ``2 * fees`` and
  ``2 * slippage`` per side; the small daily rebalancing trades are not charged. A day with
  ``r_target - r_bench <= -100%`` would wipe the position out; the index is floored just
  above zero there instead of going negative.
* **Buy-and-hold** rows for the target (and the benchmark when given) are bought at their
  first valid close and held to the end, with no costs: one round trip over years is
  negligible, and it keeps each row equal to the index's own price return.
* **Missing prices.** NaN closes (e.g. the benchmark not trading on a target day) are
  forward-filled for valuation and trading. Before an asset's first valid close nothing
  trades, the equity stays 1.0 and those rows are left out of that column's statistics.

The simulation is vectorbt's ``Portfolio.from_signals`` arithmetic for this configuration,
re-implemented in one numba pass (``engine.backtest_kernel``: value curves bit for bit
vectorbt's, checked in tests against vectorbt itself), run over memory-bounded column slices:
no (T x K) frames, order or trade records. The return statistics are computed column-wise
per slice from the daily returns the pass writes (``backtest_kernel.moments``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine import metrics as M
from engine.errors import SpecError
from engine.evaluate.stats import deflated_sharpe_ratio
from engine.signal_dtype import signal_values

__all__ = ["BH", "METRIC_COLUMNS", "TRADING_DAYS", "BacktestResult", "backtest"]

TRADING_DAYS = 252
BH = "buy-and-hold"
METRIC_COLUMNS = list(M.BACKTEST_COLUMNS)
_STATS_CHUNK_BYTES = 32 * 2**20  # one (T, C) float temporary in the statistics
_SPREAD_FLOOR = 1e-12  # smallest daily growth factor of the spread index (a wipe-out)


@dataclass(frozen=True)
class BacktestResult:
    """``metrics``: one row per variant, then the buy-and-hold rows (``METRIC_COLUMNS``).

    Returns are simple fractions; ``annual_return`` is the compound annual growth rate over
    the column's live days (252 a year), ``max_drawdown`` is <= 0, ``exposure`` the share of
    live days ending in a position, ``n_trades`` counts an open trade too but ``win_rate``
    (net of costs) only closed ones, ``dsr`` is NaN on buy-and-hold rows and ``hedge`` is
    True only on hedged strategy rows (buy-and-hold is never hedged).
    ``equity``: portfolio value per date (start 1.0), one column per row of ``metrics``
    named ``"{signal}|{variant}"`` (``"buy-and-hold|{name}"`` for the reference rows)."""

    metrics: pd.DataFrame
    equity: pd.DataFrame


def backtest(
    dates: pd.DatetimeIndex,
    close: np.ndarray,
    signals: np.ndarray,
    labels: pd.DataFrame,
    bench_close: np.ndarray | None = None,
    hedge: bool = False,
    fees: float = 0.0005,
    slippage: float = 0.0005,
    n_trials: int | None = None,
    freq: str = "1D",
    target_name: str = "target",
    bench_name: str = "benchmark",
    equity_top: int | None = None,
) -> BacktestResult:
    """Long the target (or target minus benchmark when ``hedge``) while each signal is on.

    ``signals`` is (T, K), on where > 0 (1/0/NaN, or numeric values), ``labels`` its K rows
    (``signal``, ``variant``). ``n_trials`` is how many variants were tried for the deflated
    Sharpe ratio (default K). ``equity_top``: keep the equity curves of only each signal's
    ``equity_top`` best variants by Sharpe (the ones a report can show) besides
    buy-and-hold; None keeps every curve. See the module docstring for the trading rules.

    Variants are simulated in column slices (``_STATS_CHUNK_BYTES``), so memory stays bounded
    whatever K; columns are independent, so the numbers do not depend on the slicing.
    """
    close_a, sig, bench_a = _check_inputs(dates, close, signals, labels, bench_close, hedge,
                                          fees, slippage, n_trials)
    n_rows, k = sig.shape
    names = [f"{s}|{v}" for s, v in zip(labels["signal"], labels["variant"], strict=True)]
    bh_assets = [close_a] + ([bench_a] if bench_a is not None else [])
    bh_names = [target_name] + ([bench_name] if bench_a is not None else [])
    cols = names + [f"{BH}|{n}" for n in bh_names]
    if n_rows == 0:
        return BacktestResult(_metrics_frame(labels, bh_names, {}, hedge),
                              pd.DataFrame(index=dates, columns=cols, dtype=float))

    asset = _spread_index(close_a, bench_a) if hedge else _ffill(close_a)
    bh_prices = np.column_stack([_ffill(a) for a in bh_assets])
    cost = 2.0 if hedge else 1.0
    n_bh = bh_prices.shape[1]
    # column c trades price column col_asset[c] on signal column col_sig[c] (-1: always on)
    cols_spec = _Columns(
        prices=np.column_stack([asset, bh_prices]), signals=sig,
        asset=np.concatenate([np.zeros(k, np.int64), np.arange(1, n_bh + 1, dtype=np.int64)]),
        sig=np.concatenate([np.arange(k, dtype=np.int64), np.full(n_bh, -1, np.int64)]),
        fees=np.concatenate([np.full(k, cost * fees), np.zeros(n_bh)]),
        slippage=np.concatenate([np.full(k, cost * slippage), np.zeros(n_bh)]))
    stats = _stats_by_slices(cols_spec)
    stats[M.DSR] = _dsr(stats, k, n_trials)
    kept = (np.arange(k) if equity_top is None
            else _best_by_sharpe(labels, stats[M.SHARPE][:k], int(equity_top)))
    value = _values(cols_spec, np.concatenate([kept, np.arange(k, k + n_bh)]))
    equity = pd.DataFrame(value, index=dates,
                          columns=[names[i] for i in kept] + cols[k:])
    return BacktestResult(_metrics_frame(labels, bh_names, stats, hedge), equity)


def _best_by_sharpe(labels: pd.DataFrame, sharpe: np.ndarray, top: int) -> np.ndarray:
    """Positions of each signal's ``top`` best variants by Sharpe (NaN last, ties by name),
    in their original order: the order ``report.charts`` and the backtest table rank by."""
    order = pd.DataFrame({"signal": labels["signal"].astype(str).to_numpy(),
                          "col": (labels["signal"].astype(str) + "|"
                                  + labels["variant"].astype(str)).to_numpy(),
                          M.SHARPE: sharpe, "pos": np.arange(len(labels))})
    order = order.sort_values([M.SHARPE, "col"], ascending=[False, True], na_position="last",
                              kind="stable")
    best = order.groupby("signal", sort=False).head(top)
    return np.sort(best["pos"].to_numpy())


# --------------------------------------------------------------------------- inputs


def _check_inputs(dates, close, signals, labels, bench_close, hedge, fees, slippage, n_trials):
    """Shapes are programming errors (ValueError); hedge/costs can come from a user's call."""
    close_a = np.asarray(close, dtype=np.float64)
    sig = signal_values(signals)
    n_rows = len(dates)
    if sig.ndim == 1:
        sig = sig[:, None]
    if close_a.shape != (n_rows,) or sig.ndim != 2 or sig.shape[0] != n_rows:
        raise ValueError(f"backtest: dates ({n_rows}), close {close_a.shape} and signals "
                         f"{sig.shape} must share T rows")
    if len(labels) != sig.shape[1] or not {"signal", "variant"} <= set(labels.columns):
        raise ValueError(f"backtest: labels must have {sig.shape[1]} rows with columns "
                         f"signal, variant; got {len(labels)} rows, {list(labels.columns)}")
    bench_a = None
    if bench_close is not None:
        bench_a = np.asarray(bench_close, dtype=np.float64)
        if bench_a.shape != (n_rows,):
            raise ValueError(f"backtest: bench_close {bench_a.shape} must be ({n_rows},)")
    if hedge and bench_a is None:
        raise SpecError("hedge = true needs a benchmark to short", where="backtest.hedge",
                        fix="set [study] benchmark or hedge = false")
    for name, v in (("fees", fees), ("slippage", slippage)):
        if not 0 <= v < 0.1:
            raise SpecError(f"{name} = {v!r} not allowed", where=f"backtest.{name}",
                            fix="a per-side fraction from 0 to 0.1 (0.0005 = 5 bp)")
    if n_trials is not None and (int(n_trials) != n_trials or n_trials < 1):
        raise ValueError(f"backtest: n_trials must be a positive integer, got {n_trials}")
    return close_a, sig, bench_a


def _ffill(x: np.ndarray) -> np.ndarray:
    """Forward-fill NaN (leading NaN stays) and rescale so the first valid price is 1.

    The rescaling changes no return; it keeps vectorbt's share counts near 1 whatever the
    price level (its minimum order size is 1e-8 shares).
    """
    idx = np.where(np.isfinite(x), np.arange(x.size), 0)
    np.maximum.accumulate(idx, out=idx)
    out = x[idx]
    out[~np.isfinite(out)] = np.nan
    first = np.flatnonzero(np.isfinite(out))
    return out / out[first[0]] if first.size else out


def _spread_index(target: np.ndarray, bench: np.ndarray) -> np.ndarray:
    """Value of a daily-rebalanced, equal-notional long target / short benchmark, start 1.

    NaN until both series have a price, so nothing trades before then.
    """
    t, b = _ffill(target), _ffill(bench)
    with np.errstate(invalid="ignore"):
        diff = np.diff(t) / t[:-1] - np.diff(b) / b[:-1]
    growth = np.maximum(1.0 + np.nan_to_num(diff, nan=0.0), _SPREAD_FLOOR)
    out = np.concatenate([[1.0], np.cumprod(growth)])
    both = np.isfinite(t) & np.isfinite(b)
    if not both.any():
        return np.full(t.shape, np.nan)
    start = int(np.argmax(both))
    out = out / out[start]
    out[:start] = np.nan
    return out


# --------------------------------------------------------------------------- simulation


@dataclass(frozen=True)
class _Columns:
    """What ``engine.backtest_kernel.simulate`` needs, for all columns (see its docstring)."""

    prices: np.ndarray
    signals: np.ndarray
    asset: np.ndarray
    sig: np.ndarray
    fees: np.ndarray
    slippage: np.ndarray

    def run(self, cols: np.ndarray, returns: bool = False, values: bool = False):
        from engine.backtest_kernel import simulate

        n_rows, n = self.prices.shape[0], len(cols)
        r = np.empty((n_rows if returns else 0, n))
        v = np.empty((n_rows if values else 0, n))
        ints, floats = simulate(self.prices, self.asset[cols], self.signals, self.sig[cols],
                                self.fees[cols], self.slippage[cols], r, v)
        return ints, floats, r, v


def _slices(n_cols: int, n_rows: int) -> list[slice]:
    """Column slices of about ``_STATS_CHUNK_BYTES`` per (T, C) float buffer."""
    step = max(1, _STATS_CHUNK_BYTES // (8 * max(1, n_rows)))
    return [slice(a, min(a + step, n_cols)) for a in range(0, n_cols, step)]


def _values(spec: _Columns, cols: np.ndarray) -> np.ndarray:
    """Value curves (T, len(cols)) of the given columns."""
    parts = [spec.run(cols[sl], values=True)[3] for sl in _slices(len(cols), len(spec.prices))]
    return np.column_stack(parts) if parts else np.empty((len(spec.prices), 0))


# --------------------------------------------------------------------------- statistics


def _stats_by_slices(spec: _Columns) -> dict[str, np.ndarray]:
    """``_column_stats`` of every column, over memory-bounded column slices."""
    from engine import backtest_kernel as K

    n_cols = len(spec.asset)
    parts = []
    for sl in _slices(n_cols, len(spec.prices)):
        cols = np.arange(n_cols)[sl]
        ints, floats, r, _ = spec.run(cols, returns=True)
        sums = K.moments(r, spec.prices, spec.asset[cols], ints[K.N_LIVE].astype(np.float64))
        parts.append(_column_stats(sums, ints, floats))
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


def _column_stats(sums: np.ndarray, ints: np.ndarray,
                  floats: np.ndarray) -> dict[str, np.ndarray]:
    """Return and risk statistics per column over its live rows (valid price, start 1.0).

    The daily returns are value_t / value_{t-1} - 1 on every live row, the first against the
    initial 1.0 (so an entry on the first day shows its costs), as vectorbt's
    ``Portfolio.returns``. Sharpe and Sortino use a zero risk-free rate; Sortino's downside
    deviation is sqrt(mean(min(r, 0)^2)) as in vectorbt. Undefined values (no live rows,
    zero volatility, no down days) are NaN; max drawdown counts the initial 1.0 as a peak.
    ``sums`` are ``backtest_kernel.moments``; counts, the last value and the drawdown come
    from the simulation pass.
    """
    from engine import backtest_kernel as K

    n = ints[K.N_LIVE].astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = sums[0] / n
        m2, m3, m4 = sums[1] / n, sums[2] / n, sums[3] / n
        std = np.sqrt(np.where(n > 1, m2 * n / (n - 1), np.nan))
        down = np.sqrt(sums[4] / n)
        sr_daily = np.where(std > 0, mean / std, np.nan)
        total = np.where(n > 0, floats[K.LAST_VALUE] - 1.0, np.nan)
        ann = np.sqrt(TRADING_DAYS)
        n_closed = ints[K.N_CLOSED]
        return {
            M.TOTAL_RETURN: total,
            M.ANNUAL_RETURN: (1.0 + total) ** (TRADING_DAYS / n) - 1.0,
            M.ANNUAL_VOL: std * ann,
            M.SHARPE: sr_daily * ann,
            M.SORTINO: np.where(down > 0, mean / down * ann, np.nan),
            M.MAX_DRAWDOWN: np.where(n > 0, floats[K.MAX_DRAWDOWN], np.nan),
            M.EXPOSURE: ints[K.N_HELD] / n,
            M.N_TRADES: ints[K.N_TRADES],
            M.WIN_RATE: np.where(n_closed > 0, ints[K.N_WON] / n_closed, np.nan),
            "_sr_daily": sr_daily,
            "_skew": np.where(m2 > 0, m3 / m2**1.5, np.nan),
            "_kurt": np.where(m2 > 0, m4 / m2**2, np.nan),
            "_n_obs": n,
        }


def _dsr(stats: dict[str, np.ndarray], k: int, n_trials: int | None) -> np.ndarray:
    """Deflated Sharpe of each variant given ``n_trials`` tries (NaN for buy-and-hold).

    Per-period (daily) Sharpes; ``sr_var`` is their sample variance across the variants, or
    1 / n_obs (the Sharpe's sampling variance under zero skill) with fewer than two.
    """
    out = np.full(stats["_sr_daily"].shape, np.nan)
    if k == 0:
        return out
    sr = stats["_sr_daily"][:k]
    n_obs = stats["_n_obs"][:k]  # all variants share one asset, hence one n_obs
    finite = sr[np.isfinite(sr)]
    if finite.size >= 2:
        sr_var = float(np.var(finite, ddof=1))
    elif n_obs[0] > 0:
        sr_var = 1.0 / float(n_obs[0])
    else:
        return out
    out[:k] = deflated_sharpe_ratio(sr, n_obs, stats["_skew"][:k], stats["_kurt"][:k],
                                    int(n_trials or k), sr_var)
    return out


def _metrics_frame(labels: pd.DataFrame, bh_names: list[str], stats: dict[str, np.ndarray],
                   hedge: bool) -> pd.DataFrame:
    k = len(labels)
    n = k + len(bh_names)
    frame = pd.DataFrame({
        "signal": [*map(str, labels["signal"]), *([BH] * len(bh_names))],
        "variant": [*map(str, labels["variant"]), *bh_names],
    })
    for col in METRIC_COLUMNS[2:-1]:
        frame[col] = stats.get(col, np.full(n, np.nan))
    frame[M.N_TRADES] = np.asarray(stats.get(M.N_TRADES, np.zeros(n)), dtype=np.int64)
    frame[M.HEDGE] = np.arange(n) < k if hedge else np.zeros(n, dtype=bool)
    return frame[METRIC_COLUMNS]
