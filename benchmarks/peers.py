"""The same questions answered with the tools people would otherwise reach for.

vectorbt (hit rate / mean forward return of events)
    ``Portfolio.from_signals`` with entries on the bar after each rising edge (so the fill is
    at the next bar's close, as in our kernel) and exits ``h`` bars later (``exits =
    entries.shift(h)``; vectorbt has no fixed-holding-period stop), one portfolio per horizon,
    then ``trades.closed.win_rate()`` / ``.returns.mean()`` / ``.count()``.
    Semantic difference: vectorbt holds one position per column and ignores entries while it is
    in the market, so it counts *non-overlapping* trades (our ``n_events`` counts every rising
    edge, overlapping windows included); an exit signal inherited from an ignored entry can also
    close a later position early. Trades that last exactly ``h`` bars have exactly our forward
    return, which :func:`vectorbt_agreement` checks.

alphalens-reloaded (information coefficient)
    ``get_clean_factor_and_forward_returns`` + ``factor_information_coefficient``: per date, the
    Spearman correlation across assets of the factor with each asset's forward return. Prices
    are passed shifted one bar (``close[t+1]`` labelled ``t``) so alphalens' ``pct_change(h)``
    forward return is ours, ``close[t+1+h] / close[t+1] - 1``. ``filter_zscore=None`` (its
    default drops outliers using look-ahead) and ``max_loss=1.0`` (nothing is dropped here
    anyway). Dates are those on which every horizon's forward return exists, as alphalens
    drops any row with a missing forward return.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def rising_edges(signals: np.ndarray) -> np.ndarray:
    """Bool (T, K): on today (== 1) and off (== 0) yesterday; NaN on either side is no event."""
    ev = signals == 1
    ev[1:] &= signals[:-1] == 0
    ev[0] = False
    return ev


def vectorbt_entries(signals: np.ndarray, mode: str = "events") -> np.ndarray:
    """Entry bars: the bar after each event (fill at the next bar's close)."""
    ev = rising_edges(signals) if mode == "events" else signals == 1
    entries = np.zeros_like(ev)
    entries[1:] = ev[:-1]
    return entries


def vectorbt_metrics(closes: np.ndarray, signals: np.ndarray, horizons, dates: pd.DatetimeIndex,
                     mode: str = "events") -> tuple[dict[str, np.ndarray], list[np.ndarray]]:
    """(K, H) trade count, win rate and mean trade return via vectorbt, plus the closed-trade
    records per horizon. ``closes`` is (T,) or (T, K) (one price column per signal column).
    """
    import vectorbt as vbt

    entries = vectorbt_entries(signals, mode)
    close = (pd.Series(closes, index=dates) if closes.ndim == 1
             else pd.DataFrame(closes, index=dates))
    k = signals.shape[1]
    out = {m: np.full((k, len(horizons)), np.nan) for m in ("n_trades", "hit_rate", "mean_ret")}
    records = []
    for i, h in enumerate(horizons):
        exits = np.zeros_like(entries)
        exits[h:] = entries[:-h]
        pf = vbt.Portfolio.from_signals(close, pd.DataFrame(entries, index=dates),
                                        pd.DataFrame(exits, index=dates), freq="1D")
        trades = pf.trades.closed
        out["n_trades"][:, i] = trades.count().to_numpy()
        out["hit_rate"][:, i] = trades.win_rate().to_numpy()
        out["mean_ret"][:, i] = trades.returns.mean().to_numpy()
        records.append(trades.values)
    return out, records


def vectorbt_agreement(closes: np.ndarray, records: list[np.ndarray], horizons) -> dict:
    """Check vectorbt's exactly-``h``-bar trades against ``close[t+1+h] / close[t+1] - 1``."""
    share, max_diff = [], 0.0
    for rec, h in zip(records, horizons, strict=True):
        exact = rec[rec["exit_idx"] - rec["entry_idx"] == h]
        share.append(len(exact) / max(len(rec), 1))
        if len(exact):
            c = closes if closes.ndim == 1 else None
            e, x = exact["entry_idx"], exact["exit_idx"]
            ours = (c[x] / c[e] - 1.0 if c is not None
                    else closes[x, exact["col"]] / closes[e, exact["col"]] - 1.0)
            max_diff = max(max_diff, float(np.max(np.abs(ours - exact["return"]))))
    return {"share_trades_exactly_h": [round(s, 4) for s in share],
            "max_abs_diff_vs_fwd": max_diff, "ok": max_diff < 1e-9}


def alphalens_ic(closes: np.ndarray, factor: np.ndarray, horizons,
                 dates: pd.DatetimeIndex) -> pd.DataFrame:
    """alphalens' per-date IC, (dates, H); raises ImportError/other if alphalens cannot run."""
    import warnings

    from alphalens.performance import factor_information_coefficient
    from alphalens.utils import get_clean_factor_and_forward_returns

    assets = [f"A{j:04d}" for j in range(closes.shape[1])]
    prices = pd.DataFrame(closes[1:], index=dates[:-1], columns=assets)
    fac = pd.DataFrame(factor[:-1], index=dates[:-1], columns=assets).stack().dropna()
    fac.index = fac.index.set_names(["date", "asset"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = get_clean_factor_and_forward_returns(
            fac, prices, periods=list(horizons), quantiles=5, filter_zscore=None, max_loss=1.0)
        ic = factor_information_coefficient(data)
    return ic


def ours_ic(closes: np.ndarray, factor: np.ndarray, horizons) -> tuple[np.ndarray, np.ndarray]:
    """Our path: forward returns for all assets and horizons at once, then one
    ``engine.evaluate.stats.spearman_ic`` call per horizon with dates as columns
    (cross-sectional IC).

    Returns (date positions used, (D, H) IC) on the dates where every forward return exists.
    """
    from engine.evaluate.stats import spearman_ic

    t = closes.shape[0]
    hmax = int(max(horizons))
    ok = np.all(np.isfinite(factor), axis=1)
    ok[t - 1 - hmax:] = False
    rows = np.flatnonzero(ok)
    ic = np.empty((len(rows), len(horizons)))
    x = np.ascontiguousarray(factor[rows].T)
    for i, h in enumerate(horizons):
        fwd = closes[rows + 1 + h] / closes[rows + 1] - 1.0
        ic[:, i] = spearman_ic(x, np.ascontiguousarray(fwd.T))
    return rows, ic
