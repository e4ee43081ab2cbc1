"""Issue 12, honest statistics: one test (at least) per problem the issue lists.

Each test was written before its fix and failed on the engine it replaced:
1. zero-width intervals, 2. headline hit rate not the tested one, 3. t_hac on one event,
4. ranking noise first, 5. episodes tested like the full sample, 6. calendar entry timing,
9. verdict wording. Exact intervals are checked against scipy's own implementation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest

from engine.evaluate import stats
from engine.evaluate.core import evaluate


def _all(n: int) -> list[tuple[str, np.ndarray]]:
    return [("all", np.ones(n, dtype=bool))]


def _rising(n: int, slope: float = 0.3) -> np.ndarray:
    return 100 * np.exp(np.linspace(0, slope, n))


# --- 1. exact intervals --------------------------------------------------------------------

@pytest.mark.parametrize("k,n", [(0, 1), (1, 1), (0, 3), (3, 3), (11, 11), (7, 20), (1, 40),
                                 (39, 40), (250, 500)])
def test_clopper_pearson_equals_scipy_exact(k, n):
    lo, hi = stats.exact_binomial_ci(np.array([k]), np.array([n]))
    ref = binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
    assert lo[0] == pytest.approx(ref.low, abs=1e-12)
    assert hi[0] == pytest.approx(ref.high, abs=1e-12)
    assert hi[0] - lo[0] > 0


def test_clopper_pearson_hand_values_and_undefined():
    # 0 of 3: upper = 1 - 0.025 ** (1/3); 3 of 3: lower = 0.025 ** (1/3) (closed forms)
    lo, hi = stats.exact_binomial_ci(np.array([0, 3, 0, 2]), np.array([3, 3, 0, 1]))
    assert lo[0] == 0.0 and hi[0] == pytest.approx(1 - 0.025 ** (1 / 3), rel=1e-12)
    assert hi[1] == 1.0 and lo[1] == pytest.approx(0.025 ** (1 / 3), rel=1e-12)
    assert np.isnan(lo[2]) and np.isnan(hi[2])  # no events: no interval
    assert np.isnan(lo[3]) and np.isnan(hi[3])  # k > n: not a count


def test_all_hits_give_an_exact_interval_not_100_100():
    """Problem 1: 4 of 4 winning events showed "100%-100%" from the block bootstrap."""
    n = 200
    sig = np.zeros((n, 2))
    sig[[20, 60, 100, 140], 0] = 1.0
    sig[[50], 1] = 1.0  # a single event still gets an (honestly wide) interval
    res = evaluate(_rising(n), sig, np.zeros(2, bool), np.array([5]), _all(n), n_boot=100)
    lo, hi = res.metrics["ci_low"][:, 0, 0], res.metrics["ci_high"][:, 0, 0]
    ref4 = binomtest(4, 4).proportion_ci(method="exact")
    assert lo[0] == pytest.approx(ref4.low) and hi[0] == 1.0
    assert lo[1] == pytest.approx(0.025) and hi[1] == 1.0
    assert np.all(hi - lo > 0)
    # the bootstrap interval of the (overlapping) all-events hit rate is kept beside it
    assert "boot_low" in res.metrics and "boot_high" in res.metrics


# --- 2. the tested hit rate is shown -------------------------------------------------------

def test_hit_rate_independent_is_the_tested_one():
    """Problem 2: the binomial p uses the independent subset whose hit rate was never shown."""
    n = 60
    close = 100.0 + np.r_[np.zeros(10), np.arange(50) % 7 - 3.0]  # wiggles: hits and misses
    close = np.abs(close) + 1
    sig = np.zeros((n, 1))
    sig[[5, 6, 7, 8, 9, 10, 11, 30], 0] = [1, 0, 1, 0, 1, 0, 1, 1]  # overlapping at h = 5
    res = evaluate(close, sig, np.zeros(1, bool), np.array([5]), _all(n))
    m = {k: v[0, 0, 0] for k, v in res.metrics.items()}
    fwd = close[1 + 5:] / close[1:-5] - 1
    days = np.flatnonzero(sig[:, 0] > 0)
    events = days[(sig[days - 1, 0] <= 0)]
    kept = [events[0]]
    for t in events[1:]:
        if t - kept[-1] >= 5:
            kept.append(t)
    assert m["n_independent"] == len(kept)
    assert m["hit_rate_independent"] == pytest.approx(np.mean(fwd[kept] > 0))
    assert m["hit_rate"] == pytest.approx(np.mean(fwd[events] > 0))
    expected_p = binomtest(int(np.sum(fwd[kept] > 0)), len(kept), m["base_rate"]).pvalue
    assert m["p_value"] == pytest.approx(expected_p)
    assert m["edge_independent"] == pytest.approx(m["hit_rate_independent"] - m["base_rate"])


# --- 3. HAC only where it means something --------------------------------------------------

def test_t_hac_null_on_one_event_with_a_note():
    """Problem 3: one event gave t values up to 13 (p = 1e-40)."""
    n = 300
    rng = np.random.default_rng(0)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    sig = np.zeros((n, 2))
    sig[100, 0] = 1.0
    sig[::7, 1] = 1.0  # 43 events, far more than the minimum
    res = evaluate(close, sig, np.zeros(2, bool), np.array([1]), _all(n))
    assert np.isnan(res.metrics["t_hac"][0, 0, 0]) and np.isnan(res.metrics["p_hac"][0, 0, 0])
    assert np.isfinite(res.metrics["t_hac"][1, 0, 0])
    frame = res.to_frame(pd.DataFrame({"signal": ["a", "b"], "variant": ["v", "v"],
                                       "params": ["{}", "{}"]}))
    assert "independent events" in frame.loc[0, "note"]
    assert frame.loc[1, "note"] == ""


def test_t_hac_null_where_lags_are_a_big_share_of_the_sample():
    """Problem 3: episode rows used HAC lags of half the sample or more."""
    n = 800
    rng = np.random.default_rng(1)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    sig = np.zeros((n, 1))
    sig[::3, 0] = 1.0
    ep = np.zeros(n, dtype=bool)
    ep[300:420] = True  # 120 days; 63-day windows: 62 lags = half the episode
    res = evaluate(close, sig, np.zeros(1, bool), np.array([63]),
                   [("all", np.ones(n, bool)), ("short", ep)], episode_tests=[True, True])
    assert np.isfinite(res.metrics["t_hac"][0, 0, 0])
    assert np.isnan(res.metrics["t_hac"][0, 0, 1])
    frame = res.to_frame(pd.DataFrame({"signal": ["a"], "variant": ["v"], "params": ["{}"]}))
    assert "lags" in frame.loc[1, "note"]


def test_hac_rule_thresholds():
    ok = stats.hac_usable(np.array([10, 9, 50, 50]), np.array([1000, 1000, 100, 101]),
                          np.array([0, 0, 10, 10]))
    assert ok.tolist() == [True, False, False, True]


# --- 4. evidence-first ranking -------------------------------------------------------------

def _rows(**cols) -> pd.DataFrame:
    n = len(next(iter(cols.values())))
    base = {"signal": [f"s{i}" for i in range(n)], "variant": ["v"] * n, "horizon": ["3m"] * n,
            "horizon_days": [63] * n, "episode": ["all"] * n, "n_days": [5000] * n,
            "base_rate": [0.6] * n}
    return pd.DataFrame(base | cols)


def test_ranking_puts_evidence_first_and_few_events_apart():
    """Problem 4: with q = 1 everywhere, a 2-event 100% row topped the table."""
    from engine.ranking import rank_evidence

    m = _rows(n_events=[2, 40, 25, 60, 1],
              n_independent=[2, 30, 21, 45, 1],
              hit_rate=[1.0, 0.7, 0.55, 0.65, 1.0],
              hit_rate_independent=[1.0, 0.7, 0.55, 0.65, 1.0],
              q_value=[1.0, 1.0, 1.0, 0.03, np.nan])
    m["edge"] = m["hit_rate"] - m["base_rate"]
    m["edge_independent"] = m["hit_rate_independent"] - m["base_rate"]
    ranked = rank_evidence(m, min_independent=10)
    assert ranked["signal"].tolist() == ["s3", "s1", "s2", "s0", "s4"]
    assert ranked["group"].tolist() == ["ranked"] * 3 + ["too few to judge"] * 2
    # q ties are broken by the number of independent events, then |edge|
    same_n = _rows(n_events=[30, 30], n_independent=[20, 20], hit_rate=[0.62, 0.4],
                   hit_rate_independent=[0.62, 0.4], q_value=[1.0, 1.0])
    same_n["edge_independent"] = same_n["hit_rate_independent"] - same_n["base_rate"]
    assert rank_evidence(same_n)["signal"].tolist() == ["s1", "s0"]


def test_rank_table_and_best_variant_use_the_one_ranking():
    from engine.ranking import best_variants as ranking_best
    from engine.report import tables as T

    m = _rows(n_events=[2, 40], n_independent=[2, 30], hit_rate=[1.0, 0.7],
              hit_rate_independent=[1.0, 0.7], q_value=[0.5, 1.0])
    m["signal"] = "s"
    m["variant"] = ["noisy", "solid"]
    m["edge"] = m["hit_rate"] - m["base_rate"]
    assert T.rank_table(m).iloc[0]["variant"] == "solid"
    assert T.best_variants(m).iloc[0]["variant"] == "solid"
    assert ranking_best(m).iloc[0]["variant"] == "solid"


def test_study_file_min_independent_default(tmp_path):
    from engine.study.spec import parse_study

    raw = {"study": {"title": "t", "question": "q", "target": "index.RUT",
                     "min_independent": 15},
           "signals": [{"name": "a", "family": "seasonality.january"}]}
    assert parse_study(raw, tmp_path / "x.toml").min_independent == 15
    raw["study"].pop("min_independent")
    assert parse_study(raw, tmp_path / "x.toml").min_independent == 10


# --- 5. episodes are descriptive -----------------------------------------------------------

def test_episode_rows_are_descriptive_by_default():
    """Problem 5: episode rows got p, t and q from 1-3 independent events."""
    n = 600
    rng = np.random.default_rng(2)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    sig = (rng.random((n, 1)) > 0.7).astype(float)
    ep = np.zeros(n, dtype=bool)
    ep[100:400] = True
    res = evaluate(close, sig, np.zeros(1, bool), np.array([5]),
                   [("all", np.ones(n, bool)), ("ep", ep)])
    assert np.isfinite(res.metrics["p_value"][0, 0, 0])
    for name in ("p_value", "t_hac", "p_hac"):
        assert np.isnan(res.metrics[name][0, 0, 1]), name
    assert np.isfinite(res.metrics["ci_low"][0, 0, 1])  # still described, with an exact CI


def test_episode_clip_keeps_windows_inside():
    """Problem 5: 2019's 12m windows ran into the 2020 crash."""
    from engine.study.windows import clip_episode_masks

    index = pd.bdate_range("2019-01-01", periods=40)
    ep = np.zeros(40, dtype=bool)
    ep[10:20] = True  # 10 days
    masks = clip_episode_masks(ep, np.array([1, 5, 30]))
    # a day t counts when its window (entered t+1, exit t+1+h) ends inside the episode
    assert masks[:, 0].sum() == 8 and masks[:, 1].sum() == 4 and masks[:, 2].sum() == 0
    assert masks[10, 1] and masks[13, 1] and not masks[14, 1]
    del index


def test_episode_flags():
    from engine.evaluate.core import episode_flags

    base = np.array([[[0.5, 0.0, 1.0]]])
    past_end = np.array([[[False, False, True]]])
    flags = episode_flags(base, np.array([[[100, 100, 5]]]), past_end)
    assert flags[0, 0, 0] == ""
    assert "base rate 0%" in flags[0, 0, 1]
    assert "base rate 100%" in flags[0, 0, 2] and "past" in flags[0, 0, 2]


# --- 6. calendar windows entered at the close before the window -----------------------------

def test_santa_claus_enters_at_the_close_before_the_window():
    """Problem 6: with next-close entry the "1d" row was the return two days later."""
    from engine.signals.base import FAMILIES
    from engine.signals.matrix import entry_lead

    assert FAMILIES["seasonality.santa_claus"].known_in_advance
    assert not FAMILIES["trend.above_ma"].known_in_advance
    sig = np.zeros((10, 2))
    sig[4:7, :] = 1.0  # window on days 4, 5, 6
    moved = entry_lead(sig, np.array([True, False]))
    # known in advance: the event sits two rows before the window, so entry (next close) is
    # the close of day 3, the one before the window; a 3-day horizon then exits at day 6
    assert np.flatnonzero(moved[:, 0] > 0).tolist() == [2, 3, 4]
    assert np.flatnonzero(moved[:, 1] > 0).tolist() == [4, 5, 6]
    assert np.isnan(moved[-2:, 0]).all()


def test_calendar_event_date_is_the_window_start_and_entry_the_close_before():
    """events.parquet: ``date`` is the day the signal turned on (a calendar window's first
    day), ``entry_date`` the close the return starts from. The lead that moves a calendar
    window's entry to the close before it used to move ``date`` two days before the window."""
    from engine.evaluate.core import event_table
    from engine.signals.matrix import ENTRY_LEAD, entry_lead

    n = 12
    dates = pd.bdate_range("2021-12-20", periods=n)
    close = np.linspace(100, 111, n)
    raw = np.zeros((n, 2))
    raw[5:8, :] = 1.0  # both columns: a window on rows 5, 6, 7
    adv = np.array([True, False])
    moved = entry_lead(raw, adv)
    ev = event_table(dates, moved, np.zeros(2, bool), np.array([3]), "events", close,
                     lead=adv.astype(np.int64) * ENTRY_LEAD).set_index("k")
    cal, other = ev.loc[0], ev.loc[1]
    assert cal["date"] == dates[5] and cal["entry_date"] == dates[4]  # close before the window
    assert cal["fwd_return"] == pytest.approx(close[7] / close[4] - 1)  # the window itself
    assert other["date"] == dates[5] and other["entry_date"] == dates[6]  # next close
    # without the lead the calendar event was dated two rows early (the bug)
    old = event_table(dates, moved, np.zeros(2, bool), np.array([3]), "events", close)
    assert old.set_index("k").loc[0, "date"] == dates[3]


def test_mean_forward_return_has_a_block_bootstrap_interval():
    """Deliver: keep the block bootstrap where it adds information, the mean forward
    return. mean_fwd_low/high equal the dense block bootstrap of sum(event * fwd) / events."""
    from engine.evaluate.core import MIN_CI_EVENTS, event_matrix, forward_returns

    rng = np.random.default_rng(5)
    n, k = 900, 4
    close = 100 * np.exp(np.cumsum(rng.normal(0.0003, 0.01, n)))
    sig = (np.cumsum(rng.random((n, k)) < 0.04, axis=0) % 2).astype(float)
    sig[:30, 1] = np.nan
    horizons = np.array([1, 10])
    res = evaluate(close, sig, np.zeros(k, bool), horizons, _all(n), n_boot=400, seed=9)
    m = res.metrics
    fwd = forward_returns(close, horizons)
    ev = (event_matrix(sig, "events") & np.isfinite(sig)).astype(float)
    for j, h in enumerate(horizons):
        ok = np.isfinite(fwd[:, j])
        den = ev * ok[:, None]
        num = den * np.where(ok, fwd[:, j], 0.0)[:, None]
        lo, hi = stats.block_bootstrap_ci(num, den, int(h), 400, 9)
        few = m["n_independent"][:, j, 0] < MIN_CI_EVENTS
        lo[few], hi[few] = np.nan, np.nan
        np.testing.assert_allclose(m["mean_fwd_low"][:, j, 0], lo, rtol=0, atol=1e-12)
        np.testing.assert_allclose(m["mean_fwd_high"][:, j, 0], hi, rtol=0, atol=1e-12)
    inside = np.isfinite(m["mean_fwd_low"])
    assert inside.sum() >= 6
    assert (m["mean_fwd_low"][inside] <= m["mean_fwd"][inside]).all()
    assert (m["mean_fwd"][inside] <= m["mean_fwd_high"][inside]).all()
    assert (m["mean_fwd_high"][inside] > m["mean_fwd_low"][inside]).all()
    # the hit-rate interval is a different column of the same resampling
    assert not np.allclose(m["boot_low"][inside], m["mean_fwd_low"][inside])


def test_decision_sizes_from_both_target_series_and_intermeeting_moves(tmp_path):
    """Problem 7: the single target (DFEDTAR) steps on the decision day, the range's upper
    limit (DFEDTARU) the day after; both give the decision's size, and a move of the single
    target between meetings is a decision of its own (2001-01-03)."""
    from engine.data.sources import fred
    from engine.signals.rates import (
        decision_changes,
        first_cut_days,
        splice_target,
        target_steps,
    )

    path = tmp_path / "DFEDTAR.csv"  # FRED's older layout, re-saved with M/D/YYYY dates
    path.write_text("DATE,DFEDTAR\n12/29/2000,6.5\n1/2/2001,6.5\n1/3/2001,6\n1/4/2001,6\n"
                    "1/30/2001,6\n1/31/2001,5.5\n2/1/2001,5.5\n")
    old = fred.read(path)["value"]
    assert old.index[2] == pd.Timestamp("2001-01-03") and old.iloc[2] == 6.0
    new = pd.Series([1.0, 1.0, 0.25, 0.25],
                    index=pd.to_datetime(["2008-12-16", "2020-03-14", "2020-03-16",
                                          "2020-03-17"]))
    tgt = splice_target(old, new)
    assert tgt.index.is_monotonic_increasing and tgt.loc["2001-01-03"] == 6.0
    meetings = pd.to_datetime(["2000-12-19", "2001-01-31", "2020-03-15"])
    steps = target_steps(old, new.index[0])
    assert list(steps) == list(pd.to_datetime(["2001-01-03", "2001-01-31"]))
    days = meetings.union(steps)
    rate = pd.Series(6.5, index=pd.date_range("2000-12-01", "2001-02-10"))
    ch = decision_changes(days, rate, tgt)
    assert ch.loc["2001-01-03"] == -0.5 and ch.loc["2001-01-31"] == -0.5
    assert ch.loc["2020-03-15"] == -0.75  # the range steps the day after (a Sunday decision)
    first = first_cut_days(ch, 0.2, 12)
    assert first.loc["2001-01-03"] == 1.0 and first.loc["2001-01-31"] == 0.0


# --- 9. verdict wording --------------------------------------------------------------------

def test_verdict_says_no_evidence_not_no_better_than_chance():
    from engine.report.verdict import verdict

    row = {"n_days": 5000, "n_events": 40, "n_independent": 30, "hit_rate": 0.62,
           "hit_rate_independent": 0.63, "base_rate": 0.60, "q_value": 0.7, "ci_low": 0.44,
           "ci_high": 0.8, "horizon": "3m"}
    text = verdict(row)
    assert "no evidence" in text and "chance" not in text and "30 independent" in text
    strong = row | {"hit_rate_independent": 0.9, "q_value": 0.01, "ci_low": 0.73, "ci_high": 0.98}
    assert "evidence for" in verdict(strong)
    against = row | {"hit_rate_independent": 0.2, "q_value": 0.01, "ci_low": 0.08,
                     "ci_high": 0.39}
    assert "evidence against" in verdict(against)
    # q small but the exact CI still holds the base rate: no evidence
    assert "no evidence" in verdict(row | {"q_value": 0.04, "ci_low": 0.5, "ci_high": 0.8})


# --- out-of-sample validation and data snooping (SPA) --------------------------------------

def test_spa_finds_a_real_edge_and_not_noise():
    from engine.evaluate.validation import spa_pvalues

    rng = np.random.default_rng(7)
    n = 1500
    ret = rng.normal(0, 0.01, n)
    close = 100 * np.exp(np.cumsum(ret))
    up_next = np.r_[ret[2:] > 0, False, False]  # fwd(t, 1) = close[t+2]/close[t+1] - 1
    noise = (rng.random((n, 6)) < 0.1).astype(float)
    seer = noise.copy()
    seer[:, 0] = (up_next & (rng.random(n) < 0.3)).astype(float)  # knows tomorrow's sign
    mask = np.ones(n, dtype=bool)
    groups = np.zeros(6, dtype=int)
    p_seer = spa_pvalues(close, seer, np.array([1]), mask, groups, "state", 500, 1)
    assert p_seer[0, 0] < 0.01
    # pure noise: the p-value of the best of 6 is small only about as often as it should be
    p_noise = [spa_pvalues(close, (rng.random((n, 6)) < 0.1).astype(float), np.array([1]),
                           mask, groups, "state", 300, 1)[0, 0] for _ in range(8)]
    assert sum(p < 0.05 for p in p_noise) <= 2 and np.median(p_noise) > 0.2
    # the same numbers as calling arch.bootstrap.SPA on the documented losses
    from arch.bootstrap import SPA

    fwd = np.r_[close[2:] / close[1:-1] - 1, np.nan, np.nan]
    rows = np.isfinite(fwd)
    hit = (fwd[rows] > 0).astype(float)[:, None]
    d = seer[rows] * (hit - hit.mean())
    ref = SPA(np.zeros(rows.sum()), -d, block_size=1, reps=500, bootstrap="stationary", seed=1)
    ref.compute()
    assert p_seer[0, 0] == pytest.approx(float(ref.pvalues["consistent"]))


def test_split_masks_keep_in_sample_windows_before_the_split():
    from engine.study.windows import split_masks

    index = pd.bdate_range("2020-01-01", periods=30)
    ins, oos = split_masks(index, np.ones(30, bool), index[20], np.array([1, 5]))
    # last in-sample day is 19: a day t counts when t + 1 + h <= 19
    assert np.flatnonzero(ins[:, 0]).max() == 17 and np.flatnonzero(ins[:, 1]).max() == 13
    assert np.flatnonzero(oos).tolist() == list(range(20, 30))


def test_validation_table_picks_in_sample_and_reports_out_of_sample():
    from engine.evaluate.validation import validation_table

    rows = []
    for ep, hits in (("in-sample", (0.7, 0.55)), ("out-of-sample", (0.5, 0.6))):
        for v, h in zip(("a", "b"), hits, strict=True):
            rows.append({"signal": "s", "variant": v, "horizon": "1m", "horizon_days": 21,
                         "episode": ep, "n_days": 1000, "n_events": 40, "n_independent": 30,
                         "hit_rate_independent": h, "hit_rate": h, "base_rate": 0.5,
                         "edge_independent": h - 0.5, "ci_low": h - 0.15,
                         "ci_high": h + 0.15, "q_value": np.nan})
    table = validation_table(pd.DataFrame(rows),
                             pd.DataFrame({"signal": ["s"], "horizon": ["1m"], "spa_p": [0.2]}))
    assert len(table) == 1
    row = table.iloc[0]
    assert row["variant"] == "a" and row["n_variants"] == 2 and row["spa_p"] == 0.2
    assert row["is_hit_rate_independent"] == 0.7 and row["oos_hit_rate_independent"] == 0.5


def test_validation_section_parses_and_checks_the_split(tmp_path):
    import datetime as dt

    from engine.errors import SpecError
    from engine.study.spec import parse_study

    raw = {"study": {"title": "t", "question": "q", "target": "index.RUT",
                     "start": "2000-01-01", "end": "2020-01-01"},
           "validation": {"split": "2012-01-01"},
           "signals": [{"name": "a", "family": "seasonality.january"}]}
    assert parse_study(raw, tmp_path / "x.toml").validation_split == dt.date(2012, 1, 1)
    raw["validation"] = {"split": "2021-01-01"}
    with pytest.raises(SpecError, match=r"validation\.split"):
        parse_study(raw, tmp_path / "x.toml")
    raw["validation"] = {"spilt": "2012-01-01"}
    with pytest.raises(SpecError, match="did you mean 'split'"):
        parse_study(raw, tmp_path / "x.toml")


# --- real data: the Santa Claus window and the first Fed cut, engine vs independent pandas --

def _raw_gspc(mirror) -> pd.Series:
    """Independent read of the long S&P 500 file (its closes equal indices/GSPC.csv on every
    common date, see the mirror's MANIFEST)."""
    frame = pd.read_csv(mirror / "indices" / "GSPC_ohlcv_1927-2026-08.csv.gz",
                        parse_dates=["date"])
    return frame.set_index("date")["close"].dropna()


@pytest.fixture(scope="module")
def santa_run(real_mirror, tmp_path_factory):
    from engine.runner import Overrides, run

    out = tmp_path_factory.mktemp("santa")
    res = run("santa-claus-rally", Overrides(out=out, reports=False, backtest=False))
    return res, pd.read_parquet(res.run_dir / "events.parquet")


@pytest.mark.realdata
def test_santa_claus_study_measures_the_window_itself(santa_run, real_mirror):
    """Problem 6: the study's 7d row is the window's own return, one event per season:
    close of the window's last day / close before its first day - 1 (Hirsch)."""
    res, events = santa_run
    close = _raw_gspc(real_mirror)
    rows, starts = [], {}
    for year in range(1950, close.index.year.max()):
        dec = close[(close.index.year == year) & (close.index.month == 12)]
        jan = close[(close.index.year == year + 1) & (close.index.month == 1)]
        if len(dec) < 5 or len(jan) < 2:
            continue
        pos = close.index.get_loc(dec.index[-5])
        rows.append((close.index[pos - 1], close.loc[jan.index[1]] / close.iloc[pos - 1] - 1))
        starts[close.index[pos - 1]] = dec.index[-5]
    ref = pd.Series(dict(rows))
    ev = events[(events["signal"] == "santa-claus") & (events["horizon"] == "7d")]
    # ``date`` is the window's first day (the 5th-last December session), not 2 days before
    dated = ev.set_index("entry_date")["date"]
    assert (dated == pd.Series(starts).reindex(dated.index)).all()
    ev = ev.set_index("entry_date")["fwd_return"]
    ref = ref[(ref.index >= ev.index.min()) & (ref.index <= ev.index.max())]
    assert len(ev) >= 26 and ev.index.equals(ref.index)  # one entry per season, the close before
    # index.GSPC splices several files whose closes agree to about 1e-8 (MANIFEST): the
    # window returns agree to 1e-6, the up/down sign of every season exactly
    np.testing.assert_allclose(ev.to_numpy(), ref.to_numpy(), rtol=0, atol=1e-6)
    assert ((ev.to_numpy() > 0) == (ref.to_numpy() > 0)).all()
    m = res.metrics.set_index(["signal", "horizon", "episode"]).loc[("santa-claus", "7d", "all")]
    assert m["n_events"] == m["n_independent"] == len(ref)
    assert m["hit_rate_independent"] == pytest.approx((ref > 0).mean(), abs=1e-12)
    assert m["mean_fwd"] == pytest.approx(ref.mean(), abs=1e-6)
    if ev.index.min().year <= 1951:  # the long history (1950 onward): the Almanac's figures
        assert 0.70 <= m["hit_rate_independent"] <= 0.85  # published: about 79% up
        assert 0.008 <= m["mean_fwd"] <= 0.018  # published: about +1.3%


@pytest.mark.realdata
def test_first_cut_on_decision_days_matches_an_independent_computation(real_mirror, tmp_path):
    """Problem 7: the first cut lands on the FOMC decision day, not a month later, and from
    1982-09-27 the single daily target (DFEDTAR) sizes each decision and adds the intermeeting
    moves (2001-01-03): every first cut since 1990 is the Fed's own."""
    from conftest import DFEDTAR_FILE, REPO

    if not (real_mirror / DFEDTAR_FILE).is_file():
        pytest.skip(f"the mirror lacks the optional {DFEDTAR_FILE} (see datasets/catalog.toml)")

    from engine.data import datasets
    from engine.data.catalog import Catalog
    from engine.data.panel import load_panel
    from engine.signals import get_family
    from engine.signals.grid import expand_grid

    folder = tmp_path / "datasets"
    folder.mkdir()
    (folder / "catalog.toml").write_bytes((REPO / "datasets" / "catalog.toml").read_bytes())
    cat = Catalog.load(folder)
    for id_ in ("index.GSPC", "fred.DFF", "fred.DFEDTARU", "fred.DFEDTAR", "fomc.decisions"):
        datasets.build_one(cat, cat.get(id_), real_mirror)
    panel, _ = load_panel(cat, ["fred.DFF", "fred.DFEDTARU", "fred.DFEDTAR", "fomc.decisions"],
                          "index.GSPC")
    fam = get_family("rates.first_cut")
    params = {"rate": "fred.DFF", "target": "fred.DFEDTARU", "old_target": "fred.DFEDTAR",
              "decisions": "fomc.decisions", "gap_months": 12, "cut": 0.2,
              "timing": "decision"}
    on = fam.func(panel, expand_grid(fam, params)[0])[:, 0]
    edges = panel.index[1:][(on[1:] == 1) & (on[:-1] == 0)]
    # independent: raw files, a plain loop over decisions
    rates = pd.read_csv(real_mirror / "fred_2026" / "rates.csv.gz", parse_dates=["date"],
                        index_col="date")
    old = pd.read_csv(real_mirror / "fomc" / "fomc_meeting_dates_1936-2021.csv", header=None,
                      parse_dates=[0])[0]
    st = pd.read_csv(real_mirror / "fomc" / "fed_statements_minutes_2020-2026_heliar.csv.gz",
                     usecols=["date", "kind"])
    new = pd.to_datetime(st.loc[st["kind"] == "statement", "date"].astype(str), format="%Y%m%d")
    single = pd.read_csv(real_mirror / "fred_target" / "DFEDTAR_1982-2008.csv")
    single = pd.Series(single["DFEDTAR"].to_numpy(float),
                       index=pd.to_datetime(single["DATE"], format="%m/%d/%Y"))
    upper = rates["DFEDTARU"].dropna()
    single = single[single.index < upper.index[0]]
    moves = {d for d, prev, v in zip(single.index[1:], single.to_numpy()[:-1],
                                     single.to_numpy()[1:], strict=True) if v != prev}
    days = sorted(set(old[old < new.min()]) | set(new) | moves)
    dff, tar = rates["DFF"].dropna(), pd.concat([single, upper])
    last_cut, first = None, []
    for d in days:
        after_t = tar[(tar.index > d) & (tar.index <= d + pd.Timedelta(days=7))]
        if len(after_t) and len(tar[tar.index < d]):
            change = after_t.iloc[0] - tar[tar.index < d].iloc[-1]
        else:
            b = dff[(dff.index >= d - pd.Timedelta(days=7)) & (dff.index < d)]
            a = dff[(dff.index > d) & (dff.index <= d + pd.Timedelta(days=7))]
            change = a.median() - b.median() if len(a) and len(b) else np.nan
        if change <= -0.2:
            if last_cut is None or last_cut < d - pd.DateOffset(months=12):
                first.append(d)
            last_cut = d
    first = pd.DatetimeIndex(first)
    inside = first[(first > panel.index[0]) & (first <= panel.index[-1])]
    assert list(edges) == list(inside)
    # the Fed's first cut of every cycle since 1990, intermeeting 2001-01-03 included
    assert [str(d.date()) for d in edges[edges >= "1990-01-01"]] == [
        "1995-07-06", "1998-09-29", "2001-01-03", "2007-09-18", "2019-07-31", "2024-09-18"]
    # the per-cycle 12-month returns of docs/validation.md: entry at the next close, exit 252
    # trading days later, engine vs a plain read of the long S&P 500 file
    from engine.evaluate.core import forward_returns

    horizons = np.array([21, 63, 126, 252])
    fwd = forward_returns(panel.close("@target"), horizons)
    raw = _raw_gspc(real_mirror).reindex(panel.index)
    table = {}
    for d in edges[edges >= "1990-01-01"]:
        i = panel.index.get_loc(d)
        for j, h in enumerate(horizons):
            assert fwd[i, j] == pytest.approx(raw.iloc[i + 1 + h] / raw.iloc[i + 1] - 1,
                                              abs=1e-6)
        table[str(d.date())] = (str(panel.index[i + 1].date()),
                                *(round(100 * x, 2) for x in fwd[i]))
    # docs/validation.md's first-cut table: entry, 1m, 3m, 6m, 12m
    assert table == {
        "1995-07-06": ("1995-07-07", 0.66, 4.72, 10.85, 18.17),
        "1998-09-29": ("1998-09-30", 6.78, 21.13, 27.21, 26.13),
        "2001-01-03": ("2001-01-04", 1.57, -13.64, -10.71, -13.26),
        "2007-09-18": ("2007-09-19", 0.72, -4.84, -13.05, -21.09),
        "2019-07-31": ("2019-08-01", -0.92, 3.16, 9.21, 10.75),
        "2024-09-18": ("2024-09-19", 2.64, 2.77, 0.94, 16.51)}


@pytest.mark.parametrize(("cells", "want"), [
    ([], False),  # no data at all
    ([(950, 1)], False),  # data only after the window
    ([(99, 0)], False),  # ... or only before it
    ([(899, 2)], True),  # the window's last day
    ([(100, 0)], True),  # its first day
    ([(500, 1, np.inf)], False),  # infinities are no data
])
def test_any_data_in_window(cells, want):
    """The runner's "no signal has data inside the study window" check, read in row blocks."""
    from engine.study.windows import any_data_in

    values = np.full((1000, 3), np.nan)
    for t, k, *v in cells:
        values[t, k] = v[0] if v else 0.0
    window = np.zeros(1000, dtype=bool)
    window[100:900] = True
    assert any_data_in(values, window, block=7) is want
    assert any_data_in(values, window) is want
