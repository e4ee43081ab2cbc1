"""Reading a run folder's files and writing report files atomically."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from engine.errors import StudyError
from engine.report.tables import ensure_columns
from engine.runfolder import read_manifest


@dataclass
class RunFiles:
    """A run folder's contents; optional files that are missing or empty are ``None``."""

    path: Path
    manifest: dict
    metrics: pd.DataFrame
    paths: pd.DataFrame | None
    backtest: pd.DataFrame | None
    equity: pd.DataFrame | None
    prices: pd.DataFrame | None


def read_run(run_dir: Path) -> RunFiles:
    """Load what the report needs; only manifest.json and metrics.parquet are required."""
    run_dir = Path(run_dir)
    manifest = read_manifest(run_dir)
    metrics = _parquet(run_dir / "metrics.parquet")
    if metrics is None:
        raise StudyError("metrics.parquet is missing or empty",
                         where=str(run_dir / "metrics.parquet"), fix="re-run the study")
    metrics = ensure_columns(metrics, where=str(run_dir / "metrics.parquet"))
    return RunFiles(run_dir, manifest, metrics, _parquet(run_dir / "paths.parquet"),
                    _parquet(run_dir / "backtest.parquet"),
                    _dated(_parquet(run_dir / "equity.parquet")),
                    _dated(_parquet(run_dir / "prices.parquet")))


def _dated(frame: pd.DataFrame | None) -> pd.DataFrame | None:
    """Time series with a DatetimeIndex whether "date" was saved as index or column."""
    if frame is None:
        return None
    if not isinstance(frame.index, pd.DatetimeIndex):
        if "date" in frame.columns:
            frame = frame.set_index("date")
        frame.index = pd.to_datetime(frame.index)
    return frame.sort_index()


def _parquet(path: Path) -> pd.DataFrame | None:
    if not path.is_file():
        return None
    try:
        frame = pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise StudyError(f"cannot read {path.name} ({exc})", where=str(path),
                         fix="re-run the study to rewrite the run folder") from None
    return None if frame.empty else frame


def write_atomic(path: Path, text: str) -> Path:
    """Write via a temp file in the same folder and ``os.replace``: readers never see a
    half-written report, and a crash leaves the previous version in place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; reports are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
