"""Selecting and formatting metrics rows for display; no rendering here.

Every report (terminal, Markdown, HTML, compare) goes through these helpers so a number is
formatted the same way everywhere and the "best variant" of a signal means one thing.
"""

from __future__ import annotations

import json
import math
import weakref
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from engine import metrics as M
from engine.errors import StudyError
from engine.formats import ci, count, fin, fnum, num, pct, pts, qfmt, ret, spct  # noqa: F401
from engine.ranking import DEFAULT_MIN_INDEPENDENT, GROUPS, rank_evidence
from engine.ranking import best_variants as _best
from engine.report.verdict import MIN_INDEPENDENT_STRONG, STRONG_Q, WEAK_Q, row_class, verdict  # noqa: F401
from engine.runfolder import ensure_columns

# Sort direction per key: smaller is better for p/q values and for labels (alphabetical).
ASCENDING = {M.Q_VALUE, M.P_VALUE, M.P_HAC, "signal", "variant", "horizon", "episode", "study",
             "horizon_days", "run_id"}


def rank_table(
    metrics: pd.DataFrame, by: str = M.Q_VALUE, horizon: str | None = None,
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
    if by != M.Q_VALUE:
        keys = ["_g", by] + [k for k in (M.EDGE, "horizon_days", "signal", "variant", "episode")
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
    (:func:`engine.ranking.best_variants`), best first.

    Remembered per metrics frame: a report asks nine times, mostly the same question, and
    ranking a 20,000-variant sweep's 320,000 rows takes 0.1 s each time. The memo holds the
    frame weakly (an entry goes with its frame) and hands out copies; the tables passed here
    are never changed in place (``ensure_columns``)."""
    key = (id(metrics), episode, tuple(keys), int(min_independent))
    hit = _BEST.get(key)
    if hit is None or hit[0]() is not metrics:
        if len(_BEST) > 64:  # dead frames' entries
            for k in [k for k, (ref, _) in _BEST.items() if ref() is None]:
                del _BEST[k]
        hit = _BEST[key] = (weakref.ref(metrics), _best(
            ensure_columns(metrics), episode=episode, keys=keys,
            min_independent=min_independent))
    return hit[1].copy()


_BEST: dict[tuple, tuple[weakref.ref, pd.DataFrame]] = {}


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


# --- formatting (the formatters live in engine.formats) ---------------------------

def looks_numeric(col: pd.Series) -> bool:
    """A display column whose every filled cell starts with a number (right-align it)."""
    vals = [str(v) for v in col if str(v) not in ("—", "")]
    return bool(vals) and all(v.lstrip("+-−<> ")[:1].isdigit() for v in vals)


# Which interval each CI column is (reports print this under their tables).
CI_NOTE = ("hit rate = share of independent (non-overlapping) events with a positive forward "
           "return, the one the binomial p and q test; 95% CI = exact Clopper-Pearson "
           "interval of that hit rate; all-events hit rate and its block-bootstrap interval "
           f"are in metrics.parquet ({M.HIT_RATE}, {M.BOOT_LOW}/{M.BOOT_HIGH}), and so is the "
           "block-bootstrap interval of the mean forward return "
           f"({M.MEAN_LOW}/{M.MEAN_HIGH}).")


def events(row: Mapping) -> str:
    return M.TABLE[0].cell(row)


def metric_columns(row: Mapping, columns: list[M.Column] | None = None) -> dict[str, str]:
    """The shared display cells for one metrics row (the tested hit rate always next to its
    n and q); the columns and their cells are the registry's ``TABLE``."""
    return {c.title: c.cell(row) for c in (columns or M.table_columns([row]))}


def display_rows(rows: pd.DataFrame, lead: tuple[str, ...], with_verdict: bool = True,
                 extra: tuple[str, ...] = ()) -> tuple[pd.DataFrame, list[str]]:
    """Rows as display strings: the ``lead`` label columns, the metric cells, the verdict,
    then the ``extra`` text columns (such as ``flags``) as they are."""
    shown = M.table_columns(rows)  # IC only when a numeric signal has values
    records, classes = [], []
    for row in rows.to_dict("records"):
        rec = {c: str(row.get(c, "")) for c in lead}
        rec |= metric_columns(row, shown)
        if with_verdict:
            rec["verdict"] = verdict(row)
        for c in extra:
            v = row.get(c)
            rec[c] = "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
        records.append(rec)
        classes.append(row_class(row))
    cols = (list(lead) + [c.title for c in shown] + (["verdict"] if with_verdict else [])
            + list(extra))
    return pd.DataFrame(records, columns=cols), classes


# --- terminal and machine-readable rows ---------------------------------------------------

SHORT_LEAD = ("horizon", "episode")  # short label columns: shown first, never cut
LONG_LEAD = ("study", "target", "signal", "variant")  # long labels: last, cut to fit


def terminal_rows(rows: pd.DataFrame, lead: Sequence[str] = ("signal", "variant", "horizon",
                                                               "episode"),
                  ) -> tuple[pd.DataFrame, list[str], list[str]]:
    """(display frame, row classes, label columns) for the terminal: ``#`` (the row id for
    `study show-row`), the short lead columns, the numbers, then the long labels."""
    rows = ensure_columns(rows)
    numbers = M.table_columns(rows, columns=M.TERMINAL)  # IC only when some row has one
    short = [c for c in SHORT_LEAD if c in lead]
    labels = [c for c in LONG_LEAD if c in lead]
    records, classes = [], []
    for row in rows.to_dict("records"):
        rec = {"#": count(row.get("row"))}
        rec |= {c: str(row.get(c, "")) for c in short}
        rec |= {c.title: c.cell(row) for c in numbers}
        rec |= {c: str(row.get(c, "")) for c in labels}
        records.append(rec)
        classes.append(row_class(row))
    cols = ["#", *short, *(c.title for c in numbers), *labels]
    return pd.DataFrame(records, columns=cols), classes, labels


ci_short = M.ci_short  # one definition, in the metric registry


def tidy(metrics: pd.DataFrame) -> pd.DataFrame:
    """Metrics rows for programs and notebooks: one column per parameter (``lookback``,
    ``series``, ...; ``param_<name>`` if the name is taken) instead of the JSON ``params``
    string, plus ``mean_excess``. Rows keep their order and the ``row`` id."""
    m = ensure_columns(metrics)
    parsed = [_parse_params(p) for p in m["params"].astype(str)]
    names: list[str] = []
    for d in parsed:
        names += [k for k in d if k not in names]
    out = m.drop(columns=["params"])
    out["mean_excess"] = out[M.MEAN_FWD].astype(float) - out[M.BASE_MEAN_FWD].astype(float)
    for k in names:
        col = k if k not in out.columns else f"param_{k}"
        values = [d.get(k) for d in parsed]
        out[col] = pd.Series([_scalar(v) if isinstance(v, dict) else v for v in values],
                             index=out.index, dtype=object)
        if all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool))
               for v in values):
            ints = all(v is None or isinstance(v, int) for v in values)
            out[col] = pd.to_numeric(out[col])
            if ints and out[col].isna().any():  # 21, not 21.0, beside other signals' blanks
                out[col] = out[col].astype("Int64")
    front = ["row", "signal", "variant", "horizon", "episode"]
    front = [c for c in front if c in out.columns]
    return out[front + [c for c in out.columns if c not in front]].reset_index(drop=True)
