"""Writing report files atomically (reading a run folder is ``engine.runfolder``'s job)."""

from __future__ import annotations

import os
from pathlib import Path

from engine import atomic


def write_atomic(path: Path, text: str) -> Path:
    """Write via a temp file in the same folder and ``os.replace``: readers never see a
    half-written report, and a crash leaves the previous version in place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.clean_stale(path.parent)  # what a killed `study report` left behind
    tmp = atomic.tmp_path(path.parent, path.name)
    try:
        with open(tmp, "x", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)  # reports are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
