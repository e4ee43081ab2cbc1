"""The long/flat simulation of ``engine.backtest`` in one numba pass per column slice.

It reproduces, operation for operation, what ``vectorbt.Portfolio.from_signals`` does for the
one configuration the backtest uses (long only, ``size=inf`` in ``amount``, no accumulation,
no stops, ``init_cash=1``, per-side ``fees`` and ``slippage``, no fixed fees, vectorbt's
default ``min_size=1e-8``), and how vectorbt then derives ``value()``, ``assets()`` and its
exit trades from the order records: the same ``add_nb`` rounding (sums within 1e-9 relative
or 1e-12 absolute of zero are zero), the same snapping of near-zero cash and position before
an order, the same rejections. So the value curves are bit for bit vectorbt's
(``tests/test_backtest_kernel.py`` checks that against vectorbt on random and edge cases;
``tests/output_digests.py`` on every shipped study), but no (T x K) pandas frame, order
record array or trade record array is ever built: one pass keeps a few numbers per column,
and writes the daily return of each column (what the statistics need) into a slice buffer.

Columns are independent: column ``c`` trades the price column ``asset[c]`` of ``prices`` on
the signal column ``sig_col[c]`` of ``signals`` (held after day t's close = signal of day t-1
> 0), or, with ``sig_col[c] == -1``, is always wanted (buy-and-hold from the first valid
price). NaN prices are "not live": no order, value carried at a price of 1.0 as in vectorbt's
filled close frame (``engine.backtest`` forward-fills, so only leading rows are NaN).

As in ``engine.evaluate.kernels``, each loop is written once as plain Python
(``simulate_python``, ``moments_python``) and the compiled kernel is made from that body; the
helpers are ``register_jitable`` (plain Python when called from Python), so the twin is
importable and compared with the compiled kernel (``tests/test_backtest_kernel.py``).
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numba.extending import register_jitable

REL_TOL = 1e-9  # vectorbt.utils.math_.rel_tol
ABS_TOL = 1e-12  # vectorbt.utils.math_.abs_tol
MIN_SIZE = 1e-8  # vectorbt's default portfolio min_size

# per-column integer/float outputs of ``simulate`` (rows of ``ints`` / ``floats``)
N_LIVE, N_HELD, N_TRADES, N_CLOSED, N_WON = range(5)
LAST_VALUE, MAX_DRAWDOWN = range(2)


@register_jitable
def _is_close(a: float, b: float) -> bool:
    if np.isnan(a) or np.isnan(b):
        return False
    if np.isinf(a) or np.isinf(b):
        return False
    if a == b:
        return True
    return abs(a - b) <= max(REL_TOL * max(abs(a), abs(b)), ABS_TOL)


@register_jitable
def _is_less(a: float, b: float) -> bool:
    if _is_close(a, b):
        return False
    return a < b


@register_jitable
def _snap(x: float) -> float:
    """vectorbt's snapping of near-zero cash and position before an order: 0.0 within tolerance."""
    return 0.0 if _is_close(x, 0.0) else x


@register_jitable
def _add(a: float, b: float) -> float:
    """vectorbt's ``add_nb``: a + b, or exactly 0.0 when the sum is zero within tolerance."""
    opposite = np.sign(a) != np.sign(b)
    if (opposite and _is_close(abs(a), abs(b))) or (not opposite and _is_close(a + b, 0.0)):
        return 0.0
    return a + b


def simulate_python(prices, asset, signals, sig_col, fees, slippage, returns, value_out):
    """Simulate every column; write daily returns and return per-column counts and values.

    ``prices`` (T, A) float64; ``asset``, ``sig_col`` (C,) int64; ``signals`` (T, S) float64
    (on where > 0); ``fees``, ``slippage`` (C,) float64 per side. ``returns`` (T, C) receives
    ``value_t / value_{t-1} - 1`` on live rows (the first against 1.0) and 0.0 elsewhere, as
    ``engine.backtest``'s statistics define it; pass a (0, C) array to skip. ``value_out``
    (T, C) receives the value curve; pass (0, C) to skip. Returns ``ints`` (5, C): live days,
    live days in a position, trades (open ones too), closed trades, closed trades with
    pnl > 0; and ``floats`` (2, C): the last value and the maximum drawdown (over live days,
    the initial 1.0 counted as a peak).
    """
    n_rows = prices.shape[0]
    n_cols = asset.shape[0]
    want_r = returns.shape[0] == n_rows
    want_v = value_out.shape[0] == n_rows
    ints = np.zeros((5, n_cols), dtype=np.int64)
    floats = np.zeros((2, n_cols), dtype=np.float64)
    # simulation state (vectorbt's cash/position while it simulates)
    sim_cash = np.ones(n_cols)
    sim_pos = np.zeros(n_cols)
    # state rebuilt from the order records (what value()/assets() report)
    rec_cash = np.ones(n_cols)
    rec_pos = np.zeros(n_cols)  # asset_flow_nb's running position
    assets = np.zeros(n_cols)
    prev_value = np.ones(n_cols)
    peak = np.full(n_cols, -np.inf)
    mdd = np.zeros(n_cols)
    # the open trade (exit-trade records)
    in_trade = np.zeros(n_cols, dtype=np.bool_)
    e_size = np.zeros(n_cols)
    e_gross = np.zeros(n_cols)
    e_fees = np.zeros(n_cols)
    for t in range(n_rows):
        for c in range(n_cols):
            p = prices[t, asset[c]]
            live = np.isfinite(p)
            flow_cash = 0.0
            flow_assets = 0.0
            if live:
                s = sig_col[c]
                if s < 0:
                    wanted = True
                elif t == 0:
                    wanted = False
                else:
                    wanted = signals[t - 1, s] > 0
                pos_now = sim_pos[c]
                filled = False
                side_buy = True
                size = 0.0
                price = 0.0
                paid = 0.0
                if wanted and pos_now == 0.0:
                    # execute_order_nb + buy_nb with size=inf: spend all the cash
                    cash = _snap(sim_cash[c])
                    position = _snap(pos_now)
                    price = p * (1 + slippage[c])
                    if cash != 0.0:
                        max_req_cash = _add(cash, -0.0) / (1 + fees[c])
                        if max_req_cash > 0:
                            final_size = max_req_cash / price
                            if not _is_less(final_size, MIN_SIZE):
                                paid = cash - max_req_cash
                                sim_cash[c] = _add(cash, -cash)
                                sim_pos[c] = _add(position, final_size)
                                size = final_size
                                filled = True
                elif not wanted and pos_now > 0:
                    # signals_to_size_nb closes the position; sell_nb, long only
                    cash = _snap(sim_cash[c])
                    position = _snap(pos_now)
                    price = p * (1 - slippage[c])
                    size_limit = min(position, abs(pos_now))
                    if (position != 0.0 and not _is_close(size_limit, 0.0)
                            and not _is_less(size_limit, MIN_SIZE)):
                        acq_cash = size_limit * price
                        fees_paid = acq_cash * fees[c] + 0.0
                        final_acq_cash = _add(acq_cash, -fees_paid)
                        if final_acq_cash >= 0:
                            sim_cash[c] = cash + final_acq_cash
                            sim_pos[c] = _add(position, -size_limit)
                            size = size_limit
                            paid = fees_paid
                            side_buy = False
                            filled = True
                if filled:
                    # cash_flow_nb / asset_flow_nb (long only) from the order record
                    signed = size if side_buy else -size
                    flow_cash = _add(0.0, -signed * price - paid)
                    new_pos = _add(rec_pos[c], signed)
                    before = rec_pos[c]
                    if before <= 0 and new_pos <= 0:
                        long_size = 0.0
                    elif before >= 0 and new_pos < 0:
                        long_size = -before
                    elif before < 0 and new_pos >= 0:
                        long_size = new_pos
                    else:
                        long_size = _add(new_pos, -before)
                    flow_assets = _add(0.0, long_size)
                    rec_pos[c] = new_pos
                    # get_exit_trades_nb: a buy opens a long trade, a sell closes it
                    if not in_trade[c]:
                        in_trade[c] = True
                        e_size[c] = 0.0 + size
                        e_gross[c] = 0.0 + size * price
                        e_fees[c] = 0.0 + paid
                    elif side_buy:  # adding to a position: not with accumulate=False
                        e_size[c] += size
                        e_gross[c] += size * price
                        e_fees[c] += paid
                    else:  # a sell never exceeds the position, so never a reversal
                        full = _is_close(size, e_size[c])
                        exit_size = e_size[c] if full else size
                        entry_price = e_gross[c] / e_size[c]
                        entry_fees = (exit_size / e_size[c]) * e_fees[c]
                        pnl = (_add(exit_size * price, -(exit_size * entry_price))
                               - entry_fees - paid)
                        ints[N_CLOSED, c] += 1
                        if pnl > 0:
                            ints[N_WON, c] += 1
                        if full:
                            in_trade[c] = False
                        else:
                            frac = (e_size[c] - size) / e_size[c]
                            e_size[c] *= frac
                            e_gross[c] *= frac
                            e_fees[c] *= frac
            rec_cash[c] = _add(rec_cash[c], flow_cash)
            assets[c] = _add(assets[c], flow_assets)
            value = rec_cash[c] + (p if live else 1.0) * assets[c]
            if want_v:
                value_out[t, c] = value
            if live:
                ints[N_LIVE, c] += 1
                if assets[c] > 0:
                    ints[N_HELD, c] += 1
                peak[c] = max(peak[c], value)
                dd = value / max(peak[c], 1.0) - 1.0
                if dd < mdd[c]:
                    mdd[c] = dd
                if want_r:
                    returns[t, c] = value / prev_value[c] - 1.0
            else:
                peak[c] = max(peak[c], 1.0)
                if want_r:
                    returns[t, c] = 0.0
            prev_value[c] = value
            if t == n_rows - 1:
                floats[LAST_VALUE, c] = value
    for c in range(n_cols):
        floats[MAX_DRAWDOWN, c] = mdd[c]
        still_open = in_trade[c] and _is_less(-e_size[c], 0.0)
        ints[N_TRADES, c] = ints[N_CLOSED, c] + (1 if still_open else 0)
    return ints, floats


def moments_python(returns, prices, asset, n_live):
    """Column sums of the daily returns of ``simulate``: sum r, sum dev^2, dev^3, dev^4 (dev =
    r - mean on live rows, 0 elsewhere; mean = sum r / live days) and sum min(r, 0)^2.

    Sums run row by row from the first row, the order numpy's ``a.sum(axis=0)`` uses on a
    (T, C) array of two or more columns, so sum r, dev^2 and min(r, 0)^2 are bit for bit the
    numpy ones. dev^3 and dev^4 are products (numpy's ``dev**3`` calls a SIMD ``pow`` that
    is 40x slower and differs in the last bit). Returns (5, C).
    """
    n_rows, n_cols = returns.shape
    out = np.zeros((5, n_cols))
    if n_rows == 0:
        return out
    # the sums accumulate in the rows of ``out`` (assigning arrays to its rows instead would
    # compile numba's shape-mismatch message, seconds of string code, on a fresh machine)
    s, m2, m3, m4, down = out[0], out[1], out[2], out[3], out[4]
    for t in range(n_rows):
        for c in range(n_cols):
            r = returns[t, c]
            d = min(r, 0.0)
            if t == 0:
                s[c] = r
                down[c] = d * d
            else:
                s[c] += r
                down[c] += d * d
    mean = s / n_live
    for t in range(n_rows):
        for c in range(n_cols):
            dev = returns[t, c] - mean[c] if np.isfinite(prices[t, asset[c]]) else 0.0
            d2 = dev * dev
            if t == 0:
                m2[c] = d2
                m3[c] = d2 * dev
                m4[c] = d2 * d2
            else:
                m2[c] += d2
                m3[c] += d2 * dev
                m4[c] += d2 * d2
    return out


simulate = njit(cache=True, error_model="numpy")(simulate_python)
moments = njit(cache=True, error_model="numpy")(moments_python)
