"""Charts rendered in forked workers are the same SVG text as rendered one by one (#15)."""

from __future__ import annotations

import functools

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


def _built(i: int) -> Figure:
    return _figures()[i].figure


def _broken() -> Figure:
    from engine.errors import StudyError

    raise StudyError("no rows with horizon '9m'", where="rank_table(horizon=...)",
                     fix="use one of ['1m', '3m']")


@pytest.mark.parametrize("workers", ["1", "2"])
def test_chart_builders_are_drawn_like_figures(monkeypatch, workers):
    """A chart may hold a builder (``content._chart``): built where it is rendered, with the
    same SVG as the Figure it returns, serially and in the workers."""
    monkeypatch.setenv("STUDY_REPORT_PROCESSES", "1")
    want = _figures()
    charts.render_pending(want)
    monkeypatch.setenv("STUDY_REPORT_PROCESSES", workers)
    lazy = [Chart(c.name, c.title, "", figure=functools.partial(_built, i))
            for i, c in enumerate(want)]
    charts.render_pending(lazy)
    assert [c.svg for c in lazy] == [c.svg for c in want]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_builder_error_reaches_the_parent_whole(monkeypatch, workers):
    """Bad input found while a worker builds a chart is the same StudyError in the parent
    (message, where and fix survive the pickle), so the CLI still exits 2 with its fix."""
    from engine.errors import StudyError

    monkeypatch.setenv("STUDY_REPORT_PROCESSES", workers)
    jobs = [Chart("ok", "ok", "", figure=functools.partial(_built, 0)),
            Chart("bad", "bad", "", figure=_broken)]
    with pytest.raises(StudyError) as err:
        charts.render_pending(jobs)
    assert err.value.where == "rank_table(horizon=...)"
    assert err.value.fix == "use one of ['1m', '3m']"
    assert str(err.value) == ("rank_table(horizon=...): no rows with horizon '9m'\n"
                              "Fix: use one of ['1m', '3m']")
