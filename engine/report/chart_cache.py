"""Rendered charts kept across runs, keyed by everything that decides their SVG text.

Why: drawing a flagship report's 12 charts is about half of a warm ``study run`` (matplotlib's
layout and SVG writer), and a rerun of a study on unchanged data, or ``study report`` of a
run, draws the same charts again. A report reads only its run folder (``engine.report``), so
a chart's text is decided by the folder's tables and manifest (less the fields that only name
the run: id, time, command, commit, timings), the engine's code, the versions of what draws
it (Python, numpy, pandas, matplotlib) with matplotlib's settings, and the chart's name. The
key is a sha256 of all of these, so any change to any of them draws the chart anew; a hit is
the text the same drawing would give (``tests/test_chart_cache.py``).

Kept in ``<project>/.cache/charts/<key>.svg``, written atomically (``report.files``); the least
recently used are removed past ``MAX_FILES``. ``STUDY_CHART_CACHE=off`` turns the cache off,
``STUDY_CHART_CACHE=DIR`` keeps it in DIR.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
from functools import lru_cache
from pathlib import Path

MAX_FILES = 2000  # ~12 charts a report, 20-400 KB each
# manifest fields that name a run, not what it found (nothing a chart draws)
RUN_ONLY = frozenset({"run_id", "created", "command", "git_commit", "timings"})
_END = "</svg>\n"  # a complete file ends so (matplotlib's SVG writer)


class ChartCache:
    """The cached charts of one run folder's report (``get``/``put`` by chart name)."""

    def __init__(self, folder: Path, key: str) -> None:
        self.folder, self.key = folder, key

    def _file(self, name: str) -> Path:
        return self.folder / (hashlib.sha256(f"{self.key}\0{name}".encode()).hexdigest() + ".svg")

    def get(self, name: str) -> str | None:
        path = self._file(name)
        try:
            svg = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        if not svg.endswith(_END):
            return None  # damaged (a disk full, a hand edit): draw it again
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used
        return svg

    def put(self, name: str, svg: str) -> None:
        """Keep ``svg`` (a cache that cannot be written is no cache: the report goes on)."""
        from engine.report.files import write_atomic

        with contextlib.suppress(OSError):
            write_atomic(self._file(name), svg)

    def prune(self, keep: int = MAX_FILES) -> None:
        """Remove the least recently used files beyond ``keep``."""
        try:
            files = sorted(self.folder.glob("*.svg"), key=lambda p: p.stat().st_mtime)
            for old in files[:max(0, len(files) - keep)]:
                old.unlink(missing_ok=True)
        except OSError:
            pass


def for_run(run_dir: Path, manifest: dict) -> ChartCache | None:
    """The cache for the report of ``run_dir`` (None when turned off)."""
    from engine.paths import is_off, project_root

    setting = os.environ.get("STUDY_CHART_CACHE", "").strip()
    if is_off(setting):
        return None
    folder = Path(setting).expanduser() if setting else project_root() / ".cache" / "charts"
    return ChartCache(folder, report_key(Path(run_dir), manifest))


def report_key(run_dir: Path, manifest: dict) -> str:
    """sha256 of what decides a report's charts (the module docstring)."""
    h = hashlib.sha256()
    h.update(json.dumps({k: v for k, v in manifest.items() if k not in RUN_ONLY},
                        sort_keys=True, default=str).encode())
    for path in sorted(run_dir.glob("*.parquet")):
        with open(path, "rb") as fh:
            h.update(path.name.encode() + b"\0" + hashlib.file_digest(fh, "sha256").digest())
    h.update(_drawing_key().encode())
    return h.hexdigest()


@lru_cache(maxsize=1)
def _drawing_key() -> str:
    """The engine's code, the versions that draw a chart and matplotlib's settings."""
    import matplotlib
    import numpy
    import pandas

    h = hashlib.sha256()
    root = Path(__file__).resolve().parents[1]
    for path in sorted(root.rglob("*.py")):
        h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    versions = (sys.version, numpy.__version__, pandas.__version__, matplotlib.__version__)
    h.update(repr(versions).encode())
    h.update(repr(sorted((k, repr(v)) for k, v in matplotlib.rcParams.items())).encode())
    return h.hexdigest()
