"""The one definition of "best variant": evidence first, then size, then effect.

Every table that orders signal rows (``study run``, reports, ``study compare``, the notebook
API, the episode table) calls :func:`rank_evidence` or :func:`best_variants`, so "best" means
the same thing everywhere. Why this order: when almost every q-value is 1.00 (as in sweeps
over a few decades of data), sorting by q alone sorts by edge, and a 2-event row with a 100%
hit rate tops the table. Here

1. rows with fewer than ``min_independent`` non-overlapping events go to a separate
   "too few to judge" group below every judged row, whatever their q or edge;
2. inside each group: lowest q first, then more independent events, then larger |edge| of
   the tested (independent-events) hit rate over the base rate;
3. rows that never fired or have no data sink to the bottom ("no events").

The floor defaults to :data:`DEFAULT_MIN_INDEPENDENT`; a study file sets its own with
``[study] min_independent = N`` and ``study run --min-independent N`` overrides both.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine import metrics as M

DEFAULT_MIN_INDEPENDENT = 10
GROUPS = ("ranked", "too few to judge", "no events")
# Label columns that break remaining ties, so the order is total and reproducible.
_TIE_KEYS = ("horizon_days", "signal", "variant", "episode")


def _col(m: pd.DataFrame, name: str, fallback: str | None = None) -> pd.Series:
    if name in m.columns:
        s = pd.to_numeric(m[name], errors="coerce").astype(float)
        if fallback is not None and fallback in m.columns:
            s = s.where(s.notna(), pd.to_numeric(m[fallback], errors="coerce").astype(float))
        return s
    if fallback is not None and fallback in m.columns:
        return pd.to_numeric(m[fallback], errors="coerce").astype(float)
    return pd.Series(np.nan, index=m.index)


def tested_edge(m: pd.DataFrame) -> pd.Series:
    """Edge of the tested hit rate (independent events) over the base rate; the all-events
    edge for older run folders that lack it."""
    edge = _col(m, M.EDGE_INDEPENDENT)
    derived = _col(m, M.HIT_RATE_INDEPENDENT) - _col(m, M.BASE_RATE)
    return edge.where(edge.notna(), derived).where(lambda s: s.notna(), _col(m, M.EDGE))


def rank_evidence(metrics: pd.DataFrame,
                  min_independent: int = DEFAULT_MIN_INDEPENDENT) -> pd.DataFrame:
    """``metrics`` rows, best first (see the module docstring), with a ``group`` column.

    Returns a copy with a fresh index; every input row is kept."""
    order, group = _order(metrics, min_independent)
    m = metrics.copy()
    m["group"] = group
    return m.loc[order].reset_index(drop=True)


def _order(metrics: pd.DataFrame, min_independent: int) -> tuple[pd.Index, np.ndarray]:
    """The index labels of ``metrics`` best first, and each row's group name (row order)."""
    n_ind = _col(metrics, M.N_INDEPENDENT).fillna(0)
    n_ev = _col(metrics, M.N_EVENTS, M.N_INDEPENDENT).fillna(0)
    group = np.where(n_ev <= 0, 2, np.where(n_ind < min_independent, 1, 0))
    keys = pd.DataFrame({
        "_g": group,
        "_q": _col(metrics, M.Q_VALUE).fillna(np.inf).to_numpy(),
        "_n": -n_ind.to_numpy(),
        "_e": -tested_edge(metrics).abs().fillna(-np.inf).to_numpy(),
    }, index=metrics.index)
    ties = [k for k in _TIE_KEYS if k in metrics.columns]
    order = pd.concat([keys, metrics[ties]], axis=1).sort_values(
        ["_g", "_q", "_n", "_e", *ties], kind="stable").index
    return order, np.asarray(GROUPS, dtype=object)[group]


def best_variants(metrics: pd.DataFrame, episode: str | None = "all",
                  keys: tuple[str, ...] = ("signal", "horizon"),
                  min_independent: int = DEFAULT_MIN_INDEPENDENT) -> pd.DataFrame:
    """The best variant per ``keys`` group (default: per signal and horizon) by
    :func:`rank_evidence` on ``episode`` ("all" = the full sample), best first.

    The first row of each group is found on the ranking keys alone, and only those rows are
    copied out (a 20,000-variant sweep's report asks a dozen times for 80,000 ranked rows)."""
    m = metrics if episode is None else metrics[metrics["episode"] == episode]
    order, group = _order(m, min_independent)
    first = m.loc[order, list(keys)].drop_duplicates(list(keys), keep="first").index
    out = m.loc[first].copy()
    out["group"] = pd.Series(group, index=m.index).loc[first].to_numpy()
    return out.reset_index(drop=True)
