"""Rally anatomy: detection on hand-made paths, Fisher odds ratios, analog search, point in time."""

from __future__ import annotations

import tomllib

import numpy as np
import pandas as pd
import pytest
from scipy.stats import fisher_exact
from scipy.stats.contingency import odds_ratio

from engine.anatomy import analogs as A
from engine.anatomy import case as K
from engine.anatomy import compute as C
from engine.anatomy import detect, drivers
from engine.data.catalog import Entry
from engine.data.panel import Panel
from engine.errors import SpecError
from engine.scorecard.score import truncate_panel
from engine.study.rally_rules import RallyRule, SustainRule
from engine.study.spec import Horizon, parse_study

H5 = (Horizon("5d", 5),)


def _rule(**kw) -> RallyRule:
    base = {"series": "target", "gain": 0.10, "low_window": 10, "within": 5, "min_gap": 20,
            "sustained": SustainRule(Horizon("5d", 5), 0.0, 0.05)}
    base.update(kw)
    return RallyRule(**base)


def _path() -> np.ndarray:
    # 0..11 flat at 100; falls to the trough 90 on day 15; 99 (= 90 * 1.1) on day 18: start
    up = [100.0] * 12 + [97.0, 94.0, 92.0, 90.0, 93.0, 96.0, 99.0]
    after = [100.0, 101.0, 102.0, 103.0, 104.0, 105.0, 106.0]  # entry day 19 = 100; +6% at 5d
    return np.array(up + after + [106.0] * 10)


def _dates(n: int) -> pd.DatetimeIndex:
    return pd.bdate_range("2020-01-01", periods=n, name="date")


def test_start_trough_and_sustained_outcome_by_hand():
    close = _path()
    table = detect.find_rallies(_dates(len(close)), close, None, _rule(), H5)
    assert len(table) == 1
    row = table.iloc[0]
    d = _dates(len(close))
    assert row["start"] == d[18] and row["trough"] == d[15] and row["entry"] == d[19]
    assert row["trough_to_start_days"] == 3
    assert row["gain_at_start"] == pytest.approx(0.10)
    assert row["ret_5d"] == pytest.approx(105.0 / 100.0 - 1)  # close[24] / close[19]
    assert row["series_5d"] == pytest.approx(0.05)
    assert row["giveback"] == pytest.approx(0.0)
    assert row["outcome"] == "sustained"


def test_rule_met_only_uses_the_past():
    close = _path()
    full, trough = detect.rule_met(close, _rule())
    for t in (9, 15, 18, 25):
        part, tr = detect.rule_met(close[: t + 1], _rule())
        np.testing.assert_array_equal(part, full[: t + 1])
        np.testing.assert_array_equal(tr, trough[: t + 1])
    assert np.isnan(full[:9]).all()  # no full trailing window yet: no data, not "off"


def test_giveback_fails_early_and_pending_at_the_end():
    close = _path().copy()
    close[19:] = [100.0, 101.0, 94.0, 100.0, 102.0, 106.0] + [106.0] * 11  # 7% below peak
    t = detect.find_rallies(_dates(len(close)), close, None, _rule(), H5)
    assert t.iloc[0]["giveback"] == pytest.approx(1 - 94.0 / 101.0)
    assert t.iloc[0]["outcome"] == "failed"
    short = _path()[:22]  # entry day 19, horizon not reached
    t2 = detect.find_rallies(_dates(22), short, None, _rule(), H5)
    assert t2.iloc[0]["outcome"] == "pending" and np.isnan(t2.iloc[0]["ret_5d"])


def test_relative_series_and_min_gap():
    close = np.r_[_path(), _path()]  # the same rally twice, 36 days apart
    bench = np.full(len(close), 64.0)  # a power of two: the ratio divides exactly
    rel = _rule(series="relative")
    t = detect.find_rallies(_dates(len(close)), close, bench, rel, H5)
    assert list(t["start"]) == [_dates(len(close))[18], _dates(len(close))[36 + 18]]
    assert t["excess_5d"].to_numpy() == pytest.approx(t["ret_5d"].to_numpy())
    gap = detect.find_rallies(_dates(len(close)), close, bench, _rule(series="relative",
                                                                        min_gap=40), H5)
    assert len(gap) == 1
    assert detect.independent(np.array([0, 3, 5, 10]), 5).tolist() == [True, False, True, True]


def test_a_rule_that_finds_nothing_is_an_empty_labelled_table():
    close = np.linspace(100, 101, 60)
    t = detect.find_rallies(_dates(60), close, None, _rule(), H5)
    assert t.empty and "outcome" in t.columns


# ------------------------------------------------------------------ drivers vs outcome
def test_fisher_matches_r_and_scipy():
    # R: fisher.test(matrix(c(3, 1, 1, 3), 2)) -> OR 6.408309, CI 0.2117329 .. 621.9337,
    # p = 0.4857
    row = drivers.fisher_row(3, 1, 1, 3)
    assert row["odds_ratio"] == pytest.approx(6.408309, rel=1e-5)
    assert row["ci_low"] == pytest.approx(0.2117329, rel=1e-4)
    # R finds the upper root with uniroot's loose default tolerance; scipy solves it tighter
    assert row["ci_high"] == pytest.approx(621.9337, rel=1e-2)
    assert row["p_value"] == pytest.approx(0.4857143, rel=1e-5)
    table = np.array([[7, 2], [3, 9]])
    ref = odds_ratio(table, kind="conditional")
    got = drivers.fisher_row(7, 2, 3, 9)
    ci = ref.confidence_interval(0.95)
    assert got["odds_ratio"] == pytest.approx(ref.statistic)
    assert (got["ci_low"], got["ci_high"]) == pytest.approx((ci.low, ci.high))
    assert got["p_value"] == pytest.approx(fisher_exact(table).pvalue)
    assert np.isnan(drivers.fisher_row(0, 0, 3, 4)["odds_ratio"])  # nothing on: undefined


def test_no_data_is_never_off_and_q_values():
    values = np.array([[1, np.nan], [1, 0], [0, np.nan], [0, 1], [1, np.nan], [0, 0]], float)
    states = drivers.states_at(values, np.arange(6), ["a", "b"])
    outcome = pd.Series(["sustained", "sustained", "failed", "failed", "sustained", "pending"])
    tab = drivers.driver_table(states, outcome, np.ones(6, dtype=bool)).set_index("driver")
    assert tab.loc["a", ["n_on", "n_off", "n_no_data"]].tolist() == [3, 2, 0]
    assert tab.loc["b", ["n_on", "n_off", "n_no_data"]].tolist() == [1, 1, 3]
    assert tab.loc["a", "share_on"] == 1.0 and tab.loc["a", "share_off"] == 0.0
    p = tab["p_value"].to_numpy()
    from engine.evaluate.stats import bh_qvalues

    np.testing.assert_allclose(tab["q_value"].to_numpy(), bh_qvalues(p))
    counts = drivers.count_table(states, outcome, np.ones(6, dtype=bool))
    by = counts.set_index("drivers_on")
    assert by["n"].to_dict() == {0: 1, 1: 4} and by["sustained"].to_dict() == {0: 0, 1: 3}
    assert by.loc[1, "with_data"] == pytest.approx(6 / 4)  # rows 0 and 4 lack b


# ------------------------------------------------------------------ analogs
def test_analog_search_finds_the_planted_neighbour_once_per_window():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 3))
    query = 399
    x[120] = x[query] + 0.01  # planted nearest neighbour
    x[123] = x[query] + 0.02  # next nearest, but inside the same 10-day window
    x[300] = x[query] + 0.05
    res = A.nearest(x, query, k=3, horizon=10)
    assert res.positions[0] == 120 and 123 not in res.positions
    assert res.positions[1] == 300
    assert res.distances[0] < res.distances[1] < res.distances[2]
    x2 = x.copy()
    x2[395] = x[query]  # too recent: its 10-day forward window is not known on the query day
    assert 395 not in A.nearest(x2, query, k=3, horizon=10).positions


def test_k_larger_than_independent_analogs_is_said():
    x = np.arange(30, dtype=float)[:, None]
    res = A.nearest(x, 29, k=10, horizon=10)
    assert len(res.positions) < 10 and "only" in res.note
    nan = np.full((30, 1), np.nan)
    assert "no feature" in A.nearest(nan, 29, k=3, horizon=5).note


# ------------------------------------------------------------------ study file + panel
STUDY = """
[study]
title = "tiny rallies"
question = "which rallies lasted?"
target = "index.T"
benchmark = "index.B"
horizons = ["5d", "20d"]

[rallies]
gain = 0.05
low_window = 40
within = 20
min_gap = 30

[rallies.sustained]
horizon = "20d"
max_giveback = 0.1

[analogs]
k = 3
horizon = "20d"
features = [
  { name = "rel-20d", transform = "relative_return", days = 20 },
  { name = "macro", series = "fred.M", transform = "level" },
]

[case]
scorecard = ""

[[signals]]
name = "uptrend"
family = "trend.above_ma"
params = { series = "@target", window = 20 }

[[signals]]
name = "macro-ok"
family = "macro.above_trend"
params = { series = "fred.M", trend = 3, above = 0.0 }
"""


def _entry(id_, frequency, lag, columns=("value",)):
    return Entry(id=id_, source="csv", file=f"{id_}.csv", frequency=frequency, units="",
                 description="", lag_days=lag, columns=columns)


@pytest.fixture()
def tiny(tmp_path):
    days = pd.bdate_range("2015-01-01", "2019-12-31", name="date")
    rng = np.random.default_rng(4)
    t = 100 * np.exp(np.cumsum(rng.normal(0.0002, 0.012, len(days))))
    b = 100 * np.exp(np.cumsum(rng.normal(0.0002, 0.008, len(days))))
    months = pd.date_range("2014-06-01", "2019-12-01", freq="MS")
    frames = {"index.T": pd.DataFrame({"close": t}, index=days),
              "index.B": pd.DataFrame({"close": b}, index=days),
              "fred.M": pd.DataFrame({"value": rng.normal(size=len(months)).cumsum()},
                                     index=months)}
    entries = {"index.T": _entry("index.T", "daily", 0, ("close",)),
               "index.B": _entry("index.B", "daily", 0, ("close",)),
               "fred.M": _entry("fred.M", "monthly", 20)}
    path = tmp_path / "tiny.toml"
    path.write_text(STUDY)
    study = parse_study(tomllib.loads(STUDY), path, catalog_ids=None)
    return C.Loaded(study, Panel(days, frames, entries, "index.T", "index.B"))


def test_rallies_on_a_panel(tiny):
    res = C.rallies(tiny)
    assert len(res.rallies) > 3
    assert set(res.rallies["outcome"]) <= {"sustained", "failed", "pending"}
    assert list(res.drivers["driver"]) == ["uptrend", "macro-ok"]
    starts = tiny.panel.index.get_indexer(res.rallies["start"])
    assert (np.diff(starts) >= 30).all()
    n = res.drivers.set_index("driver")
    decided = res.rallies["outcome"].isin(["sustained", "failed"]) & res.rallies["independent"]
    assert (n["n_on"] + n["n_off"] + n["n_no_data"] == decided.sum()).all()


def test_results_for_a_date_are_identical_with_data_cut_at_that_date(tiny):
    when = pd.Timestamp("2018-03-14")
    full = C.analogs(tiny, when)
    cut = C.Loaded(tiny.study, truncate_panel(tiny.panel, when))
    part = C.analogs(cut, when)
    pd.testing.assert_frame_equal(full.table, part.table)
    pd.testing.assert_frame_equal(full.distribution, part.distribution)
    a, b = K.replay(when, loaded=tiny), K.replay(when, loaded=cut)
    for name in ("facts", "drivers", "rally"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert a.next is not None and b.next is None  # only the full data knows what came next
    assert a.next["known"].all()


def test_bad_dates_and_missing_tables(tiny):
    with pytest.raises(SpecError, match="before the target's data"):
        C.analogs(tiny, pd.Timestamp("2001-01-01"))
    with pytest.raises(SpecError, match="after the target's data"):
        K.replay("2030-01-01", loaded=tiny)
    with pytest.raises(SpecError, match="not understood"):
        C.parse_date("15/01/2026x")
    bare = parse_study(tomllib.loads(STUDY.split("[rallies]")[0] + STUDY.split("[case]")[1]
                                     .split("\n", 2)[2]), tiny.study.path)
    with pytest.raises(SpecError, match=r"\[rallies\]"):
        C.rallies(C.Loaded(bare, tiny.panel))


@pytest.mark.parametrize("patch, match", [
    (("within = 20", "within = 40"), "must be below low_window"),
    (("gain = 0.05", "gain = 0.05\nspeed = 1"), "unknown key 'speed'"),
    (("k = 3", "k = 0"), "k = 0 not allowed"),
    (('transform = "level"', 'transform = "log"'), "transform = 'log' not allowed"),
    (('benchmark = "index.B"\n', ""), "needs a benchmark"),
])
def test_study_file_errors_name_the_key(tmp_path, patch, match):
    text = STUDY.replace(*patch)
    with pytest.raises(SpecError, match=match):
        parse_study(tomllib.loads(text), tmp_path / "bad.toml")


# ------------------------------------------------------------------ real data
@pytest.fixture(scope="module")
def real_rallies(real_mirror):
    mp = pytest.MonkeyPatch()
    mp.setenv("STUDY_DATA_MIRROR", str(real_mirror))
    try:
        loaded = C.load("small-cap-rallies", needs=("rallies", "analogs"))
        yield loaded, C.rallies(loaded)
    finally:
        mp.undo()


@pytest.mark.realdata
def test_small_cap_rallies_on_real_data(real_rallies):
    loaded, res = real_rallies
    r = res.rallies
    assert len(r) >= 10
    assert set(r["outcome"]) <= {"sustained", "failed", "pending"}
    # the Covid low: the Russell 2000 / S&P 500 ratio bottomed on 2020-03-18
    covid = r[r["start"].dt.year == 2020].iloc[0]
    assert covid["trough"] == pd.Timestamp("2020-03-18")
    assert covid["gain_at_start"] >= 0.08
    starts = loaded.panel.index.get_indexer(r["start"])
    assert (np.diff(starts) >= res.rule.min_gap).all()
    assert r["start"].iloc[0] >= loaded.panel.index[res.rule.low_window - 1]
    drivers_shown = set(res.drivers["driver"])
    assert {"fed-easing", "credit-tightening", "vix-calm", "rut-above-200d"} <= drivers_shown
    # sector ETFs start in 1998-12: no breadth at the first rallies, counted as no data
    first = res.states.iloc[0]
    if r["start"].iloc[0] < pd.Timestamp("1999-12-01"):
        assert first["breadth-sectors"] == "no data"


@pytest.mark.realdata
def test_real_case_uses_nothing_after_the_date(real_rallies):
    loaded, _ = real_rallies
    last = loaded.panel.index[-1]
    dates = [pd.Timestamp("2024-08-01")]
    if last > pd.Timestamp("2026-02-01"):
        dates.append(pd.Timestamp("2026-01-15"))
    for when in dates:
        a = K.replay(when, loaded=loaded, with_scorecard=False)
        cut = C.Loaded(loaded.study, truncate_panel(loaded.panel, when))
        b = K.replay(when, loaded=cut, with_scorecard=False)
        for name in ("facts", "drivers", "rally"):
            pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
        pd.testing.assert_frame_equal(a.analogs.table, b.analogs.table)
        pd.testing.assert_frame_equal(a.analogs.distribution, b.analogs.distribution)
        assert a.next is not None and b.next is None
        assert (a.analogs.table["date"] < when).all()


def test_count_view_intervals_match_scipy_exact():
    from scipy.stats import binomtest

    values = np.array([[1.0], [1.0], [1.0], [0.0], [0.0]])
    states = drivers.states_at(values, np.arange(5), ["a"])
    outcome = pd.Series(["sustained", "sustained", "failed", "failed", "failed"])
    c = drivers.count_table(states, outcome, np.ones(5, dtype=bool)).set_index("drivers_on")
    ref = binomtest(2, 3).proportion_ci(method="exact")
    assert (c.loc[1, "ci_low"], c.loc[1, "ci_high"]) == pytest.approx((ref.low, ref.high))
    assert c.loc[0, "ci_low"] == 0.0 and c.loc[0, "ci_high"] == pytest.approx(1 - 0.025 ** 0.5)


def test_verdict_says_no_evidence_or_names_the_drivers():
    base = {"n_on": 5, "n_off": 5, "share_on": 0.8, "share_off": 0.2}
    none = pd.DataFrame([{**base, "driver": "a", "p_value": 0.2, "q_value": 0.4}])
    assert drivers.verdict(none).startswith("No evidence") and "a (p = 0.2" in drivers.verdict(none)
    some = pd.DataFrame([{**base, "driver": "b", "p_value": 0.01, "q_value": 0.03}])
    assert drivers.verdict(some) == ("Drivers with q <= 0.1: b (sustained 80% when on vs 20% "
                                     "when off, q = 0.03).")


def test_charts_draw_on_the_axes_they_are_given():
    from matplotlib.figure import Figure

    from engine.anatomy import charts as AC

    close = np.r_[_path(), _path()]
    d = _dates(len(close))
    table = detect.find_rallies(d, close, None, _rule(), H5)
    ax = Figure().subplots()
    out = AC.rally_timeline(pd.Series(close, index=d), table, 5, ax=ax)
    assert out is ax and len(ax.patches) == len(table) == 2
    colors = {p.get_facecolor()[:3] for p in ax.patches}
    assert len(colors) == 1  # both sustained: one outcome color
    paths = pd.DataFrame({"a": np.linspace(0, 0.1, 6), "b": np.linspace(0, -0.1, 6)})
    band = pd.DataFrame({"p10": -0.05, "p50": 0.0, "p90": 0.05}, index=range(6))
    fan = Figure().subplots()
    assert AC.analog_fan(paths, band, ax=fan, actual=pd.Series(np.zeros(6))) is fan
    assert [t.get_text() for t in fan.get_legend().get_texts()][-1] == "what actually happened"


def test_calendar_drivers_read_the_day_itself(tiny, tmp_path):
    text = STUDY + '\n[[signals]]\nname = "january"\nfamily = "seasonality.january"\n'
    study = parse_study(tomllib.loads(text), tmp_path / "jan.toml")
    cut = truncate_panel(tiny.panel, pd.Timestamp("2018-01-31"))
    states = K.drivers_as_of(study, cut).set_index("driver")["state"]
    assert states["january"] == "on"  # not shifted to an entry date, not "no data"
    feb = truncate_panel(tiny.panel, pd.Timestamp("2018-02-01"))
    assert K.drivers_as_of(study, feb).set_index("driver")["state"]["january"] == "off"
