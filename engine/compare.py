"""Rank signals across studies and runs: one table, one compare report."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from engine import metrics as M
from engine import paths
from engine.errors import StudyError
from engine.ranking import DEFAULT_MIN_INDEPENDENT, rank_evidence
from engine.runfolder import latest_run, read_manifest, read_run

SORT_KEYS = {M.HIT_RATE: False, M.EDGE: False, M.Q_VALUE: True, M.MEAN_FWD: False,
             M.P_VALUE: True}


def resolve_run(target: str) -> Path:
    """A run folder path, or a study name meaning its latest run."""
    p = Path(target)
    if p.is_dir():
        read_manifest(p)
        return p
    run = latest_run(paths.results_dir() / target)
    if run is None:
        raise StudyError(f"no run folder or finished run of study '{target}'", where=target,
                         fix=f"run it first: study run {target}")
    return run


def target_label(study: dict) -> str:
    """What a row's returns are: ``index.RUT`` (absolute) or ``index.RUT − index.GSPC``
    (relative), so a table mixing studies says which is which."""
    target, bench = study.get("target") or "—", study.get("benchmark")
    return f"{target} − {bench}" if bench else str(target)


def compare(
    targets: list[str], horizon: str | None = None, episode: str = "all", by: str = M.Q_VALUE,
    out: Path | None = None, min_independent: int = 0,
) -> tuple[pd.DataFrame, Path, Path]:
    """Rows of every target for one episode (and horizon), best first by ``by``; rows with
    fewer than ``min_independent`` non-overlapping events are left out (a 5-event edge would
    otherwise top an edge ranking)."""
    if by not in SORT_KEYS:
        raise StudyError(f"--by {by!r} not allowed", where="--by",
                         fix=f"use one of {sorted(SORT_KEYS)}")
    frames = []
    for t in targets:
        run = resolve_run(t)
        folder = read_run(run)
        m = folder.metrics
        m.insert(0, "study", str(folder.manifest.study.get("name") or run.parent.name))
        m.insert(1, "run_id", folder.manifest.run_id)
        m.insert(2, "target", target_label(folder.manifest.study))
        frames.append(m)
    table = rank_rows(pd.concat(frames, ignore_index=True), horizon, episode, by,
                      min_independent)
    from engine.report import write_compare_reports

    out_dir = out or paths.results_dir() / "_compare"
    out_dir.mkdir(parents=True, exist_ok=True)
    title = "Compare: " + ", ".join(sorted(set(table["study"])))
    md, html = write_compare_reports(table, out_dir, title)
    return table, md, html


def rank_rows(metrics: pd.DataFrame, horizon: str | None = None, episode: str = "all",
              by: str = M.Q_VALUE, min_independent: int = 0) -> pd.DataFrame:
    """The compare table of rows already gathered (``study``/``run_id``/``target`` set):
    one episode (and horizon), best first by ``by`` (``q_value``: the one ranking)."""
    if by not in SORT_KEYS:
        raise StudyError(f"--by {by!r} not allowed", where="--by",
                         fix=f"use one of {sorted(SORT_KEYS)}")
    sel = metrics[metrics["episode"] == episode]
    if horizon:
        sel = sel[sel["horizon"] == horizon]
    if min_independent:
        sel = sel[sel[M.N_INDEPENDENT] >= min_independent]
    if sel.empty:
        have_h = sorted(metrics["horizon"].unique())
        have_e = sorted(metrics["episode"].unique())
        raise StudyError(f"no rows for episode '{episode}'"
                         + (f" and horizon '{horizon}'" if horizon else "")
                         + (f" with >= {min_independent} independent events"
                            if min_independent else ""), where="compare",
                         fix=f"horizons available: {have_h}; episodes: {have_e}")
    if by == M.Q_VALUE:  # the one evidence-first ranking (engine.ranking)
        table = rank_evidence(sel, min_independent or DEFAULT_MIN_INDEPENDENT)
    else:
        table = sel.sort_values([by, M.EDGE], ascending=[SORT_KEYS[by], False],
                                na_position="last", kind="stable").reset_index(drop=True)
    return table
