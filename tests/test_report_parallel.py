"""Charts rendered in forked workers are the same SVG text as rendered one by one (#15)."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from engine.report import charts
from engine.report.model import Chart


def _figures() -> list[Chart]:
    rng = np.random.default_rng(3)
    out = []
    for i in range(5):
        fig = Figure(figsize=(4, 3), layout="constrained")
        axes = fig.subplots(1, 2, sharey=True)
        for ax in axes:
            ax.plot(np.cumsum(rng.normal(size=200)), label=f"line {i}")
            ax.set_title(f"panel {i}")
        fig.legend(loc="outside lower center")
        out.append(Chart(f"chart-{i}", f"chart {i}", "", figure=fig))
    return out


@pytest.mark.skipif(charts._workers(2) < 2, reason="needs 2 cores and fork")
def test_parallel_rendering_is_byte_identical(monkeypatch):
    monkeypatch.setenv("STUDY_REPORT_PROCESSES", "1")
    serial = _figures()
    charts.render_pending(serial)
    monkeypatch.setenv("STUDY_REPORT_PROCESSES", "2")
    assert charts._workers(5) == 2
    parallel = _figures()
    charts.render_pending(parallel)
    assert [c.svg for c in parallel] == [c.svg for c in serial]
    assert all(c.svg.startswith("<?xml") and c.figure is None for c in parallel)


def test_worker_count():
    assert charts._workers(1) == 1  # one chart: no pool


def test_render_pending_leaves_rendered_charts_alone():
    done = Chart("x", "x", "<svg/>")
    charts.render_pending([done])
    assert done.svg == "<svg/>"
