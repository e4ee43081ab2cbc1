"""Run folders: ``results/<study>/<timestamp>-<hash>/`` written whole or not at all.

Everything is written into a hidden temporary folder beside the final one and renamed at
the end, so a failed or interrupted run leaves nothing half-written, and two concurrent runs
of the same study get two separate complete folders.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import uuid
from importlib import metadata
from pathlib import Path

import pandas as pd

from engine.errors import StudyError

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
    return exc.args[0] if len(exc.args) == 1 and isinstance(exc.args[0], int) else None


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
            self.tmp = parent / f".tmp-{name}-{uuid.uuid4().hex[:8]}"
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
    return run_dir.name.split("-")[0], (run_dir / "manifest.json").stat().st_mtime_ns


def _completed_runs(study_dir: Path) -> list[Path]:
    return sorted((p for p in study_dir.glob("*") if p.is_dir() and not p.name.startswith(".")
                   and (p / "manifest.json").is_file()), key=run_order)


def latest_run(study_dir: Path) -> Path | None:
    runs = _completed_runs(study_dir)
    return runs[-1] if runs else None


def read_manifest(run_dir: Path) -> dict:
    path = run_dir / "manifest.json"
    if not path.is_file():
        raise StudyError("not a run folder (no manifest.json)", where=str(run_dir),
                         fix="pass a folder under results/<study>/")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise StudyError(f"manifest.json is corrupt ({exc})", where=str(path),
                         fix="re-run the study") from None


def previous_run_changes(run_dir: Path) -> list[str]:
    """Lines naming each dataset (and the study file) that changed since the previous run."""
    me = run_order(run_dir)
    siblings = [p for p in _completed_runs(run_dir.parent) if p != run_dir and run_order(p) < me]
    if not siblings:
        return []
    prev, cur = read_manifest(siblings[-1]), read_manifest(run_dir)
    lines = []
    if prev["study"].get("sha256") != cur["study"].get("sha256"):
        lines.append(f"study file changed since the previous run {prev['run_id']}")
    before = {d["id"]: d["sha256"] for d in prev.get("datasets", [])}
    for d in cur.get("datasets", []):
        old = before.get(d["id"])
        if old is not None and old != d["sha256"]:
            lines.append(f"dataset {d['id']} changed since the previous run {prev['run_id']} "
                         f"(content sha256 {old[:12]} -> {d['sha256'][:12]})")
    return lines
