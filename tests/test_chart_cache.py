"""Charts kept across runs (#15): a hit is the text the same drawing gives, and anything a
chart is drawn from (a table, the manifest, the code, matplotlib's settings) draws it anew."""

from __future__ import annotations

import json
import os
from pathlib import Path

import matplotlib
import pandas as pd
import pytest

from engine.report import chart_cache, charts, write_reports
from tests.test_report import write_run


def _outputs(run: Path) -> dict[str, bytes]:
    files = [run / "report.md", run / "report.html", *sorted((run / "charts").glob("*.svg"))]
    return {str(p.relative_to(run)): p.read_bytes() for p in files}


def _draws(monkeypatch) -> list[str]:
    """Names of the charts drawn from here on (drawn here, one by one, to be counted)."""
    monkeypatch.setenv("STUDY_REPORT_PROCESSES", "1")
    drawn: list[str] = []
    real = charts._draw

    def counting(figure, salt):
        drawn.append(salt)
        return real(figure, salt)

    monkeypatch.setattr(charts, "_draw", counting)
    return drawn


@pytest.fixture
def cached(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("STUDY_CHART_CACHE", str(folder))
    return folder


def test_a_rerun_draws_nothing_and_writes_the_same_bytes(tmp_path, monkeypatch, cached):
    drawn = _draws(monkeypatch)
    monkeypatch.setenv("STUDY_CHART_CACHE", "off")
    plain = write_run(tmp_path / "plain")
    write_reports(plain)
    n_charts = len(drawn)
    assert n_charts >= 8
    monkeypatch.setenv("STUDY_CHART_CACHE", str(cached))
    run = write_run(tmp_path / "run")
    write_reports(run)  # a miss: drawn and kept
    assert len(drawn) == 2 * n_charts
    assert len(list(cached.glob("*.svg"))) == n_charts
    again = write_run(tmp_path / "again")  # the same tables and manifest, another folder
    write_reports(again)
    assert len(drawn) == 2 * n_charts  # every chart from the cache
    assert _outputs(again) == _outputs(run) == _outputs(plain)


def test_the_fields_that_name_a_run_draw_nothing_differently(tmp_path, monkeypatch):
    """The key leaves out run id, time, command, commit and timings: drawn without the cache,
    a run differing only in those gives the same charts."""
    monkeypatch.setenv("STUDY_REPORT_PROCESSES", "1")
    a, b = write_run(tmp_path / "a"), write_run(tmp_path / "b")
    m = json.loads((b / "manifest.json").read_text())
    m |= {"run_id": "20990101T000000-ffffffff", "created": "2099-01-01T00:00:00+00:00",
          "command": "study run other --seed 1", "git_commit": "0" * 40,
          "timings": {"evaluate": 99.0}}
    assert set(m) >= chart_cache.RUN_ONLY
    (b / "manifest.json").write_text(json.dumps(m))
    write_reports(a)
    write_reports(b)
    svgs = [{p.name: p.read_bytes() for p in (r / "charts").glob("*.svg")} for r in (a, b)]
    assert svgs[0] == svgs[1]
    key = [chart_cache.report_key(r, json.loads((r / "manifest.json").read_text()))
           for r in (a, b)]
    assert key[0] == key[1]


def test_any_change_to_what_a_chart_is_drawn_from_draws_it_anew(tmp_path, monkeypatch):
    run = write_run(tmp_path / "run")
    manifest = json.loads((run / "manifest.json").read_text())
    base = chart_cache.report_key(run, manifest)
    keys = {base}
    # a table's values
    m = pd.read_parquet(run / "metrics.parquet")
    m.loc[0, "hit_rate"] = 0.123
    m.to_parquet(run / "metrics.parquet")
    keys.add(chart_cache.report_key(run, manifest))
    # the study in the manifest
    keys.add(chart_cache.report_key(run, manifest | {"study": {"benchmark": None}}))
    # matplotlib's settings and the code (the drawing key is remembered per process)
    chart_cache._drawing_key.cache_clear()
    with matplotlib.rc_context({"lines.linewidth": 3.0}):
        keys.add(chart_cache.report_key(run, manifest))
    chart_cache._drawing_key.cache_clear()
    real = chart_cache.Path.read_bytes
    monkeypatch.setattr(chart_cache.Path, "read_bytes", lambda self: real(self) + b"# edited\n")
    keys.add(chart_cache.report_key(run, manifest))
    chart_cache._drawing_key.cache_clear()
    assert len(keys) == 5


def test_a_damaged_file_is_drawn_again_and_off_keeps_nothing(tmp_path, monkeypatch, cached):
    drawn = _draws(monkeypatch)
    run = write_run(tmp_path / "run")
    write_reports(run)
    want, n = _outputs(run), len(drawn)
    victim = max(cached.glob("*.svg"), key=lambda p: p.stat().st_size)
    victim.write_text(victim.read_text()[:500])  # cut short
    write_reports(run)
    assert len(drawn) == n + 1 and _outputs(run) == want
    assert victim.read_text().endswith("</svg>\n")  # replaced by the drawing
    monkeypatch.setenv("STUDY_CHART_CACHE", "off")
    assert chart_cache.for_run(run, {}) is None
    write_reports(write_run(tmp_path / "other", title="Another title"))
    assert len(drawn) == 2 * n + 1
    assert len(list(cached.glob("*.svg"))) == n  # nothing kept while off


def test_prune_keeps_the_most_recently_used(tmp_path):
    cache = chart_cache.ChartCache(tmp_path, "k")
    for i in range(6):
        cache.put(f"c{i}", f"<svg>{i}</svg>\n")
        path = cache._file(f"c{i}")
        os.utime(path, (1_000_000 + i, 1_000_000 + i))
    assert cache.get("c0") == "<svg>0</svg>\n"  # used now: the most recent
    cache.prune(keep=3)
    assert sorted(p.name for p in tmp_path.glob("*.svg")) == sorted(
        cache._file(n).name for n in ("c0", "c4", "c5"))
    assert cache.get("c1") is None


def test_an_unwritable_cache_is_no_cache(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("STUDY_CHART_CACHE", str(blocker / "charts"))
    run = write_run(tmp_path / "run")
    write_reports(run)  # the report is written all the same
    assert (run / "report.html").is_file() and len(list((run / "charts").glob("*.svg"))) >= 8
