"""The run folder ``results/<study>/<timestamp>-<hash>/``: its files, the manifest, one writer
and one reader. Nothing else knows the file names or the manifest's layout.

Everything is written into a hidden temporary folder beside the final one and renamed at
the end, so a failed or interrupted run leaves nothing half-written, and two concurrent runs
of the same study get two separate complete folders. The runner writes with ``RunWriter``;
the report, compare and the API read with ``read_run`` / ``read_manifest`` / ``read_table``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import functools
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from engine import atomic
from engine import metrics as M
from engine.errors import StudyError

# The files of a run folder (metrics and manifest are required; the others are optional).
MANIFEST = "manifest.json"
METRICS = "metrics.parquet"      # one row per variant x horizon x episode (engine.metrics)
# every event: signal, variant, date (the day the signal turned on; a calendar window's
# first day), entry_date (the close the forward return starts from: the next close, or the
# close before a calendar window), horizon, horizon_days, fwd_return, hit
EVENTS = "events.parquet"
PATHS = "paths.parquet"          # event-study paths: mean, band and n per day after events
PRICES = "prices.parquet"        # target (and benchmark) closes inside the study window
BACKTEST = "backtest.parquet"    # one row per strategy (engine.metrics.BACKTEST)
EQUITY = "equity.parquet"        # equity curves of the backtests
VALIDATION = "validation.parquet"  # [validation]: in-sample pick vs out-of-sample, SPA p
WALK_FORWARD = "walkforward.parquet"  # [validation] walk_forward: per fold and pooled
TABLES = {"metrics": METRICS, "events": EVENTS, "paths": PATHS, "prices": PRICES,
          "backtest": BACKTEST, "equity": EQUITY, "validation": VALIDATION,
          "walk_forward": WALK_FORWARD}
# Metrics columns every reader needs; missing optional ones are filled with NaN on reading.
REQUIRED_COLUMNS = (M.SIGNAL, M.VARIANT, M.HORIZON, M.EPISODE)

SCHEMA_VERSION = 1  # of manifest.json; bump when a field changes meaning or goes away


@dataclass
class Manifest(Mapping):
    """What a run was made from and how: study, datasets (content hashes), overrides,
    versions, seed, timings. Written as ``manifest.json``; read back typed. It is also a
    read-only Mapping of its JSON fields, for code that renders any manifest-like dict."""

    run_id: str
    engine_version: str = ""
    created: str = ""
    study: dict = field(default_factory=dict)       # engine.study.spec.describe(study)
    inputs_sha256: str = ""
    overrides: dict = field(default_factory=dict)
    datasets: list[dict] = field(default_factory=list)
    versions: dict = field(default_factory=dict)
    git_commit: str | None = None
    command: str = ""
    seed: int | None = None
    n_boot: int | None = None
    executor: str = "local"
    n_variants: int | None = None
    n_rows: int | None = None
    window: dict = field(default_factory=dict)      # first/last date of the study window
    timings: dict = field(default_factory=dict)     # seconds per stage
    schema_version: int = SCHEMA_VERSION
    extra: dict = field(default_factory=dict, repr=False)  # fields this version does not know

    def to_dict(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"}
        return out | self.extra

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False, default=str)

    @classmethod
    def from_dict(cls, data: dict, where: str = MANIFEST) -> Manifest:
        if not isinstance(data, dict) or not isinstance(data.get("run_id"), str):
            raise StudyError("manifest.json has no run_id", where=where, fix="re-run the study")
        version = data.get("schema_version", 1)  # runs before versioning are version 1
        if not isinstance(version, int) or version > SCHEMA_VERSION:
            raise StudyError(f"manifest.json has schema version {version!r}; this engine reads "
                             f"up to {SCHEMA_VERSION}", where=where,
                             fix="upgrade rally-study, or re-run the study with this version")
        known = {f.name for f in fields(cls)} - {"extra"}
        kwargs = {k: v for k, v in data.items() if k in known and v is not None}
        kinds = {"study": dict, "overrides": dict, "datasets": list, "versions": dict,
                 "window": dict, "timings": dict}
        wrong = [k for k, kind in kinds.items() if k in kwargs and not isinstance(kwargs[k], kind)]
        if wrong or not all(isinstance(d, dict) for d in kwargs.get("datasets", [])):
            raise StudyError(f"manifest.json: {wrong or ['datasets']} have the wrong type",
                             where=where, fix="re-run the study")
        return cls(**kwargs, extra={k: v for k, v in data.items() if k not in known})

    # Mapping view of the JSON fields (``manifest["study"]``, ``manifest.get("window")``)
    def __getitem__(self, key: str):
        d = self.to_dict()
        return d[key]

    def __iter__(self):
        return iter(self.to_dict())

    def __len__(self) -> int:
        return len(self.to_dict())

PACKAGES = ("rally-study", "numpy", "pandas", "pyarrow", "numba", "scipy", "vectorbt",
            "typer", "rich", "matplotlib", "dask", "distributed")


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[name] = metadata.version(name)
    return out


def git_commit(root: Path) -> str | None:
    try:
        res = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if res.returncode != 0:
        return None
    dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain",
                            "--untracked-files=no"],
                           capture_output=True, text=True, timeout=5, check=False).stdout.strip()
    return res.stdout.strip() + ("-dirty" if dirty else "")


def inputs_hash(study_sha: str, dataset_hashes: dict[str, str], overrides: dict) -> str:
    payload = json.dumps({"study": study_sha, "data": dataset_hashes, "overrides": overrides},
                         sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Deterministic Parquet: same frame, same bytes."""
    frame.to_parquet(path, engine="pyarrow", compression="zstd", index=True)


def os_errno(exc: OSError) -> int | None:
    """The error number, also of ``OSError(errno.ENOSPC)`` built with one argument."""
    if exc.errno is not None:
        return exc.errno
    if len(exc.args) == 1 and isinstance(exc.args[0], int):
        return exc.args[0]
    text = str(exc)  # pyarrow raises OSError("... No space left on device") without errno
    known = (errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EDQUOT, errno.EISDIR)
    return next((code for code in known if os.strerror(code) in text), None)


def os_reason(exc: OSError) -> str:
    """'No space left on device' rather than '28' or '[Errno 28] ...: /long/path'."""
    code = os_errno(exc)
    return exc.strerror or (os.strerror(code) if code else str(exc))


class RunWriter:
    """Collects a run's files in a temporary folder; ``commit()`` renames it into place."""

    def __init__(self, parent: Path, name: str):
        self.parent = parent
        self.name = name
        try:
            parent.mkdir(parents=True, exist_ok=True)
            atomic.clean_stale(parent)  # what a killed run left behind
            self.tmp = atomic.tmp_path(parent, name)
            self.tmp.mkdir()
        except OSError as exc:
            raise StudyError(f"cannot create the run folder ({exc.strerror})", where=str(parent),
                             fix="choose a writable folder with --out DIR") from None

    def path(self, name: str) -> Path:
        return self.tmp / name

    def parquet(self, name: str, frame: pd.DataFrame) -> None:
        self._guard(lambda: write_parquet(frame, self.path(name)), name)

    def json(self, name: str, obj: dict) -> None:
        text = json.dumps(obj, indent=2, sort_keys=False, default=str)
        self._guard(lambda: self.path(name).write_text(text), name)

    def manifest(self, manifest: Manifest) -> None:
        self._guard(lambda: self.path(MANIFEST).write_text(manifest.to_json()), MANIFEST)

    def _guard(self, action, name: str) -> None:
        try:
            action()
        except OSError as exc:
            self.abort()
            raise StudyError(f"writing {name} failed ({os_reason(exc)}); nothing was kept",
                             where=str(self.parent),
                             fix="free disk space or choose another folder with --out DIR",
                             ) from None

    def commit(self) -> Path:
        """Rename into place; a name already taken (concurrent run) gets a numeric suffix."""
        for i in range(1000):
            final = self.parent / (self.name if i == 0 else f"{self.name}-{i}")
            try:
                os.rename(self.tmp, final)
                return final
            except OSError:
                if final.exists():
                    continue
                raise
        raise StudyError("could not find a free run folder name", where=str(self.parent),
                         fix="clean up old runs")

    def abort(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


def run_name(inputs_sha: str, now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.UTC)
    return f"{now.strftime('%Y%m%dT%H%M%S')}-{inputs_sha[:8]}"


def command_line() -> str:
    return " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])


def run_order(run_dir: Path) -> tuple[str, int]:
    """Sort key of run folders: the timestamp in the name (it survives copying), then, for
    runs in the same second, when the manifest was written (the hash part is no order)."""
    return run_dir.name.split("-")[0], (run_dir / MANIFEST).stat().st_mtime_ns


def _completed_runs(study_dir: Path) -> list[Path]:
    return sorted((p for p in study_dir.glob("*") if p.is_dir() and not p.name.startswith(".")
                   and (p / MANIFEST).is_file()), key=run_order)


def latest_run(study_dir: Path) -> Path | None:
    runs = _completed_runs(study_dir)
    return runs[-1] if runs else None


def read_manifest(run_dir: Path) -> Manifest:
    """The manifest of a run folder, checked to be what `study run` writes (a JSON object
    with run_id, study and datasets): anything else is a damaged folder, not a crash."""
    path = Path(run_dir) / MANIFEST
    if not path.is_file():
        raise StudyError("not a run folder (no manifest.json)", where=str(run_dir),
                         fix="pass a folder under results/<study>/")
    fix = "re-run the study (study run NAME) to write a fresh run folder"
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError
        raise StudyError(f"manifest.json is corrupt ({type(exc).__name__}: "
                         f"{str(exc)[:120]})", where=str(path), fix=fix) from None
    if not isinstance(data, dict):
        raise StudyError(f"manifest.json is not a JSON object (got {type(data).__name__})",
                         where=str(path), fix=fix)
    return Manifest.from_dict(data, where=str(path))


@dataclass
class RunFolder:
    """A run folder's contents. Manifest and metrics are read at once; the other tables on
    first use (``None`` when missing or empty): a report of a 20,000-variant sweep reads the
    5 million rows of paths once, and ``compare`` reads none of them."""

    path: Path
    manifest: Manifest
    metrics: pd.DataFrame

    @functools.cached_property
    def paths(self) -> pd.DataFrame | None:
        return _parquet(self.path / PATHS)

    def paths_of(self, signals: Iterable, variants: Iterable) -> pd.DataFrame | None:
        """``paths[paths.signal.isin(signals) & paths.variant.isin(variants)]`` (values
        compared as text), read from the file alone when the whole table is not loaded: a
        report shows a few variants of a sweep's 5 million path rows. ``None`` as ``paths``
        (no file, or an empty one); the index restarts at 0."""
        keep = [sorted({str(v) for v in values}) for values in (signals, variants)]
        if "paths" in self.__dict__:
            p = self.paths
            return None if p is None else p[p["signal"].isin(keep[0])
                                             & p["variant"].isin(keep[1])].reset_index(drop=True)
        path = self.path / PATHS
        if path.is_file() and _rows(path) == 0:
            return None
        rows = _parquet(path, keep_empty=True,
                        filters=[("signal", "in", keep[0]), ("variant", "in", keep[1])])
        return None if rows is None else rows.reset_index(drop=True)

    @functools.cached_property
    def backtest(self) -> pd.DataFrame | None:
        return _parquet(self.path / BACKTEST)

    @functools.cached_property
    def equity(self) -> pd.DataFrame | None:
        return _dated(_parquet(self.path / EQUITY))

    @functools.cached_property
    def prices(self) -> pd.DataFrame | None:
        return _dated(_parquet(self.path / PRICES))

    @functools.cached_property
    def validation(self) -> pd.DataFrame | None:  # [validation] studies only
        return _parquet(self.path / VALIDATION)

    @functools.cached_property
    def events(self) -> pd.DataFrame | None:  # every event (rare signals' events are listed)
        return _parquet(self.path / EVENTS)

    @functools.cached_property
    def walk_forward(self) -> pd.DataFrame | None:  # [validation] walk_forward studies only
        return _parquet(self.path / WALK_FORWARD)


def read_run(run_dir: Path) -> RunFolder:
    """The one reader: manifest and metrics are required (metrics columns checked); the
    other tables are read when first used."""
    run_dir = Path(run_dir)
    manifest = read_manifest(run_dir)
    metrics = _parquet(run_dir / METRICS)
    if metrics is None:
        raise StudyError("metrics.parquet is missing or empty",
                         where=str(run_dir / METRICS), fix="re-run the study")
    return RunFolder(run_dir, manifest, ensure_columns(metrics, where=str(run_dir / METRICS)))


def read_table(run_dir: Path, name: str) -> pd.DataFrame:
    """One table of a run folder by name (``metrics``, ``events``, ...), as written;
    empty when the file is missing (a run without backtest has no equity)."""
    path = Path(run_dir) / TABLES[name]
    if not path.is_file():
        return pd.DataFrame()
    return _parquet(path, keep_empty=True)


def ensure_columns(metrics: pd.DataFrame, where: str = "metrics") -> pd.DataFrame:
    """Check the required columns and add missing optional numeric ones as NaN (old or
    partial run folders still render).

    A table that needs nothing (any table this function returned, or a slice of one) comes
    back as it is, not copied: a report asks for it a dozen times, and on a 20,000-variant
    sweep each copy cost 0.1 s. Callers never modify the returned frame in place."""
    missing = [c for c in REQUIRED_COLUMNS if c not in metrics.columns]
    if missing:
        raise StudyError(f"metrics table lacks columns {missing}", where=where,
                         fix="re-run the study with this engine version")
    if _complete(metrics):
        return metrics
    out = metrics.copy()
    if "row" not in out.columns:  # the row's position in metrics.parquet: `study show-row`
        out["row"] = out.index if pd.api.types.is_integer_dtype(out.index) \
            else np.arange(len(out))
    for c in M.NUMERIC:
        if c not in out.columns:
            out[c] = np.nan
    if M.PARAMS not in out.columns:
        out[M.PARAMS] = "{}"
    for c in M.TEXT:
        if c not in out.columns:
            out[c] = ""
    edge = pd.to_numeric(out[M.EDGE], errors="coerce").astype(float)
    out[M.EDGE] = edge.where(edge.notna(), _rate_diff(out))
    return out


def _rate_diff(metrics: pd.DataFrame) -> pd.Series:
    """hit rate - base rate, the edge of rows whose edge column is blank."""
    return (pd.to_numeric(metrics[M.HIT_RATE], errors="coerce").astype(float)
            - pd.to_numeric(metrics[M.BASE_RATE], errors="coerce").astype(float))


def _complete(metrics: pd.DataFrame) -> bool:
    """Whether ``ensure_columns`` would return an equal frame: every column present and the
    edge already a float column wherever hit and base rates give one."""
    cols = metrics.columns
    if not ("row" in cols and M.PARAMS in cols and all(c in cols for c in M.NUMERIC)
            and all(c in cols for c in M.TEXT)) or metrics[M.EDGE].dtype != np.float64:
        return False
    return not (metrics[M.EDGE].isna() & _rate_diff(metrics).notna()).any()


def _dated(frame: pd.DataFrame | None) -> pd.DataFrame | None:
    """Time series with a DatetimeIndex whether "date" was saved as index or column."""
    if frame is None:
        return None
    if not isinstance(frame.index, pd.DatetimeIndex):
        if "date" in frame.columns:
            frame = frame.set_index("date")
        frame.index = pd.to_datetime(frame.index)
    return frame.sort_index()


def _rows(path: Path) -> int | None:
    """Rows of a Parquet file from its footer; None when the footer is unreadable (the read
    that follows then names the damage)."""
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path).metadata.num_rows
    except Exception:  # pyarrow raises many types for damaged bytes
        return None


def _parquet(path: Path, keep_empty: bool = False, filters: list | None = None,
             ) -> pd.DataFrame | None:
    if not path.is_file():
        if path.exists():  # a folder where the table belongs
            raise StudyError(f"{path.name} is not a file", where=str(path),
                             fix="re-run the study to rewrite the run folder")
        return None
    try:
        frame = pd.read_parquet(path, filters=filters)
    except Exception as exc:  # pyarrow raises many types for damaged bytes
        raise StudyError(f"cannot read {path.name} ({type(exc).__name__}: {str(exc)[:120]})",
                         where=str(path),
                         fix="re-run the study to rewrite the run folder") from None
    return frame if keep_empty or not frame.empty else None


def previous_run_changes(run_dir: Path) -> list[str]:
    """Lines naming each dataset (and the study file) that changed since the previous run
    (the latest earlier run whose manifest is readable; damaged ones are skipped)."""
    me = run_order(run_dir)
    siblings = [p for p in _completed_runs(run_dir.parent) if p != run_dir and run_order(p) < me]
    cur = read_manifest(run_dir)
    prev = None
    for sibling in reversed(siblings):
        with contextlib.suppress(StudyError):
            prev = read_manifest(sibling)
            break
    if prev is None:
        return []
    lines = []
    if prev.study.get("sha256") != cur.study.get("sha256"):
        lines.append(f"study file changed since the previous run {prev.run_id}")
    before = {d.get("id"): d.get("sha256") for d in prev.datasets if isinstance(d, dict)}
    for d in cur.datasets:
        old = before.get(d["id"])
        if old is not None and old != d["sha256"]:
            lines.append(f"dataset {d['id']} changed since the previous run {prev.run_id} "
                         f"(content sha256 {str(old)[:12]} -> {d['sha256'][:12]})")
    return lines
