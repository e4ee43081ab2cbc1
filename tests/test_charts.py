"""Tear-sheet charts: the numbers behind them, and plots that take ``ax=`` and return it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from engine.report import charts

try:
    from tests.test_report import manifest, metrics_frame
except ImportError:
    from test_report import manifest, metrics_frame


def prices(n: int = 40) -> pd.DataFrame:
    idx = pd.bdate_range("2020-01-01", periods=n, name="date")
    t = np.arange(n, dtype=float)
    return pd.DataFrame({"target": 100 * 1.01 ** t, "benchmark": 50 * 1.005 ** t}, index=idx)


def test_base_paths_is_the_mean_cumulative_return_after_every_day():
    p = prices()
    base = charts.base_paths(p, 5, relative=False)
    assert base == pytest.approx([1.01 ** d - 1 for d in range(6)])
    rel = charts.base_paths(p, 5, relative=True)
    assert rel == pytest.approx([(1.01 ** d - 1) - (1.005 ** d - 1) for d in range(6)])
    assert charts.base_paths(None, 5, relative=False) is None


def test_drawdown_and_the_hedged_benchmark():
    dd = charts.drawdown(pd.Series([1.0, 2.0, 1.0, 3.0, 1.5]))
    assert dd.tolist() == pytest.approx([0, 0, -0.5, 0, -0.5])
    s = charts._spread_index(prices(4))
    assert s.tolist() == pytest.approx([1, 1.005, 1.005 ** 2, 1.005 ** 3])


def test_hit_rate_axis_is_0_to_100_and_all_hit_rows_have_whiskers():
    m = metrics_frame()
    sel = (m["signal"] == "beta") & (m["episode"] == "all")
    m.loc[sel, ["hit_rate", "hit_rate_independent", "ci_low", "ci_high"]] = [1.0, 1.0, 0.6, 1.0]
    fig = charts.hit_rate_figure(m, manifest=manifest())
    ax = fig.axes[0]
    assert ax.get_xlim() == (0, 100)
    # every errorbar has a visible lower whisker (the all-hit row: 60..100)
    segs = [c for c in ax.collections if hasattr(c, "get_segments")]
    widths = [abs(s[1][0] - s[0][0]) for c in segs for s in c.get_segments()]
    assert widths and min(widths) > 0


@pytest.mark.parametrize("plot", ["event", "equity", "drawdown", "dist", "rolling", "hits"])
def test_plots_take_ax_and_return_it(plot):
    fig = Figure()
    ax = fig.subplots()
    idx = pd.bdate_range("2020-01-01", periods=30)
    eq = pd.DataFrame({"a|x": np.linspace(1, 2, 30)}, index=idx)
    path = pd.DataFrame({"day": range(5), "mean": 0.01, "low": 0.0, "high": 0.02, "n": 7})
    events = pd.DataFrame({"date": idx, "hit": [True, False] * 15})
    m = metrics_frame()
    m = m[m["episode"] == "all"]
    calls = {
        "event": lambda: charts.plot_event_path(path, np.zeros(5), ax=ax, title="s"),
        "equity": lambda: charts.plot_equity(eq, ["a|x"], eq["a|x"] * 0 + 1, ax=ax),
        "drawdown": lambda: charts.plot_drawdown(eq, ["a|x"], None, ax=ax),
        "dist": lambda: charts.plot_distribution(np.r_[0.01, -0.02], np.r_[0.0, 0.01], ax=ax),
        "rolling": lambda: charts.plot_rolling_hit_rate(events, 0.5, ax=ax, window=10),
        "hits": lambda: charts.plot_hit_rates(m, ["alpha", "beta"], "signal", ["3m"], ax=ax),
    }
    assert calls[plot]() is ax
    assert ax.has_data()


def test_rolling_hit_rate_values():
    idx = pd.bdate_range("2020-01-01", periods=6)
    events = pd.DataFrame({"date": idx, "hit": [True, True, False, False, True, True]})
    ax = charts.plot_rolling_hit_rate(events, 0.5, window=2)
    y = ax.lines[0].get_ydata()
    assert list(y) == [100, 50, 0, 50, 100]


def test_heatmap_cells_count_and_chosen_value_of_a_collapsed_axis():
    """A collapsed axis shows the variant the one ranking puts first (lowest q, then more
    independent events, then |edge|), not the largest edge; the value is the tested edge."""
    rows = pd.DataFrame({"a": [1, 1, 1, 1], "b": [5, 5, 6, 6], "c": [7, 8, 7, 8],
                         "horizon": "3m", "edge": [0.1, 0.3, 0.2, -0.1],
                         "edge_independent": [0.12, 0.3, 0.2, -0.15],
                         "q_value": [0.01, 0.5, 0.5, 0.5], "n_independent": [11, 12, 13, 14]})
    n, chosen = charts.heatmap_cells(rows, ["a", "b", "c"], "3m")
    assert n.loc[1, 5] == 11 and chosen.loc[1, 5] == "c=7"  # q 0.01 beats a larger edge
    assert n.loc[1, 6] == 14 and chosen.loc[1, 6] == "c=8"  # same q: more independent events
    edge, _ = charts.heatmap_grid(rows, ["a", "b", "c"], "3m")
    assert edge.loc[1, 5] == pytest.approx(0.12) and edge.loc[1, 6] == pytest.approx(-0.15)
    fig = charts.sweep_figure(rows, ["a", "b", "c"], "sig", "3m")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "+12.0*\nn 11\nc=7" in texts and "-15.0\nn 14\nc=8" in texts


def test_calendar_returns_by_hand():
    idx = pd.to_datetime(["2020-03-02", "2020-12-31", "2021-06-30", "2021-12-31",
                          "2022-02-01"])
    v = pd.DataFrame({"s": [1.0, 1.2, 1.5, 1.8, 0.9]}, index=idx)
    out = charts.calendar_returns(v)
    assert list(out.index) == [2020, 2021, 2022]
    np.testing.assert_allclose(out["s"], [1.2 / 1.0 - 1, 1.8 / 1.2 - 1, 0.9 / 1.8 - 1])
    assert list(out["partial"]) == [True, False, True]




def test_event_study_shows_each_signals_best_variant_that_has_paths():
    """The best variant at the horizon when paths has it; else the signal's first variant in
    paths; a signal without paths is left out. Variants stored as numbers match their text."""
    from engine.report import tables as T

    m = metrics_frame()
    best = T.best_variants(m)
    best = best[(best["horizon"] == "3m") & (best["n_events"] > 0)]
    wanted = [(str(s), str(v)) for s, v in zip(best["signal"], best["variant"], strict=True)]
    assert len(wanted) >= 2
    pairs = m[["signal", "variant"]].drop_duplicates()
    paths = pairs.loc[pairs.index.repeat(3)].assign(day=np.tile(np.arange(3), len(pairs)))
    assert charts.event_study_variants(paths, m, "3m") == wanted

    (s0, v0), (s1, _) = wanted[0], wanted[1]
    fewer = paths[~((paths["signal"] == s0) & (paths["variant"] == v0))
                  & (paths["signal"] != s1)]
    first = fewer.loc[fewer["signal"] == s0, "variant"].iloc[0]
    assert first != v0
    assert charts.event_study_variants(fewer, m, "3m") == \
        [(s0, first)] + [w for w in wanted[2:]]

    # the report reads only the candidates' rows (RunFolder.paths_of) when they are all there
    cands = charts.event_study_candidates(m, "3m")
    assert charts.has_candidate_paths(paths, cands)
    assert not charts.has_candidate_paths(fewer, cands)  # so the report reads every path
    narrow = paths[paths["signal"].isin(cands["signal"]) & paths["variant"].isin(cands["variant"])]
    assert len(narrow) < len(paths)
    assert charts.event_study_variants(narrow, m, "3m") == wanted

    numeric = m.assign(variant=m["variant"].astype("category").cat.codes.astype(int))
    npaths = numeric[["signal", "variant"]].drop_duplicates()
    got = charts.event_study_variants(npaths.assign(day=0), numeric, "3m")
    nbest = T.best_variants(numeric)
    nbest = nbest[(nbest["horizon"] == "3m") & (nbest["n_events"] > 0)]
    assert got == [(str(s), str(v)) for s, v in zip(nbest["signal"], nbest["variant"],
                                                     strict=True)]
    assert charts.has_candidate_paths(npaths.assign(day=0),
                                      charts.event_study_candidates(numeric, "3m"))
