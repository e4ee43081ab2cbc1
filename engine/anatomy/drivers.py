"""What told sustained rallies from failed ones: each driver's state at each rally start.

The drivers are the study's top-level signals (inputs of a combinator are parts, as in the
scorecard), each one on/off series from the point-in-time panel, so a driver's state at a
start is what was published by that day. A driver without data at a start is "no data" and
sits in neither the on nor the off column. Pending rallies (outcome not yet known) are left out.

Per driver on the *independent* decided rallies (forward windows that do not overlap):
sustained share when on vs off, the conditional maximum-likelihood odds ratio with its exact
(conditional) 95% interval (``scipy.stats.contingency.odds_ratio``), Fisher's exact two-sided
p-value and Benjamini-Hochberg q across drivers (``engine.evaluate.stats.bh_qvalues``). The
count view groups rallies by how many drivers were on at the start, with an exact
Clopper-Pearson interval for each share.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine import metrics as M
from engine.evaluate.stats import bh_qvalues, exact_binomial_ci

STATE = {1.0: "on", 0.0: "off"}


def states_at(values: np.ndarray, starts: np.ndarray, names: list[str]) -> pd.DataFrame:
    """(n_rallies, n_drivers) 'on'/'off'/'no data' at each start from a (T, N) 1/0/NaN matrix."""
    v = np.asarray(values, dtype=np.float64)[starts]
    text = np.where(np.isnan(v), "no data", np.where(v > 0, "on", "off"))
    return pd.DataFrame(text, columns=names)


def fisher_row(on_sus: int, on_fail: int, off_sus: int, off_fail: int) -> dict:
    """Odds ratio (conditional MLE), its exact 95% CI and Fisher's two-sided p for one driver.

    Table rows = on/off, columns = sustained/failed. A row or column of zeros leaves the odds
    ratio undefined (NaN), never 0 or infinity by accident.
    """
    from scipy.stats import fisher_exact  # lazy: scipy.stats costs seconds to import
    from scipy.stats.contingency import odds_ratio

    table = np.array([[on_sus, on_fail], [off_sus, off_fail]], dtype=np.int64)
    if (table.sum(axis=0) == 0).any() or (table.sum(axis=1) == 0).any():
        return {"odds_ratio": np.nan, M.CI_LOW: np.nan, M.CI_HIGH: np.nan, M.P_VALUE: np.nan}
    res = odds_ratio(table, kind="conditional")
    ci = res.confidence_interval(confidence_level=0.95)
    return {"odds_ratio": float(res.statistic), M.CI_LOW: float(ci.low),
            M.CI_HIGH: float(ci.high), M.P_VALUE: float(fisher_exact(table).pvalue)}


def driver_table(states: pd.DataFrame, outcome: pd.Series, keep: np.ndarray) -> pd.DataFrame:
    """One row per driver: counts on/off/no data, sustained shares, odds ratio, CI, p, q.

    ``keep`` marks the rallies used for the test (independent and decided); shares over every
    decided rally are given too (``share_on_all``/``share_off_all``) for reference.
    """
    out = np.asarray(outcome, dtype=object)
    decided = np.isin(out, ["sustained", "failed"])
    sus = out == "sustained"
    keep = np.asarray(keep, dtype=bool) & decided
    rows = []
    for name in states.columns:  # one row per driver (about a dozen)
        st = states[name].to_numpy()
        on, off, nodata = st == "on", st == "off", st == "no data"
        k_on, k_off = on & keep, off & keep
        row = {"driver": name, "n_on": int(k_on.sum()), "n_off": int(k_off.sum()),
               "n_no_data": int((nodata & keep).sum()),
               "sustained_on": int((k_on & sus).sum()), "sustained_off": int((k_off & sus).sum())}
        row["share_on"] = row["sustained_on"] / row["n_on"] if row["n_on"] else np.nan
        row["share_off"] = row["sustained_off"] / row["n_off"] if row["n_off"] else np.nan
        a_on, a_off = on & decided, off & decided
        row["share_on_all"] = (a_on & sus).sum() / a_on.sum() if a_on.sum() else np.nan
        row["share_off_all"] = (a_off & sus).sum() / a_off.sum() if a_off.sum() else np.nan
        row.update(fisher_row(row["sustained_on"], row["n_on"] - row["sustained_on"],
                              row["sustained_off"], row["n_off"] - row["sustained_off"]))
        rows.append(row)
    table = pd.DataFrame(rows, columns=[
        "driver", "n_on", "n_off", "n_no_data", "sustained_on", "sustained_off", "share_on",
        "share_off", "share_on_all", "share_off_all", "odds_ratio", M.CI_LOW, M.CI_HIGH,
        M.P_VALUE])
    table[M.Q_VALUE] = bh_qvalues(table[M.P_VALUE].to_numpy(np.float64))
    return table


def count_table(states: pd.DataFrame, outcome: pd.Series, keep: np.ndarray) -> pd.DataFrame:
    """Rallies grouped by the number of drivers on at the start: n, sustained, share, exact CI.

    ``with_data`` is the mean number of drivers that had data, so a low count that only
    reflects missing data can be told apart from one of drivers that were off.
    """
    out = np.asarray(outcome, dtype=object)
    keep = np.asarray(keep, dtype=bool) & np.isin(out, ["sustained", "failed"])
    n_on = (states.to_numpy() == "on").sum(axis=1)
    n_data = (states.to_numpy() != "no data").sum(axis=1)
    buckets = np.arange(states.shape[1] + 1)
    n = np.array([(keep & (n_on == b)).sum() for b in buckets])
    k = np.array([(keep & (n_on == b) & (out == "sustained")).sum() for b in buckets])
    with_data = np.array([n_data[keep & (n_on == b)].mean() if n[i] else np.nan
                          for i, b in enumerate(buckets)])
    lo, hi = exact_binomial_ci(k, n)  # NaN where n = 0; those rows are dropped below
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(n > 0, k / np.maximum(n, 1), np.nan)
    frame = pd.DataFrame({"drivers_on": buckets, "n": n, "sustained": k, "share": share,
                          M.CI_LOW: lo, M.CI_HIGH: hi, "with_data": with_data})
    return frame[frame["n"] > 0].reset_index(drop=True)


def verdict(table: pd.DataFrame, q_max: float = 0.10) -> str:
    """One sentence: which drivers told sustained from failed rallies apart (q <= q_max), or
    that none did on this sample."""
    if table.empty:
        return "no drivers"
    n = int((table["n_on"] + table["n_off"]).max())
    hits = table[table[M.Q_VALUE] <= q_max].sort_values(M.Q_VALUE)
    if hits.empty:
        best = table.dropna(subset=[M.P_VALUE]).sort_values(M.P_VALUE).head(1)
        lead = (f"; the smallest p is {best['driver'].iloc[0]} (p = {best[M.P_VALUE].iloc[0]:.2g}, "
                f"q = {best[M.Q_VALUE].iloc[0]:.2g})") if len(best) else ""
        return (f"No evidence that any driver told sustained from failed rallies apart: no "
                f"q <= {q_max:g} over at most {n} independent decided rallies{lead}.")
    parts = [f"{r.driver} (sustained {r.share_on:.0%} when on vs {r.share_off:.0%} when off, "
             f"q = {r.q_value:.2g})" for r in hits.itertuples()]
    return f"Drivers with q <= {q_max:g}: " + "; ".join(parts) + "."
