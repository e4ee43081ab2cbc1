"""Selecting and formatting metrics rows for display; no rendering here.

Every report (terminal, Markdown, HTML, compare) goes through these helpers so a number is
formatted the same way everywhere and the "best variant" of a signal means one thing.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from engine.errors import StudyError
from engine.ranking import DEFAULT_MIN_INDEPENDENT, GROUPS, rank_evidence
from engine.ranking import best_variants as _best

# Columns the contract promises; missing optional ones are filled with NaN so old or partial
# run folders still render.
REQUIRED = ("signal", "variant", "horizon", "episode")
NUMERIC = ("horizon_days", "n_days", "n_events", "n_independent", "hit_rate",
           "hit_rate_independent", "base_rate", "edge", "edge_independent", "mean_fwd",
           "median_fwd", "base_mean_fwd", "t_hac", "p_hac", "p_value", "q_value", "ci_low",
           "ci_high", "boot_low", "boot_high", "ic")
TEXT = ("note", "flags")
# Sort direction per key: smaller is better for p/q values and for labels (alphabetical).
ASCENDING = {"q_value", "p_value", "p_hac", "signal", "variant", "horizon", "episode", "study",
             "horizon_days", "run_id"}
STRONG_Q = 0.05
WEAK_Q = 0.10
MIN_INDEPENDENT_STRONG = 10


def ensure_columns(metrics: pd.DataFrame, where: str = "metrics") -> pd.DataFrame:
    """Check the required columns and add missing optional numeric ones as NaN."""
    missing = [c for c in REQUIRED if c not in metrics.columns]
    if missing:
        raise StudyError(f"metrics table lacks columns {missing}", where=where,
                         fix="re-run the study with this engine version")
    out = metrics.copy()
    for c in NUMERIC:
        if c not in out.columns:
            out[c] = np.nan
    if "params" not in out.columns:
        out["params"] = "{}"
    for c in TEXT:
        if c not in out.columns:
            out[c] = ""
    edge = pd.to_numeric(out["edge"], errors="coerce").astype(float)
    diff = (pd.to_numeric(out["hit_rate"], errors="coerce").astype(float)
            - pd.to_numeric(out["base_rate"], errors="coerce").astype(float))
    out["edge"] = edge.where(edge.notna(), diff)
    return out


def rank_table(
    metrics: pd.DataFrame, by: str = "q_value", horizon: str | None = None,
    episode: str | None = "all", top: int | None = None,
    min_independent: int = DEFAULT_MIN_INDEPENDENT,
) -> pd.DataFrame:
    """Rows sorted for display, best first, with a ``group`` column.

    ``by = "q_value"`` (the default) is the evidence-first order of
    :func:`engine.ranking.rank_evidence`: q, then independent events, then |edge|, with
    rows below ``min_independent`` independent events in a "too few to judge" group under
    every judged row. Another ``by`` sorts each group by that column instead (ties by edge).
    Rows without a value (no data, never fired) sink to the bottom instead of vanishing, so
    a reader still sees that the signal was tried."""
    m = ensure_columns(metrics)
    if by not in m.columns:
        raise StudyError(f"cannot sort by {by!r}: no such column", where="rank_table(by=...)",
                         fix="use one of q_value, p_value, hit_rate, edge, mean_fwd")
    if episode is not None:
        _check_value(m, "episode", episode)
        m = m[m["episode"] == episode]
    if horizon is not None:
        _check_value(m, "horizon", horizon)
        m = m[m["horizon"] == horizon]
    m = rank_evidence(m, min_independent)
    if by != "q_value":
        keys = ["_g", by] + [k for k in ("edge", "horizon_days", "signal", "variant", "episode")
                             if k != by]
        m = m.assign(_g=m["group"].map({g: i for i, g in enumerate(GROUPS)}))
        m = m.sort_values(keys, ascending=[True] + [k in ASCENDING for k in keys[1:]],
                          na_position="last", kind="stable").drop(columns="_g")
    if top is not None:
        m = m.head(top)
    return m.reset_index(drop=True)


def _check_value(m: pd.DataFrame, col: str, value: str) -> None:
    if len(m) and not (m[col] == value).any():
        have = sorted(map(str, m[col].unique()))
        raise StudyError(f"no rows with {col} {value!r}", where=f"rank_table({col}=...)",
                         fix=f"use one of {have}")


def best_variants(metrics: pd.DataFrame, episode: str = "all",
                  keys: tuple[str, ...] = ("signal", "horizon"),
                  min_independent: int = DEFAULT_MIN_INDEPENDENT) -> pd.DataFrame:
    """The best variant per signal and horizon by the one ranking
    (:func:`engine.ranking.best_variants`), best first."""
    return _best(ensure_columns(metrics), episode=episode, keys=keys,
                 min_independent=min_independent)


def episode_rows(metrics: pd.DataFrame, best: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """The metric rows of each ``best`` variant in every episode of ``names``: signals in
    ``best``'s order, episodes in ``names``' order (the variant is chosen on the full sample,
    so an episode cannot pick its own winner)."""
    keys = best[["signal", "variant", "horizon"]]
    rows = keys.merge(metrics, on=["signal", "variant", "horizon"], how="left")
    order = {n: i for i, n in enumerate(names)}
    sig_order = {s: i for i, s in enumerate(signal_order(best))}
    rows = rows[rows["episode"].isin(order)]
    rows = rows.assign(_s=rows["signal"].map(sig_order), _e=rows["episode"].map(order))
    return rows.sort_values(["_s", "_e"], kind="stable").drop(columns=["_s", "_e"])


def horizons(metrics: pd.DataFrame, manifest: Mapping | None = None) -> list[str]:
    """Horizon labels ordered by length (the study's order when the manifest has it)."""
    labels = [str(h) for h in metrics["horizon"].unique()]
    study = (manifest or {}).get("study") or {}
    declared = [h["label"] for h in study.get("horizons") or [] if h.get("label") in labels]
    if declared:
        return declared + [h for h in labels if h not in declared]
    days = metrics.groupby("horizon", sort=False)["horizon_days"].first()
    return sorted(labels, key=lambda h: (float(days.get(h, np.nan))
                                         if pd.notna(days.get(h, np.nan)) else math.inf, h))


def middle_horizon(metrics: pd.DataFrame, manifest: Mapping | None = None) -> str | None:
    hs = horizons(metrics, manifest)
    return hs[(len(hs) - 1) // 2] if hs else None


def signal_order(best: pd.DataFrame) -> list[str]:
    """Signals in order of their best result (``best`` is already ranked)."""
    return list(dict.fromkeys(best["signal"].astype(str)))


# --- sweeps -----------------------------------------------------------------------------

def sweep(metrics: pd.DataFrame, signal: str) -> tuple[pd.DataFrame, list[str]]:
    """Rows of one signal (episode all) with one column per swept parameter.

    A parameter is swept when it takes at least two values across the signal's variants;
    the list of swept names keeps the order the study wrote them in."""
    m = metrics[(metrics["signal"] == signal) & (metrics["episode"] == "all")]
    if m.empty:
        return m, []
    params = m["params"].astype(str)
    parsed = {p: _parse_params(p) for p in params.unique()}
    names: list[str] = []
    for d in parsed.values():
        names += [k for k in d if k not in names]
    swept = [k for k in names
             if len({json.dumps(d.get(k), sort_keys=True, default=str)
                     for d in parsed.values()}) >= 2]
    out = m.copy()
    for k in swept:
        out[k] = params.map({p: _scalar(d.get(k)) for p, d in parsed.items()}).astype(object)
    return out, swept


def _parse_params(text: str) -> dict:
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _scalar(v):
    if isinstance(v, (list, dict)):
        return json.dumps(v, sort_keys=True)
    return v


def sorted_values(values: Iterable) -> list:
    """Parameter values in a natural order: numeric when all are numbers, else as text."""
    vals = [v for v in pd.unique(pd.Series(list(values) if not isinstance(values, pd.Series)
                                           else values, dtype=object)) if v is not None]
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals):
        return sorted(vals)
    return sorted(vals, key=str)


# --- formatting -------------------------------------------------------------------------

def num(x) -> float:
    """A float, NaN for None/NA/missing/non-numbers."""
    if x is None or x is pd.NA:
        return math.nan
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def fin(x) -> bool:
    return math.isfinite(num(x))


def _hundred(x, digits: int) -> float:
    """100 * x rounded, without a negative zero ("-0.0%" reads as a loss)."""
    return round(100 * num(x), digits) + 0.0


def pct(x, digits: int = 1) -> str:
    return f"{_hundred(x, digits):.{digits}f}%" if fin(x) else "—"


def spct(x, digits: int = 1) -> str:
    """Signed percent, for returns."""
    return f"{_hundred(x, digits):+.{digits}f}%" if fin(x) else "—"


def pts(x, digits: int = 1) -> str:
    """Percentage points, for differences of rates."""
    return f"{_hundred(x, digits):+.{digits}f}" if fin(x) else "—"


def qfmt(x) -> str:
    q = num(x)
    if not math.isfinite(q):
        return "—"
    if q < 0.001:
        return "< 0.001"
    return f"{q:.2g}" if q < 0.1 else f"{q:.2f}"


def count(x) -> str:
    return str(int(num(x))) if fin(x) else "—"


def events(row: Mapping) -> str:
    return f"{count(row.get('n_events'))}/{count(row.get('n_independent'))}"


def ci(lo, hi) -> str:
    return f"{pct(lo)} – {pct(hi)}" if fin(lo) and fin(hi) else "—"


def fnum(x, digits: int = 2) -> str:
    return f"{num(x):.{digits}f}" if fin(x) else "—"


def looks_numeric(col: pd.Series) -> bool:
    """A display column whose every filled cell starts with a number (right-align it)."""
    vals = [str(v) for v in col if str(v) not in ("—", "")]
    return bool(vals) and all(v.lstrip("+-−<> ")[:1].isdigit() for v in vals)


def mean_excess(row: Mapping) -> float:
    """Mean forward return after events minus the unconditional mean over the same dates."""
    return num(row.get("mean_fwd")) - num(row.get("base_mean_fwd"))


def row_class(row: Mapping) -> str:
    """A display class: strong evidence (either way), weak (q <= 0.10), no data, or plain."""
    from engine.report.verdict import reading

    if num(row.get("n_days")) == 0:
        return "nodata"
    if reading(row) in ("evidence for", "evidence against"):
        return "strong"
    if num(row.get("q_value")) <= WEAK_Q and num(row.get("n_independent")) >= (
            DEFAULT_MIN_INDEPENDENT):
        return "weak"
    return ""


def tested_hit_rate(row: Mapping) -> float:
    """The hit rate the p-value tests: over independent events (all events in old runs)."""
    hit = num(row.get("hit_rate_independent"))
    return hit if math.isfinite(hit) else num(row.get("hit_rate"))


def tested_edge(row: Mapping) -> float:
    return tested_hit_rate(row) - num(row.get("base_rate"))


# Which interval each CI column is (reports print this under their tables).
CI_NOTE = ("hit rate = share of independent (non-overlapping) events with a positive forward "
           "return, the one the binomial p and q test; 95% CI = exact Clopper-Pearson "
           "interval of that hit rate; all-events hit rate and its block-bootstrap interval "
           "are in metrics.parquet (hit_rate, boot_low/boot_high).")


def metric_columns(row: Mapping) -> dict[str, str]:
    """The shared display cells for one metrics row (the tested hit rate always next to its
    n and q)."""
    return {
        "events (n/indep.)": events(row),
        "hit rate": pct(tested_hit_rate(row)),
        "base rate": pct(row.get("base_rate")),
        "edge (pts)": pts(tested_edge(row)),
        "mean fwd": spct(row.get("mean_fwd")),
        "mean excess": spct(mean_excess(row)),
        "hit-rate 95% CI": ci(row.get("ci_low"), row.get("ci_high")),
        "q": qfmt(row.get("q_value")),
    }


def display_rows(rows: pd.DataFrame, lead: tuple[str, ...], with_verdict: bool = True,
                 extra: tuple[str, ...] = ()) -> tuple[pd.DataFrame, list[str]]:
    """Rows as display strings: the ``lead`` label columns, the metric cells, the verdict,
    then the ``extra`` text columns (such as ``flags``) as they are."""
    from engine.report.verdict import verdict

    with_ic = "ic" in rows.columns and bool(rows["ic"].notna().any())  # numeric signals only
    records, classes = [], []
    for row in rows.to_dict("records"):
        rec = {c: str(row.get(c, "")) for c in lead}
        rec |= metric_columns(row)
        if with_ic:
            rec["IC"] = fnum(row.get("ic"))
        if with_verdict:
            rec["verdict"] = verdict(row)
        for c in extra:
            v = row.get(c)
            rec[c] = "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
        records.append(rec)
        classes.append(row_class(row))
    cols = (list(lead) + list(metric_columns({})) + (["IC"] if with_ic else [])
            + (["verdict"] if with_verdict else []) + list(extra))
    return pd.DataFrame(records, columns=cols), classes
