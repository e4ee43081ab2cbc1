"""Real-data checks of the deep history (issue 11): Fed policy, FOMC dates, spliced indices.

Each test builds only the datasets it reads, from the real mirror (skipped without it), into
a throw-away project home shared by the module.
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from conftest import REPO

from engine.data import dataops, datasets
from engine.data.catalog import Catalog


@pytest.fixture(scope="module")
def deep(real_mirror, tmp_path_factory):
    home = tmp_path_factory.mktemp("deep") / "datasets"
    home.mkdir()
    shutil.copy2(REPO / "datasets" / "catalog.toml", home / "catalog.toml")
    catalog = Catalog.load(home)

    def get(id_: str):
        if not catalog.parquet_path(id_).is_file():
            dataops.build(catalog, [id_], real_mirror)
        return datasets.load(catalog, id_, real_mirror)

    return get


def test_target_range_steps_the_day_after_each_decision(deep):
    upper, meta = deep("fred.DFEDTARU")
    lower, _ = deep("fred.DFEDTARL")
    decisions, dmeta = deep("fomc.decisions")
    assert (meta.first, meta.last) == ("2008-12-16", "2026-08-21")
    u = upper["value"].dropna()
    assert (u - lower["value"].dropna() == 0.25).all()
    steps = u.index[u.diff().fillna(0).to_numpy() != 0]
    assert list(steps[steps.year.isin([2022, 2023])].strftime("%F")) == [
        "2022-03-17", "2022-05-05", "2022-06-16", "2022-07-28", "2022-09-22", "2022-11-03",
        "2022-12-15", "2023-02-02", "2023-03-23", "2023-05-04", "2023-07-27"]
    assert list(steps[steps.year == 2025].strftime("%F")) == [
        "2025-09-18", "2025-10-30", "2025-12-11"]
    # every step of the range is on a decision day (2015-2016) or the day after (since 2017,
    # including the Sunday 2020-03-15 cut applied on Monday)
    days = decisions.index.as_unit("ns").asi8
    pos = np.searchsorted(days, steps.as_unit("ns").asi8, side="right") - 1
    lag = (steps.as_unit("ns").asi8 - days[pos]) // 86_400_000_000_000
    assert set(lag.tolist()) == {0, 1}, dict(zip(steps.strftime("%F"), lag, strict=True))
    assert (dmeta.first, dmeta.last, dmeta.rows) == ("1936-03-19", "2026-07-29", 840)


def test_fomc_decisions_cover_2022_2023_and_drop_conference_calls(deep):
    decisions, meta = deep("fomc.decisions")
    on = decisions.index
    assert on[(on.year == 2022)].size == 8 and on[(on.year == 2023)].size == 8
    assert pd.Timestamp("2020-03-15") in on and pd.Timestamp("2020-03-19") not in on
    parts = meta.provenance["parts"]
    assert parts[1]["dropped_from_earlier"] == ["2020-03-19", "2020-03-31", "2020-08-27"]
    assert parts[2]["overlap_rows"] == 18  # the 2024-2026 calendar equals the statements


def test_fomc_scheduled_meetings_are_eight_a_year_from_1981(deep):
    decisions, _ = deep("fomc.decisions")
    sched = decisions["scheduled"]
    assert sched[:"1980"].isna().all() and sched["1981":].notna().all()
    per_year = sched["1981":"2025"].groupby(sched["1981":"2025"].index.year).sum()
    # 2020: the scheduled March 17-18 meeting was replaced by the unscheduled 15 March cut
    assert per_year.drop(2020).eq(8).all() and per_year[2020] == 7
    unscheduled = sched.index[sched == 0.0]
    assert list(unscheduled.strftime("%F")) == ["2019-10-04", "2020-03-03", "2020-03-15",
                                                "2020-03-23"]
    # an independent check of the hand list: every scheduled statement of 2020-2026 came on
    # a Wednesday (or Thursday, after an election), none of the unscheduled ones did
    st = sched["2020":]
    assert set(st.index[st == 1.0].day_of_week) <= {2, 3}
    assert not set(unscheduled.day_of_week) & {2, 3}


def test_fomc_list_1994_2008_holds_no_intermeeting_move(deep, real_mirror):
    """Independent check of the eight-a-year rule: every step of the daily single target
    1994-2008 is on a listed (scheduled) meeting except the seven intermeeting moves."""
    from conftest import DFEDTAR_FILE

    if not (real_mirror / DFEDTAR_FILE).is_file():
        pytest.skip(f"the mirror lacks the optional {DFEDTAR_FILE} (see datasets/catalog.toml)")
    target, _ = deep("fred.DFEDTAR")
    decisions, _ = deep("fomc.decisions")
    t = target["value"].dropna()
    steps = t.index[t.diff().fillna(0).to_numpy() != 0]
    steps = steps[steps >= pd.Timestamp("1994-01-01")]
    off = steps.difference(decisions.index)
    assert len(steps) == 59
    assert list(off.strftime("%F")) == ["1994-04-18", "1998-10-15", "2001-01-03", "2001-04-18",
                                        "2001-09-17", "2008-01-22", "2008-10-08"]
    assert (decisions.loc[steps.intersection(decisions.index), "scheduled"] == 1.0).all()


def test_effective_funds_rate_runs_from_1954(deep):
    dff, meta = deep("fred.DFF")
    assert (meta.first, meta.last) == ("1954-07-01", "2026-08-20")
    assert dff.loc["2026-08-20", "value"] == pytest.approx(dff["value"].dropna().iloc[-1])


@pytest.mark.parametrize(("id_", "first", "last", "rows"), [
    ("index.GSPC", "1927-12-30", "2026-08-21", 24777),
    ("index.RUT", "1987-09-10", "2026-08-21", 9811),
    ("index.IXIC", "1971-02-05", "2026-08-21", 14003),
    ("index.NDX", "1985-10-01", "2026-02-27", 10181),
])
def test_spliced_indices_span_and_agree(deep, id_, first, last, rows):
    frame, meta = deep(id_)
    assert (meta.first, meta.last, meta.rows) == (first, last, rows)
    assert not frame.index.has_duplicates and frame.index.is_monotonic_increasing
    assert frame["close"].notna().all() and (frame["close"] > 0).all()
    prov = meta.provenance
    assert prov["largest_gap"]["relative_gap"] < 1e-5  # files agree to 1e-5 on every overlap
    used = sum(r[2] for p in prov["parts"] for r in p["ranges"])
    assert used == rows
    longest = prov["gaps"][0] if prov["gaps"] else None
    assert longest in (["1933-03-03", "1933-03-15", 12], ["2001-09-10", "2001-09-17", 7])


def test_rut_splice_points(deep):
    frame, meta = deep("index.RUT")
    parts = {p["file"]: p for p in meta.provenance["parts"]}
    assert parts["indices/RUT.csv"]["holes_filled"] == ["2020-10-02"]
    assert parts["indices/RUT_ohlc_2016-2026-08.csv.gz"]["ranges"] == [
        ["2025-09-25", "2026-08-21", 228]]
    # the MANIFEST's episode figures
    assert frame.loc["2025-12-31", "close"] == pytest.approx(2481.9, abs=0.05)
    assert frame.loc["2026-06-30", "close"] == pytest.approx(3024.4, abs=0.05)


def test_french_202604_vintage_in_fractions(deep):
    ff3, meta = deep("french.ff3")
    assert (meta.first, meta.last, meta.rows) == ("1926-07-01", "2026-04-30", 26233)
    # the 202604 file's first row: 0.09 %, -0.25 %, -0.27 %, 0.01 % (percent divided once)
    assert ff3.iloc[0].tolist() == pytest.approx([0.0009, -0.0025, -0.0027, 0.0001], abs=1e-12)
    mom, _ = deep("french.mom")
    assert str(mom.index[0].date()) == "1926-11-03" and mom.index[-1] == ff3.index[-1]
    vw, vmeta = deep("french.size_vw")
    ew, _ = deep("french.size_ew")
    assert (vmeta.first, vmeta.last, vmeta.rows) == ("1926-07-01", "2024-12-01", 1182)
    assert vw.loc["1926-07-01", "d01"] == pytest.approx(-0.0012)
    assert ew.loc["1926-07-01", "d01"] == pytest.approx(-0.0142)
    # fractions, never percent (the smallest decile did gain over 100 % in a few 1930s months)
    assert (vw[["d01", "d10"]].abs().median() < 0.1).all()


def test_etf_price_and_total_return_are_separate(deep):
    price, pmeta = deep("etf.SPY")
    tr, tmeta = deep("etf_tr.SPY")
    assert (pmeta.first, pmeta.last) == ("1993-01-29", "2026-08-21")
    assert (tmeta.first, tmeta.last) == ("1993-01-29", "2025-09-26")
    ratio = (tr["adj_close"] / price["close"]).dropna()
    # dividends reinvested: the adjusted close starts at 55 % of the price and meets it at
    # the pull date; the ratio never falls by more than rounding
    assert ratio.iloc[0] == pytest.approx(0.5534, abs=1e-4) and ratio.iloc[-1] == 1.0
    assert (ratio.diff().dropna() > -1e-6).all()
    parts = pmeta.provenance["parts"]
    assert parts[1]["ranges"] == [["2025-09-29", "2026-08-21", 226]]
    assert pmeta.provenance["largest_gap"]["relative_gap"] == 0.0


def test_fred_2026_extends_real_gdp_never_nominal(deep):
    _, rmeta = deep("fred.GDPC1")
    _, nmeta = deep("fred.GDP")
    assert rmeta.last == "2026-04-01" and nmeta.last == "2025-07-01"
    assert rmeta.provenance["parts"][1]["file"] == "fred_2026/growth.csv.gz#GDP"
    _, fmeta = deep("fred.FEDFUNDS")
    assert (fmeta.first, fmeta.last) == ("1954-07-01", "2026-07-01")
    assert fmeta.provenance["parts"][1]["overlap_rows"] == 551  # fred/FEDFUNDS.csv, all equal


def test_sentiment_and_risk_coverage(deep):
    _, meta = deep("sentiment.naaim")
    assert (meta.first, meta.last, meta.rows) == ("2006-07-05", "2026-02-18", 1024)  # 2 dups
    gpr, gmeta = deep("risk.gpr")
    assert (gmeta.first, gmeta.last, gmeta.rows) == ("1985-01-01", "2026-05-26", 15121)
    assert gpr.loc["1985-01-01", "gprd"] == pytest.approx(230.039429, abs=1e-6)
    aaii, ameta = deep("sentiment.aaii")
    assert ameta.last == "2026-02-19"
    assert (aaii["spread"] - (aaii["bullish"] - aaii["bearish"])).abs().max() < 1e-6
