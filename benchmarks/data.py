"""Synthetic, seeded benchmark data: random-walk closes and parameter grids of real-looking signals.

Signals are moving-average crossovers, momentum thresholds and price-above-MA states computed
from the closes, so they are persistent (long on/off spells, few rising edges) like the signals
studies actually sweep, not iid noise that would flatter or penalise the kernel's event logic.
Any column subset can be generated on its own (``cols=``), so a slow peer timed on 20 variants
sees exactly the columns the full-K run sees.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

SEED = 20260101
CHUNK = 512  # columns built at a time, to bound the temporaries


@dataclass(frozen=True)
class Size:
    """One benchmark problem: ``n_assets`` series x ``n_days`` x ``n_variants`` signals."""

    name: str
    n_assets: int
    n_days: int
    n_variants: int
    horizons: tuple[int, ...]
    family: str  # "mixed" (crossover + momentum) or "above_ma" (price above N-day MA)

    @property
    def n_columns(self) -> int:
        """Signal columns evaluated in total (assets x variants)."""
        return self.n_assets * self.n_variants


SIZES: dict[str, Size] = {
    "tiny": Size("tiny", 1, 500, 20, (5, 21), "mixed"),
    "tinypanel": Size("tinypanel", 30, 500, 10, (5, 21), "above_ma"),
    "small": Size("small", 1, 7560, 100, (21, 63, 126, 252), "mixed"),
    "medium": Size("medium", 1, 7560, 10_000, (5, 21, 63, 126, 252), "mixed"),
    "panel": Size("panel", 500, 7560, 100, (21, 63, 126, 252), "above_ma"),
}


def make_closes(n_days: int, n_assets: int = 1, seed: int = SEED) -> np.ndarray:
    """(T, N) geometric random walks sharing a market factor (so cross-sectional IC is not 0/0)."""
    rng = np.random.default_rng(seed)
    market = rng.normal(0.0003, 0.010, size=(n_days, 1))
    beta = rng.uniform(0.6, 1.4, size=(1, n_assets)) if n_assets > 1 else np.ones((1, 1))
    idio = rng.normal(0.0, 0.012 if n_assets > 1 else 0.004, size=(n_days, n_assets))
    log_ret = beta * market + idio
    log_ret[0] = 0.0
    return 100.0 * np.exp(np.cumsum(log_ret, axis=0))


def dates(n_days: int) -> pd.DatetimeIndex:
    """Business days from 1996 (7,560 days is ~29 years)."""
    return pd.bdate_range("1996-01-01", periods=n_days, name="date")


def moving_averages(close: np.ndarray, windows: np.ndarray) -> np.ndarray:
    """(T, W) trailing means via one cumulative sum; NaN until a window has filled."""
    t = np.arange(close.shape[0])
    cs = np.concatenate([[0.0], np.cumsum(close)])
    start = t[:, None] + 1 - windows[None, :]
    ma = (cs[1:, None] - cs[np.clip(start, 0, None)]) / windows[None, :]
    ma[start < 0] = np.nan
    return ma


def trailing_returns(close: np.ndarray, lookbacks: np.ndarray) -> np.ndarray:
    """(T, L) close[t] / close[t - L] - 1; NaN for the first L days."""
    t = np.arange(close.shape[0])
    past = t[:, None] - lookbacks[None, :]
    out = close[:, None] / close[np.clip(past, 0, None)] - 1.0
    out[past < 0] = np.nan
    return out


def _grid(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs of the first ``n`` cells of a near-square a x b grid."""
    a = max(int(np.ceil(np.sqrt(n))), 1)
    b = max(int(np.ceil(n / a)), 1)
    i, j = np.divmod(np.arange(n), b)
    return i, j


def variant_params(n_variants: int, family: str) -> pd.DataFrame:
    """One row per variant: kind and the two parameters that define it."""
    if family == "above_ma":
        w = 5 + 5 * np.arange(n_variants)
        return pd.DataFrame({"kind": "above_ma", "p1": w, "p2": 0.0})
    n_x = n_variants // 2
    n_m = n_variants - n_x
    fi, si = _grid(n_x)
    li, ti = _grid(n_m)
    n_thr = int(ti.max()) + 1 if n_m else 1
    cross = pd.DataFrame({"kind": "cross", "p1": 2 + fi, "p2": (75 + 5 * si).astype(float)})
    mom = pd.DataFrame({"kind": "momentum", "p1": 5 + 5 * li,
                        "p2": np.linspace(-0.10, 0.20, max(n_thr, 2))[ti]})
    return pd.concat([cross, mom], ignore_index=True)


def _as_signal(on: np.ndarray, undefined: np.ndarray) -> np.ndarray:
    out = on.astype(np.float64)
    out[undefined] = np.nan
    return out


def _block(close: np.ndarray, params: pd.DataFrame) -> np.ndarray:
    """Signals for a block of variants (any mix of kinds), 1/0/NaN float64."""
    out = np.empty((close.shape[0], len(params)))
    kind = params["kind"].to_numpy()
    p1 = params["p1"].to_numpy().astype(np.int64)
    p2 = params["p2"].to_numpy()
    for name in np.unique(kind):
        sel = np.flatnonzero(kind == name)
        if name == "momentum":
            lb, inv = np.unique(p1[sel], return_inverse=True)
            ret = trailing_returns(close, lb)[:, inv]
            out[:, sel] = _as_signal(ret > p2[sel], np.isnan(ret))
            continue
        slow_w = p1[sel] if name == "above_ma" else p2[sel].astype(np.int64)
        wins, inv = np.unique(np.concatenate([p1[sel], slow_w]), return_inverse=True)
        ma = moving_averages(close, wins)
        slow = ma[:, inv[len(sel):]]
        fast = close[:, None] if name == "above_ma" else ma[:, inv[: len(sel)]]
        out[:, sel] = _as_signal(fast > slow, np.isnan(slow))
    return out


def make_signals(close: np.ndarray, n_variants: int, family: str,
                 cols: np.ndarray | None = None) -> np.ndarray:
    """(T, len(cols)) signal matrix for one close series; ``cols`` defaults to all variants."""
    params = variant_params(n_variants, family)
    if cols is not None:
        params = params.iloc[np.asarray(cols)].reset_index(drop=True)
    out = np.empty((close.shape[0], len(params)))
    for a in range(0, len(params), CHUNK):
        out[:, a: a + CHUNK] = _block(close, params.iloc[a: a + CHUNK])
    return out


def panel_codes(closes: np.ndarray, n_variants: int, chunk: int = 16) -> np.ndarray:
    """(N, T, K) int8 price-above-MA states for every asset (1/0, -1 = no data).

    Stored as int8 (8x smaller than float64) so a 500-asset panel fits in memory and each
    asset's (T, K) float64 matrix is decoded just before its evaluate call. Built a few assets
    at a time so the temporaries stay in cache.
    """
    windows = variant_params(n_variants, "above_ma")["p1"].to_numpy()
    n_days, n_assets = closes.shape
    codes = np.empty((n_assets, n_days, n_variants), dtype=np.int8)
    for a in range(0, n_assets, chunk):
        c = closes[:, a: a + chunk]
        cs = np.vstack([np.zeros((1, c.shape[1])), np.cumsum(c, axis=0)])
        block = np.empty((n_variants, n_days, c.shape[1]), dtype=np.int8)
        for k, w in enumerate(windows):
            block[k, : w - 1] = -1
            block[k, w - 1:] = c[w - 1:] > (cs[w:] - cs[: n_days + 1 - w]) / w
        codes[a: a + chunk] = block.transpose(2, 1, 0)
    return codes


def decode(codes: np.ndarray) -> np.ndarray:
    """int8 codes -> the float64 1/0/NaN matrix the kernel takes."""
    out = codes.astype(np.float64)
    out[codes < 0] = np.nan
    return out


def subset_columns(n_total: int, n_subset: int) -> np.ndarray:
    """Evenly spread column indices, so a subset samples every part of the parameter grid."""
    n = min(n_subset, n_total)
    return np.unique(np.linspace(0, n_total - 1, n).round().astype(np.int64))


def make_factor(closes: np.ndarray, window: int = 50) -> np.ndarray:
    """(T, N) numeric factor: distance of price from its ``window``-day MA (NaN while filling)."""
    cs = np.cumsum(closes, axis=0)
    ma = np.full_like(closes, np.nan)
    ma[window - 1:] = (cs[window - 1:] - np.vstack([np.zeros((1, closes.shape[1])),
                                                     cs[:-window]])) / window
    return closes / ma - 1.0


def all_episode(n_days: int) -> list[tuple[str, np.ndarray]]:
    """The single full-sample episode the kernel expects first."""
    return [("all", np.ones(n_days, dtype=bool))]
