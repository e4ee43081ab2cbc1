"""End to end on the real mirror: `study run small-cap-revisions`, the run folder contract,
re-rendering, the notebook API, compare and the scorecard as of 2025-06-30."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from engine.cli import app

pytestmark = pytest.mark.realdata

CONTRACT = [
    "signal", "variant", "params", "horizon", "horizon_days", "episode", "n_days", "n_events",
    "n_independent", "hit_rate", "base_rate", "edge", "mean_fwd", "median_fwd", "base_mean_fwd",
    "t_hac", "p_value", "q_value", "ci_low", "ci_high", "ic",
]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, real_mirror) -> Path:
    mirror = real_mirror
    out = tmp_path_factory.mktemp("results")
    res = CliRunner().invoke(app, ["run", "small-cap-revisions", "--out", str(out)],
                             env={"STUDY_DATA_MIRROR": str(mirror)})
    assert res.exit_code == 0, res.output
    assert "evidence first" in res.output
    assert "by episode at 3m" in res.output
    runs = list((out / "small-cap-revisions").iterdir())
    assert len(runs) == 1
    return runs[0]


def test_metrics_follow_the_contract(run_dir):
    m = pd.read_parquet(run_dir / "metrics.parquet")
    assert [c for c in CONTRACT if c not in m.columns] == []
    assert set(m["episode"]) == {"all", "2019", "2021", "2025", "2026"}
    assert set(m["horizon"]) == {"1m", "3m", "6m", "12m"}
    assert m["q_value"].dropna().between(0, 1).all()
    assert (m["q_value"].dropna() >= m.loc[m["q_value"].notna(), "p_value"] - 1e-12).all()
    # every hit rate has its sample size next to it
    assert (m.loc[m["hit_rate"].notna(), "n_events"] > 0).all()
    # S&P 600 breadth starts in 2024: the 2019 rows say "no data", never a made-up value
    small = m[(m["signal"] == "small-cap-breadth") & (m["episode"] == "2019")]
    assert len(small) and (small["n_days"] == 0).all() and small["hit_rate"].isna().all()
    # the revisions and breadth drivers are point-in-time data covering the 2025 episode
    for name in ("fwd-eps-revisions", "consensus-eps-revisions", "members-above-200d",
                 "breadth-thrust", "small-cap-breadth"):
        rows = m[(m["signal"] == name) & (m["episode"] == "2025")
                 & m["horizon"].isin(["1m", "3m"])]
        assert len(rows) and (rows["n_days"] > 0).all(), name
    # boolean signals have no IC
    assert m["ic"].isna().all()


def test_manifest_records_what_makes_the_run_reproducible(run_dir):
    man = json.loads((run_dir / "manifest.json").read_text())
    text = json.dumps(man)
    for key in ("sha256", "seed", "timings"):
        assert key in text
    ids = {d["id"]: d for d in man["datasets"]}
    assert {"index.RUT", "index.GSPC", "fred.BAMLH0A0HYM2", "breadth.sp500"} <= set(ids)
    assert all(len(d["sha256"]) == 64 and d["first"] and d["last"] for d in ids.values())
    assert man["study"]["sha256"] and man["seed"] == 7
    assert {"evaluate", "load", "signals"} <= set(man["timings"])
    assert "vectorbt" in text and "pandas" in text


def test_reports_backtest_and_equity_are_written(run_dir):
    html = (run_dir / "report.html").read_text()
    md = (run_dir / "report.md").read_text()
    for section in ("hit-rates", "event-study", "episodes", "backtest", "caveats"):
        assert f'id="{section}"' in html
    assert "<script src=" not in html  # self-contained: opens offline
    assert "small" in md.lower()
    bt = pd.read_parquet(run_dir / "backtest.parquet")
    assert "buy-and-hold" in set(bt["signal"])
    eq = pd.read_parquet(run_dir / "equity.parquet")
    assert np.allclose(eq.iloc[0].dropna(), 1.0)


def test_report_rerenders_without_recomputing(run_dir):
    before = (run_dir / "metrics.parquet").read_bytes()
    (run_dir / "report.md").unlink()
    res = CliRunner().invoke(app, ["report", str(run_dir)])
    assert res.exit_code == 0, res.output
    assert (run_dir / "report.md").is_file()
    assert (run_dir / "metrics.parquet").read_bytes() == before


def test_api_reopens_the_run(run_dir):
    import engine

    run = engine.load_run(run_dir)
    assert len(run.metrics) == len(pd.read_parquet(run_dir / "metrics.parquet"))
    assert run.report_path.is_file()
    assert not run.events.empty and {"date", "entry_date", "fwd_return"} <= set(run.events)
    ax = run.plot_hit_rates(horizon="3m")
    assert ax.lines or ax.collections  # an Axes (ax= to draw on your own)


def test_issue_12_done_no_zero_width_interval_and_no_tiny_row_on_top(run_dir):
    """The issue's "done when": no zero-width interval, no 1-2-event row above a 20+ one."""
    import engine

    run = engine.load_run(run_dir)
    m = run.metrics
    has = m["n_independent"] >= 1
    assert (m.loc[has, "ci_high"] > m.loc[has, "ci_low"]).all()
    ranked = run.ranked()
    tiny = ranked.index[ranked["n_independent"].between(1, 2)]
    big = ranked.index[ranked["n_independent"] >= 20]
    assert len(big) and (len(tiny) == 0 or tiny.min() > big.max())
    # t_hac only where it means something
    few = m["n_independent"] < 10
    assert m.loc[few, "t_hac"].isna().all() and m.loc[few, "p_hac"].isna().all()
    assert (m.loc[m["episode"] != "all", "p_value"].isna()).all()


def test_compare_ranks_across_runs(run_dir, tmp_path):
    res = CliRunner().invoke(app, ["compare", str(run_dir), "--horizon", "3m", "--by", "edge",
                                   "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "compare.md").is_file() and (tmp_path / "compare.html").is_file()
    from engine.compare import compare

    table, _, _ = compare([str(run_dir)], horizon="3m", by="edge", out=tmp_path,
                          min_independent=20)
    assert len(table) and (table["n_independent"] >= 20).all()
    assert table["edge"].is_monotonic_decreasing
    none = CliRunner().invoke(app, ["compare", str(run_dir), "--min-independent", "100000",
                                    "--out", str(tmp_path)])
    assert none.exit_code == 2 and "independent events" in none.output


def test_scorecard_as_of_2025_06_30(real_mirror):
    res = CliRunner().invoke(app, ["scorecard", "--date", "2025-06-30"],
                             env={"STUDY_DATA_MIRROR": str(real_mirror)})
    assert res.exit_code == 0, res.output
    assert "as of 2025-06-30" in res.output
    # Shiller data end in 2023: those conditions have no data, they are not imputed
    assert "no data" in res.output
    assert "historical odds" in res.output


def test_run_study_api_with_overrides(real_mirror, tmp_path, monkeypatch):
    import engine

    monkeypatch.setenv("STUDY_DATA_MIRROR", str(real_mirror))
    run = engine.run_study("small-cap-revisions", horizons=["3m"], episodes=["2021"],
                           out=tmp_path, backtest=False, reports=False)
    m = run.metrics
    assert set(m["horizon"]) == {"3m"} and set(m["episode"]) == {"all", "2021"}
    assert run.manifest["overrides"] and run.path.parent.parent == tmp_path
    assert run.equity.empty and not (run.path / "report.html").exists()
