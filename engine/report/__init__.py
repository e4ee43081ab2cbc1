"""Reports from a run folder: terminal table, report.md and a self-contained report.html.

Reads only the run folder (never market data), so ``study report RUN`` re-renders any old
run exactly. Modules: ``tables`` (selection and number formats), ``verdict`` (plain-language
sentence per row), ``charts`` (deterministic SVG), ``content`` (what the report says),
``markdown``/``html`` (rendering), ``terminal`` (rich), ``compare`` (cross-run report).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from engine.report.tables import rank_table
from engine.report.terminal import print_table
from engine.report.verdict import verdict

if TYPE_CHECKING:
    from engine.report.compare import write_compare_reports

__all__ = ["print_table", "rank_table", "verdict", "write_compare_reports", "write_reports"]


def __getattr__(name: str):
    """``write_compare_reports`` is imported on first use (PEP 562): it pulls in the charts and
    matplotlib, which the table and text output of most commands never need (#15)."""
    if name == "write_compare_reports":
        from engine.report.compare import write_compare_reports

        return write_compare_reports
    raise AttributeError(f"module 'engine.report' has no attribute {name!r}")

CHART_DIR = "charts"


def write_reports(run_dir: Path) -> tuple[Path, Path]:
    """Write ``run_dir/report.md`` (charts as ``run_dir/charts/*.svg``) and the
    self-contained ``run_dir/report.html``, each atomically; return their paths."""
    from engine.report import content, html, markdown
    from engine.report.files import write_atomic
    from engine.runfolder import read_run

    run_dir = Path(run_dir)
    doc = content.build(read_run(run_dir))
    chart_dir = run_dir / CHART_DIR
    names = set()
    for chart in doc.charts():
        write_atomic(chart_dir / f"{chart.name}.svg", chart.svg)
        names.add(f"{chart.name}.svg")
    for stale in chart_dir.glob("*.svg") if chart_dir.is_dir() else []:
        if stale.name not in names:
            stale.unlink()
    md = write_atomic(run_dir / "report.md", markdown.render(doc, chart_dir=CHART_DIR))
    page = write_atomic(run_dir / "report.html", html.render(doc))
    return md, page
