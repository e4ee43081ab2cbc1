"""Writing report files atomically (reading a run folder is ``engine.runfolder``'s job)."""

from __future__ import annotations

import os
from pathlib import Path

from engine import atomic
from engine.report.model import Document


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


def write_document(doc: Document, folder: Path, stem: str) -> tuple[Path, Path]:
    """A report ``Document`` as ``folder/stem.md`` (its charts as SVG files in
    ``folder/stem-charts/``) and the self-contained ``folder/stem.html``, each atomically."""
    from engine.report import html, markdown

    folder = Path(folder)
    chart_dir = f"{stem}-charts"
    for c in doc.charts():
        write_atomic(folder / chart_dir / f"{c.name}.svg", c.svg)
    md = write_atomic(folder / f"{stem}.md", markdown.render(doc, chart_dir=chart_dir))
    page = write_atomic(folder / f"{stem}.html", html.render(doc))
    return md, page
