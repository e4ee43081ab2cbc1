"""The peer routes of ``benchmarks.e2e``: the same sweep done the way others would do it.

    python -m benchmarks.e2e_peers {expert,pandas} STUDY.toml OUR_RUN_DIR

Each reads the study's target closes from the built Parquet, computes the sweep's metrics
(events, hit rate, base rate, mean forward return per variant x horizon x episode), and
checks ``n_events`` and ``hit_rate`` of the full sample against our ``metrics.parquet`` in
OUR_RUN_DIR (exit 3 on a mismatch). ``expert`` also bootstraps (1,000 draws) and backtests.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
HORIZON_DAYS = {"1m": 21, "3m": 63, "6m": 126, "12m": 252}


def _load(study: Path):
    spec = tomllib.loads(study.read_text())
    st = spec["study"]
    close = pd.read_parquet(ROOT / "datasets" / f"{st['target']}.parquet")["close"]
    p = spec["signals"][0]["params"]
    grid = np.array([(f, s) for f in p["fast"] for s in p["slow"]])  # the study's order
    day = close.index
    window = np.asarray(day >= pd.Timestamp(st["start"]))
    eps = [("all", window)] + [
        (e["name"], window & np.asarray(day >= pd.Timestamp(e["start"]))
         & np.asarray(day <= pd.Timestamp(e["end"]))) for e in spec["episodes"]]
    horizons = [HORIZON_DAYS[h] for h in st["horizons"]]
    return close, grid, eps, horizons, st.get("seed", 0)


def expert(study: Path) -> dict:
    """vectorbt MA for every window, numpy products for the metrics, numpy block bootstrap,
    one vectorbt ``from_signals`` for the backtests."""
    import vectorbt as vbt

    close, grid, eps, horizons, seed = _load(study)
    c = close.to_numpy()
    windows = np.unique(grid)
    ma = vbt.MA.run(close, window=list(windows)).ma.to_numpy()
    col = np.searchsorted(windows, grid)
    f, s = ma[:, col[:, 0]], ma[:, col[:, 1]]
    valid = ~(np.isnan(f) | np.isnan(s))
    on = (f > s) & valid
    ev = on.copy()
    ev[0] = False
    ev[1:] &= valid[:-1] & ~on[:-1]
    evf, validf = ev.astype(np.float64), valid.astype(np.float64)
    out = {}
    rng = np.random.default_rng(seed)
    n_t = len(c)
    for h in horizons:
        fwd = np.full(n_t, np.nan)
        fwd[: n_t - 1 - h] = c[1 + h:] / c[1: n_t - h] - 1
        ok = np.isfinite(fwd)
        up = (fwd > 0) & ok
        starts = rng.integers(0, n_t, size=(1000, -(-n_t // h)))
        days = (starts[:, :, None] + np.arange(h)).reshape(1000, -1)[:, :n_t] % n_t
        counts = np.stack([np.bincount(d, minlength=n_t) for d in days]).astype(np.float64)
        for name, m in eps:
            w = (ok & m).astype(np.float64)
            n_ev = w @ evf
            hits = (up & m) @ evf
            n_days = w @ validf
            mean = np.where(ok & m, fwd, 0.0) @ evf
            with np.errstate(invalid="ignore", divide="ignore"):
                out[(h, name)] = {"n_events": n_ev, "hit_rate": hits / n_ev,
                                  "base_rate": ((up & m) @ validf) / n_days,
                                  "mean_fwd": mean / n_ev}
                den = counts @ (evf * w[:, None])
                num = counts @ (evf * (up & m)[:, None])
                ratio = np.where(den > 0, num / den, np.nan)
                out[(h, name)]["ci"] = np.nanpercentile(ratio, [2.5, 97.5], axis=0)
    idx = close.index
    entries = pd.DataFrame(np.vstack([np.zeros((1, on.shape[1]), bool), on[:-1]]), index=idx)
    pf = vbt.Portfolio.from_signals(close, entries=entries, exits=~entries, fees=0.0005,
                                    slippage=0.0005, freq="1D")
    out["backtest"] = (pf.total_return().to_numpy(), pf.sharpe_ratio().to_numpy())
    return out


def pandas_columns(study: Path) -> dict:
    """Column-vectorized pandas: rolling means, DataFrame comparisons and masked sums."""
    close, grid, eps, horizons, _ = _load(study)
    windows = np.unique(grid)
    mas = {int(w): close.rolling(int(w), min_periods=int(w)).mean() for w in windows}
    cols = range(len(grid))
    fast = pd.concat([mas[int(w)] for w in grid[:, 0]], axis=1, keys=cols)
    slow = pd.concat([mas[int(w)] for w in grid[:, 1]], axis=1, keys=cols)
    valid = fast.notna() & slow.notna()
    on = (fast > slow) & valid
    ev = on & valid.shift(1, fill_value=False) & ~on.shift(1, fill_value=True)
    out = {}
    for h in horizons:
        fwd = close.shift(-(1 + h)) / close.shift(-1) - 1
        for name, m in eps:
            keep = fwd.notna() & pd.Series(m, index=close.index)
            e, v, up = ev[keep], valid[keep], (fwd[keep] > 0)
            n_ev = e.sum()
            out[(h, name)] = {"n_events": n_ev.to_numpy(float),
                              "hit_rate": (e.mul(up, axis=0).sum() / n_ev).to_numpy(),
                              "base_rate": (v.mul(up, axis=0).sum() / v.sum()).to_numpy(),
                              "mean_fwd": (e.mul(fwd[keep], axis=0).sum() / n_ev).to_numpy()}
    return out


def check(out: dict, run_dir: Path) -> bool:
    """n_events and hit_rate of the full sample equal ours (metrics.parquet)."""
    files = sorted(run_dir.glob("*/*/metrics.parquet"))
    m = pd.read_parquet(files[-1])
    m = m[m["episode"] == "all"]
    ok = True
    for (h, name), vals in ((k, v) for k, v in out.items() if k != "backtest"):
        if name != "all":
            continue
        ours = m[m["horizon_days"] == h]
        ok &= np.array_equal(ours["n_events"].to_numpy(float), vals["n_events"])
        ok &= np.allclose(ours["hit_rate"].to_numpy(float), vals["hit_rate"], rtol=1e-12,
                          atol=0, equal_nan=True)
    return bool(ok)


def main() -> int:
    route, study, run_dir = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    out = {"expert": expert, "pandas": pandas_columns}[route](study)
    if not check(out, run_dir):
        print(f"{route}: numbers differ from ours", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
