"""Rally scorecard: bucket statistics by hand, missing data, and point-in-time truncation."""

from __future__ import annotations

import tomllib

import numpy as np
import pandas as pd
import pytest

from engine.data.catalog import Entry
from engine.data.panel import Panel
from engine.scorecard.score import compute, load_scorecard_panel, score_panel, truncate_panel
from engine.study.spec import load_study, parse_study

STUDY = """
[study]
title = "tiny scorecard"
question = "does the count of conditions met predict returns?"
target = "index.T"
horizons = ["1d", "5d"]
mode = "state"
seed = 1
n_boot = 0

[[signals]]
name = "uptrend"
family = "trend.above_ma"
params = { series = "@target", window = 5 }

[[signals]]
name = "january"
family = "seasonality.january"

[[signals]]
name = "macro-ok"
family = "macro.above_trend"
params = { series = "fred.M", trend = 3, above = -1000.0 }
"""


def _entry(id_, frequency, lag, columns=("value",)):
    return Entry(id=id_, source="csv", file=f"{id_}.csv", frequency=frequency, units="",
                 description="", lag_days=lag, columns=columns)


@pytest.fixture()
def tiny(tmp_path):
    days = pd.bdate_range("2023-11-01", "2024-03-29", name="date")
    rng = np.random.default_rng(2)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, len(days))))
    months = pd.date_range("2023-04-01", "2023-10-01", freq="MS")  # ends early: stale by March
    frames = {
        "index.T": pd.DataFrame({"close": close}, index=days),
        "fred.M": pd.DataFrame({"value": np.arange(len(months), dtype=float)}, index=months),
    }
    entries = {"index.T": _entry("index.T", "daily", 0, ("close",)),
               "fred.M": _entry("fred.M", "monthly", 14)}
    path = tmp_path / "tiny.toml"
    path.write_text(STUDY)
    study = parse_study(tomllib.loads(STUDY), path, catalog_ids=None)
    return study, Panel(days, frames, entries, "index.T"), close


def test_buckets_match_a_hand_count(tiny):
    study, panel, close = tiny
    sc = score_panel(study, panel)
    met = sc.met.to_numpy()
    score = np.nansum(met, axis=1)
    np.testing.assert_array_equal(sc.score_path.to_numpy(), score)
    # odds are counted on today's conditions with data only (issue 12): macro-ok has no data
    # on the last day, so past days are scored on uptrend and january alone
    today = np.isfinite(met[-1])
    assert not today[2]
    score = np.nansum(met[:, today], axis=1)
    fwd = np.full(len(close), np.nan)
    fwd[:-2] = close[2:] / close[1:-1] - 1  # 1 day, entered at the next close
    rows = sc.buckets[(sc.buckets["series"] == "index") & (sc.buckets["horizon"] == "1d")
                      & (sc.buckets["episode"] == "all")].set_index("score")
    ok = np.isfinite(fwd) & np.isfinite(met[:, today]).all(axis=1)
    for s in range(4):
        days = ok & (score == s)
        row = rows.loc[s]
        assert row["n_events"] == days.sum()
        assert row["n_days"] == ok.sum()
        if days.any():
            assert row["hit_rate"] == pytest.approx((fwd[days] > 0).mean())
            assert row["mean_fwd"] == pytest.approx(fwd[days].mean())
            assert row["median_fwd"] == pytest.approx(np.median(fwd[days]))
        else:
            assert np.isnan(row["hit_rate"])
        assert row["base_rate"] == pytest.approx((fwd[ok] > 0).mean())


def test_a_condition_without_data_is_reported_and_counts_as_not_met(tiny):
    study, panel, _ = tiny
    sc = score_panel(study, truncate_panel(panel, pd.Timestamp("2024-03-15")))
    status = sc.conditions.set_index("condition")["status"]
    # October's reading (published Nov 14) is more than ~3 months old by mid-March
    assert status["macro-ok"] == "no data"
    assert status["january"] == "not met"
    assert sc.n_with_data == 2
    assert sc.score == int(status["uptrend"] == "met")
    early = score_panel(study, truncate_panel(panel, pd.Timestamp("2024-01-19")))
    e_status = early.conditions.set_index("condition")["status"]
    assert e_status["january"] == "met" and e_status["macro-ok"] == "met"


def test_truncation_drops_unpublished_rows(tiny):
    _, panel, _ = tiny
    cut = truncate_panel(panel, pd.Timestamp("2023-11-10"))
    assert cut.index[-1] == pd.Timestamp("2023-11-10")
    # the October value is available on Nov 14 (month end + 14 days): not yet on Nov 10
    assert cut.frames["fred.M"].index[-1] == pd.Timestamp("2023-09-01")


@pytest.mark.realdata
def test_scorecard_uses_nothing_published_after_the_date(monkeypatch, real_mirror):
    """The conditions on every day up to D are the same whether later data exist or not."""
    monkeypatch.setenv("STUDY_DATA_MIRROR", str(real_mirror))
    from engine.data.catalog import Catalog

    study = load_study("rally-scorecard")
    full = load_scorecard_panel(study, Catalog.load())
    when = pd.Timestamp("2025-06-30")
    sc = compute("rally-scorecard", "2025-06-30", panel=full)
    assert sc.date == when
    untruncated = score_panel(study, full)
    on_full = untruncated.met.loc[:when]
    pd.testing.assert_frame_equal(sc.met, on_full)
    assert sc.score == int(np.nansum(on_full.iloc[-1]))
    # Shiller data end in 2023: earnings and valuation have no data in mid-2025
    status = sc.conditions.set_index("condition")["status"]
    assert status["earnings-rising"] == "no data"
    assert status["valuation-not-stretched"] == "no data"
    odds = sc.odds
    assert set(odds["horizon"]) == {"1m", "3m", "6m", "12m"}
    assert (odds["n_events"] > 0).all()
    # the inflation condition shows the change in y/y core PCE inflation over 3 months
    # (from the raw monthly index, published month end + lag), not the index level
    from engine.data.panel import availability

    pce = full.native("fred.PCEPILFE")
    seen = pce[np.asarray(availability(pce.index, full.entries["fred.PCEPILFE"]) <= when)]
    pi = 100 * (seen / seen.shift(12) - 1)
    row = sc.conditions.set_index("condition").loc["inflation-not-accelerating"]
    assert row["tested_value"] == pytest.approx(pi.iloc[-1] - pi.iloc[-4])
    assert row["as_of"] == str(seen.index[-1].date()) and row["threshold"] == "< 0"
    assert row["value"] == pytest.approx(seen.iloc[-1])  # the level, kept apart
    assert abs(row["tested_value"]) < 2 < row["value"]
    assert row["status"] == ("met" if row["tested_value"] < 0 else "not met")


def test_odds_compare_days_scored_on_the_same_conditions(tiny):
    """Issue 12, problem 8: "2 of 3 (2 with data)" was compared with days where all 3 had
    data. Now the buckets use only days on which today's conditions with data had data, and
    score those days on the same conditions."""
    study, panel, close = tiny
    sc = score_panel(study, panel)
    met = sc.met.to_numpy()
    assert sc.n_with_data == 2
    same = np.isfinite(met[:, :2]).all(axis=1)
    assert sc.n_comparable_days == int(same.sum())
    rows = sc.buckets[(sc.buckets["series"] == "index") & (sc.buckets["horizon"] == "1d")
                      & (sc.buckets["episode"] == "all")]
    fwd = np.full(len(close), np.nan)
    fwd[:-2] = close[2:] / close[1:-1] - 1
    ok = same & np.isfinite(fwd)
    assert int(rows["n_days"].iloc[0]) == int(ok.sum())
    by_old_rule = np.nansum(met, axis=1)  # macro-ok met in Nov-Dec: scores of 3 existed
    assert (by_old_rule[ok] == 3).any()
    assert rows.set_index("score").loc[3, "n_events"] == 0  # no day scores 3 of today's 2


def test_current_spell_is_listed_with_the_past_ones(tiny):
    study, panel, _ = tiny
    sc = score_panel(study, panel)
    past = sc.past
    if sc.score > 0 and len(past):
        assert bool(past.iloc[0]["current"]) == (str(past.iloc[0]["end"]) == str(sc.date.date()))
    assert past["current"].sum() <= 1


def test_conditions_show_the_tested_quantity_threshold_and_date(tiny):
    """Issue 17: the scorecard shows what a condition compares (the gap to the moving
    average, the gap to the trend), its threshold and its date, not the raw series."""
    study, panel, close = tiny
    when = pd.Timestamp("2024-01-19")
    sc = score_panel(study, truncate_panel(panel, when))
    rows = sc.conditions.set_index("condition")
    up = rows.loc["uptrend"]
    t = int(np.flatnonzero(panel.index == when)[0])
    assert up["tested_value"] == pytest.approx(close[t] - close[t - 4: t + 1].mean())
    assert up["threshold"] == "> 0"
    assert up["tested"] == "close − 5-day average"
    assert up["as_of"] == "2024-01-19"
    assert up["status"] == ("met" if up["tested_value"] > 0 else "not met")
    macro = rows.loc["macro-ok"]
    # fred.M = 0, 1, ..., 6 for 2023-04 .. 2023-10 (October published Nov 14): the newest
    # value 6 minus the mean of the previous three (3, 4, 5)
    assert macro["tested_value"] == pytest.approx(6 - 4)
    assert macro["threshold"] == "> -1000"
    assert macro["as_of"] == "2023-10-01"
    assert macro["tested"] == "level − mean of previous 3"
    assert macro["value"] == 6.0  # the raw series' last value stays available
    # stale in March: no data, but the last known tested value and its date are shown
    late = score_panel(study, truncate_panel(panel, pd.Timestamp("2024-03-15")))
    m = late.conditions.set_index("condition").loc["macro-ok"]
    assert m["status"] == "no data"
    assert m["tested_value"] == pytest.approx(2.0) and m["as_of"] == "2023-10-01"


COMBINED = STUDY + """
[[signals]]
name = "up-in-january"
all = ["uptrend", "january"]
description = "both"
"""


def test_combined_conditions_are_kept_with_their_parts(tmp_path, tiny):
    """A combined signal of a custom scorecard is a condition (its inputs are its parts,
    listed under it with their own tested quantity), and the score counts it once."""
    _, panel, close = tiny
    path = tmp_path / "combined.toml"
    path.write_text(COMBINED)
    study = parse_study(tomllib.loads(COMBINED), path, catalog_ids=None)
    when = pd.Timestamp("2024-01-19")
    sc = score_panel(study, truncate_panel(panel, when))
    c = sc.conditions
    top = c[c["part_of"] == ""]
    assert list(top["condition"]) == ["macro-ok", "up-in-january"]
    assert sc.n_conditions == 2
    parts = c[c["part_of"] == "up-in-january"]
    assert list(parts["condition"]) == ["uptrend", "january"]
    t = int(np.flatnonzero(panel.index == when)[0])
    up = close[t] > close[t - 4: t + 1].mean()
    assert parts.set_index("condition").loc["uptrend", "status"] == ("met" if up else "not met")
    assert parts.set_index("condition").loc["january", "status"] == "met"
    row = top.set_index("condition").loc["up-in-january"]
    assert row["status"] == ("met" if up else "not met")
    assert row["rule"] == "all(uptrend, january)"
    assert sc.score == int(up) + 1  # macro-ok is met (gap 2 > -1000)


def test_written_scorecard_shows_the_tested_quantity(tiny):
    from engine.scorecard.render import to_html, to_markdown

    study, panel, _ = tiny
    sc = score_panel(study, truncate_panel(panel, pd.Timestamp("2024-01-19")))
    row = sc.conditions.set_index("condition").loc["macro-ok"]
    md = to_markdown(sc)
    assert "| condition | status | tested | value | threshold | as of |" in md
    assert f"| macro-ok | {row['status']} | level − mean of previous 3 | 2 | > -1000 | " \
           "2023-10-01 | fred.M | 6 | 2023-10-01 |" in md
    assert "level − mean of previous 3" in to_html(sc)


def test_current_spell_is_the_first_past_spell_by_hand(tiny):
    """Issue 12, problem 8: "past spells" lists the spell under way today first (current =
    True, its length so far), then the earlier spells with a score at least today's, all
    counted on today's conditions with data, on days where those had data."""
    study, panel, _ = tiny
    checked = 0
    for when in pd.bdate_range("2024-01-08", "2024-02-09"):  # january on: score >= 1
        sc = score_panel(study, truncate_panel(panel, when))
        assert sc.score >= 1
        met = sc.met.to_numpy()
        today = np.isfinite(met[-1])
        same = np.isfinite(met[:, today]).all(axis=1)
        score = np.nansum(met[:, today], axis=1)
        high = (score >= sc.score) & same
        spells, t = [], 0
        while t < len(high):  # plain runs of high days
            if high[t]:
                e = t
                while e + 1 < len(high) and high[e + 1]:
                    e += 1
                spells.append((t, e))
                t = e + 1
            else:
                t += 1
        days = sc.met.index
        want = [(days[a].date(), days[b].date(), b - a + 1, b == len(high) - 1)
                for a, b in spells[::-1]]
        got = list(sc.past[["start", "end", "days", "current"]].itertuples(index=False,
                                                                          name=None))
        assert got == want
        assert got[0][3] and got[0][1] == when.date()  # today's spell first, flagged current
        assert int(sc.past["current"].sum()) == 1
        checked += 1
    assert checked >= 20
