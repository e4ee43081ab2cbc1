"""One study run, end to end: spec -> panel -> signals -> evaluate -> stats -> backtest -> folder.

Orchestration only: each stage lives in its own module (``study.overrides``, ``study.windows``,
``data.dataops``/``data.panel``, ``signals.matrix``, ``evaluate.frames``, ``backtest``,
``runfolder``, ``report``). Each stage is timed and the timings go into the manifest. Nothing
is written until every number is computed; the folder then appears atomically (see
``engine.runfolder``).
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from engine import paths, runfolder, warmup
from engine.data import dataops
from engine.data.catalog import Catalog
from engine.data.panel import Panel, check_price_series, load_panel
from engine.errors import SpecError
from engine.signals.matrix import SignalMatrix, compute_signals, required_refs
from engine.study import windows as W
from engine.study.overrides import Overrides, apply_overrides
from engine.study.spec import Study, check_stem, describe, load_study, variant_count
from engine.version import __version__

__all__ = ["EQUITY_TOP", "Overrides", "RunResult", "run"]


@dataclass
class Timer:
    timings: dict[str, float] = field(default_factory=dict)
    _t: float = field(default_factory=time.perf_counter)

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = round(self.timings.get(stage, 0.0) + now - self._t, 4)
        self._t = now


def check_memory(study: Study, n_days: int, n_variants: int) -> None:
    """Refuse a run whose matrices would not fit in memory, before allocating them."""
    from engine import memory

    n_h = len(study.horizons)
    need = memory.run_estimate(n_days, n_variants, n_h, len(study.episodes) + 1,
                               max(h.days for h in study.horizons))
    memory.check(need, f"{n_variants} variants x {n_h} horizons over {n_days} days",
                 where=f"{study.path} [signals]",
                 fix="shorten the parameter sweeps or the study window, or run fewer horizons")


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
    from engine.evaluate.frames import evaluate_study, validation_frame, walk_forward_frame

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
    dataops.build_missing(catalog, [study.target, study.benchmark, *sorted(refs)], mirror, say)
    panel, metas = load_panel(catalog, refs, study.target, study.benchmark, mirror)
    for role, id_ in (("target", study.target), ("benchmark", study.benchmark)):
        if id_ is not None:
            check_price_series(panel, id_, role, f"{study.path} [study.{role}]")
    timer.lap("load")
    window = W.window_mask(panel.index, study)
    W.check_horizons(panel.index, window, study, "--horizon" if ov.horizons
                     else f"{study.path} [study.horizons]")
    check_memory(study, len(panel.index), sum(variant_count(study.signals).values()))
    say("computing signals")
    sm = compute_signals(study, panel)
    timer.lap("signals")
    episodes = W.episode_masks(panel.index, study, window)
    if not W.any_data_in(sm.values, window):
        raise SpecError(f"no signal has any data inside the study window for target "
                        f"{study.target}", where=f"{study.path} [signals]",
                        fix="check the signals' series coverage (`study data list`) against "
                        "[study] start/end")
    say(f"evaluating {sm.values.shape[1]} variants x {len(study.horizons)} horizons")
    episodes += W.validation_episodes(panel.index, study, window)
    small = sm.first(2)  # what the warm-up child computes with (engine.warmup)
    with warmup.ahead(_compile_ahead(study, panel, small, episodes, window)) as ahead:
        metrics, events, event_paths = evaluate_study(study, panel, sm, episodes, window,
                                                      ov.executor, ov.scheduler)
        timer.lap("evaluate")
        tables = {runfolder.METRICS: metrics, runfolder.EVENTS: events, runfolder.PATHS: None,
                  runfolder.PRICES: prices_frame(study, panel, window)}
        if study.validation_split:
            say("out-of-sample validation and SPA")
            tables[runfolder.VALIDATION] = validation_frame(study, panel, sm, metrics, episodes)
            timer.lap("validation")
        if study.walk_forward:
            say("walk-forward validation")
            tables[runfolder.WALK_FORWARD] = walk_forward_frame(study, panel, sm, window)
            timer.lap("walk-forward")
        if study.backtest.enabled:
            say("backtesting")
            ahead.wait(1)  # the backtest's kernels, when the child is compiling them
            tables[runfolder.BACKTEST], tables[runfolder.EQUITY] = run_backtest(study, panel,
                                                                                sm, window)
            timer.lap("backtest")
    n_variants = int(sm.values.shape[1])
    del sm  # the matrix can be GBs; nothing after this reads it (the report reads the tables)
    tables[runfolder.PATHS] = event_paths.frame()  # the other big table, built without it
    del event_paths
    timer.lap("evaluate")  # added to the stage's time
    datasets = dataops.dataset_records(catalog, metas)
    inputs_sha = runfolder.inputs_hash(study.sha256, {d["id"]: d["sha256"] for d in datasets},
                                       ov.as_dict())
    name = runfolder.run_name(inputs_sha)
    writer = runfolder.RunWriter(run_parent(ov.out or paths.results_dir(), study), name)
    try:
        for file, frame in tables.items():
            writer.parquet(file, frame)
        timer.lap("write")
        manifest = runfolder.Manifest(
            run_id=name, engine_version=__version__,
            created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            study=describe(study), inputs_sha256=inputs_sha, overrides=ov.as_dict(),
            datasets=datasets, versions=runfolder.versions(),
            git_commit=runfolder.git_commit(paths.project_root()),
            command=runfolder.command_line(), seed=study.seed, n_boot=study.n_boot,
            executor=ov.executor, n_variants=n_variants, n_rows=len(metrics),
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


def run_parent(root: Path, study: Study) -> Path:
    """``root/<study name>``, refused if it would not sit directly inside ``root``."""
    parent = root / study.name
    if Path(os.path.normpath(parent.absolute())).parent != Path(
            os.path.normpath(Path(root).absolute())):  # belt and braces (see spec.check_stem)
        raise SpecError(f"run folder {parent} would be outside {root}",
                        where=str(study.path), fix="rename the study file")
    return parent


def prices_frame(study: Study, panel: Panel, window: np.ndarray) -> pd.DataFrame:
    """The target's (and benchmark's) closes inside the study window (prices.parquet)."""
    prices = pd.DataFrame({"target": panel.close("@target")}, index=panel.index)
    if study.benchmark:
        prices["benchmark"] = panel.close("@benchmark")
    return prices[window]


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


def _compile_ahead(study: Study, panel: Panel, sm: SignalMatrix,
                   episodes: list[tuple[str, np.ndarray]], window: np.ndarray,
                   ) -> list[Callable[[], object]]:
    """``engine.warmup``'s tasks: stages the run reaches later, on a few variants, in the
    order the parent reaches them: the rest of evaluate, then the backtest, which the parent
    waits for rather than compile it twice. (The event table and paths, compiled by the
    parent meanwhile, balance the two: ~5 s of kernels each on a fresh machine.)"""
    from engine.evaluate.frames import compile_ahead

    return [lambda: compile_ahead(study, panel, sm, episodes),
            lambda: run_backtest(study, panel, sm, window) if study.backtest.enabled else None]
