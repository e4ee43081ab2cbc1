"""One study run, end to end: spec -> panel -> signals -> evaluate -> stats -> backtest -> folder.

Each stage is timed and the timings go into the manifest. Nothing is written until every
number is computed; the folder then appears atomically (see ``engine.runfolder``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from engine import __version__, paths, runfolder
from engine import metrics as M
from engine.data.catalog import Catalog
from engine.data.panel import Panel, check_price_series, load_panel
from engine.errors import SpecError
from engine.signals.matrix import ENTRY_LEAD, SignalMatrix, compute_signals, required_refs
from engine.study.spec import Study, check_stem, load_study, parse_horizon, variant_count

MAX_N_BOOT = 100_000  # as [study] n_boot


@dataclass
class Overrides:
    horizons: list[str] | None = None
    episodes: list[str] | None = None
    start: str | None = None
    end: str | None = None
    out: Path | None = None
    executor: str = "local"
    scheduler: str | None = None
    n_boot: int | None = None
    reports: bool = True
    backtest: bool | None = None
    min_independent: int | None = None

    def as_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d.pop("out")
        d.pop("reports")
        return {k: v for k, v in d.items() if v is not None and k != "scheduler"}


@dataclass
class Timer:
    timings: dict[str, float] = field(default_factory=dict)
    _t: float = field(default_factory=time.perf_counter)

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = round(now - self._t, 4)
        self._t = now


def apply_overrides(study: Study, ov: Overrides) -> Study:
    """Narrow a study from the command line (horizons, episodes, dates)."""
    from engine.study.spec import _Ctx, _date

    ctx = _Ctx(study.path)
    changes: dict = {}
    if ov.horizons:
        hz = tuple(parse_horizon(int(h) if re.fullmatch(r"[0-9]+", h) else h, ctx, "--horizon")
                   for h in ov.horizons)
        if len({h.days for h in hz}) != len(hz):
            raise SpecError(f"two horizons have the same length in days "
                            f"({', '.join(f'{h.label}={h.days}d' for h in hz)})",
                            where="--horizon", fix="list each horizon once")
        changes["horizons"] = hz
    if ov.episodes:
        known = {e.name for e in study.episodes}
        unknown = [e for e in ov.episodes if e not in known and e != "all"]
        if unknown:
            raise SpecError(f"unknown episode(s) {unknown}", where="--episode",
                            fix=f"use one of {sorted(known | {'all'})}")
        changes["episodes"] = tuple(e for e in study.episodes if e.name in ov.episodes)
    if ov.start:
        changes["start"] = _date(ov.start, ctx, "--start")
    if ov.end:
        changes["end"] = _date(ov.end, ctx, "--end")
    if ov.n_boot is not None:
        if not 0 <= ov.n_boot <= MAX_N_BOOT:
            raise SpecError(f"n_boot = {ov.n_boot} not allowed", where="--n-boot",
                            fix=f"use an integer from 0 to {MAX_N_BOOT}")
        changes["n_boot"] = ov.n_boot
    if ov.min_independent is not None:
        if ov.min_independent < 0:
            raise SpecError(f"--min-independent {ov.min_independent} is negative",
                            where="--min-independent", fix="give 0 or more (default 10)")
        changes["min_independent"] = ov.min_independent
    if ov.scheduler is not None:
        from engine.evaluate.distributed import check_address

        if ov.executor != "dask":
            raise SpecError("--scheduler is only used with --executor dask", where="--scheduler",
                            fix="add --executor dask, or drop --scheduler")
        check_address(ov.scheduler)
    if ov.backtest is not None:
        changes["backtest"] = dataclasses.replace(study.backtest, enabled=ov.backtest)
    study = dataclasses.replace(study, **changes)
    if study.start and study.end and study.end <= study.start:
        raise SpecError(f"end {study.end} is not after start {study.start}", where="--start/--end",
                        fix="fix the dates")
    return study


def build_missing(catalog: Catalog, study: Study, refs: set[str], mirror, say) -> None:
    """Build datasets the study needs that were never built (first run on a fresh machine)."""
    from engine.data import datasets
    from engine.data.catalog import split_ref

    ids = {study.target, *([study.benchmark] if study.benchmark else [])}
    ids |= {split_ref(r)[0] for r in refs if not r.startswith("@")}
    missing = [i for i in sorted(ids) if datasets.read_meta(catalog.parquet_path(i)) is None]
    for id_ in missing:
        say(f"building dataset {id_}")
        datasets.build_one(catalog, catalog.get(id_), mirror)


def check_horizons(index: pd.DatetimeIndex, window: np.ndarray, study: Study,
                   where: str) -> None:
    """Every horizon needs at least one full forward window after the study start; otherwise
    its rows would all be empty (n = 0) with exit 0."""
    first = int(np.flatnonzero(window)[0])
    room = len(index) - 1 - first  # trading days from the first window day to the last price
    for h in study.horizons:
        if h.days > room:
            raise SpecError(
                f"horizon {h.label} ({h.days} trading days) is longer than the data after the "
                f"study start ({room} trading days, {index[first].date()} .. "
                f"{index[-1].date()}): no forward return can be measured", where=where,
                fix="choose a shorter horizon, or an earlier start")


def check_memory(study: Study, n_days: int, n_variants: int) -> None:
    """Refuse a run whose matrices would not fit in memory, before allocating them."""
    from engine import memory

    n_h = len(study.horizons)
    need = memory.run_estimate(n_days, n_variants, n_h, len(study.episodes) + 1,
                               max(h.days for h in study.horizons))
    memory.check(need, f"{n_variants} variants x {n_h} horizons over {n_days} days",
                 where=f"{study.path} [signals]",
                 fix="shorten the parameter sweeps or the study window, or run fewer horizons")


def window_mask(index: pd.DatetimeIndex, study: Study) -> np.ndarray:
    mask = np.ones(len(index), dtype=bool)
    if study.start:
        mask &= index >= pd.Timestamp(study.start)
    if study.end:
        mask &= index <= pd.Timestamp(study.end)
    if mask.sum() < 2:
        raise SpecError(
            f"the study window {study.start or '…'} .. {study.end or '…'} has no overlap with "
            f"target {study.target} ({index[0].date()} .. {index[-1].date()})",
            where=f"{study.path} [study.start/end]", fix="move the window inside the data")
    return mask


def episode_masks(index: pd.DatetimeIndex, study: Study,
                  window: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """("all", window) then one mask per episode: (T,) or, for ``clip = true``, (T, H) with
    only the days whose forward window ends inside the episode."""
    horizons = np.array([h.days for h in study.horizons], dtype=np.int64)
    out = [("all", window)]
    for ep in study.episodes:
        mask = window & (index >= pd.Timestamp(ep.start)) & (index <= pd.Timestamp(ep.end))
        if not mask.any():
            raise SpecError(
                f"episode '{ep.name}' ({ep.start} .. {ep.end}) is outside the data of target "
                f"{study.target} in the study window ({index[window][0].date()} .. "
                f"{index[window][-1].date()})",
                where=f"{study.path} [episodes]",
                fix="move the episode inside the data or remove it")
        out.append((ep.name, clip_episode_masks(mask, horizons) if ep.clip else mask))
    return out


def clip_episode_masks(mask: np.ndarray, horizons: np.ndarray) -> np.ndarray:
    """(T, H): days of ``mask`` whose h-day window, entered at the next close t+1 and left at
    close t+1+h, ends on or before the episode's last day (so no window runs past it)."""
    mask = np.asarray(mask, dtype=bool)
    days = np.flatnonzero(mask)
    out = np.zeros((len(mask), len(horizons)), dtype=bool)
    if days.size == 0:
        return out
    last = days[-1]
    t = np.arange(len(mask))[:, None]
    return mask[:, None] & (t + 1 + np.asarray(horizons, dtype=np.int64)[None, :] <= last)


def episode_tests(study: Study) -> list[bool]:
    """Which episodes get p, q and HAC t: the full sample, and episodes with ``test = true``
    (the [validation] halves are descriptive: their numbers sit in validation.parquet)."""
    halves = [False, False] if study.validation_split else []
    return [True] + [bool(e.test) for e in study.episodes] + halves


def validation_episodes(index: pd.DatetimeIndex, study: Study,
                        window: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """The [validation] halves as two more episodes (in-sample clipped at the split)."""
    if not study.validation_split:
        return []
    from engine.evaluate import validation as V

    horizons = np.array([h.days for h in study.horizons], dtype=np.int64)
    ins, oos = V.split_masks(index, window, pd.Timestamp(study.validation_split), horizons)
    if not ins.any() or not oos.any():
        raise SpecError(f"[validation] split {study.validation_split} leaves no in-sample or "
                        "no out-of-sample days with data", where=f"{study.path} [validation]",
                        fix="move the split inside the data window")
    return [(V.IN_SAMPLE, ins), (V.OUT_OF_SAMPLE, oos)]


def run_validation(study: Study, panel: Panel, sm: SignalMatrix, metrics: pd.DataFrame,
                   episodes: list[tuple[str, np.ndarray]]) -> pd.DataFrame:
    """In-sample pick vs out-of-sample result per signal x horizon, with the sweep's SPA p."""
    from engine.evaluate import validation as V

    horizons = np.array([h.days for h in study.horizons], dtype=np.int64)
    labels = {h.days: h.label for h in study.horizons}
    ins = dict(episodes)[V.IN_SAMPLE]
    groups = sm.labels["signal"].to_numpy()
    p = V.spa_pvalues(panel.close("@target"), sm.values, horizons, ins, groups, study.mode,
                      study.n_boot, study.seed,
                      panel.close("@benchmark") if study.benchmark else None)
    names = np.unique(groups)
    spa = pd.DataFrame({"signal": np.repeat(names, len(horizons)),
                        "horizon": np.tile([labels[h] for h in horizons], len(names)),
                        "spa_p": p.reshape(-1)})
    return V.validation_table(metrics, spa, study.min_independent)


@dataclass
class RunResult:
    run_dir: Path
    study: Study
    metrics: pd.DataFrame
    manifest: runfolder.Manifest


def run(
    name_or_path: str | Path | Study,
    overrides: Overrides | None = None,
    progress: Callable[[str], None] | None = None,
) -> RunResult:
    """Run a study (a name, a file, or a ``Study`` already parsed, e.g. by
    ``engine.define_study``) and write its run folder; returns where it went and the metrics."""
    from engine.data.catalog import split_ref

    ov = overrides or Overrides()
    say = progress or (lambda _msg: None)
    timer = Timer()
    catalog = Catalog.load()
    study = apply_overrides(name_or_path if isinstance(name_or_path, Study)
                            else load_study(name_or_path, set(catalog.entries)), ov)
    check_stem(study.path)  # the file name becomes results/<name>/
    timer.lap("spec")
    say("loading datasets")
    mirror = paths.mirror_dir()
    refs = required_refs(study)
    build_missing(catalog, study, refs, mirror, say)
    panel, metas = load_panel(catalog, refs, study.target, study.benchmark, mirror)
    for role, id_ in (("target", study.target), ("benchmark", study.benchmark)):
        if id_ is not None:
            check_price_series(panel, id_, role, f"{study.path} [study.{role}]")
    timer.lap("load")
    window = window_mask(panel.index, study)
    check_horizons(panel.index, window, study, "--horizon" if ov.horizons
                   else f"{study.path} [study.horizons]")
    check_memory(study, len(panel.index), sum(variant_count(study.signals).values()))
    say("computing signals")
    sm = compute_signals(study, panel)
    timer.lap("signals")
    episodes = episode_masks(panel.index, study, window)
    if not np.isfinite(sm.values[window]).any():
        raise SpecError(f"no signal has any data inside the study window for target "
                        f"{study.target}", where=f"{study.path} [signals]",
                        fix="check the signals' series coverage (`study data list`) against "
                        "[study] start/end")
    say(f"evaluating {sm.values.shape[1]} variants x {len(study.horizons)} horizons")
    episodes += validation_episodes(panel.index, study, window)
    metrics, events, paths_df = evaluate_all(study, panel, sm, episodes, window, ov)
    timer.lap("evaluate")
    validation = None
    if study.validation_split:
        say("out-of-sample validation and SPA")
        validation = run_validation(study, panel, sm, metrics, episodes)
        timer.lap("validation")
    bt_metrics = equity = None
    if study.backtest.enabled:
        say("backtesting")
        bt_metrics, equity = run_backtest(study, panel, sm, window)
        timer.lap("backtest")
    dataset_info = []
    for id_, meta in sorted(metas.items()):
        e = catalog.get(id_)
        dataset_info.append({
            "id": id_, "sha256": meta.content_sha256, "source_file": split_ref(e.file)[0],
            "source_sha256": meta.source_sha256, "first": meta.first, "last": meta.last,
            "rows": meta.rows, "lag_days": e.lag_days, "frequency": e.frequency,
            "units": e.units, "description": e.description,
        })
    from engine.study.spec import describe

    inputs_sha = runfolder.inputs_hash(study.sha256, {d["id"]: d["sha256"] for d in dataset_info},
                                  ov.as_dict())
    name = runfolder.run_name(inputs_sha)
    root = ov.out or paths.results_dir()
    parent = root / study.name
    if Path(os.path.normpath(parent.absolute())).parent != Path(
            os.path.normpath(Path(root).absolute())):  # belt and braces (see spec.check_stem)
        raise SpecError(f"run folder {parent} would be outside {root}",
                        where=str(study.path), fix="rename the study file")
    writer = runfolder.RunWriter(parent, name)
    try:
        writer.parquet(runfolder.METRICS, metrics)
        writer.parquet(runfolder.EVENTS, events)
        writer.parquet(runfolder.PATHS, paths_df)
        prices = pd.DataFrame({"target": panel.close("@target")}, index=panel.index)
        if study.benchmark:
            prices["benchmark"] = panel.close("@benchmark")
        writer.parquet(runfolder.PRICES, prices[window])
        if validation is not None:
            writer.parquet(runfolder.VALIDATION, validation)
        if bt_metrics is not None:
            writer.parquet(runfolder.BACKTEST, bt_metrics)
            writer.parquet(runfolder.EQUITY, equity)
        timer.lap("write")
        manifest = runfolder.Manifest(
            run_id=name, engine_version=__version__,
            created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            study=describe(study), inputs_sha256=inputs_sha, overrides=ov.as_dict(),
            datasets=dataset_info, versions=runfolder.versions(),
            git_commit=runfolder.git_commit(paths.project_root()),
            command=runfolder.command_line(), seed=study.seed, n_boot=study.n_boot,
            executor=ov.executor, n_variants=int(sm.values.shape[1]), n_rows=len(metrics),
            window={"first": str(panel.index[window][0].date()),
                    "last": str(panel.index[window][-1].date())},
            timings=timer.timings,
        )
        writer.manifest(manifest)
        if ov.reports:
            say("writing reports")
            from engine.report import write_reports

            write_reports(writer.tmp)
            timer.lap("report")
            manifest.timings = timer.timings
            writer.manifest(manifest)
        final = writer.commit()
    except BaseException:
        writer.abort()
        raise
    return RunResult(final, study, metrics, manifest)


def evaluate_all(
    study: Study, panel: Panel, sm: SignalMatrix, episodes: list[tuple[str, np.ndarray]],
    window: np.ndarray, ov: Overrides,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Metrics for every variant x horizon x episode, the event list and event-study paths."""
    from engine.evaluate import core as ev
    from engine.evaluate.stats import bh_qvalues

    close = panel.close("@target")
    bench = panel.close("@benchmark") if study.benchmark else None
    horizons = np.array([h.days for h in study.horizons], dtype=np.int64)
    labels = {h.days: h.label for h in study.horizons}
    if ov.executor == "dask":
        from engine.evaluate.distributed import evaluate_dask

        result = evaluate_dask(close, sm.values, sm.numeric, horizons, episodes, study.mode,
                               bench, study.n_boot, study.seed, ov.scheduler,
                               episode_tests=episode_tests(study))
    else:
        result = ev.evaluate(close, sm.values, sm.numeric, horizons, episodes, mode=study.mode,
                             bench_close=bench, n_boot=study.n_boot, seed=study.seed,
                             episode_tests=episode_tests(study))
    metrics = result.to_frame(sm.labels)
    metrics.insert(metrics.columns.get_loc("horizon_days"), "horizon",
                   metrics["horizon_days"].map(labels))
    metrics[M.Q_VALUE] = bh_qvalues(metrics[M.P_VALUE].to_numpy(np.float64))
    unclipped = {e.name for e in study.episodes if not e.clip}
    past_ep = metrics["episode"].isin(unclipped).to_numpy()
    flags = metrics[M.FLAGS].to_numpy(dtype=object).astype(str)
    glue = np.where(flags != "", "; ", "")
    metrics[M.FLAGS] = np.where(past_ep, np.char.add(np.char.add(
        "windows run past the episode end (clip = false)", glue), flags), flags).astype(object)
    metrics = metrics[METRIC_COLUMNS].reset_index(drop=True)
    lead = None if sm.advance is None else sm.advance.astype(np.int64) * ENTRY_LEAD
    events = ev.event_table(panel.index, sm.values, sm.numeric, horizons, study.mode, close,
                            bench_close=bench, mask=window, lead=lead)
    events = _label_events(events, sm.labels, labels)
    mean, std, count = ev.event_paths(close, sm.values, sm.numeric, int(horizons.max()),
                                      study.mode, bench_close=bench, mask=window)
    paths_df = _paths_frame(mean, std, count, sm.labels)
    return metrics, events, paths_df


METRIC_COLUMNS = list(M.COLUMNS)


def _label_events(events: pd.DataFrame, labels: pd.DataFrame, hl: dict[int, str]) -> pd.DataFrame:
    k = events["k"].to_numpy()
    out = pd.DataFrame({
        "signal": labels["signal"].to_numpy()[k], "variant": labels["variant"].to_numpy()[k],
        "date": events["date"].to_numpy(), "entry_date": events["entry_date"].to_numpy(),
        "horizon": events["horizon_days"].map(hl).to_numpy(),
        "horizon_days": events["horizon_days"].to_numpy(),
        "fwd_return": events["fwd_return"].to_numpy(), "hit": events["hit"].to_numpy(),
    })
    order = ["signal", "variant", "horizon_days", "date"]
    return out.sort_values(order, kind="stable").reset_index(drop=True)


def _paths_frame(mean: np.ndarray, std: np.ndarray, count: np.ndarray,
                 labels: pd.DataFrame) -> pd.DataFrame:
    k, d = mean.shape
    n = count.reshape(-1).astype(np.int64)
    m = mean.reshape(-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        half = 1.96 * std.reshape(-1) / np.sqrt(n)
    return pd.DataFrame({
        "signal": np.repeat(labels["signal"].to_numpy(), d),
        "variant": np.repeat(labels["variant"].to_numpy(), d),
        "day": np.tile(np.arange(d), k), "mean": m, "low": m - half, "high": m + half, "n": n,
    })


def run_backtest(study: Study, panel: Panel, sm: SignalMatrix, window: np.ndarray):
    """vectorbt portfolios for every boolean view of every variant, inside the study window.

    A numeric signal is on where its value is > 0, the backtest's own rule, so the matrix
    goes in as it is; the window is a slice (no copy of the matrix). Equity curves are kept
    for each signal's ``EQUITY_TOP`` best variants by Sharpe (what the reports can show).
    """
    from engine.backtest import backtest

    rows = np.flatnonzero(window)
    span = slice(rows[0], rows[-1] + 1)
    if len(rows) != span.stop - span.start:  # not one contiguous range: index it
        span = rows
    res = backtest(
        panel.index[span], panel.close("@target")[span], sm.values[span], sm.labels,
        bench_close=panel.close("@benchmark")[span] if study.benchmark else None,
        hedge=study.backtest.hedge, fees=study.backtest.fees, slippage=study.backtest.slippage,
        target_name=study.target, bench_name=study.benchmark or "benchmark",
        equity_top=EQUITY_TOP,
    )
    equity = res.equity.copy()
    equity.index.name = "date"
    return res.metrics.reset_index(drop=True), equity


EQUITY_TOP = 20  # equity curves kept per signal (its best variants by Sharpe)
