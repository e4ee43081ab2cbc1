"""A study's result tables from its signal matrix: metrics, events, event-study paths, and
the [validation] table.

``engine.evaluate.core`` works on arrays (T x K signals, horizons in days, episode masks);
this module feeds it a ``Study`` and its ``Panel`` and labels the results (signal, variant,
horizon label), in the column order of the metric registry (``engine.metrics``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine import metrics as M
from engine.data.panel import Panel
from engine.evaluate import core as ev
from engine.evaluate.stats import bh_qvalues
from engine.signals.matrix import ENTRY_LEAD, SignalMatrix
from engine.study.spec import Study
from engine.study.windows import IN_SAMPLE, episode_tests, horizon_days

PAST_EPISODE_FLAG = "windows run past the episode end (clip = false)"


def evaluate_study(
    study: Study, panel: Panel, sm: SignalMatrix, episodes: list[tuple[str, np.ndarray]],
    window: np.ndarray, executor: str = "local", scheduler: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, EventPaths]:
    """Metrics for every variant x horizon x episode, the event list and event-study paths."""
    close = panel.close("@target")
    bench = panel.close("@benchmark") if study.benchmark else None
    horizons = horizon_days(study)
    labels = {h.days: h.label for h in study.horizons}
    if executor == "dask":
        from engine.evaluate.distributed import evaluate_dask

        result = evaluate_dask(close, sm.values, sm.numeric, horizons, episodes, study.mode,
                               bench, study.n_boot, study.seed, scheduler,
                               episode_tests=episode_tests(study))
    else:
        result = ev.evaluate(close, sm.values, sm.numeric, horizons, episodes, mode=study.mode,
                             bench_close=bench, n_boot=study.n_boot, seed=study.seed,
                             episode_tests=episode_tests(study))
    metrics = result.to_frame(sm.labels)
    metrics.insert(metrics.columns.get_loc(M.HORIZON_DAYS), M.HORIZON,
                   metrics[M.HORIZON_DAYS].map(labels))
    metrics[M.Q_VALUE] = bh_qvalues(metrics[M.P_VALUE].to_numpy(np.float64))
    unclipped = {e.name for e in study.episodes if not e.clip}
    past_ep = metrics[M.EPISODE].isin(unclipped).to_numpy()
    flags = metrics[M.FLAGS].to_numpy(dtype=object).astype(str)
    glue = np.where(flags != "", "; ", "")
    metrics[M.FLAGS] = np.where(past_ep, np.char.add(np.char.add(
        PAST_EPISODE_FLAG, glue), flags), flags).astype(object)
    metrics = metrics[list(M.COLUMNS)].reset_index(drop=True)
    lead = None if sm.advance is None else sm.advance.astype(np.int64) * ENTRY_LEAD
    at = ev.events_in(sm.values, study.mode, window)
    events = ev.event_table(panel.index, sm.values, sm.numeric, horizons, study.mode, close,
                            bench_close=bench, mask=window, lead=lead, at=at)
    events = label_events(events, sm.labels, labels)
    mean, std, count = ev.event_paths(close, sm.values, sm.numeric, int(horizons.max()),
                                      study.mode, bench_close=bench, mask=window, at=at)
    return metrics, events, EventPaths(mean, std, count, sm.labels)


def compile_ahead(study: Study, panel: Panel, sm: SignalMatrix,
                  episodes: list[tuple[str, np.ndarray]]) -> None:
    """``ev.evaluate``'s kernels after the sparse one (dense kernel, bootstrap intervals),
    called as ``evaluate_study`` calls them, on ``sm`` (a few variants of the run's matrix),
    the result dropped: ``engine.warmup``'s child compiles them while the parent compiles
    and runs the sparse kernel."""
    bench = panel.close("@benchmark") if study.benchmark else None
    ev.compile_ahead(panel.close("@target"), sm.values, sm.numeric, horizon_days(study),
                     episodes, study.mode, bench, min(study.n_boot, 8), study.seed)


@dataclass(frozen=True)
class EventPaths:
    """The event-study sums, (K, D) each, and the K variants' labels. Their long table
    (``frame``, 5 million rows for a 20,000-variant sweep) is built when the run writes it,
    after the (T, K) signal matrix is gone: the two together were the run's peak memory."""

    mean: np.ndarray
    std: np.ndarray
    count: np.ndarray
    labels: pd.DataFrame

    def frame(self) -> pd.DataFrame:
        return paths_frame(self.mean, self.std, self.count, self.labels)


def label_events(events: pd.DataFrame, labels: pd.DataFrame,
                 hl: dict[int, str]) -> pd.DataFrame:
    """The event table with signal/variant names and horizon labels, sorted by signal,
    variant, horizon and date (stable).

    pandas: ``frame.sort_values(["signal", "variant", "horizon_days", "date"],
    kind="stable")`` of the labelled table. The order is found on integer keys (the labels'
    ranks, code-point order as pandas sorts strings) before any string column exists, and
    the label columns are then taken once in that order: a 20,000-variant sweep has 4
    million event rows."""
    k = events["k"].to_numpy()
    days = events["horizon_days"].to_numpy()
    dates = events["date"].to_numpy()
    signal, variant = (np.unique(labels[c].to_numpy(dtype=object), return_inverse=True)
                       for c in ("signal", "variant"))
    pair = signal[1].ravel() * np.int64(max(len(variant[0]), 1)) + variant[1].ravel()
    known, code = np.unique(days, return_inverse=True)
    code = code.ravel()
    group = pair[k].astype(np.int64) * len(known) + code  # (signal, variant, horizon) rank
    order = np.lexsort((dates, group))  # stable, like sort_values(kind="stable")
    return pd.DataFrame({
        "signal": ev.take_labels(labels["signal"], k[order]),
        "variant": ev.take_labels(labels["variant"], k[order]),
        "date": dates[order], "entry_date": events["entry_date"].to_numpy()[order],
        "horizon": ev.take_labels([hl.get(int(d)) for d in known], code[order]),
        "horizon_days": days[order],
        "fwd_return": events["fwd_return"].to_numpy()[order],
        "hit": events["hit"].to_numpy()[order],
    })


def paths_frame(mean: np.ndarray, std: np.ndarray, count: np.ndarray,
                labels: pd.DataFrame) -> pd.DataFrame:
    """Event-study paths (K x D mean, std, count) as one row per variant x day, 95% band."""
    k, d = mean.shape
    n = count.reshape(-1).astype(np.int64)
    m = mean.reshape(-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        half = 1.96 * std.reshape(-1) / np.sqrt(n)
    per_variant = np.repeat(np.arange(k), d)
    return pd.DataFrame({
        "signal": ev.take_labels(labels["signal"], per_variant),
        "variant": ev.take_labels(labels["variant"], per_variant),
        "day": np.tile(np.arange(d), k), "mean": m, "low": m - half, "high": m + half, "n": n,
    })


def validation_frame(study: Study, panel: Panel, sm: SignalMatrix, metrics: pd.DataFrame,
                     episodes: list[tuple[str, np.ndarray]]) -> pd.DataFrame:
    """In-sample pick vs out-of-sample result per signal x horizon, with the sweep's SPA p."""
    from engine.evaluate import validation as V

    horizons = horizon_days(study)
    labels = {h.days: h.label for h in study.horizons}
    ins = dict(episodes)[IN_SAMPLE]
    groups = sm.labels["signal"].to_numpy()
    p = V.spa_pvalues(panel.close("@target"), sm.values, horizons, ins, groups, study.mode,
                      study.n_boot, study.seed,
                      panel.close("@benchmark") if study.benchmark else None)
    names = np.unique(groups)
    spa = pd.DataFrame({M.SIGNAL: np.repeat(names, len(horizons)),
                        M.HORIZON: np.tile([labels[h] for h in horizons], len(names)),
                        M.SPA_P: p.reshape(-1)})
    return V.validation_table(metrics, spa, study.min_independent)


def walk_forward_frame(study: Study, panel: Panel, sm: SignalMatrix,
                       window: np.ndarray) -> pd.DataFrame:
    """[validation] walk_forward: per fold the train-window pick judged on its test window,
    and the pooled out-of-sample row per signal x horizon (``engine.evaluate.validation``)."""
    from engine.errors import SpecError
    from engine.evaluate import validation as V

    wf = study.walk_forward
    horizons = horizon_days(study)
    folds = V.walk_forward_folds(panel.index, window, wf.train_months, wf.test_months,
                                 wf.step_months, wf.anchored, horizons)
    if not folds:
        days = panel.index[window]
        raise SpecError(f"[validation] walk_forward train = {wf.labels[0]!r}, test = "
                        f"{wf.labels[1]!r} leaves no fold inside the data window "
                        f"({days[0].date()} .. {days[-1].date()})",
                        where=f"{study.path} [validation.walk_forward]",
                        fix="shorten train (or test) so that at least one train window and "
                        "the test window after it fit in the data")
    return V.walk_forward(panel.close("@target"), sm.values, sm.numeric, horizons,
                          {h.days: h.label for h in study.horizons}, sm.labels, panel.index,
                          folds, study.mode,
                          panel.close("@benchmark") if study.benchmark else None,
                          study.min_independent)
